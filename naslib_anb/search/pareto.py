"""Pareto fronts and hypervolume through pymoo, on the published fixed bounds.

Conventions: ``F`` is an (n, k) array. ``maximize=True`` means every column is maximised
(the optimizers' convention); pymoo itself minimises, so columns are negated for it.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from naslib_anb.search.bounds import REFERENCE_VALUE, objective_bounds
from naslib_anb.targets import get_target


def _as_min(F: np.ndarray, maximize: bool | Sequence[bool]) -> np.ndarray:
    F = np.atleast_2d(np.asarray(F, dtype=np.float64))
    sign = np.where(np.broadcast_to(np.asarray(maximize, dtype=bool), (F.shape[1],)), -1.0, 1.0)
    return F * sign


def non_dominated_rank(F: np.ndarray, maximize: bool | Sequence[bool] = True) -> np.ndarray:
    """Front index per row (0 = non-dominated), by pymoo's non-dominated sorting."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    G = _as_min(F, maximize)
    if len(G) == 0:
        return np.zeros(0, dtype=np.int64)
    _, rank = NonDominatedSorting().do(G, return_rank=True)
    return np.asarray(rank, dtype=np.int64)


def pareto_mask(F: np.ndarray, maximize: bool | Sequence[bool] = True) -> np.ndarray:
    """Boolean mask of the non-dominated rows (duplicates of a front point are all kept)."""
    return non_dominated_rank(F, maximize) == 0


def crowding_distance(F: np.ndarray, maximize: bool | Sequence[bool] = True) -> np.ndarray:
    """NSGA-II crowding distance within one front (inf at the extremes)."""
    from pymoo.operators.survival.rank_and_crowding.metrics import calc_crowding_distance

    G = _as_min(F, maximize)
    if len(G) <= 2:
        return np.full(len(G), np.inf)
    return np.asarray(calc_crowding_distance(G), dtype=np.float64)


def normalize(values: dict[str, np.ndarray] | np.ndarray, targets: Sequence[str]) -> np.ndarray:
    """Map targets to minimisation on [0, 1] with the published bounds (clipped)."""
    cols = []
    for j, t in enumerate(targets):
        x = np.asarray(values[t] if isinstance(values, dict) else np.atleast_2d(values)[:, j], dtype=np.float64)
        lo, hi = objective_bounds(t)
        if get_target(t).higher_is_better:
            z = (hi - x) / (hi - lo)
        else:
            z = (x - lo) / (hi - lo)
        cols.append(np.clip(z, 0.0, 1.0))
    return np.column_stack(cols) if cols else np.zeros((0, 0))


def hypervolume(values: dict[str, np.ndarray] | np.ndarray, targets: Sequence[str],
                ref_point: Optional[Sequence[float]] = None) -> float:
    """Normalised hypervolume (in [0, 1] for the default reference point (1, ..., 1))."""
    from pymoo.indicators.hv import HV

    G = normalize(values, targets)
    if G.size == 0:
        return 0.0
    ref = np.asarray(ref_point, dtype=np.float64) if ref_point is not None else reference_point(len(targets))
    return float(HV(ref_point=ref)(G))


def reference_point(n_obj: int) -> np.ndarray:
    """The published reference point: (1, ..., 1) in normalised, minimised coordinates."""
    return np.full(n_obj, REFERENCE_VALUE, dtype=np.float64)


class IncrementalFront:
    """Keeps the normalised non-dominated set and its hypervolume as points arrive."""

    def __init__(self, targets: Sequence[str]):
        self.targets = tuple(targets)
        self.front = np.zeros((0, len(self.targets)))
        self.hv = 0.0
        self._ref = reference_point(len(self.targets))

    def add(self, row: Sequence[float]) -> float:
        """Add one point (raw target values in ``targets`` order); returns the hypervolume."""
        p = normalize(np.asarray(row, dtype=np.float64)[None, :], self.targets)[0]
        if len(self.front) and np.any(np.all(self.front <= p, axis=1)):
            return self.hv  # weakly dominated: nothing changes
        keep = ~np.all(p <= self.front, axis=1)
        self.front = np.vstack([self.front[keep], p])
        from pymoo.indicators.hv import HV

        self.hv = float(HV(ref_point=self._ref)(self.front))
        return self.hv
