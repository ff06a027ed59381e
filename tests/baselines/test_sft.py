"""SFT: prompts tokenized as at inference, loss on answers only, the shared-prefix forward,
a loss that goes down, and a run that saves, loads and resumes."""

from __future__ import annotations

import json

import pytest
import torch

from agents.backends.transformers_backend import TransformersBackend
from agents.devices import resolve_device
from agents.llm_agent import LLMAgent
from agents.models import checkpoint_prompt_config
from baselines.planning_data import DataConfig, generate
from baselines.sft import (
    CARD,
    IGNORE,
    SFTConfig,
    SuffixCollator,
    answer_loss,
    encode_chat,
    encode_dataset,
    load_samples,
    make_trainer,
    prefix_forward,
    prefix_hidden,
    train_sft,
)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("data")
    generate(
        DataConfig(trajectories=3, max_steps=24, schedule_weights={"every": 1, "dynamic": 1}),
        out,
        progress=False,
    )
    return out


def test_prompt_tokens_match_inference_and_only_answers_are_labelled(dataset, tiny_backend):
    sample = load_samples(dataset)[0]
    ids, n_prompt = encode_chat(tiny_backend.tokenizer, sample["messages"])
    assert ids[:n_prompt] == tiny_backend.encode(sample["messages"][:-1])
    answer = tiny_backend.tokenizer.decode(ids[n_prompt:], skip_special_tokens=True)
    assert answer.strip() == sample["messages"][-1]["content"].strip()
    data = encode_dataset(tiny_backend.tokenizer, [sample], [], 4096)
    row = data.train[0]
    pairs = zip(row["input_ids"], row["labels"], strict=True)
    labelled = [t for t, label in pairs if label != IGNORE]
    assert labelled == ids[n_prompt:] and len(data.prefix) > 100  # the system message


def test_prompt_labels_cover_each_samples_own_prompt_and_nothing_else(dataset, tiny_backend):
    sample = load_samples(dataset)[3]
    ids, n_prompt = encode_chat(tiny_backend.tokenizer, sample["messages"])
    row = encode_dataset(tiny_backend.tokenizer, [sample], [], 4096).train[0]
    shared = len(ids) - len(row["input_ids"])
    assert row["prompt_labels"] == ids[shared:n_prompt] + [IGNORE] * (len(ids) - n_prompt)
    pairs = zip(row["labels"], row["prompt_labels"], strict=True)
    assert all(a == IGNORE or b == IGNORE for a, b in pairs)
    batch = SuffixCollator(0)([row, {**row, **{k: v[:5] for k, v in row.items()}}])
    assert batch["prompt_labels"].shape == batch["labels"].shape
    assert (batch["prompt_labels"][1, 5:] == IGNORE).all()


def test_prompt_loss_weight_adds_the_prompts_loss_in_training_only(
    dataset, tiny_model_dir, tmp_path
):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    data = encode_dataset(tokenizer, load_samples(dataset)[:4], [], 4096)
    batch = SuffixCollator(0)(data.train)
    with torch.no_grad():
        hidden = prefix_hidden(model, data.prefix, batch["input_ids"], batch["attention_mask"])
        answers = answer_loss(model, hidden, batch["labels"]).item()
        prompts = answer_loss(model, hidden, batch["prompt_labels"]).item()
    losses = {}
    for weight in (0.0, 0.5):
        config = SFTConfig(data=str(dataset), out=str(tmp_path / str(weight)), model="scratch:tiny")
        config.prompt_loss_weight = weight
        trainer = make_trainer(config, model, tokenizer, data, progress=False)
        for mode in ("train", "eval"):
            getattr(model, mode)()
            with torch.no_grad():
                losses[weight, mode] = trainer.compute_loss(model, dict(batch)).item()
    assert losses[0.0, "train"] == pytest.approx(answers, rel=1e-5)
    assert losses[0.5, "train"] == pytest.approx(answers + 0.5 * prompts, rel=1e-5)
    assert losses[0.5, "eval"] == pytest.approx(answers, rel=1e-5)  # held-out: answers alone
    with pytest.raises(ValueError, match="prompt-loss-weight"):
        SFTConfig(data="d", out="o", prompt_loss_weight=-1)


def test_prefix_forward_equals_a_full_forward(tiny_model_dir):
    from transformers import AutoModelForCausalLM

    device = resolve_device()  # the GPU where there is one: the batch must follow the model
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32).to(device)
    prefix = list(range(5, 45))
    rows = [{"input_ids": list(range(50, 50 + n)), "labels": [0] * n} for n in (3, 9)]
    batch = {k: v.to(device) for k, v in SuffixCollator(0)(rows).items()}
    with torch.no_grad():
        shared = prefix_forward(model, prefix, batch["input_ids"], batch["attention_mask"])
        for i, row in enumerate(rows):
            ids = torch.tensor([prefix + row["input_ids"]], device=device)
            full = model(input_ids=ids).logits[0, 40:]
            n = len(row["input_ids"])
            assert torch.allclose(full, shared[i, :n], atol=1e-4)


def test_answer_loss_equals_the_cross_entropy_of_full_logits(dataset, tiny_model_dir):
    """The output layer run on answer positions only gives the loss of the full logits."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    data = encode_dataset(tokenizer, load_samples(dataset)[:6], [], 4096)
    batch = SuffixCollator(0)(data.train)
    with torch.no_grad():
        ids = torch.cat([torch.tensor([data.prefix] * len(data.train)), batch["input_ids"]], 1)
        mask = torch.cat([torch.ones_like(ids[:, : len(data.prefix)]), batch["attention_mask"]], 1)
        labels = torch.cat(
            [torch.full_like(ids[:, : len(data.prefix)], IGNORE), batch["labels"]], 1
        )
        full = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
        expected = torch.nn.functional.cross_entropy(
            full.reshape(-1, full.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=IGNORE
        )
        hidden = prefix_hidden(model, data.prefix, batch["input_ids"], batch["attention_mask"])
        assert answer_loss(model, hidden, batch["labels"]).item() == pytest.approx(
            expected.item(), rel=1e-4
        )


def test_loss_decreases_on_a_fixed_batch(dataset, tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    data = encode_dataset(tokenizer, load_samples(dataset)[:8], [], 4096)
    batch = SuffixCollator(0)(data.train)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(6):
        hidden = prefix_hidden(model, data.prefix, batch["input_ids"], batch["attention_mask"])
        loss = answer_loss(model, hidden, batch["labels"])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]


def test_compiled_norms_and_mlp_give_the_eager_loss_and_gradients(dataset, tiny_model_dir):
    """`--compile` (torch.compile of each layer's norms and MLP) changes speed, not the
    numbers: the loss and gradients equal the eager model's, over batches of two lengths."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from baselines.sft import compile_elementwise

    device = resolve_device()
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    data = encode_dataset(tokenizer, load_samples(dataset)[:8], [], 4096)
    models = []
    for compiled in (False, True):
        model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
        model = model.to(device)
        if compiled:
            compile_elementwise(model)
            assert model.get_decoder().layers[-1].mlp._compiled_call_impl is not None
        models.append(model)
    for rows in (data.train[:3], data.train[3:8]):
        batch = {k: v.to(device) for k, v in SuffixCollator(0)(rows).items()}
        results = []
        for model in models:
            model.zero_grad()
            hidden = prefix_hidden(model, data.prefix, batch["input_ids"], batch["attention_mask"])
            loss = answer_loss(model, hidden, batch["labels"])
            loss.backward()
            grad = model.get_decoder().layers[0].mlp.up_proj.weight.grad.clone()
            results.append((loss.item(), grad))
        (eager_loss, eager_grad), (compiled_loss, compiled_grad) = results
        assert compiled_loss == pytest.approx(eager_loss, rel=1e-4)
        assert torch.allclose(compiled_grad, eager_grad, atol=1e-5, rtol=1e-3)


def test_a_short_common_prefix_stays_in_each_row_with_the_cached_prefixs_numbers(
    tiny_model_dir, tmp_path
):
    """Prompts without the system message share only the chat template's opening: it stays in
    every row, run without a cache, and the answers' loss and gradients equal those of the same
    rows with that opening run once from a cache (the prompt loss now also covers the opening)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from baselines.sft import MIN_SHARED_PREFIX, shared_prompt_prefix

    generate(DataConfig(trajectories=2, max_steps=12, instruction=False), tmp_path, progress=False)
    samples = load_samples(tmp_path)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    data = encode_dataset(tokenizer, samples, [], 4096)
    chats = [encode_chat(tokenizer, s["messages"]) for s in samples]
    shared = shared_prompt_prefix(chats)
    assert 0 < shared < MIN_SHARED_PREFIX
    assert data.prefix == [] and [r["input_ids"] for r in data.train] == [ids for ids, _ in chats]
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    prefix = data.train[0]["input_ids"][:shared]
    cut = [{k: v[shared:] for k, v in row.items()} for row in data.train[:5]]
    results = []
    for opening, rows in (([], data.train[:5]), (prefix, cut)):
        batch = SuffixCollator(0)(rows)
        model.zero_grad()
        hidden = prefix_hidden(model, opening, batch["input_ids"], batch["attention_mask"])
        loss = answer_loss(model, hidden, batch["labels"])
        loss.backward()
        results.append((loss.item(), model.get_decoder().layers[0].self_attn.q_proj.weight.grad))
    (plain_loss, plain_grad), (cached_loss, cached_grad) = results
    assert plain_loss == pytest.approx(cached_loss, rel=1e-5)
    assert torch.allclose(plain_grad, cached_grad, atol=1e-6, rtol=1e-4)


def test_scratch_run_saves_a_loadable_model_and_resumes(dataset, tmp_path):
    out = tmp_path / "sft"
    config = SFTConfig(
        data=str(dataset),
        out=str(out),
        model="scratch:tiny",
        max_steps=2,
        batch_size=4,
        save_steps=2,
        eval_steps=2,
    )
    card = train_sft(config, progress=False)
    assert card["steps"] == 2 and card["kind"] == "model" and card["train_loss"][0]["step"] == 1
    assert card["data"]["sha256"] and card["data"]["config"]["trajectories"] == 3
    assert card["final_held_out_loss"] > 0 and card["samples"]["held_out"] > 0
    saved = json.loads((out / CARD).read_text())
    assert saved["config"]["model"] == "scratch:tiny"
    data_card = json.loads((dataset / "card.json").read_text())
    assert saved["prompt"] == data_card["prompt"]  # the model is played with its data's prompt
    assert checkpoint_prompt_config(out).to_dict() == data_card["prompt"]
    with pytest.raises(FileExistsError):
        train_sft(config, progress=False)
    config.max_steps = 4
    resumed = train_sft(config, resume=True, progress=False)
    assert resumed["steps"] == 4
    config.max_steps, config.batch_size = 6, 8  # longer is fine; other batches are not
    with pytest.raises(ValueError, match=r"batch_size=4 \(now 8\); resume it with those"):
        train_sft(config, resume=True, progress=False)
    config.batch_size = 4
    agent = LLMAgent(TransformersBackend(out), "dynamic", temperature=1.0)
    from dynplan_gym.crafter_env import DynPlanCrafterEnv

    env = DynPlanCrafterEnv()
    obs, info = env.reset(seed=0)
    agent.reset(1)
    decision = agent.act([obs], [info])[0]
    from agents.parser import parse_output

    assert decision.completion_tokens > 0  # the trained model wrote the answer it is read from
    assert parse_output(decision.raw).action == decision.action


def test_a_time_limit_stops_training_with_a_saved_model(dataset, tmp_path):
    out = tmp_path / "sft"
    config = SFTConfig(
        data=str(dataset),
        out=str(out),
        model="scratch:tiny",
        max_steps=50,
        batch_size=4,
        eval_fraction=0,
        max_minutes=1e-6,  # spent by the end of the first step
    )
    card = train_sft(config, progress=False)
    assert card["steps"] == 1 and card["stopped_by_time_limit"]
    assert (out / "model.safetensors").is_file()
    config.max_minutes, config.max_steps = None, 2
    assert not train_sft(config, resume=True, progress=False)["stopped_by_time_limit"]


def test_lora_run_writes_an_adapter_the_backend_loads(dataset, tiny_model_dir, tmp_path):
    out = tmp_path / "lora"
    config = SFTConfig(
        data=str(dataset),
        out=str(out),
        model=str(tiny_model_dir),
        max_steps=2,
        batch_size=4,
        lora_rank=4,
        eval_fraction=0,
    )
    card = train_sft(config, progress=False)
    assert card["kind"] == "lora-adapter" and (out / "adapter_model.safetensors").is_file()
    assert card["trainable_parameters"] < card["parameters"] / 2
    backend = TransformersBackend(tiny_model_dir, adapter=out)
    assert backend.generate([[{"role": "user", "content": "hi"}]], 2)[0].completion_tokens >= 1


def test_bad_data_is_refused_clearly(tmp_path):
    bad = tmp_path / "samples.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "no answer"}]}\n')
    with pytest.raises(ValueError, match="ending in an assistant turn"):
        load_samples(tmp_path)
    with pytest.raises(FileNotFoundError, match="dynplan data crafter"):
        load_samples(tmp_path / "missing")


def test_group_by_length_is_a_flag_that_batches_samples_of_about_one_length(
    dataset, tiny_model_dir, tmp_path
):
    import argparse

    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.trainer_pt_utils import LengthGroupedSampler

    from baselines.configs import add_config_arguments, cli_command, config_from_args

    parser = argparse.ArgumentParser()
    add_config_arguments(parser, SFTConfig)
    args = parser.parse_args(["--data", str(dataset), "--out", "o", "--group-by-length"])
    config = config_from_args(SFTConfig, args)
    assert config.group_by_length and "--group-by-length" in cli_command("sft", config)
    assert not config_from_args(
        SFTConfig, parser.parse_args(["--data", "d", "--out", "o"])
    ).group_by_length

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    data = encode_dataset(tokenizer, load_samples(dataset), [], 4096)
    config.out, config.batch_size = str(tmp_path), 4
    trainer = make_trainer(config, model, tokenizer, data, progress=False)
    sampler = trainer._get_train_sampler()
    assert isinstance(sampler, LengthGroupedSampler)
    lengths = [len(row["input_ids"]) for row in data.train]
    order = list(sampler)
    assert sorted(order) == list(range(len(data.train)))
    spread = [
        max(lengths[i] for i in order[k : k + 4]) - min(lengths[i] for i in order[k : k + 4])
        for k in range(0, len(order) - 3, 4)
    ]
    assert sum(spread) < (max(lengths) - min(lengths)) * len(spread) / 2
