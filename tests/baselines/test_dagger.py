"""DAgger: the expert follows a player it does not steer, labels the student's own states, and
each round fine-tunes the last round's student on them beside a replay of the planning data."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from agents.expert import ExpertAgent
from agents.gate import plan_subgoal
from agents.parser import parse_output
from agents.prompt_executor import PromptExecutor
from agents.prompts import EpisodeMemory, PromptConfig
from agents.protocol import Decision
from baselines.configs import DaggerConfig, SFTConfig
from baselines.dagger import ExecutorLabels, run_dagger
from baselines.planning_data import DataConfig, generate
from baselines.sft import load_samples, train_sft
from dynplan_cli import main
from dynplan_gym.crafter_actions import ACTION_NAMES
from dynplan_gym.crafter_env import DynPlanCrafterEnv


def test_the_expert_facing_follows_the_player_it_does_not_steer():
    env = DynPlanCrafterEnv()
    expert = ExpertAgent()
    expert.reset(1)
    rng = np.random.default_rng(0)
    obs, info = env.reset(seed=3)
    turned = 0
    for _ in range(200):
        expert.act([obs], [info])
        action = int(rng.integers(env.action_space["action"].n))
        expert.follow([action], [info])
        before = tuple(env.unwrapped._core.player.facing)
        obs, _, terminated, truncated, info = env.step(action)
        facing = tuple(int(v) for v in env.unwrapped._core.player.facing)
        turned += facing != before
        assert expert._memories[0].facing == facing
        if terminated or truncated:
            break
    assert turned > 10  # the random player turned often, the expert chose none of it


def test_following_its_own_actions_changes_nothing_the_expert_does():
    def play(follow: bool) -> list[int]:
        env, expert = DynPlanCrafterEnv(length=150), ExpertAgent()
        expert.reset(1)
        obs, info = env.reset(seed=5)
        actions = []
        while True:
            action = expert.act([obs], [info])[0].action
            if follow:
                expert.follow([action], [info])
            actions.append(action)
            obs, _, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                return actions

    assert play(follow=True) == play(follow=False)


def _trained_student(root, schedule_weights: dict, **data_options) -> tuple:
    """Planning data without the system message and a scratch model trained on it (seconds)."""
    data = root / "data"
    config = DataConfig(
        trajectories=3,
        max_steps=25,
        schedule_weights=schedule_weights,
        instruction=False,
        **data_options,
    )
    generate(config, data, progress=False)
    sft = SFTConfig(
        data=str(data),
        out=str(root / "sft"),
        model="scratch:tiny",
        max_steps=2,
        batch_size=4,
        eval_steps=2,
        save_steps=2,
    )
    train_sft(sft, progress=False)
    return data, root / "sft"


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    return _trained_student(tmp_path_factory.mktemp("dagger"), {"every": 1, "dynamic": 1})


def _config(student, out, **overrides) -> DaggerConfig:
    data, model = student
    settings = dict(
        model=str(model),
        data=str(data),
        out=str(out),
        rounds=2,
        episodes=3,
        num_envs=2,
        max_steps=12,
        sft_steps=2,
        batch_size=4,
        replay=0.5,
    )
    return DaggerConfig(**{**settings, **overrides})


def test_rounds_label_the_students_states_and_train_the_next_student(student, tmp_path):
    config = _config(student, tmp_path / "dagger")
    card = run_dagger(config, progress=False)
    rounds = card["rounds"]
    assert [r["student"] for r in rounds] == [str(student[1]), rounds[0]["model"]]
    assert card["model"] == rounds[1]["model"]
    replayed_prompts = {json.dumps(s["messages"][:-1]) for s in load_samples(student[0])}
    for index, r in enumerate(rounds, 1):
        here = tmp_path / "dagger" / f"round-{index}"
        states = load_samples(here / "states")
        assert len(states) == r["states"] == 3 * 12  # every step of every episode (none died)
        assert {s["meta"]["seed"] for s in states} == {
            40_000 + 3 * (index - 1) + i for i in range(3)
        }
        for sample in states:
            prompt, answer = sample["messages"][:-1], sample["messages"][-1]["content"]
            assert prompt[0]["role"] == "user"  # the student's prompt: no system message
            assert json.dumps(prompt) not in replayed_prompts  # its own states, not the expert's
            parsed = parse_output(answer)
            assert parsed.valid and parsed.action == sample["meta"]["action"]
            assert (parsed.plan or "") == sample["meta"]["plan"]
        assert states[0]["meta"]["plan"]  # the dynamic schedule plans at the first step
        assert 0 <= r["agreement_with_expert"] <= 1 and r["student_episode_length"] == 12
        training = json.loads((here / "data" / "card.json").read_text())
        assert training["states"] == 3 * 12 * index  # every round's states so far
        assert training["replayed"] == round(0.5 * training["states"])
        assert len(load_samples(here / "data")) == training["states"] + training["replayed"]
        model_card = json.loads((here / "model" / "card.json").read_text())
        assert model_card["steps"] == 2 and model_card["config"]["model"] == r["student"]
        assert model_card["prompt"] == json.loads((student[0] / "card.json").read_text())["prompt"]
    # A rerun finds every stage done and changes nothing.
    mtime = (tmp_path / "dagger" / "round-2" / "model" / "model.safetensors").stat().st_mtime_ns
    assert run_dagger(config, progress=False)["rounds"] == rounds
    assert (
        tmp_path / "dagger" / "round-2" / "model" / "model.safetensors"
    ).stat().st_mtime_ns == mtime


def test_expert_mix_one_plays_the_experts_actions(student, tmp_path):
    config = _config(student, tmp_path / "mixed", rounds=1, expert_mix=1.0)
    run_dagger(config, progress=False)
    states = load_samples(tmp_path / "mixed" / "round-1" / "states")
    env = DynPlanCrafterEnv(length=12)
    env.reset(seed=40_000)
    expert_run = [s["meta"]["action"] for s in states if s["meta"]["seed"] == 40_000]
    expert = ExpertAgent()
    expert.reset(1)
    obs, info = env.reset(seed=40_000)
    replay = []
    for _ in range(12):
        action = expert.act([obs], [info])[0].action
        replay.append(action)
        obs, *_, info = env.step(action)
    assert expert_run == replay  # with beta = 1 the player is the expert
    # The student's prompt lists the actions played, the expert's, not its own choices.
    episode = [s for s in states if s["meta"]["seed"] == 40_000]
    last = episode[-1]["messages"][0]["content"].split("\n")[0]
    played = ", ".join(ACTION_NAMES[a] for a in expert_run[-5:-1])
    assert last == f"Your last actions, oldest first: {played}."


def test_bad_input_gets_one_line(student, tmp_path):
    data, model = student

    def refusal(*flags: str) -> str:
        command = ["train", "dagger", "--model", str(model), "--out", str(tmp_path / "o")]
        with pytest.raises(SystemExit) as exit_info:
            main([*command, *flags])
        return str(exit_info.value)

    with pytest.raises(ValueError, match="probability"):
        _config(student, tmp_path, expert_mix=2.0)
    message = refusal("--data", str(tmp_path / "none"))
    assert message.startswith("dynplan train dagger:") and "dynplan data" in message
    assert "above the board's seeds" in refusal("--data", str(data), "--first-env-seed", "0")
    hindsight = tmp_path / "hindsight"
    shutil.copytree(data, hindsight)
    card = json.loads((hindsight / "card.json").read_text())
    card["config"]["plans"] = "hindsight"
    (hindsight / "card.json").write_text(json.dumps(card))
    assert "no one can write for the student's states" in refusal("--data", str(hindsight))
    assert not (tmp_path / "o").exists()  # refused before anything was written


def test_a_trained_actor_labels_the_states_and_the_expert_still_plans(
    student, tmp_path, monkeypatch
):
    """Data made with `--actor sb3:...` is relabelled by that actor (sampled) in DAgger too."""
    import baselines.planning_data as planning_data

    data, model = student
    card = json.loads((data / "card.json").read_text())
    card["config"]["actor"] = "sb3:sb3-ppo"  # the same samples, as if the policy had acted
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "card.json").write_text(json.dumps(card))
    (tmp_path / "data" / "samples.jsonl").write_bytes((data / "samples.jsonl").read_bytes())
    place_stone = ACTION_NAMES.index("Place Stone")
    monkeypatch.setattr(
        planning_data, "actor_policy", lambda actor: lambda obs, info: np.eye(17)[place_stone]
    )
    config = _config((tmp_path / "data", model), tmp_path / "dagger", rounds=1, expert_mix=1.0)
    run_dagger(config, progress=False)
    states = load_samples(tmp_path / "dagger" / "round-1" / "states")
    assert {s["meta"]["action"] for s in states} == {place_stone}
    assert all(parse_output(s["messages"][-1]["content"]).action == place_stone for s in states)
    assert states[0]["meta"]["plan"]  # the expert's plan, written at the first step


def test_a_student_of_never_plan_data_plays_and_is_labelled_without_plans(tmp_path):
    """Played under `dynamic`, a never-plan student reads a prompt it never saw."""
    data, model = _trained_student(tmp_path, {"never": 1})
    run_dagger(_config((data, model), tmp_path / "dagger", rounds=1), progress=False)
    states = load_samples(tmp_path / "dagger" / "round-1" / "states")
    prompts = {s["messages"][0]["content"].split("\n")[-1] for s in load_samples(data)}
    assert all(not s["meta"]["plan"] for s in states)
    assert {s["messages"][0]["content"].split("\n")[-1] for s in states} <= prompts


def _replayed_labels(states: list[dict], remembered_kinds) -> list[tuple[int, int]]:
    """(label, executor's action for the label's subgoal) per state, the student's episodes
    replayed from their recorded actions and plans on a map rebuilt as the prompt's."""
    pairs = []
    for seed in sorted({s["meta"]["seed"] for s in states}):
        episode = sorted((s for s in states if s["meta"]["seed"] == seed), key=_step)
        env, memory = DynPlanCrafterEnv(length=12), EpisodeMemory()
        executor = PromptExecutor(remembered_kinds)
        obs, info = env.reset(seed=seed)
        for sample in episode:
            meta = sample["meta"]
            memory.observe(obs, info)
            subgoal = meta["subgoal"].replace(" ", "_")
            pairs.append((meta["action"], executor(obs, info, subgoal, memory.map)))
            in_force = obs["plan"]
            if not meta["plan"] and in_force:  # no new plan: the label follows the one in force
                assert subgoal == plan_subgoal(in_force)
            action = {"action": meta["student_action"], "plan": meta["student_plan"]}
            obs, *_, info = env.step(action)
    return pairs


def _step(sample: dict) -> int:
    return sample["meta"]["step"]


@pytest.fixture(scope="module")
def executor_student(tmp_path_factory):
    root = tmp_path_factory.mktemp("executor")
    return _trained_student(root, {"every": 1, "dynamic": 1}, actor="executor", view_grid=True)


def test_executor_data_labels_the_students_states_under_its_own_plans(executor_student, tmp_path):
    """Each label carries out the subgoal of the plan in force (the student's own) or of the
    expert's new plan, from what the student's prompt shows: replayed, the executor agrees."""
    run_dagger(_config(executor_student, tmp_path / "dagger", rounds=1), progress=False)
    states = load_samples(tmp_path / "dagger" / "round-1" / "states")
    assert len(states) == 3 * 12
    assert states[0]["meta"]["plan"]  # the first step plans
    for sample in states:
        parsed = parse_output(sample["messages"][-1]["content"])
        assert parsed.action == sample["meta"]["action"]
        assert (parsed.plan or "") == sample["meta"]["plan"]
    pairs = _replayed_labels(states, PromptConfig().remembered_kinds)
    assert all(label == replayed for label, replayed in pairs)


def test_a_control_of_hidden_plans_is_labelled_by_the_hidden_plans(tmp_path):
    data, model = _trained_student(
        tmp_path, {"every": 1, "dynamic": 1}, actor="executor", view_grid=True, hide_plans=True
    )
    run_dagger(_config((data, model), tmp_path / "dagger", rounds=1), progress=False)
    states = load_samples(tmp_path / "dagger" / "round-1" / "states")
    assert len(states) == 3 * 12
    for sample in states:
        answer = sample["messages"][-1]["content"]
        assert "<plan>" not in answer and "<plan>" not in sample["messages"][0]["content"]
        assert not sample["meta"]["plan"] and not sample["meta"]["student_plan"]
    pairs = _replayed_labels(states, PromptConfig().remembered_kinds)
    assert all(label == replayed for label, replayed in pairs)


def _decision(subgoal: str, new_plan: bool) -> Decision:
    plan = f"{subgoal}: Work on it." if new_plan else ""
    return Decision(action=0, plan=plan, meta={"subgoal": subgoal, "plan": f"{subgoal}: Go."})


def test_the_label_follows_a_plan_the_rules_allow_and_replans_otherwise():
    env = DynPlanCrafterEnv()
    obs, info = env.reset(seed=1)
    memory = EpisodeMemory()
    memory.observe(obs, info)
    labels = ExecutorLabels(PromptConfig().remembered_kinds, hidden=False, longest=12)
    labels.label(0, _decision("collect_wood", True), obs, info, memory.map, hurt=False)
    info = {**info, "step": 1}

    def label(plan: str, age: int = 1, new_plan: bool = False, hurt: bool = False):
        shown = {**obs, "plan": plan, "plan_age": age}
        decision = _decision("collect_wood", new_plan)
        return labels.label(0, decision, shown, info, memory.map, hurt)

    followed, plan_now = label("eat_cow: Find a cow and eat it.")
    assert not plan_now and followed.meta["subgoal"] == "eat_cow"  # another subgoal, kept
    assert followed.action == PromptExecutor(PromptConfig().remembered_kinds)(
        obs, info, "eat_cow", memory.map
    )
    for replanned in (
        label("make_iron_pickaxe: Make an iron pickaxe."),  # the inventory cannot pay for it
        label("Dance a little."),  # names no subgoal
        label("eat_cow: Eat.", age=12),  # as old as the longest interval
        label("eat_cow: Eat.", new_plan=True),  # the expert's subgoal changed
        label("eat_cow: Eat.", hurt=True),
    ):
        assert replanned[1] and replanned[0].meta["subgoal"] == "collect_wood"
