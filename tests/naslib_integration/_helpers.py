"""Shared helpers for the real-NASLib tests; ``require_naslib()`` is the module-level gate of each."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from naslib_anb.benchmark import FunctionBenchmark
from naslib_anb.space import arch_cost

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs" / "naslib"
SKIP_REASON = ("NASLib is not importable (it is not on PyPI; put a checkout of github.com/automl/NASLib "
               "on PYTHONPATH to run these)")


def require_naslib():
    """Skip the calling test module (with the reason) unless NASLib's whole import chain imports.

    NASLib's top-level package can import while a module the adapter needs does not (tensorwatch
    missing, say), so the gate imports every module of :data:`naslib_anb.naslib.IMPORT_CHAIN`.
    """
    import pytest

    from naslib_anb.naslib import naslib_available, naslib_import_problem

    if not naslib_available():
        pytest.skip(SKIP_REASON, allow_module_level=True)
    problem = naslib_import_problem()
    if problem is not None:
        pytest.skip(f"part of NASLib's import chain fails: {problem}", allow_module_level=True)
    import naslib

    return naslib


def strict_load(path):
    """``json.load`` that rejects NaN/Infinity, as JSON itself (and JavaScript, jq) do."""
    import json

    def reject(token):
        raise ValueError(f"{path}: non-JSON token {token}")

    with open(path, encoding="utf-8") as f:
        return json.load(f, parse_constant=reject)


def toy_val(archs):
    """Deterministic, rugged-enough accuracy: rewards expansion and depth, penalises SE, plus pair terms."""
    out = []
    for a in archs:
        t = a.to_tuple()
        e, k, l, se = t[0::4], t[1::4], t[2::4], t[3::4]
        v = 70 + 0.21 * sum(e) + 0.13 * sum(l) - 0.17 * sum(se) + 0.07 * sum(k)
        v += 0.05 * sum(e[i] * l[i + 1] for i in range(6)) / 6.0
        out.append(v)
    return np.asarray(out)


def make_toy_benchmark() -> FunctionBenchmark:
    return FunctionBenchmark({
        "val_top1": toy_val,
        "train_time": lambda archs: np.asarray([arch_cost(a).macs / 1e6 * 20 for a in archs]),
        "latency_zcu102": lambda archs: np.asarray([arch_cost(a).macs / 1e8 for a in archs]),
        "throughput_a100": lambda archs: np.asarray([1e12 / arch_cost(a).macs for a in archs]),
    }, name="toy")


class NoisyFunctionBenchmark(FunctionBenchmark):
    """A toy with unit label noise, so ``noise_seed`` has a visible, exactly known effect."""

    def _noise_std(self, archs, target, mean):
        return np.ones(len(archs))


def make_device_toy() -> NoisyFunctionBenchmark:
    """The toy accuracy plus two devices (zcu102, vck190; latency and throughput), all from MACs."""
    def macs(archs):
        return np.asarray([arch_cost(a).macs / 1e6 for a in archs])

    return NoisyFunctionBenchmark({
        "val_top1": toy_val,
        "train_time": lambda archs: macs(archs) * 20,
        "latency_zcu102": lambda archs: macs(archs) / 100,
        "latency_vck190": lambda archs: macs(archs) / 300,
        "throughput_vck190": lambda archs: 1e6 / macs(archs),
        "throughput_a100": lambda archs: 1e7 / macs(archs),
    }, name="toy")


def real_benchmark():
    """The shipped surrogate benchmark (or ``$NASLIB_ANB_MODEL_DIR``, a `naslib-anb fit` output)."""
    import os

    from naslib_anb.benchmark import load_benchmark

    model_dir = os.environ.get("NASLIB_ANB_MODEL_DIR")
    return load_benchmark(model_dir=model_dir) if model_dir else load_benchmark()
