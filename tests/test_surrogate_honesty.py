"""Off the data: monotone device models, sane extrapolation, calibrated std, aleatoric noise.

The full-size figures (100,000 samples and pairs) come from benchmarks/bench_honesty.py;
these tests check the same properties on small seeded samples.
"""
from __future__ import annotations

import numpy as np
import pytest

from naslib_anb.benchmark import load_benchmark
from naslib_anb.errors import ConfigError, ModelFileError, UnknownChoiceError
from naslib_anb.space import sample
from naslib_anb.surrogates import SurrogateEnsemble, make_estimator
from naslib_anb.surrogates._calibration import Aleatoric, StdCalibration, coverage, fit_calibration
from naslib_anb.surrogates._encoding import N_COMBOS, STAGE_COMBOS, features_from_codes, stage_codes
from naslib_anb.surrogates._monotone import bigger_code, bigger_neighbours, fold_tables, monotone_correction
from naslib_anb.surrogates._transforms import get_transform
from naslib_anb.targets import TARGETS

DEVICE_TARGETS = [t for t, spec in TARGETS.items() if spec.metric in ("throughput", "latency")]


@pytest.fixture(scope="module")
def bench():
    return load_benchmark()


def _violations(table: np.ndarray, stages: tuple[int, ...]) -> int:
    """Cells of a folded table that a one-step-bigger change in any axis makes smaller."""
    bad = 0
    for ax, s in enumerate(stages):
        for c in range(N_COMBOS[s]):
            for f in ("e", "k", "l", "se"):
                b = bigger_code(s, c, f)
                if b is not None:
                    bad += int(np.sum(np.take(table, b, axis=ax) < np.take(table, c, axis=ax) - 1e-12))
    return bad


def test_monotone_correction_fixes_violations_and_keeps_monotone_tables():
    rng = np.random.default_rng(0)

    def size(s):
        return np.asarray([st.e + st.k + st.l + 2 * st.se for st in STAGE_COMBOS[s]], dtype=float)

    mono = {(1,): size(1), (1, 4): np.add.outer(size(1), size(4)).reshape(-1)}
    assert monotone_correction(mono, "increasing") == {}  # already monotone: nothing changes
    noisy = {g: t + rng.normal(0, 1.5, t.shape) for g, t in mono.items()}
    folded = fold_tables(noisy)[(1, 4)]
    assert _violations(folded, (1, 4)) > 0
    corr = monotone_correction(noisy, "increasing")
    assert set(corr) <= {(1,), (4,)}  # only main effects change
    fixed = folded + corr.get((1,), 0)[:, None] + corr.get((4,), np.zeros(N_COMBOS[4]))[None, :]
    assert _violations(fixed, (1, 4)) == 0
    dec = monotone_correction({g: -t for g, t in noisy.items()}, "decreasing")
    for g in corr:
        np.testing.assert_allclose(dec[g], -corr[g])
    with pytest.raises(UnknownChoiceError, match="monotone"):
        monotone_correction(noisy, "upwards")


def _toy_time(n: int, seed: int = 0):
    """A 'throughput' whose time per image grows with stage MACs, plus non-monotone noise."""
    archs = sample(seed, n)
    F = features_from_codes(stage_codes(archs))
    rng = np.random.default_rng(seed)
    ms = 0.05 + F[:, 4::6].sum(1) / 5000 + rng.normal(0, 0.004, n)
    return archs, 1000.0 / np.clip(ms, 0.02, None)


@pytest.mark.parametrize("family", ["xgb", "gp"])
def test_monotone_member_is_exact_monotone_and_survives_save(family, tmp_path):
    archs, y = _toy_time(300)
    kw = {"n_estimators": 150} if family == "xgb" else {"n_opt": 60, "max_iter": 15}
    members = [make_estimator(family, seed=s, transform="inv", monotone="increasing", **kw).fit(archs, y)
               for s in range(2)]
    assert any(m.monotone_correction_ for m in members)
    ens = SurrogateEnsemble("throughput_a100", members)
    q = sample(5, 300)
    codes = stage_codes(q)
    np.testing.assert_allclose(ens.member_predictions_codes(codes), ens.native_member_predictions(q), rtol=5e-5)
    big, kinds = bigger_neighbours(codes, seed=1)
    assert np.all(kinds >= 0)
    m0, _ = ens.predict_codes(codes)
    m1, _ = ens.predict_codes(big)
    assert np.all(m1 <= m0)  # throughput of the bigger neighbour is never higher
    loaded = type(members[0]).load(members[0].save(tmp_path / "m"), members[0].get_params())
    np.testing.assert_allclose(loaded.predict_codes(codes), members[0].predict_codes(codes), rtol=1e-6)
    assert loaded.monotone_correction_.keys() == members[0].monotone_correction_.keys()


def test_monotone_needs_a_compilable_model():
    archs, y = _toy_time(100)
    with pytest.raises(ConfigError, match="compiles to stage tables"):
        make_estimator("xgb", n_estimators=20, interaction="none", max_depth=8, transform="inv",
                       monotone="increasing").fit(archs, y)


def test_saturating_transform_round_trip_and_ceiling():
    t = get_transform("satinv4@33300")
    y = np.asarray([500.0, 5000.0, 30000.0, 33000.0])
    np.testing.assert_allclose(t.inverse(t.forward(y)), y, rtol=1e-10)
    assert np.all(t.inverse(np.asarray([-5.0, 0.0, 1e-9])) <= 33300.0)
    assert t.inverse(np.asarray([1.0]))[0] == pytest.approx(1000.0, rel=1e-6)  # compute-bound: 1000/z
    with pytest.raises(UnknownChoiceError, match="satinv"):
        get_transform("satinv@x")


#: device targets with stage-pair interactions stay unconstrained (a monotone correction costs accuracy
#: on validation, docs/surrogates.md); a strict xfail flags the day one of them becomes monotone
_NOT_MONOTONE = {"throughput_3090": "about 90 % of bigger neighbours not faster",
                 "throughput_tpuv2": "about 96 %", "throughput_tpuv3": "about 90 %", "throughput_vck190": "about 94 %"}


@pytest.mark.parametrize("target", [
    pytest.param(t, marks=pytest.mark.xfail(reason=_NOT_MONOTONE[t], strict=True)) if t in _NOT_MONOTONE else t
    for t in DEVICE_TARGETS])
def test_shipped_device_models_are_monotone_on_seeded_neighbour_pairs(bench, target):
    codes = stage_codes(sample(21, 400))
    big, _ = bigger_neighbours(codes, seed=21)
    ens = bench.models.ensembles[target]
    m0, _ = ens.predict_codes(codes)
    m1, _ = ens.predict_codes(big)
    faster = (m1 > m0) if TARGETS[target].metric == "throughput" else (m1 < m0)
    assert faster.mean() <= 0.01, faster.mean()
    if target not in _NOT_MONOTONE:  # the corrected stage-additive models are monotone exactly
        assert not faster.any()


def test_shipped_models_extrapolate_within_caps(bench, dataset):
    codes = stage_codes(sample(22, 3000))
    for t in bench.targets:
        y = dataset.values(t)
        y = y[np.isfinite(y)]
        if t == "train_time":
            y = y[y <= 5000]
        pred, _ = bench.models.ensembles[t].predict_codes(codes)
        assert pred.min() >= 0.5 * y.min() and pred.max() <= 1.5 * y.max(), t
        if t in ("throughput_a100", "throughput_3090"):
            assert pred.max() <= 1.15 * y.max(), (t, pred.max() / y.max())


_COVERAGE_MISSES = {
    "throughput_tpuv3": "95 % interval covers about 87 % of test: the test split is harder than validation",
    "latency_zcu102": "95 % interval covers about 87 % of test (91 % on validation)",
    "train_time": "95 % interval covers about 89 % of test (89 % on validation)",
}


@pytest.mark.parametrize("target", [
    pytest.param(t, marks=pytest.mark.xfail(reason=_COVERAGE_MISSES[t], strict=True)) if t in _COVERAGE_MISSES else t
    for t in TARGETS])
def test_calibrated_std_covers_the_test_split(bench, dataset, target):
    """68 % / 95 % Gaussian intervals cover 60-76 % / 90-98 % of the test split (calibrated on validation)."""
    from naslib_anb.surrogates._data import usable

    assert bench.calibration(target) is not None
    recs, _ = usable(list(dataset.default_split().test), target)
    y = np.asarray([r.value(target) for r in recs])
    mean, sd = bench.query([r.arch for r in recs], target, std=True)
    c68, c95 = coverage(y - mean, sd)
    assert 0.60 <= c68 <= 0.76 and 0.90 <= c95 <= 0.98, (c68, c95)


def test_member_std_alone_undercovers_and_calibration_widens_it(bench, dataset):
    """The reason for the calibration: the raw member spread covers far too little of the test errors."""
    from naslib_anb.surrogates._data import usable

    recs, _ = usable(list(dataset.default_split().test), "val_top1")
    y = np.asarray([r.value("val_top1") for r in recs])
    mean, member = bench.models.ensembles["val_top1"].predict([r.arch for r in recs], return_std=True)
    assert coverage(y - mean, member)[0] < 0.3
    assert np.all(bench.query([r.arch for r in recs], "val_top1", std=True)[1] > member)


#: the calibration found almost no growth of the validation errors with the distance to the
#: training architectures (uniform samples sit 5-9 decisions away, as validation records do)
@pytest.mark.xfail(reason="Spearman(std, nearest_measured) is 0.2 or less for every target", strict=True)
def test_std_grows_away_from_the_data(bench):
    from scipy.stats import spearmanr

    archs = sample(23, 1500)
    dist = bench.nearest_measured(archs)
    res = bench.query_all(archs, std=True)
    assert all(spearmanr(sd, dist)[0] >= 0.3 for _, sd in res.values())


def test_noise_seed_draws_the_aleatoric_part_deterministically(bench):
    archs = sample(24, 2000)
    mean = bench.query(archs, "val_top1")
    n1 = bench.query(archs, "val_top1", noise_seed=5)
    np.testing.assert_array_equal(n1, bench.query(archs, "val_top1", noise_seed=5))
    assert not np.array_equal(n1, bench.query(archs, "val_top1", noise_seed=6))
    ale = bench.manifest["targets"]["val_top1"]["aleatoric"]
    assert ale["kind"] == "absolute" and 0.15 <= ale["value"] <= 0.35  # training-seed noise, pts
    assert np.std(n1 - mean) == pytest.approx(ale["value"], rel=0.1)
    # devices: relative measurement noise from the measured std fields
    thr = bench.query(archs, "throughput_tpuv3")
    rel = (bench.query(archs, "throughput_tpuv3", noise_seed=5) - thr) / thr
    tpu = bench.manifest["targets"]["throughput_tpuv3"]["aleatoric"]
    assert tpu["kind"] == "relative" and np.std(rel) == pytest.approx(tpu["value"], rel=0.1)


def test_calibration_fit_and_manifest_round_trip():
    rng = np.random.default_rng(0)
    n = 3000
    mean = rng.uniform(40, 70, n)
    member = rng.uniform(0.02, 0.1, n)
    d = rng.integers(1, 8, n).astype(float)
    true = np.hypot(0.2, 3 * member) * (1 + 0.1 * d)
    err = rng.normal(0, true)
    cal = fit_calibration(err, mean, member, d, Aleatoric("absolute", 0.1))
    c68, c95 = coverage(err, cal.total(mean, member, d))
    assert 0.64 <= c68 <= 0.72 and 0.93 <= c95 <= 0.97
    assert cal.distance_slope > 0.03
    again = StdCalibration.from_json(cal.to_json())
    np.testing.assert_allclose(again.total(mean, member, d), cal.total(mean, member, d))
    with pytest.raises(ModelFileError, match="aleatoric"):
        StdCalibration.from_json({**cal.to_json(), "aleatoric": {"kind": "gaussian", "value": 1}})
    with pytest.raises(ModelFileError, match="calibration"):
        StdCalibration.from_json({"aleatoric": {"kind": "absolute", "value": 1}})
