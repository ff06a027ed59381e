"""The configs of the training runs (SFT, PPO): one source for defaults, CLI flags and the
command lines the model cards record. Light to import: building `dynplan --help` reads them."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from agents.devices import TRAIN_DTYPES, add_device_arguments
from dynplan_gym.plan_cost import DEFAULT_PER_PLAN, DEFAULT_PER_TOKEN

RAY_HELP = "run the runs on Ray: local (a local Ray of --workers CPUs) or a cluster's address"
LEARNING_RATES = {"scratch": 1e-3, "lora": 2e-4, "full": 2e-5}  # SFT's, by what it trains
LEARNING_RATES_HELP = ", ".join(f"{rate:g} {kind}" for kind, rate in LEARNING_RATES.items())


def option(
    default: Any = dataclasses.MISSING,
    help: str = "",
    *,
    factory=None,
    flag: str | None = None,
    choices: tuple | None = None,
):
    """A config field with its command-line help (its flag's name where it is not the field's,
    the values it may take): the one place a setting's default, flag and help are written."""
    metadata = {"help": help, "flag": flag, "choices": choices}
    metadata = {key: value for key, value in metadata.items() if value}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def flag_of(f: dataclasses.Field) -> str:
    """A field's flag: `--field-name`, or `--` and the name its `option(flag=...)` gives."""
    return "--" + f.metadata.get("flag", f.name).replace("_", "-")


def _default(f: dataclasses.Field) -> Any:
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def _as_text(value: Any) -> str:
    """A value as its flag writes it: lists and tuples comma-separated, dicts as k=v,k=v."""
    if isinstance(value, dict):
        return ",".join(
            f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _parser_of(kind: Any, flag: str, prog: str):
    """The argparse `type` that reads a flag of field type `kind`; text it cannot read ends
    the command with one line (`prog: ...`), as the commands' other refusals do."""
    origin, parts = typing.get_origin(kind), typing.get_args(kind)
    if origin is dict:  # name=weight,name=weight
        value_type = parts[1]

        def weights(text: str) -> dict:
            try:
                pairs = (part.split("=") for part in text.split(","))
                return {name: value_type(value) for name, value in pairs}
            except ValueError:
                raise SystemExit(
                    f"{prog}: {flag} must look like name=weight,name=weight (e.g. "
                    f"every=1,dynamic=1); got {text!r}"
                ) from None

        return weights
    if origin is tuple:  # comma-separated items of one type
        item = parts[0]

        def items(text: str) -> tuple:
            try:
                return tuple(item(part) for part in text.split(",") if part)
            except ValueError:
                raise SystemExit(
                    f"{prog}: {flag} takes comma-separated {item.__name__} values, got {text!r}"
                ) from None

        return items
    return kind


def cli_command(
    prefix: str, config, always: tuple[str, ...] = ("model",), positional: tuple[str, ...] = ()
) -> str:
    """The command line that runs `config`: its `positional` fields, its required fields,
    `always` and every non-default one, in the order the config lists them."""
    parts = [prefix, *(shlex.quote(str(getattr(config, name))) for name in positional)]
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if f.name in positional or (value == _default(f) and f.name not in always):
            continue
        flag = flag_of(f)
        if isinstance(value, bool):
            parts.append(flag if value else "--no-" + flag[2:])
            continue
        parts.append(f"{flag} {shlex.quote(_as_text(value))}")
    return " ".join(parts)


def add_config_arguments(
    parser: argparse.ArgumentParser,
    config_class: type,
    positional: tuple[str, ...] = (),
    unset_is_default: bool = False,
) -> None:
    """A flag per field of a config dataclass (`flag_of`; required when the field has no
    default; `positional` fields as positional arguments; lists, tuples and dicts as
    comma-separated text), its help from the field's `option`, `--device` and `--dtype` from
    the device rule. `unset_is_default`: a flag not given is left out of the parsed arguments,
    so the config's own default applies (and a caller can tell what was given)."""
    hints = typing.get_type_hints(config_class)
    for f in dataclasses.fields(config_class):
        if f.name in ("device", "dtype"):
            continue
        flag, default = flag_of(f), _default(f)
        kind = hints[f.name]
        if isinstance(kind, types.UnionType):  # `float | None`: the value's type
            kind = next(t for t in typing.get_args(kind) if t is not type(None))
        help_text = f.metadata.get("help", "")
        if f.name in positional:
            parser.add_argument(f.name, choices=f.metadata.get("choices"), help=help_text or None)
            continue
        if default is dataclasses.MISSING:
            parser.add_argument(flag, required=True, help=help_text or None)
            continue
        unset = {"default": argparse.SUPPRESS} if unset_is_default else {}
        if "choices" in f.metadata:
            parser.add_argument(
                flag,
                choices=f.metadata["choices"],
                **({"default": default} | unset),
                help=help_text or None,
            )
            continue
        shown = _as_text(default) if isinstance(default, list | tuple | dict) else default
        if isinstance(default, list):
            parser.add_argument(
                flag,
                **({"default": ",".join(default)} | unset),
                help=help_text or "comma-separated",
            )
        elif isinstance(default, bool):
            parser.add_argument(
                flag,
                action=argparse.BooleanOptionalAction,
                **({"default": default} | unset),
                help=help_text or None,
            )
        else:
            suffix = f" (default {shown})" if shown is not None else ""
            parser.add_argument(
                flag,
                type=_parser_of(kind, flag, parser.prog),
                **({"default": default} | unset),
                help=(help_text + suffix).strip() or None,
            )
    names = {f.name for f in dataclasses.fields(config_class)}
    if "dtype" in names:
        add_device_arguments(parser, TRAIN_DTYPES)
    elif "device" in names:
        add_device_arguments(parser, dtypes=())


def config_from_args(config_class: type, args: argparse.Namespace, **overrides):
    """The config the flags of `add_config_arguments` describe (fields whose flag was left
    unset keep the config's default), with `overrides` on top."""
    values = {}
    for f in dataclasses.fields(config_class):
        dest = f.name if f.name in vars(args) else flag_of(f)[2:].replace("-", "_")
        if dest not in vars(args):
            continue
        value = getattr(args, dest)
        if isinstance(_default(f), list) and isinstance(value, str):
            value = [part for part in value.split(",") if part]
        values[f.name] = value
    return config_class(**(values | overrides))


def _check_train_dtype(stage: str, dtype: str) -> None:
    if dtype not in TRAIN_DTYPES:
        raise ValueError(f"{stage} trains in one of {', '.join(TRAIN_DTYPES)}, not {dtype}")


@dataclass
class SFTConfig:
    """One SFT run. Defaults are the CPU recipe's."""

    data: str = option(help="a dataset directory from `dynplan data`")
    out: str = option(help="where the model (or adapter) goes")
    model: str = option(
        "scratch:small",
        "a local HF directory, an embedded model name, or scratch:tiny|small|base",
    )
    lora_rank: int = option(16, "0: full fine-tuning (always for scratch models)")
    lora_alpha: int = 32
    lora_targets: list[str] = field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"]
    )
    epochs: float = 1.0
    max_steps: int = option(-1, "> 0 overrides --epochs")
    max_minutes: float | None = option(
        None, "stop (and save) after this much training, e.g. on a lease"
    )
    learning_rate: float | None = option(None, f"{LEARNING_RATES_HELP} when not given", flag="lr")
    batch_size: int = 16
    grad_accum: int = 1
    group_by_length: bool = False  # batches of samples of about one length: less padding
    compile: bool = False  # torch.compile each layer's norms and MLP (fuses element-wise work)
    max_length: int = 2048
    prompt_loss_weight: float = option(
        0.0, "weight of the loss on each sample's own prompt (0: answers only)"
    )
    eval_fraction: float = 0.05  # held-out trajectories
    eval_steps: int = 200
    save_steps: int = 200
    seed: int = 0
    device: str = "auto"  # auto: CUDA when available; cuda:N other than cuda:0 is refused
    dtype: str = "auto"  # auto: bfloat16 on CUDA (mixed precision), float32 on the CPU

    def __post_init__(self) -> None:
        _check_train_dtype("SFT", self.dtype)
        if not self.prompt_loss_weight >= 0:
            raise ValueError(f"--prompt-loss-weight must be >= 0, got {self.prompt_loss_weight}")

    @property
    def is_scratch(self) -> bool:
        return self.model.startswith("scratch:")

    @property
    def uses_lora(self) -> bool:
        return self.lora_rank > 0 and not self.is_scratch

    def lr(self) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        kind = "scratch" if self.is_scratch else "lora" if self.uses_lora else "full"
        return LEARNING_RATES[kind]


@dataclass
class PPOConfig:
    """One RL run. Defaults are the CPU recipe's (the scratch SFT model, 2 cores)."""

    model: str = option(help="the SFT model directory")
    out: str = option(help="where the adapter, its card and the logs go")
    adapter: str | None = option(None, "the SFT adapter, if SFT made one (merged into the model)")
    strategy: str = "dynamic"
    num_envs: int = 8
    rollout_steps: int = 32  # per env and update
    updates: int = 40
    epochs: int = 2
    minibatch_size: int = 32
    learning_rate: float = 3e-4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip: float = 0.2
    value_coef: float = 0.5
    kl_coef: float = 0.05
    max_grad_norm: float = 1.0
    temperature: float = 1.0
    plan_cost_per_plan: float = DEFAULT_PER_PLAN
    plan_cost_per_token: float = DEFAULT_PER_TOKEN
    episode_length: int = 1000
    first_env_seed: int = 20_000  # training seeds; the leaderboard evaluates on 0..99
    lora_rank: int = 16  # 0: update all weights
    lora_alpha: int = 32
    lora_targets: list[str] = field(
        default_factory=lambda: [
            "q_proj",
            "k_proj",
            "v_proj",
            "o_proj",
            "gate_proj",
            "up_proj",
            "down_proj",
        ]
    )
    seed: int = 0
    device: str = "auto"  # auto: CUDA when available
    dtype: str = "auto"  # auto: bfloat16 on CUDA, float32 on the CPU

    def __post_init__(self) -> None:
        _check_train_dtype("RL", self.dtype)


@dataclass
class DaggerConfig:
    """One DAgger run (`dynplan train dagger`): each round the student plays, the expert labels
    every state it reaches, and the student is fine-tuned on those states beside a replay of the
    planning data. Defaults: ~6.5 minutes a round on 2 cores for the CPU recipe's model."""

    model: str = option(help="the SFT model directory (or shipped name) that plays first")
    data: str = option(help="the planning data it learned from, replayed beside its own states")
    out: str = option(help="where each round's states, training set and model go")
    rounds: int = 4
    episodes: int = 32  # student episodes per round
    num_envs: int = 16  # episodes in lockstep
    max_steps: int = 1000  # per episode
    temperature: float = 1.0  # the student's sampling, as on the board
    expert_mix: float = 0.0  # chance a step plays the expert's action instead (DAgger's beta)
    replay: float = 1.0  # planning-data samples per new state in each round's training set
    sft_steps: int = 400  # per round, batches of batch_size
    batch_size: int = 16
    learning_rate: float = 3e-4
    prompt_loss_weight: float = 1.0
    first_env_seed: int = 40_000  # training seeds; the leaderboard evaluates on 0..99
    seed: int = 0
    device: str = "auto"  # auto: CUDA when available
    dtype: str = "auto"  # auto: bfloat16 on CUDA, float32 on the CPU

    def __post_init__(self) -> None:
        _check_train_dtype("DAgger", self.dtype)
        for name in ("rounds", "episodes", "num_envs", "max_steps", "sft_steps", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(
                    f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}"
                )
        if not 0 <= self.expert_mix <= 1:
            raise ValueError(f"--expert-mix is a probability in [0, 1], got {self.expert_mix}")
        if not self.replay >= 0:
            raise ValueError(f"--replay must be >= 0, got {self.replay}")


@dataclass
class SB3PPOConfig:
    """One SB3 PPO run on `DynPlanCrafter-v0` through `dynplan_gym.wrappers` (no plans).
    Defaults: 1M env steps in ~20 minutes on 2 cores."""

    out: str = option(help="where the policy, card, logs and checkpoints go")
    timesteps: int = 1_000_000
    num_envs: int = 8
    vec_env: str = "dummy"  # dummy: all envs in this process; subproc: one process each
    n_steps: int = 256  # per env and update
    batch_size: int = 256
    epochs: int = 4
    learning_rate: float = 3e-4
    gamma: float = 0.95
    gae_lambda: float = 0.95
    clip: float = 0.2
    ent_coef: float = 0.01
    net_arch: list[str] = option(
        help="hidden layer widths of the policy and value MLPs", factory=lambda: ["128", "128"]
    )
    episode_length: int = 10000
    first_env_seed: int = 30_000  # training seeds; the leaderboard evaluates on 0..99
    checkpoint_steps: int = 100_000
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.vec_env not in ("dummy", "subproc"):
            raise ValueError(f"vec_env must be dummy or subproc, not {self.vec_env!r}")
        for name in ("timesteps", "num_envs", "n_steps", "batch_size", "epochs"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


@dataclass
class GateConfig(SB3PPOConfig):
    """SB3 PPO on `DynPlanCrafterGate-v0`: the policy only decides keep / replan; the expert's
    halves plan and act. Defaults: 150k env steps in ~7 minutes on 2 cores, at the setting
    where planning has a latency and a noisy planner."""

    timesteps: int = 150_000
    num_envs: int = 8
    n_steps: int = 128
    gamma: float = 0.99
    net_arch: list[str] = option(
        help="hidden layer widths of the policy and value MLPs", factory=lambda: ["64", "64"]
    )
    episode_length: int = 1000
    first_env_seed: int = 20_000  # RL seeds
    checkpoint_steps: int = 25_000
    latency: int = option(2, "steps a new plan takes to write (the executor idles)")
    noise: float = option(0.2, "chance the planner writes another feasible plan")
    plan_cost_per_plan: float = DEFAULT_PER_PLAN
    plan_cost_per_token: float = DEFAULT_PER_TOKEN

    def env_kwargs(self) -> dict:
        """What `agents.gate.make_gate_env` takes from this config."""
        return {
            "latency": self.latency,
            "noise": self.noise,
            "length": self.episode_length,
            "plan_cost_per_plan": self.plan_cost_per_plan,
            "plan_cost_per_token": self.plan_cost_per_token,
        }


@dataclass
class GoldilocksConfig:
    """`dynplan experiment goldilocks`: how often to plan, swept. Each setting (`latency:noise`)
    runs the agent at every planning interval K, never, and (for the gate) a gate trained at
    that setting, on `protocol`; ~30 minutes on 2 cores with the defaults."""

    out: str = option(
        "experiments/goldilocks",
        "where results.json, goldilocks.png, the runs and the trained gates go",
    )
    agent: str | None = option(
        None, "gate (the scripted expert's halves behind the gate) or llm (--model)"
    )
    model: str | None = None  # for --agent llm: a local model directory or a shipped name
    intervals: list[str] = option(
        help="the planning intervals K (replan every K steps)",
        factory=lambda: ["1", "2", "4", "8", "16", "32", "64"],
    )
    settings: list[str] = option(
        help="LATENCY:NOISE pairs (gate only): steps to write a plan, planner noise",
        factory=lambda: ["0:0", "2:0.2", "4:0.3"],
    )
    protocol: str = "crafter-gate-dev"
    gate_timesteps: int = option(
        150_000, "PPO steps of each setting's learned gate; 0: no learned gate"
    )
    num_envs: int = 8  # episodes in lockstep per run
    temperature: float = 0.0  # --agent llm: sampling temperature (0: greedy; the board uses 1)
    workers: int = 2  # runs in parallel processes
    ray: str | None = option(None, RAY_HELP)
    env: str = option(
        "crafter",
        "crafter, or pogs (an LLM agent; the defaults become POGS's: the shipped pogs-planner "
        "on pogs-standard-dev, K up to 16, out experiments/goldilocks-pogs)",
    )

    def __post_init__(self) -> None:
        if self.env not in ("crafter", "pogs"):
            raise ValueError(f"--env is crafter or pogs, not {self.env!r}")
        if self.env == "pogs":
            self.agent = self.agent or "llm"
            if self.agent != "llm":
                raise ValueError("on POGS the sweep runs an LLM agent: --agent llm")
            crafter = GoldilocksConfig()
            for name, value in POGS_GOLDILOCKS.items():
                if getattr(self, name) == getattr(crafter, name):
                    setattr(self, name, value() if callable(value) else value)
        self.agent = self.agent or "gate"

    def parsed_settings(self) -> list[tuple[int, float]]:
        """(latency, noise) of each setting."""
        parsed = []
        for text in self.settings:
            latency, _, noise = text.partition(":")
            try:
                parsed.append((int(latency), float(noise or 0)))
            except ValueError:
                raise ValueError(f"a setting is LATENCY:NOISE, e.g. 2:0.2, not {text!r}") from None
        return parsed


POGS_GOLDILOCKS = {  # `GoldilocksConfig(env="pogs")`'s defaults: POGS episodes last 5-14 steps
    "out": "experiments/goldilocks-pogs",
    "model": "pogs-planner",
    "intervals": lambda: ["1", "2", "3", "4", "6", "8", "16"],
    "protocol": "pogs-standard-dev",
    "num_envs": 25,
}


@dataclass
class SteeringConfig:
    """`dynplan experiment steering`: does a human-written plan lift an actor above its own
    play? Each actor plays `protocol` with no plans, with its own plans (an LLM's `dynamic`),
    under each plan file in `plans`, and under the expert's planner; ~20 minutes on 2 cores with
    the defaults (the LLM actor dominates)."""

    out: str = option(
        "experiments/steering", "where results.json, steering.png, the report and the runs go"
    )
    actors: list[str] = option(
        help="actors to steer: shipped LLM names, expert (the expert's executor), random, "
        "sb3:<policy>",
        factory=lambda: ["learned-dynamic-gpu", "expert"],
    )
    plans: str = option(
        "shipped", "shipped (the plan files that ship), a directory of plan files (*.txt) or one"
    )
    protocol: str = "crafter-steering-dev"
    temperature: float = 1.0  # the LLM actor's sampling temperature
    num_envs: int = 10  # episodes in lockstep per run
    workers: int = 2  # runs in parallel processes
    ray: str | None = option(None, RAY_HELP)


@dataclass
class TechTreeConfig:
    """`dynplan experiment tech-tree`: how deep into Crafter's tech tree each agent gets. Each
    agent plays `protocol`; per episode the deepest tier reached (`TECH_TIERS`), per
    achievement the success rate; each agent is compared with `reference`, paired by seed.
    A `crafter-full` evaluation of the CPU recipe's models takes ~1-2 minutes on a core."""

    out: str = option(
        "experiments/tech-tree", "where results.json, tech-tree.png, the report and the runs go"
    )
    agents: list[str] = option(
        help="agents to compare (`dynplan eval --agent` specs: shipped LLM names, "
        "llm:STRATEGY@MODEL, expert, random ...)",
        factory=lambda: ["learned-never", "learned-dynamic", "learned-dynamic+rl"],
    )
    reference: str | None = option(
        None, "the agent every other is compared with, paired by seed (default: the first)"
    )
    protocol: str = "crafter-full"
    temperature: float = 1.0  # the LLM agents' sampling temperature, as on the board
    num_envs: int = 10  # episodes in lockstep per run
    workers: int = 2  # runs in parallel processes
    ray: str | None = option(None, RAY_HELP)

    def __post_init__(self) -> None:
        if not self.agents:
            raise ValueError("--agents needs at least one agent")
        self.reference = self.reference or self.agents[0]
        if self.reference not in self.agents:
            raise ValueError(f"--reference must be one of --agents {self.agents}")


@dataclass
class SampleEfficiencyConfig:
    """`dynplan experiment sample-efficiency`: PPO with the planning cost, the same budget, from
    the SFT planner, its never-plan control and the untrained base; learning curves and the
    final models' play. ~70 minutes on 2 cores with the defaults (6 runs of 4,096 env steps at
    ~85 s per update of the CPU recipe's model on a core; estimated, not yet run)."""

    out: str = option(
        "experiments/sample-efficiency",
        "where results.json, sample-efficiency.png, the report, the runs and the base go",
    )
    planner: str = option(
        "learned-dynamic", "the SFT planner PPO starts from (a shipped name or a model directory)"
    )
    control: str = option(
        "learned-never", "its never-plan control (a shipped name or a model directory)"
    )
    base: bool = option(
        True, "also PPO from the planner's architecture and tokenizer with fresh weights"
    )
    seeds: int = 2  # PPO runs per start
    updates: int = 16
    num_envs: int = 8
    rollout_steps: int = 32  # per env and update
    protocol: str = option("crafter-balrog-dev", "where the final models play (development seeds)")
    eval_envs: int = 10
    workers: int = 2  # runs in parallel processes
    ray: str | None = option(None, RAY_HELP)

    def __post_init__(self) -> None:
        for name in ("seeds", "updates", "num_envs", "rollout_steps", "eval_envs"):
            if getattr(self, name) < 1:
                raise ValueError(
                    f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}"
                )


RUN_CONFIG = "run-config.json"  # the settings a training run was started (or last resumed) with
# what a resumed run may change besides where it lives (`out`): how long it trains, its device
SFT_RESUME_FREE = ("epochs", "max_steps", "max_minutes", "eval_steps", "save_steps", "device")
PPO_RESUME_FREE = ("updates", "device")


def check_and_record_run_config(out, config, free: tuple[str, ...], resume: bool) -> None:
    """Record the settings a training run goes on with; on resume, refuse settings other than
    those it was trained with (the last recorded ones, else its card's), but for `out` and the
    `free` fields. Without this a run resumed with, say, more envs would carry a card describing
    training it never had."""
    import json
    from pathlib import Path

    out = Path(out)
    current = json.loads(json.dumps(dataclasses.asdict(config)))  # as it reads back
    recorded, card = out / RUN_CONFIG, out / "card.json"
    saved = None
    if resume and recorded.is_file():
        saved = json.loads(recorded.read_text())
    elif resume and card.is_file():
        saved = json.loads(card.read_text()).get("config")
    saved = saved or {}
    fixed = [k for k in saved if k in current and k not in (*free, "out")]
    changed = [k for k in fixed if saved[k] != current[k]]
    if changed:
        was = ", ".join(f"{k}={saved[k]!r} (now {current[k]!r})" for k in changed)
        raise ValueError(
            f"{out} was trained with {was}; resume it with those settings (only "
            f"{', '.join(free)} may change) or pick another --out"
        )
    out.mkdir(parents=True, exist_ok=True)
    recorded.write_text(json.dumps(current, indent=1) + "\n")
