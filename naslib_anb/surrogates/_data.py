"""Which records a surrogate is fitted and evaluated on, and a checksum of them."""
from __future__ import annotations

import hashlib
import json
from typing import Sequence

import numpy as np

from naslib_anb.data.records import Record
from naslib_anb.space.arch import Arch

#: train_time above this (s) is a straggler/restart, not a cost: excluded from fit and test.
TRAIN_TIME_OUTLIER_S = 5000.0


def usable(records: Sequence[Record], target: str) -> tuple[list[Record], int]:
    """Records with a finite value for ``target`` (train_time outliers removed), and the count dropped."""
    keep = []
    for r in records:
        v = r.value(target)
        if not np.isfinite(v):
            continue
        if target == "train_time" and v > TRAIN_TIME_OUTLIER_S:
            continue
        keep.append(r)
    return keep, len(records) - len(keep)


def xy(records: Sequence[Record], target: str) -> tuple[list[Arch], np.ndarray]:
    recs, _ = usable(records, target)
    return [r.arch for r in recs], np.asarray([r.value(target) for r in recs], dtype=np.float64)


def records_sha256(records: Sequence[Record]) -> str:
    """sha256 of a canonical JSON serialisation of the records (sorted by name)."""
    h = hashlib.sha256()
    for r in sorted(records, key=lambda r: r.name):
        h.update(json.dumps([r.name, r.to_json()], sort_keys=True, separators=(",", ":")).encode())
        h.update(b"\n")
    return h.hexdigest()
