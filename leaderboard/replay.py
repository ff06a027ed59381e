"""Replaying a run's episode for people to look at (`dynplan replay`).

An evaluation writes each step's observation text, raw model output, plan, action and rewards to
`trajectories.jsonl` beside its `result.json`; the environments are deterministic, so an episode
plays again from its seed and recorded actions. `replay_episode` does that and keeps, per step,
what the agent read and wrote beside the frame crafter's own renderer draws (POGS: the position
on the tree), the plan in force, the vitals and what unlocked; where the replay's rewards part
from the record, it says at which step (the run is then not what its record says).
`render_page` writes one self-contained HTML page (no network): the frames, a timeline with
each new plan and unlock marked, play / pause / step / jump to the next plan or unlock, keys;
two runs of the same seed side by side. `write_video` writes the frames as a GIF or MP4.
"""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VITALS = ("health", "food", "drink", "energy")


@dataclass
class Episode:
    """One replayed episode: per step what the page shows."""

    run: str  # the run directory
    agent: str
    protocol: str
    family: str  # crafter or pogs
    seed: int
    steps: list[dict[str, Any]] = field(default_factory=list)
    frames: list[bytes] = field(default_factory=list)  # PNG per step (Crafter), the last after it
    tree: list[list[int]] | None = None  # POGS: neighbours per node
    parted_at: int | None = None  # the first step whose replay differs from the record


def recorded_episode(run_dir: str | Path, seed: int | None) -> tuple[dict, list[dict], int]:
    """(result, the episode's trajectory rows in step order, its seed; default the first)."""
    from leaderboard.runner import RESULT, TRAJECTORIES

    run = Path(run_dir)
    if not (run / RESULT).is_file():
        raise ValueError(f"{run} holds no result.json: expected a `dynplan eval` run directory")
    if not (run / TRAJECTORIES).is_file():
        raise ValueError(f"{run} holds no trajectories.jsonl: its episodes cannot be replayed")
    result = json.loads((run / RESULT).read_text())
    seeds = [e["seed"] for e in result["episodes"]]
    if not seeds:
        raise ValueError(f"{run} has no finished episode yet")
    seed = seeds[0] if seed is None else seed
    if seed not in seeds:
        raise ValueError(f"{run} has no episode of seed {seed}; its seeds: {_span(seeds)}")
    rows = []
    with open(run / TRAJECTORIES) as lines:
        for line in lines:
            row = json.loads(line)
            if row.get("seed") == seed:
                rows.append(row)
    return result, sorted(rows, key=lambda r: r["step"]), seed


def _span(seeds: list[int]) -> str:
    ordered = sorted(seeds)
    return f"{ordered[0]}-{ordered[-1]}" if len(ordered) > 3 else ", ".join(map(str, ordered))


def replay_episode(run_dir: str | Path, seed: int | None = None) -> Episode:
    """The episode of `seed` in `run_dir`, played again from its recorded actions and plans."""
    import gymnasium as gym

    import dynplan_gym  # noqa: F401  (registers the environments)
    from leaderboard.protocols import get_protocol

    result, rows, seed = recorded_episode(run_dir, seed)
    protocol = get_protocol(result["protocol"]["id"])
    crafter = protocol.family == "crafter"
    kwargs = protocol.make_env_kwargs()
    if crafter:  # at the protocol's image size: crafter's night noise draws from the world's
        kwargs["render_mode"] = "rgb_array"  # random numbers by the image's size
    env = gym.make(protocol.env_id, **kwargs)
    episode = Episode(str(run_dir), result["agent"]["name"], protocol.id, protocol.family, seed)
    try:
        obs, info = env.reset(seed=seed)
        if not crafter:
            episode.tree = [list(adjacent) for adjacent in env.unwrapped.tree]
        in_force = ""
        for row in rows:
            frame = _png(env.render()) if crafter else None
            in_force = row.get("plan") or in_force
            step = {
                "step": row["step"],
                "observation": row.get("observation", obs.get("text", "")),
                "raw": row.get("raw", ""),
                "new_plan": bool(row.get("plan")),
                "plan": in_force,
                "action": row.get("action_name") or str(row["action"]),
                "reward": row["reward"],
                "vitals": _vitals(info, crafter),
            }
            if not crafter:  # where it stood when it read the observation
                step["node"], step["visible"] = int(obs["current"]), _visible(obs)
                step["from"], step["target"] = int(info["start"]), int(info["target"])
            obs, reward, terminated, truncated, info = env.step(
                {"action": row["action"], "plan": row.get("plan", "")}
            )
            step["unlocked"] = list(info.get("unlocked", []))
            if episode.parted_at is None and abs(reward - row["reward"]) > 1e-6:
                episode.parted_at = row["step"]
            if crafter:
                episode.frames.append(frame)
            episode.steps.append(step)
            if terminated or truncated:
                break
        if crafter:
            episode.frames.append(_png(env.render()))  # after the last step
        if len(episode.steps) != len(rows) and episode.parted_at is None:
            episode.parted_at = len(episode.steps)  # the record goes on after the episode ended
    finally:
        env.close()
    return episode


def _png(frame) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="PNG")
    return buffer.getvalue()


def _vitals(info: dict, crafter: bool) -> dict[str, int]:
    if not crafter:
        return {}
    inventory = info.get("inventory", {})
    return {name: int(inventory.get(name, 0)) for name in VITALS}


def _visible(obs: dict) -> list[int]:
    return [int(i) for i, seen in enumerate(obs["visible"]) if seen]


# -- the page ----------------------------------------------------------------------------------
def page_data(episodes: list[Episode]) -> dict[str, Any]:
    """What the page's script reads: per episode its steps, frames (base64 PNG), tree."""
    return {
        "episodes": [
            {
                "run": e.run,
                "agent": e.agent,
                "protocol": e.protocol,
                "family": e.family,
                "seed": e.seed,
                "parted_at": e.parted_at,
                "steps": e.steps,
                "frames": [base64.b64encode(f).decode() for f in e.frames],
                "tree": e.tree,
                "layout": _tree_layout(e.tree, e.steps[0]["from"]) if e.tree else None,
            }
            for e in episodes
        ]
    }


def _tree_layout(tree: list[list[int]], root: int) -> list[list[float]]:
    """(x, y) in [0, 1] per node: depth from `root` down, leaves spread left to right."""
    from collections import deque

    depth, order, parent = {root: 0}, [], {root: None}
    queue = deque([root])
    while queue:
        node = queue.popleft()
        order.append(node)
        for nxt in tree[node]:
            if nxt not in depth:
                depth[nxt], parent[nxt] = depth[node] + 1, node
                queue.append(nxt)
    children = {n: [c for c in tree[n] if parent.get(c) == n] for n in depth}
    x: dict[int, float] = {}
    leaves = [0]

    def place(node: int) -> float:
        if not children[node]:
            x[node] = leaves[0]
            leaves[0] += 1
        else:
            x[node] = sum(place(c) for c in children[node]) / len(children[node])
        return x[node]

    place(root)
    width, height = max(leaves[0] - 1, 1), max(max(depth.values()), 1)
    return [[x[n] / width, depth[n] / height] for n in range(len(tree))]


def render_page(episodes: list[Episode]) -> str:
    """One self-contained HTML page for the episodes (one, or two side by side)."""
    title = " vs ".join(f"{e.agent} (seed {e.seed})" for e in episodes)
    data = json.dumps(page_data(episodes)).replace("</", "<\\/")
    return page_template().replace("{{title}}", html.escape(title)).replace("{{data}}", data)


def write_video(episode: Episode, path: str | Path, fps: int = 8) -> Path:
    """The episode's frames as a GIF or MP4 (by `path`'s suffix; Crafter only)."""
    import imageio.v3 as iio
    from PIL import Image

    path = Path(path)
    if episode.family != "crafter":
        raise ValueError("video export draws Crafter's frames; a POGS episode has none")
    frames = [iio.imread(io.BytesIO(f)) for f in episode.frames]
    if path.suffix == ".gif":
        images = [Image.fromarray(f) for f in frames]
        images[0].save(path, save_all=True, append_images=images[1:], duration=1000 // fps, loop=0)
    elif path.suffix == ".mp4":
        import imageio.v2 as imageio
        import imageio_ffmpeg  # noqa: F401  (imageio's ffmpeg plugin: the `video` extra)

        imageio.mimwrite(path, frames, fps=fps, macro_block_size=16)
    else:
        raise ValueError(f"--out {path}: expected a .html, .gif or .mp4 file")
    return path


def page_template() -> str:
    """The page (`leaderboard/data/replay.html`): markup, style and script, data left out."""
    from importlib import resources

    return resources.files("leaderboard").joinpath("data/replay.html").read_text()
