"""NASLib's optimizers on benchmark variants: the variant is injected, recorded and resumable (real NASLib)."""
import pytest

from _helpers import CONFIGS, require_naslib

naslib = require_naslib()

from naslib_anb.naslib import run  # noqa: E402
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
