"""`dynplan demo`, the main job: planning strategies side by side, on the leaderboard.

Runs the random agent, the scripted expert and the shipped learned planner under `never`,
`always`, `every:4` and `dynamic` on `crafter-demo` (development seeds), submits each result
to the local leaderboard, prints the table, writes the HTML page into the data directory and
ends with three lines on what the table shows. An agent `llm:<strategy>@<model>` names its
own model.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from agents.devices import add_device_arguments
from agents.models import DEFAULT_MODEL

LEARNED = "learned-dynamic"  # the shipped learned planner the demo puts side by side
STRATEGIES = ("never", "always", "every:4", "dynamic")


def default_agents(learned: str) -> list[str]:
    """random, the expert and `learned` under each planning strategy. (The embedded SmolLM2
    zero-shot, `llm:dynamic@smollm2-135m`, scores 0 and takes ~5 s a step on 2 cores: add it
    with --agents when wanted.)"""
    return ["random", "expert", *(f"llm:{s}@{learned}" for s in STRATEGIES)]


# Trained planners sample, as they were trained to (seeded, so reproducible).
TRAINED_TEMPERATURE = 1.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--protocol", default="crafter-demo")
    parser.add_argument(
        "--learned", default=LEARNED, help="the learned planner shown under each strategy"
    )
    parser.add_argument(
        "--agents",
        nargs="+",
        default=None,
        help="agent specs to evaluate (default: random, expert and --learned under never, "
        "always, every:4 and dynamic)",
    )
    parser.add_argument("--model", default=DEFAULT_MODEL, help="for the llm agents")
    parser.add_argument("--num-envs", type=int, default=8)
    parser.add_argument("--no-progress", action="store_true")
    add_device_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from agents.backends import make_backend
    from agents.factory import make_agent, model_prompt_config
    from agents.llm_agent import LLMAgent
    from agents.models import EMBEDDED
    from agents.specs import parse_spec
    from dynplan_gym.paths import data_home, safe_name
    from leaderboard.agent_specs import describe
    from leaderboard.protocols import get_protocol
    from leaderboard.render import render_html, render_table
    from leaderboard.runner import RESULT, EvaluationRun
    from leaderboard.store import Store, submit

    protocol = get_protocol(args.protocol)
    run_root = data_home() / "runs" / f"demo-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    store = Store()
    store.sync_repository()
    backends: dict[str, object] = {}
    started = time.perf_counter()
    for spec_text in args.agents or default_agents(args.learned):
        try:
            parsed = parse_spec(spec_text)
        except ValueError as err:
            raise SystemExit(f"dynplan demo: {err}") from None
        if parsed.kind == "llm":
            strategy, model = parsed.target, parsed.model or args.model
            if model not in backends:
                backends[model] = make_backend(
                    "transformers", model=model, device=args.device, dtype=args.dtype
                )
            untrained = model in EMBEDDED
            temperature = 0.0 if untrained else TRAINED_TEMPERATURE
            prompt = model_prompt_config("transformers", model)
            agent = LLMAgent(backends[model], strategy, prompt, temperature=temperature)
            spec = describe(
                parsed,
                name=f"{Path(model).name}/{strategy}" + (" (zero-shot)" if untrained else ""),
                backend="transformers",
                model=model,
                temperature=temperature,
                prompt=prompt.to_dict(),
            )
        else:
            agent = make_agent(parsed, seed=0)
            spec = describe(parsed)
        out = run_root / safe_name(spec.name)
        EvaluationRun(agent, spec, protocol, out, num_envs=args.num_envs).run(
            progress=not args.no_progress
        )
        row, _, _ = submit(out / RESULT, store)
        print(f"{spec.name}: submitted as #{row} ({out / RESULT})", flush=True)
    entries = store.entries(protocol.id)
    print()
    print(render_table(entries, protocol.id))
    page = data_home() / "leaderboard.html"
    page.write_text(render_html(store.entries()))
    print(f"HTML leaderboard: {page}")
    print(f"main job took {time.perf_counter() - started:.0f} s")
    print()
    print("\n".join(summary(entries, Path(args.learned).name)))
    return 0


def summary(entries: list, learned: str) -> list[str]:
    """Three lines on what the table shows: the learned planner's strategies side by side
    (progression ± s.e.), what each costs (plans, generated tokens per step), and whether the
    best strategy beats the others and random by more than 2 standard errors (of the
    difference, paired by seed: every row played the protocol's seeds)."""
    from leaderboard.compare import difference, episode_scores

    rows = {e.result.agent.name: e.metrics for e in entries}
    episodes = {e.result.agent.name: e.result.episodes for e in entries}
    names = [f"{learned}/{s}" for s in STRATEGIES if f"{learned}/{s}" in rows]
    if not names:
        return [f"(no {learned} rows in this run: nothing to compare)"]

    def short(name: str) -> str:
        return name.split("/")[-1]

    def ahead(a: str, b: str) -> bool:
        """`a` beats `b` by more than 2 standard errors of the difference (paired by seed)."""
        gap = difference(
            episode_scores(episodes[b], "progression"), episode_scores(episodes[a], "progression")
        )
        return gap.difference > 0 and gap.beyond_2se

    best = max(names, key=lambda n: rows[n].progression)
    beaten = [short(n) for n in names if n != best and ahead(best, n)]
    cost = ", ".join(
        f"{short(n)} {rows[n].plans_per_100_steps:.0f} plans and "
        f"{rows[n].generated_tokens_per_step:.1f} tokens"
        for n in names
    )
    verdict = f"{short(best)} leads; by more than 2 s.e. over: {', '.join(beaten) or 'none'}"
    if "random" in rows:
        beats_random = "beats" if ahead(best, "random") else "does not beat"
        verdict += f"; it {beats_random} random ({rows['random'].progression:.1f} %) by 2 s.e."
    if "expert" in rows:
        verdict += f"; the expert: {rows['expert'].progression:.1f} %"
    return [
        f"{learned}, progression by planning strategy: "
        + "; ".join(
            f"{short(n)} {rows[n].progression:.1f} ± {rows[n].progression_se:.1f} %" for n in names
        ),
        f"per 100 steps / per step: {cost}",
        verdict,
    ]
