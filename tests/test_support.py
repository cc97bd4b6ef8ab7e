"""The distance to the measured architectures (package data, no dataset needed at query time)."""
from __future__ import annotations

import numpy as np
import pytest

from naslib_anb.benchmark import FunctionBenchmark
from naslib_anb.errors import InvalidArchitectureError
from naslib_anb.space import arch_from_indices, arch_to_indices, mutate, neighbours, sample
from naslib_anb.space.support import codes_of, measured_codes, nearest_measured


def _brute_force(codes: np.ndarray) -> np.ndarray:
    ref = measured_codes().astype(np.int64)
    return np.array([(ref != c).sum(axis=1).min() for c in codes])


def test_shipped_codes_are_the_datasets_distinct_architectures(dataset):
    expected = np.unique(codes_of(dataset.archs), axis=0)
    assert measured_codes().shape == (5125, 28)
    np.testing.assert_array_equal(measured_codes(), expected)
    assert (nearest_measured(dataset.archs) == 0).all()


def test_distance_matches_brute_force_on_uniform_samples():
    archs = sample(3, 300)
    np.testing.assert_array_equal(nearest_measured(archs), _brute_force(codes_of(archs)))


def test_distance_of_neighbours_of_a_measured_arch_is_at_most_one():
    base = arch_from_indices(measured_codes()[17])
    assert nearest_measured([base])[0] == 0
    d = nearest_measured(neighbours(base))
    assert set(d.tolist()) <= {0, 1} and (d == 1).any()
    walked = base
    for step in range(1, 6):  # a random walk moves at most one decision per step
        walked = mutate(walked, np.random.default_rng(step))
        assert nearest_measured([walked])[0] <= step


def test_return_index_points_at_a_nearest_row():
    archs = sample(5, 50)
    dist, idx = nearest_measured(archs, return_index=True)
    codes = codes_of(archs)
    ref = measured_codes().astype(np.int64)
    assert ((ref[idx] != codes).sum(axis=1) == dist).all()


def test_codes_and_archs_give_the_same_answer_and_bad_codes_are_refused():
    archs = sample(8, 20)
    codes = np.array([arch_to_indices(a) for a in archs])
    np.testing.assert_array_equal(nearest_measured(codes), nearest_measured(archs))
    bad = codes.copy()
    bad[0, 2] = 3  # block0_l has 3 choices: 0..2
    with pytest.raises(InvalidArchitectureError, match="valid: 0..2"):
        nearest_measured(bad)
    with pytest.raises(InvalidArchitectureError, match="shape"):
        nearest_measured(codes[:, :27])


def test_benchmark_exposes_nearest_measured():
    bench = FunctionBenchmark({"val_top1": lambda a: np.zeros(len(a))})
    measured = arch_from_indices(measured_codes()[0])
    assert bench.nearest_measured(measured) == 0
    assert bench.nearest_measured(str(measured)) == 0
    out = bench.nearest_measured([measured, "e6k5l3s1-e6k5l3s1-e6k5l3s1-e6k5l3s1-e6k5l3s1-e6k5l4s1-e6k5l3s1"])
    assert out.dtype == np.int64 and out[0] == 0 and out[1] > 0
