"""The trust region: architectures within ``max_distance`` decisions of a measured one.

A surrogate is trusted near its data. ``max_distance = D`` keeps a search among the
architectures whose Hamming distance to the nearest measured architecture
(:func:`~naslib_anb.space.support.nearest_measured`, 0..28 decisions) is at most D.

Sampling is **exactly uniform** over the (feasible) trust region, by one of two rejection
samplers; both have that same distribution, they differ only in speed:

- *union of balls* (small D): pick a measured architecture uniformly, draw a point uniformly
  from the Hamming ball of radius D around it (every ball holds the same number of points),
  and keep it with probability 1 / (number of measured architectures within D of it). This
  is the standard sampler for a union of equal-sized sets; it accepts |region| / (M |ball|).
- *uniform rejection* (large D): draw uniformly from the space, keep what lies within D; it
  accepts |region| / |space|.

Both rates share the numerator, so the faster one is known in advance: the union sampler
whenever M |ball(D)| < |space| (D <= 6 for the 5,125 measured architectures), else uniform
rejection. ``D >= 28`` is no constraint at all. Draws happen in fixed chunks, so the first
k of n samples are the k samples of the same seed.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Optional, Sequence

import numpy as np

from naslib_anb.errors import ConfigError
from naslib_anb.space.codes import CARDINALITIES, NUM_DECISIONS, SPACE_SIZE
from naslib_anb.space.support import count_measured_within, measured_codes, nearest_measured
from naslib_anb.space.trainability import feasible

#: the largest meaningful distance: every architecture is within 28 decisions of any other
MAX_DISTANCE_LIMIT = NUM_DECISIONS
#: candidates drawn per rejection round (fixed, so a seed's sequence does not depend on n)
CHUNK = 64

_ALT = np.asarray(CARDINALITIES, dtype=np.int64) - 1  # other values per decision


def check_max_distance(value: Any, name: str = "max_distance") -> Optional[int]:
    """``None`` (no constraint) or an int in 0..28; anything else is a one-line ConfigError."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or not 0 <= int(value) <= MAX_DISTANCE_LIMIT:
        raise ConfigError(f"{name} must be an int in 0..{MAX_DISTANCE_LIMIT} (decisions from the nearest "
                          f"measured architecture), got {value!r}")
    return int(value)


def is_constraining(max_distance: Optional[int]) -> bool:
    """False for None and for 28 (every architecture is within 28 decisions)."""
    return max_distance is not None and max_distance < MAX_DISTANCE_LIMIT


def within(codes: np.ndarray, max_distance: Optional[int]) -> np.ndarray:
    """(n,) bool: each code row lies within ``max_distance`` of the data (all True without one)."""
    if not is_constraining(max_distance):
        return np.ones(len(codes), dtype=bool)
    return nearest_measured(codes) <= max_distance


@lru_cache(maxsize=1)
def _suffix_counts() -> np.ndarray:
    """E[d, j]: number of ways to change exactly j of the decisions d..27 (float64, exact below 2**53)."""
    e = np.zeros((NUM_DECISIONS + 1, NUM_DECISIONS + 1))
    e[NUM_DECISIONS, 0] = 1.0
    for d in range(NUM_DECISIONS - 1, -1, -1):
        e[d] = e[d + 1]
        e[d, 1:] += _ALT[d] * e[d + 1, :-1]
    return e


def ball_size(radius: int) -> int:
    """Architectures within ``radius`` decisions of any one architecture (the same for all)."""
    return int(round(_suffix_counts()[0, :radius + 1].sum()))


def uses_union_sampler(max_distance: int) -> bool:
    """The union-of-balls sampler accepts more often than uniform rejection (see module doc)."""
    return len(measured_codes()) * ball_size(max_distance) < SPACE_SIZE


def _ball_codes(centres: np.ndarray, radius: int, g: np.random.Generator) -> np.ndarray:
    """One uniform point of the Hamming ball of ``radius`` around each centre row."""
    e = _suffix_counts()
    n = len(centres)
    weights = e[0, :radius + 1]
    left = g.choice(radius + 1, size=n, p=weights / weights.sum())  # how many decisions change
    out = centres.astype(np.int64, copy=True)
    u = g.random((n, NUM_DECISIONS))
    shift = g.random((n, NUM_DECISIONS))
    for d in range(NUM_DECISIONS):
        # change decision d with probability a_d * E[d+1, left-1] / E[d, left]
        take = left > 0
        p = np.zeros(n)
        p[take] = _ALT[d] * e[d + 1, left[take] - 1] / e[d, left[take]]
        change = u[:, d] < p
        step = 1 + (shift[:, d] * _ALT[d]).astype(np.int64)  # uniform over the other values
        out[change, d] = (out[change, d] + step[change]) % CARDINALITIES[d]
        left = left - change
    return out


def _round(g: np.random.Generator, max_distance: int, feasible_only: bool) -> np.ndarray:
    """One chunk of candidates; returns the accepted code rows (uniform over the region)."""
    cards = np.asarray(CARDINALITIES)
    if uses_union_sampler(max_distance):
        data = measured_codes()
        centres = data[g.integers(len(data), size=CHUNK)]
        cand = _ball_codes(centres, max_distance, g)
        keep = g.random(CHUNK) * count_measured_within(cand, max_distance) < 1.0
    else:
        cand = (g.random((CHUNK, len(cards))) * cards).astype(np.int64)
        keep = nearest_measured(cand) <= max_distance
    if feasible_only:
        keep &= feasible(cand)
    return cand[keep]


def sample_codes(g: np.random.Generator, n: int, max_distance: int, feasible_only: bool = True) -> np.ndarray:
    """(n, 28) int64 codes drawn uniformly from the (feasible) trust region of ``max_distance``."""
    kept: list[np.ndarray] = []
    have = 0
    while have < n:
        rows = _round(g, max_distance, feasible_only)
        kept.append(rows)
        have += len(rows)
    return np.concatenate(kept)[:n] if kept else np.zeros((0, NUM_DECISIONS), dtype=np.int64)


def pull_within(code: Sequence[int], g: np.random.Generator, max_distance: int) -> list[int]:
    """Move a code into the region: copy randomly chosen decisions from its nearest measured
    architecture until it is ``max_distance`` from it. A code already inside is returned as is.

    A repair, not a sampler: what REINFORCE uses when its policy draws outside the region.
    """
    row = [int(v) for v in code]
    if not is_constraining(max_distance):
        return row
    dist, idx = nearest_measured(np.asarray([row], dtype=np.int64), return_index=True)
    excess = int(dist[0]) - max_distance
    if excess <= 0:
        return row
    target = measured_codes()[int(idx[0])]
    differ = [d for d in range(NUM_DECISIONS) if row[d] != int(target[d])]
    for d in g.choice(differ, size=excess, replace=False):
        row[int(d)] = int(target[int(d)])
    return row


__all__ = ["MAX_DISTANCE_LIMIT", "check_max_distance", "is_constraining", "within", "ball_size",
           "uses_union_sampler", "sample_codes", "pull_within"]
