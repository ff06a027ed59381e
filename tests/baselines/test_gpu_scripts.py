"""The scripts at tiny sizes on the CPU: the GPU recipe runs end to end (LoRA on a local model)
and then resumes with every stage skipped, and so do the CPU recipes (`make learned`, `make
pogs-planner`); the GPU
lease script runs its stages and hands back the trained models, and its speed check
(`gpu_check.sh --tiny`) prints every row of its table with a finite number."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from baselines.planning_data import DataConfig, generate

ROOT = Path(__file__).resolve().parents[2]
# The rows of `gpu_check.sh --tiny`: batch 2 training, 1 and 2 envs, generate at batch 1 and 4.
TINY_ROWS = (
    "sft: our step (Trainer, shared prefix, by length), batch 2",
    "sft: our step, --compile (norms and MLP compiled), batch 2",
    "anchor: plain full FT step, 1024 tokens, batch 2",
    "ppo: envs 2 x 2 steps, LoRA 4",
    "runner: llm:never, envs 1 x 2 steps",
    "runner: llm:never, envs 2 x 2 steps",
    "runner: llm:never, envs 2, dynamic cache (reference)",
    "runner: llm:always, envs 1 x 2 steps",
    "runner: llm:always, envs 2 x 2 steps",
    "runner: llm:always, envs 2, dynamic cache (reference)",
    "anchor: model.generate, 900+16 tokens, batch 1",
    "anchor: model.generate, 900+16 tokens, batch 4",
)


def _run(command: list[str], env: dict[str, str] | None = None, timeout: int = 300) -> str:
    result = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHON": sys.executable, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def _assert_a_second_run_skips_every_stage(script: str, sizes: dict[str, str]) -> None:
    """Run a finished recipe again: no card is rewritten and no data generated."""
    run = Path(sizes["RUN"])
    stamps = {p: p.stat().st_mtime_ns for p in run.glob("*/card.json")}
    output = _run(["bash", script], sizes)
    assert {p: p.stat().st_mtime_ns for p in run.glob("*/card.json")} == stamps
    assert "dataset:" not in output  # the data stage was skipped


def _cpu_recipe(tmp_path: Path) -> dict[str, str]:
    """The settings every CPU recipe test shares: our dynplan, the tiny scratch model."""
    return {
        "DYNPLAN": str(Path(sys.executable).parent / "dynplan"),
        "MODEL": "scratch:tiny",
        "RUN": str(tmp_path / "run"),
    }


def _table(output: str) -> dict[str, list[str]]:
    """Measurement name -> the other cells of each table row."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and cells[0] not in ("measurement", "---"):
            rows[cells[0]] = cells[1:]
    return rows


@pytest.mark.slow
def test_learned_gpu_recipe_runs_end_to_end_then_resumes(tiny_model_dir, tmp_path):
    sizes = {
        "DYNPLAN": str(Path(sys.executable).parent / "dynplan"),
        "MODEL": str(tiny_model_dir),  # a local HF directory: the LoRA path, as smollm2-135m
        "RUN": str(tmp_path / "run"),
        "TRAJECTORIES": "2",
        "MAX_STEPS": "20",
        "SFT_STEPS": "2",
        "SFT_BATCH": "4",
        "RL_UPDATES": "1",
        "RL_ENVS": "2",
        "RL_STEPS": "2",
        "PROTOCOL": "crafter-quick",
        "EVAL_ENVS": "4",
    }
    _run(["bash", "scripts/learned_gpu.sh"], sizes)
    run = tmp_path / "run"
    sft, rl = (
        json.loads((run / "sft/card.json").read_text()),
        json.loads((run / "rl/card.json").read_text()),
    )
    assert sft["kind"] == "lora-adapter" and sft["steps"] == 2
    # make learned's levers: a loss on the observation, no system message
    assert sft["config"]["prompt_loss_weight"] == 1 and not sft["prompt"]["instruction"]
    assert sft["data"]["config"]["actor"] == "executor"  # as make learned's data
    assert sft["prompt"]["view_grid"]
    assert rl["updates"] == 1 and rl["config"]["adapter"] == str(run / "sft")
    agent = f"{tiny_model_dir.name}-gpu-dynamic+rl"
    result = json.loads((run / f"eval-crafter-quick-{agent}/result.json").read_text())
    assert result["complete"] and result["agent"]["name"] == agent
    assert result["agent"]["adapter"] == str(run / "rl")
    _assert_a_second_run_skips_every_stage("scripts/learned_gpu.sh", sizes)


@pytest.mark.slow
def test_learned_cpu_recipe_runs_end_to_end_then_resumes(tmp_path):
    sizes = {
        **_cpu_recipe(tmp_path),
        "TRAJECTORIES": "2",
        "MAX_STEPS": "15",
        "SFT_STEPS": "2",
        "RL_UPDATES": "1",
        "RL_ENVS": "2",
        "RL_STEPS": "2",
        "PROTOCOL": "crafter-quick",
        "SELECT_PROTOCOL": "crafter-smoke",
        "EVAL_ENVS": "4",
    }
    _run(["bash", "scripts/learned_cpu.sh"], sizes)
    run = tmp_path / "run"
    for name, strategy in (("learned-dynamic", "dynamic"), ("learned-never", "never")):
        result = json.loads((run / f"eval-crafter-quick-{name}/result.json").read_text())
        assert result["complete"] and result["agent"]["strategy"] == strategy
    never = [json.loads(line) for line in (run / "data-never/samples.jsonl").open()]
    assert never and not any("<plan>" in s["messages"][-1]["content"] for s in never)
    planned = [json.loads(line) for line in (run / "data/samples.jsonl").open()]
    assert any(s["meta"]["plan"] for s in planned)  # the expert's plans, carried out ...
    assert [s["meta"]["action"] for s in planned] == [s["meta"]["action"] for s in never]
    card = json.loads((run / "data/card.json").read_text())
    assert card["config"]["actor"] == "executor"  # ... and hidden from the control's prompts
    assert json.loads((run / "data-never/card.json").read_text())["config"]["hide_plans"]
    assert all([m["role"] for m in s["messages"]] == ["user", "assistant"] for s in never)
    sft = json.loads((run / "sft/card.json").read_text())
    assert sft["config"]["prompt_loss_weight"] == 1 and sft["prompt"]["instruction"] is False
    assert sft["prompt"]["view_grid"]
    student = run / "sft"
    # the plans' information: planner and control on the same held-out states
    information = (run / "plan-information.txt").read_text()
    assert information.startswith("plan information: planner ") and "control" in information
    # PPO once per seed (0 and 1); `rl` links the run that played best on the selection seeds
    selection = json.loads((run / "rl-selection.json").read_text())
    assert selection["protocol"] == "crafter-smoke"
    assert set(selection["scores"]) == {str(run / "rl-seed0"), str(run / "rl-seed1")}
    assert (run / "rl").resolve() == Path(selection["chosen"])
    assert selection["scores"][selection["chosen"]]["progression"] == max(
        score["progression"] for score in selection["scores"].values()
    )
    # ... and what it gained over the student without PPO, played on the same seeds
    assert selection["reference"]["model"] == str(student)
    assert selection["gain"]["progression"] == pytest.approx(
        selection["scores"][selection["chosen"]]["progression"]
        - selection["reference"]["progression"]
    )
    for seed in (0, 1):
        rl = json.loads((run / f"rl-seed{seed}/card.json").read_text())
        assert rl["updates"] == 1 and rl["config"]["model"] == str(student)
        assert rl["config"]["seed"] == seed
    dynamic = json.loads((run / "eval-crafter-quick-learned-dynamic/result.json").read_text())
    assert dynamic["agent"]["model"] == str(student)
    _assert_a_second_run_skips_every_stage("scripts/learned_cpu.sh", sizes)


@pytest.mark.slow
def test_pogs_cpu_recipe_runs_end_to_end_then_resumes(tmp_path):
    sizes = {
        **_cpu_recipe(tmp_path),
        "TRAJECTORIES": "20",
        "SFT_STEPS": "2",
        "BATCH": "4",
        "PROTOCOLS": "pogs-standard-dev",
        "EVAL_ENVS": "100",
    }
    _run(["bash", "scripts/pogs_cpu.sh"], sizes)
    run = tmp_path / "run"
    sft = json.loads((run / "sft/card.json").read_text())
    assert sft["config"]["prompt_loss_weight"] == 1
    assert sft["prompt"]["env"] == "pogs" and sft["prompt"]["neighbours"]
    assert {
        s["meta"]["schedule"].split(":")[0]
        for s in map(json.loads, (run / "data/samples.jsonl").open())
    } <= {"every", "dynamic"}
    result = json.loads((run / "eval-pogs-standard-dev-pogs-planner/result.json").read_text())
    assert result["complete"] and result["agent"]["strategy"] == "dynamic"
    _assert_a_second_run_skips_every_stage("scripts/pogs_cpu.sh", sizes)


@pytest.mark.slow
def test_gpu_lease_runs_its_stages_and_hands_back_the_models(tmp_path):
    import lzma
    import shutil
    import tarfile

    data, lease = tmp_path / "data", tmp_path / "lease"
    generate(DataConfig(trajectories=2, max_steps=20), data, progress=False)
    lease.mkdir()
    shutil.copy(data / "card.json", lease / "card.json")
    with (
        open(data / "samples.jsonl", "rb") as src,
        lzma.open(lease / "samples.jsonl.xz", "wb") as dst,
    ):
        shutil.copyfileobj(src, dst)
    sizes = {
        "INSTALL": "0",
        "LEASE_DIR": str(lease),
        "OUT": str(tmp_path / "out"),
        "DYNPLAN_HOME": str(tmp_path / "home"),
        "TESTS_S": "0",
        "MODEL": "scratch:tiny",
        "SFT_STEPS": "2",
        "SFT_BATCH": "4",
        "RL_UPDATES": "1",
        "RL_ENVS": "2",
        "RL_STEPS": "2",
        "GPU_CHECK_ARGS": "--tiny",
        "RECIPE_S": "400",
        "BUDGET_S": "560",
        "EVALUATE": "0",  # the models come back to be evaluated here
    }
    output = _run(["bash", "scripts/gpu_lease.sh"], sizes, timeout=600)
    assert "== recipe: exit 0" in output and "== gpu_check: exit 0" in output, output
    assert "== tests" not in output
    assert not list((tmp_path / "home/recipes/lease").glob("eval-*"))
    with tarfile.open(tmp_path / "out/sft.tar") as sft:
        assert {"./model.safetensors", "./card.json"} <= set(sft.getnames())
    with tarfile.open(tmp_path / "out/rl.tar") as rl:
        assert "./adapter_model.safetensors" in rl.getnames()
    # gpu_check.sh --tiny ran on the CPU: every row of its table, each with a finite number.
    check = (tmp_path / "out/gpu_check.log").read_text()
    assert "device: cpu" in check
    table = _table(check)
    assert list(table) == list(TINY_ROWS), check
    for name, (rate, tokens, mfu, _note) in table.items():
        value = float(rate.split()[0].replace(",", ""))
        assert math.isfinite(value) and value > 0, (name, rate)
        assert tokens == "-" or float(tokens.replace(",", "")) > 0, (name, tokens)
        assert mfu == "n/a", (name, mfu)  # no peak FLOP/s on a CPU


def test_gpu_check_measures_the_parts_asked_and_profiles_sft_steps():
    """`--parts sft --profile`: only the SFT rows, each with one profiled step after the table;
    an unknown part is one clear line."""
    output = _run(["bash", "scripts/gpu_check.sh", "--tiny", "--parts", "sft", "--profile"])
    assert list(_table(output)) == [row for row in TINY_ROWS if row.startswith("sft:")]
    for row in TINY_ROWS[:2]:
        assert f"{row}: one step, kernels by time" in output
    assert "aten::mm" in output  # the profiled step's matrix products
    result = subprocess.run(
        ["bash", "scripts/gpu_check.sh", "--tiny", "--parts", "sft,decode"],
        cwd=ROOT,
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "expected a comma-separated list of sft" in result.stderr


def test_gpu_check_measures_sft_on_prompts_without_the_system_message():
    """`--no-instruction`: the recipes' prompts, no shared prefix. Each row has a finite rate
    and says it shares nothing."""
    output = _run(["bash", "scripts/gpu_check.sh", "--tiny", "--parts", "sft", "--no-instruction"])
    table = _table(output)
    assert list(table) == [
        "sft: our step (Trainer, no system message, by length), batch 2",
        "sft: our step, --compile (norms and MLP compiled), batch 2",
    ], output
    for rate, _tokens, _mfu, note in table.values():
        assert float(rate.split()[0].replace(",", "")) > 0 and note.startswith("0 shared + ")


def test_an_sft_row_refuses_data_that_would_end_an_epoch_inside_its_steps(tiny_model_dir, tmp_path):
    """An epoch's last batch is partial, and a row counts every step as a full batch: with
    fewer samples than its steps need, the row says so instead of overstating samples/s."""
    from baselines.gpu_check import TINY, Setup, make_data, measure_sft

    sizes = dataclasses.replace(TINY, sft_batches=(8,), sft_compiled_batches=(8,))
    assert len(make_data(tmp_path / "enough", sizes)) >= sizes.samples_needed()
    small = tmp_path / "small"
    generate(DataConfig(trajectories=1, max_steps=10), small, progress=False)
    setup = Setup(tiny_model_dir, small, tmp_path, "cpu", "float32", sizes, None)
    row = measure_sft(setup, 8)
    assert math.isnan(row.rate) and "too few for 3 x 8" in row.note
