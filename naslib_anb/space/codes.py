"""The architecture as 28 ordinal choice indices ("codes"): the form every vectorised computation uses.

Decision ``d`` is (stage, field, choices) in upstream order (stage-major, fields e, k, l, se);
a code holds the index of the chosen value, so ``Configuration.get_array()`` equals it. Pure
data about the space, no sampling: everything above (cost tables, memory, support, sampling)
reads architectures through here.
"""
from __future__ import annotations

import itertools
import math
from functools import lru_cache
from typing import Any, Iterable, Sequence, Union

import numpy as np

from naslib_anb.errors import InvalidArchitectureError
from naslib_anb.space.arch import (
    EXPANSIONS,
    FIELDS,
    KERNELS,
    LAYERS_STAGE5,
    NUM_STAGES,
    SE_CHOICES,
    Arch,
    field_choices,
    layer_choices,
)

#: Ordered list of the 28 decisions: (stage, field, choices), stage-major as upstream.
DECISIONS: tuple[tuple[int, str, tuple[Any, ...]], ...] = tuple(
    (i, f, field_choices(i, f)) for i in range(NUM_STAGES) for f in FIELDS
)
CARDINALITIES: tuple[int, ...] = tuple(len(c) for _, _, c in DECISIONS)
NUM_DECISIONS: int = len(DECISIONS)  # 28
SPACE_SIZE: int = math.prod(CARDINALITIES)  # 104,485,552,128
NUM_NEIGHBOURS: int = sum(c - 1 for c in CARDINALITIES)  # 43


def arch_from_indices(idx: Sequence[int]) -> Arch:
    """Arch from 28 choice indices (the ordinal encoding)."""
    cols: dict[str, list[Any]] = {f: [] for f in FIELDS}
    for (stage, f, choices), j in zip(DECISIONS, idx):
        cols[f].append(choices[int(j)])
    return Arch.from_fields(**cols)


def arch_to_indices(arch: Arch) -> tuple[int, ...]:
    return _indices(arch)


@lru_cache(maxsize=65536)
def _indices(arch: Arch) -> tuple[int, ...]:
    out = []
    for stage, f, choices in DECISIONS:
        out.append(choices.index(getattr(arch.stages[stage], f)))
    return tuple(out)


def _lut(choices) -> np.ndarray:
    lut = np.full(max(int(c) for c in choices) + 1, -1, dtype=np.int64)
    for i, c in enumerate(choices):
        lut[int(c)] = i
    return lut


#: value -> ordinal index for e, k, l, se (every stage shares them; stage 5 merely allows l = 4)
_VALUE_TO_INDEX = (_lut(EXPANSIONS), _lut(KERNELS), _lut(LAYERS_STAGE5), _lut(SE_CHOICES))

CodesLike = Union[np.ndarray, Sequence[Arch], Iterable[Arch]]


def _checked_array(archs: np.ndarray) -> np.ndarray:
    codes = np.asarray(archs)
    if codes.ndim == 1:
        codes = codes.reshape(1, -1)
    if codes.ndim != 2 or codes.shape[1] != NUM_DECISIONS:
        raise InvalidArchitectureError(
            f"array of shape {archs.shape}", f"codes must have shape (n, {NUM_DECISIONS})")
    if not np.issubdtype(codes.dtype, np.integer):
        raise InvalidArchitectureError(f"array of dtype {codes.dtype}", "codes must be integers")
    codes = codes.astype(np.int64)
    cards = np.asarray(CARDINALITIES)
    bad = (codes < 0) | (codes >= cards)
    if bad.any():
        row, col = map(int, np.argwhere(bad)[0])
        raise InvalidArchitectureError(
            codes[row].tolist(), f"decision {col} is {codes[row, col]}; valid: 0..{cards[col] - 1}")
    return codes


def codes_of(archs: CodesLike) -> np.ndarray:
    """(n, 28) int64 ordinal choice indices of architectures, or a checked copy of a code array."""
    if isinstance(archs, np.ndarray):
        return _checked_array(archs)
    if isinstance(archs, (Arch, str)):
        archs = [archs]
    items = [a if isinstance(a, Arch) else Arch.parse(a) for a in archs]
    # values (e, k, l, se) per stage -> ordinal indices through small lookup tables (no per-arch Python)
    vals = np.fromiter(itertools.chain.from_iterable((s.e, s.k, s.l, s.se) for a in items for s in a.stages),
                       dtype=np.int64, count=len(items) * NUM_DECISIONS).reshape(-1, NUM_STAGES, 4)
    codes = np.empty_like(vals)
    for f, lut in enumerate(_VALUE_TO_INDEX):
        codes[..., f] = lut[vals[..., f]]
    return codes.reshape(-1, NUM_DECISIONS)


def stage_choices(stage: int) -> list[tuple[int, int, int, bool]]:
    """(e, k, l, se) in ordinal order: index = ((ie * 2 + ik) * L + il) * 2 + ise."""
    return list(itertools.product(EXPANSIONS, KERNELS, layer_choices(stage), SE_CHOICES))


_N_LAYERS = np.asarray([len(layer_choices(i)) for i in range(NUM_STAGES)])


def stage_index(codes: np.ndarray) -> np.ndarray:
    """(n, 7) index into a stage's choice table (:func:`stage_choices`) from (n, 28) ordinal codes."""
    c = codes.reshape(-1, NUM_STAGES, 4)
    return ((c[..., 0] * 2 + c[..., 1]) * _N_LAYERS + c[..., 2]) * 2 + c[..., 3]


__all__ = ["DECISIONS", "CARDINALITIES", "NUM_DECISIONS", "SPACE_SIZE", "NUM_NEIGHBOURS", "arch_from_indices",
           "arch_to_indices", "codes_of", "stage_choices", "stage_index", "CodesLike"]
