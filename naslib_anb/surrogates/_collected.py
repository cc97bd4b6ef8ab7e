"""Collected records joining a fit: read them, and add them to the training part of a split.

``naslib-anb fit --collected DIR`` fits on the shipped train+val plus the ANB-schema
records ``runners/collect.py`` wrote. One record per architecture, as the shipped fit has:

* an architecture measured more than once (collected twice, or collected and shipped in
  train+val) becomes one record whose every target is the mean of the measurements that
  have it (a device a collection did not measure keeps the shipped value); it keeps the
  place of the shipped record (train or val part) and is named ``<first name>~mean<count>``;
* an architecture of the test split is left out, so test metrics stay out of sample;
* every other architecture joins the end of the training part (before the val part).

The raw records, not the means, are what label noise is estimated from (repeated
measurements of one architecture are exactly what measures it).
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

import numpy as np

from naslib_anb.data.records import Measurement, Record
from naslib_anb.errors import ConfigError
from naslib_anb.surrogates._data import records_sha256

PathLike = Union[str, Path]


def collected_dir(path: PathLike) -> Path:
    """The directory of result files: a collection's ``results/`` or the directory itself."""
    p = Path(path)
    if not p.is_dir():
        raise ConfigError(f"--collected {p}: not a directory (give a collection's output directory or a "
                          "directory of result_*.json)")
    return p / "results" if (p / "results").is_dir() else p


def load_collected(paths: Iterable[PathLike]) -> list[Record]:
    """Every record under ``paths`` (schema-checked), in path order, then file order."""
    from naslib_anb.data import load_dataset

    out: list[Record] = []
    for path in paths:
        d = collected_dir(path)
        if not any(d.glob("*.json")):
            raise ConfigError(f"--collected {path}: no result_*.json records in {d}")
        out.extend(load_dataset(d, allow_download=False))
    return out


def _mean(values: Sequence[Optional[float]]) -> Optional[float]:
    vals = [float(v) for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(vals)) if vals else None


def average_records(records: Sequence[Record]) -> Record:
    """One record of one architecture: every target the mean of the records that have it."""
    first = records[0]
    if len(records) == 1:
        return first
    if len({r.arch for r in records}) != 1:
        raise ConfigError("average_records: the records are of different architectures")
    perf = {}
    for key in {k for r in records for k in r.perf}:
        ms = [r.perf.get(key, Measurement(None)) for r in records]
        perf[key] = Measurement(_mean([m.mean for m in ms]), _mean([m.std for m in ms]))
    scalar = {f: _mean([getattr(r, f) for r in records]) for f in ("val_top1", "val_top5", "train_time")}
    return Record(name=f"{first.name}~mean{len(records)}", arch=first.arch, macs_m=first.macs_m,
                  params_m=first.params_m, perf=perf, index=first.index, **scalar)


def merge_collected(trainval: Sequence[Record], n_train: Optional[int], collected: Sequence[Record],
                    held_out: Iterable[Record] = ()) -> tuple[list[Record], Optional[int], dict]:
    """(train+val with ``collected`` added, the new size of its train part, what happened).

    ``n_train`` is the size of the train part (the first records), None when train+val has no
    parts (``--split all``); ``held_out`` are the test records, whose architectures are left out.
    """
    test_archs = {r.arch for r in held_out}
    kept = [r for r in collected if r.arch not in test_archs]
    by_arch: dict = defaultdict(list)
    for r in kept:
        by_arch[r.arch].append(r)
    merged, averaged_shipped = [], 0
    for r in trainval:
        extra = by_arch.pop(r.arch, [])
        averaged_shipped += bool(extra)
        merged.append(average_records([r, *extra]))
    new = [average_records(group) for group in by_arch.values()]
    cut = len(merged) if n_train is None else int(n_train)
    out = merged[:cut] + new + merged[cut:]
    info = {
        "records": len(collected), "used": len(kept), "new_architectures": len(new),
        "averaged_with_train_val": averaged_shipped,
        "new_measured_repeatedly": sum(len(g) > 1 for g in by_arch.values()),
        "left_out_in_test": sorted(r.name for r in collected if r.arch in test_archs),
        "names": [r.name for r in kept], "records_sha256": records_sha256(kept),
        "duplicates": "one record per architecture: repeated measurements averaged per target",
    }
    return out, (None if n_train is None else cut + len(new)), info


__all__ = ["average_records", "collected_dir", "load_collected", "merge_collected"]
