"""Any OpenAI-compatible chat-completions server (vLLM, llama.cpp's server, `dynplan serve`).

A batch becomes concurrent requests. Each request has a timeout and is retried a bounded number
of times with exponential backoff when the server cannot be reached, times out, answers 5xx or
429, or sends something that is not a chat completion; a 4xx answer fails at once. Every call
therefore ends within about `(max_retries + 1) * timeout` plus the backoff, never hangs.

An assistant prefix is sent as a final assistant message with `continue_final_message` (vLLM's
and `dynplan serve`'s extension). Banned strings become stop strings: the answer stops before
them, and the agent drops what is left of a forbidden block.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import httpx

from agents.backends.base import (
    MAX_RETRIES,
    REQUEST_TIMEOUT_S,
    BackendError,
    Completion,
    Prompt,
    check_prompts,
    continues_assistant,
)

RETRY_STATUS = {429, 500, 502, 503, 504}


class OpenAIBackend:
    """Chat completions over HTTP with usage token counts."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = REQUEST_TIMEOUT_S,
        max_retries: int = MAX_RETRIES,
        backoff: float = 0.5,
        max_concurrency: int = 16,
    ) -> None:
        if max_retries < 0 or timeout <= 0 or max_concurrency < 1:
            raise ValueError("need timeout > 0, max_retries >= 0 and max_concurrency >= 1")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.timeout, self.max_retries, self.backoff = timeout, max_retries, backoff
        self.max_concurrency = max_concurrency
        headers = {}
        api_key = os.environ.get(api_key_env)
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(headers=headers, timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def generate(
        self,
        prompts: Sequence[Prompt],
        max_new_tokens: int,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        banned: Sequence[str] = (),
    ) -> list[Completion]:
        check_prompts(prompts)
        if not prompts:
            return []
        stops = list(dict.fromkeys([*stop, *banned]))
        workers = min(len(prompts), self.max_concurrency)
        with ThreadPoolExecutor(workers) as pool:
            futures = [
                pool.submit(self._complete, p, max_new_tokens, temperature, stops) for p in prompts
            ]
            return [f.result() for f in futures]

    def _complete(
        self, prompt: Prompt, max_new_tokens: int, temperature: float, stop: list[str]
    ) -> Completion:
        body: dict = {
            "model": self.model,
            "messages": prompt,
            "max_tokens": max_new_tokens,
            "temperature": temperature,
        }
        if stop:
            body["stop"] = stop
        if continues_assistant(prompt):
            body["continue_final_message"] = True
            body["add_generation_prompt"] = False
        problem = "no attempt made"
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = self._client.post(self.url, json=body)
            except httpx.TimeoutException:
                problem = f"no answer within the {self.timeout:g} s timeout"
                continue
            except httpx.TransportError as err:
                problem = f"cannot reach the server ({type(err).__name__}: {err})"
                continue
            if response.status_code in RETRY_STATUS:
                problem = f"server error {response.status_code}: {response.text[:200]}"
                continue
            if response.status_code >= 400:
                raise BackendError(
                    f"{self.url} rejected the request ({response.status_code}): "
                    f"{response.text[:500]}"
                )
            try:
                return _parse_completion(response.json())
            except (ValueError, KeyError, IndexError, TypeError) as err:
                problem = f"the answer is not a chat completion ({err}): {response.text[:200]!r}"
        raise BackendError(f"{self.url}: {problem} (after {self.max_retries + 1} attempts)")


def _parse_completion(data: dict) -> Completion:
    choice = data["choices"][0]
    text = choice["message"]["content"] or ""
    usage = data["usage"]
    if not isinstance(text, str):
        raise TypeError(f"message content is {type(text).__name__}, not text")
    return Completion(
        text,
        int(usage["prompt_tokens"]),
        int(usage["completion_tokens"]),
        "length" if choice.get("finish_reason") == "length" else "stop",
    )
