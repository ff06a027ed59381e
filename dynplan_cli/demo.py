"""`dynplan demo`, the main job: evaluate the standard agents, submit, show the leaderboard.

Runs the random agent, the scripted expert, the embedded SmolLM2-135M under `never`,
`always`, `every:4` and `dynamic`, and the shipped learned dynamic planners (SFT, SFT+RL) on
`crafter-quick`, submits each result to the local leaderboard, prints the table and writes the
HTML page into the data directory. An agent `llm:<strategy>@<model>` names its own model.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

DEFAULT_AGENTS = (
    "random",
    "expert",
    "llm:never",
    "llm:always",
    "llm:every:4",
    "llm:dynamic",
    "llm:dynamic@learned-dynamic",
    "llm:dynamic@learned-dynamic+rl",
)
# The shipped learned planners sample, as they were trained to (seeded, so reproducible).
CHECKPOINT_TEMPERATURE = 1.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--protocol", default="crafter-quick")
    parser.add_argument("--agents", nargs="+", default=list(DEFAULT_AGENTS))
    parser.add_argument("--model", default="smollm2-135m", help="for the llm agents")
    parser.add_argument("--num-envs", type=int, default=4)
    parser.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from agents.backends import make_backend
    from agents.factory import make_agent
    from agents.llm_agent import LLMAgent
    from agents.models import CHECKPOINTS
    from agents.paths import data_home, safe_name
    from leaderboard.protocols import get_protocol
    from leaderboard.render import render_html, render_table
    from leaderboard.runner import RESULT, EvaluationRun
    from leaderboard.schema import AgentSpec
    from leaderboard.store import Store, submit

    protocol = get_protocol(args.protocol)
    run_root = data_home() / "runs" / f"demo-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    store = Store()
    store.sync_repository()
    backends: dict[str, object] = {}
    started = time.perf_counter()
    for spec_text in args.agents:
        if spec_text.startswith("llm:"):
            strategy, _, model = spec_text[len("llm:") :].partition("@")
            model = model or args.model
            if model not in backends:
                backends[model] = make_backend("transformers", model=model)
            shipped = model in CHECKPOINTS
            temperature = CHECKPOINT_TEMPERATURE if shipped else 0.0
            agent = LLMAgent(backends[model], strategy, temperature=temperature)
            spec = AgentSpec(
                name=model if shipped else f"{Path(model).name}/{strategy}",
                kind="llm",
                strategy=strategy,
                backend="transformers",
                model=model,
                decoding={"temperature": temperature},
            )
        else:
            agent = make_agent(spec_text, seed=0)
            spec = AgentSpec(name=spec_text, kind=spec_text)
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
    return 0
