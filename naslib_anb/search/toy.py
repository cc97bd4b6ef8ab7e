"""An analytic stand-in for the surrogate benchmark: every target, instantly, no model files.

Use it for smoke tests and for tuning on something that is *not* the benchmark being
reported. Accuracy rises with log-MACs and SE, plus a fixed random quadratic term over the
one-hot encoding (pairwise interactions), so evolution and policy gradient have something
to learn; device throughput falls with MACs and depth, latency rises with them.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from naslib_anb.benchmark import FunctionBenchmark
from naslib_anb.space import Arch, arch_cost, onehot
from naslib_anb.targets import TARGETS

_DEVICE_SCALE = {"a100": 9000.0, "3090": 6000.0, "tpuv2": 700.0, "tpuv3": 1200.0,
                 "zcu102": 400.0, "vck190": 2300.0}


@lru_cache(maxsize=1)
def _weights() -> tuple[np.ndarray, np.ndarray]:
    g = np.random.default_rng(20240501)
    d = onehot([Arch.parse("e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0")]).shape[1]
    lin = g.normal(0, 0.35, d)
    A = g.normal(0, 0.12, (d, d))
    return lin, np.triu(A, 1)


def _cost(archs: list[Arch]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = [arch_cost(a) for a in archs]
    macs = np.asarray([x.macs_m for x in c])
    depth = np.asarray([a.depth for a in archs], dtype=np.float64)
    se = np.asarray([sum(a.se) for a in archs], dtype=np.float64)
    return macs, depth, se


def toy_accuracy(archs: list[Arch]) -> np.ndarray:
    macs, depth, se = _cost(archs)
    X = onehot(archs).astype(np.float64)
    lin, A = _weights()
    inter = np.einsum("ni,ij,nj->n", X, A, X)
    return 52.0 + 6.0 * np.tanh(np.log(macs / 300.0)) + 0.25 * se + 0.2 * depth ** 0.5 + X @ lin * 0.3 + inter


def _throughput(device: str):
    scale = _DEVICE_SCALE[device]

    def fn(archs: list[Arch]) -> np.ndarray:
        macs, depth, se = _cost(archs)
        return scale * (370.0 / macs) ** 0.6 * (16.0 / depth) ** 0.3 * (1.0 - 0.01 * se)

    return fn


def _latency(device: str):
    thr = _throughput(device)
    batch = 6.0 if device == "vck190" else 1.0

    def fn(archs: list[Arch]) -> np.ndarray:
        return 1000.0 * batch / thr(archs) * (1.5 if device == "zcu102" else 1.0) + 0.8

    return fn


def toy_benchmark() -> FunctionBenchmark:
    """A FunctionBenchmark answering every built-in target of :data:`naslib_anb.targets.TARGETS`."""
    fns = {"val_top1": toy_accuracy,
           "val_top5": lambda a: 80.0 + 0.6 * (toy_accuracy(a) - 58.0),
           "train_time": lambda a: 1200.0 + 2.5 * _cost(a)[0]}
    for name, t in TARGETS.items():
        if t.device not in _DEVICE_SCALE:  # accuracy targets and devices registered later
            continue
        fns[name] = _throughput(t.device) if t.metric == "throughput" else _latency(t.device)
    return FunctionBenchmark(fns, name="toy")
