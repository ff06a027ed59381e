"""An OpenAI-compatible server over any backend (`dynplan serve`), on FastAPI and uvicorn.

Endpoints: `POST /v1/chat/completions`, `POST /v1/completions` (raw text, no chat template;
backends that can take it: `complete`), `GET /v1/models`, `GET /health`. Concurrent requests
are gathered for up to `batch_wait` seconds (or `max_batch` requests) and answered with one
batched `generate` call per set of identical decoding settings, so several evaluation workers
share one model. A request naming another model than the one served is refused (404, as
OpenAI's API does). `stream: true` answers with server-sent events, as OpenAI's clients read
them: a chunk with the role, the text in chunks, one with the finish reason (and, with
`stream_options.include_usage`, the token counts), then `[DONE]`; the answer is decoded in the
batch first, so the chunks arrive together. Extensions as in vLLM: `continue_final_message`
continues a final assistant message; `bad_words` lists strings to keep out of the answer.
"""

from __future__ import annotations

import asyncio
import json
import queue
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException

from agents.backends.base import Backend, check_prompts


class RequestError(ValueError):
    """A request the server cannot take; its message goes back with status 400."""


@dataclass
class _Pending:
    prompt: list | str  # chat messages, or a raw text (`/v1/completions`)
    key: tuple  # (max_tokens, temperature, stop, banned, raw)
    future: Future = field(default_factory=Future)


STREAM_CHUNK_CHARS = 16  # how much of the answer one streamed chunk carries


def parse_request(body: dict) -> tuple[list, tuple]:
    """(messages, decoding key) of a chat-completions request; raises RequestError."""
    if not isinstance(body, dict):
        raise RequestError("the body must be a JSON object")
    messages = body.get("messages")
    try:
        check_prompts([messages])
    except ValueError as err:
        raise RequestError(f"messages: {err}") from None
    if messages[-1]["role"] == "assistant" and not body.get("continue_final_message"):
        raise RequestError(
            "the last message is the assistant's: set continue_final_message to continue it"
        )
    return messages, (*decoding_key(body), False)


def parse_text_request(body: dict) -> tuple[str, tuple]:
    """(prompt text, decoding key) of a legacy completions request; raises RequestError."""
    if not isinstance(body, dict):
        raise RequestError("the body must be a JSON object")
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1:
        prompt = prompt[0]
    if not isinstance(prompt, str) or not prompt:
        raise RequestError("prompt must be a non-empty string (one prompt per request)")
    if body.get("echo") or body.get("suffix") or body.get("best_of", 1) != 1:
        raise RequestError("echo, suffix and best_of are not supported")
    return prompt, (*decoding_key(body), True)


def decoding_key(body: dict) -> tuple:
    """(max_tokens, temperature, stop, banned) of a request; raises RequestError."""
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens", 256))
    temperature = body.get("temperature", 1.0)
    stop = body.get("stop") or []
    stop = [stop] if isinstance(stop, str) else stop
    banned = body.get("bad_words") or []
    if not isinstance(max_tokens, int) or not 1 <= max_tokens <= 8192:
        raise RequestError(f"max_tokens must be an int in [1, 8192], got {max_tokens!r}")
    if not isinstance(temperature, (int, float)) or not 0 <= temperature <= 5:
        raise RequestError(f"temperature must be a number in [0, 5], got {temperature!r}")
    for name, values in (("stop", stop), ("bad_words", banned)):
        if not isinstance(values, list) or not all(isinstance(s, str) and s for s in values):
            raise RequestError(f"{name} must be a string or a list of non-empty strings")
    if body.get("n", 1) != 1:
        raise RequestError("only n = 1 is supported")
    return max_tokens, float(temperature), tuple(stop), tuple(banned)


class CompletionServer:
    """Serves a backend on `host:port` until `shutdown()`. The port is bound when the server
    is made (port 0: a free one), so a taken port fails here and `url` is known at once."""

    def __init__(
        self,
        backend: Backend,
        model_name: str,
        host: str = "127.0.0.1",
        port: int = 8000,
        max_batch: int = 16,
        batch_wait: float = 0.01,
    ) -> None:
        self.backend, self.model_name = backend, model_name
        self.max_batch, self.batch_wait = max_batch, batch_wait
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self.batches: list[int] = []  # sizes of the generate calls made, for measurements
        self._socket = socket.create_server((host, port))
        config = uvicorn.Config(self.app(), log_level="warning", access_log=False, lifespan="off")
        self._uvicorn = uvicorn.Server(config)
        self._worker = threading.Thread(target=self._work, name="batcher", daemon=True)
        self._serving: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._socket.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://{self._socket.getsockname()[0]}:{self.port}/v1"

    def start(self, timeout: float = 30.0) -> CompletionServer:
        """Serve in background threads; returns once the server takes requests."""
        self._worker.start()
        self._serving = threading.Thread(
            target=self._uvicorn.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._serving.start()
        deadline = time.monotonic() + timeout
        while not self._uvicorn.started:
            if not self._serving.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server on port {self.port} did not start")
            time.sleep(0.005)
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until Ctrl-C (uvicorn stops on it, then raises it again)."""
        self._worker.start()
        try:
            self._uvicorn.run(sockets=[self._socket])
        finally:
            self._queue.put(None)
            self._socket.close()

    def shutdown(self) -> None:
        self._uvicorn.should_exit = True
        if self._serving is not None:
            self._serving.join(timeout=10)
        self._socket.close()
        self._queue.put(None)

    def submit(self, prompt: list | str, key: tuple) -> Future:
        pending = _Pending(prompt, key)
        self._queue.put(pending)
        return pending.future

    # -- batching ----------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            deadline = time.monotonic() + self.batch_wait
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)
                    break
                batch.append(item)
            groups: dict[tuple, list[_Pending]] = {}
            for item in batch:
                groups.setdefault(item.key, []).append(item)
            for (max_tokens, temperature, stop, banned, raw), items in groups.items():
                self.batches.append(len(items))
                call = self.backend.complete if raw else self.backend.generate
                try:
                    outs = call([i.prompt for i in items], max_tokens, temperature, stop, banned)
                except Exception as err:  # the request's handler answers it with a 500
                    for item in items:
                        item.future.set_exception(err)
                    continue
                for item, out in zip(items, outs, strict=True):
                    item.future.set_result(out)

    # -- HTTP --------------------------------------------------------------------------------
    def app(self) -> FastAPI:
        """The FastAPI application: the routes, errors in OpenAI's shape."""
        app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
        models = {
            "object": "list",
            "data": [{"id": self.model_name, "object": "model", "owned_by": "dynplan"}],
        }

        @app.exception_handler(HTTPException)
        async def http_error(request: Request, err: HTTPException) -> JSONResponse:
            kind = "not_found" if err.status_code == 404 else "invalid_request_error"
            message = f"no route {request.method} {request.url.path}"
            return _error(err.status_code, message, kind)

        @app.get("/health")
        @app.get("/v1/health")
        async def health() -> dict:
            return {"status": "ok"}

        @app.get("/v1/models")
        async def list_models() -> dict:
            return models

        @app.post("/v1/chat/completions")
        async def chat(request: Request):
            return await self._answer(request, raw=False)

        @app.post("/v1/completions")
        async def completions(request: Request):
            return await self._answer(request, raw=True)

        return app

    async def _answer(self, request: Request, raw: bool) -> JSONResponse | StreamingResponse:
        """One request: parsed, checked, batched with others, answered (or streamed)."""
        if raw and not hasattr(self.backend, "complete"):
            return _error(404, f"{self.backend.name} serves chat completions only", "not_found")
        try:
            body = json.loads(await request.body() or b"null")
            prompt, key = (parse_text_request if raw else parse_request)(body)
        except (ValueError, RequestError) as err:
            return _error(400, str(err), "invalid_request_error")
        model = body.get("model")
        if model is not None and model != self.model_name:
            message = f"The model `{model}` does not exist; this server serves `{self.model_name}`"
            return _error(404, message, "invalid_request_error")
        try:
            out = await asyncio.wrap_future(self.submit(prompt, key))
        except Exception as err:
            return _error(500, f"{type(err).__name__}: {err}", "server_error")
        head = {
            "id": f"{'cmpl' if raw else 'chatcmpl'}-{uuid.uuid4().hex[:24]}",
            "created": int(time.time()),
            "model": self.model_name,
        }
        usage = {
            "prompt_tokens": out.prompt_tokens,
            "completion_tokens": out.completion_tokens,
            "total_tokens": out.prompt_tokens + out.completion_tokens,
        }
        if body.get("stream"):
            wants_usage = (body.get("stream_options") or {}).get("include_usage")
            events = _events(head, out, usage if wants_usage else None, raw)
            return StreamingResponse(events, media_type="text/event-stream")
        if raw:
            choice = {"index": 0, "text": out.text, "logprobs": None}
            kind = "text_completion"
        else:
            choice = {"index": 0, "message": {"role": "assistant", "content": out.text}}
            kind = "chat.completion"
        choice["finish_reason"] = out.finish_reason
        return JSONResponse({**head, "object": kind, "choices": [choice], "usage": usage})


def _error(status: int, message: str, kind: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)


def _events(head: dict, out, usage: dict | None, raw: bool) -> Iterator[str]:
    """The answer as server-sent events: `chat.completion.chunk`s (a first with the role), or
    for raw text `text_completion` chunks; then the finish reason, the usage if asked, [DONE]."""
    text = out.text
    pieces = [text[i : i + STREAM_CHUNK_CHARS] for i in range(0, len(text), STREAM_CHUNK_CHARS)]
    kind = "text_completion" if raw else "chat.completion.chunk"
    if raw:
        chunks = [({"text": piece}, None) for piece in pieces]
        chunks.append(({"text": ""}, out.finish_reason))
    else:
        deltas = [{"role": "assistant", "content": ""}, *({"content": p} for p in pieces)]
        chunks = [({"delta": delta}, None) for delta in deltas]
        chunks.append(({"delta": {}}, out.finish_reason))
    for part, finish in chunks:
        choice = {"index": 0, **part, "finish_reason": finish}
        yield "data: " + json.dumps({**head, "object": kind, "choices": [choice]}) + "\n\n"
    if usage is not None:
        yield (
            "data: " + json.dumps({**head, "object": kind, "choices": [], "usage": usage}) + "\n\n"
        )
    yield "data: [DONE]\n\n"
