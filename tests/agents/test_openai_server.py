"""The openai backend against real HTTP servers on 127.0.0.1: `dynplan serve` and faulty ones."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from agents.backends.base import BackendError
from agents.backends.openai_backend import OpenAIBackend
from agents.backends.server import CompletionServer
from agents.llm_agent import LLMAgent
from tests.scripted import play

PROMPT = [
    {"role": "system", "content": "You play Crafter. " * 10},
    {"role": "user", "content": "What now?"},
]
GOOD = {
    "choices": [{"message": {"role": "assistant", "content": "Do"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 7, "completion_tokens": 1},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tiny_backend):
    srv = CompletionServer(tiny_backend, "tiny", port=0, batch_wait=0.05).start()
    yield srv
    srv.shutdown()


def test_server_matches_the_backend_and_batches(server, tiny_backend):
    client = OpenAIBackend(server.url, "tiny", timeout=30, max_retries=0)
    prompts = [PROMPT, [*PROMPT[:1], {"role": "user", "content": "Again?"}]] * 4
    prompts.append([*PROMPT, {"role": "assistant", "content": "<plan>"}])
    remote = client.generate(prompts, 10, stop=["\n\n"])
    local = tiny_backend.generate(prompts, 10, stop=["\n\n"])
    assert [(c.text, c.prompt_tokens, c.completion_tokens) for c in remote] == [
        (c.text, c.prompt_tokens, c.completion_tokens) for c in local
    ]
    assert max(server.batches) > 1  # concurrent requests shared a generate call
    models = httpx.get(server.url + "/models").json()
    assert models["data"][0]["id"] == "tiny"


def test_agent_plays_through_the_server(server):
    agent = LLMAgent(OpenAIBackend(server.url, "tiny", timeout=30), "every:2", temperature=1.0)
    infos, decisions = play(agent, steps=4, episodes=2)
    assert sum(info["num_plans"] for info in infos) + agent.counters.missing_plans == 4
    assert [d.raw.startswith("<plan>") for row in decisions for d in row] == [1, 1, 0, 0] * 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"messages": "hi"}, "messages"),
        ({"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}, "max_tokens"),
        ({"messages": [{"role": "user", "content": "x"}], "temperature": -1}, "temperature"),
        ({"messages": [{"role": "user", "content": "x"}], "stop": [3]}, "stop"),
        ({"messages": [{"role": "assistant", "content": "x"}]}, "continue_final_message"),
    ],
)
def test_server_rejects_bad_requests(server, body, message):
    response = httpx.post(server.url + "/chat/completions", json=body)
    assert response.status_code == 400 and message in response.json()["error"]["message"]
    client = OpenAIBackend(server.url, "tiny", max_retries=3, backoff=0.01)
    if isinstance(body["messages"], list) and body["messages"][-1]["role"] == "user":
        with pytest.raises(BackendError, match="rejected the request \\(400\\)"):
            client._complete(body["messages"], 0, 0.0, [])  # a 400 is not retried


class Faulty:
    """A real HTTP server on 127.0.0.1 whose answers follow a script of faults."""

    def __init__(self, script: list[str]) -> None:
        self.script, self.requests = list(script), 0
        faulty = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                faulty.requests += 1
                fault = faulty.script.pop(0) if faulty.script else "ok"
                if fault == "sleep":
                    time.sleep(3)
                status, data = {
                    "500": (500, b'{"error": "boom"}'),
                    "garbage": (200, b"<html>not json"),
                    "wrong-shape": (200, b'{"choices": []}'),
                }.get(fault, (200, json.dumps(GOOD).encode()))
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/v1"

    def close(self):
        self.http.shutdown()
        self.http.server_close()


@pytest.mark.parametrize("faults", [["500"], ["garbage"], ["wrong-shape"], ["500", "garbage"]])
def test_transient_faults_are_retried(faults):
    server = Faulty(faults)
    try:
        out = OpenAIBackend(server.url, "m", max_retries=3, backoff=0.01).generate([PROMPT], 5)
        assert out[0].text == "Do" and out[0].prompt_tokens == 7
        assert server.requests == len(faults) + 1
    finally:
        server.close()


@pytest.mark.parametrize(
    ("fault", "message"), [("500", "server error 500"), ("garbage", "not a chat completion")]
)
def test_persistent_faults_give_a_clear_error(fault, message):
    server = Faulty([fault] * 10)
    try:
        with pytest.raises(BackendError, match=f"{message}.*after 3 attempts"):
            OpenAIBackend(server.url, "m", max_retries=2, backoff=0.01).generate([PROMPT], 5)
    finally:
        server.close()


def test_a_slow_server_times_out_within_the_bound():
    server = Faulty(["sleep"] * 10)
    try:
        client = OpenAIBackend(server.url, "m", timeout=0.5, max_retries=1, backoff=0.05)
        start = time.monotonic()
        with pytest.raises(BackendError, match=r"within the 0\.5 s timeout"):
            client.generate([PROMPT], 5)
        assert time.monotonic() - start < 2.5
    finally:
        server.close()


def test_a_server_that_is_not_up_yet_is_waited_for(tiny_backend):
    port = _free_port()
    holder = {}
    timer = threading.Timer(
        0.6,
        lambda: holder.setdefault("srv", CompletionServer(tiny_backend, "t", port=port).start()),
    )
    timer.start()
    try:
        client = OpenAIBackend(f"http://127.0.0.1:{port}/v1", "t", max_retries=5, backoff=0.2)
        assert client.generate([PROMPT], 3)[0].completion_tokens >= 1
    finally:
        timer.join()
        holder["srv"].shutdown()


def test_nobody_listening_fails_fast():
    client = OpenAIBackend(f"http://127.0.0.1:{_free_port()}/v1", "m", max_retries=1, backoff=0.01)
    with pytest.raises(BackendError, match="cannot reach the server"):
        client.generate([PROMPT], 3)


def test_dynplan_serve_killed_mid_run(tiny_model_dir):
    """`dynplan serve` in its own process: answers, then dies; the client errors, no hang."""
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dynplan_cli",
            "serve",
            "--model",
            str(tiny_model_dir),
            "--port",
            str(port),
            "--served-name",
            "tiny",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        client = OpenAIBackend(
            f"http://127.0.0.1:{port}/v1", "tiny", timeout=5, max_retries=8, backoff=0.5
        )
        assert len(client.generate([PROMPT] * 3, 4)) == 3  # retries until the server is up
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        client.max_retries, client.backoff = 2, 0.05
        start = time.monotonic()
        with pytest.raises(BackendError, match="cannot reach the server"):
            client.generate([PROMPT] * 3, 4)
        assert time.monotonic() - start < 5
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_the_official_client_streams_the_same_answer(server):
    """OpenAI's own Python client, non-streamed and streamed (server-sent events)."""
    import openai

    client = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0)
    messages = [PROMPT[1]]
    whole = client.chat.completions.create(
        model="tiny", messages=messages, max_tokens=24, temperature=0
    )
    text = whole.choices[0].message.content
    assert whole.usage.completion_tokens >= 1 and text
    stream = client.chat.completions.create(
        model="tiny",
        messages=messages,
        max_tokens=24,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    pieces = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    assert len(pieces) >= 2 and "".join(pieces) == text  # greedy: the same answer, in chunks
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == (
        whole.choices[0].finish_reason
    )
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client.chat.completions.create(model="gpt-4o", messages=messages, max_tokens=4)


def test_the_official_client_completes_raw_text(server, tiny_backend):
    """`/v1/completions`: the raw text, no chat template, as the backend's `complete` answers."""
    import openai

    client = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0)
    prompt = "You play Crafter. What now?"
    whole = client.completions.create(model="tiny", prompt=prompt, max_tokens=12, temperature=0)
    local = tiny_backend.complete([prompt], 12)[0]
    assert whole.choices[0].text == local.text and whole.usage.prompt_tokens == local.prompt_tokens
    chat = tiny_backend.generate([[{"role": "user", "content": prompt}]], 12)[0]
    assert local.prompt_tokens < chat.prompt_tokens  # no template around the text
    stream = client.completions.create(
        model="tiny", prompt=prompt, max_tokens=12, temperature=0, stream=True
    )
    chunks = list(stream)
    assert "".join(c.choices[0].text for c in chunks) == local.text
    assert chunks[-1].choices[0].finish_reason == whole.choices[0].finish_reason
    with pytest.raises(openai.BadRequestError, match="non-empty string"):
        client.completions.create(model="tiny", prompt=["a", "b"], max_tokens=4)


def test_a_backend_without_raw_text_refuses_completions(tiny_backend):
    """A served `openai` backend (a proxy) answers chat only: `/v1/completions` says so."""
    inner = CompletionServer(tiny_backend, "tiny", port=0).start()
    proxy = CompletionServer(OpenAIBackend(inner.url, "tiny"), "tiny", port=0).start()
    try:
        reply = httpx.post(proxy.url + "/completions", json={"prompt": "hi", "max_tokens": 2})
        assert reply.status_code == 404 and "chat completions only" in reply.text
    finally:
        proxy.shutdown()
        inner.shutdown()


def test_dynplan_serve_on_a_taken_port_says_so_in_one_line(tiny_model_dir):
    from dynplan_cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit, match=f"cannot listen on 127.0.0.1:{port}"):
            main(["serve", "--model", str(tiny_model_dir), "--port", str(port)])
