"""`dynplan experiment sample-efficiency` end to end at a tiny size, and its curve arithmetic."""

from __future__ import annotations

import json

import pytest
import torch

from baselines.configs import SampleEfficiencyConfig
from baselines.sample_efficiency import (
    CURVE,
    PLOT,
    README,
    RESULTS,
    claim_of,
    final_level,
    run_sample_efficiency,
    steps_to_reach,
)
from dynplan_cli import main


def test_the_claim_reads_the_curves():
    control = {"env_steps": [10, 20, 30, 40], "mean": [1, 2, 3, 5], "smooth": [1, 1.5, 2, 2.75]}
    assert final_level(control) == 5  # the last quarter: one update
    planner = {"env_steps": [10, 20, 30, 40], "mean": [4, 6, 6, 6], "smooth": [4, 5, 5.3, 5.5]}
    assert steps_to_reach(planner, 5) == 20
    assert steps_to_reach(planner, 7) is None


def test_a_curve_that_starts_above_the_level_has_not_reached_it_by_learning():
    def start(smooth, by_seed):
        steps = [256 * (i + 1) for i in range(len(smooth))]
        curve = {"env_steps": steps, "mean": smooth, "smooth": smooth}
        return {"curves": {CURVE: curve}, "progression_by_seed": by_seed}

    seeds = [[100, 20.0], [101, 22.0], [102, 25.0]]
    falling = start([3.7, 3.0, 2.4, 2.4], seeds)  # young episodes unlock more: no learning
    control = start([4.3, 3.0, 2.3, 2.3], seeds)
    claim = claim_of({"planner": falling, "control": control})
    assert claim["planner_starts_above_it"] and claim["planner_steps_to_reach_it"] is None
    assert not claim["shown"]
    rising = start([1.0, 2.0, 2.5, 2.6], seeds)
    claim = claim_of({"planner": rising, "control": control})
    assert claim["planner_steps_to_reach_it"] == 768 and not claim["in_half_the_steps"]


def test_ppo_from_each_start_then_the_final_models_play(tiny_model_dir, tmp_path):
    from transformers import AutoModelForCausalLM

    config = SampleEfficiencyConfig(
        out=str(tmp_path / "se"),
        planner=str(tiny_model_dir),
        control=str(tiny_model_dir),
        seeds=2,
        updates=2,
        num_envs=2,
        rollout_steps=2,
        protocol="crafter-smoke",
        eval_envs=2,
        workers=1,
    )
    results = run_sample_efficiency(config, progress=False)
    assert set(results["starts"]) == {"planner", "control", "base"}
    for name, start in results["starts"].items():
        points = start["curves"][CURVE]
        assert points["env_steps"] == [4, 8] and len(points["mean"]) == len(points["se"]) == 2
        for seed in (0, 1):
            log = tmp_path / "se" / "runs" / f"{name}-seed{seed}" / "rl" / "log.jsonl"
            assert len(log.read_text().splitlines()) == 2
        assert [s for s, _ in start["progression_by_seed"]] == [90, 91]
    assert results["starts"]["control"]["strategy"] == "never"
    claim = results["claim"]
    assert claim["budget_env_steps"] == 8 and isinstance(claim["shown"], bool)
    # The base: the planner's shape and tokenizer, other weights.
    base = AutoModelForCausalLM.from_pretrained(tmp_path / "se" / "base")
    planner = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    shape = ("hidden_size", "num_hidden_layers", "vocab_size", "num_attention_heads")
    assert [getattr(base.config, k) for k in shape] == [getattr(planner.config, k) for k in shape]
    assert not torch.equal(base.lm_head.weight, planner.lm_head.weight)
    assert (tmp_path / "se" / "base" / "tokenizer.json").read_text() == (
        tiny_model_dir / "tokenizer.json"
    ).read_text()
    written = json.loads((tmp_path / "se" / RESULTS).read_text())
    assert written["command"].startswith("dynplan experiment sample-efficiency")
    assert (tmp_path / "se" / PLOT).stat().st_size > 10_000
    assert "Claim" in (tmp_path / "se" / README).read_text()


def test_bad_sizes_get_one_line(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["experiment", "sample-efficiency", "--seeds", "0", "--out", str(tmp_path / "o")])
    assert (
        str(exit_info.value) == "dynplan experiment sample-efficiency: --seeds must be >= 1, got 0"
    )
