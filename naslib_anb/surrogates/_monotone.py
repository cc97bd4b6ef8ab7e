"""Make a compiled model monotone in architecture size, changing it only where it is not.

A bigger network (one more layer, larger expansion or kernel, SE on) is never faster. Tree
ensembles fitted to noisy measurements break this in places (a split that happens to
favour k=5 on a few records), and then extrapolate it. Monotone constraints inside the
booster cost a lot of accuracy here (their greedy bounds starve later splits), so the
fitted model is corrected afterwards instead, table by table, with the mean of the smallest
majorant and the largest minorant that satisfy the constraints over the partial order of
one-step changes. Where a table already satisfies them both equal it and nothing changes.

A model is a constant plus tables over stage groups (see :mod:`._compile`). Tables over
groups contained in a larger group are first folded into it, then split into per-stage
main effects and stage-pair interactions (see :func:`monotone_correction`). The
correction (corrected minus original) is kept per member and added to its native
prediction as well, so compiled tables and native members still agree exactly.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Mapping

import numpy as np

from naslib_anb.errors import UnknownChoiceError
from naslib_anb.space.arch import NUM_STAGES, field_choices
from naslib_anb.surrogates._encoding import N_COMBOS, STAGE_COMBOS

MONOTONE_CHOICES = ("none", "increasing", "decreasing")

Tables = Mapping[tuple[int, ...], np.ndarray]


def check_monotone(kind: str) -> str:
    if kind not in MONOTONE_CHOICES:
        raise UnknownChoiceError(kind, MONOTONE_CHOICES, "monotone directions")
    return kind


def bigger_code(stage: int, code: int, field: str) -> int | None:
    """The stage code one step bigger in ``field`` (None if already the largest)."""
    st = STAGE_COMBOS[stage][code]
    if field == "se":
        if st.se:
            return None
        new = (st.e, st.k, st.l, True)
    else:
        choices = sorted(field_choices(stage, field))
        j = choices.index(getattr(st, field))
        if j + 1 == len(choices):
            return None
        vals = {"e": st.e, "k": st.k, "l": st.l}
        vals[field] = choices[j + 1]
        new = (vals["e"], vals["k"], vals["l"], st.se)
    from naslib_anb.surrogates._encoding import _CODE_OF

    return _CODE_OF[stage][new]


@lru_cache(maxsize=None)
def _neighbours(stage: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, 4) immediate predecessors and successors of each code (padded with the code itself)."""
    n = N_COMBOS[stage]
    succ = np.tile(np.arange(n)[:, None], (1, 4))
    pred = np.tile(np.arange(n)[:, None], (1, 4))
    for c in range(n):
        for j, f in enumerate(("e", "k", "l", "se")):
            b = bigger_code(stage, c, f)
            if b is not None:
                succ[c, j] = b
                pred[b, j] = c
    return pred, succ


def fold_tables(tables: Tables) -> dict[tuple[int, ...], np.ndarray]:
    """Fold tables of sub-groups into a containing group: ``{group: float64 array (n_s, ...)}``."""
    groups = sorted(tables, key=lambda g: (-len(g), g))
    hosts: list[tuple[int, ...]] = []
    out: dict[tuple[int, ...], np.ndarray] = {}
    for g in groups:
        host = next((h for h in hosts if set(g) <= set(h)), None)
        t = np.asarray(tables[g], dtype=np.float64).reshape([N_COMBOS[s] for s in g])
        if host is None:
            hosts.append(g)
            out[g] = t.copy()
            continue
        shape = [N_COMBOS[s] if s in g else 1 for s in host]
        order = np.argsort([host.index(s) for s in g])
        out[host] += np.transpose(t, order).reshape(shape)
    return out


def _edges(stage: int) -> tuple[np.ndarray, np.ndarray]:
    """All one-step-bigger edges (small code, big code) of one stage."""
    pred, succ = _neighbours(stage)
    n = N_COMBOS[stage]
    src = np.repeat(np.arange(n), succ.shape[1])
    dst = succ.reshape(-1)
    keep = src != dst
    return src[keep], dst[keep]


def _closest_with_min_steps(table: np.ndarray, stages: tuple[int, ...], min_steps: tuple[np.ndarray, ...]) -> np.ndarray:
    """Close to ``table`` (one axis per stage of ``stages``) with ``out[big] - out[small] >=
    min_steps[i][edge]`` on every one-step edge of ``stages[i]`` along axis ``i``.

    Mean of the smallest such majorant (propagated upwards) and the largest such minorant
    (propagated downwards): both satisfy the constraints, so does their mean, and where
    ``table`` already does both equal it.
    """
    up, down = table.copy(), table.copy()
    edges = [_edges(s) for s in stages]
    for _ in range(8 * NUM_STAGES):  # chains are at most 7 steps per axis
        new_up, new_down = up.copy(), down.copy()
        for axis, ((src, dst), step) in enumerate(zip(edges, min_steps)):
            step = np.reshape(step, (-1,) + (1,) * (table.ndim - 1))
            u = np.moveaxis(new_up, axis, 0)  # views: the updates land in new_up / new_down
            np.maximum.at(u, dst, u[src] + step)
            d = np.moveaxis(new_down, axis, 0)
            np.minimum.at(d, src, d[dst] - step)
        if np.array_equal(new_up, up) and np.array_equal(new_down, down):
            break
        up, down = new_up, new_down
    return 0.5 * (up + down)


def _anova(folded: Mapping[tuple[int, ...], np.ndarray], sign: float):
    """Split folded tables (times ``sign``) into per-stage main effects and centred pair interactions."""
    main = [np.zeros(N_COMBOS[s]) for s in range(NUM_STAGES)]
    inters: dict[tuple[int, int], np.ndarray] = {}
    for g, t in folded.items():
        t = sign * t
        if len(g) == 1:
            main[g[0]] += t
            continue
        if len(g) != 2:
            raise NotImplementedError("monotone correction of tables over three stages")
        a, b = g
        rows, cols, grand = t.mean(axis=1), t.mean(axis=0), t.mean()
        main[a] += rows - grand
        main[b] += cols - grand
        inters[(a, b)] = t - rows[:, None] - cols[None, :] + grand
    return main, inters


def _monotone_main_effects(main: list[np.ndarray]) -> list[np.ndarray]:
    return [_closest_with_min_steps(m, (s,), (np.zeros(len(_edges(s)[0])),)) for s, m in enumerate(main)]


def _main_deltas(main: list[np.ndarray], fixed: list[np.ndarray], sign: float) -> dict[tuple[int, ...], np.ndarray]:
    return {(s,): sign * (f - m) for s, (m, f) in enumerate(zip(main, fixed)) if np.any(f != m)}


def main_effect_correction(tables: Tables, kind: str) -> dict[tuple[int, ...], np.ndarray]:
    """The first half of :func:`monotone_correction` alone: main effects made monotone,
    interactions left as fitted (not monotone where they break a step; for comparisons)."""
    if check_monotone(kind) == "none":
        return {}
    sign = 1.0 if kind == "increasing" else -1.0
    main, _ = _anova(fold_tables(tables), sign)
    return _main_deltas(main, _monotone_main_effects(main), sign)


def monotone_correction(tables: Tables, kind: str) -> dict[tuple[int, ...], np.ndarray]:
    """Tables to add to ``tables`` so that the model becomes monotone in size.

    ``kind="increasing"``: the model never decreases when a stage gets one step bigger.
    Each folded stage-pair table is split (functional ANOVA, uniform weights over codes)
    into main effects and a centred interaction. The main effects are made monotone first;
    each one-step rise of a stage's main effect is then a budget that the interactions of
    that stage may use up: it is shared among the stage's partners in proportion to the
    worst drop each interaction has on that step, and every interaction table is changed as
    little as the closest majorant/minorant allows so that none drops by more than its
    share. A step's change is main rise plus interaction changes, each at least minus its
    share, so the whole model is monotone whatever the other stages are. Where the main
    effects are monotone and no interaction drops by more than its share, nothing changes
    (a stage-additive model that is monotone, for one). Raising the main effects by the interactions' worst
    drop instead also guarantees it, but cost far more accuracy (docs/surrogates.md).
    """
    check_monotone(kind)
    if kind == "none":
        return {}
    sign = 1.0 if kind == "increasing" else -1.0
    main, inters = _anova(fold_tables(tables), sign)
    fixed = _monotone_main_effects(main)
    partners: list[list[int]] = [[o for g in inters for o in g if s in g and o != s] for s in range(NUM_STAGES)]
    need: dict[tuple[int, int], np.ndarray] = {}
    for (a, b), inter in inters.items():
        for s, o, arr in ((a, b, inter), (b, a, inter.T)):
            src, dst = _edges(s)
            need[(s, o)] = np.maximum(0.0, -(arr[dst] - arr[src]).min(axis=1))
    budget: dict[tuple[int, int], np.ndarray] = {}
    for s in range(NUM_STAGES):
        src, dst = _edges(s)
        rise = fixed[s][dst] - fixed[s][src]
        total = sum((need[(s, o)] for o in partners[s]), np.zeros(len(src)))
        for o in partners[s]:
            share = np.where(total > 0, need[(s, o)] / np.where(total > 0, total, 1.0), 1.0 / len(partners[s]))
            budget[(s, o)] = rise * share
    out = _main_deltas(main, fixed, sign)
    for (a, b), inter in inters.items():
        delta = sign * (_closest_with_min_steps(inter, (a, b), (-budget[(a, b)], -budget[(b, a)])) - inter)
        if np.any(delta != 0):
            out[(a, b)] = delta.reshape(-1)
    return out


def correction_values(correction: Mapping[tuple[int, ...], np.ndarray], codes: np.ndarray) -> np.ndarray:
    """Sum of the correction tables at stage ``codes`` (n, 7)."""
    out = np.zeros(len(codes))
    for g, delta in correction.items():
        idx = np.ravel_multi_index(tuple(codes[:, s] for s in g), [N_COMBOS[s] for s in g])
        out += np.asarray(delta)[idx]
    return out


def correction_to_arrays(correction: Mapping[tuple[int, ...], np.ndarray]) -> dict[str, np.ndarray]:
    """npz-ready arrays: ``monotone_<bitmask>`` per group."""
    return {f"monotone_{sum(1 << s for s in g)}": np.asarray(v, dtype=np.float64) for g, v in correction.items()}


def correction_from_arrays(arrays: Mapping[str, np.ndarray]) -> dict[tuple[int, ...], np.ndarray]:
    out = {}
    for key, v in arrays.items():
        if not key.startswith("monotone_"):
            continue
        mask = int(key[len("monotone_"):])
        g = tuple(s for s in range(NUM_STAGES) if mask >> s & 1)
        size = int(np.prod([N_COMBOS[s] for s in g]))
        v = np.asarray(v, dtype=np.float64)
        if not g or v.shape != (size,) or not np.all(np.isfinite(v)):
            from naslib_anb.errors import ModelFileError

            raise ModelFileError(f"monotone correction {key!r} has shape {v.shape}, expected ({size},)")
        out[g] = v
    return out


__all__ = ["FLOAT32_TIES", "MONOTONE_CHOICES", "bigger_code", "bigger_neighbours", "check_monotone", "correction_from_arrays", "correction_to_arrays",
           "correction_values", "faster_share", "fold_tables", "main_effect_correction", "monotone_correction"]


#: relative difference below which two predictions of native tree members are a tie: XGBoost sums
#: its trees in float32, so a step a correction made flat can come out faster by that rounding
FLOAT32_TIES = 1e-6


def faster_share(before: np.ndarray, after: np.ndarray, higher_is_faster: bool, rtol: float = 0.0) -> float:
    """Share of steps ``before -> after`` (predictions of one-step-bigger neighbours) that are
    faster by more than ``rtol`` of ``before``: a higher throughput or a lower latency."""
    before, after = np.asarray(before, dtype=np.float64), np.asarray(after, dtype=np.float64)
    tol = rtol * np.abs(before)
    faster = after > before + tol if higher_is_faster else after < before - tol
    return float(np.mean(faster))


def bigger_neighbours(codes: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """For each row of stage ``codes`` (n, 7), one seeded one-step-bigger neighbour: a random stage
    and a random field (more layers, larger expansion or kernel, SE on) that can still grow.
    Returns ``(bigger_codes, field_index)`` with field index 0..3 for e, k, l, se (-1: nothing can grow, row unchanged)."""
    rng = np.random.default_rng(seed)
    codes = np.asarray(codes, dtype=np.int64)
    options = [[[(s, j, b) for j, f in enumerate(("e", "k", "l", "se"))
                 if (b := bigger_code(s, c, f)) is not None] for c in range(N_COMBOS[s])] for s in range(NUM_STAGES)]
    out = codes.copy()
    kinds = np.empty(len(codes), dtype=np.int64)
    for i, row in enumerate(codes):
        choices = [o for s in range(NUM_STAGES) for o in options[s][row[s]]]
        if not choices:  # the largest architecture of the space has no bigger neighbour
            kinds[i] = -1
            continue
        s, j, b = choices[int(rng.integers(len(choices)))]
        out[i, s] = b
        kinds[i] = j
    return out, kinds
