"""Numeric encodings of architectures for surrogates and predictors.

- ``ordinal``: upstream's 28 choice indices, equal to ``Configuration.get_array()``
  (note se=True is 0, se=False is 1, as upstream).
- ``onehot``: 71 indicators, 7 x (3 + 2 + 3 + 2) + 1 (stage 5 has 4 layer choices).
- ``features``: ordinal plus analytic costs (params, MACs, depth, per-stage MACs).
"""
from __future__ import annotations

from typing import Callable, Iterable, Sequence

import numpy as np

from naslib_anb.errors import UnknownChoiceError
from naslib_anb.space.arch import NUM_STAGES, Arch
from naslib_anb.space.cost import arch_cost
from naslib_anb.space.codes import CARDINALITIES, DECISIONS, _indices

ORDINAL_DIM = len(DECISIONS)
ONEHOT_DIM = sum(CARDINALITIES)
_OFFSETS = np.concatenate([[0], np.cumsum(CARDINALITIES)[:-1]]).astype(np.int64)

ORDINAL_NAMES = tuple(f"block{s}_{f}" for s, f, _ in DECISIONS)
FEATURE_NAMES = ORDINAL_NAMES + (
    "params_m",
    "macs_m",
    "depth",
    "num_se",
    *(f"stage{i}_macs_m" for i in range(NUM_STAGES)),
)


def ordinal(archs: Sequence[Arch]) -> np.ndarray:
    """(n, 28) float32 choice indices."""
    return np.asarray([_indices(a) for a in archs], dtype=np.float32).reshape(-1, ORDINAL_DIM)


def onehot(archs: Sequence[Arch]) -> np.ndarray:
    """(n, 71) float32 one-hot blocks, one per decision."""
    idx = np.asarray([_indices(a) for a in archs], dtype=np.int64).reshape(-1, ORDINAL_DIM)
    out = np.zeros((idx.shape[0], ONEHOT_DIM), dtype=np.float32)
    rows = np.arange(idx.shape[0])[:, None]
    out[rows, idx + _OFFSETS] = 1.0
    return out


def _feature_row(a: Arch) -> list[float]:
    c = arch_cost(a)
    return [
        c.params / 1e6,
        c.macs / 1e6,
        float(a.depth),
        float(sum(a.se)),
        *(m / 1e6 for m in c.stage_macs),
    ]


def features(archs: Sequence[Arch]) -> np.ndarray:
    """(n, 28 + 11) float32: ordinal indices plus analytic cost features."""
    ords = ordinal(archs)
    extra = np.asarray([_feature_row(a) for a in archs], dtype=np.float32).reshape(len(ords), -1)
    return np.hstack([ords, extra])


ENCODINGS: dict[str, Callable[[Sequence[Arch]], np.ndarray]] = {
    "ordinal": ordinal,
    "onehot": onehot,
    "features": features,
}


def encode(archs: Iterable[Arch], encoding: str = "ordinal") -> np.ndarray:
    try:
        fn = ENCODINGS[encoding]
    except KeyError:
        raise UnknownChoiceError(encoding, ENCODINGS, "encodings") from None
    return fn(list(archs))
