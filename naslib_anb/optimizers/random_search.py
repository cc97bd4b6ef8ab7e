"""Random search: uniform samples over the product space, independent of every told value."""
from __future__ import annotations

from collections import deque
from typing import Any, Optional

from naslib_anb.optimizers.base import UNBOUNDED, Optimizer, SeedLike
from naslib_anb.space import Arch, sample
from naslib_anb.space.trust_region import is_constraining


class RandomSearch(Optimizer):
    """Uniform sampling (over the feasible architectures by default; with ``max_distance``, uniform
    over the feasible ones within that many decisions of the data). Works for scalar and Pareto
    objectives alike (tells are ignored)."""

    name = "rs"

    #: trust-region samples drawn per refill (a rejection round yields several; drawing them one
    #: per ask would discard the rest)
    BATCH = 64

    def __init__(self, seed: SeedLike, feasible_only: bool = True, max_distance: Optional[int] = None):
        super().__init__(seed, feasible_only, max_distance)
        self._ready: deque[Arch] = deque()

    def _ask(self) -> Arch:
        if not is_constraining(self.max_distance):
            return sample(self.rng, feasible_only=self.feasible_only)  # type: ignore[return-value]
        if not self._ready:
            self._ready.extend(sample(self.rng, self.BATCH, feasible_only=self.feasible_only,  # type: ignore[arg-type]
                                      max_distance=self.max_distance))
        return self._ready.popleft()

    def _tell(self, arch: Arch, value: Any) -> None:
        pass

    def max_pending(self) -> int:
        return UNBOUNDED


class ParetoRandomSearch(RandomSearch):
    """Random search that accepts objective vectors (the Pareto set is computed by the caller)."""

    name = "rs-pareto"
    multi_objective = True
