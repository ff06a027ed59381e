"""The layer rule: each package imports only the packages below it (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("dynplan_gym", "agents", "leaderboard", "baselines", "dynplan_cli")  # bottom to top


def imported_packages(path: Path) -> set[tuple[str, int]]:
    """(project package, line) for every import in a module, inside functions too."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {(name.split(".")[0], node.lineno) for name in names}
    return {(package, line) for package, line in found if package in LAYERS}


def test_no_module_imports_a_layer_above_its_own():
    upward = []
    for level, package in enumerate(LAYERS):
        for module in sorted((ROOT / package).rglob("*.py")):
            for imported, line in sorted(imported_packages(module)):
                if LAYERS.index(imported) > level:
                    upward.append(f"{module.relative_to(ROOT)}:{line} imports {imported}")
    assert not upward, "imports that run up a layer:\n" + "\n".join(upward)
