"""What the dataset measured, shipped with the package: ``Benchmark.measured(archs, target)``.

``measured_values.npz`` holds, for each of the 5,125 distinct measured architectures (rows in
the order of :func:`naslib_anb.space.support.measured_codes`) and each of the 11 targets, the
mean over its records (13 architectures were measured twice) and how many records had the
value (0 where the measurement is missing, e.g. the FPGA nulls). It is made from the dataset by
:func:`write_measured_values` and checked against it in tests/test_measured.py, so a lookup works
offline and is the dataset's number, not a prediction.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Union

import numpy as np

from naslib_anb.errors import DataError
from naslib_anb.space.support import codes_of, measured_codes, nearest_measured
from naslib_anb.targets import TARGETS

MEASURED_VALUES_FILE = Path(__file__).with_name("measured_values.npz")


@dataclass(frozen=True)
class Measured:
    """The dataset's value of one target per architecture, aligned with the query order.

    ``values``: (n,) float64, the mean over the architecture's records; NaN where it was not
    measured. ``counts``: (n,) int64, how many records the mean is over (0: not measured;
    2: a duplicate pair).
    """

    target: str
    values: np.ndarray
    counts: np.ndarray

    @property
    def is_measured(self) -> np.ndarray:
        return self.counts > 0


@lru_cache(maxsize=1)
def _table() -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """(target names, (5125, T) means, (5125, T) counts), checked against the shipped codes."""
    try:
        with np.load(MEASURED_VALUES_FILE) as f:
            names = tuple(str(t) for t in f["targets"])
            values = np.array(f["values"], dtype=np.float64)
            counts = np.array(f["counts"], dtype=np.int64)
            codes_sha = str(f["codes_sha256"])
    except (OSError, KeyError, ValueError) as e:
        raise DataError(f"cannot read the shipped measured values {MEASURED_VALUES_FILE.name}: {e}") from e
    if codes_sha != hashlib.sha256(measured_codes().tobytes()).hexdigest():
        raise DataError(f"{MEASURED_VALUES_FILE.name} was written for other measured architectures "
                        "than measured_codes.npz; rebuild both from the same dataset")
    values.setflags(write=False)
    counts.setflags(write=False)
    return names, values, counts


def measured(archs: Any, target: str) -> Measured:
    """The dataset's ``target`` for each architecture (any spelling, or (n, 28) codes)."""
    names, values, counts = _table()
    if target not in names:
        from naslib_anb.errors import UnknownTargetError

        raise UnknownTargetError(target, names, "these are the targets the dataset measured")
    col = names.index(target)
    dist, row = nearest_measured(codes_of(archs), return_index=True)
    hit = dist == 0
    vals = np.full(len(dist), np.nan)
    cnt = np.zeros(len(dist), dtype=np.int64)
    vals[hit] = values[row[hit], col]
    cnt[hit] = counts[row[hit], col]
    return Measured(target, vals, cnt)


def measured_table(dataset: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(codes, means, counts) of a dataset: rows = distinct architectures in sorted code order,
    columns = every target; means over the records that have the value."""
    codes = codes_of(dataset.archs).astype(np.uint8)
    uniq, inverse = np.unique(codes, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    names = list(TARGETS)
    sums = np.zeros((len(uniq), len(names)))
    counts = np.zeros((len(uniq), len(names)), dtype=np.int64)
    for j, t in enumerate(names):
        v = dataset.values(t)
        ok = np.isfinite(v)
        np.add.at(sums[:, j], inverse[ok], v[ok])
        np.add.at(counts[:, j], inverse[ok], 1)
    with np.errstate(invalid="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return uniq, means, counts


def write_measured_values(dataset: Any, path: Union[str, Path] = MEASURED_VALUES_FILE) -> Path:
    """Write the shipped file from a dataset (``write_measured_values(load_dataset())``)."""
    codes, means, counts = measured_table(dataset)
    if not np.array_equal(codes, measured_codes()):
        raise DataError("the dataset's distinct architectures differ from measured_codes.npz; "
                        "rewrite that first (naslib_anb.space.support.write_measured_codes)")
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, targets=np.asarray(list(TARGETS)), values=means, counts=counts.astype(np.uint8),
                        codes_sha256=np.array(hashlib.sha256(codes.tobytes()).hexdigest()))
    tmp.replace(path)
    _table.cache_clear()
    return path


__all__ = ["Measured", "measured", "measured_table", "write_measured_values", "MEASURED_VALUES_FILE"]
