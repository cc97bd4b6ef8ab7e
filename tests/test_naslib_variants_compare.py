"""The NASLib comparison across benchmark variants, on hand-made errors.json files (no NASLib needed)."""
from __future__ import annotations

import json

import pytest

from naslib_anb.errors import DataError
from naslib_anb.naslib.cli import variants_main
from naslib_anb.naslib.compare import variant_finals, variant_root


def _write(root, variant, opt, seed, curve, recorded=None):
    d = variant_root(root, variant) / "anb_mnas" / "imagenet" / opt / str(seed)
    d.mkdir(parents=True, exist_ok=True)
    cfg = {"optimizer": opt, "seed": seed}
    if recorded is not None:
        cfg["benchmark_variant"] = recorded
    (d / "errors.json").write_text(json.dumps([cfg, {"valid_acc": curve, "test_acc": curve}]))


@pytest.fixture
def root(tmp_path):
    # re beats rs on the ensemble; on member:0 rs catches up by query 3 and passes it at 4
    for s in range(3):
        _write(tmp_path, "ensemble", "rs", s, [60, 61, 62, 63 + s * 0.01], "ensemble")
        _write(tmp_path, "ensemble", "re", s, [60, 62, 64, 65 + s * 0.01], "ensemble")
        _write(tmp_path, "member:0", "rs", s, [60, 61, 64, 66 + s * 0.01], "member:0")
        _write(tmp_path, "member:0", "re", s, [60, 62, 63, 64 + s * 0.01], "member:0")
    return tmp_path


def test_finals_at_each_budget(root):
    f2 = variant_finals(root, ["ensemble", "member:0"], 2)
    assert f2 == {"ensemble": {"re": [62.0] * 3, "rs": [61.0] * 3}, "member:0": {"re": [62.0] * 3, "rs": [61.0] * 3}}
    f4 = variant_finals(root, ["ensemble", "member:0"], 4, optimizers=["rs", "re"])
    assert f4["member:0"]["rs"] == [66.0, 66.01, 66.02] and list(f4["ensemble"]) == ["rs", "re"]
    with pytest.raises(DataError, match="fewer than the budget"):
        variant_finals(root, ["ensemble"], 5)


def test_mismatched_seeds_and_variants_refused(root):
    _write(root, "member:0", "rs", 7, [1, 2, 3, 4], "member:0")
    with pytest.raises(DataError, match="same seeds"):
        variant_finals(root, ["ensemble", "member:0"], 4)
    _write(root, "member:1", "rs", 0, [1, 2, 3, 4], "member:0")  # copied in the wrong folder
    with pytest.raises(DataError, match="run on variant 'member:0'"):
        variant_finals(root, ["member:1"], 4)


def test_variants_main_reports_the_flip(root, capsys):
    assert variants_main([str(root), "--variants", "ensemble,member:0", "--budgets", "2,4"]) == 0
    text = capsys.readouterr().out
    assert "budget 4" in text and "flip re vs rs" in text
    rep = json.loads((root / "robustness.json").read_text())
    assert rep["budgets"] == [2, 4]
    assert rep["by_budget"]["4"]["rankings"] == {"ensemble": ["re", "rs"], "member:0": ["rs", "re"]}
    assert rep["by_budget"]["4"]["flips"][0]["clear"] is True
    assert rep["by_budget"]["2"]["flips"] == []
    assert (root / "robustness.txt").read_text().startswith("budget 2")
    assert (root / "robustness.png").stat().st_size > 10_000  # one panel per budget
    assert variants_main([str(root), "--variants", "ensemble,member:0", "--budgets", "4", "--optimizers", "rs",
                          "--out", str(root / "only_rs")]) == 2  # one optimizer: no ranking
    assert variants_main([str(root), "--variants", "member:0,ensemble", "--budgets", "3",
                          "--out", str(root / "b3"), "--no-plot"]) == 0
    assert (root / "b3.txt").exists() and not (root / "b3.png").exists()
    assert json.loads((root / "b3.json").read_text())["variants"] == ["member:0", "ensemble"]
    assert json.loads((root / "robustness.json").read_text())["budgets"] == [2, 4]  # untouched


@pytest.mark.parametrize("args, needle", [
    (["--variants", "bogus"], "member:K"),
    (["--variants", "all", "--budgets", "0"], "positive"),
    (["--variants", "all", "--budgets", "100,x"], "bad budget spec 'x'"),
    (["--variants", "ensemble", "--seeds", "x", "--configs", "rs.yaml"], "bad seed"),
    # refused before any run (NASLib is not even needed to say so)
    (["--variants", "ensemble", "--configs", "rs.yaml", "--optimizers", "rs"], "at least two optimizers"),
    (["--variants", "ensemble", "--runs-only"], "no --configs"),
    (["--variants", "ensemble", "--runs-only", "--configs", "rs.yaml", "--budgets", "100"],
     "--budgets would be ignored"),
    (["--variants", "ensemble", "--runs-only", "--configs", "rs.yaml", "--metric", "test_acc"],
     "--metric would be ignored"),
    (["--variants", "ensemble", "--runs-only", "--configs", "rs.yaml", "--no-plot"], "--no-plot would be ignored"),
])
def test_variants_main_bad_input_one_line(root, capsys, args, needle):
    assert variants_main([str(root), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]


def test_runner_dispatch():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "naslib_compare_runner", Path(__file__).resolve().parents[1] / "runners" / "naslib_compare.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod._wants_variants(["r", "--variants", "all"]) and mod._wants_variants(["--variants=all"])
    assert not mod._wants_variants(["r", "--metric", "valid_acc"])


def test_a_killed_runs_truncated_errors_json_is_not_finished(root):
    from naslib_anb.naslib.compare import _finished

    path = variant_root(root, "ensemble") / "anb_mnas" / "imagenet" / "rs" / "0" / "errors.json"
    assert _finished(path, 4) and not _finished(path, 5)
    path.write_text(path.read_text()[:30])  # NASLib writes errors.json in place; a kill can cut it
    assert not _finished(path, 4)
    assert not _finished(path.with_name("absent.json"), 1)
