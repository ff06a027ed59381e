"""The README's example runs exactly as shown."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_first_screen_has_the_two_commands():
    first_screen = "\n".join(README.read_text().splitlines()[:40])
    assert "make demo" in first_screen and "make test" in first_screen


def test_readme_python_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks, "README has no python example"
    example = blocks[0]
    assert len(example.strip().splitlines()) <= 12
    exec(compile(example, "README.md", "exec"), {})
    assert "You see" in capsys.readouterr().out


def test_every_other_readme_python_example_runs(capsys):
    for example in re.findall(r"```python\n(.*?)```", README.read_text(), re.S)[1:]:
        exec(compile(example, "README.md", "exec"), {})
    assert "Visible nodes" in capsys.readouterr().out  # the POGS example
