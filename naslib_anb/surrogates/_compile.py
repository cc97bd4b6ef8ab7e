"""Compile tree ensembles over stage features into lookup tables indexed by stage codes.

Every feature of :mod:`naslib_anb.surrogates._encoding` belongs to one stage and is a
function of that stage's code, so a tree leaf's indicator (a conjunction of interval
conditions along its path) is a function of the stage codes of the stages its path
touches. A tree is the sum of ``value * indicator`` over its leaves, hence a whole
ensemble is exactly a sum of tables over the (usually one or two) stages of each path.
Prediction becomes one gather per table: no tree traversal, no native library call.

The compiled model is exact up to float64 summation order; the tests compare it
against the native library's own prediction.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from naslib_anb.errors import ModelFileError
from naslib_anb.space.arch import NUM_STAGES
from naslib_anb.surrogates._encoding import N_COMBOS, N_FEATURES, N_STAGE_FEATURES, stage_feature_tables

#: Largest table a single leaf group may need (three stages: 36*36*48 entries).
MAX_GROUP_ENTRIES = 36 * 36 * 48
_STAGE_OF_FEATURE = np.arange(N_FEATURES) // N_STAGE_FEATURES


class NotCompilableError(ValueError):
    """A model's tree paths touch too many stages to be tabulated."""


@dataclass
class Leaves:
    """All leaves of one model: value and per-feature bounds ``lo <= x < hi``."""

    value: np.ndarray  # (L,) float64
    lo: np.ndarray  # (L, N_FEATURES) float64
    hi: np.ndarray  # (L, N_FEATURES) float64
    base: float


def _leaves_from_arrays(left: np.ndarray, right: np.ndarray, feat: np.ndarray, thr: np.ndarray,
                        leaf_value: np.ndarray, roots: np.ndarray, le: bool) -> tuple:
    """Leaf bounds of many trees stored as flat node arrays with global child ids.

    ``le`` selects the split rule: ``x <= thr`` goes left (LightGBM) or ``x < thr`` (XGBoost).
    """
    n = len(left)
    lo = np.full((n, N_FEATURES), -np.inf)
    hi = np.full((n, N_FEATURES), np.inf)
    frontier = roots
    while frontier.size:
        internal = frontier[left[frontier] >= 0]
        if not internal.size:
            break
        f = feat[internal]
        t = thr[internal].astype(np.float64)
        cut = np.nextafter(t, np.inf) if le else t
        lch, rch = left[internal], right[internal]
        lo[lch] = lo[internal]
        hi[lch] = hi[internal]
        lo[rch] = lo[internal]
        hi[rch] = hi[internal]
        hi[lch, f] = np.minimum(hi[lch, f], cut)
        lo[rch, f] = np.maximum(lo[rch, f], cut)
        frontier = np.concatenate([lch, rch])
    is_leaf = left < 0
    return leaf_value[is_leaf].astype(np.float64), lo[is_leaf], hi[is_leaf]


def xgboost_leaves(booster) -> Leaves:
    """Leaves of a (single-output, gbtree) XGBoost booster, read from its UBJSON serialisation."""
    from naslib_anb.surrogates._ubjson import loads

    model = loads(booster.save_raw("ubj"))
    learner = model["learner"]
    gb = learner["gradient_booster"]
    if gb.get("name") != "gbtree":
        raise NotCompilableError(f"booster type {gb.get('name')!r} is not gbtree")
    trees = gb["model"]["trees"]
    base = float(str(learner["learner_model_param"]["base_score"]).strip("[]"))
    lefts, rights, feats, thrs, vals, roots = [], [], [], [], [], []
    off = 0
    for t in trees:
        left = np.asarray(t["left_children"], dtype=np.int64).reshape(-1)
        right = np.asarray(t["right_children"], dtype=np.int64).reshape(-1)
        cond = np.asarray(t["split_conditions"], dtype=np.float32).reshape(-1)
        lefts.append(np.where(left >= 0, left + off, -1))
        rights.append(np.where(right >= 0, right + off, -1))
        feats.append(np.asarray(t["split_indices"], dtype=np.int64).reshape(-1))
        thrs.append(cond)
        vals.append(cond)  # a leaf's split_condition holds its value
        roots.append(off)
        off += len(left)
    if not trees:
        return Leaves(np.zeros(0), np.zeros((0, N_FEATURES)), np.zeros((0, N_FEATURES)), base)
    v, lo, hi = _leaves_from_arrays(np.concatenate(lefts), np.concatenate(rights),
                                    np.concatenate(feats), np.concatenate(thrs),
                                    np.concatenate(vals), np.asarray(roots), le=False)
    return Leaves(v, lo, hi, base)


def lightgbm_leaves(booster) -> Leaves:
    """Leaves of a LightGBM regression booster, from ``dump_model()``."""
    dump = booster.dump_model()
    lefts, rights, feats, thrs, vals, roots = [], [], [], [], [], []
    counter = [0]

    def walk(node) -> int:
        i = counter[0]
        counter[0] += 1
        lefts.append(-1)
        rights.append(-1)
        feats.append(0)
        thrs.append(0.0)
        vals.append(float(node.get("leaf_value", 0.0)))
        if "split_index" in node:
            if node.get("decision_type", "<=") != "<=":
                raise NotCompilableError(f"decision type {node.get('decision_type')!r}")
            feats[i] = int(node["split_feature"])
            thrs[i] = float(node["threshold"])
            lefts[i] = walk(node["left_child"])
            rights[i] = walk(node["right_child"])
        return i

    for info in dump["tree_info"]:
        roots.append(walk(info["tree_structure"]))
    v, lo, hi = _leaves_from_arrays(np.asarray(lefts), np.asarray(rights), np.asarray(feats),
                                    np.asarray(thrs, dtype=np.float64), np.asarray(vals),
                                    np.asarray(roots, dtype=np.int64), le=True)
    return Leaves(v, lo, hi, 0.0)


def _stage_masks(leaves: Leaves, stage: int, rows: np.ndarray) -> np.ndarray:
    """(len(rows), n_combos) bool: which codes of ``stage`` satisfy each selected leaf's conditions."""
    z = stage_feature_tables()[stage].astype(np.float64)  # (C, F)
    mask = np.ones((len(rows), len(z)), dtype=bool)
    for j in range(N_STAGE_FEATURES):
        f = stage * N_STAGE_FEATURES + j
        lo, hi = leaves.lo[rows, f], leaves.hi[rows, f]
        active = np.isfinite(lo) | np.isfinite(hi)
        if active.any():
            r = np.flatnonzero(active)
            mask[r] &= (z[None, :, j] >= lo[r, None]) & (z[None, :, j] < hi[r, None])
    return mask


def tabulate(leaves: Leaves) -> tuple[dict[tuple[int, ...], np.ndarray], float]:
    """One model -> ``{stage tuple: flat table}`` plus a constant."""
    constrained = np.isfinite(leaves.lo) | np.isfinite(leaves.hi)
    stage_used = np.zeros((len(leaves.value), NUM_STAGES), dtype=bool)
    for s in range(NUM_STAGES):
        stage_used[:, s] = constrained[:, _STAGE_OF_FEATURE == s].any(axis=1)
    keys = stage_used @ (1 << np.arange(NUM_STAGES))
    const = leaves.base
    tables: dict[tuple[int, ...], np.ndarray] = {}
    for key in np.unique(keys):
        sel = np.flatnonzero(keys == key)
        v = leaves.value[sel]
        stages = tuple(s for s in range(NUM_STAGES) if key >> s & 1)
        if not stages:
            const += float(v.sum())
            continue
        size = int(np.prod([N_COMBOS[s] for s in stages]))
        if len(stages) > 3 or size > MAX_GROUP_ENTRIES:
            raise NotCompilableError(f"tree paths touch stages {stages}: table of {size} entries")
        ms = [_stage_masks(leaves, s, sel).astype(np.float64) for s in stages]
        if len(stages) == 1:
            tab = v @ ms[0]
        elif len(stages) == 2:
            tab = (ms[0] * v[:, None]).T @ ms[1]
        else:
            tab = np.einsum("l,la,lb,lc->abc", v, *ms, optimize=True)
        tables[stages] = tab.reshape(-1)
    return tables, const


class TableModel:
    """Several models (ensemble members) compiled to stacked tables: ``evaluate(codes) -> (n, m)``."""

    def __init__(self, members: Sequence[tuple[dict[tuple[int, ...], np.ndarray], float]]):
        m = len(members)
        groups = sorted({g for tabs, _ in members for g in tabs}, key=lambda g: (len(g), g))
        # fold single-stage tables into a larger group that contains the stage
        targets: dict[tuple[int, ...], tuple[int, ...]] = {}
        for g in groups:
            host = next((h for h in groups if len(h) > len(g) and set(g) <= set(h)), None)
            targets[g] = host if host is not None else g
        for g in groups:  # hosts may themselves be folded: follow to a layout group
            while targets[targets[g]] != targets[g]:
                targets[g] = targets[targets[g]]
        layout = [g for g in groups if targets[g] == g]
        sizes = [int(np.prod([N_COMBOS[s] for s in g])) for g in layout]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64) if layout else np.zeros(0, np.int64)
        table = np.zeros((int(sum(sizes)) or 1, m), dtype=np.float64)
        for j, (tabs, _) in enumerate(members):
            for g, t in tabs.items():
                h = targets[g]
                k = layout.index(h)
                shape = [N_COMBOS[s] for s in h]
                full = t.reshape([N_COMBOS[s] for s in g])
                # broadcast a sub-group table over the host's other axes
                expand = [h.index(s) for s in g]
                view_shape = [1] * len(h)
                for ax, s in zip(expand, g):
                    view_shape[ax] = N_COMBOS[s]
                order = np.argsort(expand)
                full = np.transpose(full, order).reshape(view_shape)
                table[offsets[k]:offsets[k] + sizes[k], j] += np.broadcast_to(full, shape).reshape(-1)
        width = max((len(g) for g in layout), default=1)
        self.stages = np.zeros((len(layout), width), dtype=np.int64)
        self.strides = np.zeros((len(layout), width), dtype=np.int64)
        for k, g in enumerate(layout):
            stride = 1
            for ax in reversed(range(len(g))):
                self.stages[k, ax] = g[ax]
                self.strides[k, ax] = stride
                stride *= N_COMBOS[g[ax]]
        self.offsets = offsets
        self.layout = layout
        # stored as float32 (half the package size); rounding is applied here too, so a fitted
        # model and its saved copy predict identically. Error ~1e-7 relative per entry, below
        # the float32 accumulation noise of the libraries themselves.
        self.table = table.astype(np.float32).astype(np.float64)
        self.base = np.asarray([c for _, c in members], dtype=np.float64)
        self.n_outputs = m

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"table": self.table.astype(np.float32), "base": self.base, "stages": self.stages, "strides": self.strides,
                "offsets": self.offsets,
                "layout": np.asarray([sum(1 << s for s in g) for g in self.layout], dtype=np.int64)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "TableModel":
        self = cls.__new__(cls)
        self.table = np.ascontiguousarray(arrays["table"], dtype=np.float64)
        self.base = np.asarray(arrays["base"], dtype=np.float64)
        self.stages = np.asarray(arrays["stages"], dtype=np.int64)
        self.strides = np.asarray(arrays["strides"], dtype=np.int64)
        self.offsets = np.asarray(arrays["offsets"], dtype=np.int64)
        self.layout = [tuple(s for s in range(NUM_STAGES) if int(k) >> s & 1) for k in arrays["layout"]]
        self.n_outputs = int(self.table.shape[1])
        if self.base.shape != (self.n_outputs,) or len(self.offsets) != len(self.layout):
            raise ModelFileError("compiled tables are inconsistent (shapes do not match)")
        return self

    def evaluate(self, codes: np.ndarray) -> np.ndarray:
        """(n, m) raw (transformed-space) outputs for (n, 7) stage codes."""
        if not self.layout:
            return np.broadcast_to(self.base, (len(codes), self.n_outputs)).copy()
        idx = (codes[:, self.stages] * self.strides).sum(axis=2) + self.offsets  # (n, G)
        return self.table[idx].sum(axis=1) + self.base


def compile_members(leaf_sets: Iterable[Leaves]) -> TableModel:
    return TableModel([tabulate(lv) for lv in leaf_sets])
