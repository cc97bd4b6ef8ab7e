"""Monotone by envelopes: exact on small lower sets, monotone everywhere, unchanged where monotone."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from naslib_anb.errors import ConfigError, UnknownChoiceError
from naslib_anb.space import sample
from naslib_anb.surrogates import SurrogateEnsemble, make_estimator
from naslib_anb.surrogates._encoding import N_COMBOS, STAGE_COMBOS, features_from_codes, stage_codes
from naslib_anb.surrogates._envelope import EnvelopeModel, at_most, monotone_variants, star_blocks
from naslib_anb.surrogates._monotone import bigger_neighbours, faster_share

STAR = [(0, s) for s in range(1, 7)]


def _size(s: int) -> np.ndarray:
    return np.asarray([st.e * (1 + st.se) + st.k + 3 * st.l for st in STAGE_COMBOS[s]], dtype=float)


def _star_tables(noise: float, seed: int = 0) -> dict:
    """A star-structured model: stage 0 times each later stage, monotone up to ``noise``."""
    rng = np.random.default_rng(seed)
    tables = {(0,): _size(0)}
    for g in STAR:
        t = np.add.outer(0.3 * _size(0), _size(g[1])) + 0.05 * np.outer(_size(0), _size(g[1]))
        tables[g] = (t + rng.normal(0, noise, t.shape)).reshape(-1)
    return tables


def _model(tables: dict, codes: np.ndarray) -> np.ndarray:
    return sum(np.asarray(t)[np.ravel_multi_index(tuple(codes[:, s] for s in g), [N_COMBOS[s] for s in g])]
               for g, t in tables.items())


def _f32(tables: dict) -> dict:
    return {g: np.asarray(t, np.float32).astype(np.float64) for g, t in tables.items()}


def test_partial_order_is_the_closure_of_one_step_changes():
    le = at_most(4)
    st = STAGE_COMBOS[4]
    for a, b in itertools.product(range(N_COMBOS[4]), repeat=2):
        expect = st[a].e <= st[b].e and st[a].k <= st[b].k and st[a].l <= st[b].l and st[a].se <= st[b].se
        assert le[a, b] == expect


def test_envelopes_are_the_exact_max_below_and_min_above():
    """Brute force over every architecture below (above) a query whose lower (upper) set is small."""
    tables = _star_tables(noise=3.0)
    t32 = _f32(tables)
    model = EnvelopeModel.from_members([(tables, 1.5)], "increasing")
    rng = np.random.default_rng(1)
    small_below = [np.flatnonzero(at_most(s).sum(0) <= 3) for s in range(7)]  # codes with <= 3 codes below
    small_above = [np.flatnonzero(at_most(s).sum(1) <= 3) for s in range(7)]
    moved = 0
    for _ in range(5):
        low = np.asarray([rng.choice(c) for c in small_below])
        high = np.asarray([rng.choice(c) for c in small_above])
        below = np.asarray(list(itertools.product(*[np.flatnonzero(at_most(s)[:, low[s]]) for s in range(7)])))
        above = np.asarray(list(itertools.product(*[np.flatnonzero(at_most(s)[high[s], :]) for s in range(7)])))
        upper, _ = model.bounds(low[None])
        _, lower = model.bounds(high[None])
        np.testing.assert_allclose(upper[0, 0], 1.5 + _model(t32, below).max(), rtol=1e-6)
        np.testing.assert_allclose(lower[0, 0], 1.5 + _model(t32, above).min(), rtol=1e-6)
        moved += int(upper[0, 0] > 1.5 + _model(t32, low[None])[0] + 1e-9)
    assert moved > 0  # the noise broke some steps below these queries: the envelope did work


def test_envelope_is_monotone_and_leaves_a_monotone_model_unchanged():
    noisy = _star_tables(noise=3.0)
    clean = _star_tables(noise=0.0)
    codes = stage_codes(sample(0, 3000))
    big, kinds = bigger_neighbours(codes, seed=2)
    assert np.all(kinds >= 0)
    before = _model(noisy, big) - _model(noisy, codes)
    assert np.mean(before < 0) > 0.02  # the noisy model breaks steps
    env = EnvelopeModel.from_members([(noisy, 0.0), (clean, 0.0)], "increasing")
    out0, out1 = env.evaluate(codes), env.evaluate(big)
    assert np.all(out1 >= out0 - 1e-9)
    np.testing.assert_allclose(out0[:, 1], _model(_f32(clean), codes), rtol=1e-6)  # monotone: unchanged
    dec = EnvelopeModel.from_members([({g: -t for g, t in noisy.items()}, 0.0)], "decreasing")
    np.testing.assert_allclose(dec.evaluate(codes)[:, 0], -out0[:, 0], rtol=1e-6)
    again = EnvelopeModel.from_arrays(env.to_arrays())
    np.testing.assert_array_equal(again.evaluate(codes), out0)


def test_envelope_refuses_interactions_outside_stage_0():
    with pytest.raises(ConfigError, match=r"stages \(2, 5\)"):
        star_blocks({(2, 5): np.zeros(N_COMBOS[2] * N_COMBOS[5])})


def _toy_time(n: int, seed: int = 0):
    """Time per image grows with stage MACs, with a stage-0 interaction and noise."""
    archs = sample(seed, n)
    F = features_from_codes(stage_codes(archs))
    rng = np.random.default_rng(seed)
    ms = 0.05 + F[:, 4::6].sum(1) / 5000 * (1 + F[:, 0] / 4) + rng.normal(0, 0.004, n)
    return archs, 1000.0 / np.clip(ms, 0.02, None)


def _as_fitted(member, codes):
    """A member's prediction before the envelopes, in native units."""
    from naslib_anb.surrogates._transforms import get_transform

    return get_transform(member.transform).inverse(member._predict_z(codes))


@pytest.mark.parametrize("family", ["xgb", "gp"])
def test_envelope_members_are_monotone_compile_and_survive_save(family, tmp_path):
    archs, y = _toy_time(300)
    kw = {"n_estimators": 150} if family == "xgb" else {"n_opt": 60, "max_iter": 15}
    members = [make_estimator(family, seed=s, transform="inv", interaction="star0", monotone="increasing",
                              monotone_method="envelope", **kw).fit(archs, y) for s in range(2)]
    ens = SurrogateEnsemble("throughput_tpuv3", members)
    assert isinstance(ens.tables, EnvelopeModel)
    q = sample(5, 400)
    codes = stage_codes(q)
    np.testing.assert_allclose(ens.member_predictions_codes(codes), ens.native_member_predictions(q), rtol=1e-9)
    big, _ = bigger_neighbours(codes, seed=1)
    assert np.all(ens.predict_codes(big)[0] <= ens.predict_codes(codes)[0])
    # the envelope moved the fitted model only a little (it is close to monotone already)
    raw = np.stack([_as_fitted(m, codes) for m in members], axis=1)
    assert np.median(np.abs(ens.member_predictions_codes(codes) / raw - 1)) < 0.01
    loaded = type(members[0]).load(members[0].save(tmp_path / "m"), members[0].get_params())
    np.testing.assert_allclose(loaded.predict_codes(codes), members[0].predict_codes(codes), rtol=1e-9)


def test_envelope_needs_a_star_model_and_a_known_method():
    archs, y = _toy_time(100)
    with pytest.raises(ConfigError, match="star0"):
        make_estimator("xgb", n_estimators=30, interaction="pair", transform="inv", monotone="increasing",
                       monotone_method="envelope").fit(archs, y)
    with pytest.raises(UnknownChoiceError, match="envelope"):
        make_estimator("xgb", n_estimators=30, interaction="star0", transform="inv", monotone="increasing",
                       monotone_method="hull").fit(archs, y)


def test_stacked_envelopes_agree_in_direction():
    inc = EnvelopeModel.from_members([(_star_tables(noise=1.0), 0.0)], "increasing")
    dec = EnvelopeModel.from_members([(_star_tables(noise=1.0), 0.0)], "decreasing")
    codes = stage_codes(sample(3, 50))
    both = EnvelopeModel.stack([inc, inc])
    np.testing.assert_array_equal(both.evaluate(codes), np.hstack([inc.evaluate(codes)] * 2))
    with pytest.raises(ConfigError, match="direction"):
        EnvelopeModel.stack([inc, dec])


def test_monotone_variants_of_a_fitted_member():
    archs, y = _toy_time(200)
    codes = stage_codes(sample(6, 300))
    big, _ = bigger_neighbours(codes, seed=6)
    star = make_estimator("xgb", seed=0, n_estimators=120, transform="inv", interaction="star0").fit(archs, y)
    pair = make_estimator("xgb", seed=0, n_estimators=120, transform="inv", interaction="pair").fit(archs, y)
    v = monotone_variants(star)
    assert set(v) == {"as fitted", "main effects only", "table correction", "envelope"}
    np.testing.assert_array_equal(v["as fitted"](codes), star._predict_z(codes))
    for name in ("table correction", "envelope"):  # in time per image: bigger is never less
        assert faster_share(v[name](codes), v[name](big), higher_is_faster=False, rtol=1e-6) == 0.0
    assert "envelope" not in monotone_variants(pair)  # interactions beyond stage 0


def test_faster_share_follows_the_metric_and_the_tolerance():
    before = np.array([100.0, 100.0, 100.0, 100.0])
    after = np.array([101.0, 100.00005, 99.0, 100.0])
    assert faster_share(before, after, higher_is_faster=True) == 0.5
    assert faster_share(before, after, higher_is_faster=True, rtol=1e-6) == 0.25
    assert faster_share(before, after, higher_is_faster=False) == 0.25
