"""NASLib's optimizers on benchmark variants: the variant is injected, recorded and resumable (real NASLib)."""
import pytest

from _helpers import CONFIGS, require_naslib

naslib = require_naslib()

from naslib_anb.naslib import run  # noqa: E402
from naslib_anb.errors import ConfigError  # noqa: E402
from naslib_anb.naslib.cli import variants_main  # noqa: E402
from naslib_anb.naslib.compare import run_variant_searches, variant_finals, variant_root  # noqa: E402

pytestmark = pytest.mark.naslib


def test_rs_on_two_variants(tmp_path):
    variants = ["ensemble", "member:0"]
    n = run_variant_searches([CONFIGS / "rs.yaml"], [0], variants, tmp_path, ["search.epochs", "8"],
                             progress=False)
    assert n == 2
    for v in variants:
        errors = variant_root(tmp_path, v) / "anb_mnas" / "imagenet" / "rs" / "0" / "errors.json"
        config, stats = run.read_errors(errors)
        assert config["benchmark_variant"] == v and len(stats["valid_acc"]) == 8
    finals = variant_finals(tmp_path, variants, 8)
    # same seed, same random architectures; another surrogate scores them differently
    assert finals["ensemble"]["rs"] != finals["member:0"]["rs"]
    assert run_variant_searches([CONFIGS / "rs.yaml"], [0], variants, tmp_path, ["search.epochs", "8"],
                                progress=False) == 0  # finished runs are kept


@pytest.mark.parametrize("optimizer", ["rs", "re", "ls", "bananas", "npenas", "reinforce"])
def test_shorter_budget_is_a_prefix_of_a_longer_run(tmp_path, optimizer):
    """The robustness tables read budgets 100 and 300 off runs of 1,000 queries; that is only
    honest if no optimizer plans by its horizon (``search.epochs``). BANANAS/NPENAS refit their
    predictor at queries 10 and 20 here, so the prefix covers model-based steps too."""
    curves = {}
    for epochs in (14, 25):
        root = tmp_path / str(epochs)
        run_variant_searches([CONFIGS / f"{optimizer}.yaml"], [3], ["ensemble"], root,
                             ["search.epochs", str(epochs)], progress=False)
        errors = variant_root(root, "ensemble") / "anb_mnas" / "imagenet" / optimizer / "3" / "errors.json"
        curves[epochs] = run.read_errors(errors)[1]["valid_acc"]
    assert len(curves[14]) == 14 and len(curves[25]) == 25
    assert list(curves[25][:14]) == list(curves[14])
    # what the report reads at budget 14 off the longer run is what the shorter run ended at
    assert variant_finals(tmp_path / "25", ["ensemble"], 14)["ensemble"][optimizer] == [curves[14][-1]]


def test_budget_beyond_the_runs_is_refused_before_running(tmp_path):
    with pytest.raises(ConfigError, match="search.epochs 5 is below the largest budget 8"):
        run_variant_searches([CONFIGS / "rs.yaml", CONFIGS / "re.yaml"], [0, 1], ["ensemble"], tmp_path,
                             ["search.epochs", "5"], progress=False, min_epochs=8)
    assert not list(tmp_path.rglob("errors.json"))
    assert variants_main([str(tmp_path), "--variants", "ensemble", "--configs", str(CONFIGS / "rs.yaml"),
                          "--budgets", "8", "--no-progress", "search.epochs", "5"]) == 2
    assert not list(tmp_path.rglob("errors.json"))


def test_runs_only_runs_and_writes_no_report(tmp_path):
    assert variants_main([str(tmp_path), "--variants", "ensemble", "--configs", str(CONFIGS / "rs.yaml"),
                          "--seeds", "0", "--runs-only", "--no-progress", "search.epochs", "4"]) == 0
    assert len(list(tmp_path.rglob("errors.json"))) == 1
    assert not (tmp_path / "robustness.json").exists()
