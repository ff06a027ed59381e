"""Supervised fine-tuning of any causal LM on the synthetic planning data (`dynplan train sft`).

A sample is a chat (system, user, assistant); the loss is on the assistant's tokens (and, with
`prompt_loss_weight` > 0, also on the sample's own prompt tokens after the shared instruction: a
model trained from scratch then learns to read its observations, not from the answers alone). The
model is a local Hugging Face directory (LoRA adapters via peft, or full fine-tuning) or
`scratch:<size>`: a small Llama built from a config, with a tokenizer trained on the data.

Every prompt starts with the same instruction (the system message, ~600 tokens). Training runs
it once per batch and shares its KV cache across the batch, gradients included (the same trick
the backend uses at inference), so a step pays for each sample's own ~300 tokens.
The loop itself is `transformers.Trainer`: accumulation, held-out loss, checkpoints, resume.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from agents.devices import resolve_device, resolve_dtype
from baselines.configs import (
    SFT_RESUME_FREE,
    SFTConfig,
    check_and_record_run_config,
    cli_command,
)
from dynplan_gym.provenance import package_versions

SCRATCH_SIZES: dict[str, dict[str, int]] = {
    # name: Llama shape; parameters are counted in the model card.
    "tiny": {"hidden_size": 64, "layers": 2, "heads": 4, "kv_heads": 2, "vocab_size": 512},
    "small": {"hidden_size": 128, "layers": 4, "heads": 4, "kv_heads": 2, "vocab_size": 2048},
    "base": {"hidden_size": 256, "layers": 6, "heads": 8, "kv_heads": 4, "vocab_size": 4096},
}
CARD = "card.json"
IGNORE = -100
# The shortest common prompt prefix worth running once per batch from a cache (the system
# message, ~600 tokens); a shorter one (a chat template's opening) stays in every row, which
# then run as plain sequences, with no cache to fill and copy for every row.
MIN_SHARED_PREFIX = 32


# -- data -------------------------------------------------------------------------------------
def load_samples(path: str | Path) -> list[dict]:
    """The samples of a dataset directory (or its samples.jsonl), with a clear error if bad."""
    path = Path(path)
    file = path / "samples.jsonl" if path.is_dir() else path
    if not file.is_file():
        raise FileNotFoundError(f"{file} not found; make one with `dynplan data crafter`")
    samples = []
    for n, line in enumerate(file.read_text().splitlines(), 1):
        try:
            sample = json.loads(line)
            messages = sample["messages"]
            assert messages[-1]["role"] == "assistant" and len(messages) >= 2
        except (json.JSONDecodeError, KeyError, TypeError, AssertionError, IndexError):
            raise ValueError(
                f"{file}:{n}: expected a JSON object with 'messages' ending in an assistant turn"
            ) from None
        samples.append(sample)
    if not samples:
        raise ValueError(f"{file} holds no samples")
    return samples


def data_hash(path: str | Path) -> str:
    """sha256 of the dataset's samples file."""
    path = Path(path)
    file = path / "samples.jsonl" if path.is_dir() else path
    digest = hashlib.sha256()
    with open(file, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def split_by_trajectory(samples: list[dict], eval_fraction: float, seed: int):
    """(train, held-out): whole trajectories (by env seed) go to one side."""
    seeds = sorted({s.get("meta", {}).get("seed", i) for i, s in enumerate(samples)})
    held = max(1, round(eval_fraction * len(seeds))) if eval_fraction > 0 else 0
    held_out = set(random.Random(seed).sample(seeds, min(held, len(seeds) - 1)))
    train = [s for i, s in enumerate(samples) if s.get("meta", {}).get("seed", i) not in held_out]
    test = [s for i, s in enumerate(samples) if s.get("meta", {}).get("seed", i) in held_out]
    return train, test


def encode_chat(tokenizer, messages: list[dict]) -> tuple[list[int], int]:
    """(token ids of the whole chat, number of prompt tokens), tokenized exactly as the
    transformers backend tokenizes the prompt at inference."""
    return encode_chats(tokenizer, [messages])[0]


def encode_chats(tokenizer, chats: list[list[dict]]) -> list[tuple[list[int], int]]:
    """`encode_chat` of many chats, tokenized in batches (a fast tokenizer uses every core)."""
    prompts, answers = [], []
    for messages in chats:
        prompt = tokenizer.apply_chat_template(
            messages[:-1], tokenize=False, add_generation_prompt=True
        )
        whole = tokenizer.apply_chat_template(messages, tokenize=False)
        if not whole.startswith(prompt):
            raise ValueError("the chat template does not extend the prompt with the answer")
        prompts.append(prompt)
        answers.append(whole[len(prompt) :])
    encoded = []
    for start in range(0, len(chats), 4096):
        batch = slice(start, start + 4096)
        prompt_ids = tokenizer(prompts[batch], add_special_tokens=False)["input_ids"]
        answer_ids = tokenizer(answers[batch], add_special_tokens=False)["input_ids"]
        encoded += [(p + a, len(p)) for p, a in zip(prompt_ids, answer_ids, strict=True)]
    return encoded


@dataclass
class EncodedData:
    """Samples as (suffix ids, labels) after the prefix all of them share."""

    prefix: list[int]
    train: list[dict]
    test: list[dict]


def encode_dataset(tokenizer, train: list[dict], test: list[dict], max_length: int):
    """Tokenize, find the shared prefix, keep the suffixes (answers never cut)."""
    encoded = [encode_chats(tokenizer, [s["messages"] for s in part]) for part in (train, test)]
    every = [row for part in encoded for row in part]
    shared = shared_prompt_prefix(every)
    if shared < MIN_SHARED_PREFIX:  # a chat template's few tokens: cheaper run with each row
        shared = 0
    prefix = every[0][0][:shared]

    def rows(part):
        out = []
        for ids, n_prompt in part:
            labels = [IGNORE] * n_prompt + ids[n_prompt:]
            prompt_labels = ids[:n_prompt] + [IGNORE] * (len(ids) - n_prompt)
            ids, labels, prompt_labels = ids[shared:], labels[shared:], prompt_labels[shared:]
            keep = max_length - shared
            if len(ids) > keep:  # cut the oldest context, never the answer
                ids, labels, prompt_labels = ids[-keep:], labels[-keep:], prompt_labels[-keep:]
            out.append({"input_ids": ids, "labels": labels, "prompt_labels": prompt_labels})
        return out

    return EncodedData(prefix, *(rows(part) for part in encoded))


def shared_prompt_prefix(rows: list[tuple[list[int], int]], prefix: list[int] | None = None) -> int:
    """How many leading tokens every (ids, prompt length) row shares (and `prefix`, if given),
    leaving each prompt at least one token of its own."""
    from agents.backends.transformers_backend import common_prefix_length

    sequences = [ids for ids, _ in rows] + ([prefix] if prefix is not None else [])
    return min(common_prefix_length(sequences), min(n for _, n in rows) - 1)


class SuffixCollator:
    """Right-pads suffixes into a batch; the shared prefix is added by the trainer. Rows may
    carry `prompt_labels` (their own prompt tokens, for `--prompt-loss-weight`)."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, rows: list[dict]) -> dict:
        import torch

        width = max(len(r["input_ids"]) for r in rows)
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        label_keys = [k for k in ("labels", "prompt_labels") if k in rows[0]]
        labels = {k: torch.full((len(rows), width), IGNORE, dtype=torch.long) for k in label_keys}
        for i, r in enumerate(rows):
            n = len(r["input_ids"])
            ids[i, :n] = torch.tensor(r["input_ids"])
            for key in label_keys:
                labels[key][i, :n] = torch.tensor(r[key])
            mask[i, :n] = 1
        return {"input_ids": ids, "attention_mask": mask, **labels}


def prefix_hidden(model, prefix_ids, input_ids, attention_mask):
    """The last hidden states (after the final norm) on the suffixes, given the shared prefix
    run once for the whole batch (gradients flow through it). [rows, width, hidden]."""
    import torch
    from transformers import DynamicCache

    rows, width = input_ids.shape
    n = len(prefix_ids)
    decoder = model.get_decoder()  # a peft model hands over its base's, LoRA layers in place
    if not n:  # plain sequences: no cache to fill
        out = decoder(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
        return out.last_hidden_state
    cache = DynamicCache()
    device = input_ids.device
    decoder(input_ids=torch.tensor([prefix_ids], device=device), cache=cache, use_cache=True)
    cache.batch_repeat_interleave(rows)
    full_mask = torch.cat([attention_mask.new_ones((rows, n)), attention_mask], 1)
    positions = n + torch.arange(width, device=input_ids.device)[None].expand(rows, -1)
    out = decoder(
        input_ids=input_ids,
        attention_mask=full_mask,
        position_ids=positions,
        cache=cache,
        use_cache=True,
    )
    return out.last_hidden_state


def prefix_forward(model, prefix_ids, input_ids, attention_mask):
    """The model's logits on every suffix position, given the shared prefix run once."""
    hidden = prefix_hidden(model, prefix_ids, input_ids, attention_mask)
    return model.get_output_embeddings()(hidden)


def answer_loss(model, hidden, labels, num_items: int | None = None):
    """Cross-entropy of each labelled token given the tokens before it (sum / count).

    The output layer runs only where a label follows (a Llama's logits are its output
    embedding of the last hidden state): a sample's prompt costs no vocabulary-sized logits."""
    import torch.nn.functional as F

    target = labels[:, 1:]
    keep = target != IGNORE
    logits = model.get_output_embeddings()(hidden[:, :-1][keep]).float()
    total = F.cross_entropy(logits, target[keep], reduction="sum")
    count = num_items if num_items is not None else int(keep.sum())
    return total / max(count, 1)


# -- models -----------------------------------------------------------------------------------
def scratch_texts(samples: list[dict], limit: int = 4000) -> list[str]:
    """Texts to train a scratch tokenizer on: a spread of the dataset's messages."""
    step = max(1, len(samples) // limit)
    return [m["content"] for s in samples[::step] for m in s["messages"]]


def load_model(config: SFTConfig, samples: list[dict], device: str):
    """(model, tokenizer, description of the base) for `config.model`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if config.is_scratch:
        from agents.scratch_model import build_scratch_model

        size = config.model.split(":", 1)[1]
        if size not in SCRATCH_SIZES:
            raise ValueError(f"scratch size must be one of {sorted(SCRATCH_SIZES)}, got {size!r}")
        shape = SCRATCH_SIZES[size]
        base_dir = Path(config.out) / "checkpoints" / "init"
        if not (base_dir / "config.json").is_file():
            build_scratch_model(
                base_dir,
                scratch_texts(samples),
                vocab_size=shape["vocab_size"],
                hidden_size=shape["hidden_size"],
                layers=shape["layers"],
                heads=shape["heads"],
                kv_heads=shape["kv_heads"],
                seed=config.seed,
            )
        path, base = base_dir, {"scratch": size, **shape}
    else:
        from agents.models import resolve_model

        path = resolve_model(config.model)
        base = {"path": str(path)}
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    dtype = getattr(torch, resolve_dtype(config.dtype, device))
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, local_files_only=True)
    if config.uses_lora:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(
            model,
            LoraConfig(
                r=config.lora_rank,
                lora_alpha=config.lora_alpha,
                target_modules=config.lora_targets,
                task_type="CAUSAL_LM",
            ),
        )
    model = model.to(device)
    if config.compile:
        compile_elementwise(model)
    return model, tokenizer, base


def compile_elementwise(model) -> None:
    """`torch.compile` each decoder layer's two norms and MLP, and the final norm, in place.

    At a width like SmolLM2-135M's (576) about a quarter of an eager step's GPU time is the
    element-wise work between the matrix products (the norms in float32, SiLU, the gate's
    product; `gpu_check --profile` on an H200); compiled, each module runs as a few fused
    kernels and keeps fewer activations, so larger batches fit. It pays where the GPU, not the
    launching of kernels, is the bound (docs/results/learned-planner.md, "On a GPU"). The layers
    share one compiled graph (shapes are dynamic: batches differ in length). Attention stays
    eager: it reads the shared prefix's cache."""
    decoder = model.get_decoder()
    for layer in decoder.layers:
        for part in (layer.input_layernorm, layer.post_attention_layernorm, layer.mlp):
            part.compile(dynamic=True)
    decoder.norm.compile(dynamic=True)


def _device(config: SFTConfig) -> str:
    """The device SFT trains on; `transformers.Trainer` puts a GPU run on cuda:0."""
    device = resolve_device(config.device)
    if device.startswith("cuda:") and device != "cuda:0":
        raise ValueError(f"SFT trains on cuda:0; pick {device} with CUDA_VISIBLE_DEVICES")
    return device


# -- training ---------------------------------------------------------------------------------
def make_trainer(config: SFTConfig, model, tokenizer, data: EncodedData, progress: bool = True):
    """A `transformers.Trainer` whose loss runs the shared prefix once per batch."""
    from transformers import Trainer, TrainingArguments

    prefix = data.prefix
    prompt_weight = config.prompt_loss_weight

    class PrefixSharingTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            hidden = prefix_hidden(model, prefix, inputs["input_ids"], inputs["attention_mask"])
            items = int(num_items_in_batch) if num_items_in_batch is not None else None
            loss = answer_loss(model, hidden, inputs["labels"], items)
            if prompt_weight > 0 and model.training:  # held-out loss stays the answers' alone
                loss = loss + prompt_weight * answer_loss(model, hidden, inputs["prompt_labels"])
            return (loss, {}) if return_outputs else loss

    device = str(next(model.parameters()).device)
    args = TrainingArguments(
        output_dir=str(Path(config.out) / "checkpoints"),
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        train_sampling_strategy="group_by_length" if config.group_by_length else "random",
        learning_rate=config.lr(),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        lr_scheduler_type="cosine",
        warmup_steps=0.05,
        weight_decay=0.0,
        logging_steps=10,
        logging_first_step=True,
        eval_strategy="steps" if data.test else "no",
        eval_steps=config.eval_steps,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=2,
        prediction_loss_only=True,
        remove_unused_columns=False,
        report_to=[],
        seed=config.seed,
        bf16=resolve_dtype(config.dtype, device) == "bfloat16",
        use_cpu=device == "cpu",
        dataloader_num_workers=0,
        disable_tqdm=not progress,
    )
    return PrefixSharingTrainer(
        model=model,
        args=args,
        train_dataset=data.train,
        eval_dataset=data.test or None,
        data_collator=SuffixCollator(tokenizer.pad_token_id or 0),
        callbacks=[time_limit(config.max_minutes)] if config.max_minutes else None,
    )


def time_limit(minutes: float):
    """A callback that ends training (with a save) once `minutes` of it have passed; the
    learning-rate schedule still runs to `max_steps`, so a stopped run ends at a higher rate."""
    from transformers import TrainerCallback

    class _TimeLimit(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            self.deadline = time.monotonic() + 60 * minutes

        def on_step_end(self, args, state, control, **kwargs):
            if time.monotonic() >= self.deadline:
                control.should_training_stop = True
                control.should_save = True
            return control

    return _TimeLimit()


def train_sft(config: SFTConfig, resume: bool = False, progress: bool = True) -> dict:
    """Run SFT; write the model (or adapter), tokenizer and model card to `config.out`."""
    from transformers import set_seed

    out = Path(config.out)
    if (out / CARD).exists():
        card = json.loads((out / CARD).read_text())
        if not resume:
            raise FileExistsError(f"{out} already holds a trained model; pick another --out")
        if card["config"] == asdict(config):
            return card  # finished with this very config: nothing left to do
    check_and_record_run_config(out, config, SFT_RESUME_FREE, resume)
    device = _device(config)
    set_seed(config.seed)
    samples = load_samples(config.data)
    train, test = split_by_trajectory(samples, config.eval_fraction, config.seed)
    model, tokenizer, base = load_model(config, samples, device)
    data = encode_dataset(tokenizer, train, test, config.max_length)
    trainer = make_trainer(config, model, tokenizer, data, progress)
    checkpoints = out / "checkpoints"
    has_checkpoint = checkpoints.is_dir() and any(checkpoints.glob("checkpoint-*"))
    trainer.train(resume_from_checkpoint=True if resume and has_checkpoint else None)
    held_out = trainer.evaluate()["eval_loss"] if data.test else None
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    history = trainer.state.log_history
    card = {
        "kind": "lora-adapter" if config.uses_lora else "model",
        "base": base,
        "config": asdict(config),
        "command": cli_command("dynplan train sft", config),
        "data": _data_card(config.data),
        "prompt": _data_card(config.data)["prompt"],  # how the model must be prompted
        "samples": {"train": len(data.train), "held_out": len(data.test)},
        "shared_prefix_tokens": len(data.prefix),
        "steps": trainer.state.global_step,
        "stopped_by_time_limit": trainer.state.global_step < trainer.state.max_steps,
        "parameters": sum(p.numel() for p in model.parameters()),
        "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "train_loss": [{"step": h["step"], "loss": h["loss"]} for h in history if "loss" in h],
        "held_out_loss": list(
            {
                h["step"]: {"step": h["step"], "loss": h["eval_loss"]}
                for h in history
                if "eval_loss" in h
            }.values()
        ),
        "final_held_out_loss": held_out,
        "device": device,
        "dtype": resolve_dtype(config.dtype, device),
        "versions": package_versions(),
    }
    card["perplexity"] = math.exp(held_out) if held_out is not None else None
    (out / CARD).write_text(json.dumps(card, indent=1))
    write_model_readme(out, card)
    return card


def _data_card(data: str) -> dict[str, Any]:
    path = Path(data)
    card_file = (path if path.is_dir() else path.parent) / "card.json"
    card = json.loads(card_file.read_text()) if card_file.is_file() else {}
    command = card.get("command")
    if command is None and card.get("config"):
        from baselines.planning_data import DataConfig, data_command

        command = data_command(DataConfig.from_dict(card["config"]))
    return {
        "path": str(path),
        "sha256": data_hash(path),
        "config": card.get("config"),
        "command": command,
        "prompt": card.get("prompt"),
    }


def write_model_readme(out: Path, card: dict) -> None:
    """A short human-readable model card next to card.json."""
    losses = card["train_loss"]
    first, last = (losses[0]["loss"], losses[-1]["loss"]) if losses else (math.nan, math.nan)
    base = card["base"]
    if "scratch" in base:
        base = (
            f"scratch:{base['scratch']} (a Llama: hidden {base['hidden_size']}, "
            f"{base['layers']} layers, vocab {base['vocab_size']}, tokenizer trained on the data)"
        )
    else:
        base = base["path"]
    held_out = card["final_held_out_loss"]
    lines = [
        f"# {out.name}",
        "",
        f"SFT of {base} on dynplan-gym synthetic planning data ({card['kind']}).",
        "",
        f"- command: `{card['command'] or 'train_sft(...)'}`",
        f"- data: `{card['data']['path']}` (sha256 {card['data']['sha256'][:16]}...)",
        f"- samples: {card['samples']['train']} train, {card['samples']['held_out']} held out",
        f"- data command: `{card['data'].get('command')}`",
        f"- steps: {card['steps']}; train loss {first:.3f} -> {last:.3f}; held-out loss "
        + (f"{held_out:.3f}" if held_out is not None else "(none held out)"),
        f"- parameters: {card['parameters']:,} ({card['trainable_parameters']:,} trained)",
        "",
        "Load: `dynplan eval --agent llm:dynamic --backend transformers --model "
        + ("BASE --adapter THIS_DIR`" if card["kind"] == "lora-adapter" else "THIS_DIR`"),
        "",
        "All numbers, the data config and versions are in `card.json`.",
    ]
    (out / "README.md").write_text("\n".join(lines) + "\n")
