"""`dynplan diagnose`: a student's next-action accuracy against the expert, counted exactly."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from agents.backends.base import Completion
from baselines.diagnose import DiagnoseConfig, answer_prefix, diagnose, format_report
from baselines.planning_data import DataConfig, generate
from dynplan_cli import main
from dynplan_gym.crafter_actions import ACTION_NAMES


class AlwaysBackend:
    """Answers every prompt with one action; records the prompts' assistant prefixes."""

    name = "always"

    def __init__(self, action: str) -> None:
        self.action, self.prefixes = action, []

    def generate(self, prompts, max_new_tokens, temperature=0.0, stop=(), banned=()):
        assert "<plan>" in banned  # the action is written as in evaluation: no new plan
        for prompt in prompts:
            last = prompt[-1]
            self.prefixes.append(last["content"] if last["role"] == "assistant" else "")
        return [Completion(self.action, 10, 2) for _ in prompts]


@pytest.fixture(scope="module")
def held_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("held-out")
    config = DataConfig(
        trajectories=3, max_steps=60, first_env_seed=30_000, schedule_weights={"every": 1}
    )
    generate(config, out, progress=False)
    return out


def _samples(path):
    return [json.loads(line) for line in (path / "samples.jsonl").read_text().splitlines()]


def test_accuracy_is_the_share_of_states_where_the_expert_did_the_same(held_out):
    samples = _samples(held_out)
    expert = Counter(ACTION_NAMES[s["meta"]["action"]] for s in samples)
    backend = AlwaysBackend("Move West")
    config = DiagnoseConfig(model="unused", data=str(held_out), samples=len(samples))
    report = diagnose(config, progress=False, backend=backend)
    assert report["samples"] == len(samples)
    assert report["accuracy"] == pytest.approx(expert["Move West"] / len(samples))
    assert report["by_action"]["Move West"]["accuracy"] == 1.0
    assert all(r["accuracy"] == 0.0 for a, r in report["by_action"].items() if a != "Move West")
    assert sum(r["samples"] for r in report["by_subgoal"].values()) == len(samples)
    # where the expert planned, its plan starts the answer; elsewhere nothing does
    planned = [answer_prefix(s["messages"][-1]["content"]) for s in samples]
    assert backend.prefixes == planned and any(planned) and not all(planned)
    assert all(p.startswith("<plan>") and p.endswith("</plan>\n") for p in planned if p)
    assert "next-action accuracy vs the expert" in format_report(report)


def test_cli_reports_a_missing_dataset_in_one_line(tmp_path):
    with pytest.raises(SystemExit, match=r"dynplan diagnose: .*not found"):
        main(["diagnose", "--model", "learned-dynamic", "--data", str(tmp_path / "nope")])
