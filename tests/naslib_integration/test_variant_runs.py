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
