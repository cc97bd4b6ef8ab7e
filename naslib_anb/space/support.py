"""Where the data is: the measured architectures and the Hamming distance to them.

A surrogate's prediction is only as good as the training data near it. The 5,125 distinct
architectures of the dataset ship with the package as their 28 ordinal choice indices
(``measured_codes.npz``, about 10 kB), so the distance works offline, without the dataset.

``nearest_measured(archs)`` is the number of the 28 decisions (stage-major, as the
ordinal encoding) in which an architecture differs from the closest measured one: 0 for
a measured architecture, 1 for a one-step neighbour of one, up to 28. It is exact and
vectorised (per-stage distance tables, seven gathers per block of architectures): a few
seconds for 100,000 architectures on one core, tens of microseconds for one.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Union

import numpy as np

from naslib_anb.errors import DataError
from naslib_anb.space.arch import NUM_STAGES, Arch
from naslib_anb.space.codes import DECISIONS, CodesLike, codes_of, stage_choices, stage_index

#: The shipped codes of every distinct measured architecture (rows sorted, uint8).
MEASURED_CODES_FILE = Path(__file__).with_name("measured_codes.npz")

_BLOCK = 1024  # rows per block: 1024 x 5125 uint8 is 5 MB


@lru_cache(maxsize=1)
def measured_codes() -> np.ndarray:
    """(5125, 28) uint8: the ordinal codes of every distinct measured architecture (read-only)."""
    try:
        with np.load(MEASURED_CODES_FILE) as f:
            codes = np.array(f["codes"], dtype=np.uint8)
            digest = str(f["sha256"])
    except (OSError, KeyError, ValueError) as e:
        raise DataError(f"cannot read the shipped measured architectures {MEASURED_CODES_FILE.name}: {e}") from e
    if hashlib.sha256(codes.tobytes()).hexdigest() != digest:
        raise DataError(f"{MEASURED_CODES_FILE.name} does not match its recorded sha256")
    codes.setflags(write=False)
    return codes


def reference_tables(reference: np.ndarray) -> np.ndarray:
    """(7, 48, m) uint8: decisions in which each choice of stage i differs from stage i of each
    row of ``reference`` ((m, 28) ordinal codes); what :func:`nearest_in` gathers from."""
    ref = codes_of(np.asarray(reference)).astype(np.int64)
    tables = np.zeros((NUM_STAGES, 48, ref.shape[0]), dtype=np.uint8)
    for i in range(NUM_STAGES):
        n_layers = len(DECISIONS[4 * i + 2][2])
        for j, _ in enumerate(stage_choices(i)):
            e, rest = divmod(j, 2 * n_layers * 2)
            k, rest = divmod(rest, n_layers * 2)
            l, se = divmod(rest, 2)  # noqa: E741
            tables[i, j] = (ref[:, 4 * i:4 * i + 4] != np.asarray([e, k, l, se])).sum(axis=1)
    return tables


@lru_cache(maxsize=1)
def _stage_distance_tables() -> np.ndarray:
    """(7, 48, n_measured) uint8: decisions in which each choice of stage i differs from each measured stage i."""
    return reference_tables(measured_codes())


def nearest_measured(archs: CodesLike, return_index: bool = False):
    """Hamming distance (0..28 decisions) from each architecture to the nearest measured one.

    ``archs``: architectures (anything ``Arch.parse`` accepts) or an (n, 28) integer array of
    ordinal codes. Returns an (n,) int64 array; with ``return_index=True`` also the row in
    :func:`measured_codes` of one nearest measured architecture (the first in row order).

    The distance is a sum over stages, so it is seven gathers from per-stage tables of the
    distance of every stage choice to every measured stage, added in uint8 blocks.
    """
    return _nearest(archs, _stage_distance_tables(), return_index)


def nearest_in(archs: CodesLike, tables: np.ndarray, return_index: bool = False):
    """As :func:`nearest_measured`, against another reference set (e.g. the architectures a
    surrogate was fitted on), given as its :func:`reference_tables`."""
    return _nearest(archs, tables, return_index)


def _nearest(archs: CodesLike, tables: np.ndarray, return_index: bool):
    stage = stage_index(codes_of(archs))
    dist = np.empty(stage.shape[0], dtype=np.int64)
    idx = np.empty(stage.shape[0], dtype=np.int64)
    for lo in range(0, stage.shape[0], _BLOCK):
        block = stage[lo:lo + _BLOCK]
        d = tables[0, block[:, 0]]  # a copy (fancy indexing)
        for i in range(1, NUM_STAGES):
            d += tables[i, block[:, i]]
        best = d.argmin(axis=1)
        idx[lo:lo + _BLOCK] = best
        dist[lo:lo + _BLOCK] = d[np.arange(d.shape[0]), best]
    return (dist, idx) if return_index else dist


def count_measured_within(archs: CodesLike, radius: int) -> np.ndarray:
    """(n,) int64: how many measured architectures lie within ``radius`` decisions of each one."""
    stage = stage_index(codes_of(archs))
    tables = _stage_distance_tables()
    out = np.empty(stage.shape[0], dtype=np.int64)
    for lo in range(0, stage.shape[0], _BLOCK):
        block = stage[lo:lo + _BLOCK]
        d = tables[0, block[:, 0]]
        for i in range(1, NUM_STAGES):
            d += tables[i, block[:, i]]
        out[lo:lo + _BLOCK] = (d <= radius).sum(axis=1)
    return out


def is_measured(archs: CodesLike) -> np.ndarray:
    """(n,) bool: the architecture itself is in the dataset."""
    return nearest_measured(archs) == 0


def write_measured_codes(archs: Iterable[Arch], path: Union[str, Path] = MEASURED_CODES_FILE) -> np.ndarray:
    """Write the distinct, sorted codes of ``archs`` (the dataset's) with their sha256; returns them.

    This is how the shipped file is made: ``write_measured_codes(load_dataset().archs)``.
    """
    codes = np.unique(codes_of(list(archs)), axis=0).astype(np.uint8)
    digest = hashlib.sha256(codes.tobytes()).hexdigest()
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, codes=codes, sha256=np.array(digest))
    tmp.replace(path)
    measured_codes.cache_clear()
    _stage_distance_tables.cache_clear()
    return codes


__all__ = ["MEASURED_CODES_FILE", "codes_of", "count_measured_within", "measured_codes", "nearest_in", "nearest_measured", "is_measured",
           "reference_tables",
           "write_measured_codes"]
