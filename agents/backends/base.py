"""What every LLM backend offers: batched chat generation with exact token counts.

A prompt is a list of chat messages (`{"role": ..., "content": ...}`). When its last message
is from the assistant, the backend continues that message (an assistant prefix such as
"<plan>") instead of starting a new one; the returned text is only what was generated after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

Message = dict[str, str]
Prompt = list[Message]
ROLES = ("system", "user", "assistant")
# How a local model decodes a batch: "dynamic" (a growing cache; finished rows leave the batch),
# "static" (fixed buffers, every row to the end), "graph" (static, each step a CUDA graph
# replay; CUDA only), "auto" (graph on CUDA, else dynamic).
DECODE_MODES = ("auto", "dynamic", "static", "graph")
# an OpenAI-compatible server's requests: seconds each may take, and retries of a failed one
REQUEST_TIMEOUT_S = 60.0
MAX_RETRIES = 3


@dataclass(frozen=True)
class Completion:
    """One generated answer: its text and the tokens it cost."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str = "stop"  # "stop" (end of text or a stop string) or "length"
    # the ids the model sampled, end-of-text included (local backends; () where unknown)
    token_ids: tuple[int, ...] = ()
    # their log-probability under the distribution they were drawn from (tempered, bans
    # applied); None where unknown or chosen greedily
    logprob: float | None = None


@runtime_checkable
class Backend(Protocol):
    """Generates completions for a batch of chat prompts in one call."""

    name: str

    def generate(
        self,
        prompts: Sequence[Prompt],
        max_new_tokens: int,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        banned: Sequence[str] = (),
    ) -> list[Completion]:
        """One completion per prompt, in order.

        `stop`: strings that end a completion (not included in its text). `banned`: strings the
        completion must not contain; backends that cannot prevent them stop before them instead.
        """


class BackendError(RuntimeError):
    """A backend could not produce completions (server down, bad answer, ...)."""


def check_prompts(prompts: Sequence[Prompt]) -> None:
    """Raise ValueError unless every prompt is a non-empty list of well-formed messages."""
    for i, prompt in enumerate(prompts):
        if not isinstance(prompt, list) or not prompt:
            raise ValueError(f"prompt {i} must be a non-empty list of messages, got {prompt!r}")
        for message in prompt:
            if (
                not isinstance(message, dict)
                or message.get("role") not in ROLES
                or not isinstance(message.get("content"), str)
            ):
                raise ValueError(
                    f"prompt {i} has a malformed message {message!r}; expected "
                    f"{{'role': one of {ROLES}, 'content': str}}"
                )


def continues_assistant(prompt: Prompt) -> bool:
    """Whether the prompt ends with an assistant message to be continued."""
    return prompt[-1]["role"] == "assistant"
