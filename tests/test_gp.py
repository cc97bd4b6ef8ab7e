"""The additive-kernel GP family: likelihood gradient, exact tables, persistence, bad input."""
from __future__ import annotations

import io

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from sklearn.metrics import r2_score

from naslib_anb.errors import ConfigError, ModelFileError, UnknownChoiceError
from naslib_anb.space import sample
from naslib_anb.surrogates import AdditiveGPSurrogate, TableModel, make_estimator
from naslib_anb.surrogates._encoding import features_from_codes, stage_codes
from naslib_anb.surrogates._gp import _THETA0, N_THETA, neg_log_marginal_likelihood


def _toy(n: int, seed: int = 0):
    """A target that is additive over stage MACs plus one two-stage interaction."""
    archs = sample(seed, n)
    F = features_from_codes(stage_codes(archs))
    y = 50 + F[:, 4::6].sum(1) / 100 + 0.5 * F[:, 0] * F[:, 6]
    return archs, y


@pytest.mark.parametrize("interaction", ["pair", "star0", "stage"])
def test_likelihood_gradient_matches_finite_differences(interaction):
    archs, y = _toy(120)
    codes = stage_codes(archs)
    z = (y - y.mean()) / y.std()
    theta = _THETA0 + np.random.default_rng(0).normal(0, 0.3, N_THETA)
    _, grad = neg_log_marginal_likelihood(theta, codes, z, interaction)
    fd = approx_fprime(theta, lambda t: neg_log_marginal_likelihood(t, codes, z, interaction)[0], 1e-6)
    np.testing.assert_allclose(grad, fd, atol=1e-5 * np.abs(fd).max())


def test_star0_kernel_has_only_first_stage_pairs_and_its_tables_are_exact(tmp_path):
    archs, y = _toy(300)
    test, _ = _toy(100, seed=1)
    gp = make_estimator("gp", seed=0, n_opt=200, max_iter=60, interaction="star0").fit(archs, y)
    tables, _ = gp._raw_stage_tables()
    assert sorted(g for g in tables if len(g) == 2) == [(0, b) for b in range(1, 7)]
    pred = gp.predict(test)
    np.testing.assert_allclose(TableModel([gp.stage_tables()]).evaluate(stage_codes(test))[:, 0], pred, rtol=1e-6)
    loaded = AdditiveGPSurrogate.load(gp.save(tmp_path / "m"))
    assert loaded.interaction == "star0"
    np.testing.assert_array_equal(loaded.predict(test), pred)
    with pytest.raises(UnknownChoiceError, match="star1"):
        AdditiveGPSurrogate(interaction="star1", n_opt=20).fit(archs, y)


def test_gp_learns_a_pair_additive_function_and_tables_are_exact():
    archs, y = _toy(400)
    test, yt = _toy(200, seed=1)
    gp = make_estimator("gp", seed=0, n_opt=300, max_iter=100).fit(archs, y)
    pred = gp.predict(test)
    assert r2_score(yt, pred) > 0.95
    tables = TableModel([gp.stage_tables()])
    np.testing.assert_allclose(tables.evaluate(stage_codes(test))[:, 0], pred, rtol=1e-6)


def test_gp_is_seeded_and_fixed_theta_skips_the_optimiser():
    archs, y = _toy(150)
    a = AdditiveGPSurrogate(n_opt=60, max_iter=30, random_state=3).fit(archs, y)
    b = AdditiveGPSurrogate(n_opt=60, max_iter=30, random_state=3).fit(archs, y)
    c = AdditiveGPSurrogate(n_opt=60, max_iter=30, random_state=4).fit(archs, y)
    np.testing.assert_array_equal(a.theta_, b.theta_)
    assert not np.array_equal(a.theta_, c.theta_)  # another seed, another subsample
    fixed = AdditiveGPSurrogate(theta=tuple(a.theta_)).fit(archs, y)
    assert fixed.optimizer_message_ == "fixed theta"
    np.testing.assert_allclose(fixed.predict(archs), a.predict(archs), rtol=1e-9)
    assert a.shared_params() == {"theta": tuple(float(v) for v in a.theta_)}


@pytest.mark.parametrize("theta", [(0.0,) * 3, (float("nan"),) * N_THETA])
def test_bad_theta_is_refused(theta):
    archs, y = _toy(20)
    with pytest.raises(ConfigError, match="theta"):
        AdditiveGPSurrogate(theta=theta).fit(archs, y)


def test_bad_targets_are_refused():
    archs, y = _toy(20)
    with pytest.raises(ConfigError, match="logerr"):
        AdditiveGPSurrogate(transform="logerr", n_opt=20).fit(archs, y + 100)
    with pytest.raises(ConfigError, match="n_opt"):
        AdditiveGPSurrogate(n_opt=1).fit(archs, y)


def test_save_load_roundtrip_and_bad_files(tmp_path):
    archs, y = _toy(80)
    gp = AdditiveGPSurrogate(n_opt=80, max_iter=30, transform="log").fit(archs, y)
    path = gp.save(tmp_path / "member_0")
    assert path.suffix == ".npz"
    loaded = AdditiveGPSurrogate.load(path, {"transform": "log"})
    np.testing.assert_array_equal(loaded.predict(archs), gp.predict(archs))
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    for key, value, match in [("kernel_features", np.asarray(["e", "k"]), "kernel inputs"),
                              ("train_codes", arrays["train_codes"] + 60, "out of range"),
                              ("alpha", arrays["alpha"][:-1], "inconsistent")]:
        bio = io.BytesIO()
        np.savez(bio, **{**arrays, key: value})
        bad = tmp_path / f"bad_{key}.npz"
        bad.write_bytes(bio.getvalue())
        with pytest.raises(ModelFileError, match=match):
            AdditiveGPSurrogate.load(bad)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelFileError, match="not a valid gp model"):
        AdditiveGPSurrogate.load(tmp_path / "junk.npz")
