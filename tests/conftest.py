"""Shared test fixtures: every test writes to its own temporary DYNPLAN_HOME."""

from __future__ import annotations

import shutil

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


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A tiny random Llama with a tokenizer trained on our own prompt text (seconds)."""
    from agents.prompts import PromptBuilder
    from agents.scratch_model import build_scratch_model
    from dynplan_gym.crafter_actions import ACTION_NAMES

    env = DynPlanCrafterEnv()
    obs, _ = env.reset(seed=0)
    system = PromptBuilder()._system
    texts = [system, obs["text"], " ".join(ACTION_NAMES), "<plan> </plan> Action:"] * 20
    return build_scratch_model(tmp_path_factory.mktemp("tiny-llama"), texts, vocab_size=600)


@pytest.fixture(scope="session")
def tiny_backend(tiny_model_dir):
    from agents.backends.transformers_backend import TransformersBackend

    return TransformersBackend(tiny_model_dir)


@pytest.fixture(scope="session")
def smollm2_dir(tmp_path_factory):
    """The embedded SmolLM2-135M, converted once per session into a temporary data dir."""
    from agents.models import prepare_embedded

    return prepare_embedded("smollm2-135m", home=tmp_path_factory.mktemp("dynplan-home"))


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium through selenium (skipped where it is not installed)."""
    webdriver = pytest.importorskip("selenium.webdriver")
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("chromium and chromedriver are not installed (make setup installs them)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    session = webdriver.Chrome(service=Service(driver), options=options)
    yield session
    session.quit()
