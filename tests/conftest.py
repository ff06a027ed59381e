"""Shared test fixtures: every test writes to its own temporary DYNPLAN_HOME."""

from __future__ import annotations

import pytest

from dynplan_gym.crafter_env import DynPlanCrafterEnv


@pytest.fixture(autouse=True)
def _dynplan_home(tmp_path, monkeypatch):
    monkeypatch.setenv("DYNPLAN_HOME", str(tmp_path / "dynplan_home"))


@pytest.fixture
def env():
    environment = DynPlanCrafterEnv()
    yield environment
    environment.close()
