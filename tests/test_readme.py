"""The README's and the documentation's examples run exactly as shown."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
MAX_README_LINES = 200
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def test_readme_first_screen_has_the_two_commands():
    first_screen = "\n".join(README.read_text().splitlines()[:40])
    assert "make demo" in first_screen and "make test" in first_screen


def test_readme_is_a_short_front_page():
    lines = len(README.read_text().splitlines())
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; move detail into docs/"


def test_every_picture_the_readme_and_docs_show_exists():
    shown = [(README, link) for link in IMAGE.findall(README.read_text())]
    for page in DOCS.rglob("*.md"):
        shown += [(page, link) for link in IMAGE.findall(page.read_text())]
    assert shown, "the README shows no picture"
    missing = [f"{page.name}: {link}" for page, link in shown if not (page.parent / link).is_file()]
    assert not missing, missing


def test_readme_python_example_runs(capsys):
    blocks = PYTHON_BLOCK.findall(README.read_text())
    assert blocks, "README has no python example"
    example = blocks[0]
    assert len(example.strip().splitlines()) <= 12
    exec(compile(example, "README.md", "exec"), {})
    assert "You see" in capsys.readouterr().out


def test_every_other_python_example_runs(capsys):
    """The README's other examples and every example in docs/ (the POGS one among them)."""
    examples = [("README.md", block) for block in PYTHON_BLOCK.findall(README.read_text())[1:]]
    for page in sorted(DOCS.rglob("*.md")):
        name = str(page.relative_to(ROOT))
        examples += [(name, block) for block in PYTHON_BLOCK.findall(page.read_text())]
    assert any(name == "docs/environments/pogs.md" for name, _ in examples)
    for name, example in examples:
        exec(compile(example, name, "exec"), {})
    assert "Visible nodes" in capsys.readouterr().out  # the POGS example


BASH_BLOCK = re.compile(r"```bash\n(.*?)```", re.S)
DYNPLAN = ".venv/bin/dynplan "
# README commands that finish in seconds: run as written (in a scratch directory)
RUN_AS_WRITTEN = (
    ".venv/bin/dynplan play --agent learned-dynamic --steps 20 --temperature 1",
    ".venv/bin/dynplan leaderboard --format html --out board.html",
)


def shown_commands() -> list[tuple[str, str]]:
    """(page, command) for every `dynplan` command in a bash block of the README and docs/,
    continuation lines joined and comments dropped."""
    pages = [README, *sorted(DOCS.rglob("*.md"))]
    commands = []
    for page in pages:
        for block in BASH_BLOCK.findall(page.read_text()):
            for line in block.replace("\\\n", " ").splitlines():
                line = line.strip()
                if line.startswith(DYNPLAN):
                    words = shlex.split(line, comments=True)
                    commands.append((str(page.relative_to(ROOT)), shlex.join(words)))
    return commands


def test_every_shown_command_parses():
    """Each command the pages show is one the CLI takes: its subcommand, flags and choices."""
    from dynplan_cli import build_parser

    commands = shown_commands()
    assert len(commands) > 20
    parser = build_parser()
    for page, command in commands:
        try:
            parser.parse_args(shlex.split(command)[1:])
        except SystemExit:
            raise AssertionError(f"{page}: `{command}` does not parse") from None


def test_the_quick_readme_commands_run_as_written(tmp_path):
    import subprocess
    import sys

    shown = {command for _, command in shown_commands()}
    for command in RUN_AS_WRITTEN:
        assert command in shown, f"the README no longer shows `{command}`"
        argv = [sys.executable, "-m", "dynplan_cli", *shlex.split(command)[1:]]
        result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "board.html").stat().st_size > 1000
