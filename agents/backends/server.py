"""An OpenAI-compatible server over any backend (`dynplan serve`).

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

import json
import queue
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
    """Serves a backend on `host:port` until `shutdown()`."""

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
        self._http = ThreadingHTTPServer((host, port), self._handler_class())
        self._http.daemon_threads = True
        self._worker = threading.Thread(target=self._work, name="batcher", daemon=True)
        self._serving: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._http.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self._http.server_address[0]}:{self.port}/v1"

    def start(self) -> CompletionServer:
        """Serve in background threads; returns at once."""
        self._worker.start()
        self._serving = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._serving.start()
        return self

    def serve_forever(self) -> None:
        self._worker.start()
        try:
            self._http.serve_forever()
        finally:
            self._queue.put(None)

    def shutdown(self) -> None:
        self._http.shutdown()
        self._http.server_close()
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
                except Exception as err:  # the HTTP thread turns it into a 500
                    for item in items:
                        item.future.set_exception(err)
                    continue
                for item, out in zip(items, outs, strict=True):
                    item.future.set_result(out)

    # -- HTTP --------------------------------------------------------------------------------
    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test and CLI output quiet
                pass

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, message: str, kind: str) -> None:
                self._send(status, {"error": {"message": message, "type": kind}})

            def do_GET(self) -> None:
                if self.path in ("/health", "/v1/health"):
                    self._send(200, {"status": "ok"})
                elif self.path == "/v1/models":
                    self._send(
                        200,
                        {
                            "object": "list",
                            "data": [
                                {"id": server.model_name, "object": "model", "owned_by": "dynplan"}
                            ],
                        },
                    )
                else:
                    self._error(404, f"no route {self.path}", "not_found")

            def do_POST(self) -> None:
                raw = self.path == "/v1/completions"
                if not raw and self.path != "/v1/chat/completions":
                    self._error(404, f"no route {self.path}", "not_found")
                    return
                if raw and not hasattr(server.backend, "complete"):
                    message = f"{server.backend.name} serves chat completions only"
                    self._error(404, message, "not_found")
                    return
                try:
                    length = int(self.headers.get("Content-Length", 0))
                    body = json.loads(self.rfile.read(length) or b"null")
                    prompt, key = (parse_text_request if raw else parse_request)(body)
                except (ValueError, RequestError) as err:
                    self._error(400, str(err), "invalid_request_error")
                    return
                model = body.get("model")
                if model is not None and model != server.model_name:
                    self._error(
                        404,
                        f"The model `{model}` does not exist; this server serves "
                        f"`{server.model_name}`",
                        "invalid_request_error",
                    )
                    return
                try:
                    out = server.submit(prompt, key).result()
                except Exception as err:
                    self._error(500, f"{type(err).__name__}: {err}", "server_error")
                    return
                head = {
                    "id": f"{'cmpl' if raw else 'chatcmpl'}-{uuid.uuid4().hex[:24]}",
                    "created": int(time.time()),
                    "model": server.model_name,
                }
                usage = {
                    "prompt_tokens": out.prompt_tokens,
                    "completion_tokens": out.completion_tokens,
                    "total_tokens": out.prompt_tokens + out.completion_tokens,
                }
                if body.get("stream"):
                    options = body.get("stream_options") or {}
                    self._stream(head, out, usage if options.get("include_usage") else None, raw)
                    return
                if raw:
                    choice = {
                        "index": 0,
                        "text": out.text,
                        "logprobs": None,
                        "finish_reason": out.finish_reason,
                    }
                    body = {**head, "object": "text_completion", "choices": [choice]}
                    self._send(200, {**body, "usage": usage})
                    return
                message = {"role": "assistant", "content": out.text}
                choice = {"index": 0, "message": message, "finish_reason": out.finish_reason}
                self._send(
                    200,
                    {**head, "object": "chat.completion", "choices": [choice], "usage": usage},
                )

            def _stream(self, head: dict, out, usage: dict | None, raw: bool) -> None:
                """The answer as server-sent events: `chat.completion.chunk`s, or for raw
                text `text_completion` chunks."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                text = out.text
                pieces = [
                    text[i : i + STREAM_CHUNK_CHARS]
                    for i in range(0, len(text), STREAM_CHUNK_CHARS)
                ]
                kind = "text_completion" if raw else "chat.completion.chunk"
                if raw:
                    chunks = [({"text": piece}, None) for piece in pieces]
                    chunks.append(({"text": ""}, out.finish_reason))
                else:
                    deltas = [{"role": "assistant", "content": ""}]
                    deltas += [{"content": piece} for piece in pieces]
                    chunks = [({"delta": delta}, None) for delta in deltas]
                    chunks.append(({"delta": {}}, out.finish_reason))
                for part, finish in chunks:
                    choice = {"index": 0, **part, "finish_reason": finish}
                    self._event({**head, "object": kind, "choices": [choice]})
                if usage is not None:
                    self._event({**head, "object": kind, "choices": [], "usage": usage})
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _event(self, payload: dict) -> None:
                self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")

        return Handler
