"""Monotone in size by envelopes: for models whose stage interactions all involve stage 0.

The table correction of :mod:`._monotone` must hold for every combination of the other
stages at once, so where a stage has many partners (stage 0 of a ``star0`` model has six)
it moves the fitted model a long way. For a model of the form

    z(x) = c + sum_{s>=1} P_s(x_0, x_s)

(``interaction="star0"``, or stage-additive) the closest monotone functions above and below
it can be computed exactly per query instead:

    U(x) = max_{y <= x} z(y) = c + max_{y_0 <= x_0} sum_s max_{y_s <= x_s} P_s(y_0, y_s)
    L(x) = min_{y >= x} z(y) = c + min_{y_0 >= x_0} sum_s min_{y_s >= x_s} P_s(y_0, y_s)

where ``<=`` is the partial order of one-step changes (more layers, larger expansion or
kernel, SE on). Both are monotone, so is their mean, and where ``z`` already is monotone
all three equal it. The inner maxima and minima are tables of the same shape as the
``P_s``, so a query costs one gather per stage and candidate ``y_0`` (36).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable, Mapping, Sequence

import numpy as np

from naslib_anb.errors import ConfigError, ModelFileError
from naslib_anb.space.arch import NUM_STAGES
from naslib_anb.surrogates._encoding import N_COMBOS
from naslib_anb.surrogates._monotone import (
    _edges,
    check_monotone,
    correction_values,
    main_effect_correction,
    monotone_correction,
)

MONOTONE_METHODS = ("correction", "envelope")
_HUB = 0
_LEAVES = tuple(range(1, NUM_STAGES))
_BLOCK = tuple(N_COMBOS[_HUB] * N_COMBOS[s] for s in _LEAVES)
_OFFSETS = np.concatenate([[0], np.cumsum(_BLOCK)[:-1]]).astype(np.int64)
N_ENTRIES = int(sum(_BLOCK))
#: first row of each block when the tables are laid out by (x_s, y_0): one gather per stage
_ROWS = np.concatenate([[0], np.cumsum([N_COMBOS[s] for s in _LEAVES])[:-1]]).astype(np.int64)


def check_method(method: str) -> str:
    if method not in MONOTONE_METHODS:
        from naslib_anb.errors import UnknownChoiceError

        raise UnknownChoiceError(method, MONOTONE_METHODS, "monotone methods")
    return method


@lru_cache(maxsize=None)
def at_most(stage: int) -> np.ndarray:
    """``le[a, b]``: code ``a`` is reachable from ``b`` by one-step reductions (a <= b)."""
    n = N_COMBOS[stage]
    le = np.eye(n, dtype=bool)
    src, dst = _edges(stage)
    while True:
        new = le.copy()
        np.logical_or.at(new.T, dst, new.T[src])  # x <= src and src -> dst  =>  x <= dst
        if np.array_equal(new, le):
            le.setflags(write=False)
            return le
        le = new


def star_blocks(tables: Mapping[tuple[int, ...], np.ndarray]) -> np.ndarray:
    """The model's tables as dense ``P_s(x_0, x_s)`` blocks, flattened and concatenated
    (stage 0's own table goes into the first block). Refuses other interactions."""
    out = np.zeros(N_ENTRIES)
    blocks = [out[o:o + b].reshape(N_COMBOS[_HUB], N_COMBOS[s]) for o, b, s in zip(_OFFSETS, _BLOCK, _LEAVES)]
    for g, t in tables.items():
        t = np.asarray(t, dtype=np.float64)
        if g == (_HUB,):
            blocks[0] += t[:, None]
        elif len(g) == 1:
            blocks[g[0] - 1] += t[None, :]
        elif len(g) == 2 and g[0] == _HUB:
            blocks[g[1] - 1] += t.reshape(N_COMBOS[_HUB], N_COMBOS[g[1]])
        else:
            raise ConfigError(f"monotone method 'envelope' needs interactions of stage 0 only "
                              f"(interaction 'star0' or 'stage'); the model has a table over stages {g}")
    return out


def envelope_blocks(blocks: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Inner envelopes per block: ``max_{y_s <= x_s}`` and ``min_{y_s >= x_s}`` of ``P_s(y_0, y_s)``
    (for ``decreasing`` the order is reversed)."""
    sign = 1.0 if check_monotone(kind) == "increasing" else -1.0
    up, lo = np.empty(N_ENTRIES), np.empty(N_ENTRIES)
    for o, b, s in zip(_OFFSETS, _BLOCK, _LEAVES):
        P = sign * blocks[o:o + b].reshape(N_COMBOS[_HUB], N_COMBOS[s])
        le = at_most(s)  # le[y, x]: y <= x
        up[o:o + b] = sign * np.where(le[None], P[:, :, None], -np.inf).max(axis=1).reshape(-1)
        lo[o:o + b] = sign * np.where(le.T[None], P[:, :, None], np.inf).min(axis=1).reshape(-1)
    return (up, lo) if sign > 0 else (lo, up)


class EnvelopeModel:
    """Several star-structured members made monotone by envelopes: ``evaluate(codes) -> (n, m)``.

    Same contract as :class:`._compile.TableModel` (raw transformed-space outputs), so an
    ensemble queries either the same way.
    """

    def __init__(self, up: np.ndarray, lo: np.ndarray, base: np.ndarray, kind: str):
        self.kind = check_monotone(kind)
        # float32 on disk, as the other compiled tables; rounded here too so a fitted and a
        # loaded model agree exactly
        self.up = np.ascontiguousarray(np.asarray(up, np.float32), dtype=np.float64)
        self.lo = np.ascontiguousarray(np.asarray(lo, np.float32), dtype=np.float64)
        self.base = np.asarray(base, dtype=np.float64).reshape(-1)
        self.n_outputs = len(self.base)
        if kind == "none" or self.up.shape != (N_ENTRIES, self.n_outputs) or self.lo.shape != self.up.shape \
                or not (np.all(np.isfinite(self.up)) and np.all(np.isfinite(self.lo))):
            raise ModelFileError(f"envelope tables are inconsistent: {self.up.shape}, {self.lo.shape}, "
                                 f"{self.n_outputs} outputs, kind {kind!r}")
        self._up_rows, self._lo_rows = self._by_query_code(self.up), self._by_query_code(self.lo)

    def _by_query_code(self, flat: np.ndarray) -> np.ndarray:
        """(sum N_s, n0, m): row ``_ROWS[s] + x_s`` holds block s at ``x_s`` for every candidate y_0."""
        n0 = N_COMBOS[_HUB]
        return np.concatenate([flat[o:o + b].reshape(n0, N_COMBOS[s], -1).transpose(1, 0, 2)
                               for o, b, s in zip(_OFFSETS, _BLOCK, _LEAVES)])

    @classmethod
    def from_members(cls, members: Sequence[tuple[Mapping[tuple[int, ...], np.ndarray], float]], kind: str) -> "EnvelopeModel":
        ups, los = zip(*(envelope_blocks(star_blocks(tabs), kind) for tabs, _ in members))
        return cls(np.stack(ups, axis=1), np.stack(los, axis=1), np.asarray([c for _, c in members]), kind)

    @classmethod
    def stack(cls, models: Sequence["EnvelopeModel"]) -> "EnvelopeModel":
        """Several envelope models side by side (one output per member), without recomputing them."""
        kinds = {m.kind for m in models}
        if len(kinds) != 1:
            raise ConfigError(f"envelope members disagree on the monotone direction: {sorted(kinds)}")
        return cls(np.concatenate([m.up for m in models], axis=1), np.concatenate([m.lo for m in models], axis=1),
                   np.concatenate([m.base for m in models]), kinds.pop())

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"envelope_up": self.up.astype(np.float32), "envelope_lo": self.lo.astype(np.float32),
                "base": self.base, "monotone": np.asarray(self.kind)}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> "EnvelopeModel":
        return cls(arrays["envelope_up"], arrays["envelope_lo"], arrays["base"], str(arrays["monotone"]))

    def evaluate(self, codes: np.ndarray) -> np.ndarray:
        """(n, m) raw (transformed-space) outputs: the mean of the two envelopes."""
        upper, lower = self.bounds(codes)
        return 0.5 * (upper + lower)

    def bounds(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The closest monotone majorant and minorant of each member at ``codes``, (n, m) each.

        Queries are grouped by their stage-0 code, so each gathers only the candidate ``y_0``
        below it (for the majorant) and above it (for the minorant)."""
        codes = np.asarray(codes, dtype=np.int64)
        upper = np.empty((len(codes), self.n_outputs))
        lower = np.empty_like(upper)
        le0 = at_most(_HUB)
        order = np.argsort(codes[:, _HUB], kind="stable")
        group_starts = np.flatnonzero(np.diff(codes[order, _HUB])) + 1
        for sel in np.split(order, group_starts):
            if not len(sel):
                continue
            c = codes[sel]
            x0 = c[0, _HUB]
            below, above = np.flatnonzero(le0[:, x0]), np.flatnonzero(le0[x0, :])
            if self.kind == "decreasing":
                below, above = above, below
            rows = [r + c[:, s] for r, s in zip(_ROWS, _LEAVES)]
            up = sum(self._up_rows[r[:, None], below[None, :]] for r in rows)  # (n, |below|, m)
            lo = sum(self._lo_rows[r[:, None], above[None, :]] for r in rows)
            upper[sel] = up.max(axis=1) + self.base
            lower[sel] = lo.min(axis=1) + self.base
        return upper, lower


def is_envelope_arrays(arrays: Mapping[str, np.ndarray]) -> bool:
    return "envelope_up" in arrays


#: Ways to make a fitted member monotone, side by side for comparisons (the benchmarks print them).
VARIANTS = ("as fitted", "main effects only", "table correction", "envelope")


def monotone_variants(member, kind: str = "increasing") -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """``member``'s prediction in its transformed space, ``codes -> z``, under each of
    :data:`VARIANTS` applied to its fitted tables (whatever monotone setting it was fitted with).
    ``"envelope"`` is left out when the member has interactions beyond stage 0."""
    tables, const = member._raw_stage_tables()
    main = main_effect_correction(tables, kind)
    full = monotone_correction(tables, kind)
    out = {"as fitted": member._predict_z,
           "main effects only": lambda codes: member._predict_z(codes) + correction_values(main, codes),
           "table correction": lambda codes: member._predict_z(codes) + correction_values(full, codes)}
    try:
        env = EnvelopeModel.from_members([(tables, const)], kind)
    except ConfigError:
        return out
    out["envelope"] = lambda codes: env.evaluate(codes)[:, 0]
    return out
