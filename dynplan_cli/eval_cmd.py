"""`dynplan eval`: run an agent on a protocol; write result.json, episodes and trajectories."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from agents.models import DEFAULT_MODEL
from agents.pair import ACTOR_SPECS, PLANNER_SPECS
from agents.prompts import PromptConfig
from dynplan_cli.backend_args import add_backend_arguments, agent_from_args, backend_options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--agent",
        default=None,
        help="random, expert, sb3:<policy dir or name>, gate:never|every:K|<gate dir or name> "
        "or llm:<strategy> (or --planner and --actor); on POGS random, random-walk, expert or "
        "llm:<strategy>",
    )
    parser.add_argument(
        "--planner", default=None, help=f"evaluate a planner/actor pair: {PLANNER_SPECS}"
    )
    parser.add_argument("--actor", default=None, help=f"the pair's actor: {ACTOR_SPECS}")
    parser.add_argument("--protocol", default="crafter-quick")
    parser.add_argument("--num-envs", type=int, default=4, help="episodes run in lockstep")
    parser.add_argument(
        "--out", default=None, help="run directory (default: a new one under <data dir>/runs)"
    )
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    parser.add_argument("--agent-seed", type=int, default=0)
    parser.add_argument("--name", default=None, help="the agent's name on the leaderboard")
    parser.add_argument("--plans", default=None, help="human plan file ('-': type plans)")
    parser.add_argument(
        "--temperature",
        type=float,
        default=0.0,
        help="LLM sampling temperature; for sb3 policies 0 takes the likeliest action, any "
        "other value samples",
    )
    parser.add_argument(
        "--history",
        type=int,
        default=None,
        help="past steps shown in full in the prompt (default: as the model was trained, "
        f"else {PromptConfig.history_length})",
    )
    parser.add_argument("--submit", action="store_true", help="submit the result when done")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes, each playing chunks of --num-envs seeds with its own agent "
        "(an OpenAI-compatible --base-url is shared by all)",
    )
    parser.add_argument(
        "--ray",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help="play the chunks on Ray: a cluster's address, or alone for a local Ray of "
        "--workers CPUs",
    )
    parser.add_argument("--no-progress", action="store_true")
    add_backend_arguments(parser)


def agent_spec(args: argparse.Namespace, parsed, prompt: dict | None, gate: dict | None):
    """What the result file records about the agent (`parsed`: `--agent` or a pair's actor,
    parsed once; `prompt`: an LLM's prompt config; `gate`: a gate agent's latency and noise)."""
    from agents.human_plan import plan_name
    from leaderboard.agent_specs import describe, describe_pair

    options = {
        "backend": args.backend,
        "model": args.model,
        "adapter": args.adapter,
        "temperature": args.temperature,
        "prompt": prompt,
        "weights_sha256": _weights(args, parsed),
    }
    if args.actor:
        spec = describe_pair(args.planner or "none", args.actor, **options)
    else:
        spec = describe(parsed or args.agent, gate=gate, **options)
    changes = {}
    plans = plan_name(args.plans) if args.plans and args.plans != "-" else args.plans
    if plans:
        changes = {"name": f"{spec.name}+plans:{plans}", "plans_file": args.plans}
    if args.name:
        changes["name"] = args.name
    return type(spec).model_validate({**spec.model_dump(), **changes})  # checks the new name


def _weights(args: argparse.Namespace, parsed) -> str | None:
    """The SHA-256 of the local LLM's weights the agent (or a pair's actor) plays with."""
    from agents.models import weights_sha256

    if parsed is None or parsed.kind != "llm" or args.backend != "transformers":
        return None
    return weights_sha256(parsed.model or args.model or DEFAULT_MODEL, args.adapter)


def run(args: argparse.Namespace) -> int:
    from dynplan_gym.paths import data_home, safe_name
    from leaderboard.protocols import get_protocol
    from leaderboard.runner import EPISODES, RESULT, RUN, EvaluationRun

    RUN_FILES = (RESULT, EPISODES)

    try:
        protocol = get_protocol(args.protocol)
    except ValueError as err:
        raise SystemExit(f"dynplan eval: {err}") from None
    if args.num_envs < 1:
        raise SystemExit(f"dynplan eval: --num-envs must be >= 1, got {args.num_envs}")
    if args.workers < 1:
        raise SystemExit(f"dynplan eval: --workers must be >= 1, got {args.workers}")
    from leaderboard.schema import AGENT_NAME_LENGTH

    if args.name is not None and not 1 <= len(args.name) <= AGENT_NAME_LENGTH:
        raise SystemExit(
            f"dynplan eval: --name must be 1 to {AGENT_NAME_LENGTH} characters, "
            f"got {len(args.name)}"
        )
    if args.resume and not args.out:
        raise SystemExit("dynplan eval: --resume needs --out (the run directory to continue)")
    if args.resume and not (Path(args.out) / RUN).is_file():
        print(f"dynplan eval: {args.out} holds no run to resume; starting one", file=sys.stderr)
    if args.out and not args.resume and any((Path(args.out) / f).exists() for f in RUN_FILES):
        raise SystemExit(
            f"dynplan eval: {args.out} already holds a run; add --resume to continue it, or "
            "give a new --out"
        )
    parsed = _parsed(args)
    _check_shipped_name(args, parsed)
    agent, agent_factory = _agent(args, protocol, parsed)
    inner = getattr(agent, "agent", None) or getattr(agent, "actor", agent)  # plans, pairs
    prompt = getattr(inner, "config", None)
    gate = {k: getattr(agent, k) for k in ("latency", "noise") if hasattr(agent, k)}
    spec = agent_spec(args, parsed, prompt.to_dict() if prompt else None, gate)
    if args.out:
        out = Path(args.out)
    else:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        out = data_home() / "runs" / f"{stamp}-{protocol.id}-{safe_name(spec.name)}"
    run = EvaluationRun(
        agent, spec, protocol, out, num_envs=args.num_envs, agent_seed=args.agent_seed
    )
    try:
        result = run.run(
            resume=args.resume,
            progress=not args.no_progress,
            workers=args.workers,
            ray=args.ray,
            agent_factory=agent_factory,
        )
    except RuntimeError as err:  # Ray missing or unreachable, workers dying again and again
        raise SystemExit(f"dynplan eval: {err}") from None
    except (ValueError, FileExistsError) as err:  # --resume over another run, --out a file
        if isinstance(err, FileExistsError) and err.filename:
            err = f"--out {args.out} is a file; expected a directory for the run"
        raise SystemExit(f"dynplan eval: {err}") from None
    from dynplan_gym.games import GAMES
    from leaderboard.metrics import compute_metrics

    metrics = compute_metrics(result.episodes)
    score = GAMES[protocol.family].summary.format(**metrics.to_dict())
    print(
        f"{spec.name} on {protocol.id}: {score}, plans/100 steps "
        f"{metrics.plans_per_100_steps:.1f}, invalid {100 * metrics.invalid_rate:.0f}%"
    )
    print(f"result: {out / RESULT}")
    if args.submit:
        from leaderboard.store import Store, submit

        row, new, _ = submit(out / RESULT, Store())
        print(f"submitted as #{row}" + ("" if new else " (already on the leaderboard)"))
    return 0


def _parsed(args: argparse.Namespace):
    """`--agent` (or a pair's `--actor`) parsed, once for the whole evaluation; None where
    there is none or it does not parse (`_agent` then says what is wrong, in one line)."""
    from agents.specs import parse_spec

    try:
        return parse_spec(args.actor or args.agent) if (args.actor or args.agent) else None
    except ValueError:
        return None


def _check_shipped_name(args: argparse.Namespace, parsed) -> None:
    """Refuse `--name` of a shipped checkpoint (`learned-dynamic`, ...) for an agent that plays
    the embedded model (no `--model` given), another shipped checkpoint or no LLM at all: its
    board row would carry the shipped name and another model's play. A model directory is
    taken as named (the recipes name their fresh models so)."""
    from agents.models import CHECKPOINTS, CHECKPOINTS_DIR, EMBEDDED

    if args.name not in CHECKPOINTS or args.planner or args.actor or parsed is None:
        return
    model = (parsed.model or args.model or DEFAULT_MODEL) if parsed.kind == "llm" else None
    if model is not None and model not in EMBEDDED and model not in CHECKPOINTS:
        return
    shipped_model, shipped_adapter = CHECKPOINTS[args.name]
    if model in CHECKPOINTS and CHECKPOINTS[model][0] == shipped_model:
        adapter = args.adapter or (
            CHECKPOINTS[model][1] and str(CHECKPOINTS_DIR / CHECKPOINTS[model][1])
        )
        wanted = shipped_adapter and str(CHECKPOINTS_DIR / shipped_adapter)
        if (adapter and Path(adapter).resolve()) == (wanted and Path(wanted).resolve()):
            return
    played = (model or args.agent) + (f" with adapter {args.adapter}" if args.adapter else "")
    raise SystemExit(
        f"dynplan eval: --name {args.name} is a shipped model's name, but the agent plays "
        f"{played}; add --model {args.name} (or --agent {args.name}), or give another --name"
    )


def _agent(args: argparse.Namespace, protocol, parsed):
    """(the agent `--agent` (and `--plans`) or `--planner`/`--actor` describe, for `protocol`;
    a picklable factory that makes another such agent in a worker)."""
    import functools

    if (args.planner or args.actor) and protocol.family != "crafter":
        raise SystemExit(f"dynplan eval: planner/actor pairs play Crafter, not {protocol.id}")
    if args.planner or args.actor:
        if args.agent or args.plans:
            raise SystemExit(
                "dynplan eval: give --agent (with --plans) or --planner/--actor, not both"
            )
        if not args.actor:
            raise SystemExit(f"dynplan eval: --planner needs --actor ({ACTOR_SPECS})")
        from agents.pair import make_pair

        factory = functools.partial(
            make_pair,
            args.planner or "none",
            args.actor,
            backend_options=backend_options(args),
            temperature=args.temperature,
            seed=args.agent_seed,
        )
        try:
            return factory(), factory
        except (ValueError, FileNotFoundError) as err:
            raise SystemExit(f"dynplan eval: {err}") from None
    if not args.agent:
        raise SystemExit("dynplan eval: give --agent, or --planner and --actor")
    from agents.factory import make_agent

    options = {
        "history_length": args.history,
        "seed": args.agent_seed,
        "env": protocol.family,
        "env_kwargs": protocol.make_env_kwargs(),
    }
    agent = agent_from_args(args, spec=parsed, **options)
    factory = functools.partial(
        make_agent,
        parsed,
        backend_options=backend_options(args),
        temperature=args.temperature,
        plans=args.plans,
        **options,
    )
    return agent, factory
