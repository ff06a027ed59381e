"""`dynplan experiment tech-tree` end to end at a tiny size, and the tiers themselves."""

from __future__ import annotations

import json

import pytest

from baselines.configs import TechTreeConfig
from baselines.tech_tree import PLOT, README, RESULTS, run_tech_tree
from dynplan_cli import main
from dynplan_gym.achievements import ACHIEVEMENTS, TECH_TIERS, deepest_tier


def test_tiers_name_crafter_achievements_and_the_deepest_one_counts():
    assert {name for _, names in TECH_TIERS for name in names} <= set(ACHIEVEMENTS)
    assert deepest_tier({}) == 0
    assert deepest_tier({"collect_wood": 3, "eat_cow": 1}) == 1
    assert deepest_tier({"collect_wood": 1, "make_wood_sword": 1}) == 3
    assert deepest_tier({"collect_iron": 1, "collect_wood": 0}) == 7  # the deepest, not a count
    assert deepest_tier({"collect_diamond": 1}) == len(TECH_TIERS)


def test_the_experiment_pairs_each_agent_with_the_reference_by_seed(tmp_path):
    config = TechTreeConfig(
        out=str(tmp_path / "tech-tree"),
        agents=["random", "expert"],
        protocol="crafter-quick",
        num_envs=5,
        workers=1,
    )
    results = run_tech_tree(config, progress=False)
    assert results["reference"] == "random"
    run = json.loads((tmp_path / "tech-tree" / "runs" / "expert" / "result.json").read_text())
    expert = results["agents"]["expert"]
    assert expert["tier_by_seed"] == [
        [e["seed"], deepest_tier(e["achievements"])] for e in run["episodes"]
    ]
    reached = [depth >= 1 for _, depth in expert["tier_by_seed"]]
    assert expert["reaches"]["wood"]["mean"] == pytest.approx(100 * sum(reached) / len(reached))
    versus = expert["vs_reference"]
    random_tiers = dict(results["agents"]["random"]["tier_by_seed"])
    gaps = [depth - random_tiers[seed] for seed, depth in expert["tier_by_seed"]]
    assert versus["deepest_tier"]["difference"] == pytest.approx(sum(gaps) / len(gaps), abs=1e-3)
    assert "vs_reference" not in results["agents"]["random"]
    written = json.loads((tmp_path / "tech-tree" / RESULTS).read_text())
    assert written["command"].startswith("dynplan experiment tech-tree")
    assert (tmp_path / "tech-tree" / PLOT).stat().st_size > 10_000
    report = (tmp_path / "tech-tree" / README).read_text()
    assert "| expert |" in report and "deepest tier" in report
    # A second call finds every run finished and plays nothing again.
    episodes = tmp_path / "tech-tree" / "runs" / "expert" / "episodes.jsonl"
    before = episodes.read_text()
    again = run_tech_tree(config, progress=False)
    assert again["agents"]["expert"]["tier_by_seed"] == expert["tier_by_seed"]
    assert episodes.read_text() == before


def test_a_reference_outside_the_agents_gets_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "experiment",
                "tech-tree",
                "--agents",
                "random",
                "--reference",
                "expert",
                "--out",
                str(tmp_path / "o"),
            ]
        )
    assert str(exit_info.value).startswith("dynplan experiment tech-tree: --reference")
    assert not (tmp_path / "o").exists()
