"""The plan gate: the expert split into planner and executor plays as the expert, the gate
env passes gymnasium's and SB3's checkers, plans are charged, latency idles the executor,
noise swaps in feasible plans, schedules and a trained gate play as agents."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from agents.expert import ExpertAgent
from agents.gate import (
    GATE_ENV_ID,
    ExpertExecutor,
    ExpertMind,
    ExpertPlanner,
    GateAgent,
    feasible_subgoals,
    make_gate_env,
    plan_subgoal,
)
from dynplan_gym.crafter_env import DynPlanCrafterEnv
from dynplan_gym.plan_gate import KEEP, REPLAN, PlanGate


def _trace(info: dict) -> tuple:
    return tuple(info["player_pos"]), tuple(sorted(info["inventory"].items()))


@pytest.mark.parametrize("seed", [100, 101])
def test_planner_and_executor_replanning_every_step_play_exactly_as_the_expert(seed):
    env = DynPlanCrafterEnv(text=False, length=300)
    expert = ExpertAgent()
    expert.reset(1)
    obs, info = env.reset(seed=seed)
    expected = []
    while True:
        action = expert.act([obs], [info])[0].action
        obs, _, terminated, truncated, info = env.step({"action": action, "plan": ""})
        expected.append(_trace(info))
        if terminated or truncated:
            break
    gate = make_gate_env(length=300, features=False)
    gate.reset(seed=seed)
    played, gates = [], set()
    while True:
        _, _, terminated, truncated, info = gate.step(REPLAN)
        played.append(_trace(info))
        gates.add(info["gate"])
        if terminated or truncated:
            break
    assert played == expected and gates == {"plan"} and len(played) > 100


def test_the_gate_env_passes_the_checkers_and_charges_each_plan():
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    import agents  # noqa: F401  registers the gate env

    env = gym.make(GATE_ENV_ID, length=50)
    check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(make_gate_env(length=50))
    assert env.action_space == gym.spaces.Discrete(2)
    raw = make_gate_env(length=50, features=False)
    obs, _ = raw.reset(seed=3)
    obs, reward, _, _, info = raw.step(KEEP)  # no plan yet: one is forced
    assert info["gate"] == "forced" and info["new_plan"] and obs["plan"]
    assert plan_subgoal(obs["plan"]) and reward == pytest.approx(
        info["task_reward"] - info["plan_cost"]
    )
    assert info["plan_cost"] > 0.01
    obs, _, _, _, info = raw.step(KEEP)
    assert info["gate"] == "keep" and not info["new_plan"] and info["plan_cost"] == 0
    _, _, _, _, info = raw.step(REPLAN)
    assert info["gate"] == "plan" and info["new_plan"] and info["num_plans"] == 2


def test_latency_idles_the_executor_and_ignores_replans_meanwhile():
    raw = make_gate_env(length=50, features=False, latency=3)
    raw.reset(seed=4)
    labels, positions, costs = [], [], []
    for action in (KEEP, REPLAN, REPLAN, KEEP, KEEP, KEEP):
        _, _, _, _, info = raw.step(action)
        labels.append(info["gate"])
        positions.append(tuple(info["player_pos"]))
        costs.append(info["plan_cost"])
    assert labels == ["forced", "ignored", "ignored", "keep", "keep", "keep"]
    assert len(set(positions[:3])) == 1  # noops while the plan is written
    assert costs[0] > 0 and costs[1:3] == [0, 0]


def test_noise_swaps_in_another_feasible_plan_reproducibly():
    def plans(seed: int) -> list[str]:
        raw = make_gate_env(length=40, features=False, noise=1.0)
        raw.reset(seed=seed)
        out = []
        for _ in range(20):
            obs, _, _, _, info = raw.step(REPLAN)
            out.append((obs["plan"], dict(info["inventory"])))
        return out

    first = plans(5)
    assert first == plans(5)
    for plan, _ in first:
        assert plan.endswith(f"Work on {plan_subgoal(plan).replace('_', ' ')}.")
    env = DynPlanCrafterEnv(text=False)
    with pytest.raises(ValueError, match="alternatives"):
        PlanGate(env, lambda o, i: "explore: go", lambda o, i, p: 0, noise=0.5)
    with pytest.raises(ValueError, match="latency"):
        PlanGate(env, lambda o, i: "explore: go", lambda o, i, p: 0, latency=-1)
    with pytest.raises(ValueError, match="probability"):
        PlanGate(env, lambda o, i: "explore: go", lambda o, i, p: 0, noise=2)


def test_feasible_subgoals_follow_crafters_rules():
    empty = dict.fromkeys(["wood", "stone", "wood_pickaxe", "sapling"], 0)
    assert {"collect_wood", "collect_drink", "collect_sapling", "explore"} <= set(
        feasible_subgoals(empty)
    )
    assert not any(s.startswith(("make_", "collect_stone")) for s in feasible_subgoals(empty))
    tools = {**empty, "wood": 2, "wood_pickaxe": 1, "sapling": 1}
    assert {
        "collect_stone",
        "collect_coal",
        "place_table",
        "place_plant",
        "make_wood_pickaxe",
    } <= set(feasible_subgoals(tools))


def test_the_halves_share_one_memory_updated_once_a_step():
    mind = ExpertMind()
    planner, executor = ExpertPlanner(mind), ExpertExecutor(mind)
    env = DynPlanCrafterEnv(text=False)
    obs, info = env.reset(seed=7)
    plan = planner(obs, info)
    action = executor(obs, info, plan)
    assert plan_subgoal(plan) and 0 <= action < 17
    assert executor(obs, info, "no subgoal here") == executor(obs, info, "explore: look")


@pytest.mark.parametrize(("schedule", "plans"), [("every:1", 30), ("every:4", 8), ("never", 1)])
def test_scheduled_gate_agents_plan_on_their_schedule(schedule, plans):
    env = DynPlanCrafterEnv(text=False, length=30)
    agent = GateAgent(schedule=schedule)
    agent.reset(1)
    obs, info = env.reset(seed=8)
    while True:
        decision = agent.act([obs], [info])[0]
        obs, _, terminated, truncated, info = env.step(decision.env_action())
        if terminated or truncated:
            break
    assert info["num_plans"] == plans
    with pytest.raises(ValueError, match="schedule"):
        GateAgent(schedule="every:0")


@pytest.mark.slow
def test_a_gate_trains_and_plays_as_an_agent(tmp_path):
    from agents.factory import make_agent
    from baselines.configs import GateConfig
    from baselines.sb3_ppo import train_sb3
    from leaderboard.protocols import get_protocol
    from leaderboard.runner import EvaluationRun
    from leaderboard.schema import AgentSpec

    out = tmp_path / "gate"
    config = GateConfig(
        out=str(out), timesteps=256, num_envs=2, n_steps=64, batch_size=64, episode_length=60
    )
    card = train_sb3(config, progress=False)
    assert card["kind"] == "sb3-gate" and card["policy"]["actions"] == 2
    assert card["command"].startswith("dynplan train gate")
    agent = make_agent(f"gate:{out}", temperature=1.0)
    assert (agent.latency, agent.noise) == (2, 0.2)  # what it was trained at
    spec = AgentSpec(name="gate-test", kind="gate", strategy="learned", model=str(out))
    protocol = get_protocol("crafter-quick")
    result = EvaluationRun(agent, spec, protocol, tmp_path / "run", num_envs=2).run(progress=False)
    assert len(result.episodes) == len(protocol.seeds)
    assert all(e.plans >= 1 for e in result.episodes)
    with pytest.raises(ValueError, match="gate policy"):
        make_agent("gate:sb3-ppo")
    with pytest.raises(ValueError, match="SB3 policy"):
        make_agent(f"sb3:{out}")
    assert np.isfinite(card["episodes"].get("mean_return", 0.0))


@pytest.mark.parametrize("latency", [0, 2])
def test_a_gate_agent_on_the_board_env_plays_as_the_gate_env(latency):
    """Same rules on both sides: `GateAgent` on `DynPlanCrafter-v0` makes the gate env's
    trajectory (every:4, no noise)."""
    gate = make_gate_env(length=120, features=False, latency=latency)
    obs, info = gate.reset(seed=9)
    expected = []
    while True:
        obs, _, terminated, truncated, info = gate.step(int(obs["plan_age"] >= 4))
        expected.append((_trace(info), info["plan_cost"]))
        if terminated or truncated:
            break
    env = DynPlanCrafterEnv(text=False, length=120)
    agent = GateAgent(schedule="every:4", latency=latency)
    agent.reset(1)
    obs, info = env.reset(seed=9)
    played = []
    while True:
        decision = agent.act([obs], [{**info, "seed": 9}])[0]
        obs, _, terminated, truncated, info = env.step(decision.env_action())
        played.append((_trace(info), info["plan_cost"]))
        if terminated or truncated:
            break
    assert played == expected


def test_dynplan_eval_plays_a_scheduled_gate(tmp_path, capsys):
    from dynplan_cli import main

    out = tmp_path / "run"
    argv = ["eval", "--agent", "gate:every:4", "--protocol", "crafter-quick", "--out", str(out)]
    assert main([*argv, "--no-progress"]) == 0
    result = __import__("json").loads((out / "result.json").read_text())
    assert result["agent"]["kind"] == "gate" and result["agent"]["strategy"] == "every:4"
    assert result["agent"]["decoding"] == {"latency": 0, "noise": 0.0}
    assert "gate:every:4 on crafter-quick" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="dynplan eval: a gate schedule is never or every:K"):
        main(["eval", "--agent", "gate:every:x", "--protocol", "crafter-quick", "--no-progress"])


def test_an_llm_planner_drives_the_experts_executor_through_any_backend(tiny_backend):
    """Free-text plans name their subgoal by its words; the executor carries it out."""
    from agents.gate import LLMPlanner
    from agents.llm_agent import LLMAgent
    from tests.scripted import ScriptedBackend

    assert plan_subgoal("First collect wood, then place a table.") == "collect_wood"
    assert plan_subgoal("Make a wood pickaxe at the table.") == "make_wood_pickaxe"
    assert plan_subgoal("collect_stone: Mine stone.") == "collect_stone"
    assert plan_subgoal("Wander about.") == ""
    scripted = ScriptedBackend("First collect wood, then place a table.</plan>\nNoop")
    gate = make_gate_env(
        length=40, features=False, planner=LLMPlanner(LLMAgent(scripted, "always"))
    )
    obs, info = gate.reset(seed=1)
    for _ in range(40):
        obs, _, terminated, truncated, info = gate.step(REPLAN if info["step"] % 10 == 0 else KEEP)
        if terminated or truncated:
            break
    assert obs["plan"] == "First collect wood, then place a table." and info["num_plans"] == 4
    assert info["inventory"]["wood"] > 0 or info["achievements"]["collect_wood"] > 0
    real = make_gate_env(
        length=5, features=False, planner=LLMPlanner(LLMAgent(tiny_backend, "always"))
    )
    real.reset(seed=2)
    _, _, _, _, info = real.step(REPLAN)
    assert info["new_plan"] and info["plan_tokens"] > 0
    with pytest.raises(ValueError, match="strategy always"):
        LLMPlanner(LLMAgent(scripted, "never"))


@pytest.mark.parametrize("action", [-1, 2, 17, -5.5, "0", 1.9, True, "1", None])
def test_the_gate_refuses_what_is_not_keep_or_replan(action):
    env = make_gate_env(features=False)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"0 \(keep the plan\) or 1 \(replan\)"):
        env.step(action)
    env.step(np.int64(1))  # what SB3 hands in
