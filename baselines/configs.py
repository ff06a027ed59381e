"""The configs of the training runs (SFT, PPO): one source for defaults, CLI flags and the
command lines the model cards record. Light to import: building `dynplan --help` reads them."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import types
import typing
from dataclasses import dataclass, field

from agents.devices import TRAIN_DTYPES, add_device_arguments
from dynplan_gym.plan_cost import DEFAULT_PER_PLAN, DEFAULT_PER_TOKEN


def _check_train_dtype(stage: str, dtype: str) -> None:
    if dtype not in TRAIN_DTYPES:
        raise ValueError(f"{stage} trains in one of {', '.join(TRAIN_DTYPES)}, not {dtype}")


@dataclass
class SFTConfig:
    """One SFT run. Defaults are the CPU recipe's."""

    data: str
    out: str
    model: str = "scratch:small"
    lora_rank: int = 16  # 0: full fine-tuning (always for scratch models)
    lora_alpha: int = 32
    lora_targets: list[str] = field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"]
    )
    epochs: float = 1.0
    max_steps: int = -1  # > 0 overrides epochs
    max_minutes: float | None = None  # stop (and save) after this much training, e.g. on a lease
    learning_rate: float | None = None  # default: 1e-3 scratch, 2e-4 LoRA, 2e-5 full
    batch_size: int = 16
    grad_accum: int = 1
    group_by_length: bool = False  # batches of samples of about one length: less padding
    compile: bool = False  # torch.compile each layer's norms and MLP (fuses element-wise work)
    max_length: int = 2048
    prompt_loss_weight: float = 0.0  # > 0: also learn to predict each sample's own prompt text
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
        return 1e-3 if self.is_scratch else 2e-4 if self.uses_lora else 2e-5


@dataclass
class PPOConfig:
    """One RL run. Defaults are the CPU recipe's (the scratch SFT model, 2 cores)."""

    model: str  # the SFT model directory
    out: str
    adapter: str | None = None  # the SFT adapter, if SFT trained one (merged into the model)
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

    model: str  # the student: an SFT model directory (full weights, e.g. a scratch model)
    data: str  # the planning data it learned from (replayed beside the new states)
    out: str
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

    out: str
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
    net_arch: list[str] = field(default_factory=lambda: ["128", "128"])
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
    net_arch: list[str] = field(default_factory=lambda: ["64", "64"])
    episode_length: int = 1000
    first_env_seed: int = 20_000  # RL seeds
    checkpoint_steps: int = 25_000
    latency: int = 2  # steps a new plan takes to write (the executor idles)
    noise: float = 0.2  # chance the planner writes another feasible plan
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

    out: str = "experiments/goldilocks"
    agent: str | None = None  # gate (the expert's halves; Crafter's default) or llm (--model)
    model: str | None = None  # for --agent llm: a local model directory or a shipped name
    intervals: list[str] = field(default_factory=lambda: ["1", "2", "4", "8", "16", "32", "64"])
    settings: list[str] = field(default_factory=lambda: ["0:0", "2:0.2", "4:0.3"])
    protocol: str = "crafter-gate-dev"
    gate_timesteps: int = 150_000  # PPO steps of each setting's gate (0: no learned gate)
    num_envs: int = 8  # episodes in lockstep per run
    temperature: float = 0.0  # --agent llm: sampling temperature (0: greedy; the board uses 1)
    workers: int = 2  # runs in parallel processes
    ray: str | None = None  # run on Ray: "local" or a cluster's address (`leaderboard.scale`)
    env: str = "crafter"  # crafter, or pogs: then the fields still at Crafter's defaults take
    # POGS's (`POGS_GOLDILOCKS`)

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

    out: str = "experiments/steering"
    actors: list[str] = field(default_factory=lambda: ["learned-dynamic-gpu", "expert"])
    plans: str = "shipped"  # the shipped plan files, a directory of them (*.txt), or one file
    protocol: str = "crafter-steering-dev"
    temperature: float = 1.0  # the LLM actor's sampling temperature
    num_envs: int = 10  # episodes in lockstep per run
    workers: int = 2  # runs in parallel processes
    ray: str | None = None  # run on Ray: "local" or a cluster's address (`leaderboard.scale`)


@dataclass
class TechTreeConfig:
    """`dynplan experiment tech-tree`: how deep into Crafter's tech tree each agent gets. Each
    agent plays `protocol`; per episode the deepest tier reached (`TECH_TIERS`), per
    achievement the success rate; each agent is compared with `reference`, paired by seed.
    A `crafter-full` evaluation of the CPU recipe's models takes ~1-2 minutes on a core."""

    out: str = "experiments/tech-tree"
    agents: list[str] = field(
        default_factory=lambda: ["learned-never", "learned-dynamic", "learned-dynamic+rl"]
    )
    reference: str | None = None  # the agent the others are compared with (default: the first)
    protocol: str = "crafter-full"
    temperature: float = 1.0  # the LLM agents' sampling temperature, as on the board
    num_envs: int = 10  # episodes in lockstep per run
    workers: int = 2  # runs in parallel processes
    ray: str | None = None  # run on Ray: "local" or a cluster's address (`leaderboard.scale`)

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

    out: str = "experiments/sample-efficiency"
    planner: str = "learned-dynamic"  # the SFT planner (a shipped name or a model directory)
    control: str = "learned-never"  # its never-plan control
    base: bool = True  # also PPO from the planner's architecture with fresh weights
    seeds: int = 2  # PPO runs per start
    updates: int = 16
    num_envs: int = 8
    rollout_steps: int = 32  # per env and update
    protocol: str = "crafter-balrog-dev"  # the final models' play (development seeds)
    eval_envs: int = 10
    workers: int = 2  # runs in parallel processes
    ray: str | None = None  # run on Ray: "local" or a cluster's address (`leaderboard.scale`)

    def __post_init__(self) -> None:
        for name in ("seeds", "updates", "num_envs", "rollout_steps", "eval_envs"):
            if getattr(self, name) < 1:
                raise ValueError(
                    f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}"
                )


def cli_command(
    prefix: str, config, renames: dict[str, str] | None = None, always: tuple[str, ...] = ("model",)
) -> str:
    """The command line that runs `config`: its required fields, `always` and every non-default
    one."""
    import dataclasses

    parts = [prefix]
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if value == default and f.name not in always:
            continue
        flag = "--" + (renames or {}).get(f.name, f.name).replace("_", "-")
        if isinstance(value, bool):
            parts.append(flag if value else "--no-" + flag[2:])
            continue
        text = ",".join(value) if isinstance(value, list) else str(value)
        parts.append(f"{flag} {shlex.quote(text)}")
    return " ".join(parts)


def add_config_arguments(
    parser: argparse.ArgumentParser,
    config_class: type,
    renames: dict[str, str] | None = None,
    helps: dict[str, str] | None = None,
) -> None:
    """A flag per field of a config dataclass (`--field-name`; required when the field has no
    default; lists as comma-separated text), `--device` and `--dtype` from the device rule."""
    hints = typing.get_type_hints(config_class)
    for f in dataclasses.fields(config_class):
        if f.name in ("device", "dtype"):
            continue
        flag = "--" + (renames or {}).get(f.name, f.name).replace("_", "-")
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        kind = hints[f.name]
        if isinstance(kind, types.UnionType):  # `float | None`: the value's type
            kind = next(t for t in typing.get_args(kind) if t is not type(None))
        help_text = (helps or {}).get(f.name, "")
        if default is dataclasses.MISSING:
            parser.add_argument(flag, required=True, help=help_text)
        elif isinstance(default, list):
            parser.add_argument(
                flag, default=",".join(default), help=help_text or "comma-separated"
            )
        elif isinstance(default, bool):
            parser.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=default, help=help_text
            )
        else:
            shown = f" (default {default})" if default is not None else ""
            parser.add_argument(
                flag, type=kind, default=default, help=(help_text + shown).strip() or None
            )
    names = {f.name for f in dataclasses.fields(config_class)}
    if "dtype" in names:
        add_device_arguments(parser, TRAIN_DTYPES)
    elif "device" in names:
        add_device_arguments(parser, dtypes=())


def config_from_args(config_class: type, args: argparse.Namespace, renames=None):
    """The config the flags of `add_config_arguments` describe."""
    values = {}
    for f in dataclasses.fields(config_class):
        value = getattr(args, (renames or {}).get(f.name, f.name))
        if f.default_factory is not dataclasses.MISSING and isinstance(f.default_factory(), list):
            value = [part for part in value.split(",") if part]
        values[f.name] = value
    return config_class(**values)


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
