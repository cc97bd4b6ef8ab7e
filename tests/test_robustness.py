"""Robustness of an optimizer ranking across benchmark variants, on hand-made finals with known answers."""
from __future__ import annotations

import math

import pytest

from naslib_anb.errors import ConfigError
from naslib_anb.search.robustness import format_report, kendall_tau, mean_se, order_flips, ranking, robustness

# A: re > rs > reinforce on both; B: rs ahead of re by far (a clear flip), reinforce last;
# C: re and rs swap within the noise
FINALS = {
    "ensemble": {"rs": [66.0, 66.2, 66.1], "re": [67.0, 67.2, 67.1], "reinforce": [65.0, 65.1, 65.2]},
    "member:0": {"rs": [68.0, 68.2, 68.1], "re": [66.0, 66.1, 66.2], "reinforce": [64.0, 64.1, 64.2]},
    "lgb": {"rs": [66.0, 67.0, 66.5], "re": [66.4, 66.2, 66.6], "reinforce": [65.0, 65.5, 65.2]},
}


def test_mean_se():
    s = mean_se([1.0, 2.0, 3.0])
    assert s["mean"] == 2.0 and s["n"] == 3 and s["se"] == pytest.approx(1.0 / math.sqrt(3))
    assert mean_se([5.0]) == {"mean": 5.0, "se": 0.0, "n": 1}
    assert mean_se([float("nan"), None, 4.0])["n"] == 1
    assert mean_se([])["mean"] is None


def test_rankings_and_tau():
    r = robustness(FINALS)
    assert r["rankings"] == {"ensemble": ["re", "rs", "reinforce"], "member:0": ["rs", "re", "reinforce"],
                             "lgb": ["rs", "re", "reinforce"]}
    taus = {tuple(t["variants"]): t["tau"] for t in r["kendall_tau"]}
    # one discordant pair of three: tau = (2 - 1) / 3
    assert taus[("ensemble", "member:0")] == pytest.approx(1 / 3)
    assert taus[("member:0", "lgb")] == pytest.approx(1.0)
    assert r["min_tau"] == pytest.approx(1 / 3)
    assert r["stats"]["ensemble"]["re"]["mean"] == pytest.approx(67.1)


def test_flips_found_and_graded():
    flips = robustness(FINALS)["flips"]
    assert len(flips) == 1
    f = flips[0]
    assert f["optimizers"] == ["rs", "re"]
    assert f["ahead"] == {"rs": ["member:0", "lgb"], "re": ["ensemble"]}
    assert f["clear"] is True  # member:0 and ensemble both separate them by far more than 2 s.e.
    # without member:0, rs leads re only on lgb, within the noise
    only = robustness({k: v for k, v in FINALS.items() if k != "member:0"})["flips"]
    assert len(only) == 1 and only[0]["clear"] is False


def test_identical_orders_of_six_are_exactly_one():
    a = {o: {"mean": m, "se": 0.1} for o, m in zip("abcdef", (6.0, 5.0, 4.0, 3.0, 2.0, 1.0))}
    b = {o: {"mean": m, "se": 0.1} for o, m in zip("abcdef", (66.5, 66.4, 66.1, 66.0, 65.7, 65.6))}
    assert kendall_tau(a, b) == 1.0


def test_no_flip_when_orders_agree():
    same = {"a": {"x": [2.0, 2.1], "y": [1.0, 1.1]}, "b": {"x": [5.0, 5.0], "y": [4.0, 4.2]}}
    r = robustness(same)
    assert r["flips"] == [] and r["min_tau"] == 1.0
    assert "none" in format_report(r)


def test_ties_and_missing_values():
    stats = {"x": {"mean": 1.0, "se": 0.0}, "y": {"mean": 1.0, "se": 0.0}, "z": {"mean": None, "se": None}}
    assert ranking(stats) == ["x", "y", "z"]
    assert kendall_tau(stats, stats) is None  # constant values: tau undefined
    flips = order_flips({"v": stats, "w": {**stats, "x": {"mean": 0.5, "se": 0.0}}})
    assert flips == []  # a tie on one variant is no flip


def test_mismatched_comparisons_refused():
    with pytest.raises(ConfigError, match="same comparison"):
        robustness({"a": {"x": [1.0], "y": [2.0]}, "b": {"x": [1.0]}})
    with pytest.raises(ConfigError, match="two optimizers"):
        robustness({"a": {"x": [1.0]}})
    with pytest.raises(ConfigError):
        robustness({})


def test_format_report_lists_every_cell_and_flip():
    text = format_report(robustness(FINALS), "best_accuracy")
    assert "67.100 ± 0.058 (1)" in text and "68.100 ± 0.058 (1)" in text
    assert "flip rs vs re" in text and "beyond 2 s.e." in text
    assert "min +0.33" in text


def _cli(args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "naslib_anb.cli.main", *args], capture_output=True, text=True)


def test_compare_variants_writes_robustness_beside_the_comparison(tmp_path):
    import json

    out = tmp_path / "cmp"
    p = _cli(["compare", "--optimizers", "rs", "re", "--seeds", "0-1", "--budget", "30", "--variants",
              "member:1,anb", "--jobs", "1", "--out", str(out), "--no-progress", "--no-plots"])
    assert p.returncode == 0, p.stderr
    assert "Kendall tau" in p.stdout
    rob = json.loads((out / "robustness.json").read_text())
    assert rob["variants"] == ["ensemble", "member:1"]  # --benchmark's variant first, duplicates dropped
    assert rob["variant_dirs"] == {"ensemble": ".", "member:1": "variants/member-1"}
    summary = json.loads((out / "summary.json").read_text())
    member = json.loads((out / "variants" / "member-1" / "summary.json").read_text())
    assert summary["variant"] == "ensemble" and member["variant"] == "member:1"
    assert member["config"]["benchmark"] == "member:1" and member["seeds"] == summary["seeds"] == [0, 1]
    st = rob["metrics"]["best_accuracy"]["stats"]
    for v, s in (("ensemble", summary), ("member:1", member)):
        for o in ("rs", "re"):
            assert st[v][o]["per_seed"] == s["final"][o]["best_accuracy"]["per_seed"]
    # same seeds, another surrogate: the runs differ
    assert st["ensemble"]["re"]["per_seed"] != st["member:1"]["re"]["per_seed"]
    assert (out / "robustness.txt").read_text().startswith("rs, re x 2 seeds, budget 30, on 2 variants")
    assert not (out / "robustness.png").exists()  # --no-plots


def test_robustness_plot_one_panel_per_report(tmp_path):
    from matplotlib.image import imread

    from naslib_anb.search.plotting import plot_robustness

    rep = robustness({"ensemble": {"rs": [1.0, 2.0], "re": [3.0, 4.0]},
                      "member:0": {"rs": [3.5, 4.0], "re": [1.0, 2.0]}})
    one = plot_robustness({"budget 10": rep}, tmp_path / "one.png", ylabel="acc")
    three = plot_robustness({f"budget {b}": rep for b in (10, 20, 30)}, tmp_path / "three.png", ylabel="acc")
    h1, w1 = imread(one).shape[:2]
    h3, w3 = imread(three).shape[:2]
    assert w3 > 2 * w1 * 0.8 and abs(h3 - h1) < 0.2 * h1  # panels side by side
    assert not list(tmp_path.glob("*.tmp*"))  # written atomically


@pytest.mark.parametrize("args, needle", [
    (["--variants", "member:77"], "member:K"),
    (["--variants", ""], "all"),
    (["--variants", "all", "--benchmark", "toy"], "toy"),
])
def test_compare_bad_variants_one_line_exit_2(tmp_path, args, needle):
    p = _cli(["compare", "--budget", "5", "--seeds", "0", "--out", str(tmp_path / "o"), "--no-progress", *args])
    assert p.returncode == 2
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0]
    assert not (tmp_path / "o").exists()
