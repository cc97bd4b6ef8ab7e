"""Published, fixed objective bounds and default reward targets per device.

Fixed numbers (not per-run min/max) keep hypervolumes comparable across runs, optimizers
and papers. Device bounds are the dataset's (5138 records) min and max rounded outward to
two significant figures; accuracy uses [40, 70] %. Default MnasNet-reward targets ``T`` are
the dataset medians rounded to three significant figures.

Normalisation for the hypervolume (every objective turned into minimisation on [0, 1]):
``(hi - x) / (hi - lo)`` for higher-is-better targets, ``(x - lo) / (hi - lo)`` for
latency; values are clipped to [0, 1]; reference point (1, 1), i.e. (40 % top-1, worst
bound of the device). The hypervolume is therefore in [0, 1].
"""
from __future__ import annotations

from naslib_anb.errors import UnknownTargetError

#: (lo, hi) in the target's unit
OBJECTIVE_BOUNDS: dict[str, tuple[float, float]] = {
    "val_top1": (40.0, 70.0),
    "val_top5": (60.0, 90.0),
    "throughput_a100": (4200.0, 31000.0),
    "throughput_3090": (2900.0, 22000.0),
    "throughput_tpuv2": (310.0, 1900.0),
    "throughput_tpuv3": (630.0, 1900.0),
    "throughput_zcu102": (76.0, 1500.0),
    "throughput_vck190": (540.0, 4500.0),
    "latency_zcu102": (1.6, 24.0),
    "latency_vck190": (1.6, 13.0),
}

#: default T of the MnasNet reward: dataset median per device target (3 significant figures)
DEFAULT_REWARD_TARGET: dict[str, float] = {
    "throughput_a100": 8170.0,
    "throughput_3090": 5550.0,
    "throughput_tpuv2": 669.0,
    "throughput_tpuv3": 1210.0,
    "throughput_zcu102": 391.0,
    "throughput_vck190": 2330.0,
    "latency_zcu102": 5.72,
    "latency_vck190": 3.59,
}

#: normalised reference point of the hypervolume
REFERENCE_VALUE = 1.0
REFERENCE_POINT = (REFERENCE_VALUE, REFERENCE_VALUE)


def objective_bounds(target: str) -> tuple[float, float]:
    try:
        return OBJECTIVE_BOUNDS[target]
    except KeyError:
        raise UnknownTargetError(target, OBJECTIVE_BOUNDS, "targets with published bounds") from None


def default_reward_target(target: str) -> float:
    try:
        return DEFAULT_REWARD_TARGET[target]
    except KeyError:
        raise UnknownTargetError(target, DEFAULT_REWARD_TARGET, "device targets with a default T") from None
