"""Synthetic planning data: a scripted expert, written down as the LLM agent's prompts.

For every step of an expert episode, a sample is the exact prompt `LLMAgent` would build (the
shared `PromptBuilder`) and the exact answer its strategy expects: an optional
`<plan>...</plan>` block, then the action (`prompts.answer_text`). The env is Crafter (its
scripted expert) or POGS (`DynPlanPOGS-v0` or `-Hard-v0`, the memory-based search). Per
trajectory the generator draws:
  * a planning schedule: `every:K` with K ~ U[2, 12] (the paper's), `dynamic` (plan when the
    expert's subgoal changes or, in Crafter, after losing health), `always` or `never`, mixed
    by weights;
  * a plan style (`PLAN_STYLES`): the same plan written as numbered steps, a checklist, a
    reason then steps, ... so a model learns to plan, not a template.
Who acts is a choice too (`actor`): the expert, a trained policy (`sb3:POLICY`) whose
sampled actions become the answers while the expert, its memory following the player, writes
the plans, or `executor`: the expert writes plans on the schedule and
`agents.prompt_executor.PromptExecutor` carries out the plan *in force* (stale or not) from what
the prompt shows, so the plan is what the next actions depend on; `noise` plays random actions
now and then and keeps the actor's answer (DART). `hide_plans` writes the same trajectories
with no plans in prompts or answers (`meta.plan` still says which plan the teacher followed): the
never-plan control of a plan-following dataset.
Whose plans (`plans`, Crafter): the expert's intent, or `hindsight` plans that name the
achievements the player goes on to unlock (`hindsight_plan`), so a plan says what the actions
that follow it do.
Training seeds never overlap the leaderboard's evaluation seeds (checked).
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from agents.parser import PLAN_CLOSE, PLAN_OPEN
from agents.plan_styles import PLAN_STYLES, goal_text, styled
from agents.prompt_executor import PromptExecutor
from agents.prompts import EpisodeMemory, PromptBuilder, PromptConfig, answer_text
from agents.strategy import PlanMode, Strategy
from baselines.configs import cli_command, option
from dynplan_gym import CRAFTER_ENV_ID, POGS_ENV_ID, POGS_HARD_ENV_ID, env_family
from dynplan_gym.crafter_actions import ACTION_NAMES
from dynplan_gym.plan_cost import count_plan_tokens
from leaderboard.protocols import DEVELOPMENT_SEEDS, EVALUATION_SEEDS, PROTOCOLS

SCHEDULES = ("every", "dynamic", "always", "never")
PLAN_SOURCES = ("expert", "hindsight")
ACTORS = ("expert", "executor")  # besides sb3:POLICY
HINDSIGHT_HORIZON = 50  # steps a hindsight plan looks ahead
HINDSIGHT_EXPLORE = ("Explore to find new resources.", "explore")  # nothing unlocked ahead
# how a hindsight plan names an achievement (others: "collect_wood" -> "Collect wood")
HINDSIGHT_WORDING = {
    "collect_drink": "Drink water",
    "wake_up": "Sleep until rested",
    "place_plant": "Plant a sapling",
    "eat_plant": "Eat a ripe plant",
}
ALTERNATIVE_PLAN = "{goal} now, before anything else."  # a plan that `alternatives` draws
DATA_ENVS = {"crafter": CRAFTER_ENV_ID, "pogs": POGS_ENV_ID, "pogs-hard": POGS_HARD_ENV_ID}
CRAFTER_MAX_STEPS = 250  # Crafter data's default episode cap
POGS_MAX_STEPS = PROTOCOLS["pogs-standard"].max_steps  # POGS data's: its protocols' truncation


@dataclass(frozen=True)
class DataConfig:
    """What to generate: `dynplan data ENV`'s flags, defaults and help (`baselines.configs`).
    The default finishes in minutes on 2 cores."""

    env: str = option("crafter", "the game", choices=tuple(DATA_ENVS))
    trajectories: int = 128
    max_steps: int | None = option(
        None,
        f"episode cap; default {CRAFTER_MAX_STEPS} (Crafter), the POGS protocols' "
        f"{POGS_MAX_STEPS} (POGS)",
    )
    seed: int = 0
    first_env_seed: int = 10_000
    schedule_weights: dict[str, float] = option(
        help="weights, e.g. every=1,dynamic=1 (every:K draws K ~ U[2, 12] per trajectory)",
        factory=lambda: {"every": 1.0},
        flag="schedules",
    )
    k_range: tuple[int, ...] = option((2, 12), "the range every:K draws K from")
    styles: tuple[str, ...] = option(tuple(PLAN_STYLES), "the plan styles drawn from")
    # the prompt (a model trained on the data is played with it; the card records it)
    history_length: int = option(
        PromptConfig.history_length, "observations shown in full", flag="history"
    )
    recent_actions: int = option(PromptConfig.recent_actions, "last actions named")
    map_memory: bool = option(True, "the 'You remember' lines (Crafter)")
    text_options: str = option(
        PromptConfig.text_options,
        "Crafter's observation text: dynplan (the env's) or balrog (BALROG's, as crafter-balrog "
        "shows it)",
    )
    neighbours: bool = option(
        False, "POGS: restate the current node's neighbours after the observation"
    )
    instruction: bool = option(
        True,
        "the system message (rules, actions, answer format); --no-instruction for models "
        "trained from scratch, which learn nothing from a constant text",
    )
    view_grid: bool = option(
        False,
        "Crafter: draw the visible window as a grid of characters after the observation (the "
        "text names only the nearest cell of each kind)",
    )
    actor: str = option(
        "expert",
        "who picks the actions (Crafter): expert; executor (the expert plans on the schedule, "
        "and the plan in force is carried out from what the prompt shows: actions that depend "
        "on the plan); or a trained policy sb3:NAME|DIR whose sampled actions become the "
        "answers (the expert, following along, writes the plans)",
    )
    hide_plans: bool = option(
        False,
        "write the same trajectories with no plan in prompts or answers (the never-plan "
        "control of an --actor executor dataset: its actions still follow the hidden plans)",
    )
    alternatives: float = option(
        0.0,
        "with --actor executor: the chance a new plan names another subgoal the rules allow "
        "instead of the expert's (the plan, not the state, then says what comes next)",
    )
    executor_checks: bool = option(
        False,
        "with --actor executor: the executor reads the prompt before it acts: a subgoal shown "
        "done (a tool held, a table or furnace beside the player, sleep over) is not repeated, "
        "it explores; a craft lacking materials, or a material lacking its tool, starts with "
        "what crafter's rules ask first (without: the plan carried out literally)",
    )
    noise: float = option(
        0.0,
        "DART: the chance each step plays a random action instead (the answer stays the "
        "actor's), so the data shows how to recover from mistakes",
    )
    plans: str = option(
        "expert",
        "who writes the plans (Crafter): expert (its intent), or hindsight (the achievements "
        "the player goes on to unlock, so a plan says what its actions do)",
    )
    hindsight_goals: int = option(3, "the most achievements a hindsight plan names")

    @property
    def family(self) -> str:
        return env_family(DATA_ENVS[self.env])

    def prompt_config(self) -> PromptConfig:
        crafter = self.family == "crafter"
        return PromptConfig(
            history_length=self.history_length,
            recent_actions=self.recent_actions,
            remembered_kinds=PromptConfig.remembered_kinds if self.map_memory and crafter else (),
            env=self.family,
            text_options=self.text_options,
            neighbours=self.neighbours,
            instruction=self.instruction,
            view_grid=self.view_grid,
        )

    def __post_init__(self) -> None:
        if self.env not in DATA_ENVS:
            raise ValueError(f"env must be one of {list(DATA_ENVS)}, got {self.env!r}")
        if self.max_steps is None:  # Crafter's episode cap; the POGS protocols' truncation
            default = CRAFTER_MAX_STEPS if self.family == "crafter" else POGS_MAX_STEPS
            object.__setattr__(self, "max_steps", default)
        for name in ("trajectories", "max_steps"):
            if getattr(self, name) < 1:
                raise ValueError(
                    f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}"
                )
        reserved = set(EVALUATION_SEEDS) | set(DEVELOPMENT_SEEDS)
        reserved |= {s for p in PROTOCOLS.values() for s in p.seeds}
        clash = sorted(reserved & set(self.env_seeds()))
        if clash:
            raise ValueError(
                f"training seeds {clash[:5]}... overlap the leaderboard's evaluation seeds; "
                f"set first_env_seed >= {max(reserved) + 1}"
            )
        unknown = set(self.schedule_weights) - set(SCHEDULES)
        if unknown or not self.schedule_weights or min(self.schedule_weights.values()) < 0:
            raise ValueError(f"schedule weights need names from {SCHEDULES} and weights >= 0")
        if not set(self.styles) <= set(PLAN_STYLES) or not self.styles:
            raise ValueError(f"styles must come from {sorted(PLAN_STYLES)}")
        self.prompt_config()  # checks the prompt's settings
        if not 0.0 <= self.noise < 1.0 or (self.noise and self.family != "crafter"):
            raise ValueError(f"--noise must be in [0, 1) (Crafter only), got {self.noise}")
        if self.actor not in ACTORS:
            if not self.actor.startswith("sb3:") or self.family != "crafter":
                raise ValueError(
                    f"--actor must be expert or (Crafter) executor or sb3:POLICY, "
                    f"got {self.actor!r}"
                )
            from agents.sb3_agent import resolve_policy_dir

            resolve_policy_dir(self.actor.split(":", 1)[1])  # one clear line if unknown
        if self.actor == "executor" and (self.family != "crafter" or self.plans != "expert"):
            raise ValueError("--actor executor carries out the expert's plans (Crafter only)")
        if not 0.0 <= self.alternatives < 1.0 or (self.alternatives and self.actor != "executor"):
            raise ValueError(
                f"--alternatives must be in [0, 1) (with --actor executor), got {self.alternatives}"
            )
        if self.executor_checks and self.actor != "executor":
            raise ValueError("--executor-checks needs --actor executor")
        if self.plans not in PLAN_SOURCES or (self.plans != "expert" and self.family != "crafter"):
            raise ValueError(f"--plans must be expert or (Crafter) hindsight, got {self.plans!r}")
        if self.hindsight_goals < 1:
            raise ValueError(f"--hindsight-goals must be >= 1, got {self.hindsight_goals}")

    def env_seeds(self) -> range:
        return range(self.first_env_seed, self.first_env_seed + self.trajectories)

    @classmethod
    def from_dict(cls, values: dict) -> DataConfig:
        """The config a card's `config` (its JSON form) records."""
        tuples = {name: tuple(values[name]) for name in ("k_range", "styles") if name in values}
        return cls(**{**values, **tuples})


PAPER_SCALE = {"trajectories": 1024, "max_steps": 2000}


def data_command(config: DataConfig) -> str:
    """The `dynplan data ENV` command line that generates `config`'s dataset."""
    return cli_command("dynplan data", config, always=DATA_COMMAND_ALWAYS, positional=("env",))


# what a dataset's command always states, defaults or not (its size and where it comes from)
DATA_COMMAND_ALWAYS = ("trajectories", "max_steps", "seed", "first_env_seed", "schedule_weights")


def plans_dynamically(decision, hurt: bool, step: int) -> bool:
    """The `dynamic` schedule: plan when the expert's subgoal changes (its decision carries a
    new plan), after losing health, and at the first step."""
    return bool(decision.plan) or hurt or step == 0


def hindsight_plan(events: list[list[str]], step: int, most: int) -> tuple[str, str]:
    """(plan, goal): the achievements unlocked from `step` on (`events[t]`: those step t's
    action unlocked), up to `most` different ones in a row within HINDSIGHT_HORIZON steps
    ("Collect wood. Place table. Make wood pickaxe."); the goal is the first."""
    goals: list[str] = []
    for name in (name for names in events[step : step + HINDSIGHT_HORIZON] for name in names):
        if goals and goals[-1] == name:
            continue  # a repeat: the same sentence goes on
        if len(goals) == most:
            break
        goals.append(name)
    if not goals:
        return HINDSIGHT_EXPLORE
    sentences = (HINDSIGHT_WORDING.get(name, goal_text(name).capitalize()) for name in goals)
    return " ".join(f"{words}." for words in sentences), goals[0]


def alternative_plan(decision, info: dict, rng: np.random.Generator):
    """`decision` with its plan naming a subgoal the rules allow now other than its own
    (drawn uniformly; kept when there is none)."""
    from agents.gate import feasible_subgoals

    own = decision.meta["subgoal"]
    others = [s for s in feasible_subgoals(info["inventory"]) if s != own]
    if not others:
        return decision
    subgoal = others[int(rng.integers(len(others)))]
    plan = ALTERNATIVE_PLAN.format(goal=goal_text(subgoal).capitalize())
    return replace(decision, plan=plan, meta={**decision.meta, "subgoal": subgoal, "plan": plan})


def expert_answer(decision, plan_now: bool, style: str, family: str) -> tuple[str, str]:
    """(answer, plan) for an expert decision: the plan block written in `style` when it plans
    now, then the action, as the agent's parser reads it."""
    plan = ""
    if plan_now:
        plan = styled(decision.meta["plan"], decision.meta["subgoal"], style)
    answer = answer_text(decision.action, family)
    if plan:
        answer = f"{PLAN_OPEN}\n{plan}\n{PLAN_CLOSE}\n{answer}"
    return answer, plan


def sample_line(prompt: list[dict], answer: str, meta: dict) -> str:
    """One JSONL line of a dataset: the chat (prompt, then the answer) and what made it."""
    messages = [*prompt, {"role": "assistant", "content": answer}]
    return json.dumps({"messages": messages, "meta": meta}) + "\n"


def env_and_expert(config: DataConfig):
    """A fresh env of `config.env` and its expert."""
    if config.family == "crafter":
        from agents.expert import ExpertAgent
        from dynplan_gym.crafter_env import DynPlanCrafterEnv
        from dynplan_gym.text_observation import text_preset

        text = text_preset(config.text_options).env_kwargs()
        return DynPlanCrafterEnv(length=config.max_steps, **text), ExpertAgent()
    import gymnasium as gym

    from agents.pogs_expert import POGSExpertAgent

    return gym.make(DATA_ENVS[config.env], max_steps=config.max_steps), POGSExpertAgent()


def generate(
    config: DataConfig,
    out_dir: str | Path,
    progress: bool = True,
    workers: int = 1,
    ray: str | None = None,
) -> dict:
    """Write `samples.jsonl` and `card.json` into `out_dir`; return the card. Trajectories
    may be played by `workers` local processes or on Ray (`leaderboard.scale`); one writer
    writes them in seed order, so the bytes are the same either way."""
    from tqdm import tqdm

    from leaderboard.scale import ordered_map

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(config.seed)
    names = list(config.schedule_weights)
    weights = np.array([config.schedule_weights[n] for n in names], float)
    jobs = []
    for seed in config.env_seeds():  # every draw up front: a trajectory's never depends on another
        schedule = names[rng.choice(len(names), p=weights / weights.sum())]
        if schedule == "every":
            schedule = f"every:{int(rng.integers(config.k_range[0], config.k_range[1] + 1))}"
        style = config.styles[int(rng.integers(len(config.styles)))]
        jobs.append((config, seed, schedule, style))
    counts: Counter = Counter()
    plan_tokens: list[int] = []
    per_schedule: dict[str, list[int]] = {}
    unlocked: list[int] = []
    played = ordered_map(_trajectory, jobs, workers, ray)
    with open(out / "samples.jsonl", "w") as f:
        bar = tqdm(played, total=len(jobs), desc="expert trajectories", disable=not progress)
        for (_, _, schedule, _), (lines, trajectory_counts, tokens, planned) in zip(
            jobs, bar, strict=True
        ):
            f.write(lines)
            unlocked.append(trajectory_counts.pop("unlocked"))
            counts.update(trajectory_counts)
            plan_tokens += tokens
            per_schedule.setdefault(schedule.split(":")[0], []).append(planned)
    taken = [key.split(":", 1)[1] for key in counts if key.startswith("action:")]
    card = {
        "config": asdict(config),
        "command": data_command(config),
        "prompt": config.prompt_config().to_dict(),  # a model trained on it is prompted so
        "trajectories": config.trajectories,
        "samples": counts["samples"],
        "plan_rate": counts["plans"] / max(counts["samples"], 1),
        "tokens_per_plan": float(np.mean(plan_tokens)) if plan_tokens else 0.0,
        "actions": {
            name: counts[f"action:{name}"]
            for name in (ACTION_NAMES if config.family == "crafter" else sorted(taken, key=int))
        },
        "styles": {s: counts[f"style:{s}"] for s in config.styles},
        "schedules": {s: len(v) for s, v in per_schedule.items()},
        # how well the teacher played (Crafter: progression, unlocked / 22; POGS: success)
        "teacher": _teacher_score(unlocked, config.family),
    }
    (out / "card.json").write_text(json.dumps(card, indent=1))
    return card


def _teacher_score(unlocked: list[int], family: str) -> dict[str, float]:
    """Mean and standard error of the teacher's per-episode score."""
    from dynplan_gym.achievements import ACHIEVEMENTS

    scores = np.array(unlocked, float) / (len(ACHIEVEMENTS) if family == "crafter" else 1)
    sem = float(scores.std(ddof=1) / np.sqrt(len(scores))) if len(scores) > 1 else 0.0
    return {"mean": float(scores.mean()), "sem": sem}


@functools.lru_cache(maxsize=2)
def actor_policy(actor: str) -> Callable[[dict, dict], np.ndarray]:
    """The action distribution (obs, info) -> probabilities of the trained policy an `sb3:`
    actor names, loaded once per process."""
    from agents.sb3_agent import action_probabilities, load_policy, resolve_policy_dir

    policy, features = load_policy(resolve_policy_dir(actor.split(":", 1)[1]))
    # it was trained without plans, so it reads none: it acts the same under every schedule
    no_plan = {"plan": "", "plan_age": 0}
    return lambda obs, info: action_probabilities(policy, features, [{**obs, **no_plan}], [info])[0]


def actor_decision(decision, policy, obs: dict, info: dict, rng: np.random.Generator):
    """The expert's `decision` with its action replaced by one sampled from `policy` (None:
    the expert's own)."""
    if policy is None:
        return decision
    probs = policy(obs, info)
    return replace(decision, action=int(rng.choice(len(probs), p=probs / probs.sum())))


def _health(info: dict) -> int:
    """Crafter's health (POGS has none: never hurt)."""
    return info.get("inventory", {}).get("health", 0)


def _act(config: DataConfig, expert, policy, obs: dict, info: dict, rng: np.random.Generator):
    """(the expert's decision with the actor's action, the action played): the noise may play
    another; the expert's memory follows what is played."""
    decision = expert.act([obs], [{**info, "slot": 0}])[0]
    return _play(config, expert, decision, decision.action, policy, obs, info, rng)


def _play(config: DataConfig, expert, decision, own: int, policy, obs: dict, info: dict, rng):
    """`_act` after the expert's decision, whose own action was `own` (the executor's may
    have replaced it)."""
    decision = actor_decision(decision, policy, obs, info, rng)
    played = decision.action
    if config.noise and rng.random() < config.noise:
        played = int(rng.integers(len(ACTION_NAMES)))
    if played != own:
        expert.follow([played], [{**info, "slot": 0}])
    return decision, played


def _unlocked(info: dict) -> int:
    """Achievements unlocked so far (POGS's one: reach_target)."""
    return sum(n > 0 for n in info["achievements"].values())


def _episode_events(config: DataConfig, seed: int) -> list[list[str]]:
    """Per step, the achievements its action unlocks, in the episode `_trajectory` plays for
    `seed` (the same draws; the actor reads no plan, so the plans change no action)."""
    env, expert = env_and_expert(config)
    expert.reset(1)
    obs, info = env.reset(seed=seed)
    rng = np.random.default_rng([config.seed, seed])
    policy = None if config.actor == "expert" else actor_policy(config.actor)
    events: list[list[str]] = []
    while True:
        _, played = _act(config, expert, policy, obs, info, rng)
        before = dict(info["achievements"])
        obs, _, terminated, truncated, info = env.step({"action": played, "plan": ""})
        events.append([name for name, n in info["achievements"].items() if n > before[name]])
        if terminated or truncated:
            return events


def _trajectory(job: tuple[DataConfig, int, str, str]) -> tuple[str, Counter, list[int], int]:
    """One expert episode as sample lines: (JSONL text, counts, plan token counts, plans);
    `counts["unlocked"]`: the achievements (Crafter) or targets (POGS) the episode reached."""
    config, seed, schedule, style = job
    builder = PromptBuilder(config.prompt_config())
    env, expert = env_and_expert(config)
    expert.reset(1)
    memory = EpisodeMemory()
    strategy = Strategy.parse("dynamic" if schedule == "dynamic" else schedule)
    obs, info = env.reset(seed=seed)
    last_health = _health(info)
    lines: list[str] = []
    counts: Counter = Counter()
    plan_tokens: list[int] = []
    plans = 0
    rng = np.random.default_rng([config.seed, seed])  # the actor's samples and the noise
    policy = actor_policy(config.actor) if config.actor.startswith("sb3:") else None
    events = _episode_events(config, seed) if config.plans == "hindsight" else None
    executor = PromptExecutor(builder.config.remembered_kinds, checks=config.executor_checks)
    goal_in_force = None
    while True:
        step = info["step"]
        memory.observe(obs, info)
        decision = expert.act([obs], [{**info, "slot": 0}])[0]
        if events is not None:  # the plan names what the player unlocks next
            plan, goal = hindsight_plan(events, step, config.hindsight_goals)
            fresh = goal != goal_in_force or int(obs.get("plan_age", 0)) >= HINDSIGHT_HORIZON
            meta = {**decision.meta, "plan": plan, "subgoal": goal}
            decision = replace(decision, plan=plan if fresh else "", meta=meta)
        mode = strategy.mode(step)
        if schedule == "dynamic":
            plan_now = plans_dynamically(decision, _health(info) < last_health, step)
            # executor data: a plan (an alternative's too) lasts at most the longest interval
            plan_now |= config.actor == "executor" and obs["plan_age"] >= config.k_range[1]
        else:
            plan_now = mode is PlanMode.REQUIRED
        if plan_now and config.alternatives and rng.random() < config.alternatives:
            decision = alternative_plan(decision, info, rng)
        if plan_now:
            goal_in_force = decision.meta["subgoal"]
        own = decision.action
        if config.actor == "executor":  # the plan in force, from what the prompt shows
            decision = replace(decision, action=executor(obs, info, goal_in_force, memory.map))
        decision, played = _play(config, expert, decision, own, policy, obs, info, rng)
        answer, plan = expert_answer(decision, plan_now, style, config.family)
        if config.hide_plans:  # the control: the same steps, no plan shown or written
            answer = answer_text(decision.action, config.family)
            mode = PlanMode.FORBIDDEN
        shown = {**obs, "plan": ""} if config.hide_plans else obs
        prompt = builder.build(shown, step, memory, mode)
        if plan:
            plans += 1
            plan_tokens.append(count_plan_tokens(plan))
        subgoal = goal_in_force if config.actor == "executor" else decision.meta["subgoal"]
        meta = {
            "seed": seed,
            "step": step,
            "schedule": schedule,
            "style": style,
            "subgoal": goal_text(subgoal),
            "action": decision.action,
            "plan": plan,
        }
        if config.noise:
            meta["played"] = played  # the action the env ran (the answer's, or the noise's)
        lines.append(sample_line(prompt, answer, meta))
        counts["samples"] += 1
        counts["plans"] += bool(plan)
        counts[f"action:{env.unwrapped.action_names[decision.action]}"] += 1
        counts[f"style:{style}"] += 1
        memory.record(step, obs["text"], played, builder.config.memory_length)
        last_health = _health(info)
        obs, _, terminated, truncated, info = env.step({"action": played, "plan": plan})
        if terminated or truncated:
            counts["unlocked"] = _unlocked(info)
            return "".join(lines), counts, plan_tokens, plans
