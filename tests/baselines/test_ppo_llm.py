"""PPO on the LLM policy: GAE and losses by hand, ratio 1 and KL 0 at the start, logs, resume."""

from __future__ import annotations

import json

import pytest
import torch

from agents.llm_agent import Segment
from baselines.configs import RUN_CONFIG
from baselines.ppo_llm import (
    CARD,
    LOG,
    PPOConfig,
    PPOTrainer,
    ScoredCall,
    encode_prompt,
    gae,
    ppo_losses,
    read_log,
    score,
)


def test_gae_matches_hand_computation():
    rewards = torch.tensor([[1.0], [0.0], [2.0]])
    values = torch.tensor([[0.5], [0.2], [0.1]])
    dones = torch.tensor([[0.0], [1.0], [0.0]])  # the second step ends an episode
    next_value = torch.tensor([0.3])
    gamma, lam = 0.9, 0.8
    advantages, returns = gae(rewards, values, dones, next_value, gamma, lam)
    d2 = 2.0 + gamma * 0.3 - 0.1
    d1 = 0.0 - 0.2  # nothing after the episode's end is bootstrapped
    d0 = 1.0 + gamma * 0.2 - 0.5
    expected = torch.tensor([[d0 + gamma * lam * d1], [d1], [d2]])
    assert torch.allclose(advantages, expected)
    assert torch.allclose(returns, expected + values)


def test_ppo_losses_at_ratio_one_and_when_clipped():
    adv = torch.tensor([1.0, -1.0, 2.0])
    logp = torch.tensor([-3.0, -2.0, -1.0])
    pg, vf, clipped, approx_kl = ppo_losses(logp, logp, adv, torch.zeros(3), torch.ones(3), 0.2)
    assert pg.item() == pytest.approx(-adv.mean().item())
    assert vf.item() == pytest.approx(0.5) and clipped.item() == 0 and approx_kl.item() == 0
    # A much likelier action with a positive advantage gains no more than the clip allows.
    pg, _, clipped, _ = ppo_losses(
        torch.tensor([0.0]),
        torch.tensor([-2.0]),
        torch.tensor([1.0]),
        torch.zeros(1),
        torch.zeros(1),
        0.2,
    )
    assert pg.item() == pytest.approx(-1.2) and clipped.item() == 1


def _config(model_dir, out, **overrides) -> PPOConfig:
    settings = dict(
        model=str(model_dir),
        out=str(out),
        num_envs=2,
        rollout_steps=3,
        updates=1,
        epochs=2,
        minibatch_size=4,
        episode_length=50,
        lora_rank=4,
    )
    settings.update(overrides)
    return PPOConfig(**settings)


def test_first_update_has_ratio_one_and_zero_kl_then_resumes(tiny_model_dir, tmp_path):
    out = tmp_path / "rl"
    first_run = PPOTrainer(_config(tiny_model_dir, out), progress=False)
    card = first_run.train()
    first = card["log"][0]
    assert first["first_ratio"] == pytest.approx(1.0, abs=1e-4)
    assert first["kl_to_reference"] == pytest.approx(0.0, abs=1e-5)  # fresh LoRA = reference
    assert first["env_steps"] == 6 and (out / "training.png").stat().st_size > 0
    assert (out / "adapter_model.safetensors").is_file() and (out / "log.csv").is_file()
    with pytest.raises(FileExistsError):
        PPOTrainer(_config(tiny_model_dir, out), progress=False).train()
    again = PPOTrainer(_config(tiny_model_dir, out, updates=2), progress=False)
    assert again.load_checkpoint() and again.state == first_run.state
    for (name, trained), (_, loaded) in zip(_trainable(first_run), _trainable(again), strict=True):
        assert torch.equal(trained, loaded), name
    card = PPOTrainer(_config(tiny_model_dir, out, updates=2), progress=False).train(resume=True)
    assert [row["update"] for row in read_log(out)] == [1, 2]
    assert card["env_steps"] == 12 and json.loads((out / CARD).read_text())["updates"] == 2
    # other settings than it was trained with are refused (the card would describe training
    # the run never had), from the settings it recorded or, failing those, its card's
    for forget_recorded in (False, True):
        if forget_recorded:
            (out / RUN_CONFIG).unlink()
        other = PPOTrainer(_config(tiny_model_dir, out, updates=3, num_envs=3), progress=False)
        with pytest.raises(ValueError, match=r"num_envs=2 \(now 3\); resume it with those"):
            other.train(resume=True)
    assert [row["update"] for row in read_log(out)] == [1, 2]  # nothing lost


def _trainable(trainer):
    return [(n, p) for n, p in trainer.policy.model.named_parameters() if p.requires_grad]


def test_an_update_raises_the_rewarded_answers_and_moves_off_the_reference(
    tiny_model_dir, tmp_path
):
    trainer = PPOTrainer(_config(tiny_model_dir, tmp_path / "rl", gamma=0.0), progress=False)
    trainer._start_episodes()
    transitions, _ = trainer.rollout()
    signs = torch.tensor([1.0, -1.0] * (len(transitions) // 2))
    for transition, sign in zip(transitions, signs.tolist(), strict=True):
        transition["reward"] = sign
    rows = trainer._encode(transitions)
    before, _ = trainer._score_all(rows, value=False)
    learned = trainer.update(transitions)
    after, _ = trainer._score_all(rows, value=False)
    reference, _ = trainer._score_all(rows, value=False, reference=True)
    change = after - before
    assert change[signs > 0].mean() > change[signs < 0].mean()
    assert learned["pg"] != 0 and not torch.allclose(after, reference)


def test_full_weight_updates_and_the_backend_loads_the_adapter(tiny_model_dir, tmp_path):
    from agents.backends.transformers_backend import TransformersBackend

    out = tmp_path / "rl-full"
    card = PPOTrainer(_config(tiny_model_dir, out, lora_rank=0), progress=False).train()
    first_kl = card["log"][0]["kl_to_reference"]  # the frozen copy: 0 up to bf16 kernels on a GPU
    assert card["kind"] == "model" and first_kl == pytest.approx(0.0, abs=1e-4)
    lora = tmp_path / "rl-lora"
    PPOTrainer(_config(tiny_model_dir, lora), progress=False).train()
    backend = TransformersBackend(tiny_model_dir, adapter=lora)
    assert backend.generate([[{"role": "user", "content": "hi"}]], 2)[0].completion_tokens >= 1
    assert len((lora / LOG).read_text().splitlines()) == 1


def test_rl_on_an_sft_adapter_keeps_the_merged_model_to_load_with(tiny_model_dir, tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from agents.backends.transformers_backend import TransformersBackend

    sft = tmp_path / "sft-adapter"
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    lora = LoraConfig(r=2, target_modules=["q_proj"], init_lora_weights=False)
    get_peft_model(base, lora).save_pretrained(sft)
    out = tmp_path / "rl"
    card = PPOTrainer(_config(tiny_model_dir, out, adapter=str(sft)), progress=False).train()
    merged = card["load_with"]["model"]
    assert merged.endswith("sft-merged")
    backend = TransformersBackend(merged, adapter=out)
    assert backend.generate([[{"role": "user", "content": "hi"}]], 2)[0].completion_tokens >= 1


def test_score_is_the_summed_log_prob_of_each_answer_and_the_value_at_its_prompt(
    tiny_model_dir, tmp_path
):
    """`score` (shared prefix, output layer on answer positions only) against each row run
    whole through the model."""
    config = _config(tiny_model_dir, tmp_path / "rl", dtype="float32")  # fp32 on a GPU too
    trainer = PPOTrainer(config, progress=False)
    policy, model = trainer.policy, trainer.policy.model
    device = next(model.parameters()).device
    prefix = list(range(5, 25))
    rows = [
        ScoredCall(prefix + list(range(40, 40 + n)), len(prefix) + p) for n, p in ((6, 3), (11, 8))
    ]
    with torch.no_grad():
        logp, values = score(policy, prefix, rows, value=True)
        for i, (ids, prompt_len, _, _) in enumerate(rows):
            out = model(input_ids=torch.tensor([ids], device=device), output_hidden_states=True)
            token_logp = torch.log_softmax(out.logits[0, :-1].float(), -1)
            answer = torch.tensor(ids[prompt_len:], device=device)
            expected = token_logp[prompt_len - 1 :].gather(-1, answer[:, None]).sum()
            assert logp[i].item() == pytest.approx(expected.item(), abs=1e-4)
            last = out.hidden_states[-1][0, prompt_len - 1]
            value = policy.value_head(last.float()).squeeze(-1)
            assert values[i].item() == pytest.approx(value.item(), abs=1e-4)
        # Bans: a token forbidden outright, and one forbidden only after the drawn 43.
        row = rows[0]._replace(bans=(((), 7), ((43,), 9)))
        banned_logp, _ = score(policy, prefix, [row], value=False, temperature=0.5)
        logits = model(input_ids=torch.tensor([row.ids], device=device)).logits[0, :-1].float()
        logits = logits[row.context - 1 :] / 0.5
        logits[:, 7] = float("-inf")
        logits[row.ids[row.context :].index(43) + 1, 9] = float("-inf")
        answer = torch.tensor(row.ids[row.context :], device=device)
        expected = torch.log_softmax(logits, -1).gather(-1, answer[:, None]).sum()
        assert banned_logp.item() == pytest.approx(expected.item(), abs=1e-4)


def test_ppo_scores_the_token_ids_the_model_sampled_in_the_context_it_saw(tiny_model_dir, tmp_path):
    """Every row PPO scores is one decoding call: the ids the backend was given, then exactly
    the ids it drew (an answer cut at the token budget gets no end-of-text added); the text the
    agent inserts (`<plan>`, `</plan>`) is context only."""
    trainer = PPOTrainer(
        _config(tiny_model_dir, tmp_path / "rl", strategy="always"), progress=False
    )
    backend, calls = trainer.backend, []
    generate = backend.generate

    def recording(prompts, max_new_tokens, **kwargs):
        outs = generate(prompts, max_new_tokens, **kwargs)
        calls.extend(zip(backend.encode_many(prompts), outs, strict=True))
        return outs

    backend.generate = recording
    trainer._start_episodes()
    transitions, _ = trainer.rollout()
    rows = [row for transition in trainer._encode(transitions) for row in transition]
    drawn = {(tuple(context), out.token_ids) for context, out in calls}
    assert (
        len(rows) == len(calls) > len(transitions)
    )  # `always`: a plan call, then (mostly) an action call
    for ids, context_length, _, _ in rows:
        assert (tuple(ids[:context_length]), tuple(ids[context_length:])) in drawn
    cut = [out for _, out in calls if out.finish_reason == "length"]
    assert cut and all(not set(out.token_ids) & backend.eos_ids for out in cut)
    transitions[0]["segments"] = [Segment("", ())]
    with pytest.raises(ValueError, match="sampled token ids"):
        trainer._encode(transitions)


def test_rl_plays_in_the_observation_text_its_model_was_trained_on(tiny_model_dir, tmp_path):
    import shutil

    from agents.prompts import PromptConfig

    model = tmp_path / "sft"
    shutil.copytree(tiny_model_dir, model)
    prompt = PromptConfig(text_options="balrog").to_dict()
    (model / "card.json").write_text(json.dumps({"prompt": prompt}))
    trainer = PPOTrainer(_config(model, tmp_path / "rl"), progress=False)
    assert {env.unwrapped._describer.options.style for env in trainer.envs} == {"balrog"}
    plain = PPOTrainer(_config(tiny_model_dir, tmp_path / "rl-plain"), progress=False)
    assert plain.envs[0].unwrapped._describer.options.style == "dynplan"


@pytest.mark.parametrize("temperature", [0.7, 1.0, 1.3])
@pytest.mark.parametrize("strategy", ["always", "dynamic"])
def test_old_log_probs_are_those_the_answers_were_sampled_with(
    tiny_model_dir, tmp_path, temperature, strategy
):
    """Scored, each decoding call's drawn ids get the log-prob the backend drew them with:
    the tempered distribution, with the act call's `<plan>` ban masked."""
    config = _config(
        tiny_model_dir, tmp_path / "rl", strategy=strategy, temperature=temperature, dtype="float32"
    )
    trainer = PPOTrainer(config, progress=False)
    trainer._start_episodes()
    transitions, _ = trainer.rollout()
    encoded = trainer._encode(transitions)
    rows = [row for transition in encoded for row in transition]
    segments = [s for t in transitions for s in t["segments"]]
    assert any(s.banned for s in segments) and any(row.bans for row in rows)
    with torch.no_grad():
        scored, _ = score(trainer.policy, trainer.prefix, rows, False, temperature)
    sampled = torch.tensor([s.logprob for s in segments])
    assert torch.allclose(scored, sampled, atol=2e-3), (scored - sampled).abs().max()


def test_the_value_is_read_at_the_bare_prompt_when_the_agent_opened_the_plan(
    tiny_model_dir, tmp_path
):
    """Under `always` the first call starts after the inserted `<plan>`; the value is read at
    the prompt's last token all the same, where the bootstrap reads it."""
    trainer = PPOTrainer(_config(tiny_model_dir, tmp_path / "rl", strategy="always"), False)
    trainer._start_episodes()
    transitions, _ = trainer.rollout()
    assert transitions[0]["segments"][0].prefix  # `<plan>`, written by the agent
    torch.nn.init.normal_(trainer.policy.value_head.weight)  # fresh, it reads 0 everywhere
    encoded = trainer._encode(transitions[:2])
    bare = [encode_prompt(trainer.backend, t["prompt"]) for t in transitions[:2]]
    with torch.no_grad():
        _, values = trainer._score(encoded, value=True)
        _, expected = score(trainer.policy, [], bare, value=True)
    assert torch.allclose(values, expected, atol=1e-4)
