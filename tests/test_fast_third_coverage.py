"""The std on fast networks: the fastest third of the test split is covered as well as the rest.

The full figures come from ``python benchmarks/bench_honesty.py`` (fast68 / fast95 columns).
"""
from __future__ import annotations

import numpy as np
import pytest

from naslib_anb.errors import ConfigError, ModelFileError
from naslib_anb.surrogates._calibration import (
    BAND68,
    BAND95,
    FAST_AIM68,
    FAST_AIM95,
    FAST_MIN68,
    FAST_MIN95,
    Aleatoric,
    StdCalibration,
    coverage,
    fastest,
    fit_calibration,
)
from naslib_anb.targets import TARGETS

THROUGHPUT = [t for t, spec in TARGETS.items() if spec.metric == "throughput"]


@pytest.fixture(scope="module")
def bench():
    from naslib_anb.benchmark import load_benchmark

    return load_benchmark()


def _test_errors(bench, dataset, target: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from naslib_anb.surrogates._data import usable

    recs, _ = usable(list(dataset.default_split().test), target)
    y = np.asarray([r.value(target) for r in recs])
    mean, sd = bench.query([r.arch for r in recs], target, std=True)
    return y, mean, sd


@pytest.mark.parametrize("target", THROUGHPUT)
def test_shipped_std_covers_the_fastest_third_of_the_test_split(bench, dataset, target):
    """Fastest third by measured throughput: 1-std >= 60 %, 2-std >= 90 %; all records stay in their bands."""
    y, mean, sd = _test_errors(bench, dataset, target)
    fast = fastest(y)
    assert 150 <= fast.sum() <= len(y) / 3 + 2  # about a third of ~512 test records
    f68, f95 = coverage((y - mean)[fast], sd[fast])
    assert f68 >= FAST_MIN68 and f95 >= FAST_MIN95, (f68, f95)
    c68, c95 = coverage(y - mean, sd)
    assert BAND68[0] <= c68 <= BAND68[1] and BAND95[0] <= c95 <= BAND95[1], (c68, c95)


@pytest.mark.parametrize("target", THROUGHPUT)
def test_shipped_throughput_calibrations_answer_for_the_fastest_third(bench, target):
    """Calibrated on validation errors: k held their fastest third at the nominal levels, all in their bands."""
    cal = bench.calibration(target)
    val = cal.validation
    assert val["std_shape"] == "power" and val["fast_end"] == "high" and val["fast_n"] >= 400
    assert val["fast_coverage_68"] >= FAST_AIM68 and val["fast_coverage_95"] >= FAST_AIM95, val
    assert BAND68[0] <= val["coverage_68"] <= BAND68[1] and BAND95[0] <= val["coverage_95"] <= BAND95[1], val


def _fast_heavy_errors(seed: int, n: int = 3000) -> tuple:
    """Throughput-like errors whose std grows with the cube of the value (not its square)."""
    rng = np.random.default_rng(seed)
    mean = rng.uniform(1000, 4000, n)
    member = 0.002 * mean
    d = rng.integers(3, 10, n).astype(float)
    err = rng.normal(0, 0.01 * 2500 * (mean / 2500) ** 3)
    return err, mean, member, d


def test_power_floor_takes_the_power_the_errors_show_and_covers_the_fast_end():
    err, mean, member, d = _fast_heavy_errors(1)
    ale = Aleatoric("relative", 0.0)
    floors = fit_calibration(err, mean, member, d, ale, transform="inv", std_shape="floors")
    power = fit_calibration(err, mean, member, d, ale, transform="inv", std_shape="power")
    assert power.power == pytest.approx(3.0, abs=0.4) and power.power_floor > 0
    assert power.validation["nll"] < floors.validation["nll"] - 0.01
    fast = fastest(mean + err)
    f68, f95 = coverage(err[fast], power.total(mean, member, d)[fast])
    assert f68 >= 0.62 and f95 >= 0.92, (f68, f95)
    again = StdCalibration.from_json(power.to_json())
    np.testing.assert_allclose(again.total(mean, member, d), power.total(mean, member, d))
    assert floors.power_floor == 0 and StdCalibration.from_json(floors.to_json()).power_floor == 0
    with pytest.raises(ModelFileError, match="power"):
        StdCalibration.from_json({**power.to_json(), "power": 20.0})
    with pytest.raises(ConfigError, match="'power'"):
        fit_calibration(err, mean, member, d, ale, std_shape="cubic")


def test_fastest_scale_rule_lifts_the_fast_third_where_the_shape_is_off():
    """A std of a shape that grows too little (floors only, errors growing with the cube): 'all'
    leaves the fastest third under-covered; the fastest rule raises k until that third reaches
    the nominal levels, as far as the bands of all errors allow."""
    err, mean, member, d = _fast_heavy_errors(2)
    ale = Aleatoric("relative", 0.0)
    plain = fit_calibration(err, mean, member, d, ale, transform="inv", std_shape="floors")
    lifted = fit_calibration(err, mean, member, d, ale, transform="inv", std_shape="floors", fast_end="high")
    fast = fastest(mean + err)
    assert coverage(err[fast], plain.total(mean, member, d)[fast])[1] < FAST_AIM95
    assert lifted.scale > plain.scale
    val = lifted.validation
    assert val["fast_end"] == "high" and val["fast_n"] == fast.sum()
    f68, f95 = coverage(err[fast], lifted.total(mean, member, d)[fast])
    assert val["fast_coverage_95"] == pytest.approx(f95)
    assert f95 > coverage(err[fast], plain.total(mean, member, d)[fast])[1]
    assert BAND68[0] <= val["coverage_68"] <= BAND68[1] and BAND95[0] <= val["coverage_95"] <= BAND95[1]
    assert "fast_end" not in plain.validation
    with pytest.raises(ConfigError, match="'low'"):
        fit_calibration(err, mean, member, d, ale, fast_end="fast")


def test_fastest_is_the_high_end_of_throughput_and_the_low_end_of_latency():
    v = np.arange(1.0, 10.0)
    assert fastest(v).tolist() == [False] * 6 + [True] * 3
    assert fastest(v, higher_is_faster=False).tolist() == [True] * 3 + [False] * 6


def test_fit_config_takes_the_shape_and_scale_rules():
    from naslib_anb.surrogates._fit import FitConfig, fast_end_of

    cfg = FitConfig()
    assert cfg.std_shape == "power" and cfg.std_scale == "fastest"
    with pytest.raises(ConfigError, match="'floors'"):
        FitConfig(std_shape="cubic")
    with pytest.raises(ConfigError, match="'fastest'"):
        FitConfig(std_scale="slowest")
    assert [fast_end_of(t) for t in ("throughput_a100", "latency_vck190", "val_top1")] == ["high", "low", None]


def test_choose_noise_adds_the_held_out_evidence_to_the_pairs():
    from dataclasses import replace

    from naslib_anb.surrogates._calibration import choose_noise

    base = StdCalibration(1.0, 0.0, 0.0, 1.0, Aleatoric("relative", 0.0))
    rel = Aleatoric("relative", 0.01, "10 duplicate pairs (log-likelihood relative -31.00, time_per_image -30.00)")
    tpi = Aleatoric("time_per_image", 0.01, rel.source)
    fits = [(rel, -31.0, replace(base, aleatoric=rel, validation={"nll_mle": 1.90}), 100),
            (tpi, -30.0, replace(base, aleatoric=tpi, validation={"nll_mle": 2.00}), 100)]
    ale, cal = choose_noise(fits)  # the pairs favour time per image by 1, the held-out errors relative by 10
    assert ale.kind == "relative" and cal.aleatoric == ale
    assert ale.source.endswith("with the held-out errors relative -221.00, time_per_image -230.00; relative kept)")
    assert choose_noise(fits[1:]) == (tpi, fits[1][2])  # one shape: nothing to choose


def test_noise_candidates_are_both_shapes_only_for_a_throughput_without_std_fields(dataset):
    from naslib_anb.surrogates._calibration import noise_candidates

    records = list(dataset)  # the repeated architectures are outside the split
    fpga = noise_candidates(records, "throughput_zcu102")
    assert sorted(a.kind for a, _ in fpga) == ["relative", "time_per_image"]
    assert all(ll < 0 for _, ll in fpga)
    for t in ("throughput_a100", "latency_zcu102", "val_top1"):
        (only, ll), = noise_candidates(records, t)
        assert ll == 0.0
