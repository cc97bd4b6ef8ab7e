"""Stage-structured encoding of architectures for the surrogates.

The network's resolution and channel widths per stage are fixed, so each stage's
cost depends on that stage's four choices only. An architecture is therefore seven
*stage codes* (one per stage: an index into that stage's 36 or 48 ``(e, k, l, se)``
combinations), and every feature a surrogate sees is a per-stage function of one code:
the four choice indices (upstream's ordinal encoding) plus the stage's exact MACs and
parameters. Keeping features per stage lets tree models be restricted to interactions
between at most two stages, and lets :mod:`naslib_anb.surrogates._compile` turn a fitted
tree ensemble into small lookup tables indexed by stage codes.
"""
from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any, Iterable, Sequence

import numpy as np

from naslib_anb.errors import InvalidArchitectureError
from naslib_anb.space.arch import FIELDS, NUM_STAGES, Arch, Stage, field_choices
from naslib_anb.space.cost import arch_cost
from naslib_anb.space.space import DECISIONS, arch_from_indices

#: Per-stage feature names, in column order within a stage block.
STAGE_FEATURES = ("e_idx", "k_idx", "l_idx", "se_idx", "macs_m", "params_m")
N_STAGE_FEATURES = len(STAGE_FEATURES)
N_FEATURES = NUM_STAGES * N_STAGE_FEATURES
FEATURE_NAMES = tuple(f"s{s}_{f}" for s in range(NUM_STAGES) for f in STAGE_FEATURES)


def _stage_combos(stage: int) -> tuple[Stage, ...]:
    return tuple(Stage(*v) for v in itertools.product(*(field_choices(stage, f) for f in FIELDS)))


#: All (e, k, l, se) combinations per stage, in a fixed order; a stage code indexes this.
STAGE_COMBOS: tuple[tuple[Stage, ...], ...] = tuple(_stage_combos(s) for s in range(NUM_STAGES))
N_COMBOS: tuple[int, ...] = tuple(len(c) for c in STAGE_COMBOS)
#: (e, k, l, se) tuple -> code, per stage (tuple keys hash faster than dataclasses).
_CODE_OF: tuple[dict[tuple[Any, ...], int], ...] = tuple(
    {(st.e, st.k, st.l, st.se): i for i, st in enumerate(combos)} for combos in STAGE_COMBOS
)


@lru_cache(maxsize=1)
def stage_feature_tables() -> tuple[np.ndarray, ...]:
    """Per stage, a (n_combos, 6) float32 table: choice indices, stage MACs (M), params (M)."""
    from naslib_anb.space.arch import EFFICIENTNET_B0

    tables = []
    for s in range(NUM_STAGES):
        rows = []
        for st in STAGE_COMBOS[s]:
            stages = list(EFFICIENTNET_B0.stages)
            stages[s] = st
            cost = arch_cost(Arch(tuple(stages)))
            idx = [field_choices(s, f).index(getattr(st, f)) for f in FIELDS]
            rows.append(idx + [cost.stage_macs[s] / 1e6, cost.stage_params[s] / 1e6])
        tables.append(np.asarray(rows, dtype=np.float32))
    return tuple(tables)


def stage_codes(archs: Sequence[Arch]) -> np.ndarray:
    """(n, 7) int64 stage codes of already-parsed architectures."""
    maps = _CODE_OF
    try:
        flat = [maps[i][(st.e, st.k, st.l, st.se)] for a in archs for i, st in enumerate(a.stages)]
    except (AttributeError, KeyError, TypeError):
        bad = next((a for a in archs if not isinstance(a, Arch)), None)
        raise InvalidArchitectureError(bad, "stage_codes needs parsed Arch objects") from None
    return np.asarray(flat, dtype=np.int64).reshape(-1, NUM_STAGES)


def codes_from_ordinal(idx: np.ndarray) -> np.ndarray:
    """Stage codes from the (n, 28) ordinal choice indices (upstream ``get_array()`` order)."""
    idx = np.asarray(idx)
    if idx.ndim != 2 or idx.shape[1] != len(DECISIONS):
        raise InvalidArchitectureError(idx.shape, f"ordinal input needs shape (n, {len(DECISIONS)})")
    if not np.all(np.equal(np.mod(idx, 1), 0)):
        raise InvalidArchitectureError("ordinal", "ordinal indices must be integers")
    archs = [arch_from_indices([int(v) for v in row]) for row in idx]  # validates ranges
    return stage_codes(archs)


def features_from_codes(codes: np.ndarray) -> np.ndarray:
    """(n, 42) float32 feature matrix from stage codes."""
    tables = stage_feature_tables()
    blocks = [tables[s][codes[:, s]] for s in range(NUM_STAGES)]
    return np.hstack(blocks) if blocks else np.zeros((0, N_FEATURES), np.float32)


def to_codes(X: Any) -> np.ndarray:
    """Stage codes from archs (any spelling) or a numeric (n, 28) ordinal array."""
    if isinstance(X, np.ndarray) and X.dtype != object:
        return codes_from_ordinal(X)
    items: Iterable[Any] = X
    archs = [a if isinstance(a, Arch) else Arch.parse(a) for a in items]
    return stage_codes(archs)


def stage_columns(stage: int) -> list[int]:
    return list(range(stage * N_STAGE_FEATURES, (stage + 1) * N_STAGE_FEATURES))


#: Interaction structures a stage-structured model may have. ``star0``: pairs of the first
#: stage with each later one, and no others (TPUv3: its interactions all involve stage 0).
INTERACTIONS = ("none", "stage", "pair", "star0")


def interaction_pairs(kind: str) -> list[tuple[int, int]]:
    """The stage pairs that may interact under ``kind`` (``"none"``: no stage structure at all)."""
    if kind == "stage":
        return []
    if kind == "pair":
        return list(itertools.combinations(range(NUM_STAGES), 2))
    if kind == "star0":
        return [(0, b) for b in range(1, NUM_STAGES)]
    from naslib_anb.errors import UnknownChoiceError

    raise UnknownChoiceError(kind, INTERACTIONS, "interaction constraints")


def interaction_groups(kind: str) -> list[list[int]] | None:
    """Feature groups that may interact: ``"stage"`` (additive over stages), ``"pair"``
    (at most two stages per tree path), ``"star0"`` (stage 0 with one other stage per path)
    or ``"none"`` (unconstrained)."""
    if kind == "none":
        return None
    cols = [stage_columns(s) for s in range(NUM_STAGES)]
    if kind == "stage":
        return cols
    return [cols[a] + cols[b] for a, b in interaction_pairs(kind)]
