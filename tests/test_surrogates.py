"""Surrogate families, compilation, persistence and the shipped model set."""
from __future__ import annotations


import numpy as np
import pytest
from sklearn.base import clone

from naslib_anb.errors import ConfigError, ModelFileError, UnknownChoiceError
from naslib_anb.space import sample
from naslib_anb.surrogates import (
    PAPER_BAR,
    FitConfig,
    SurrogateEnsemble,
    default_model_dir,
    evaluate_model_set,
    fit_model_set,
    list_families,
    load_model_set,
    make_estimator,
    read_manifest,
    save_model_set,
)
from naslib_anb.surrogates._encoding import features_from_codes, stage_codes


def _toy(n: int, seed: int = 0):
    """Archs with a target that is additive over stage MACs plus a pairwise term."""
    archs = sample(seed, n)
    F = features_from_codes(stage_codes(archs))
    y = 50 + F[:, 4::6].sum(1) / 100 + 0.5 * F[:, 0] * F[:, 6]
    return archs, y


_SMALL = {"xgb": {"n_estimators": 20}, "lgb": {"n_estimators": 20}, "rf": {"n_estimators": 20},
          "gp": {"n_opt": 40, "max_iter": 20}}


@pytest.mark.parametrize("family", ["xgb", "lgb", "rf", "svr", "nu_svr", "gp"])
def test_family_contract_fit_predict_small_n(family):
    """fit returns self, works on 10 rows, predicts floats; a clone refits to the same predictions."""
    archs, y = _toy(10)
    est = make_estimator(family, seed=1, **_SMALL.get(family, {}))
    assert est.fit(archs, y) is est
    pred = est.predict(archs)
    assert pred.shape == (10,) and pred.dtype == np.float64 and np.all(np.isfinite(pred))
    c = clone(est)  # an unfitted copy with the same params: refitting reproduces the predictions
    assert not hasattr(c, "model_") or getattr(c, "model_", None) is None
    np.testing.assert_allclose(c.fit(archs, y).predict(archs), pred, rtol=1e-6)
    c.set_params(random_state=5)
    assert c.get_params()["random_state"] == 5


def test_xgb_seeded_and_accepts_every_spelling():
    archs, y = _toy(200)
    a = make_estimator("xgb", seed=3, n_estimators=50).fit(archs, y)
    b = make_estimator("xgb", seed=3, n_estimators=50).fit([str(x) for x in archs], y)
    q = archs[:5]
    np.testing.assert_array_equal(a.predict(q), b.predict([x.to_dict() for x in q]))


@pytest.mark.parametrize("family,interaction", [("xgb", "pair"), ("xgb", "stage"), ("lgb", "pair")])
def test_compiled_tables_equal_native_predictions(family, interaction):
    archs, y = _toy(400)
    members = [make_estimator(family, seed=s, n_estimators=150, interaction=interaction,
                              transform="inv").fit(archs, y) for s in range(3)]
    ens = SurrogateEnsemble("throughput_a100", members)
    assert ens.tables is not None
    q = sample(99, 300)
    native = ens.native_member_predictions(q)
    compiled = ens.member_predictions_codes(stage_codes(q))
    np.testing.assert_allclose(compiled, native, rtol=2e-6, atol=1e-6)


def test_unconstrained_deep_model_falls_back_to_native():
    archs, y = _toy(300)
    m = make_estimator("xgb", n_estimators=30, interaction="none", max_depth=8).fit(archs, y)
    ens = SurrogateEnsemble("val_top1", [m])
    assert ens.tables is None
    np.testing.assert_allclose(ens.predict(archs[:4]), m.predict(archs[:4]))


def test_bad_inputs_raise_typed_errors():
    archs, y = _toy(20)
    with pytest.raises(UnknownChoiceError):
        make_estimator("nope")
    with pytest.raises(UnknownChoiceError):
        make_estimator("xgb", not_a_param=1)
    with pytest.raises(ConfigError):
        make_estimator("xgb", n_estimators=5).fit(archs, y[:5])
    with pytest.raises(ConfigError):
        make_estimator("xgb", transform="inv", n_estimators=5).fit(archs, y - 1000)
    yn = y.copy()
    yn[0] = np.nan
    with pytest.raises(ConfigError):
        make_estimator("xgb", n_estimators=5).fit(archs, yn)


@pytest.mark.slow
def test_fit_save_load_roundtrip_and_tamper(dataset, tmp_path):
    sp = dataset.default_split()
    trainval = list(sp.train)[:600] + list(sp.val)[:100]
    # default families: GP (val_top1), XGBoost + GP (TPUv3), XGBoost (latency)
    cfg = FitConfig(targets=("val_top1", "throughput_tpuv3", "latency_zcu102"), members=2, n_folds=3,
                    overrides={"n_estimators": 60, "n_opt": 150, "max_iter": 40}, calibration_folds=1,
                    calibration_buffer_reps=1)
    models = fit_model_set(trainval, cfg, progress=False, n_train=600)
    models.manifest["metrics"] = evaluate_model_set(models, list(sp.test)[:100])
    out = save_model_set(models, tmp_path / "m")
    with pytest.raises(ConfigError):
        save_model_set(models, out)  # never overwrites without force
    loaded = load_model_set(out)
    q = sample(4, 50)
    for t in cfg.targets:
        np.testing.assert_allclose(loaded.ensembles[t].predict(q), models.ensembles[t].predict(q), rtol=1e-12)
    man = read_manifest(out)
    assert man["data"]["records_sha256"] and man["library_versions"]["xgboost"]
    fams = {t: [f["family"] for f in man["targets"][t]["files"]] for t in cfg.targets}
    assert fams == {"val_top1": ["gp", "gp"], "throughput_tpuv3": ["xgb", "xgb", "gp", "gp"],
                    "latency_zcu102": ["xgb", "xgb"]}
    assert set(man["targets"]["throughput_tpuv3"]["params"]) == {"xgb", "gp"}
    # the std calibration (upstream train -> val plus one fold) and label noise sit in the manifest
    for t in cfg.targets:
        cal = man["targets"][t]["calibration"]
        assert cal["splits"] == ["upstream", "fold0"] and cal["validation"]["n"] > 100
        # plus one held-out set of 40 behind each buffer and in the control, in the likelihood only
        assert cal["buffered"]["n"] == 3 * 40 and cal["buffered"]["median_distance"] >= 8
        assert man["targets"][t]["aleatoric"]["kind"] in ("absolute", "relative", "time_per_image")
    assert man["support"]["rows"] == len({r.arch for r in trainval})
    from naslib_anb.benchmark.surrogate import SurrogateBenchmark

    b = SurrogateBenchmark.from_dir(out)
    mean, sd = b.query(q, "latency_zcu102", std=True)
    member = loaded.ensembles["latency_zcu102"].predict(q, return_std=True)[1]
    np.testing.assert_allclose(sd, b.calibration("latency_zcu102").total(mean, member, b.training_distance(q)))
    assert np.all(b.training_distance([r.arch for r in trainval[:5]]) == 0) and np.all(b.training_distance(q) > 0)
    sup = out / man["support"]["file"]
    sup.write_bytes(sup.read_bytes()[:-2] + b"xx")
    with pytest.raises(ModelFileError, match="support"):
        load_model_set(out)
    sup.unlink()
    # GP members share the first member's hyperparameters and differ by their fold
    gp_members = loaded.ensembles["val_top1"].members
    np.testing.assert_array_equal(gp_members[0].theta_, gp_members[1].theta_)
    assert not np.array_equal(gp_members[0].alpha_, gp_members[1].alpha_)
    # tamper with one file -> refused, naming the file
    f = out / man["targets"]["val_top1"]["files"][1]["file"]
    f.write_bytes(f.read_bytes()[:-3] + b"abc")
    with pytest.raises(ModelFileError, match="member_1"):
        load_model_set(out)
    f.unlink()
    with pytest.raises(ModelFileError, match="missing"):
        load_model_set(out)


def test_shipped_models_manifest_and_size():
    d = default_model_dir()
    man = read_manifest(d)
    total = sum(p.stat().st_size for p in d.rglob("*") if p.is_file())
    assert total <= 25 * 1024 * 1024
    assert len(man["targets"]) == 11
    for t, e in man["targets"].items():
        assert not any(f["file"].endswith((".pkl", ".pickle")) for f in e["files"])
    assert set(man["metrics"]) == set(man["targets"])
    # train_time is also scored on the whole test split, its straggler included
    whole = man["metrics"]["train_time"]["whole_split"]["ensemble"]
    assert whole["n"] == 512 and man["metrics"]["train_time"]["ensemble"]["n"] == 511
    assert man["support"]["rows"] == man["data"]["n_records"]


#: targets whose shipped ensemble misses the paper's figures (none since TPUv3's star model);
#: an entry becomes a strict xfail, so a miss that gets fixed is flagged too
_KNOWN_MISSES: dict[str, str] = {}


@pytest.mark.parametrize("target", [
    pytest.param(t, marks=pytest.mark.xfail(reason=_KNOWN_MISSES[t], strict=True)) if t in _KNOWN_MISSES else t
    for t in PAPER_BAR
])
def test_shipped_models_meet_fidelity_bar(target):
    """Shipped ensemble reaches the paper's KT and R2 on the default test split (known misses xfail)."""
    kt, r2 = PAPER_BAR[target]
    e = read_manifest(default_model_dir())["metrics"][target]["ensemble"]
    assert e["kendall_tau"] >= kt and e["r2"] >= r2, e


def test_manifest_metrics_match_reevaluation(dataset):
    """The figures in the manifest are what evaluating the shipped files gives now."""
    d = default_model_dir()
    models = load_model_set(d)
    res = evaluate_model_set(models, list(dataset.default_split().test))
    man = read_manifest(d)["metrics"]
    for t in res:
        for kind in ("single", "ensemble"):
            for k in ("r2", "kendall_tau", "spearman", "mae"):
                assert res[t][kind][k] == pytest.approx(man[t][kind][k], abs=1e-6), (t, kind, k)


def test_families_listed():
    assert set(list_families()) >= {"xgb", "lgb", "rf", "svr", "nu_svr", "gp"}


def test_fit_config_rejects_override_no_family_has():
    with pytest.raises(UnknownChoiceError, match="n_estimatorz"):
        FitConfig(targets=("val_top1",), overrides={"n_estimatorz": 5})
    with pytest.raises(UnknownChoiceError, match="n_estimators"):  # val_top1's default family is the GP
        FitConfig(targets=("val_top1",), overrides={"n_estimators": 5})
    FitConfig(targets=("val_top1",), family="xgb", overrides={"n_estimators": 5})


def test_shipped_tables_equal_native_members():
    """The compiled tables the benchmark queries reproduce each shipped member's own prediction
    (XGBoost's booster, the GP's kernel posterior mean)."""
    models = load_model_set(default_model_dir())
    q = sample(11, 200)
    codes = stage_codes(q)
    for t, ens in models.ensembles.items():
        assert ens.tables is not None, t
        np.testing.assert_allclose(ens.member_predictions_codes(codes), ens.native_member_predictions(q),
                                   rtol=5e-5, err_msg=t)  # XGBoost sums leaves in float32
    families = {t: sorted({m.family for m in e.members}) for t, e in models.ensembles.items()}
    assert families["val_top1"] == ["gp"] and families["throughput_tpuv3"] == ["gp", "xgb"]
    assert families["throughput_a100"] == ["xgb"]
