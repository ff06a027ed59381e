"""LLM backends: local transformers models and OpenAI-compatible servers."""

from __future__ import annotations

from agents.backends.base import MAX_RETRIES, REQUEST_TIMEOUT_S, Backend, BackendError, Completion

BACKENDS = ("transformers", "openai")


def make_backend(
    kind: str,
    *,
    model: str | None = None,
    adapter: str | None = None,
    base_url: str | None = None,
    dtype: str = "auto",
    device: str = "auto",
    decode: str = "auto",
    seed: int = 0,
    timeout: float = REQUEST_TIMEOUT_S,
    max_retries: int = MAX_RETRIES,
    api_key_env: str = "OPENAI_API_KEY",
) -> Backend:
    """A backend by kind. `model` is an embedded model name or a local directory for
    transformers, the served model's name for openai."""
    if kind == "transformers":
        from agents.backends.transformers_backend import TransformersBackend
        from agents.models import DEFAULT_MODEL, resolve_checkpoint

        path, shipped_adapter = resolve_checkpoint(model or DEFAULT_MODEL)
        if adapter and shipped_adapter:
            raise ValueError(f"{model} already names an adapter; drop --adapter")
        adapter = adapter or shipped_adapter
        return TransformersBackend(
            path, adapter=adapter, dtype=dtype, device=device, decode=decode, seed=seed
        )
    if kind == "openai":
        from agents.backends.openai_backend import OpenAIBackend

        if not base_url or not model:
            raise ValueError("the openai backend needs --base-url and --model")
        return OpenAIBackend(
            base_url, model, api_key_env=api_key_env, timeout=timeout, max_retries=max_retries
        )
    raise ValueError(f"unknown backend {kind!r}; expected one of {BACKENDS}")


__all__ = ["BACKENDS", "Backend", "BackendError", "Completion", "make_backend"]
