"""The scripted expert: above the target on crafter-balrog, from what a player can see."""

from __future__ import annotations

import numpy as np

from agents.expert import ExpertAgent
from dynplan_gym.crafter_env import DynPlanCrafterEnv
from leaderboard.metrics import compute_metrics
from leaderboard.protocols import get_protocol
from leaderboard.runner import EvaluationRun
from leaderboard.schema import AgentSpec


def test_expert_reaches_the_target_on_crafter_balrog(tmp_path):
    """>= 55% mean progression (12 of 22) on 10 seeds x 2,000 steps."""
    spec = AgentSpec(name="expert", kind="expert")
    run = EvaluationRun(ExpertAgent(), spec, get_protocol("crafter-balrog"), tmp_path, num_envs=10)
    metrics = compute_metrics(run.run(progress=False).episodes)
    assert metrics.progression >= 55.0, metrics
    for achievement in (
        "collect_wood",
        "place_table",
        "make_wood_pickaxe",
        "collect_stone",
        "make_stone_pickaxe",
        "collect_drink",
        "eat_cow",
        "wake_up",
    ):
        assert metrics.success_rates[achievement] >= 80.0, (achievement, metrics.success_rates)


class _Blind(dict):
    """An info dict that fails the test if the expert reads anything a player cannot know."""

    ALLOWED = frozenset(
        {"player_pos", "inventory", "achievements", "sleeping", "daylight", "step", "slot"}
    )

    def __getitem__(self, key):
        assert key in self.ALLOWED, f"the expert read info[{key!r}]"
        return super().__getitem__(key)

    def get(self, key, default=None):
        assert key in self.ALLOWED, f"the expert read info[{key!r}]"
        return super().get(key, default)


def test_expert_uses_only_what_a_player_sees_and_explains_itself():
    env = DynPlanCrafterEnv()
    agent = ExpertAgent()
    agent.reset(1)
    obs, info = env.reset(seed=3)
    plans, actions = [], []
    for _ in range(150):
        seen = {"local_view": obs["local_view"], "text": obs["text"]}
        decision = agent.act([seen], [_Blind(info)])[0]
        plans.append(decision.plan)
        actions.append(decision.action)
        obs, *_, info = env.step(decision.env_action())
    written = [p for p in plans if p]
    assert written and all(p[0].isupper() and p.endswith(".") for p in written)
    assert any("steps to your" in p or "step to your" in p for p in written)
    assert 0 < len(written) < 150 / 2  # plans when its subgoal changes, not every step
    assert info["achievements"]["collect_wood"] > 0
    again = ExpertAgent()
    again.reset(1)
    obs, info = env.reset(seed=3)
    replay = []
    for _ in range(150):
        decision = again.act([{"local_view": obs["local_view"]}], [info])[0]
        replay.append(decision.action)
        obs, *_, info = env.step(decision.env_action())
    assert replay == actions  # deterministic
    assert np.isin(actions, range(17)).all()


def test_expert_never_steps_onto_lava():
    env = DynPlanCrafterEnv(length=600)
    for seed in range(10):
        agent = ExpertAgent()
        agent.reset(1)
        obs, info = env.reset(seed=seed)
        while True:
            decision = agent.act([obs], [info])[0]
            obs, _, terminated, truncated, info = env.step(decision.env_action())
            material, _ = env.core._world[env.core.player.pos]
            assert material != "lava", (seed, info["step"])
            if terminated or truncated:
                break
