"""A policy trained by `dynplan train sb3`, played like any other agent (`--agent sb3:DIR`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from agents.protocol import Decision, episode_slots

# Policies shipped in the repository: name -> directory under agents/checkpoints/.
SHIPPED = {"sb3-ppo": "sb3-ppo", "gate-ppo": "gate-ppo"}


def resolve_policy_dir(spec: str, kind: str = "sb3-ppo") -> Path:
    """The directory of a shipped policy name or a `dynplan train sb3|gate --out` directory
    whose card says it is a `kind` policy ("sb3-ppo" acts, "sb3-gate" gates plans)."""
    from agents.models import CHECKPOINTS_DIR

    command, what = ("gate", "gate") if kind == "sb3-gate" else ("sb3", "SB3")
    shipped = [name for name in SHIPPED if _card(CHECKPOINTS_DIR / SHIPPED[name]) == kind]
    path = CHECKPOINTS_DIR / SHIPPED[spec] if spec in SHIPPED else Path(spec).expanduser()
    if not (path / "policy.safetensors").is_file() or _card(path) != kind:
        raise ValueError(
            f"unknown {what} policy {spec!r}: expected a shipped name "
            f"({', '.join(shipped) or 'none'}) or a `dynplan train {command} --out` directory "
            "with policy.safetensors and card.json"
        )
    return path


def _card(directory: Path) -> str | None:
    """The kind a policy directory's card names (None: no card)."""
    card = directory / "card.json"
    return json.loads(card.read_text()).get("kind") if card.is_file() else None


def load_policy(directory: Path):
    """The trained `MultiInputActorCriticPolicy`, rebuilt from its card and weights."""
    import torch
    from gymnasium import spaces
    from safetensors.torch import load_file
    from stable_baselines3.common.policies import MultiInputActorCriticPolicy

    from dynplan_gym.crafter_actions import NUM_ACTIONS
    from dynplan_gym.wrappers import FEATURES

    card = json.loads((directory / "card.json").read_text())
    observation = card["policy"].get("observation", "SemanticFeatures()").rsplit(".", 1)[-1]
    features = FEATURES[observation]()
    policy = MultiInputActorCriticPolicy(
        features.space,
        spaces.Discrete(card["policy"].get("actions", NUM_ACTIONS)),
        lr_schedule=lambda _: 0.0,
        net_arch=card["policy"]["net_arch"],
    )
    policy.load_state_dict(load_file(directory / "policy.safetensors"))
    policy.set_training_mode(False)
    policy.to(torch.device("cpu"))
    return policy, features


def action_probabilities(policy, features, observations: list[dict], infos: list[dict]):
    """The policy's action distribution for each (observation, info), as a [n, actions] array."""
    import torch

    batch = [features(o, i) for o, i in zip(observations, infos, strict=True)]
    tensors = {k: torch.as_tensor(np.stack([b[k] for b in batch])) for k in batch[0]}
    with torch.no_grad():
        return policy.get_distribution(tensors).distribution.probs.numpy()


class SB3Agent:
    """Samples (or, `deterministic`, takes the most likely) action of the trained policy; never
    plans. Each episode samples from its own generator seeded by (agent seed, episode seed), so
    its actions do not depend on the episodes beside it."""

    def __init__(self, spec: str, seed: int = 0, deterministic: bool = False) -> None:
        self.directory = resolve_policy_dir(spec)
        self.name = f"sb3:{spec}"
        self.policy, self.features = load_policy(self.directory)
        self.seed = seed
        self.deterministic = deterministic
        self._rngs: dict[int, np.random.Generator] = {}
        self._slots = 0

    def reset(self, n: int) -> None:
        if n < 1:
            raise ValueError(f"SB3Agent.reset needs n >= 1 episodes, got {n}")
        self._slots, self._rngs = n, {}

    def act(self, observations: list[dict], infos: list[dict]) -> list[Decision]:
        slots = episode_slots(infos, len(observations), self._slots)
        probs = action_probabilities(self.policy, self.features, observations, infos)
        decisions = []
        for slot, info, p in zip(slots, infos, probs, strict=True):
            if info.get("step", 0) == 0 or slot not in self._rngs:
                self._rngs[slot] = np.random.default_rng([self.seed, int(info.get("seed", slot))])
            if self.deterministic:
                action = int(np.argmax(p))
            else:
                action = int(self._rngs[slot].choice(len(p), p=p / p.sum()))
            decisions.append(Decision(action, raw="sb3"))
        return decisions
