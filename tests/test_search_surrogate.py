"""Validity checks on the shipped surrogate benchmark."""
from __future__ import annotations

import numpy as np
import pytest

from naslib_anb.search import SearchConfig, run_search


@pytest.fixture(scope="module")
def anb():
    """The shipped surrogates: they ship inside the package, so failing to load them is a failure."""
    from naslib_anb.benchmark import load_benchmark

    return load_benchmark()


def test_bi_objective_reinforce_dominates_efficientnet_b0_on_vck190(anb):
    """Paper Fig. 4: REINFORCE with the MnasNet reward finds points dominating EfficientNet-B0."""
    from naslib_anb.space import EFFICIENTNET_B0

    b0 = anb.query_all([EFFICIENTNET_B0], ["val_top1", "throughput_vck190"])
    res = run_search(SearchConfig(optimizer="reinforce", seed=0, budget=1500, device="vck190"), anb)
    acc = np.asarray([r.values["val_top1"] for r in res.records])
    thr = np.asarray([r.values["throughput_vck190"] for r in res.records])
    dominating = (acc >= b0["val_top1"][0]) & (thr >= b0["throughput_vck190"][0]) & (
        (acc > b0["val_top1"][0]) | (thr > b0["throughput_vck190"][0]))
    assert dominating.sum() >= 1


def test_search_on_surrogates_is_deterministic(anb):
    cfg = SearchConfig(optimizer="re", seed=5, budget=100)
    a = [(r.arch, r.reward) for r in run_search(cfg, anb).records]
    b = [(r.arch, r.reward) for r in run_search(cfg, anb).records]
    assert a == b
