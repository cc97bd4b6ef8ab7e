"""The NASLib dataset-API engine needs no NASLib: labelled draws, the reward, the Pareto front."""
from __future__ import annotations

import numpy as np
import pytest

from naslib_anb.data import Dataset
from naslib_anb.errors import DataError
from naslib_anb.naslib.dataset_api import ANBQueryEngine
from naslib_anb.search.toy import toy_benchmark


def test_labelled_draws_are_without_replacement(dataset):
    small = Dataset(list(dataset)[:30])
    eng = ANBQueryEngine(toy_benchmark(), measured=small)
    rng = np.random.default_rng(0)
    drawn = [eng.sample_measured(rng) for _ in range(30)]
    assert len(set(drawn)) == 30  # NASLib's train and test draws can no longer overlap
    with pytest.raises(DataError, match="all 30 measured architectures"):
        eng.sample_measured(rng)
    again = ANBQueryEngine(toy_benchmark(), measured=small)
    assert [again.sample_measured(np.random.default_rng(0)) for _ in range(30)] == drawn  # seeded


def test_reward_is_the_search_reward_and_front_is_non_dominated():
    from naslib_anb.search.objectives import MnasNetReward
    from naslib_anb.space import sample

    eng = ANBQueryEngine(toy_benchmark(), objective={"reference": 7.0, "target": "latency_zcu102"})
    specs = [a.to_tuple() for a in sample(3, 40)]
    for s in specs:
        eng.value(s, "VAL_ACCURACY")
    s = specs[0]
    acc, lat = eng.cache[(s, "val_top1")], eng.cache[(s, "latency_zcu102")]
    expected = MnasNetReward(device="zcu102", metric="latency", T=7.0, w=0.07)(
        {"val_top1": np.array([acc]), "latency_zcu102": np.array([lat])})[0]
    assert eng.value(s, "VAL_ACCURACY") == pytest.approx(expected)
    assert expected == pytest.approx(acc * (7.0 / lat) ** 0.07)  # lower latency, higher reward
    front = eng.pareto()
    accs = [p["val_top1"] for p in front]
    lats = [p["latency_zcu102"] for p in front]
    assert accs == sorted(accs, reverse=True) and lats == sorted(lats, reverse=True)
    for p in front:  # nothing evaluated dominates a front member
        assert not any(eng.cache[(x, "val_top1")] >= p["val_top1"] and eng.cache[(x, "latency_zcu102")]
                       < p["latency_zcu102"] for x in specs)
