"""Benchmark variants: each ensemble member alone, a second family, typed errors, recorded with results."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from naslib_anb.benchmark import list_variants, load_benchmark
from naslib_anb.benchmark.variants import member_count, parse_variants, resolve_variant
from naslib_anb.errors import UnknownChoiceError
from naslib_anb.space import EFFICIENTNET_B0, sample
from naslib_anb.targets import TARGETS


@pytest.fixture(scope="module")
def bench():
    return load_benchmark()


@pytest.fixture(scope="module")
def archs():
    return sample(3, 40)


def test_list_variants_names_and_one_line_descriptions():
    v = list_variants()
    assert list(v)[0] == "ensemble"
    k = member_count()
    assert k >= 2 and [f"member:{i}" for i in range(k)] == [n for n in v if n.startswith("member:")]
    assert all(isinstance(d, str) and d and "\n" not in d for d in v.values())


def test_members_average_to_the_ensemble(bench, archs):
    members = [load_benchmark(variant=f"member:{k}") for k in range(member_count())]
    ens = bench.query_all(archs)
    per = [m.query_all(archs) for m in members]
    for t in TARGETS:
        if bench._ens[t].size != len(members):  # TPUv3: XGBoost + GP members, member K is the K-th
            cols = bench._ens[t].member_predictions_codes(
                __import__("naslib_anb.surrogates._encoding", fromlist=["x"]).stage_codes(archs))
            np.testing.assert_allclose(per[0][t], cols[:, 0])
            continue
        np.testing.assert_allclose(np.mean([p[t] for p in per], axis=0), ens[t], rtol=1e-9, atol=1e-9)
    # members really differ from each other and from the ensemble
    assert not np.allclose(per[0]["val_top1"], per[1]["val_top1"])
    assert not np.allclose(per[0]["val_top1"], ens["val_top1"])


def test_member_std_is_the_ensemble_calibrated_std(bench, archs):
    m = load_benchmark(variant="member:1")
    for t in ("val_top1", "throughput_a100"):
        _, sd_e = bench.query(archs, t, std=True)
        mean_m, sd_m = m.query(archs, t, std=True)
        np.testing.assert_array_equal(sd_m, sd_e)
        pairs = m.query_all(archs, targets=[t], std=True)[t]
        np.testing.assert_array_equal(pairs[0], mean_m)
        np.testing.assert_array_equal(pairs[1], sd_e)


def test_variants_are_cached_and_named(bench):
    m = load_benchmark(variant="member:0")
    assert load_benchmark(variant="member:0") is m
    assert load_benchmark(variant="anb") is bench and load_benchmark(variant="ensemble") is bench
    assert m.variant == "member:0" and "member:0" in m.name and bench.variant == "ensemble"
    assert m.models is bench.models  # members share the loaded tables


@pytest.mark.parametrize("bad", ["nope", "member:99", "member:-1", "member:01", "member:", "", 3])
def test_unknown_variant_is_one_line_listing_valid(bad):
    with pytest.raises(UnknownChoiceError) as ei:
        load_benchmark(variant=bad)
    msg = str(ei.value)
    assert "\n" not in msg and "ensemble" in msg and "member:K" in msg


def test_parse_variants():
    assert parse_variants("all") == list(list_variants())
    assert parse_variants("anb,member:1,member:1") == ["ensemble", "member:1"]
    with pytest.raises(UnknownChoiceError):
        parse_variants("member:1,bogus")
    assert resolve_variant("member:0") == "member:0"


def test_model_dir_has_only_ensemble_and_members(tmp_path):
    from naslib_anb.surrogates import default_model_dir

    d = default_model_dir()
    m = load_benchmark(model_dir=d, variant="member:2")
    assert m.member == 2
    with pytest.raises(UnknownChoiceError, match="member:K"):
        load_benchmark(model_dir=d, variant="lgb")
    with pytest.raises(UnknownChoiceError, match="member:7"):
        load_benchmark(model_dir=d, variant="member:7")


def test_search_config_accepts_variants_and_records_them(tmp_path):
    from naslib_anb.search.driver import run_search
    from naslib_anb.search.output import write_run
    from naslib_anb.search.records import SearchConfig

    cfg = SearchConfig(optimizer="rs", budget=20, benchmark="member:3")
    assert cfg.resolved().to_dict()["benchmark"] == "member:3"
    res = run_search(cfg)
    bench = load_benchmark(variant="member:3")
    best = max(r.values["val_top1"] for r in res.records)
    arch = max(res.records, key=lambda r: r.values["val_top1"]).arch
    assert best == pytest.approx(bench.query(arch, "val_top1"))
    summary = write_run(res, bench, tmp_path, plots=False)
    assert summary["variant"] == "member:3"
    with pytest.raises(UnknownChoiceError, match="toy"):
        SearchConfig(optimizer="rs", benchmark="member:42")


def test_cli_unknown_variant_one_line_exit_2(tmp_path):
    p = subprocess.run([sys.executable, "-m", "naslib_anb.cli.main", "search", "--optimizer", "rs", "--budget", "5",
                        "--benchmark", "member:42", "--out", str(tmp_path / "o"), "--no-progress", "--no-plots"],
                       capture_output=True, text=True)
    assert p.returncode == 2
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "member:42" in lines[0] and "member:K" in lines[0]


def test_cli_search_on_member_records_variant(tmp_path):
    out = tmp_path / "run"
    p = subprocess.run([sys.executable, "-m", "naslib_anb.cli.main", "search", "--optimizer", "re", "--budget", "30",
                        "--benchmark", "member:1", "--out", str(out), "--no-progress", "--no-plots", "--json"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["variant"] == "member:1"
    assert "benchmark: member:1" in (out / "config.yaml").read_text()


@pytest.mark.skipif("lgb" not in list_variants(), reason="the LightGBM family is not installed with the package")
def test_second_family_is_its_own_model_set(bench, archs):
    lgb = load_benchmark(variant="lgb")
    assert lgb.variant == "lgb" and lgb.models.path.name == "lgb" and lgb.models.family == "lgb"
    assert set(lgb.targets) == set(TARGETS)
    a, b = lgb.query_all(archs), bench.query_all(archs)
    for t in TARGETS:
        assert not np.allclose(a[t], b[t])
        # same data, same units: the two families agree closely in rank
        from scipy.stats import kendalltau

        assert kendalltau(a[t], b[t])[0] > 0.6, t
    # an independent fit of the same data: close to the shipped ensemble where the data is
    assert abs(lgb.query(EFFICIENTNET_B0, "val_top1") - bench.query(EFFICIENTNET_B0, "val_top1")) < 1.0


def test_lgb_members_saved_compressed_and_plain_text_still_loads(tmp_path):
    from naslib_anb.surrogates import make_estimator
    from naslib_anb.surrogates._families import LGBSurrogate

    archs = sample(5, 60)
    y = np.random.default_rng(0).normal(size=60)
    est = make_estimator("lgb", seed=1, n_estimators=30).fit(archs, y)
    p = est.save(tmp_path / "member_0")
    assert p.name == "member_0.txt.xz" and p.read_bytes()[:6] == b"\xfd7zXZ\x00"
    np.testing.assert_array_equal(LGBSurrogate.load(p).predict(archs), est.predict(archs))
    plain = tmp_path / "old.txt"
    plain.write_text(est.model_.model_to_string())
    np.testing.assert_array_equal(LGBSurrogate.load(plain).predict(archs), est.predict(archs))


def test_cli_models_dir_with_member_variant(tmp_path):
    from naslib_anb.surrogates import default_model_dir

    out = tmp_path / "run"
    p = subprocess.run([sys.executable, "-m", "naslib_anb.cli.main", "search", "--optimizer", "rs", "--budget", "10",
                        "--models", str(default_model_dir()), "--benchmark", "member:2", "--out", str(out),
                        "--no-progress", "--no-plots"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert json.loads((out / "summary.json").read_text())["variant"] == "member:2"
    p = subprocess.run([sys.executable, "-m", "naslib_anb.cli.main", "search", "--optimizer", "rs", "--budget", "10",
                        "--models", str(default_model_dir()), "--benchmark", "toy", "--out", str(tmp_path / "x"),
                        "--no-progress", "--no-plots"], capture_output=True, text=True)
    assert p.returncode == 2 and "exclusive" in p.stderr


@pytest.mark.skipif("lgb" not in list_variants(), reason="the LightGBM family is not installed with the package")
def test_second_family_ships_tables_only_with_member_provenance():
    from naslib_anb.benchmark.variants import family_model_dir
    from naslib_anb.errors import ModelFileError
    from naslib_anb.surrogates import load_model_set, read_manifest

    d = family_model_dir("lgb")
    manifest = read_manifest(d)
    for t, e in manifest["targets"].items():
        assert "files" not in e and len(e["native_files"]) == 5 and "tables" in e and "calibration" in e
        assert all(len(f["sha256"]) == 64 for f in e["native_files"])
    ms = load_model_set(d)
    with pytest.raises(ModelFileError, match="compiled tables only"):
        ms.ensembles["val_top1"].members
    with pytest.raises(ModelFileError, match="compiled tables only"):
        load_model_set(d, targets=["val_top1"], native=True)
