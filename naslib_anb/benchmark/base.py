"""The benchmark front door: one ``query`` that validates, then a subclass's ``_predict``.

Subclasses: the surrogate benchmark (shipped models), and :class:`FunctionBenchmark`
(any Python function, for tests and toy studies). Optimizers, the CLI and the NASLib
adapter only ever see this interface.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

import numpy as np

from naslib_anb.errors import ConfigError, InvalidArchitectureError, UnknownTargetError
from naslib_anb.space.arch import Arch
from naslib_anb.targets import TARGETS, Target, resolve_target

ArchLike = Union[Arch, str, Mapping[str, Any], Sequence[Sequence[Any]]]


def _is_flat_spec(items: list) -> bool:
    """The 28 ints of ``Arch.to_tuple()`` (one architecture, not a batch of 28)."""
    return len(items) == 28 and all(isinstance(v, (int, np.integer)) or type(v).__name__ == "bool_"
                                    for v in items)


def as_archs(archs: Union[ArchLike, Iterable[ArchLike]]) -> tuple[list[Arch], bool]:
    """Normalise one or many architectures; returns (list, was_single)."""
    if isinstance(archs, (Arch, str, Mapping)):
        return [Arch.parse(archs)], True
    if hasattr(archs, "get_dictionary") or type(archs).__name__ == "Configuration":
        return [Arch.parse(archs)], True
    if isinstance(archs, np.ndarray):
        archs = archs.tolist() if archs.ndim > 0 else archs.item()
    if isinstance(archs, (bytes, bytearray)) or not isinstance(archs, Iterable):
        raise InvalidArchitectureError(
            archs, f"cannot read architectures from {type(archs).__name__}; pass one architecture (Arch, "
                   "string, dict, nested lists, 28 ints) or an iterable of them")
    items = list(archs)
    if _is_flat_spec(items):
        return [Arch.from_tuple(items)], True
    # a nested-list arch [[e x7],[k x7],[l x7],[se x7]] is a single architecture
    if len(items) == 4 and all(isinstance(x, (list, tuple)) and len(x) == 7 for x in items) and all(
        not isinstance(v, (list, tuple, str, Mapping, Arch)) for x in items for v in x
    ):
        return [Arch.from_lists(items)], True
    if not items:
        raise ConfigError("empty batch: pass at least one architecture")
    return [Arch.parse(a) for a in items], False


def _check_flag(value: Any, name: str) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ConfigError(f"{name} must be True or False, got {value!r}")


def _target_names(targets: Any, available: Sequence[str]) -> list[str]:
    """``targets`` of query_all: None (all), one name, or a sequence of names."""
    if targets is None:
        return list(available)
    if isinstance(targets, str):
        return [targets]
    if (isinstance(targets, (bytes, Mapping)) or not isinstance(targets, Iterable)
            or getattr(targets, "ndim", 1) != 1):  # a 0-d array claims to be iterable but is not
        raise UnknownTargetError(targets, available, "pass None, a target name or a list of them")
    names = list(targets)
    if not names:
        raise UnknownTargetError(targets, available, "pass None for every target, or at least one name")
    return names


def standard_normal_per_arch(archs: Sequence[Arch], seed: int) -> np.ndarray:
    """One N(0, 1) draw per architecture, seeded by ``(seed, arch)``: independent of batch order."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"noise_seed must be a non-negative int, got {seed!r}")
    return np.asarray([np.random.default_rng([int(seed), *a.to_tuple()]).standard_normal() for a in archs])


class Benchmark(ABC):
    """Predicts every target for any architecture of the space."""

    name: str = "anb"

    @property
    @abstractmethod
    def targets(self) -> tuple[str, ...]:
        """Target names this benchmark answers (a subset of :data:`naslib_anb.targets.TARGETS`)."""

    @abstractmethod
    def _predict(self, archs: list[Arch], target: Target, std: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(mean, predictive std) arrays of shape (n,), float64. ``std`` is 0 where unknown;
        with ``std=False`` a subclass may skip computing it (the caller ignores it)."""

    def _noise_std(self, archs: list[Arch], target: Target, mean: np.ndarray) -> np.ndarray:
        """Std of the label noise that ``noise_seed`` draws (aleatoric part); 0 by default."""
        return np.zeros(len(archs))

    def resolve(self, target: Optional[str] = None, device: Optional[str] = None,
                metric: Optional[str] = None) -> Target:
        t = resolve_target(target, device, metric)
        if t.name not in self.targets:
            raise UnknownTargetError(t.name, self.targets, f"benchmark {self.name!r} serves these")
        return t

    def query(
        self,
        archs: Union[ArchLike, Iterable[ArchLike]],
        target: Optional[str] = None,
        *,
        device: Optional[str] = None,
        metric: Optional[str] = None,
        std: bool = False,
        noise_seed: Optional[int] = None,
    ):
        """Predict one target. One arch in -> Python float; many -> float64 array.

        ``std=True`` also returns the predictive std (epistemic and aleatoric parts, see
        docs/surrogates.md). ``noise_seed`` adds label noise (the aleatoric part: training-seed
        noise for accuracy, measurement noise for devices; off by default), drawn from
        ``(noise_seed, architecture)``: the same architecture gets the same draw whatever the
        batch, different ones independent draws.
        """
        items, single = as_archs(archs)
        t = self.resolve(target, device, metric)
        std = _check_flag(std, "std")
        if noise_seed is not None:
            standard_normal_per_arch(items[:1], noise_seed)  # validates the seed before predicting
        mean, sd = self._predict(items, t, std=std)
        mean = np.asarray(mean, dtype=np.float64)
        sd = np.asarray(sd, dtype=np.float64)
        if noise_seed is not None:
            z = standard_normal_per_arch(items, noise_seed)
            mean = mean + z * np.asarray(self._noise_std(items, t, mean), dtype=np.float64)
        if single:
            return (float(mean[0]), float(sd[0])) if std else float(mean[0])
        return (mean, sd) if std else mean

    def measured(self, archs: Union[ArchLike, Iterable[ArchLike]], target: Optional[str] = None, *,
                 device: Optional[str] = None, metric: Optional[str] = None):
        """The dataset's value of one target where an architecture was measured, NaN elsewhere.

        Returns a :class:`~naslib_anb.benchmark.measured.Measured` with (n,) arrays, one entry
        per architecture (also for one): ``values`` (mean over its records; NaN if not measured)
        and ``counts`` (records averaged: 0, 1, or 2 for the dataset's 13 duplicate pairs).
        Works offline (the values ship with the package) and whatever benchmark answers ``query``.
        """
        from naslib_anb.benchmark.measured import measured

        items, _ = as_archs(archs)
        return measured(items, resolve_target(target, device, metric).name)

    def nearest_measured(self, archs: Union[ArchLike, Iterable[ArchLike]]):
        """Hamming distance (decisions, 0..28) to the nearest measured architecture.

        One arch in -> int; many -> (n,) int64 array. 0 means the architecture is in the
        dataset; predictions far from 0 are extrapolations (see :mod:`naslib_anb.space.support`).
        """
        from naslib_anb.space.support import nearest_measured

        items, single = as_archs(archs)
        dist = nearest_measured(items)
        return int(dist[0]) if single else dist

    def train_memory_gib(self, archs: Union[ArchLike, Iterable[ArchLike]]):
        """GiB that training with the labels' recipe needs (batch 512, 192 px, AMP); float or (n,) array."""
        from naslib_anb.space.memory import train_memory_gib

        items, single = as_archs(archs)
        gib = train_memory_gib(items)
        return float(gib[0]) if single else gib

    def feasible(self, archs: Union[ArchLike, Iterable[ArchLike]]):
        """Trainable with the labels' recipe (:mod:`naslib_anb.space.trainability`); bool or (n,) array."""
        from naslib_anb.space.trainability import feasible

        items, single = as_archs(archs)
        ok = feasible(items)
        return bool(ok[0]) if single else ok

    def support(self, archs: Union[ArchLike, Iterable[ArchLike]]) -> dict[str, np.ndarray]:
        """Where architectures stand, one (n,) array each: ``params_m``, ``macs_m`` (thop @224),
        ``train_memory_gib``, ``feasible``, ``nearest_measured``. No surrogate is involved."""
        from naslib_anb.space.cost import arch_cost
        from naslib_anb.space.memory import train_memory_gib
        from naslib_anb.space.support import nearest_measured
        from naslib_anb.space.trainability import FEASIBLE_MAX_GIB

        items, _ = as_archs(archs)
        gib = train_memory_gib(items)
        costs = [arch_cost(a) for a in items]
        return {
            "params_m": np.asarray([c.params_m for c in costs], dtype=np.float64),
            "macs_m": np.asarray([c.macs_m for c in costs], dtype=np.float64),
            "train_memory_gib": gib,
            "feasible": gib <= FEASIBLE_MAX_GIB,
            "nearest_measured": nearest_measured(items),
        }

    def query_all(self, archs: Union[ArchLike, Iterable[ArchLike]],
                  targets: Optional[Sequence[str]] = None) -> dict[str, np.ndarray]:
        """Every target (or the given ones) for a batch: ``{target: (n,) array}``."""
        items, _ = as_archs(archs)
        resolved = [self.resolve(n) for n in _target_names(targets, self.targets)]
        return {t.name: np.asarray(self._predict(items, t, std=False)[0], dtype=np.float64) for t in resolved}

    def query_table(self, archs: Union[ArchLike, Iterable[ArchLike]],
                    targets: Optional[Sequence[str]] = None):
        """``query_all`` as a pandas DataFrame indexed by canonical arch string."""
        import pandas as pd

        items, _ = as_archs(archs)
        df = pd.DataFrame(self.query_all(items, targets), index=[str(a) for a in items])
        df.index.name = "arch"
        df.attrs["units"] = {c: TARGETS[c].unit for c in df.columns}
        return df


class FunctionBenchmark(Benchmark):
    """A benchmark from plain functions ``f(list[Arch]) -> array`` per target (tests, toys)."""

    def __init__(self, functions: Mapping[str, Callable[[list[Arch]], np.ndarray]], name: str = "function"):
        for t in functions:
            if t not in TARGETS:
                raise UnknownTargetError(t, TARGETS)
        self._functions = dict(functions)
        self.name = name

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(self._functions)

    def _predict(self, archs: list[Arch], target: Target, std: bool = True) -> tuple[np.ndarray, np.ndarray]:
        mean = np.asarray(self._functions[target.name](archs), dtype=np.float64)
        return mean, np.zeros_like(mean)
