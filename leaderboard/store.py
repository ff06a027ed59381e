"""The leaderboard's SQLite store, and submitting result files to it.

A submission is validated first (`leaderboard.schema`), its metrics recomputed from its episode
records, then stored in one transaction: a bad file stores nothing. The same file submitted
twice is stored once (keyed by the SHA-256 of its canonical JSON). Concurrent submissions from
several processes both land (WAL journal, busy timeout).

The shared leaderboard lives in the repository: accepted result files under
`leaderboard/submissions/` (`submit --to-repo`), merged into the store when it is read.

Names belong to their agents (`check_name`): a shipped model's name is accepted only with that
model's weights (their SHA-256 in the result), and a name already on the board only with the
same agent (everything in its spec but the name) unless `replace`. Every submission is kept;
the board shows each name's latest (`BOARD_RULE`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dynplan_gym.paths import data_home, safe_name
from leaderboard.metrics import Metrics, compute_metrics
from leaderboard.schema import ResultFile, validate_result

SUBMISSIONS_DIR = Path(__file__).resolve().parent / "submissions"
# The largest result file read (a crafter-full result of 100 episodes is ~0.1 MB; `dynplan
# submit --max-bytes` changes it).
MAX_RESULT_BYTES = 4 * 2**20
BOARD_RULE = (
    "Each name shows its latest submission; every submission is kept. A name belongs to one "
    "agent: a shipped model's name only with its weights, a name on the board only with the "
    "same agent (or `dynplan submit --replace`). Rows marked `replay` were verified by "
    "replaying every episode's recorded actions (`dynplan submit --verify`)."
)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256 TEXT UNIQUE NOT NULL,
    protocol TEXT NOT NULL,
    protocol_version INTEGER NOT NULL,
    agent_name TEXT NOT NULL,
    result_json TEXT NOT NULL,
    metrics_json TEXT NOT NULL,
    source TEXT NOT NULL,
    submitted_at TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Entry:
    """One stored submission."""

    id: int
    result: ResultFile
    metrics: Metrics
    source: str
    submitted_at: str


def canonical_json(result: ResultFile) -> str:
    return json.dumps(result.model_dump(mode="json", by_alias=True), sort_keys=True, indent=1)


def load_result_file(path: str | Path, max_bytes: int = MAX_RESULT_BYTES) -> ResultFile:
    """Read and validate a result file of at most `max_bytes`; errors say what is wrong."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ValueError(
                f"{path}: {size:,} bytes, over the {max_bytes:,}-byte limit of a result file "
                "(dynplan submit --max-bytes)"
            )
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: a directory; expected a result.json file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not a JSON file ({err})") from None
    result = validate_result(data)
    if not result.complete:
        missing = len(result.protocol.seeds) - len(result.episodes)
        raise ValueError(f"{path}: the run is incomplete ({missing} episodes missing); resume it")
    return result


class Store:
    """Submissions in a SQLite file (default `<data dir>/leaderboard.sqlite`)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else data_home() / "leaderboard.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=60000")
            yield db
        finally:
            db.close()

    def add(self, result: ResultFile, source: str) -> tuple[int, bool]:
        """Store a validated, complete result: (id, whether it was new)."""
        if not result.complete:
            raise ValueError("only complete runs can be submitted")
        text = canonical_json(result)
        sha = hashlib.sha256(text.encode()).hexdigest()
        metrics = compute_metrics(result.episodes)
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT id FROM submissions WHERE sha256 = ?", (sha,)).fetchone()
                if row:
                    db.execute("COMMIT")
                    return row[0], False
                cursor = db.execute(
                    "INSERT INTO submissions (sha256, protocol, protocol_version, agent_name, "
                    "result_json, metrics_json, source, submitted_at) VALUES (?,?,?,?,?,?,?,?)",
                    (
                        sha,
                        result.protocol.id,
                        result.protocol.version,
                        result.agent.name,
                        text,
                        json.dumps(metrics.to_dict()),
                        source,
                        datetime.now(UTC).isoformat(timespec="seconds"),
                    ),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return cursor.lastrowid, True

    def entries(self, protocol: str | None = None) -> list[Entry]:
        """The stored submissions (of `protocol`), except those of a protocol's earlier version
        (kept in the file, shown no more: a new version plays other episodes)."""
        from leaderboard.protocols import PROTOCOLS

        query = "SELECT id, result_json, source, submitted_at, protocol, protocol_version FROM "
        query += "submissions"
        args: tuple = ()
        if protocol:
            query, args = query + " WHERE protocol = ?", (protocol,)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY id", args).fetchall()
        out = []
        for row_id, text, source, submitted_at, pid, version in rows:
            if pid not in PROTOCOLS or PROTOCOLS[pid].version != version:
                continue
            result = ResultFile.model_validate_json(text)
            out.append(
                Entry(row_id, result, compute_metrics(result.episodes), source, submitted_at)
            )
        return out

    def check_name(self, result: ResultFile, replace: bool = False) -> None:
        """Refuse a result under a name another agent holds on this board (`replace`: take
        the name over) or under a shipped model's name without its weights."""
        check_shipped_weights(result)
        if replace:
            return
        name, identity = result.agent.name, result.agent.identity()
        for entry in self.entries():
            if entry.result.agent.name == name and entry.result.agent.identity() != identity:
                kind = entry.result.agent.kind
                raise ValueError(
                    f"the name {name!r} is on the board for another agent (#{entry.id}, a "
                    f"{kind} agent with other settings); pick another name (dynplan eval "
                    "--name) or pass --replace"
                )

    def sync_repository(self, directory: Path = SUBMISSIONS_DIR) -> int:
        """Add the repository's committed submissions; returns how many were new."""
        new = 0
        for path in sorted(directory.glob("*.json")):
            new += self.add(load_result_file(path), f"repo:{path.name}")[1]
        return new


def check_shipped_weights(result: ResultFile) -> None:
    """Refuse a result named after a shipped model (its name or its model) whose recorded
    weights are not that model's."""
    from agents.models import CHECKPOINTS, weights_sha256

    agent = result.agent
    for name in sorted({agent.name, agent.model} & set(CHECKPOINTS)):
        expected = weights_sha256(name)
        if agent.weights_sha256 != expected:
            raise ValueError(
                f"{name!r} is a shipped model: a result under its name must be played with its "
                f"weights (sha256 {expected[:12]}...); this one records "
                f"{(agent.weights_sha256 or 'no weights')[:12]}"
            )


def submit(
    path: str | Path,
    store: Store,
    to_repo: bool = False,
    max_bytes: int = MAX_RESULT_BYTES,
    verify: bool | None = None,
    replace: bool = False,
) -> tuple[int, bool, Path | None]:
    """Validate a result file and store it; with `to_repo`, also add it to the repository.
    `verify` (default: with `to_repo`) first replays every episode from the
    `trajectories.jsonl` beside the file (`leaderboard.verify`), refuses what it contradicts
    and marks the result verified; the name must be the agent's (`Store.check_name`)."""
    result = load_result_file(path, max_bytes)
    if to_repo:
        store.sync_repository()  # the names the repository's board holds
    store.check_name(result, replace)
    if to_repo if verify is None else verify:
        from leaderboard.runner import TRAJECTORIES
        from leaderboard.verify import verify as replay

        result = replay(result, Path(path).parent / TRAJECTORIES)
    copied = None
    if to_repo:
        copied = add_to_repository(result)
    row, new = store.add(result, f"repo:{copied.name}" if copied else str(Path(path).resolve()))
    return row, new, copied


def add_to_repository(result: ResultFile, directory: Path = SUBMISSIONS_DIR) -> Path:
    """Write a validated result into `leaderboard/submissions/` (trajectories stay out)."""
    text = canonical_json(result)
    sha = hashlib.sha256(text.encode()).hexdigest()[:10]
    path = directory / f"{result.protocol.id}__{safe_name(result.agent.name)}__{sha}.json"
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    return path
