"""Where a result came from: the versions of the packages that made it and the git revision.

Every layer writes these into its cards and result files, so they live at the bottom.
"""

from __future__ import annotations

import functools
import platform
import subprocess
from importlib import metadata
from pathlib import Path

VERSIONED_PACKAGES = (
    "dynplan-gym",
    "crafter",
    "gymnasium",
    "numpy",
    "torch",
    "transformers",
    "peft",
)


@functools.cache
def _installed_versions() -> tuple[tuple[str, str | None], ...]:
    """Read once a process: package metadata does not change under a running program."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return tuple(versions.items())


def package_versions() -> dict[str, str | None]:
    """Python's and the versioned packages' versions (a fresh dict each call)."""
    return dict(_installed_versions())


def git_revision() -> str | None:
    """The commit of the checkout this code runs from; None outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
