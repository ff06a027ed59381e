"""PPO with a planning cost on an LLM policy in DynPlanCrafter-v0 (`dynplan train rl`).

Read top to bottom, CleanRL-style:
  1. the policy is the SFT model with fresh LoRA adapters (or all weights, `--lora-rank 0`) and
     a value head on its last hidden state; the frozen SFT model is the KL reference (with
     LoRA: the same weights with the adapters switched off);
  2. rollouts: `num_envs` envs in lockstep, one batched `LLMAgent` call per step (the agents'
     three-call decoding: decide / plan / act); one env step = one completion;
  3. each completion is scored by teacher forcing on the token ids the model sampled (the
     agent's segments: each decoding call's context, re-encoded exactly as the backend encoded
     it, then the ids drawn in that call; text the agent inserted, `<plan>` and `</plan>`, is
     context, never scored): its log-prob is the sum of those tokens' log-probs under the
     distribution they were drawn from (logits divided by the temperature, the call's banned
     strings masked), under the policy (old) and the reference; the value is read at the last
     token of the bare prompt, before any text the agent inserted, as for the bootstrap;
  4. reward = the env's reward (task reward minus the plan cost: its coefficients are flags)
     minus `kl_coef` x (log pi_old - log pi_ref) of the completion; advantages by GAE;
  5. `epochs` passes of clipped-ratio policy loss + value loss over shuffled minibatches.
Every update appends a line to log.jsonl / log.csv and redraws training.png; a checkpoint
(adapter, value head, optimizer, counters) lets `--resume` continue at the next update.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, NamedTuple

from agents.devices import resolve_device, resolve_dtype
from baselines.configs import (
    PPO_RESUME_FREE,
    PPOConfig,
    check_and_record_run_config,
    cli_command,
)
from baselines.sft import shared_prompt_prefix
from dynplan_gym.lockstep import Lockstep
from dynplan_gym.provenance import package_versions

CARD = "card.json"
LOG = "log.jsonl"
VALUE_HEAD = "value_head.safetensors"
CHECKPOINT = "checkpoint"
MERGED_SFT = "sft-merged"  # with an SFT adapter: the merged SFT model the RL adapter extends


# -- the policy --------------------------------------------------------------------------------
class ActorCritic:
    """The LLM (with adapters) and its value head; `reference()` switches the adapters off."""

    def __init__(self, config: PPOConfig, device: str) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = Path(config.model)
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        dtype = getattr(torch, resolve_dtype(config.dtype, device))
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, local_files_only=True)
        if config.adapter:  # an SFT adapter: merge it, and keep the merged model for loading
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, config.adapter).merge_and_unload()
            merged = Path(config.out) / MERGED_SFT
            if not (merged / "config.json").is_file():
                model.save_pretrained(merged, safe_serialization=True)
                self.tokenizer.save_pretrained(merged)
        self.frozen_reference = None
        if config.lora_rank > 0:
            from peft import LoraConfig, get_peft_model

            targets = [t for t in config.lora_targets if _has_module(model, t)]
            model = get_peft_model(
                model,
                LoraConfig(
                    r=config.lora_rank,
                    lora_alpha=config.lora_alpha,
                    target_modules=targets,
                    task_type="CAUSAL_LM",
                ),
            )
        else:
            import copy

            self.frozen_reference = copy.deepcopy(model).to(device).eval().requires_grad_(False)
        self.model = model.to(device)
        hidden = model.config.hidden_size
        torch.manual_seed(config.seed)
        self.value_head = torch.nn.Linear(hidden, 1).to(device)
        torch.nn.init.zeros_(self.value_head.weight)
        torch.nn.init.zeros_(self.value_head.bias)

    def parameters(self) -> list:
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        return trainable + list(self.value_head.parameters())

    def reference(self):
        """A context in which `self.model` computes the frozen SFT model."""
        if self.frozen_reference is not None:
            return _swap(self, self.frozen_reference)
        return self.model.disable_adapter()

    def save(self, out: Path) -> None:
        from safetensors.torch import save_file

        self.model.save_pretrained(out, safe_serialization=True)
        self.tokenizer.save_pretrained(out)
        save_file(
            {k: v.contiguous() for k, v in self.value_head.state_dict().items()}, out / VALUE_HEAD
        )

    def load(self, out: Path) -> None:
        from safetensors.torch import load_file

        if self.frozen_reference is None:  # LoRA: the adapter's weights
            from peft import set_peft_model_state_dict
            from peft.utils import load_peft_weights

            set_peft_model_state_dict(self.model, load_peft_weights(str(out)))
        else:
            from transformers import AutoModelForCausalLM

            weights = AutoModelForCausalLM.from_pretrained(out, local_files_only=True)
            self.model.load_state_dict(weights.state_dict())
        self.value_head.load_state_dict(load_file(out / VALUE_HEAD))


def _has_module(model, name: str) -> bool:
    return any(n.endswith("." + name) for n, _ in model.named_modules())


class _swap:
    """Temporarily use the frozen copy as `policy.model` (full-weight RL)."""

    def __init__(self, policy: ActorCritic, reference) -> None:
        self.policy, self.reference = policy, reference

    def __enter__(self):
        self.live, self.policy.model = self.policy.model, self.reference

    def __exit__(self, *exc):
        self.policy.model = self.live


# -- scoring completions by teacher forcing ------------------------------------------------------
class ScoredCall(NamedTuple):
    """One decoding call to score: context + sampled ids, the context's length, the ban rules
    the call drew under (`TransformersBackend.ban_rules`), and the position whose hidden state
    gives the value (the bare prompt's last token; default: the context's last)."""

    ids: list[int]
    context: int
    bans: tuple = ()
    value_at: int | None = None

    @property
    def value_position(self) -> int:
        return self.context - 1 if self.value_at is None else self.value_at


def encode_segments(backend, prompt, segments) -> list[ScoredCall]:
    """One row per decoding call of an answer (`agents.llm_agent.Segment`); the context is
    the prompt continued by the answer so far, encoded as the backend encoded it. The first
    row reads the value at the bare prompt's last token, as `encode_prompt`'s rows do."""
    from agents.llm_agent import _with_prefix

    bare = backend.encode(prompt)
    rows = []
    for segment in segments:
        context = backend.encode(_with_prefix(prompt, segment.prefix))
        bans = tuple(backend.ban_rules(segment.banned)) if segment.banned else ()
        rows.append(ScoredCall(context + list(segment.token_ids), len(context), bans))
    if rows[0].ids[: len(bare)] != bare:
        raise ValueError("the answer's first call does not continue its prompt's tokens")
    rows[0] = rows[0]._replace(value_at=len(bare) - 1)
    return rows


def encode_prompt(backend, prompt) -> ScoredCall:
    """A row with no answer: for the value of the state the prompt describes."""
    ids = backend.encode(prompt)
    return ScoredCall(ids, len(ids))


def score(
    policy: ActorCritic,
    prefix: list[int],
    rows: list[ScoredCall],
    value: bool,
    temperature: float = 1.0,
):
    """(sequence log-probs of the answers, values at each row's `value_position`) for `rows`.

    The log-probs are those of the distribution the answers were sampled from: logits divided
    by `temperature`, each row's banned tokens masked where its drawn history triggers them.
    Runs `prefix` (shared by every row) once, then the rows right-padded; the output layer
    runs only on the positions that predict an answer token."""
    import torch

    from agents.backends.transformers_backend import banned_tokens
    from baselines.sft import SuffixCollator, prefix_hidden

    n = len(prefix)
    batch = SuffixCollator(policy.tokenizer.pad_token_id or 0)(
        [{"input_ids": row.ids[n:], "labels": row.ids[n:]} for row in rows]
    )
    device = next(policy.model.parameters()).device
    ids, mask = batch["input_ids"].to(device), batch["attention_mask"].to(device)
    hidden = prefix_hidden(policy.model, prefix, ids, mask)
    answer = torch.zeros_like(mask[:, 1:], dtype=torch.bool)
    for i, row in enumerate(rows):
        answer[i, row.context - n - 1 :] = True  # token j+1 is predicted at position j
    answer &= mask[:, 1:].bool()
    logits = policy.model.get_output_embeddings()(hidden[:, :-1][answer]).float()
    logits = logits / (temperature if temperature > 0 else 1.0)
    banned, at = [], 0  # (flat position, token) pairs: the answer positions are row-major
    for row in rows:
        drawn = row.ids[row.context :]
        if row.bans:
            for k in range(len(drawn)):
                banned += [(at + k, token) for token in banned_tokens(drawn[:k], row.bans)]
        at += len(drawn)
    if banned:
        where = torch.tensor(banned, device=device)
        logits = logits.index_put((where[:, 0], where[:, 1]), torch.tensor(float("-inf")))
    token_logp = torch.log_softmax(logits, -1).gather(-1, ids[:, 1:][answer][:, None])[:, 0]
    row_of = torch.arange(len(rows), device=device)[:, None].expand_as(answer)[answer]
    sequence_logp = torch.zeros(len(rows), device=device).index_add(0, row_of, token_logp)
    if not value:
        return sequence_logp, None
    positions = torch.tensor([row.value_position - n for row in rows], device=device)
    last = hidden[torch.arange(len(rows), device=device), positions]
    return sequence_logp, policy.value_head(last.float()).squeeze(-1)


def gae(rewards, values, dones, next_value, gamma: float, lam: float):
    """Generalised advantage estimates and returns; arrays are [steps, envs], `dones[t]` says
    whether step t ended its episode (then nothing after it is bootstrapped)."""
    import torch

    steps = rewards.shape[0]
    advantages = torch.zeros_like(rewards)
    last = torch.zeros_like(next_value)
    for t in reversed(range(steps)):
        not_done = 1.0 - dones[t]
        following = next_value if t == steps - 1 else values[t + 1]
        delta = rewards[t] + gamma * following * not_done - values[t]
        last = delta + gamma * lam * not_done * last
        advantages[t] = last
    return advantages, advantages + values


def ppo_losses(new_logp, old_logp, advantages, new_values, returns, clip: float):
    """(policy loss, value loss, fraction clipped, approx KL(old || new))."""
    import torch

    log_ratio = new_logp - old_logp
    ratio = log_ratio.exp()
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1 - clip, 1 + clip)
    policy_loss = torch.max(unclipped, clipped).mean()
    value_loss = 0.5 * ((new_values - returns) ** 2).mean()
    clip_fraction = ((ratio - 1).abs() > clip).float().mean()
    approx_kl = ((ratio - 1) - log_ratio).mean()
    return policy_loss, value_loss, clip_fraction, approx_kl


# -- the run ------------------------------------------------------------------------------------
class PPOTrainer:
    """Rollouts, scoring and updates; state that `--resume` restores lives in `self.state`."""

    def __init__(self, config: PPOConfig, progress: bool = True) -> None:
        import gymnasium as gym
        import torch

        import dynplan_gym  # noqa: F401  (registers the env)
        from agents.backends.transformers_backend import TransformersBackend
        from agents.llm_agent import LLMAgent
        from agents.models import checkpoint_prompt_config
        from dynplan_gym.text_observation import text_preset

        self.config, self.progress = config, progress
        self.device = resolve_device(config.device)
        self.out = Path(config.out)
        self.out.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(config.seed)
        self.policy = ActorCritic(config, self.device)
        self.optimizer = torch.optim.AdamW(
            self.policy.parameters(), lr=config.learning_rate, weight_decay=0.0
        )
        self.backend = TransformersBackend.from_model(
            self.policy.model, self.policy.tokenizer, seed=config.seed, name=config.model
        )
        prompt = checkpoint_prompt_config(config.adapter or config.model)  # as SFT trained it
        self.agent = LLMAgent(self.backend, config.strategy, prompt, temperature=config.temperature)
        self.envs = [
            gym.make(
                "DynPlanCrafter-v0",
                length=config.episode_length,
                plan_cost_per_plan=config.plan_cost_per_plan,
                plan_cost_per_token=config.plan_cost_per_token,
                **text_preset(prompt.text_options).env_kwargs(),  # the text SFT read
            )
            for _ in range(config.num_envs)
        ]
        self.state: dict[str, Any] = {"update": 0, "env_steps": 0, "next_seed": 0}
        self.prefix: list[int] | None = None

    # -- environment ---------------------------------------------------------------------------
    def _start_episodes(self) -> None:
        """Every env starts an episode, on the seeds after those already played."""
        self.agent.reset(self.config.num_envs)
        self.seeds_before = self.state["next_seed"]  # played in earlier runs of this one
        first = self.config.first_env_seed + self.seeds_before
        self.lockstep = Lockstep(self.envs, itertools.count(first))
        self.state["next_seed"] = self.seeds_before + self.lockstep.started
        self.episode = [{"return": 0.0, "length": 0} for _ in self.envs]

    def rollout(self) -> tuple[list[dict], dict]:
        """`rollout_steps` lockstep steps of every env; (transitions, episode statistics)."""
        from tqdm import tqdm

        from dynplan_gym.achievements import progression

        cfg = self.config
        transitions: list[dict] = []
        finished: list[dict] = []
        plans = plan_tokens = unlocks = 0
        self.backend.reset_cache()  # the weights changed since the last rollout
        for _ in tqdm(
            range(cfg.rollout_steps), desc="rollout", leave=False, disable=not self.progress
        ):
            decisions = self.agent.act(self.lockstep.observations(), self.lockstep.infos())
            for slot, decision in enumerate(decisions):
                _, reward, terminated, truncated, info = self.lockstep.step(
                    slot, decision.env_action()
                )
                transitions.append(
                    {
                        "slot": slot,
                        "prompt": self.agent.last_prompts[slot],
                        "segments": decision.meta.get("segments"),
                        "reward": float(reward),
                        "done": bool(terminated or truncated),
                    }
                )
                plans += info["new_plan"]
                plan_tokens += info["plan_tokens"]
                unlocks += len(info["unlocked"])
                record = self.episode[slot]
                record["return"] += reward
                record["length"] += 1
                if terminated or truncated:
                    finished.append({**record, "progression": progression(info["achievements"])})
                    self.episode[slot] = {"return": 0.0, "length": 0}
                    self.lockstep.end(slot)  # the next seed starts in the slot
                    self.state["next_seed"] = self.seeds_before + self.lockstep.started
        steps = len(transitions)
        self.state["env_steps"] += steps
        stats = {
            "episodes": len(finished),
            "return": _mean([e["return"] for e in finished]),
            "progression": _mean([100 * e["progression"] for e in finished]),
            "plans_per_100_steps": 100 * plans / steps,
            "plan_tokens_per_step": plan_tokens / steps,
            "unlocks_per_100_steps": 100 * unlocks / steps,
            "reward_per_step": sum(t["reward"] for t in transitions) / steps,
        }
        return transitions, stats

    # -- learning ------------------------------------------------------------------------------
    def _encode(self, transitions: list[dict]) -> list[list[ScoredCall]]:
        """Per transition, its rows (`encode_segments`); sets the prefix every row shares
        (short of each row's value position)."""
        if any(
            not t["segments"] or not all(s.token_ids for s in t["segments"]) for t in transitions
        ):
            raise ValueError("PPO scores the sampled token ids: use the transformers backend")
        encoded = [encode_segments(self.backend, t["prompt"], t["segments"]) for t in transitions]
        every = [row for rows in encoded for row in rows]
        shared = shared_prompt_prefix([(row.ids, row.value_position + 1) for row in every])
        self.prefix = every[0].ids[:shared]
        return encoded

    def _score(self, encoded, value: bool):
        """(log-prob of each transition's sampled ids, value at its prompt) for a list of
        transitions' rows: the rows are scored together, then summed per transition."""
        import torch

        rows = [row for transition in encoded for row in transition]
        owner = [i for i, transition in enumerate(encoded) for _ in transition]
        row_logp, row_values = score(
            self.policy, self.prefix, rows, value=value, temperature=self.config.temperature
        )
        owner_t = torch.tensor(owner, device=row_logp.device)
        logp = torch.zeros(len(encoded), device=row_logp.device).index_add(0, owner_t, row_logp)
        if not value:
            return logp, None
        firsts = torch.tensor([owner.index(i) for i in range(len(encoded))], device=owner_t.device)
        return logp, row_values[firsts]

    def _score_all(self, encoded, value: bool, reference: bool = False):
        import torch

        logps, values = [], []
        size = self.config.minibatch_size
        with torch.no_grad():
            for start in range(0, len(encoded), size):
                chunk = encoded[start : start + size]
                if reference:
                    with self.policy.reference():
                        logp, _ = self._score(chunk, value=False)
                else:
                    logp, v = self._score(chunk, value=value)
                    values.append(v)
                logps.append(logp)
        return torch.cat(logps), (torch.cat(values) if value and not reference else None)

    def update(self, transitions: list[dict]) -> dict:
        """Score the rollout, compute advantages, and run the PPO epochs."""
        import torch

        cfg = self.config
        n_envs = cfg.num_envs
        rows = self._encode(transitions)
        self.policy.model.eval()
        old_logp, values = self._score_all(rows, value=True)
        ref_logp, _ = self._score_all(rows, value=False, reference=True)
        kl = old_logp - ref_logp
        device = kl.device
        rewards = torch.tensor([t["reward"] for t in transitions], device=device)
        rewards = rewards - cfg.kl_coef * kl
        dones = torch.tensor([float(t["done"]) for t in transitions], device=device)
        shape = (cfg.rollout_steps, n_envs)
        # The value of the state after the last step (bootstrap), from the prompts it makes.
        next_rows = [
            encode_prompt(self.backend, p)
            for p in self.agent.build_prompts(self.lockstep.observations(), self.lockstep.infos())
        ]
        shared = shared_prompt_prefix([(row.ids, row.context) for row in next_rows], self.prefix)
        with torch.no_grad():
            _, next_value = score(self.policy, self.prefix[:shared], next_rows, value=True)
        advantages, returns = gae(
            rewards.view(shape),
            values.view(shape),
            dones.view(shape),
            next_value,
            cfg.gamma,
            cfg.gae_lambda,
        )
        advantages, returns = advantages.flatten(), returns.flatten()
        self.policy.model.train()
        generator = torch.Generator(device=device).manual_seed(cfg.seed + self.state["update"])
        totals: dict[str, list[float]] = {k: [] for k in ("pg", "vf", "clip", "approx_kl")}
        first_ratio = None
        for _epoch in range(cfg.epochs):
            order = torch.randperm(len(rows), generator=generator, device=device)
            for start in range(0, len(rows), cfg.minibatch_size):
                index = order[start : start + cfg.minibatch_size]
                new_logp, new_values = self._score([rows[i] for i in index.tolist()], value=True)
                if first_ratio is None:
                    first_ratio = (new_logp.detach() - old_logp[index]).exp().mean().item()
                adv = advantages[index]
                adv = (adv - adv.mean()) / (adv.std() + 1e-8) if len(index) > 1 else adv
                pg, vf, clip_fraction, approx_kl = ppo_losses(
                    new_logp, old_logp[index], adv, new_values, returns[index], cfg.clip
                )
                loss = pg + cfg.value_coef * vf
                self.optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.policy.parameters(), cfg.max_grad_norm)
                self.optimizer.step()
                for key, value in zip(totals, (pg, vf, clip_fraction, approx_kl), strict=True):
                    totals[key].append(float(value.detach()))
        self.policy.model.eval()
        return {
            "kl_to_reference": float(kl.mean()),
            "first_ratio": first_ratio,
            "value_mean": float(values.mean()),
            **{k: _mean(v) for k, v in totals.items()},
        }

    # -- bookkeeping ---------------------------------------------------------------------------
    def save_checkpoint(self) -> None:
        import torch

        directory = self.out / CHECKPOINT
        directory.mkdir(exist_ok=True)
        self.policy.save(directory)
        torch.save(
            {
                "optimizer": self.optimizer.state_dict(),
                "state": self.state,
                "torch_rng": torch.get_rng_state(),
            },
            directory / "trainer.pt",
        )

    def load_checkpoint(self) -> bool:
        import torch

        directory = self.out / CHECKPOINT
        if not (directory / "trainer.pt").is_file():
            return False
        self.policy.load(directory)
        saved = torch.load(directory / "trainer.pt", weights_only=False)
        self.optimizer.load_state_dict(saved["optimizer"])
        self.state = saved["state"]
        torch.set_rng_state(saved["torch_rng"])
        _keep_log_until(self.out / LOG, self.state["update"])
        return True

    def log(self, row: dict) -> None:
        with open(self.out / LOG, "a") as f:
            f.write(json.dumps(row) + "\n")
        rows = read_log(self.out)
        with open(self.out / "log.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        plot_log(rows, self.out / "training.png")

    def train(self, resume: bool = False) -> dict:
        """Run the remaining updates; write the final adapter and card; return the card."""
        from tqdm import tqdm

        if (self.out / CARD).exists():
            card = json.loads((self.out / CARD).read_text())
            if not resume:
                raise FileExistsError(f"{self.out} already holds an RL run; pick another --out")
            if card["config"] == asdict(self.config):
                return card  # finished with this very config: nothing left to do
        if not resume and (self.out / LOG).exists():
            raise FileExistsError(f"{self.out} holds a started run; use --resume")
        check_and_record_run_config(self.out, self.config, PPO_RESUME_FREE, resume)
        if resume:
            self.load_checkpoint()
        self._start_episodes()
        cfg = self.config
        bar = tqdm(
            total=cfg.updates,
            initial=self.state["update"],
            desc="PPO updates",
            disable=not self.progress,
        )
        while self.state["update"] < cfg.updates:
            started = time.perf_counter()
            transitions, stats = self.rollout()
            learned = self.update(transitions)
            self.state["update"] += 1
            row = {
                "update": self.state["update"],
                "env_steps": self.state["env_steps"],
                **stats,
                **learned,
                "seconds": time.perf_counter() - started,
            }
            self.save_checkpoint()
            self.log(row)
            bar.update(1)
            bar.set_postfix(
                unlocks_per_100=f"{stats['unlocks_per_100_steps']:.1f}",
                plans_per_100=f"{stats['plans_per_100_steps']:.1f}",
                kl=f"{learned['kl_to_reference']:.3f}",
            )
        bar.close()
        self.policy.save(self.out)
        card = {
            "kind": "lora-adapter" if cfg.lora_rank > 0 else "model",
            "base": cfg.model if not cfg.adapter else f"{cfg.model} + {cfg.adapter}",
            "load_with": {"model": str(self.out / MERGED_SFT) if cfg.adapter else cfg.model},
            "config": asdict(cfg),
            "command": cli_command("dynplan train rl", cfg),
            "device": self.device,
            "dtype": resolve_dtype(cfg.dtype, self.device),
            "sft": _sft_card(cfg.model),
            "updates": self.state["update"],
            "env_steps": self.state["env_steps"],
            "log": read_log(self.out),
            "versions": package_versions(),
        }
        (self.out / CARD).write_text(json.dumps(card, indent=1))
        write_rl_readme(self.out, card)
        return card


def write_rl_readme(out: Path, card: dict) -> None:
    """A short human-readable card next to card.json, with the first and last updates."""
    log = card["log"]

    def window(rows: list[dict], key: str) -> str:
        values = [r[key] for r in rows if r.get(key) is not None]
        return f"{sum(values) / len(values):.2f}" if values else "n/a"

    first, last = log[: max(1, len(log) // 4)], log[-max(1, len(log) // 4) :]
    keys = (
        "plans_per_100_steps",
        "plan_tokens_per_step",
        "unlocks_per_100_steps",
        "reward_per_step",
        "kl_to_reference",
    )
    rows = [f"| {k} | {window(first, k)} | {window(last, k)} |" for k in keys]
    load = card.get("load_with", {}).get("model", card["config"]["model"])
    lines = [
        f"# {out.name}",
        "",
        f"PPO with a planning cost on `{card['base']}` ({card['kind']}, "
        f"{card['updates']} updates, {card['env_steps']:,} env steps).",
        "",
        f"- command: `{card['command']}`",
        f"- SFT command: `{(card.get('sft') or {}).get('command')}`",
        f"- data command: `{((card.get('sft') or {}).get('data') or {}).get('command')}`",
        "",
        "| rollout mean | first quarter of updates | last quarter |",
        "| --- | --- | --- |",
        *rows,
        "",
        f"Load: `dynplan eval --agent llm:{card['config']['strategy']} --model {load} "
        "--adapter THIS_DIR`. Per-update numbers: `log.csv`, `training.png`, `card.json`.",
    ]
    (out / "README.md").write_text("\n".join(lines) + "\n")


def _sft_card(model: str) -> dict | None:
    """What the SFT model's card says about its making (command, data, steps, losses)."""
    path = Path(model) / CARD
    if not path.is_file():
        return None
    card = json.loads(path.read_text())
    keys = ("command", "data", "steps", "final_held_out_loss")
    return {k: card.get(k) for k in keys}


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def read_log(out: str | Path) -> list[dict]:
    path = Path(out) / LOG
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _keep_log_until(path: Path, update: int) -> None:
    if path.exists():
        rows = [
            r
            for r in (json.loads(x) for x in path.read_text().splitlines() if x.strip())
            if r["update"] <= update
        ]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def plot_log(rows: list[dict], path: Path) -> None:
    """Return, progression, plans/100 steps, plan tokens/step and KL over updates."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("return", "episode return"),
        ("progression", "progression (%)"),
        ("plans_per_100_steps", "plans / 100 steps"),
        ("plan_tokens_per_step", "plan tokens / step"),
        ("kl_to_reference", "KL to SFT reference"),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3))
    updates = [r["update"] for r in rows]
    for ax, (key, title) in zip(axes, panels, strict=True):
        points = [(u, r[key]) for u, r in zip(updates, rows, strict=True) if r.get(key) is not None]
        if points:
            ax.plot(*zip(*points, strict=True), marker="o")
        ax.set_title(title)
        ax.set_xlabel("update")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


# -- command line -------------------------------------------------------------------------------
def run_from_args(args: argparse.Namespace) -> int:
    from baselines.configs import config_from_args

    config = config_from_args(PPOConfig, args)
    try:
        card = PPOTrainer(config, progress=not args.no_progress).train(resume=args.resume)
    except (FileExistsError, FileNotFoundError, ValueError) as err:
        raise SystemExit(f"dynplan train rl: {err}") from None
    last = card["log"][-1] if card["log"] else {}
    print(f"adapter: {config.out} ({card['updates']} updates, {card['env_steps']} env steps)")
    for key in ("progression", "plans_per_100_steps", "plan_tokens_per_step", "kl_to_reference"):
        print(f"  last {key}: {last.get(key)}")
    return 0
