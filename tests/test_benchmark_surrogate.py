"""The surrogate benchmark front door: load once, query every spelling, typed errors, noise."""
from __future__ import annotations

import numpy as np
import pytest

from naslib_anb.benchmark import load_benchmark
from naslib_anb.errors import ConfigError, InvalidArchitectureError, UnknownMetricError, UnknownTargetError, UnknownDeviceError
from naslib_anb.space import EFFICIENTNET_B0, sample
from naslib_anb.targets import TARGETS


@pytest.fixture(scope="module")
def bench():
    return load_benchmark()


def test_loaded_once(bench):
    assert load_benchmark() is bench
    assert set(bench.targets) == set(TARGETS)


def test_query_types_agree(bench):
    a = EFFICIENTNET_B0
    v = bench.query(a, "val_top1")
    assert isinstance(v, float) and 40 < v < 80
    assert bench.query(str(a), "val_top1") == v
    assert bench.query(a.to_dict(), "val_top1") == v
    arr = bench.query([a, str(a)], "val_top1")
    assert isinstance(arr, np.ndarray) and arr.shape == (2,) and arr[0] == v
    thr = bench.query(a, device="vck190", metric="throughput")
    assert thr == bench.query(a, "throughput_vck190") and thr > 100
    lat = bench.query(a, device="zcu102", metric="latency")
    assert 0.5 < lat < 50


def test_std_and_noise(bench):
    archs = sample(0, 20)
    mean, sd = bench.query(archs, "val_top1", std=True)
    assert np.all(sd >= 0) and np.any(sd > 0)
    assert np.array_equal(bench.query(archs, "val_top1"), mean)  # no noise by default
    n1 = bench.query(archs, "val_top1", noise_seed=7)
    n2 = bench.query(archs, "val_top1", noise_seed=7)
    n3 = bench.query(archs, "val_top1", noise_seed=8)
    assert np.array_equal(n1, n2) and not np.array_equal(n1, n3)
    assert len(set(np.round(n1 - mean, 9))) > 1  # drawn per architecture, not one scalar
    # the draw belongs to the architecture: batch order and one-at-a-time queries do not change it
    assert np.array_equal(bench.query(archs[::-1], "val_top1", noise_seed=7), n1[::-1])
    z = [(bench.query(a, "val_top1", noise_seed=7) - m) / s for a, m, s in zip(archs[:2], mean, sd)]
    assert z[0] != pytest.approx(z[1])
    assert bench.query(archs[1], "val_top1", noise_seed=7) == pytest.approx(n1[1], abs=1e-12)


def test_query_all_matches_single_queries(bench):
    archs = sample(1, 30)
    allv = bench.query_all(archs)
    assert set(allv) == set(bench.targets)
    for t, v in allv.items():
        assert v.dtype == np.float64 and np.all(np.isfinite(v))
        np.testing.assert_array_equal(v, bench.query(archs, t))
    df = bench.query_table(archs[:3])
    assert df.shape == (3, 11)


def test_predictions_in_plausible_ranges(bench):
    allv = bench.query_all(sample(2, 500))
    assert np.all((allv["val_top1"] > 30) & (allv["val_top1"] < 80))
    assert np.all(allv["val_top5"] > allv["val_top1"])
    for t in TARGETS:
        if t.startswith(("throughput", "latency", "train_time")):
            assert np.all(allv[t] > 0), t


def test_errors(bench):
    with pytest.raises(UnknownMetricError, match="zcu102/latency"):
        bench.query(EFFICIENTNET_B0, device="a100", metric="latency")
    with pytest.raises(UnknownDeviceError):
        bench.query(EFFICIENTNET_B0, device="h100")
    with pytest.raises(UnknownTargetError):
        bench.query(EFFICIENTNET_B0, "val_top7")
    with pytest.raises(InvalidArchitectureError):
        bench.query("e9k3l1s1-e6k3l2s1-e6k5l2s1-e6k3l3s1-e6k5l3s1-e6k5l4s1-e6k3l1s1", "val_top1")
    with pytest.raises(InvalidArchitectureError):
        bench.query([EFFICIENTNET_B0, "garbage"], "val_top1")
    with pytest.raises(ConfigError):
        bench.query([], "val_top1")


def test_tampered_model_dir_refuses(tmp_path):
    import shutil

    from naslib_anb.errors import ModelFileError
    from naslib_anb.surrogates import default_model_dir

    d = tmp_path / "m"
    shutil.copytree(default_model_dir(), d)
    f = next((d / "val_top1").iterdir())
    f.write_bytes(b"\x00" + f.read_bytes()[1:])
    with pytest.raises(ModelFileError, match="sha256"):
        load_benchmark(model_dir=d)


def test_queries_answer_from_compiled_tables_without_loading_members():
    """The fast path (speed is measured in benchmarks/bench_query.py): every shipped target has
    tables, and queries never load a native member."""
    from naslib_anb.benchmark.surrogate import SurrogateBenchmark
    from naslib_anb.surrogates import default_model_dir

    b = SurrogateBenchmark.from_dir(default_model_dir())
    models = b.models
    b.query(EFFICIENTNET_B0, "val_top1")
    b.query_all(sample(3, 20))
    for t, ens in models.ensembles.items():
        assert ens.tables is not None, t
        assert ens._members is None, t  # native members are loaded lazily, and were not needed


def test_querying_the_shipped_tables_imports_no_model_library():
    """Start-up cost: a query answers from compiled tables, without SciPy, scikit-learn, XGBoost or LightGBM."""
    import subprocess
    import sys

    code = ("import sys; from naslib_anb.benchmark import load_benchmark; "
            "load_benchmark().query_all('e1k3l1s1-e6k3l2s1-e6k5l2s1-e6k3l3s1-e6k5l3s1-e6k5l4s1-e6k3l1s1'); "
            "print(sorted(m for m in ('scipy', 'sklearn', 'xgboost', 'lightgbm', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
