"""What a search maximises: accuracy, the MnasNet soft-constraint reward, or a Pareto vector.

An objective names the benchmark targets it needs and maps their values (one batch) to
what the optimizer is told: a scalar per arch (``n_obj == 1``) or a vector of maximised
objectives (``n_obj >= 2``). Optimizers never see targets or devices.

MnasNet reward (Tan et al. 2019), with the sign right for both metrics::

    throughput (higher is better):  R = acc * (m / T) ** w
    latency    (lower is better):   R = acc * (T / m) ** w     (MnasNet's w = -0.07 on latency)

with w = 0.07 by default. Upstream used (m / T) ** w for both, so its latency runs
rewarded *slower* models. ``w_miss`` (MnasNet's beta) optionally applies a different
exponent when the model misses the target T (m < T for throughput, m > T for latency);
with ``w_miss == w`` (the default) T only rescales R by a constant.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from naslib_anb.errors import ConfigError, UnknownChoiceError
from naslib_anb.search.bounds import default_reward_target
from naslib_anb.targets import Target, device_target, get_target

OBJECTIVE_KINDS = ("accuracy", "reward", "pareto")


@dataclass(frozen=True)
class Objective:
    """Base: the targets to query, and how to turn their values into what is maximised."""

    accuracy: str = "val_top1"

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.accuracy,)

    @property
    def n_obj(self) -> int:
        return 1

    @property
    def device_target(self) -> Optional[str]:
        return None

    def __call__(self, values: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(values[self.accuracy], dtype=np.float64)

    def describe(self) -> str:
        return f"maximise {self.accuracy}"


@dataclass(frozen=True)
class AccuracyObjective(Objective):
    """Uni-objective: the accuracy target itself."""


@dataclass(frozen=True)
class _DeviceObjective(Objective):
    device: str = "vck190"
    metric: str = "throughput"

    def __post_init__(self) -> None:
        device_target(self.device, self.metric)  # typed error on an invalid pair
        get_target(self.accuracy)

    @property
    def target(self) -> Target:
        return device_target(self.device, self.metric)

    @property
    def device_target(self) -> Optional[str]:
        return self.target.name

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.accuracy, self.target.name)


@dataclass(frozen=True)
class MnasNetReward(_DeviceObjective):
    """acc * (m/T)^w for throughput, acc * (T/m)^w for latency (``T=None``: published default)."""

    T: Optional[float] = None
    w: float = 0.07
    w_miss: Optional[float] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.T is None:
            object.__setattr__(self, "T", default_reward_target(self.target.name))
        if not (_is_real(self.T) and np.isfinite(self.T) and self.T > 0):
            raise ConfigError(f"reward target T (--target) must be a finite number > 0, got {self.T!r}")
        for flag, v in (("--weight", self.w), ("--weight-miss", self.w_miss)):
            if v is None and flag == "--weight-miss":
                continue
            if not (_is_real(v) and np.isfinite(v) and v >= 0):
                raise ConfigError(f"{flag} must be a finite number >= 0 (the reward rises as the device metric "
                                  f"improves; 0 ignores it), got {v!r}")

    def __call__(self, values: dict[str, np.ndarray]) -> np.ndarray:
        acc = np.asarray(values[self.accuracy], dtype=np.float64)
        m = np.asarray(values[self.target.name], dtype=np.float64)
        if np.any(m <= 0):
            raise ConfigError(f"{self.target.name} must be > 0 for the MnasNet reward, got {m[m <= 0][:3]}")
        ratio = m / self.T if self.target.higher_is_better else self.T / m  # > 1 means better than T
        w_miss = self.w if self.w_miss is None else self.w_miss
        expo = np.where(ratio >= 1.0, self.w, w_miss)
        return acc * ratio ** expo

    def describe(self) -> str:
        r = "m/T" if self.target.higher_is_better else "T/m"
        return f"maximise {self.accuracy} * ({r})^{self.w:g}, m = {self.target.name}, T = {self.T:g}"


def _is_real(v: object) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


@dataclass(frozen=True)
class ParetoObjective(_DeviceObjective):
    """Vector (acc, m) for throughput or (acc, -m) for latency: both maximised."""

    @property
    def n_obj(self) -> int:
        return 2

    def __call__(self, values: dict[str, np.ndarray]) -> np.ndarray:
        acc = np.asarray(values[self.accuracy], dtype=np.float64)
        m = np.asarray(values[self.target.name], dtype=np.float64)
        return np.column_stack([acc, m if self.target.higher_is_better else -m])

    def describe(self) -> str:
        d = "maximise" if self.target.higher_is_better else "minimise"
        return f"Pareto: maximise {self.accuracy}, {d} {self.target.name}"


def make_objective(kind: Optional[str] = None, device: Optional[str] = None, metric: Optional[str] = None,
                   T: Optional[float] = None, w: float = 0.07, w_miss: Optional[float] = None,
                   accuracy: str = "val_top1") -> Objective:
    """``kind`` defaults to 'reward' when a device is given, else 'accuracy'."""
    kind = kind or ("reward" if device else "accuracy")
    if kind not in OBJECTIVE_KINDS:
        raise UnknownChoiceError(kind, OBJECTIVE_KINDS, "objective kinds")
    if kind == "accuracy":
        if device is not None or metric is not None:
            raise ConfigError("objective 'accuracy' takes no --device/--metric; use 'reward' or 'pareto'")
        return AccuracyObjective(accuracy=accuracy)
    if device is None:
        raise ConfigError(f"objective {kind!r} needs a device (--device)")
    if kind == "reward":
        return MnasNetReward(accuracy=accuracy, device=device, metric=metric or "throughput", T=T, w=w,
                             w_miss=w_miss)
    return ParetoObjective(accuracy=accuracy, device=device, metric=metric or "throughput")
