"""What limits a learned agent: next-action accuracy against the expert, on held-out states.

For each held-out expert sample, the model gets the sample's exact prompt and, where the expert
planned, the expert's plan as the start of its answer; it then writes the action as it would in
an evaluation (greedy, `<plan>` banned). Accuracy is split by the expert's subgoal (what the
expert was doing: exploring, collecting wood, drinking, sleeping, ...) and by the expert's
action, so a report says which parts of the game the student has not learned.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from agents.parser import PLAN_CLOSE, PLAN_OPEN, parse_output
from agents.prompts import PromptConfig
from dynplan_gym.crafter_actions import ACTION_NAMES


@dataclass(frozen=True)
class DiagnoseConfig:
    """Which model, on which held-out expert samples."""

    model: str
    data: str
    adapter: str | None = None
    samples: int = 2000  # taken evenly across the dataset
    batch_size: int = 32
    device: str = "auto"


def answer_prefix(answer: str) -> str:
    """The expert answer's plan block (with its newline), or "" when it did not plan."""
    if PLAN_CLOSE not in answer:
        return ""
    return answer[: answer.index(PLAN_CLOSE) + len(PLAN_CLOSE)] + "\n"


def diagnose(config: DiagnoseConfig, progress: bool = True, backend=None) -> dict:
    """Accuracy overall, per expert subgoal and per expert action, plus the confusions
    (`backend`: answers instead of the config's model, e.g. in tests)."""
    from tqdm import tqdm

    from agents.backends import make_backend
    from baselines.sft import load_samples

    samples = load_samples(config.data)
    stride = max(1, len(samples) // config.samples)
    chosen = samples[::stride][: config.samples]
    backend = backend or make_backend(
        "transformers", model=config.model, adapter=config.adapter, device=config.device
    )
    max_tokens = PromptConfig().max_action_tokens
    hits: Counter = Counter()
    totals: Counter = Counter()
    confusions: Counter = Counter()
    for start in tqdm(range(0, len(chosen), config.batch_size), disable=not progress):
        batch = chosen[start : start + config.batch_size]
        prompts = []
        for sample in batch:
            *prompt, answer = sample["messages"]
            prefix = answer_prefix(answer["content"])
            prompts.append(
                [*prompt, {"role": "assistant", "content": prefix}] if prefix else prompt
            )
        outs = backend.generate(prompts, max_tokens, banned=(PLAN_OPEN,))
        for sample, out in zip(batch, outs, strict=True):
            expert = int(sample["meta"]["action"])
            action = parse_output(out.text).action
            subgoal = sample["meta"].get("subgoal", "?")
            for key in ("all", f"subgoal:{subgoal}", f"action:{ACTION_NAMES[expert]}"):
                totals[key] += 1
                hits[key] += action == expert
            if action != expert:
                confusions[f"{ACTION_NAMES[expert]} -> {ACTION_NAMES[action]}"] += 1
    return _report(config, hits, totals, confusions)


def _report(config: DiagnoseConfig, hits: Counter, totals: Counter, confusions: Counter) -> dict:
    def table(prefix: str) -> dict:
        rows = {
            k[len(prefix) :]: (hits[k] / totals[k], totals[k])
            for k in totals
            if k.startswith(prefix)
        }
        return {
            k: {"accuracy": a, "samples": n}
            for k, (a, n) in sorted(rows.items(), key=lambda r: -r[1][1])
        }

    return {
        "model": config.model,
        "adapter": config.adapter,
        "data": config.data,
        "samples": totals["all"],
        "accuracy": hits["all"] / max(totals["all"], 1),
        "by_subgoal": table("subgoal:"),
        "by_action": table("action:"),
        "top_confusions": dict(confusions.most_common(10)),
    }


def format_report(report: dict) -> str:
    """The report as a few plain-text tables."""
    lines = [
        f"next-action accuracy vs the expert: {report['accuracy']:.1%} "
        f"on {report['samples']} held-out states ({report['model']})"
    ]
    for title, key in (("by expert subgoal", "by_subgoal"), ("by expert action", "by_action")):
        lines.append(f"\n{title}:")
        lines += [
            f"  {name:<24} {row['accuracy']:6.1%}  ({row['samples']})"
            for name, row in report[key].items()
        ]
    lines.append("\nmost frequent mistakes (expert -> model):")
    lines += [f"  {pair:<36} {n}" for pair, n in report["top_confusions"].items()]
    return "\n".join(lines)


def write_report(report: dict, out: str | Path) -> None:
    Path(out).write_text(json.dumps(report, indent=1))
