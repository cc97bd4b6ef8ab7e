"""docs/naslib.md's "From Python" block runs from a directory that is not the repository, both halves.

tests/test_docs_snippets.py runs every block in a scratch directory that links ``configs/``; this
test runs the same block where nothing is linked, as a user would from their own project, and checks
what each half wrote.
"""
import os
import re
import subprocess
import sys

import pytest

from _helpers import REPO, require_naslib, strict_load

require_naslib()

pytestmark = [pytest.mark.naslib, pytest.mark.slow]


def python_block_after(heading_text: str) -> str:
    text = (REPO / "docs" / "naslib.md").read_text(encoding="utf-8")
    start = text.index(heading_text)
    match = re.search(r"```python\n(.*?)```", text[start:], re.S)
    assert match, f"no python block after {heading_text!r}"
    return match.group(1)


def test_from_python_block_runs_outside_the_repository(tmp_path):
    code = python_block_after("From Python, from any directory")
    assert "register()" in code and "run.load_config(" in code
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=str(tmp_path), timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = sorted((tmp_path / "run").rglob("errors.json"))
    assert len(runs) == 2, runs  # one per half, each under NASLib's save path (optimizer/seed)
    for path in runs:
        config, stats = strict_load(path)
        assert config["search"]["seed"] == config["seed"] and path.parent.as_posix().endswith(config["save"])
        assert len(stats["valid_acc"]) == config["search"]["epochs"]
        assert config["anb_resolved"]["zc_data"]["kind"] == "SYNTHETIC"
