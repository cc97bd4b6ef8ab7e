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


def _apply(folded: np.ndarray, corr: dict, stages: tuple[int, int]) -> np.ndarray:
    a, b = stages
    out = folded + corr.get((a,), np.zeros(N_COMBOS[a]))[:, None] + corr.get((b,), np.zeros(N_COMBOS[b]))[None, :]
    if (a, b) in corr:
        out = out + corr[(a, b)].reshape(N_COMBOS[a], N_COMBOS[b])
    return out


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
    assert set(corr) <= {(1,), (4,), (1, 4)}
    assert _violations(_apply(folded, corr, (1, 4)), (1, 4)) == 0
    # the interaction only gives up what it must: most of the folded table is left as it was
    assert np.mean(np.abs(_apply(folded, corr, (1, 4)) - folded) < 1e-12) < 1.0
    dec = monotone_correction({g: -t for g, t in noisy.items()}, "decreasing")
    for g in corr:
        np.testing.assert_allclose(dec[g], -corr[g])
    with pytest.raises(UnknownChoiceError, match="monotone"):
        monotone_correction(noisy, "upwards")


def test_monotone_correction_of_a_stage_pair_model_with_several_partners():
    """Three stages, three pair tables: each stage's interactions share its main-effect rise."""
    rng = np.random.default_rng(3)

    def size(s):
        return np.asarray([st.e * (1 + st.se) + st.k + 3 * st.l for st in STAGE_COMBOS[s]], dtype=float)

    groups = [(0, 2), (0, 5), (2, 5)]
    noisy = {g: (np.add.outer(size(g[0]), size(g[1])) + rng.normal(0, 2.0, (N_COMBOS[g[0]], N_COMBOS[g[1]]))).reshape(-1)
             for g in groups}
    corr = monotone_correction(noisy, "increasing")
    codes = np.zeros((2000, 7), dtype=np.int64)
    for s in (0, 2, 5):
        codes[:, s] = rng.integers(N_COMBOS[s], size=2000)
    big, _ = bigger_neighbours(codes, seed=4)
    keep = np.all(big[:, [1, 3, 4, 6]] == 0, axis=1)  # steps in the three modelled stages

    def model(c, tables):
        return sum(np.asarray(t)[np.ravel_multi_index(tuple(c[:, s] for s in g), [N_COMBOS[s] for s in g])]
                   for g, t in tables.items())

    before = model(big[keep], noisy) - model(codes[keep], noisy)
    assert np.mean(before < 0) > 0.01
    total = {g: noisy.get(g, 0) + corr.get(g, 0) for g in set(noisy) | set(corr)}
    after = model(big[keep], total) - model(codes[keep], total)
    assert np.all(after >= -1e-9)


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


def test_saturating_power_transform_round_trip_and_ceiling():
    t = get_transform("satinv4@4600pow0.8")
    y = np.asarray([300.0, 1500.0, 4400.0, 4599.0])
    np.testing.assert_allclose(t.inverse(t.forward(y)), y, rtol=1e-10)
    assert np.all(np.diff(t.forward(y)) < 0)  # faster is less time, in the power space too
    assert np.all(t.inverse(np.asarray([-5.0, 0.0, 1e-9])) <= 4600.0)
    # z = 1 is 1 ms per image plus the floor t0 = 1000 / 4600 ms, added in the p = 4 norm
    assert t.inverse(np.asarray([1.0]))[0] == pytest.approx(1000.0 / (1.0 + (1000 / 4600) ** 4) ** (1 / 4), rel=1e-9)
    # and z doubles when the time (well above the floor) grows by 2^(1/q)
    z = t.forward(np.asarray([1000 / 0.8, 1000 / (0.8 * 2 ** (1 / 0.8))]))
    assert z[1] / z[0] == pytest.approx(2.0, rel=0.01)
    np.testing.assert_allclose(get_transform("satinv3@4600pow1").forward(y), get_transform("satinv3@4600").forward(y))
    for bad in ("satinv3@4600pow0", "satinv3@4600pow", "satinv3@4600pow-1"):
        with pytest.raises(UnknownChoiceError, match="satinv<p>@<ceiling>pow<q>"):
            get_transform(bad)


#: device models allowed not to be monotone (none: TPUv3 takes envelopes since its star model);
#: an entry becomes a strict xfail
_NOT_MONOTONE: dict[str, str] = {}


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
    if target not in _NOT_MONOTONE:  # the corrected models are monotone exactly
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


@pytest.mark.parametrize("target", list(TARGETS))
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


#: targets whose std ranks uniform samples by something other than the distance to the data:
#: throughput errors grow with the throughput (at least as errors in ms per image do: with its
#: square in img/s), which varies far more across samples than any distance term can
#: (bench_honesty's ceiling, c -> infinity, stays below 0.2); a strict xfail flags the day one
#: of them meets the bar
_FLAT_IN_DISTANCE = {t: "Spearman(std, nearest_measured) below 0.3: the std in img/s follows the throughput "
                        "squared" for t in TARGETS if TARGETS[t].metric == "throughput"}


@pytest.fixture(scope="module")
def uniform_std(bench):
    archs = sample(23, 1500)
    return bench.nearest_measured(archs), bench.query_all(archs, std=True)


@pytest.mark.parametrize("target", [
    pytest.param(t, marks=pytest.mark.xfail(reason=_FLAT_IN_DISTANCE[t], strict=True)) if t in _FLAT_IN_DISTANCE else t
    for t in TARGETS])
def test_std_grows_away_from_the_data(uniform_std, target):
    from scipy.stats import spearmanr

    dist, res = uniform_std
    assert spearmanr(res[target][1], dist)[0] >= 0.3


@pytest.mark.parametrize("target", [t for t in TARGETS if TARGETS[t].metric == "throughput"])
def test_throughput_std_grows_away_from_the_data_at_equal_predicted_throughput(uniform_std, target):
    """Among samples predicted about equally fast (tenths by prediction), the std does grow with the
    distance; across values it follows the throughput, whose errors grow faster than the distance
    term (squared in img/s, and more on the fastest networks: the power floor)."""
    from scipy.stats import spearmanr

    dist, res = uniform_std
    mean, sd = res[target]
    groups = np.array_split(np.argsort(mean, kind="stable"), 10)
    assert np.mean([spearmanr(sd[g], dist[g])[0] for g in groups]) >= 0.3


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


def test_duplicate_noise_takes_the_shape_its_pairs_support():
    """FPGA throughput has no std fields: the duplicate pairs decide between relative noise and
    noise fixed in time per image, by likelihood; other targets keep relative noise."""
    from naslib_anb.surrogates._calibration import _duplicate_noise

    rng = np.random.default_rng(3)
    thr = rng.uniform(500, 4500, 400)
    per_image = thr ** 2 / 1000 * 0.004  # 0.004 ms per image, whatever the throughput
    pairs = np.stack([thr + rng.normal(0, per_image), thr + rng.normal(0, per_image)], axis=1)
    ale = _duplicate_noise(pairs, per_image=True)
    assert ale.kind == "time_per_image" and ale.value == pytest.approx(0.004, rel=0.15), ale
    assert "time_per_image kept" in ale.source
    rel = np.stack([thr * (1 + rng.normal(0, 0.01, 400)), thr * (1 + rng.normal(0, 0.01, 400))], axis=1)
    assert _duplicate_noise(rel, per_image=True).kind == "relative"
    assert _duplicate_noise(pairs, per_image=False).kind == "relative"  # latency: no per-image shape
    # the std it draws and reports, and a manifest entry of an unknown kind names the valid ones
    np.testing.assert_allclose(ale.std(np.asarray([1000.0, 4000.0])), ale.value * np.asarray([1000.0, 16000.0]))
    assert Aleatoric.from_json({"kind": "time_per_image", "value": 0.004}).kind == "time_per_image"
    with pytest.raises(ModelFileError, match="time_per_image"):
        Aleatoric.from_json({"kind": "per_image", "value": 0.004})


def test_shipped_fpga_throughput_noise_is_per_image_time(bench):
    archs = sample(25, 2000)
    thr = bench.query(archs, "throughput_vck190")
    ale = bench.manifest["targets"]["throughput_vck190"]["aleatoric"]
    assert ale["kind"] == "time_per_image"
    ms = 1000 / bench.query(archs, "throughput_vck190", noise_seed=5) - 1000 / thr
    assert np.std(ms) == pytest.approx(ale["value"], rel=0.1)  # the drawn noise is that many ms per image


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
    with pytest.raises(ModelFileError, match="finite"):
        StdCalibration.from_json({**cal.to_json(), "absolute_floor": -1.0})
    # a manifest calibrated before the absolute floor existed loads with none
    old = {k: v for k, v in cal.to_json().items() if k != "absolute_floor"}
    assert StdCalibration.from_json(old).absolute_floor == 0.0


def test_calibration_finds_an_absolute_floor_where_errors_do_not_scale_with_the_value():
    """Latency-like errors: the same few ms whatever the latency, so a relative floor misfits small values."""
    rng = np.random.default_rng(1)
    n = 3000
    mean = rng.uniform(2, 40, n)
    member = rng.uniform(0.001, 0.01, n)
    d = rng.integers(3, 10, n).astype(float)
    err = rng.normal(0, 0.05 * (1 + 0.2 * d))
    cal = fit_calibration(err, mean, member, d, Aleatoric("relative", 0.0))
    assert cal.absolute_floor > 3 * cal.relative_floor * np.median(mean)  # true: 0.05 and 0
    small = mean < 6
    c68, c95 = coverage(err[small], cal.total(mean, member, d)[small])
    assert 0.6 <= c68 <= 0.76 and 0.9 <= c95 <= 0.98, (c68, c95)  # the small values are covered too
    assert cal.distance_slope > 0.1


def test_transform_slope_matches_the_analytic_derivatives():
    from naslib_anb.surrogates._transforms import transform_slope

    y = np.asarray([50.0, 500.0, 5000.0])
    np.testing.assert_allclose(transform_slope("inv", y), y ** 2 / 1000.0, rtol=1e-6)
    np.testing.assert_allclose(transform_slope("log", y), y, rtol=1e-6)
    np.testing.assert_allclose(transform_slope("none", y), 1.0, rtol=1e-6)
    np.testing.assert_allclose(transform_slope("logerr", np.asarray([60.0, 75.0])), [40.0, 25.0], rtol=1e-6)
    # the saturating transform is flatter than inv near its ceiling: time per image has a floor there
    assert transform_slope("satinv4@33300", np.asarray([30000.0]))[0] < 30000.0 ** 2 / 1000.0


def test_calibration_finds_a_floor_in_the_fitted_space():
    """Throughput-like errors from a constant error in ms per image: they grow with throughput squared."""
    rng = np.random.default_rng(2)
    n = 3000
    mean = rng.uniform(1000, 30000, n)
    member = 0.002 * mean
    d = rng.integers(3, 10, n).astype(float)
    err = rng.normal(0, 0.004 * mean ** 2 / 1000.0)  # 0.004 ms per image
    cal = fit_calibration(err, mean, member, d, Aleatoric("relative", 0.0), transform="inv")
    assert cal.transform == "inv" and cal.transformed_floor == pytest.approx(0.004, rel=0.25)
    fast = mean > 20000
    c68, c95 = coverage(err[fast], cal.total(mean, member, d)[fast])
    assert 0.6 <= c68 <= 0.76 and 0.9 <= c95 <= 0.98, (c68, c95)
    again = StdCalibration.from_json(cal.to_json())
    np.testing.assert_allclose(again.total(mean, member, d), cal.total(mean, member, d))
    with pytest.raises(ModelFileError, match="transform"):
        StdCalibration.from_json({**cal.to_json(), "transform": "cube"})


def _accuracy_errors(rng, n: int, distances: tuple[int, int], sigma) -> dict:
    """Accuracy-like out-of-sample errors, ``N(0, sigma(d))``, at means 40-70 and member stds 0.02-0.1."""
    mean = rng.uniform(40, 70, n)
    member = rng.uniform(0.02, 0.1, n)
    d = rng.integers(*distances, n).astype(float)
    return {"err": rng.normal(0, sigma(d)), "mean": mean, "member_std": member, "distance": d}


def _args(errors: dict) -> tuple:
    return errors["err"], errors["mean"], errors["member_std"], errors["distance"]


def test_buffered_errors_shape_the_std_and_validation_errors_set_its_scale():
    """Errors flat up to 9 decisions and growing beyond: only held-out records further out reveal the growth."""
    from naslib_anb.surrogates._fit import calibrate

    rng = np.random.default_rng(3)

    def sigma(d):
        return 0.3 * (1 + 0.3 * np.maximum(d - 9, 0))

    near, far = _accuracy_errors(rng, 1500, (4, 10), sigma), _accuracy_errors(rng, 1500, (10, 13), sigma)
    ale = Aleatoric("absolute", 0.1)
    alone = calibrate(near, None, ale, "none", distance_rule="mle")
    pooled = calibrate(near, far, ale, "none", distance_rule="mle")
    assert alone.distance_slope < 0.03 < pooled.distance_slope  # the validation errors alone are flat
    assert pooled.validation["n"] == 1500  # coverage (and k) on the validation errors only

    def far_95(cal):
        return coverage(far["err"], cal.total(far["mean"], far["member_std"], far["distance"]))[1]

    assert far_95(alone) < 0.85 < far_95(pooled)  # what the buffered errors buy: cover far from the data
    c68, c95 = coverage(near["err"], pooled.total(near["mean"], near["member_std"], near["distance"]))
    assert 0.6 <= c68 <= 0.76 and 0.9 <= c95 <= 0.98
    with pytest.raises(ValueError, match="scale_on"):
        fit_calibration(*_args(near), ale, scale_on=np.zeros(1500, bool))


def _flat_errors(seed: int, n: int = 2000) -> tuple:
    return _args(_accuracy_errors(np.random.default_rng(seed), n, (4, 10), lambda d: np.full(len(d), 0.3)))


def test_cautious_distance_slope_is_the_largest_the_errors_cannot_reject():
    """Errors flat in distance: the most likely slope is about 0, the cautious one the upper end of
    its 95 % profile-likelihood interval (total log-likelihood 1.92 below the maximum)."""
    from naslib_anb.surrogates._calibration import PROFILE_DROP

    err, mean, member, d = _flat_errors(5)
    ale = Aleatoric("absolute", 0.1)
    mle = fit_calibration(err, mean, member, d, ale, distance_rule="mle")
    cautious = fit_calibration(err, mean, member, d, ale)
    assert cautious.validation["distance_rule"] == "cautious" and mle.validation["distance_rule"] == "mle"
    assert cautious.validation["distance_slope_mle"] == pytest.approx(mle.distance_slope)
    assert cautious.distance_slope > mle.distance_slope + 0.005
    drop = len(err) * (cautious.validation["nll"] - mle.validation["nll"])
    assert 0.8 * PROFILE_DROP <= drop <= PROFILE_DROP * 1.001, drop
    # the cautious std still covers the errors it was fitted on
    c68, c95 = coverage(err, cautious.total(mean, member, d))
    assert 0.6 <= c68 <= 0.76 and 0.9 <= c95 <= 0.98, (c68, c95)
    # more errors pin the slope down: the interval, and so the cautious slope, shrinks
    big = _flat_errors(6, n=20000)
    assert fit_calibration(*big, ale).distance_slope < cautious.distance_slope


def test_cautious_distance_slope_keeps_a_slope_the_errors_show():
    shown = _accuracy_errors(np.random.default_rng(7), 3000, (2, 12), lambda d: 0.2 * (1 + 0.3 * d))
    err, mean, member, d = _args(shown)
    ale = Aleatoric("absolute", 0.0)
    mle = fit_calibration(err, mean, member, d, ale, distance_rule="mle")
    cautious = fit_calibration(err, mean, member, d, ale)
    assert 0.15 < mle.distance_slope < 0.6
    # a slope the errors pin down leaves little room above it: the cautious one stays near it
    assert mle.distance_slope < cautious.distance_slope < 1.5 * mle.distance_slope
    with pytest.raises(ConfigError, match="cautious"):
        fit_calibration(err, mean, member, d, ale, distance_rule="steep")


def test_fit_config_refuses_an_unknown_distance_rule():
    from naslib_anb.surrogates._fit import FitConfig

    assert FitConfig().distance_rule == "cautious"
    with pytest.raises(ConfigError, match="'mle'"):
        FitConfig(distance_rule="upper")


def test_shipped_calibrations_keep_the_cautious_distance_slope(bench):
    assert bench.manifest["config"]["distance_rule"] == "cautious"
    for t in TARGETS:
        cal = bench.calibration(t)
        assert cal.validation["distance_rule"] == "cautious"
        assert cal.distance_slope >= cal.validation["distance_slope_mle"] - 1e-12, t


def test_buffered_splits_hold_out_behind_the_buffer_with_a_size_matched_control(dataset):
    from naslib_anb.space.support import codes_of, nearest_in, reference_tables
    from naslib_anb.surrogates._fit import BUFFER_HELD_OUT, BUFFER_RADII, buffered_splits

    trainval = list(dataset.default_split().train) + list(dataset.default_split().val)
    splits = buffered_splits(trainval, reps=2, seed=0)
    assert [n for n, _, _ in splits] == [f"{arm}_{i}" for arm in [*(f"buffer{r}" for r in BUFFER_RADII), "control"]
                                         for i in range(2)]
    codes = codes_of([r.arch for r in trainval])
    by_name = {n: (tr, va) for n, tr, va in splits}
    for i in range(2):
        held = by_name[f"control_{i}"][1]
        assert len(held) == BUFFER_HELD_OUT
        for r in BUFFER_RADII:
            tr, va = by_name[f"buffer{r}_{i}"]
            np.testing.assert_array_equal(va, held)
            assert nearest_in(codes[va], reference_tables(codes[tr])).min() >= r
        control = by_name[f"control_{i}"][0]
        assert len(control) == len(by_name[f"buffer{BUFFER_RADII[-1]}_{i}"][0]) and not set(control) & set(held)
    again = buffered_splits(trainval, reps=2, seed=0)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(splits, again))  # seeded
    with pytest.raises(ConfigError, match="buffer"):
        buffered_splits(trainval[:300], reps=1)  # a 10-decision buffer leaves too little of 300 records


@pytest.mark.parametrize("kwargs, match", [({"calibration_buffer_reps": -1}, "0..100"),
                                           ({"calibration_buffer_reps": True}, "0..100"),
                                           ({"calibration_buffer_reps": 2, "calibration_folds": 0}, "calibration_folds")])
def test_fit_config_rejects_bad_buffered_calibration(kwargs, match):
    from naslib_anb.surrogates._fit import FitConfig

    with pytest.raises(ConfigError, match=match):
        FitConfig(**kwargs)


def test_shipped_std_was_shaped_on_buffered_errors_and_covers_them(bench):
    """The shipped calibration saw errors 10-12 decisions from their training data (median 10),
    and its std covers most of them too, not only the near validation errors its scale is set on."""
    assert bench.manifest["config"]["calibration_buffer_reps"] == 10
    for t in TARGETS:
        buffered = bench.manifest["targets"][t]["calibration"]["buffered"]
        assert buffered["n"] >= 1100 and buffered["median_distance"] >= 10, (t, buffered)
        assert buffered["coverage_68"] >= 0.58 and buffered["coverage_95"] >= 0.85, (t, buffered)
