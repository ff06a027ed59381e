"""The one data directory dynplan-gym writes to: `$DYNPLAN_HOME`, else `~/.dynplan`."""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    """The data directory (created on first use)."""
    home = Path(os.environ.get("DYNPLAN_HOME") or Path.home() / ".dynplan").expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home
