"""`dynplan experiment goldilocks` at tiny sizes: every run goes through the runner, the
results hold mean ± s.e. per schedule and setting with the command, the plot is drawn, a
second call resumes from the finished runs, and bad settings get one clear line."""

from __future__ import annotations

import json

import pytest

from baselines.configs import GoldilocksConfig
from baselines.goldilocks import PLOT, RESULTS, front_report, plan_runs


@pytest.mark.slow
def test_a_tiny_sweep_writes_results_and_a_plot_and_resumes(tmp_path, capsys):
    from dynplan_cli import main

    out = tmp_path / "goldilocks"
    argv = [
        "experiment", "goldilocks", "--out", str(out), "--intervals", "1,4",
        "--settings", "0:0,2:0.2", "--protocol", "crafter-quick", "--gate-timesteps", "64",
        "--workers", "1", "--num-envs", "4", "--no-progress",
    ]  # fmt: skip
    assert main(argv) == 0
    results = json.loads((out / RESULTS).read_text())
    assert results["command"].startswith("dynplan experiment goldilocks --out")
    assert [(s["latency"], s["noise"]) for s in results["settings"]] == [(0, 0.0), (2, 0.2)]
    for setting in results["settings"]:
        assert list(setting["runs"]) == ["every:1", "every:4", "never", "learned"]
        for point in setting["runs"].values():
            assert point["episodes"] == 4 and point["progression"]["se"] >= 0
        assert "on_or_beyond_front" in setting["gate"]
    every_step = results["settings"][0]["runs"]
    assert every_step["every:1"]["plans_per_100_steps"] == pytest.approx(100.0)
    assert every_step["never"]["plans_per_100_steps"] < every_step["every:4"]["plans_per_100_steps"]
    assert (out / PLOT).stat().st_size > 10_000
    readme = (out / "README.md").read_text()
    assert "| learned gate |" in readme and "## latency 2, noise 0.2" in readme
    replay = f"dynplan replay {out}/runs/L2-n0.2/learned --seed "
    assert replay in readme and f"--compare {out}/runs/L2-n0.2/never`" in readme
    command = readme.split("`dynplan replay ")[-1].split("`")[0].split()
    assert main(["replay", *command, "--out", str(tmp_path / "typical.html")]) == 0
    assert "the learned gate is" in capsys.readouterr().out
    assert main(argv) == 0  # the runs and gates are found finished
    assert json.loads((out / RESULTS).read_text())["settings"] == results["settings"]
    with pytest.raises(SystemExit, match="a setting is LATENCY:NOISE"):
        main(["experiment", "goldilocks", "--out", str(out), "--settings", "two"])


def test_the_sweep_plans_every_interval_and_the_front_report_reads_the_gap():
    runs = plan_runs(GoldilocksConfig(intervals=["1", "8"], settings=["0:0"]))
    assert [r.schedule for r in runs] == ["every:1", "every:8", "never", "learned"]
    llm = plan_runs(GoldilocksConfig(agent="llm", intervals=["2"], settings=["2:0.1", "4:0"]))
    assert [(r.latency, r.schedule) for r in llm] == [(0, "every:2"), (0, "never"), (0, "dynamic")]

    def point(progression: float, se: float, tokens: float) -> dict:
        return {"progression": {"mean": progression, "se": se}, "plan_tokens_per_step": tokens}

    report = front_report(
        {"every:1": point(60, 2, 16), "every:8": point(40, 2, 2), "learned": point(30, 2, 3)}
    )
    assert report == {"dominated_by": ["every:8"], "beats": [], "on_or_beyond_front": False}
    report = front_report({"every:1": point(60, 2, 16), "learned": point(59, 2, 3)})
    assert report["on_or_beyond_front"] and report["beats"] == []
    # an LLM's `dynamic` is the point that decides for itself
    report = front_report({"every:1": point(60, 2, 16), "dynamic": point(70, 2, 3)})
    assert report == {"dominated_by": [], "beats": ["every:1"], "on_or_beyond_front": True}


def test_env_pogs_takes_pogs_defaults_where_crafters_were_left():
    config = GoldilocksConfig(env="pogs")
    assert (config.agent, config.protocol, config.model) == (
        "llm",
        "pogs-standard-dev",
        "pogs-planner",
    )
    assert config.out == "experiments/goldilocks-pogs" and config.intervals[-1] == "16"
    mine = GoldilocksConfig(env="pogs", model="/m", protocol="pogs-hard-dev", intervals=["2"])
    assert (mine.model, mine.protocol, mine.intervals) == ("/m", "pogs-hard-dev", ["2"])
    with pytest.raises(ValueError, match="--agent llm"):
        GoldilocksConfig(env="pogs", agent="gate", intervals=["2"])
    with pytest.raises(ValueError, match="--env is crafter or pogs"):
        GoldilocksConfig(env="nethack")
    from baselines.goldilocks import run_goldilocks

    with pytest.raises(ValueError, match="plays crafter, not pogs"):
        run_goldilocks(GoldilocksConfig(env="pogs", protocol="crafter-quick"))


@pytest.mark.slow
def test_the_same_sweep_runs_an_llm_agent(tmp_path, tiny_model_dir):
    from baselines.goldilocks import run_goldilocks

    config = GoldilocksConfig(
        out=str(tmp_path / "llm"),
        agent="llm",
        model=str(tiny_model_dir),
        intervals=["2"],
        protocol="crafter-quick",
        workers=1,
        num_envs=4,
    )
    results = run_goldilocks(config, progress=False)
    (setting,) = results["settings"]
    assert list(setting["runs"]) == ["every:2", "never", "dynamic"]
    assert "on_or_beyond_front" in setting["gate"]  # where `dynamic` sits
    assert setting["runs"]["every:2"]["plans_per_100_steps"] > 0
    assert setting["runs"]["never"]["plans_per_100_steps"] == 0
    assert "--agent llm" in results["command"] and (tmp_path / "llm" / PLOT).is_file()
    played = json.loads((tmp_path / "llm/runs/L0-n0/never/result.json").read_text())["agent"]
    assert played["decoding"]["temperature"] == 0.0  # greedy unless --temperature says otherwise
    assert played["decoding"]["prompt"]["env"] == "crafter"
