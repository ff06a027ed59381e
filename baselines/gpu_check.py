"""The GPU path measured in one short run (`scripts/gpu_check.sh`), printed as one table.

Each of our code paths is measured beside a plain-transformers anchor on the same model:
  sft       our SFT step (`baselines.sft`: the Trainer whose loss runs the shared prompt prefix
            once per batch and the output layer on answer tokens only, batches grouped by
            length), full fine-tuning on synthetic planning samples; again with `--compile`
            (each layer's norms and MLP compiled); `--profile` adds one profiled step a row;
  anchor    a plain full fine-tuning step (forward, backward, AdamW) at sequence length 1024;
  ppo       env steps/s of `baselines.ppo_llm` (rollout, scoring and update) at a small size;
  runner    env steps/s of the leaderboard's `EvaluationRun` with `LLMAgent` on the
            `TransformersBackend`, all episodes in lockstep, for `llm:never` and `llm:always`;
  anchor    plain `model.generate`: a 900-token prompt and 16 new tokens.
MFU = 6 x parameters x tokens run per second / the GPU's peak bf16 FLOP/s (attention left
out). The sft row's tokens/s counts each sample whole (what a step without the shared prefix
would run); its MFU counts what the model runs (the prefix once a batch).

Nothing is downloaded: without `--model`, the model is a Llama shaped like SmolLM2-135M,
built from its config with random weights, and a byte-level BPE tokenizer trained on the
generated samples (the embedding padded to SmolLM2's vocabulary). A random model writes every
answer up to its token limit, so runner rows are the slow end of the model's speed.
`--tiny` runs the same code with a tiny model and batch sizes on a CPU, in seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import gc
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import PrinterCallback, TrainerCallback
from transformers.utils import logging as transformers_logging

from agents.devices import TRAIN_DTYPES, add_device_arguments, resolve_device, resolve_dtype

# SmolLM2-135M's shape (its config.json), built locally when no --model is given.
SMOLLM2_SHAPE = {
    "vocab_size": 49152,
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "max_position_embeddings": 8192,
    "rope_theta": 100000.0,
    "rms_norm_eps": 1e-5,
    "tie_word_embeddings": True,
}
# What a run can measure (`--parts`), in the table's order.
PARTS = ("sft", "anchor", "ppo", "inference")
# Dense bf16 peak FLOP/s by a name the GPU reports; `--peak-flops` covers the rest.
PEAK_BF16_FLOPS = {"H100": 989e12, "H200": 989e12, "A100": 312e12}


@dataclass(frozen=True)
class Sizes:
    """How much of each measurement to run."""

    sft_batches: tuple[int, ...]
    sft_compiled_batches: tuple[int, ...]  # the same step with `--compile` (norms and MLP)
    anchor_batches: tuple[int, ...]
    sequence_length: int
    train_steps: int  # timed, after the warm-up steps
    warmup_steps: int
    runner_envs: tuple[int, ...]
    runner_steps: int  # lockstep steps of every env
    generate_batches: tuple[int, ...]
    prompt_tokens: int
    new_tokens: int
    generate_rounds: int
    ppo_envs: int
    ppo_rollout_steps: int
    ppo_updates: int
    ppo_lora_rank: int
    data_trajectories: int  # at least; more when the SFT rows need more samples
    data_max_steps: int

    @property
    def sft_steps(self) -> int:
        """Optimizer steps an SFT row runs: warm-up, timed, and one to profile."""
        return self.warmup_steps + self.train_steps + 1

    def samples_needed(self) -> int:
        """Samples for the largest SFT row's steps without a partial batch (an epoch's last
        batch is smaller, and a row counts every step as a full batch)."""
        return max(self.sft_batches + self.sft_compiled_batches) * self.sft_steps


FULL = Sizes(
    sft_batches=(64, 256, 1024),
    sft_compiled_batches=(256, 512),
    anchor_batches=(16, 64),
    sequence_length=1024,
    train_steps=10,
    warmup_steps=3,
    runner_envs=(1, 16, 64),
    runner_steps=8,
    generate_batches=(1, 64, 256),
    prompt_tokens=900,
    new_tokens=16,
    generate_rounds=3,
    ppo_envs=16,
    ppo_rollout_steps=16,
    ppo_updates=2,
    ppo_lora_rank=16,
    data_trajectories=8,
    data_max_steps=100,
)
TINY = Sizes(
    sft_batches=(2,),
    sft_compiled_batches=(2,),
    anchor_batches=(2,),
    sequence_length=1024,
    train_steps=2,
    warmup_steps=1,
    runner_envs=(1, 2),
    runner_steps=2,
    generate_batches=(1, 4),
    prompt_tokens=900,
    new_tokens=16,
    generate_rounds=1,
    ppo_envs=2,
    ppo_rollout_steps=2,
    ppo_updates=1,
    ppo_lora_rank=4,
    data_trajectories=2,
    data_max_steps=20,
)


def sizes_for(tiny: bool, device: str) -> Sizes:
    """The tiny sizes, or the full ones (batch 64 training only on a GPU)."""
    if tiny:
        return TINY
    if device == "cpu":
        return dataclasses.replace(
            FULL, sft_batches=(16,), sft_compiled_batches=(16,), anchor_batches=(16,)
        )
    return FULL


@dataclass
class MeasuredRate:
    """One line of the table: a rate, and the tokens/s and MFU it implies."""

    rate: float
    unit: str
    tokens_per_s: float | None = None
    mfu: float | None = None
    note: str = ""
    name: str = ""  # set by `measured`
    profile: str = ""  # where one step's GPU time went, printed after the table


@dataclass
class Setup:
    """What every measurement shares."""

    model_dir: Path
    data_dir: Path
    work: Path
    device: str
    dtype: str
    sizes: Sizes
    peak_flops: float | None
    parts: tuple[str, ...] = PARTS
    profile: bool = False  # profile one extra SFT step of each row (kernels by GPU time)
    instruction: bool = True  # prompts open with the system message, a shared prefix


# -- device and timing -----------------------------------------------------------------------
def synchronize(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def timed(step: Callable[[], object], warmup: int, rounds: int, device: str) -> float:
    """Seconds that `rounds` calls of `step` take, after `warmup` untimed calls."""
    for _ in range(warmup):
        step()
    synchronize(device)
    started = time.perf_counter()
    for _ in range(rounds):
        step()
    synchronize(device)
    return time.perf_counter() - started


def peak_flops(device: str, override: float | None) -> float | None:
    """The peak bf16 FLOP/s of `device`: `override`, the table's entry for its name, or None
    (a CPU, or a GPU the table does not know)."""
    if override:
        return override
    if not device.startswith("cuda"):
        return None
    name = torch.cuda.get_device_name(torch.device(device))
    return next((flops for key, flops in PEAK_BF16_FLOPS.items() if key in name), None)


def mfu(parameters: int, tokens_per_s: float, peak: float | None) -> float | None:
    return 6 * parameters * tokens_per_s / peak if peak else None


def free_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


# -- data and model --------------------------------------------------------------------------
def make_data(out: Path, sizes: Sizes, instruction: bool = True) -> list[dict]:
    """Synthetic planning samples from the expert (`baselines.planning_data`), enough for
    every SFT row (the expert lives through nearly all of its `data_max_steps`); prompts open
    with the system message unless `instruction` is False (the recipes' prompts)."""
    from baselines.planning_data import DataConfig, generate
    from baselines.sft import load_samples

    wanted = math.ceil(1.25 * sizes.samples_needed() / sizes.data_max_steps)
    trajectories = max(sizes.data_trajectories, wanted)
    config = DataConfig(
        trajectories=trajectories, max_steps=sizes.data_max_steps, instruction=instruction
    )
    workers = max(1, min(8, os.cpu_count() or 1, trajectories // 16))  # processes pay off
    generate(config, out, workers=workers, progress=False)
    return load_samples(out)


def build_model(out: Path, samples: list[dict], tiny: bool) -> Path:
    """A random model with a tokenizer trained on the samples: scratch:tiny, or SmolLM2-135M's
    shape (the embedding padded to its vocabulary)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from agents.scratch_model import build_scratch_model, train_tokenizer
    from baselines.sft import SCRATCH_SIZES, scratch_texts

    texts = scratch_texts(samples)
    if tiny:
        shape = SCRATCH_SIZES["tiny"]
        return build_scratch_model(
            out,
            texts,
            vocab_size=shape["vocab_size"],
            hidden_size=shape["hidden_size"],
            layers=shape["layers"],
            heads=shape["heads"],
            kv_heads=shape["kv_heads"],
        )
    tokenizer = train_tokenizer(texts, SMOLLM2_SHAPE["vocab_size"])
    config = LlamaConfig(
        **SMOLLM2_SHAPE,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def load_causal_lm(setup: Setup):
    from transformers import AutoModelForCausalLM

    dtype = getattr(torch, setup.dtype)
    model = AutoModelForCausalLM.from_pretrained(
        setup.model_dir, dtype=dtype, local_files_only=True
    )
    return model.to(setup.device)


def parameter_count(model) -> int:
    return sum(p.numel() for p in model.parameters())


# -- training: our SFT step and the plain anchor ----------------------------------------------
class StepClock(TrainerCallback):
    """Times each optimizer step's end; keeps the Trainer from saving checkpoints."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.ends: list[float] = []

    def on_step_end(self, args, state, control, **kwargs):
        synchronize(self.device)
        self.ends.append(time.perf_counter())
        control.should_save = False
        return control


class StepProfile(TrainerCallback):
    """Profiles optimizer step `at` (torch.profiler) and keeps its kernels by GPU time."""

    def __init__(self, at: int, device: str) -> None:
        self.at, self.device = at, device
        self.profiler = None
        self.table = ""

    def on_step_begin(self, args, state, control, **kwargs):
        if state.global_step == self.at:
            from torch.profiler import ProfilerActivity, profile

            activities = [ProfilerActivity.CPU]
            if self.device.startswith("cuda"):
                activities.append(ProfilerActivity.CUDA)
            self.profiler = profile(activities=activities)
            self.profiler.__enter__()

    def on_step_end(self, args, state, control, **kwargs):
        if self.profiler is not None:
            synchronize(self.device)
            self.profiler.__exit__(None, None, None)
            on_gpu = self.device.startswith("cuda")
            key = "self_device_time_total" if on_gpu else "self_cpu_time_total"
            self.table = self.profiler.key_averages().table(sort_by=key, row_limit=15)
            self.profiler = None


@functools.cache
def encoded_samples(model_dir: Path, data_dir: Path):
    """(samples, `EncodedData`) of the check's data with the model's tokenizer, made once for
    every SFT row."""
    from transformers import AutoTokenizer

    from baselines.sft import SFTConfig, encode_dataset, load_samples

    samples = load_samples(data_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    max_length = SFTConfig(data="", out="").max_length
    return samples, encode_dataset(tokenizer, samples, [], max_length)


def measure_sft(setup: Setup, batch: int, compile: bool = False) -> MeasuredRate:
    """Our SFT step: `baselines.sft`'s Trainer and shared-prefix loss, full fine-tuning,
    batches grouped by length; `compile`: with `--compile`. With `setup.profile`, one more
    step runs under the profiler after the timed ones."""
    from baselines.sft import SFTConfig, load_model, make_trainer

    sizes = setup.sizes
    samples, data = encoded_samples(setup.model_dir, setup.data_dir)
    timed_end = sizes.warmup_steps + sizes.train_steps
    steps = timed_end + int(setup.profile)
    if len(data.train) < batch * steps:  # a partial batch would be counted as a full one
        return MeasuredRate(
            math.nan, "", note=f"{len(data.train)} samples: too few for {steps} x {batch}"
        )
    config = SFTConfig(
        data=str(setup.data_dir),
        out=str(setup.work / f"sft-{batch}"),
        model=str(setup.model_dir),
        lora_rank=0,
        batch_size=batch,
        max_steps=steps,
        group_by_length=True,
        compile=compile,
        eval_fraction=0.0,
        device=setup.device,
        dtype=setup.dtype,
    )
    model, tokenizer, _ = load_model(config, samples, setup.device)
    trainer = make_trainer(config, model, tokenizer, data, progress=False)
    trainer.remove_callback(PrinterCallback)  # its log lines would break up the table
    clock = StepClock(setup.device)
    trainer.add_callback(clock)
    profiled = StepProfile(timed_end, setup.device)
    if setup.profile:
        trainer.add_callback(profiled)
    trainer.train()
    seconds = clock.ends[timed_end - 1] - clock.ends[sizes.warmup_steps - 1]
    samples_per_s = batch * sizes.train_steps / seconds
    own = sum(len(row["input_ids"]) for row in data.train) / len(data.train)
    run_tokens = own + len(data.prefix) / batch  # what the model runs per sample
    return MeasuredRate(
        samples_per_s,
        "samples/s",
        samples_per_s * (len(data.prefix) + own),
        mfu(parameter_count(model), samples_per_s * run_tokens, setup.peak_flops),
        f"{len(data.prefix)} shared + {own:.0f} own tokens a sample",
        profile=profiled.table,
    )


def measure_anchor_train(setup: Setup, batch: int) -> MeasuredRate:
    """A plain full fine-tuning step: forward, backward, AdamW on `batch` x 1024 tokens."""
    sizes = setup.sizes
    model = load_causal_lm(setup).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    shape = (batch, sizes.sequence_length)
    ids = torch.randint(model.config.vocab_size, shape, device=setup.device)

    def step() -> None:
        model(input_ids=ids, labels=ids).loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    seconds = timed(step, sizes.warmup_steps, sizes.train_steps, setup.device)
    samples_per_s = batch * sizes.train_steps / seconds
    tokens_per_s = samples_per_s * sizes.sequence_length
    return MeasuredRate(
        samples_per_s,
        "samples/s",
        tokens_per_s,
        mfu(parameter_count(model), tokens_per_s, setup.peak_flops),
    )


# -- inference: the runner and the plain anchor -----------------------------------------------
@contextmanager
def speed_protocol(envs: int, steps: int) -> Iterator:
    """A throwaway protocol of `envs` seeds x `steps` steps, known to the result schema while
    the run lasts."""
    from leaderboard.protocols import PROTOCOLS, get_protocol

    protocol = dataclasses.replace(
        get_protocol("crafter-bench"),
        id=f"gpu-check-{envs}x{steps}",
        description="gpu_check speed run (not for ranking)",
        seeds=tuple(range(100, 100 + envs)),  # development seeds: no result on the board
        max_steps=steps,
    )
    PROTOCOLS[protocol.id] = protocol
    try:
        yield protocol
    finally:
        del PROTOCOLS[protocol.id]


def measure_runner(
    setup: Setup, backend, strategy: str, envs: int, decode: str = ""
) -> MeasuredRate:
    """Env steps/s of `EvaluationRun` (LLMAgent on the backend), env resets left out."""
    from agents.llm_agent import LLMAgent
    from leaderboard.agent_specs import describe
    from leaderboard.runner import EvaluationRun

    spec = describe(f"llm:{strategy}", name=f"gpu-check/{strategy}", model=str(setup.model_dir))
    out = setup.work / f"runner-{strategy}-{envs}x{setup.sizes.runner_steps}-{backend.decode}"
    if out.exists():  # a warm-up run of the same size
        import shutil

        shutil.rmtree(out)
    with speed_protocol(envs, setup.sizes.runner_steps) as protocol:
        agent = LLMAgent(backend, strategy)
        episodes = EvaluationRun(agent, spec, protocol, out, num_envs=envs).run(progress=False)
    seconds = sum(e.wall_time for e in episodes.episodes)  # the act -> step loop
    steps = sum(e.length for e in episodes.episodes)
    generated = sum(e.completion_tokens for e in episodes.episodes)
    return MeasuredRate(
        steps / seconds,
        "env steps/s",
        generated / seconds,
        note="tokens/s: generated" + (f"; decode {decode}" if decode else ""),
    )


def measure_generate(setup: Setup, model, batch: int) -> MeasuredRate:
    """Plain `model.generate`: `batch` random prompts of ~900 tokens, 16 new tokens each."""
    sizes = setup.sizes
    shape = (batch, sizes.prompt_tokens)
    ids = torch.randint(model.config.vocab_size, shape, device=setup.device)
    mask = torch.ones_like(ids)

    @torch.inference_mode()
    def call() -> None:
        model.generate(
            input_ids=ids,
            attention_mask=mask,
            max_new_tokens=sizes.new_tokens,
            min_new_tokens=sizes.new_tokens,
            do_sample=False,
            pad_token_id=model.config.pad_token_id,
        )

    seconds = timed(call, 1, sizes.generate_rounds, setup.device)
    sequences_per_s = batch * sizes.generate_rounds / seconds
    return MeasuredRate(
        sequences_per_s,
        "sequences/s",
        sequences_per_s * sizes.new_tokens,
        note="tokens/s: generated",
    )


def inference_rows(setup: Setup) -> Iterator[MeasuredRate]:
    """The runner at each env count and strategy (the backend's default decoding: CUDA graphs
    on a GPU), the dynamic-cache decoding at the most envs as the reference, then the generate
    anchor, on one model."""
    from agents.backends.transformers_backend import TransformersBackend

    sizes = setup.sizes
    backends = {
        decode: TransformersBackend(
            setup.model_dir, dtype=setup.dtype, device=setup.device, decode=decode
        )
        for decode in ("auto", "dynamic")
    }
    default = backends["auto"]
    warm = dataclasses.replace(setup, sizes=dataclasses.replace(sizes, runner_steps=1))
    for backend in backends.values():
        for strategy in ("never", "always"):  # first-call costs (graphs) stay out of the rows
            measure_runner(warm, backend, strategy, max(sizes.runner_envs))
    for strategy in ("never", "always"):
        for envs in sizes.runner_envs:
            name = f"runner: llm:{strategy}, envs {envs} x {sizes.runner_steps} steps"
            yield measured(name, measure_runner, setup, default, strategy, envs, default.decode)
        envs = max(sizes.runner_envs)
        name = f"runner: llm:{strategy}, envs {envs}, dynamic cache (reference)"
        yield measured(name, measure_runner, setup, backends["dynamic"], strategy, envs, "dynamic")
    for batch in sizes.generate_batches:
        name = (
            f"anchor: model.generate, {sizes.prompt_tokens}+{sizes.new_tokens} tokens, "
            f"batch {batch}"
        )
        yield measured(name, measure_generate, setup, default.model, batch)


# -- PPO ---------------------------------------------------------------------------------------
def measure_ppo(setup: Setup) -> MeasuredRate:
    """Env steps/s of `baselines.ppo_llm` (LoRA), over its last update: rollout + update."""
    from baselines.ppo_llm import PPOConfig, PPOTrainer

    sizes = setup.sizes
    config = PPOConfig(
        model=str(setup.model_dir),
        out=str(setup.work / "ppo"),
        num_envs=sizes.ppo_envs,
        rollout_steps=sizes.ppo_rollout_steps,
        updates=sizes.ppo_updates,
        minibatch_size=min(32, sizes.ppo_envs * sizes.ppo_rollout_steps),
        lora_rank=sizes.ppo_lora_rank,
        device=setup.device,
        dtype=setup.dtype,
    )
    card = PPOTrainer(config, progress=False).train()
    last = card["log"][-1]
    steps = sizes.ppo_envs * sizes.ppo_rollout_steps
    return MeasuredRate(
        steps / last["seconds"],
        "env steps/s",
        note=f"update {last['update']} of {sizes.ppo_updates}",
    )


# -- the run -----------------------------------------------------------------------------------
def measured(name: str, measure: Callable[..., MeasuredRate], *args) -> MeasuredRate:
    """`measure(*args)` as the row `name`; a row that says so if the GPU ran out of memory."""
    try:
        row = measure(*args)
    except torch.OutOfMemoryError:
        row = MeasuredRate(math.nan, "", note="out of GPU memory")
    free_memory()
    return dataclasses.replace(row, name=name)


def all_rows(setup: Setup) -> Iterator[MeasuredRate]:
    """The rows of `setup.parts`, in the table's order."""
    sizes = setup.sizes
    if "sft" in setup.parts:
        prompts = "shared prefix" if setup.instruction else "no system message"
        for batch in sizes.sft_batches:
            name = f"sft: our step (Trainer, {prompts}, by length), batch {batch}"
            yield measured(name, measure_sft, setup, batch)
        for batch in sizes.sft_compiled_batches:
            name = f"sft: our step, --compile (norms and MLP compiled), batch {batch}"
            yield measured(name, measure_sft, setup, batch, True)
    if "anchor" in setup.parts:
        for batch in sizes.anchor_batches:
            name = f"anchor: plain full FT step, {sizes.sequence_length} tokens, batch {batch}"
            yield measured(name, measure_anchor_train, setup, batch)
    if "ppo" in setup.parts:
        name = (
            f"ppo: envs {sizes.ppo_envs} x {sizes.ppo_rollout_steps} steps, "
            f"LoRA {sizes.ppo_lora_rank}"
        )
        yield measured(name, measure_ppo, setup)
    if "inference" in setup.parts:
        yield from inference_rows(setup)


def format_row(row: MeasuredRate) -> str:
    if math.isfinite(row.rate):
        rate = f"{row.rate:,.1f} {row.unit}" if row.rate >= 10 else f"{row.rate:.3g} {row.unit}"
    else:
        rate = "failed"
    tokens = f"{row.tokens_per_s:,.0f}" if row.tokens_per_s is not None else "-"
    share = f"{100 * row.mfu:.1f} %" if row.mfu is not None else "n/a"
    return f"| {row.name} | {rate} | {tokens} | {share} | {row.note} |"


def header(setup: Setup, model_name: str) -> list[str]:
    name = torch.cuda.get_device_name(setup.device) if setup.device.startswith("cuda") else "CPU"
    peak = f"{setup.peak_flops:.3g} FLOP/s" if setup.peak_flops else "unknown (MFU n/a)"
    return [
        f"device: {setup.device} ({name}), {setup.dtype}; peak bf16: {peak}",
        f"model: {model_name}",
        "",
        "| measurement | rate | tokens/s | MFU | note |",
        "| --- | ---: | ---: | ---: | --- |",
    ]


def run_check(args: argparse.Namespace, work: Path) -> int:
    """Make the data and model, then print the table a row at a time."""
    device = resolve_device(args.device)
    sizes = sizes_for(args.tiny, device)
    if args.sft_batches:
        batches = args.sft_batches
        sizes = dataclasses.replace(sizes, sft_batches=batches, sft_compiled_batches=batches)
    samples = make_data(work / "data", sizes, args.instruction)
    if args.model:
        from agents.models import resolve_model

        model_dir, model_name = resolve_model(args.model), args.model
    else:
        model_dir = build_model(work / "model", samples, args.tiny)
        model_name = "scratch:tiny" if args.tiny else "SmolLM2-135M's shape, random weights"
    setup = Setup(
        model_dir=model_dir,
        data_dir=work / "data",
        work=work,
        device=device,
        dtype=resolve_dtype(args.dtype, device),
        sizes=sizes,
        peak_flops=peak_flops(device, args.peak_flops),
        parts=args.parts,
        profile=args.profile,
        instruction=args.instruction,
    )
    started = time.perf_counter()
    for line in header(setup, model_name):
        print(line, flush=True)
    profiles = []
    for row in all_rows(setup):
        print(format_row(row), flush=True)
        if row.profile:
            profiles.append(f"\n{row.name}: one step, kernels by time\n{row.profile}")
    print(f"\n{time.perf_counter() - started:.0f} s of measurements", flush=True)
    print("".join(profiles), flush=True)
    return 0


def parse_parts(text: str) -> tuple[str, ...]:
    parts = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [part for part in parts if part not in PARTS]
    if unknown or not parts:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(PARTS)}, got {text!r}"
        )
    return parts


def parse_batches(text: str) -> tuple[int, ...]:
    try:
        batches = tuple(int(part) for part in text.split(","))
    except ValueError:
        batches = ()
    if not batches or min(batches) < 1:
        raise argparse.ArgumentTypeError(f"expected batch sizes like 256,512, got {text!r}")
    return batches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/gpu_check.sh", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--tiny", action="store_true", help="a tiny model and sizes (CPU, CI)")
    parser.add_argument("--model", default=None, help="a local HF model directory or name")
    parser.add_argument("--peak-flops", type=float, default=None, help="peak bf16 FLOP/s")
    parser.add_argument(
        "--parts",
        type=parse_parts,
        default=PARTS,
        help=f"comma-separated, of {','.join(PARTS)} (default: all)",
    )
    parser.add_argument(
        "--sft-batches",
        type=parse_batches,
        default=None,
        help="comma-separated batch sizes of the SFT rows, eager and compiled (default: 64,256,"
        "1024 eager, 256 compiled)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile one step of each SFT row (kernels)"
    )
    parser.add_argument(
        "--no-instruction",
        dest="instruction",
        action="store_false",
        help="SFT data without the system message, as the recipes train (no shared prefix)",
    )
    add_device_arguments(parser, TRAIN_DTYPES)
    args = parser.parse_args(argv)
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as work:
        return run_check(args, Path(work))


if __name__ == "__main__":
    sys.exit(main())
