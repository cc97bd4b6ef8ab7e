"""What the Optuna and Syne Tune adapters share: the 28 parameters, a strict params -> Arch, one study spec.

Both frameworks see the space as the upstream ConfigSpace's 28 categoricals ``block{i}_{e,k,l,se}``
(:func:`naslib_anb.space.configuration_space`), and both evaluate through the one
:class:`~naslib_anb.benchmark.Benchmark` interface, so any benchmark object (any variant, a
refitted model set, a :class:`~naslib_anb.benchmark.FunctionBenchmark`) plugs in, and every value
is exactly what ``bench.query`` returns for the same architecture and noise seed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

import numpy as np

from naslib_anb.benchmark.base import Benchmark, standard_normal_per_arch
from naslib_anb.errors import ConfigError, InvalidArchitectureError, UnknownOptionError, UnknownTargetError
from naslib_anb.space.arch import Arch
from naslib_anb.space.space import DECISIONS
from naslib_anb.space.trainability import FEASIBLE_MAX_GIB
from naslib_anb.space.trust_region import check_max_distance
from naslib_anb.targets import ACCURACY_TARGETS

#: the 28 parameters and their choices, in upstream order (se: True first)
PARAMS: dict[str, tuple[Any, ...]] = {f"block{stage}_{f}": tuple(c) for stage, f, c in DECISIONS}


def _plain(value: Any) -> Any:
    """numpy scalars as the Python scalar they hold (frameworks hand back either)."""
    return value.item() if isinstance(value, np.generic) else value


def _valid(name: str, value: Any) -> bool:
    choices = PARAMS[name]
    if name.endswith("_se"):
        return isinstance(value, bool) or (isinstance(value, int) and value in (0, 1))
    return isinstance(value, int) and not isinstance(value, bool) and value in choices


def arch_from_params(params: Mapping[str, Any]) -> Arch:
    """The architecture a framework's config names; one typed error naming the first bad entry."""
    if not isinstance(params, Mapping):
        raise InvalidArchitectureError(params, "expected a mapping of the 28 parameters block{i}_{e,k,l,se}")
    extra = [k for k in params if k not in PARAMS]
    if extra:
        raise UnknownOptionError(extra[0], PARAMS, "the parameters of the ANB search space")
    missing = [k for k in PARAMS if k not in params]
    if missing:
        raise InvalidArchitectureError(
            f"a config of {len(params)} parameters",
            f"missing parameter(s) {', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''}; "
            "a config names all 28 of block0_e .. block6_se")
    values = {}
    for name in PARAMS:
        v = _plain(params[name])
        if not _valid(name, v):
            raise InvalidArchitectureError(
                {name: params[name]}, f"valid choices of {name!r}: {', '.join(map(repr, PARAMS[name]))}")
        values[name] = bool(v) if name.endswith("_se") else v
    return Arch.from_dict(values)


def params_of(arch: Arch) -> dict[str, Any]:
    """The 28 parameters of an architecture (the inverse of :func:`arch_from_params`)."""
    return Arch.parse(arch).to_dict()


def _check_limit(name: str, value: Any) -> Optional[float]:
    if value is None:
        return None
    ok = isinstance(value, (int, float, np.integer, np.floating))
    if isinstance(value, bool) or not ok or not np.isfinite(value) or value < 0:
        raise ConfigError(f"{name} is {value!r}; valid: a non-negative number or None")
    return float(value)


@dataclass(frozen=True)
class StudySpec:
    """Which targets a study reads off the benchmark, and which limits make an architecture usable.

    ``device``/``metric`` add a device target (validated by the benchmark: unknown names and
    pairs without data raise its typed errors). ``max_gib`` is the trainability limit on
    :meth:`Benchmark.train_memory_gib` (None: none); ``max_distance`` bounds the decisions from
    the nearest measured architecture (None: none). ``noise_seed`` is passed to ``query``.
    """

    accuracy: str = "val_top1"
    device: Optional[str] = None
    metric: Optional[str] = None
    noise_seed: Optional[int] = None
    max_gib: Optional[float] = FEASIBLE_MAX_GIB
    max_distance: Optional[int] = None

    def __post_init__(self) -> None:
        if self.accuracy not in ACCURACY_TARGETS:
            raise UnknownTargetError(self.accuracy, ACCURACY_TARGETS, "the accuracy targets")
        if self.metric is not None and self.device is None:
            raise ConfigError(f"metric {self.metric!r} needs a device")
        if self.noise_seed is not None:
            standard_normal_per_arch([], self.noise_seed)  # the benchmark's own check of the seed
        object.__setattr__(self, "max_gib", _check_limit("max_gib", self.max_gib))
        object.__setattr__(self, "max_distance", check_max_distance(self.max_distance))  # the core's rule: 0..28

    def targets(self, bench: Benchmark) -> tuple[str, ...]:
        """The accuracy target, then the device target if any (resolved and checked by ``bench``)."""
        acc = bench.resolve(self.accuracy).name
        if self.device is None:
            return (acc,)
        return acc, bench.resolve(device=self.device, metric=self.metric).name

    def values(self, bench: Benchmark, arch: Arch, targets: tuple[str, ...]) -> dict[str, float]:
        """``bench.query`` per target: the very values a direct query gives."""
        return {t: bench.query(arch, t, noise_seed=self.noise_seed) for t in targets}

    def constraints(self, bench: Benchmark, arch: Arch) -> dict[str, float]:
        """Optuna-style constraint values (feasible when <= 0), one per limit that is set."""
        out = {}
        if self.max_gib is not None:
            out["train_memory_gib"] = float(bench.train_memory_gib(arch)) - self.max_gib
        if self.max_distance is not None:
            out["max_distance"] = float(bench.nearest_measured(arch)) - self.max_distance
        return out

    def metadata(self, bench: Benchmark) -> dict[str, Any]:
        """What results computed under this spec were computed on (to store beside them)."""
        return {
            "benchmark": getattr(bench, "name", type(bench).__name__),
            "variant": getattr(bench, "variant", None),
            "targets": list(self.targets(bench)),
            "noise_seed": self.noise_seed,
            "max_gib": self.max_gib,
            "max_distance": self.max_distance,
        }


def default_benchmark(bench: Optional[Benchmark]) -> Benchmark:
    """``bench`` itself, or the shipped surrogate benchmark; anything else is refused."""
    if bench is None:
        from naslib_anb.benchmark import load_benchmark

        return load_benchmark()
    if not isinstance(bench, Benchmark):
        raise ConfigError(f"benchmark must be a naslib_anb Benchmark (e.g. load_benchmark()), "
                          f"got {type(bench).__name__}")
    return bench
