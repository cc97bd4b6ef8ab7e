"""Ask/tell protocol shared by every black-box optimizer of the MnasNet space.

API (all optimizers)::

    opt = get_optimizer("re", seed=0, population_size=20, sample_size=10)
    while budget_left:
        arch = opt.ask()                 # one naslib_anb.space.Arch per call
        value = evaluate(arch)           # done by the caller (driver loop, NASLib adapter, ...)
        opt.tell(arch, value)            # a float (maximised); Pareto optimizers take a sequence

Rules that make optimizers reusable (CLI driver, NASLib ``MetaOptimizer`` adapter, tests):

- Values are always **maximised**. Callers turn minimisation objectives (latency) into
  maximisation (negate, or a reward). Scalar optimizers take a float; optimizers with
  ``multi_objective = True`` take a sequence of floats (one per objective, all maximised).
- Randomness: the constructor takes ``seed`` (non-negative int or ``numpy.random.Generator``)
  and owns the resulting Generator; nothing touches global RNGs. Same seed and same told
  values -> same asks, in any process.
- ``tell`` must be called for an asked arch (any order; ask order gives reproducible runs). ``max_pending()`` says how many asks
  may be outstanding (asked, not yet told) right now without changing the sequence of archs
  compared with strictly alternating ask/tell; a driver may use it to evaluate a batch at once.
  Callers that do not batch simply alternate ask/tell.
- ``on_error(arch)`` reports that an asked arch could not be evaluated; the optimizer forgets it.
- Feasibility: by default (``feasible_only=True``) every ask is an architecture the recipe
  behind the labels could train (:mod:`naslib_anb.space.trainability`); pass
  ``feasible_only=False`` to search the whole space, surrogate extrapolations included.
- Trust region: ``max_distance=D`` (default None) keeps every ask within D decisions of a
  measured architecture (:mod:`naslib_anb.space.trust_region`): RS samples uniformly there,
  RE samples and mutates there, REINFORCE repairs a policy draw that lands outside.
- Optimizers know nothing about benchmarks, devices or budgets, and are picklable.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from typing import Any, Optional, Sequence, Union

import numpy as np

from naslib_anb.errors import ConfigError
from naslib_anb.space import Arch
from naslib_anb.space.seeding import make_rng
from naslib_anb.space.trust_region import check_max_distance

SeedLike = Union[int, np.random.Generator]
Value = Union[float, Sequence[float]]

#: a large number of asks that never depend on tells (random search)
UNBOUNDED = 1 << 30


class Optimizer(ABC):
    """Base class: owns ``self.rng`` and the queue of asked-but-untold archs."""

    #: registry name, set by :func:`naslib_anb.optimizers.register_optimizer`
    name: str = "optimizer"
    #: True when ``tell`` expects a sequence of maximised objectives
    multi_objective: bool = False

    def __init__(self, seed: SeedLike, feasible_only: bool = True, max_distance: Optional[int] = None):
        self.rng: np.random.Generator = make_rng(seed)
        if not isinstance(feasible_only, (bool, np.bool_)):
            raise ConfigError(f"feasible_only must be True or False, got {feasible_only!r}")
        self.feasible_only = bool(feasible_only)
        self.max_distance: Optional[int] = check_max_distance(max_distance)
        self._pending: deque[Arch] = deque()
        self.n_told = 0

    # -- protocol ------------------------------------------------------------------
    def ask(self) -> Arch:
        arch = self._ask()
        self._pending.append(arch)
        return arch

    def tell(self, arch: Arch, value: Value) -> None:
        checked = self._check_value(value)
        self._pop_pending(arch)
        self._tell(arch, checked)
        self.n_told += 1

    def on_error(self, arch: Arch) -> None:
        """The arch could not be evaluated: forget it (subclasses may also undo state)."""
        self._pop_pending(arch)
        self._on_error(arch)

    def max_pending(self) -> int:
        """How many asks may be outstanding now without changing the ask sequence."""
        return 1

    @property
    def n_pending(self) -> int:
        return len(self._pending)

    # -- subclass hooks ------------------------------------------------------------
    @abstractmethod
    def _ask(self) -> Arch:
        ...

    @abstractmethod
    def _tell(self, arch: Arch, value: Any) -> None:
        ...

    def _on_error(self, arch: Arch) -> None:
        pass

    # -- helpers -------------------------------------------------------------------
    def _pop_pending(self, arch: Arch) -> None:
        try:
            self._pending.remove(arch)  # the oldest matching ask
        except ValueError:
            raise ConfigError(f"{self.name}: tell/on_error for {arch}, which was not asked "
                              f"({len(self._pending)} asks outstanding)") from None

    def _check_value(self, value: Value) -> Any:
        if self.multi_objective:
            v = np.asarray(value, dtype=np.float64).reshape(-1)
            if v.size < 1 or not np.all(np.isfinite(v)):
                raise ConfigError(f"{self.name}: objective vector must be finite, got {value!r}")
            return v
        try:
            v = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ConfigError(f"{self.name}: expected one float value, got {value!r}") from None
        if not np.isfinite(v):
            raise ConfigError(f"{self.name}: value must be finite, got {value!r}")
        return v

    def __repr__(self) -> str:
        return f"{type(self).__name__}(told={self.n_told})"


def check_positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def check_positive_float(name: str, value: Any, allow_zero: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ConfigError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return v
