"""Regularized (aging) evolution, Real et al. 2019, with the upstream one-decision mutation.

Differences from the upstream script, on purpose: the trajectory is the caller's job (the
driver logs the best *evaluated* value after every query, not the best parent), and all
randomness comes from the injected Generator.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Optional

import numpy as np

from naslib_anb.errors import ConfigError
from naslib_anb.optimizers.base import Optimizer, SeedLike, check_positive_int
from naslib_anb.space import Arch, mutate, sample


class RegularizedEvolution(Optimizer):
    """Population of the ``population_size`` most recent evaluations (oldest dies first).

    The first ``population_size`` asks are uniform samples. Afterwards each ask draws
    ``sample_size`` members (with replacement, as upstream, unless ``replace=False``),
    takes the best as parent and returns it with exactly one of the 28 decisions changed.
    Samples and children are feasible unless ``feasible_only=False``, and within
    ``max_distance`` decisions of the data when that is set.
    """

    name = "re"

    def __init__(self, seed: SeedLike, population_size: int = 20, sample_size: int = 10,
                 replace: bool = True, feasible_only: bool = True, max_distance: Optional[int] = None):
        super().__init__(seed, feasible_only, max_distance)
        self.population_size = check_positive_int("population_size", population_size, 1)
        self.sample_size = check_positive_int("sample_size", sample_size, 1)
        if not replace and self.sample_size > self.population_size:
            raise ConfigError(
                f"sample_size ({sample_size}) > population_size ({population_size}) needs replace=True")
        self.replace = bool(replace)
        self.population: deque[tuple[Arch, Any]] = deque()
        self._n_init_asked = 0

    # -- ask/tell --------------------------------------------------------------------
    def _ask(self) -> Arch:
        if self._n_init_asked < self.population_size:
            self._n_init_asked += 1
            return sample(self.rng, feasible_only=self.feasible_only,  # type: ignore[return-value]
                          max_distance=self.max_distance)
        if not self.population:
            raise ConfigError(f"{self.name}: no evaluated member yet; tell the initial samples first")
        n = len(self.population)
        picks = self.rng.choice(n, size=self.sample_size, replace=self.replace or self.sample_size > n)
        parent = self.population[self._select(np.asarray(picks))][0]
        return mutate(parent, self.rng, feasible_only=self.feasible_only, max_distance=self.max_distance)

    def _tell(self, arch: Arch, value: Any) -> None:
        self.population.append((arch, value))
        while len(self.population) > self.population_size:
            self.population.popleft()

    def _on_error(self, arch: Arch) -> None:
        if len(self.population) + self.n_pending < self.population_size:
            # an initial sample failed: draw a replacement
            self._n_init_asked = len(self.population) + self.n_pending

    def max_pending(self) -> int:
        remaining_init = self.population_size - self._n_init_asked
        if remaining_init > 0:
            # initial random samples do not depend on tells (plus one child after them
            # would need the full population, so stop at the boundary)
            return self.n_pending + remaining_init
        return max(1, self.n_pending)

    # -- selection -------------------------------------------------------------------
    def _select(self, picks: np.ndarray) -> int:
        """Index (into the population) of the tournament winner among ``picks``."""
        vals = np.asarray([self.population[i][1] for i in picks], dtype=np.float64)
        return int(picks[int(np.argmax(vals))])  # first best on ties, deterministic


class ParetoRegularizedEvolution(RegularizedEvolution):
    """RE for several maximised objectives: tournament by non-dominated rank, then crowding.

    The population is sorted into fronts (pymoo's non-dominated sorting); the sampled member
    on the best front wins, ties broken by larger crowding distance within that front, then
    by the Generator.
    """

    name = "re-pareto"
    multi_objective = True

    def _select(self, picks: np.ndarray) -> int:
        from naslib_anb.search.pareto import crowding_distance, non_dominated_rank

        F = np.vstack([self.population[i][1] for i in range(len(self.population))])
        rank = non_dominated_rank(F, maximize=True)
        best_rank = rank[picks].min()
        cands = np.unique(picks[rank[picks] == best_rank])
        if len(cands) == 1:
            return int(cands[0])
        front = np.flatnonzero(rank == best_rank)
        cd = dict(zip(front.tolist(), crowding_distance(F[front], maximize=True).tolist()))
        scores = np.asarray([cd[int(c)] for c in cands])
        top = cands[scores == scores.max()]
        return int(top[0] if len(top) == 1 else self.rng.choice(top))
