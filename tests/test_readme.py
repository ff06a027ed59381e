"""The README's and the documentation's examples run exactly as shown."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
MAX_README_LINES = 200


def test_readme_first_screen_has_the_two_commands():
    first_screen = "\n".join(README.read_text().splitlines()[:40])
    assert "make demo" in first_screen and "make test" in first_screen


def test_readme_is_a_short_front_page():
    lines = len(README.read_text().splitlines())
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; move detail into docs/"


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
