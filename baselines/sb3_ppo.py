"""SB3 PPO on `DynPlanCrafter-v0` without plans: the RL baseline that reads no text; and the
learned plan gate (`dynplan train gate`: the same PPO on `DynPlanCrafterGate-v0`, where the
policy only decides keep / replan and the scripted expert's halves plan and act).

The env goes through `dynplan_gym.wrappers.semantic_env` (one-hot local view, inventory,
status; `Discrete(17)`), vectorised; the reward is crafter's (achievements, health changes).
`dynplan train sb3 --out DIR` writes to DIR:

  policy.safetensors  the trained policy's weights (what `--agent sb3:DIR` plays; no pickle)
  card.json, README.md  the config, command, steps, time, episode statistics, versions
  curve.png           achievements unlocked per episode and return against env steps
  logs/               SB3's progress and the episodes (one CSV pair per run segment)
  checkpoints/        SB3 zips every `checkpoint_steps` (`--resume` continues from the last)
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from baselines.configs import GateConfig, SB3PPOConfig, cli_command

CARD = "card.json"
POLICY = "policy.safetensors"
CHECKPOINT = re.compile(r"ppo_(\d+)_steps\.zip")


class EpisodeAchievements(gym.Wrapper):
    """Keeps of the info only the number of achievements unlocked, on an episode's last step
    (SB3's vector env deep-copies every info every step)."""

    def reset(self, **kwargs):
        obs, _ = self.env.reset(**kwargs)
        return obs, {}

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        kept = {}
        if terminated or truncated:
            kept["achievements_unlocked"] = sum(1 for n in info["achievements"].values() if n > 0)
        return obs, reward, terminated, truncated, kept


def make_env(config: SB3PPOConfig, rank: int):
    """A thunk for env `rank` (`make_vec_env` seeds it with `first_env_seed + rank`)."""

    def thunk() -> gym.Env:
        if isinstance(config, GateConfig):
            from agents.gate import make_gate_env

            return EpisodeAchievements(make_gate_env(**config.env_kwargs()))
        from dynplan_gym.wrappers import semantic_env

        return EpisodeAchievements(semantic_env(length=config.episode_length))

    return thunk


def make_vec_env(config: SB3PPOConfig, monitor_file: Path | None = None):
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecMonitor

    thunks = [make_env(config, rank) for rank in range(config.num_envs)]
    venv = SubprocVecEnv(thunks) if config.vec_env == "subproc" else DummyVecEnv(thunks)
    venv.seed(config.first_env_seed)
    filename = str(monitor_file) if monitor_file else None
    return VecMonitor(venv, filename=filename, info_keywords=("achievements_unlocked",))


def policy_kwargs(config: SB3PPOConfig) -> dict[str, Any]:
    """SB3's `policy_kwargs`: the MLP's hidden widths."""
    return {"net_arch": [int(n) for n in config.net_arch]}


def latest_checkpoint(out: Path) -> tuple[Path, int] | None:
    """(path, env steps) of the newest SB3 checkpoint under `out`, if any."""
    found = [
        (path, int(m.group(1)))
        for path in (out / "checkpoints").glob("ppo_*_steps.zip")
        if (m := CHECKPOINT.fullmatch(path.name))
    ]
    return max(found, key=lambda pair: pair[1]) if found else None


def train_sb3(config: SB3PPOConfig, resume: bool = False, progress: bool = True) -> dict:
    """Train (or continue) PPO; write the policy, card, logs and curve to `config.out`."""
    import torch
    from safetensors.torch import save_file
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import CheckpointCallback
    from stable_baselines3.common.logger import configure

    from agents.devices import resolve_device
    from dynplan_gym.provenance import package_versions

    out = Path(config.out)
    if (out / CARD).exists():
        if not resume:
            raise FileExistsError(f"{out} already holds a trained policy; pick another --out")
        card = json.loads((out / CARD).read_text())
        if card["config"] == asdict(config):
            return card  # finished with this very config
    found = latest_checkpoint(out) if resume else None
    start = found[1] if found else 0
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)  # batches of a few envs through a small MLP: one thread is fastest
    venv = make_vec_env(config, logs / f"episodes-{start}.monitor.csv")
    device = resolve_device(config.device)
    if found:
        model = PPO.load(found[0], env=venv, device=device)
    else:
        model = PPO(
            "MultiInputPolicy",
            venv,
            learning_rate=config.learning_rate,
            n_steps=config.n_steps,
            batch_size=config.batch_size,
            n_epochs=config.epochs,
            gamma=config.gamma,
            gae_lambda=config.gae_lambda,
            clip_range=config.clip,
            ent_coef=config.ent_coef,
            policy_kwargs=policy_kwargs(config),
            seed=config.seed,
            device=device,
            verbose=0,
        )
    model.set_logger(configure(str(logs / f"progress-{start}"), ["csv"]))
    saver = CheckpointCallback(
        save_freq=max(1, config.checkpoint_steps // config.num_envs),
        save_path=str(out / "checkpoints"),
        name_prefix="ppo",
    )
    started = time.perf_counter()
    remaining = max(0, config.timesteps - model.num_timesteps)
    if remaining:
        model.learn(remaining, callback=saver, progress_bar=progress, reset_num_timesteps=not found)
    seconds = time.perf_counter() - started
    model.save(out / "checkpoints" / f"ppo_{model.num_timesteps}_steps.zip")  # resume from here
    state = {k: v.detach().cpu().contiguous() for k, v in model.policy.state_dict().items()}
    save_file(state, out / POLICY)
    gate = isinstance(config, GateConfig)
    card = {
        "kind": "sb3-gate" if gate else "sb3-ppo",
        "config": asdict(config),
        "command": cli_command(f"dynplan train {'gate' if gate else 'sb3'}", config, always=()),
        "timesteps": int(model.num_timesteps),
        "seconds_this_run": round(seconds, 1),
        "env_steps_per_second_this_run": round((model.num_timesteps - start) / seconds, 1)
        if seconds > 0
        else None,
        "policy": {
            "class": "MultiInputActorCriticPolicy",
            "net_arch": policy_kwargs(config)["net_arch"],
            "parameters": sum(p.numel() for p in model.policy.parameters()),
            "observation": f"dynplan_gym.wrappers.{'Gate' if gate else 'Semantic'}Features()",
            "actions": int(venv.action_space.n),
        },
        "episodes": episode_summary(logs),
        "versions": package_versions(),
    }
    venv.close()
    (out / CARD).write_text(json.dumps(card, indent=1))
    plot_curve(logs, out / "curve.png")
    write_readme(out, card)
    return card


def read_episodes(logs: Path) -> list[dict[str, float]]:
    """Every finished training episode, in env-step order: steps so far, return, length,
    achievements unlocked."""
    episodes = []
    for file in sorted(logs.glob("episodes-*.monitor.csv"), key=_segment_start):
        offset = _segment_start(file)
        lines = [line for line in file.read_text().splitlines() if not line.startswith("#")]
        steps = offset
        for row in csv.DictReader(lines):
            steps += int(row["l"])
            episodes.append(
                {
                    "steps": steps,
                    "return": float(row["r"]),
                    "length": int(row["l"]),
                    "achievements": float(row["achievements_unlocked"]),
                }
            )
    return episodes


def _segment_start(file: Path) -> int:
    return int(file.name.split("-")[1].split(".")[0])


def episode_summary(logs: Path, last: int = 100) -> dict[str, Any]:
    episodes = read_episodes(logs)
    tail = episodes[-last:]
    if not tail:
        return {"count": 0}
    return {
        "count": len(episodes),
        "last": len(tail),
        "mean_return": round(float(np.mean([e["return"] for e in tail])), 3),
        "mean_length": round(float(np.mean([e["length"] for e in tail])), 1),
        "mean_achievements_unlocked": round(float(np.mean([e["achievements"] for e in tail])), 3),
    }


def plot_curve(logs: Path, path: Path, window: int = 50) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    episodes = read_episodes(logs)
    if not episodes:
        return
    steps = np.array([e["steps"] for e in episodes])
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, key, label in (
        (axes[0], "achievements", "achievements unlocked per episode"),
        (axes[1], "return", "episode return"),
    ):
        values = np.array([e[key] for e in episodes])
        kernel = np.ones(min(window, len(values))) / min(window, len(values))
        ax.plot(steps, values, ".", alpha=0.15, color="tab:blue")
        ax.plot(steps[len(kernel) - 1 :], np.convolve(values, kernel, "valid"), color="tab:red")
        ax.set_xlabel("env steps")
        ax.set_title(f"{label} (red: mean of {len(kernel)})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_readme(out: Path, card: dict) -> None:
    episodes = card["episodes"]
    if card["kind"] == "sb3-gate":
        what = (
            "A plan gate: SB3 PPO on `DynPlanCrafterGate-v0` (keep / replan each step; the "
            "scripted expert's halves plan and act)."
        )
        play = f"Play: `--agent gate:{out}`"
    else:
        what = (
            "SB3 PPO on `DynPlanCrafter-v0` through `dynplan_gym.wrappers.semantic_env` (no "
            "text, no plans)."
        )
        play = f"Play: `--agent sb3:{out}`"
    lines = [
        f"# {out.name}",
        "",
        what,
        "",
        f"- command: `{card['command']}`",
        f"- env steps: {card['timesteps']:,}; this run {card['seconds_this_run']} s "
        f"({card['env_steps_per_second_this_run']} env steps/s)",
        f"- policy: MLP {card['policy']['net_arch']}, {card['policy']['parameters']:,} parameters",
    ]
    if episodes.get("count"):
        lines.append(
            f"- last {episodes['last']} training episodes: "
            f"{episodes['mean_achievements_unlocked']} achievements unlocked, return "
            f"{episodes['mean_return']}, length {episodes['mean_length']}"
        )
    lines += ["", "![training curve](curve.png)", "", play]
    (out / "README.md").write_text("\n".join(lines) + "\n")


def run_from_args(args: argparse.Namespace) -> int:
    from baselines.configs import config_from_args

    gate = args.stage == "gate"
    try:
        config = config_from_args(GateConfig if gate else SB3PPOConfig, args)
        card = train_sb3(config, resume=args.resume, progress=not args.no_progress)
    except (FileExistsError, ValueError) as err:
        raise SystemExit(f"dynplan train {args.stage}: {err}") from None
    episodes = card["episodes"]
    print(f"policy: {Path(config.out) / POLICY} ({card['timesteps']:,} env steps)")
    if episodes.get("count"):
        print(
            f"  last {episodes['last']} episodes: {episodes['mean_achievements_unlocked']} "
            f"achievements, return {episodes['mean_return']}"
        )
    return 0
