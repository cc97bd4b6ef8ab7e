"""The core, the CLI and the NASLib adapter's NASLib-free parts work where ``naslib`` cannot be imported.

A subprocess gets a ``sitecustomize`` that installs a meta-path finder refusing ``naslib``;
the in-process tests cover the adapter's NASLib-free modules (dataset API engine, comparison).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from naslib_anb.benchmark import FunctionBenchmark
from naslib_anb.errors import ConfigError, UnknownChoiceError, UnknownMetricError
from naslib_anb.space import EFFICIENTNET_B0, arch_cost, sample

BLOCKER = textwrap.dedent('''
    import sys

    class _BlockNASLib:
        """Make `import naslib` fail as if it were not installed."""

        def find_spec(self, name, path=None, target=None):
            if name == "naslib" or name.startswith("naslib."):
                raise ModuleNotFoundError(f"No module named {name!r} (blocked for this test)", name=name)
            return None

    sys.meta_path.insert(0, _BlockNASLib())
''')

CHILD = textwrap.dedent('''
    import json, sys
    import numpy as np

    out = {}
    try:
        import naslib  # noqa: F401
        out["naslib_importable"] = True
    except ImportError:
        out["naslib_importable"] = False

    import naslib_anb
    import naslib_anb.naslib as adapter
    from naslib_anb.naslib import compare, dataset_api  # NASLib-free adapter modules
    out["available"] = adapter.naslib_available()
    try:
        adapter.import_naslib()
        out["import_error"] = None
    except adapter.NASLibUnavailableError as exc:
        out["import_error"] = type(exc).__name__
        out["error_is_import_error"] = isinstance(exc, ImportError)
    try:
        from naslib_anb.naslib import ANBSearchSpace  # noqa: F401
        out["lazy_error"] = None
    except ImportError as exc:
        out["lazy_error"] = type(exc).__name__

    # the core: space, benchmark interface, an optimizer loop
    from naslib_anb.benchmark import FunctionBenchmark
    from naslib_anb.optimizers import get_optimizer
    from naslib_anb.space import sample
    bm = FunctionBenchmark({"val_top1": lambda a: np.array([sum(x.to_tuple()) for x in a], float)})
    opt = get_optimizer("re", seed=0, population_size=5, sample_size=2)
    best = -1.0
    for _ in range(20):
        arch = opt.ask()
        v = bm.query(arch, "val_top1")
        opt.tell(arch, v)
        best = max(best, v)
    out["best"] = best
    api = dataset_api.get_anb_dataset_api("imagenet", bm)
    out["engine_val"] = api["engine"].value(sample(0).to_tuple(), "VAL_ACCURACY")

    # the CLI
    from naslib_anb.cli.main import main
    out["cli_rc"] = main(["space"])
    out["naslib_in_modules"] = sorted(m for m in sys.modules if m == "naslib" or m.startswith("naslib."))
    print("RESULT " + json.dumps(out))
''')


def test_core_and_cli_work_without_naslib(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(BLOCKER)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                                                           if p and "naslib" not in os.path.basename(p).lower()])
    env["OMP_NUM_THREADS"] = "1"
    proc = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    out = json.loads(line[len("RESULT "):])
    assert out["naslib_importable"] is False and out["available"] is False
    assert out["import_error"] == "NASLibUnavailableError" and out["error_is_import_error"]
    assert out["lazy_error"] == "NASLibUnavailableError"
    assert out["best"] > 0 and isinstance(out["engine_val"], float)
    assert out["cli_rc"] == 0
    assert out["naslib_in_modules"] == []


def test_importing_the_adapter_package_does_not_import_naslib():
    code = "import sys, naslib_anb, naslib_anb.naslib; print(any(m == 'naslib' or m.startswith('naslib.') for m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


# -- the NASLib-free engine behind the adapter's dataset API -----------------------------------
def _bench():
    return FunctionBenchmark({
        "val_top1": lambda a: np.asarray([70.0 + sum(x.e) / 10 for x in a]),
        "train_time": lambda a: np.asarray([1000.0 + x.depth for x in a]),
        "latency_zcu102": lambda a: np.asarray([arch_cost(x).macs / 1e8 for x in a]),
    })


def test_engine_metric_table_and_cache():
    from naslib_anb.naslib.dataset_api import SUPPORTED_METRICS, get_anb_dataset_api

    api = get_anb_dataset_api("imagenet", _bench())
    eng, spec = api["engine"], EFFICIENTNET_B0.to_tuple()
    v = eng.value(spec, "VAL_ACCURACY")
    assert type(v) is float and v == pytest.approx(70 + sum(EFFICIENTNET_B0.e) / 10)
    assert eng.value(spec, "TEST_ACCURACY") == v
    assert eng.value(spec, "TRAIN_ACCURACY") == -1.0  # NASLib's own spaces' missing value; never NaN
    assert eng.value(spec, "FLOPS") == pytest.approx(arch_cost(EFFICIENTNET_B0).macs / 1e6)
    assert eng.value(spec, "LATENCY") == pytest.approx(arch_cost(EFFICIENTNET_B0).macs / 1e8)
    n = eng.n_predictions
    eng.value(spec, "VAL_ACCURACY")
    assert eng.n_predictions == n and list(eng.evaluated) == [spec]
    with pytest.raises(UnknownMetricError) as err:
        eng.value(spec, "TRAIN_LOSS")
    assert "VAL_ACCURACY" in str(err.value) and set(SUPPORTED_METRICS) >= {"RAW", "HP"}
    raw = eng.value(spec, "RAW")
    assert set(raw) >= {"val_top1", "train_time", "latency_zcu102", "params_m", "macs_m"}


def test_engine_rejects_bad_options():
    from naslib_anb.naslib.dataset_api import get_anb_dataset_api

    with pytest.raises(UnknownChoiceError):
        get_anb_dataset_api("cifar10", _bench())
    with pytest.raises(UnknownChoiceError):
        get_anb_dataset_api("imagenet", _bench(), latency_device="tpuv9")
    with pytest.raises(ConfigError):
        get_anb_dataset_api("imagenet", _bench(), objective={"reference": -1})
    api = get_anb_dataset_api("imagenet", _bench(), latency_device="a100", latency_metric="throughput")
    with pytest.raises(UnknownChoiceError):  # the benchmark does not serve that target
        api["engine"].value(EFFICIENTNET_B0.to_tuple(), "LATENCY")


def test_engine_mnas_reward_and_pareto():
    from naslib_anb.naslib.dataset_api import get_anb_dataset_api

    api = get_anb_dataset_api("imagenet", _bench(), objective={"kind": "mnas", "reference": 3.0})
    eng = api["engine"]
    archs = sample(1, 30)
    for a in archs:
        r = eng.value(a.to_tuple(), "VAL_ACCURACY")
        acc, lat = eng.cache[(a.to_tuple(), "val_top1")], eng.cache[(a.to_tuple(), "latency_zcu102")]
        assert r == pytest.approx(acc * (lat / 3.0) ** -0.07)
    front = eng.pareto()
    pts = [(eng.cache[(a.to_tuple(), "val_top1")], eng.cache[(a.to_tuple(), "latency_zcu102")]) for a in archs]
    for p in front:  # nothing evaluated dominates a front member
        assert not any(a > p["val_top1"] and l < p["latency_zcu102"] for a, l in pts)
    assert len(front) >= 1


def test_engine_load_labeled_uses_measurements(dataset):
    from naslib_anb.naslib.dataset_api import get_anb_dataset_api

    api = get_anb_dataset_api("imagenet", _bench(), measured=dataset)
    eng = api["engine"]
    spec = eng.sample_measured(np.random.default_rng(0))
    rec = {r.arch.to_tuple(): r for r in dataset.unique()}[spec]
    assert eng.value(spec, "VAL_ACCURACY", labeled=True) == pytest.approx(rec.val_top1)
    assert eng.value(spec, "VAL_ACCURACY", labeled=False) == pytest.approx(70 + sum(rec.arch.e) / 10)


# -- the comparison runner reads NASLib's errors.json without NASLib -------------------------
def _fake_run(root, opt, seed, curve):
    d = root / "anb_mnas" / "imagenet" / opt / str(seed)
    d.mkdir(parents=True)
    stats = {"train_acc": [-1.0] * len(curve), "valid_acc": curve, "test_acc": curve,
             "runtime": [0.01] * len(curve), "train_time": [1.0] * len(curve)}
    (d / "errors.json").write_text(json.dumps([{"optimizer": opt, "seed": seed}, stats]))


def test_compare_aggregates_and_plots(tmp_path):
    from naslib_anb.naslib import compare
    from naslib_anb.naslib.cli import compare_main

    _fake_run(tmp_path, "re", 0, [70.0, 71.0, 72.0])
    _fake_run(tmp_path, "re", 1, [70.0, 70.5, 73.0])
    _fake_run(tmp_path, "rs", 0, [69.0, 70.0, 70.0])
    agg = compare.aggregate(compare.find_runs(tmp_path))
    assert agg["re"]["mean"].tolist() == [70.0, 70.75, 72.5] and int(agg["re"]["n"]) == 2
    assert compare.summary_table(agg)[0]["optimizer"] == "re"
    out = tmp_path / "cmp.png"
    assert compare_main([str(tmp_path), "--out", str(out)]) == 0
    assert out.stat().st_size > 0 and json.loads(out.with_suffix(".json").read_text())["runs"] == 3
    assert compare_main([str(tmp_path / "missing")]) == 2
