"""`--device auto|cpu|cuda[:N]` everywhere, and every tensor on the device of the model it meets.

No GPU is needed: `DeviceMixing` runs torch as if the model sat on an accelerator and records
each op that would raise "Expected all tensors to be on the same device" there.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest
import torch
from torch.overrides import TorchFunctionMode

from agents.devices import resolve_device, resolve_dtype
from baselines.ppo_llm import ActorCritic, PPOConfig, PPOTrainer
from dynplan_cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_auto_is_cuda_when_available_else_cpu(monkeypatch):
    assert resolve_device() == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device("auto") == "cuda" and resolve_device("cuda:1") == "cuda:1"
    with pytest.raises(ValueError, match="'cuda:2' is not here"):
        resolve_device("cuda:2")


@pytest.mark.parametrize("spec", ["tpu", "gpu", "CUDA", "cuda:", "cuda:x", "cpu:0", ""])
def test_a_bad_device_names_the_accepted_forms(spec):
    with pytest.raises(ValueError, match="expected auto, cpu, cuda or cuda:N"):
        resolve_device(spec)


def test_dtype_is_bf16_on_cuda_and_fp32_on_the_cpu_unless_told():
    assert resolve_dtype("auto", "cuda:1") == "bfloat16"
    assert resolve_dtype("auto", "cpu") == "float32"
    assert resolve_dtype("float16", "cuda") == "float16"
    with pytest.raises(ValueError, match="expected one of auto, float32"):
        resolve_dtype("fp8", "cpu")


@pytest.mark.parametrize(
    "command",
    [
        ["play"],
        ["eval", "--agent", "random"],
        ["demo"],
        ["serve"],
        ["train", "sft", "--data", "d", "--out", "o"],
        ["train", "rl", "--model", "m", "--out", "o"],
    ],
)
def test_every_model_command_rejects_a_bad_device_with_exit_2(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--device", "tpu"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.splitlines()[-1]
    assert error.endswith(
        "argument --device: unknown device 'tpu'; expected auto, cpu, cuda or cuda:N"
    )


# -- tensors meet the model on its device ----------------------------------------------------
class DeviceMixing(TorchFunctionMode):
    """Torch as if the model were on an accelerator, the rest on the host.

    A tensor a factory makes without `device=` (torch.tensor, zeros, full, arange, randperm...)
    is on the host, and so is whatever is computed from host tensors alone; `device=`,
    `.to(device)` and `*_like` / `new_*` of a device tensor give a device tensor, and every
    tensor made before the check (the weights) is one. An op that mixes a host tensor with a
    device tensor is recorded, unless the host one is a 0-d scalar (which CUDA accepts)."""

    def __init__(self) -> None:
        super().__init__()
        self.mixed: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        inputs = _tensors((args, kwargs))
        moved_to = _move_target(func, args, kwargs)
        if moved_to is not None:
            on_host = moved_to
            if out is args[0]:  # `.to` gave back the source: the source stays where it was
                out = out.view_as(out)
        elif kwargs.get("device") is not None:
            on_host = False
        else:
            host = [t for t in inputs if _on_host(t)]
            if any(t.dim() > 0 for t in host) and len(host) < len(inputs):
                self.mixed.append(_describe(func, inputs))
            on_host = len(host) == len(inputs)  # a factory has no inputs: the host
        for tensor in _tensors(out):
            tensor._on_host = on_host
        return out


def _tensors(value) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def _on_host(tensor: torch.Tensor) -> bool:
    return getattr(tensor, "_on_host", False)


def _move_target(func, args, kwargs) -> bool | None:
    """For a move (`.to(device)`, `.to(tensor)`, `.cpu()`): whether it goes to the host."""
    if func is torch.Tensor.cpu:
        return True
    if func is torch.Tensor.to:
        for target in (*args[1:], *kwargs.values()):
            if isinstance(target, torch.Tensor):
                return _on_host(target)
            if isinstance(target, (str, torch.device)):
                return False
    return None


def _describe(func, inputs: list[torch.Tensor]) -> str:
    """`op(host, device) at file:line`, the line being the innermost one of this project."""
    places = ", ".join("host" if _on_host(t) else "device" for t in inputs)
    stack = traceback.extract_stack()[:-2]  # without __torch_function__ and this function
    ours = [f for f in stack if f.filename.startswith(str(ROOT))]
    where = f"{Path(ours[-1].filename).relative_to(ROOT)}:{ours[-1].lineno}" if ours else "?"
    return f"{getattr(func, '__name__', func)}({places}) at {where}"


def test_device_mixing_records_what_a_gpu_rejects():
    weight = torch.ones(3)  # made before the check: on the model's device
    with DeviceMixing() as check:
        torch.tensor([1.0, 2.0, 3.0]) * weight  # host x device
        batch = torch.zeros(3)
        batch.to(weight.device) + weight  # moved first: fine
        batch + weight  # the tensor moved stays on the host
    assert [m.split(" at ")[0] for m in check.mixed] == ["mul(host, device)", "add(host, device)"]
    assert check.mixed[0].startswith("mul(host, device) at tests/baselines/test_devices.py:")
    with DeviceMixing() as check:
        batch = torch.zeros(3, dtype=torch.long)
        index = batch.to(weight.device)
        weight[index] + torch.tensor(2.0) + torch.zeros_like(weight)  # a host scalar is fine
        torch.arange(3, device=weight.device) * weight
        batch + 1  # host with host
    assert check.mixed == []


def _ppo_config(model_dir, out, **overrides) -> PPOConfig:
    settings = dict(num_envs=2, rollout_steps=3, epochs=1, minibatch_size=4, episode_length=50)
    return PPOConfig(model=str(model_dir), out=str(out), **{**settings, **overrides})


@pytest.mark.parametrize("overrides", [{"lora_rank": 4}, {"lora_rank": 0, "dtype": "bfloat16"}])
def test_a_ppo_rollout_and_update_create_every_tensor_on_the_policys_device(
    tiny_model_dir, tmp_path, overrides
):
    trainer = PPOTrainer(_ppo_config(tiny_model_dir, tmp_path / "rl", **overrides), progress=False)
    trainer._start_episodes()
    with DeviceMixing() as check:
        learned = trainer.update(trainer.rollout()[0])
    assert not check.mixed, "\n".join(check.mixed)
    assert learned["first_ratio"] == pytest.approx(1.0, abs=1e-2)


@pytest.mark.parametrize("lora_rank", [4, 0])
def test_the_policy_reference_and_value_head_share_the_device(tiny_model_dir, tmp_path, lora_rank):
    config = _ppo_config(tiny_model_dir, tmp_path / "rl", lora_rank=lora_rank)
    policy = ActorCritic(config, "meta")
    models = [policy.model, policy.value_head, policy.frozen_reference]
    tensors = [t for m in models if m is not None for t in (*m.parameters(), *m.buffers())]
    assert {t.device.type for t in tensors} == {"meta"}


def test_cpu_threads_leave_busy_cores_to_the_work_that_keeps_them(monkeypatch):
    import os

    from agents.devices import cpu_threads

    for name in ("DYNPLAN_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(os, "getloadavg", lambda: (0.2, 0.0, 0.0))
    assert cpu_threads() == 4 and cpu_threads(workers=2) == 2 and cpu_threads(workers=9) == 1
    monkeypatch.setattr(os, "getloadavg", lambda: (2.7, 0.0, 0.0))  # 3 cores busy elsewhere
    assert cpu_threads() == 1
    monkeypatch.setattr(os, "getloadavg", lambda: (9.0, 0.0, 0.0))
    assert cpu_threads() == 1  # never fewer than one
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert cpu_threads() == 3
    monkeypatch.setenv("DYNPLAN_THREADS", "2")
    assert cpu_threads() == 2  # ours first
