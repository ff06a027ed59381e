"""The one data directory dynplan-gym writes to: `$DYNPLAN_HOME`, else `~/.dynplan`."""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    """The data directory (created on first use)."""
    home = Path(os.environ.get("DYNPLAN_HOME") or Path.home() / ".dynplan").expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home


def safe_name(text: str) -> str:
    """`text` made safe for a file name: letters, digits, '-', '_' and '.' kept."""
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)
