"""The documentation site builds with no warning, and nothing points at a missing design file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MKDOCS_YML = ROOT / "mkdocs.yml"
DOCS = ROOT / "docs"
# Spelled in two parts so that this file does not match itself.
MISSING_DESIGN_FILE = "DESIGN" + ".md"
SKIPPED_DIRS = {".venv", ".git", "build", "dist", "site", "__pycache__"}


def nav_pages() -> list[str]:
    """The pages `nav` in mkdocs.yml lists (paths relative to docs/)."""
    text = MKDOCS_YML.read_text()
    nav = text.split("\nnav:\n", 1)[1].split("\n\n", 1)[0]
    nav = re.split(r"\n(?=\S)", nav, maxsplit=1)[0]  # up to the next top-level key
    return re.findall(r":\s*(\S+\.md)\s*$", nav, re.M)


def test_every_nav_page_exists_and_every_page_is_in_nav():
    pages = nav_pages()
    assert pages, "mkdocs.yml lists no pages under nav"
    assert len(pages) == len(set(pages)), "a page is listed twice in nav"
    missing = [page for page in pages if not (DOCS / page).is_file()]
    assert not missing, f"nav lists pages that do not exist: {missing}"
    on_disk = {str(page.relative_to(DOCS)) for page in DOCS.rglob("*.md")}
    assert on_disk == set(pages), f"pages not in nav: {sorted(on_disk - set(pages))}"


def test_mkdocs_builds_strict(tmp_path):
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        pytest.skip('mkdocs is not installed (pip install -e ".[docs]")')
    site = tmp_path / "site"
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(MKDOCS_YML)]
    result = subprocess.run(
        [*command, "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output, output
    for page in nav_pages():
        built = site / ("" if page == "index.md" else Path(page).with_suffix("")) / "index.html"
        assert built.is_file(), f"{page} was not built"


def repository_files() -> list[Path]:
    """The repository's files: tracked and untracked but not ignored (git), else a walk."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):  # no git, or not a checkout
        files = []
        for directory, dirs, names in os.walk(ROOT):
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info")]
            files += [Path(directory) / name for name in names]
        return files
    return [ROOT / name for name in listed.decode().split("\0") if name]


def test_no_file_mentions_the_missing_design_file():
    mentions = []
    for path in repository_files():
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError):
            continue  # binary files, or a file removed but not yet staged
        if MISSING_DESIGN_FILE in text:
            mentions.append(str(path.relative_to(ROOT)))
    assert not mentions, f"{MISSING_DESIGN_FILE} does not exist (docs/architecture.md): {mentions}"
