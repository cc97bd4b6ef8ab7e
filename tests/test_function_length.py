"""No function longer than ~60 lines in the training, profiling and runner code (a readable unit)."""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FOLDERS = ("naslib_anb/training", "naslib_anb/profiling", "runners", "naslib_anb/cli/profile_cmd.py")
LIMIT = 60


def _long_functions(folder: str) -> list[str]:
    out = []
    root = REPO / folder
    for path in [root] if root.suffix == ".py" else sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > LIMIT:
                    out.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({n} lines)")
    return out


def test_no_function_over_the_limit():
    long = [f for folder in FOLDERS for f in _long_functions(folder)]
    assert long == [], "functions over 60 lines:\n" + "\n".join(long)


def test_the_check_sees_a_long_function(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT))
    tree = ast.parse(f"def f():\n{body}\n")
    fn = tree.body[0]
    assert fn.end_lineno - fn.lineno + 1 > LIMIT
