"""Rendering the leaderboard: terminal table, Markdown, a self-contained HTML page, JSON.

Each agent appears once per protocol, with its latest submission (by the time its result was
written; `leaderboard.store.BOARD_RULE` states the rule on the board); rows are ranked by
progression (on POGS: the success rate, the share of episodes that reach the target, with the
mean return and steps beside it). Published reference rows (BALROG, Crafter's scoreboard) are
shown in their protocol's table and marked as published, not reproduced here.
"""

from __future__ import annotations

import base64
import html
import io
import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from leaderboard.protocols import PROTOCOLS
from leaderboard.store import BOARD_RULE, Entry

PUBLISHED = tomllib.loads(
    resources.files("leaderboard").joinpath("data/published.toml").read_text()
)["row"]
NOTES = tomllib.loads(resources.files("leaderboard").joinpath("data/notes.toml").read_text())[
    "note"
]


def notes_for(protocol: str, agents: Sequence[str]) -> list[str]:
    """The notes (`data/notes.toml`) on the shown agents of a protocol, as "agent: fact"."""
    return [
        f"{n['agent']}: {n['text']}"
        for n in NOTES
        if n["protocol"] == protocol and n["agent"] in agents
    ]


COMPUTE_COLUMNS = (
    "plans/100 steps",
    "plan tok/step",
    "gen tok/step",
    "invalid %",
    "episodes",
    "verified",
)
COLUMNS = {  # per game (`Protocol.family`)
    "crafter": ("rank", "agent", "progression %", "Crafter score", *COMPUTE_COLUMNS),
    "pogs": ("rank", "agent", "success %", "return", "steps", *COMPUTE_COLUMNS),
}


@dataclass(frozen=True)
class BoardRow:
    agent: str
    progression: float | None
    progression_se: float | None
    crafter_score: float | None
    plans_per_100: float | None = None
    plan_tokens_per_step: float | None = None
    generated_tokens_per_step: float | None = None
    invalid_rate: float | None = None
    episodes: int | None = None
    success_rates: dict | None = None
    return_mean: float | None = None
    return_se: float | None = None
    length_mean: float | None = None
    published: str | None = None  # the source, for published rows
    verified: str | None = None  # how the result was checked ("replay"), None if it was not
    link: str | None = None  # a page showing one of its episodes (`dynplan replay`)


def replay_links(
    entries: Sequence[Entry], page: Path, protocol: str | None = None
) -> dict[int, str]:
    """Write a replay of the first episode of each shown row whose run directory (and its
    trajectories) is at hand, beside `page` (`<page>-replays/`); entry id -> the link.
    Repository rows carry no trajectories: they get none."""
    from dynplan_gym.paths import safe_name
    from leaderboard.replay import render_page, replay_episode
    from leaderboard.runner import TRAJECTORIES

    folder = page.parent / f"{page.stem}-replays"
    links = {}
    for pid in protocols_in(entries, protocol):
        for entry in latest_per_agent(entries, pid):
            run = Path(entry.source).parent
            if entry.source.startswith("repo:") or not (run / TRAJECTORIES).is_file():
                continue
            try:
                episode = replay_episode(run)
            except (ValueError, OSError):
                continue  # a run moved or rewritten since: no link
            folder.mkdir(exist_ok=True)
            name = f"{pid}-{safe_name(entry.result.agent.name)}.html"
            (folder / name).write_text(render_page([episode]))
            links[entry.id] = f"{folder.name}/{name}"
    return links


def latest_per_agent(entries: Sequence[Entry], protocol: str) -> list[Entry]:
    """The latest submission of each agent on a protocol: the result written last (then the
    one stored last)."""
    latest: dict[str, Entry] = {}
    for entry in sorted(entries, key=lambda e: (e.result.created, e.id)):
        if entry.result.protocol.id == protocol:
            latest[entry.result.agent.name] = entry
    return list(latest.values())


def rows_for(
    entries: Sequence[Entry], protocol: str, links: dict[int, str] | None = None
) -> list[BoardRow]:
    """The board's rows of `protocol` (`links`: entry id -> a replay page of its run)."""
    links = links or {}
    rows = [
        BoardRow(
            e.result.agent.name,
            e.metrics.progression,
            e.metrics.progression_se,
            e.metrics.crafter_score,
            e.metrics.plans_per_100_steps,
            e.metrics.plan_tokens_per_step,
            e.metrics.generated_tokens_per_step,
            e.metrics.invalid_rate,
            e.metrics.episodes,
            e.metrics.success_rates,
            e.metrics.return_mean,
            e.metrics.return_se,
            e.metrics.length_mean,
            verified=e.result.verification.method if e.result.verification else None,
            link=links.get(e.id),
        )
        for e in latest_per_agent(entries, protocol)
    ]
    rows += [
        BoardRow(
            p["name"], p.get("progression"), None, p.get("crafter_score"), published=p["source"]
        )
        for p in PUBLISHED
        if p["protocol"] == protocol
    ]
    return sorted(rows, key=lambda r: (-(r.progression or -1), -(r.crafter_score or -1)))


def protocols_in(entries: Sequence[Entry], protocol: str | None) -> list[str]:
    if protocol:
        return [protocol]
    return [p for p in PROTOCOLS if any(e.result.protocol.id == p for e in entries)]


def _num(value, fmt="{:.1f}") -> str:
    return "-" if value is None else fmt.format(value)


def _with_se(value: float | None, se: float | None) -> str:
    return _num(value) + ("" if se is None else f" ± {se:.1f}")


def _cells(rank: int, row: BoardRow, family: str = "crafter") -> list[str]:
    name = row.agent + (f" (published: {row.published})" if row.published else "")
    if family == "pogs":
        score = [
            _with_se(row.return_mean, row.return_se),
            _num(row.length_mean),
        ]
    else:
        score = [_num(row.crafter_score, "{:.2f}")]
    return [
        str(rank),
        name,
        _with_se(row.progression, row.progression_se),
        *score,
        _num(row.plans_per_100),
        _num(row.plan_tokens_per_step, "{:.2f}"),
        _num(row.generated_tokens_per_step, "{:.1f}"),
        _num(None if row.invalid_rate is None else 100 * row.invalid_rate),
        _num(row.episodes, "{}"),
        "" if row.published else (row.verified or "-"),
    ]


def render_table(entries: Sequence[Entry], protocol: str | None = None) -> str:
    out = []
    for pid in protocols_in(entries, protocol):
        family = PROTOCOLS[pid].family
        rows = rows_for(entries, pid)
        cells = [list(COLUMNS[family])] + [_cells(i, r, family) for i, r in enumerate(rows, 1)]
        widths = [max(len(c[i]) for c in cells) for i in range(len(cells[0]))]
        out.append(f"{pid} (v{PROTOCOLS[pid].version}): {PROTOCOLS[pid].description}")
        for n, line in enumerate(cells):
            out.append("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))
            if n == 0:
                out.append("  ".join("-" * w for w in widths))
        out += [f"note: {note}" for note in notes_for(pid, [r.agent for r in rows])]
        out.append("")
    return "\n".join(out) if out else "no submissions yet"


def render_markdown(entries: Sequence[Entry], protocol: str | None = None) -> str:
    out = [
        "# dynplan-gym leaderboard",
        "",
        "Ranked by progression (mean share of Crafter's 22 achievements, ± standard error; "
        "on POGS the success rate: the share of episodes that reach the target). "
        "Metrics are recomputed from each submission's episode records. Published rows are "
        "other papers' numbers, shown for reference and not reproduced here.",
        "",
        BOARD_RULE,
        "",
        "Regenerate with `dynplan leaderboard --repo --format md --out leaderboard/README.md`.",
        "",
    ]
    for pid in protocols_in(entries, protocol):
        family = PROTOCOLS[pid].family
        out += [f"## {pid} (v{PROTOCOLS[pid].version})", "", PROTOCOLS[pid].description, ""]
        out.append("| " + " | ".join(COLUMNS[family]) + " |")
        out.append("|" + "---|" * len(COLUMNS[family]))
        rows = rows_for(entries, pid)
        for i, row in enumerate(rows, 1):
            out.append("| " + " | ".join(_cells(i, row, family)) + " |")
        out.append("")
        notes = notes_for(pid, [r.agent for r in rows])
        out += [f"- Note on {note}" for note in notes] + ([""] if notes else [])
    return "\n".join(out)


def render_json(entries: Sequence[Entry], protocol: str | None = None) -> str:
    board = {
        pid: [
            {"rank": i, **{k: v for k, v in row.__dict__.items() if v is not None}}
            for i, row in enumerate(rows_for(entries, pid), 1)
        ]
        for pid in protocols_in(entries, protocol)
    }
    return json.dumps(board, indent=1)


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _plots(rows: list[BoardRow], pid: str) -> list[tuple[str, str]]:
    """(title, base64 PNG) for the success heat map and the compute-performance frontier."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ours = [r for r in rows if not r.published]
    if not ours:
        return []
    plots = []
    names = list(ours[0].success_rates)
    if len(names) > 1:  # Crafter's 22; POGS has one, its success rate is in the table
        fig, ax = plt.subplots(figsize=(11, 0.5 * len(ours) + 2.5))
        grid = [[r.success_rates[a] for a in names] for r in ours]
        image = ax.imshow(grid, vmin=0, vmax=100, cmap="viridis", aspect="auto")
        ax.set_xticks(
            range(len(names)), [a.replace("_", " ") for a in names], rotation=60, ha="right"
        )
        ax.set_yticks(range(len(ours)), [r.agent for r in ours])
        fig.colorbar(image, ax=ax, label="success rate (%)")
        ax.set_title(f"{pid}: per-achievement success")
        plots.append(("Per-achievement success", _png(fig)))
        plt.close(fig)
    score = f"{PROTOCOLS[pid].game.score} (%)"
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for r in ours:
        ax.errorbar(r.generated_tokens_per_step, r.progression, yerr=r.progression_se, fmt="o")
        ax.annotate(
            r.agent,
            (r.generated_tokens_per_step, r.progression),
            fontsize=8,
            xytext=(4, 4),
            textcoords="offset points",
        )
    ax.set_xlabel("generated tokens per step")
    ax.set_ylabel(score)
    ax.set_title(f"{pid}: {score.split()[0]} vs test-time compute")
    ax.grid(alpha=0.3)
    plots.append((f"{score.split(' (')[0].capitalize()} vs generated tokens per step", _png(fig)))
    plt.close(fig)
    return plots


def render_html(
    entries: Sequence[Entry], protocol: str | None = None, links: dict[int, str] | None = None
) -> str:
    """The board as one self-contained page; `links` (entry id -> href) turns an agent's name
    into a link to a replay of one of its episodes."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>dynplan-gym leaderboard</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:1200px}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:4px 8px;text-align:right}td:nth-child(2),th:nth-child(2){text-align:left}"
        "tr.published{color:#777;font-style:italic}img{max-width:100%}</style></head><body>",
        "<h1>dynplan-gym leaderboard</h1>",
        "<p>Ranked by progression (mean share of the 22 achievements ± standard error; on "
        "POGS the success rate). "
        "Published rows are shown for reference, not reproduced here.</p>",
        f"<p>{html.escape(BOARD_RULE)}</p>",
    ]
    for pid in protocols_in(entries, protocol):
        rows, family = rows_for(entries, pid, links), PROTOCOLS[pid].family
        parts.append(f"<h2 id='{pid}'>{html.escape(pid)} (v{PROTOCOLS[pid].version})</h2>")
        parts.append(f"<p>{html.escape(PROTOCOLS[pid].description)}</p>")
        parts.append(f"<table class='board' data-protocol='{pid}'><thead><tr>")
        parts += [f"<th>{html.escape(c)}</th>" for c in COLUMNS[family]]
        parts.append("</tr></thead><tbody>")
        for i, row in enumerate(rows, 1):
            css = " class='published'" if row.published else ""
            cells = [html.escape(c) for c in _cells(i, row, family)]
            if row.link:
                cells[1] = f"<a href='{html.escape(row.link)}' title='replay'>{cells[1]}</a>"
            parts.append(f"<tr{css}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        parts.append("</tbody></table>")
        for note in notes_for(pid, [r.agent for r in rows]):
            parts.append(f"<p class='note'>Note on {html.escape(note)}</p>")
        for title, png in _plots(rows, pid):
            parts.append(f"<h3>{html.escape(title)}</h3>")
            parts.append(
                f"<img class='plot' alt='{html.escape(title)}' src='data:image/png;base64,{png}'>"
            )
    parts.append("</body></html>")
    return "\n".join(parts)


FORMATS = {"table": render_table, "md": render_markdown, "html": render_html, "json": render_json}
