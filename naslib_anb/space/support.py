"""Where the data is: the measured architectures and the Hamming distance to them.

A surrogate's prediction is only as good as the training data near it. The 5,125 distinct
architectures of the dataset ship with the package as their 28 ordinal choice indices
(``measured_codes.npz``, about 10 kB), so the distance works offline, without the dataset.

``nearest_measured(archs)`` is the number of the 28 decisions (stage-major, as the
ordinal encoding) in which an architecture differs from the closest measured one: 0 for
a measured architecture, 1 for a one-step neighbour of one, up to 28. It is exact and
vectorised: the count of shared choices is a product of one-hot encodings, computed in
float32 blocks (exact for integers this small), about a second for 100,000 architectures.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence, Union

import numpy as np

from naslib_anb.errors import DataError, InvalidArchitectureError
from naslib_anb.space.arch import Arch
from naslib_anb.space.space import CARDINALITIES, DECISIONS, _indices

#: The shipped codes of every distinct measured architecture (rows sorted, uint8).
MEASURED_CODES_FILE = Path(__file__).with_name("measured_codes.npz")

_NUM_DECISIONS = len(DECISIONS)
_OFFSETS = np.concatenate([[0], np.cumsum(CARDINALITIES)[:-1]]).astype(np.int64)
_ONEHOT_DIM = int(sum(CARDINALITIES))
_BLOCK = 4096  # rows per matmul block: 4096 x 5125 float32 is 84 MB

CodesLike = Union[np.ndarray, Sequence[Arch], Iterable[Arch]]


def codes_of(archs: CodesLike) -> np.ndarray:
    """(n, 28) int64 ordinal choice indices of architectures, or a checked copy of a code array."""
    if isinstance(archs, np.ndarray):
        codes = np.asarray(archs)
        if codes.ndim == 1:
            codes = codes.reshape(1, -1)
        if codes.ndim != 2 or codes.shape[1] != _NUM_DECISIONS:
            raise InvalidArchitectureError(
                f"array of shape {archs.shape}", f"codes must have shape (n, {_NUM_DECISIONS})")
        if not np.issubdtype(codes.dtype, np.integer):
            raise InvalidArchitectureError(f"array of dtype {codes.dtype}", "codes must be integers")
        codes = codes.astype(np.int64)
        cards = np.asarray(CARDINALITIES)
        bad = (codes < 0) | (codes >= cards)
        if bad.any():
            row, col = map(int, np.argwhere(bad)[0])
            raise InvalidArchitectureError(
                codes[row].tolist(),
                f"decision {col} is {codes[row, col]}; valid: 0..{cards[col] - 1}")
        return codes
    if isinstance(archs, (Arch, str)):
        archs = [archs]
    rows = [_indices(a if isinstance(a, Arch) else Arch.parse(a)) for a in archs]
    return np.asarray(rows, dtype=np.int64).reshape(-1, _NUM_DECISIONS)


def _onehot(codes: np.ndarray) -> np.ndarray:
    out = np.zeros((codes.shape[0], _ONEHOT_DIM), dtype=np.float32)
    out[np.arange(codes.shape[0])[:, None], codes + _OFFSETS] = 1.0
    return out


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


@lru_cache(maxsize=1)
def _measured_onehot_t() -> np.ndarray:
    return np.ascontiguousarray(_onehot(measured_codes().astype(np.int64)).T)


def nearest_measured(archs: CodesLike, return_index: bool = False):
    """Hamming distance (0..28 decisions) from each architecture to the nearest measured one.

    ``archs``: architectures (anything ``Arch.parse`` accepts) or an (n, 28) integer array of
    ordinal codes. Returns an (n,) int64 array; with ``return_index=True`` also the row in
    :func:`measured_codes` of one nearest measured architecture (the first in row order).
    """
    codes = codes_of(archs)
    ref = _measured_onehot_t()
    dist = np.empty(codes.shape[0], dtype=np.int64)
    idx = np.empty(codes.shape[0], dtype=np.int64)
    for lo in range(0, codes.shape[0], _BLOCK):
        shared = _onehot(codes[lo:lo + _BLOCK]) @ ref  # number of equal decisions, exact in float32
        best = shared.argmax(axis=1)
        idx[lo:lo + _BLOCK] = best
        dist[lo:lo + _BLOCK] = _NUM_DECISIONS - np.rint(shared[np.arange(shared.shape[0]), best]).astype(np.int64)
    return (dist, idx) if return_index else dist


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
    _measured_onehot_t.cache_clear()
    return codes


__all__ = ["MEASURED_CODES_FILE", "codes_of", "measured_codes", "nearest_measured", "is_measured",
           "write_measured_codes"]
