"""The miniature Accel-NASBench chain (runners/mini_anb.py --tiny) runs end to end on real digits."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("timm")
pytest.importorskip("sklearn")

REPO = Path(__file__).resolve().parents[1]


def _numbers(obj):
    if isinstance(obj, bool) or obj is None:
        return
    if isinstance(obj, (int, float)):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _numbers(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _numbers(v)


@pytest.mark.slow
def test_tiny_chain_completes_with_finite_figures(tmp_path):
    out = tmp_path / "mini"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, str(REPO / "runners" / "mini_anb.py"), "--out", str(out), "--tiny"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    s = json.loads((out / "summary.json").read_text())
    assert s["smoke_test"] is True and "SMOKE TEST" in s["note"] and "SMOKE TEST" in proc.stdout

    rows = s["proxy"]["rows"]
    assert [r["recipe"] for r in rows][0] == "reference" and len(rows) >= 5
    assert rows[0]["tau"] == pytest.approx(1.0)  # the reference ranks like itself
    assert s["proxy"]["chosen"] in [r["recipe"] for r in rows[1:]]
    assert s["collect"]["done"] == 8 and s["collect"]["pending"] == 0
    assert len(list((out / "collect" / "results").glob("result_*.json"))) == 8
    for kind in ("simulated", "true"):
        assert set(s["trajectories"][kind]) == {"rs", "re", "reinforce"}
        for tr in s["trajectories"][kind].values():
            assert len(tr["mean"]) == 3  # the budget
            assert all(b >= a for a, b in zip(tr["mean"], tr["mean"][1:]))  # best-so-far never drops
    # every figure the chain reports is finite
    figures = {k: s[k] for k in ("proxy", "collect", "fit", "surrogate_vs_true_runs", "trajectories")}
    nums = list(_numbers(figures))
    assert nums and all(math.isfinite(x) for x in nums), figures
    png = out / "trajectories.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size < 200_000


@pytest.mark.slow
def test_tiny_study_runs_and_says_it_is_a_smoke_test(tmp_path):
    """--study --tiny: 3 architectures x 2 seeds, seed noise and a leave-one-out surrogate with a
    bootstrap CI on tau; its output says the figures are noise."""
    out = tmp_path / "mini"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, str(REPO / "runners" / "mini_anb.py"), "--out", str(out), "--study", "--tiny"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "SMOKE TEST" in proc.stdout and "bootstrap CI" in proc.stdout
    s = json.loads((out / "study" / "study.json").read_text())
    assert s["smoke_test"] is True and len(s["top1"]) == 3 and all(len(r) == 2 for r in s["top1"])
    assert s["noise"]["seeds"] == 2 and len(s["surrogate"]["pred"]) == 3
    # the recipe it ran is recorded with it: the study recipe, cut to the smoke size
    assert s["spec"]["recipe"]["epochs"] == 1 and s["spec"]["recipe"]["max_steps_per_epoch"] == 2
    assert s["spec"]["recipe"]["label_smoothing"] == 0.0 and s["spec"]["recipe"]["lr"] == 0.02
    sv = s["surrogate"]
    assert sv["ci_low"] <= sv["kendall_tau"] <= sv["ci_high"]
    assert (out / "study" / "study.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rep = subprocess.run([sys.executable, str(REPO / "runners" / "mini_anb.py"), "--out", str(out), "--report"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert rep.returncode == 0 and "SMOKE TEST" in rep.stdout and "seed vs seed" in rep.stdout
