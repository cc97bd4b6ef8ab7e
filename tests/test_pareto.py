"""Pareto sets, crowding and hypervolume on the published bounds."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from naslib_anb.errors import UnknownTargetError
from naslib_anb.search.bounds import DEFAULT_REWARD_TARGET, OBJECTIVE_BOUNDS, objective_bounds
from naslib_anb.search.pareto import (
    IncrementalFront,
    crowding_distance,
    hypervolume,
    non_dominated_rank,
    normalize,
    pareto_mask,
)
from naslib_anb.targets import DEVICE_TARGETS


def brute_force_mask(F: np.ndarray, maximize) -> np.ndarray:
    G = F * np.where(np.asarray(maximize), 1.0, -1.0)  # maximise everything
    n = len(G)
    keep = np.ones(n, dtype=bool)
    for i, j in itertools.product(range(n), range(n)):
        if np.all(G[j] >= G[i]) and np.any(G[j] > G[i]):
            keep[i] = False
    return keep


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("maximize", [[True, True], [True, False], [True, True, False]])
def test_pareto_mask_matches_brute_force(seed, maximize):
    rng = np.random.default_rng(seed)
    F = rng.integers(0, 6, size=(25, len(maximize))).astype(float)  # ties and duplicates on purpose
    np.testing.assert_array_equal(pareto_mask(F, maximize), brute_force_mask(F, maximize))


def test_rank_orders_fronts():
    F = np.array([[3, 3], [2, 2], [1, 1], [3, 1], [1, 3]], dtype=float)
    np.testing.assert_array_equal(non_dominated_rank(F, True), [0, 1, 2, 1, 1])
    np.testing.assert_array_equal(non_dominated_rank(F, False), [2, 1, 0, 1, 1])


def test_crowding_distance_extremes_are_infinite():
    F = np.array([[0.0, 3.0], [1.0, 2.0], [2.0, 1.0], [3.0, 0.0]])
    cd = crowding_distance(F)
    assert np.isinf(cd[0]) and np.isinf(cd[3]) and np.all(np.isfinite(cd[1:3]))


def test_normalisation_directions_and_clipping():
    vals = {"val_top1": np.array([40.0, 55.0, 70.0, 80.0]),
            "latency_vck190": np.array([1.6, 7.3, 13.0, 0.5])}
    G = normalize(vals, ["val_top1", "latency_vck190"])
    np.testing.assert_allclose(G[:, 0], [1.0, 0.5, 0.0, 0.0])
    np.testing.assert_allclose(G[:, 1], [0.0, 0.5, 1.0, 0.0])


def test_hypervolume_known_values():
    t = ["val_top1", "throughput_vck190"]
    lo, hi = OBJECTIVE_BOUNDS["throughput_vck190"]
    mid = (lo + hi) / 2
    # one point at the middle of both ranges: a quarter of the unit square
    assert hypervolume({t[0]: np.array([55.0]), t[1]: np.array([mid])}, t) == pytest.approx(0.25)
    # ideal point: the whole square; worst point: nothing
    assert hypervolume({t[0]: np.array([70.0]), t[1]: np.array([hi])}, t) == pytest.approx(1.0)
    assert hypervolume({t[0]: np.array([40.0]), t[1]: np.array([lo])}, t) == pytest.approx(0.0)
    # two points (0.25, 0.75) and (0.75, 0.25) in normalised minimisation space:
    # 0.75*0.25 + 0.25*0.75 - 0.25*0.25 = 0.3125
    acc = np.array([70 - 0.25 * 30, 70 - 0.75 * 30])
    thr = np.array([hi - 0.75 * (hi - lo), hi - 0.25 * (hi - lo)])
    assert hypervolume({t[0]: acc, t[1]: thr}, t) == pytest.approx(0.3125)


def test_hypervolume_for_latency_rewards_lower_latency():
    t = ["val_top1", "latency_zcu102"]
    fast = hypervolume({t[0]: np.array([60.0]), t[1]: np.array([3.0])}, t)
    slow = hypervolume({t[0]: np.array([60.0]), t[1]: np.array([20.0])}, t)
    assert fast > slow > 0


def test_incremental_front_matches_batch_hypervolume():
    rng = np.random.default_rng(0)
    t = ["val_top1", "latency_vck190"]
    acc = rng.uniform(45, 68, 300)
    lat = rng.uniform(1.7, 12.0, 300)
    inc = IncrementalFront(t)
    for i in range(300):
        h = inc.add([acc[i], lat[i]])
        if i % 37 == 0 or i == 299:
            assert h == pytest.approx(hypervolume({t[0]: acc[:i + 1], t[1]: lat[:i + 1]}, t))
    assert len(inc.front) == pareto_mask(np.column_stack([acc, lat]), [True, False]).sum()


def test_published_bounds_cover_every_device_target_and_contain_the_default_T():
    for t in DEVICE_TARGETS:
        lo, hi = objective_bounds(t)
        assert lo < DEFAULT_REWARD_TARGET[t] < hi
    with pytest.raises(UnknownTargetError):
        objective_bounds("flops")


def test_published_bounds_contain_the_dataset(dataset):
    """Bounds are the dataset min/max rounded outward; re-check them against the data."""
    for t, (lo, hi) in OBJECTIVE_BOUNDS.items():
        v = np.asarray(dataset.values(t), dtype=float)
        v = v[np.isfinite(v)]
        assert lo <= v.min() and v.max() <= hi, t
        if t in DEFAULT_REWARD_TARGET:
            assert DEFAULT_REWARD_TARGET[t] == pytest.approx(np.median(v), rel=5e-3), t
