"""Tables and checks over profile directories: summary, run-to-run spread, rank agreement."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from naslib_anb.profiling.sweep import read_records
from naslib_anb.training.ranking import kendall_tau  # noqa: F401 - the shared tau (NaN policy documented there)


def summary_table(out_dir: str | Path):
    """One row per record (pandas DataFrame), see :meth:`ProfileRecord.summary_row`."""
    import pandas as pd

    return pd.DataFrame([r.summary_row() for r in read_records(out_dir)])


def run_to_run(dirs: Sequence[str | Path], column: str = "throughput_mean") -> dict[str, Any]:
    """Spread of ``column`` across repeated sweeps of the same architectures.

    Per architecture: (max - min) / mean over the runs, and the std/mean. Returns the
    median and max over architectures plus the per-architecture values.
    """
    tables = [summary_table(d).set_index("arch") for d in dirs]
    common = sorted(set.intersection(*(set(t.index[t["status"] == "ok"]) for t in tables)))
    per: dict[str, dict[str, float]] = {}
    for a in common:
        v = np.array([float(t.loc[a, column]) for t in tables])
        per[a] = {"range_rel": float((v.max() - v.min()) / v.mean()), "std_rel": float(v.std() / v.mean()),
                  "values": v.tolist()}
    rr = np.array([p["range_rel"] for p in per.values()]) if per else np.array([math.nan])
    return {"column": column, "runs": len(dirs), "archs": len(common),
            "median_range_rel": float(np.median(rr)), "max_range_rel": float(np.max(rr)),
            "mean_range_rel": float(np.mean(rr)), "per_arch": per}
