"""Profile directories as a :class:`naslib_anb.data.Dataset`, ready for surrogate fitting.

The profiled device is registered as targets ``throughput_<label>`` / ``latency_<label>``
(:func:`naslib_anb.targets.register_device`); accuracy fields that are null (architectures
not in the dataset) become NaN, like any missing measurement. Failed measurements are
dropped unless ``include_failed``.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Sequence

from naslib_anb.errors import CorruptDataError


def register_profiled_device(label: str, environment: dict[str, Any], config: dict[str, Any]) -> None:
    from naslib_anb.targets import DEVICES, register_device

    if label in DEVICES:
        return
    name = environment.get("device_name") or label
    kind = "gpu" if str(environment.get("device", "")).startswith("cuda") else (
        "cpu" if environment.get("device") == "cpu" else "other")
    proto = (f"naslib-anb profile: {environment.get('precision')} "
             f"{'channels_last ' if environment.get('channels_last') else ''}at "
             f"{environment.get('resolution')} px; throughput at batch {environment.get('batch_size')}, "
             f"latency at batch {environment.get('latency_batch_size')} (ms per batch); "
             f"{config.get('repeats', '?')} repeats of {config.get('iters', '?')} batches")
    register_device(label, str(name), kind, protocol=proto)


def load_profiles(dirs: str | Path | Sequence[str | Path], include_failed: bool = False):
    """All profile records of ``dirs`` as one Dataset.

    Records are named by architecture string, prefixed with the folder name when several
    folders are loaded (repeated sweeps of one manifest measure the same architectures).
    """
    from naslib_anb.data.dataset import Dataset
    from naslib_anb.data.records import Measurement, Record
    from naslib_anb.data.records import PERF_KEYS as UPSTREAM_KEYS
    from naslib_anb.profiling.records import ProfileRecord
    from naslib_anb.space.arch import Arch

    if isinstance(dirs, (str, Path)):
        dirs = [dirs]
    records = []
    for d in dirs:
        for p in sorted(Path(d).glob("*.json")):
            obj = json.loads(p.read_text())
            prof = ProfileRecord.from_json(obj, str(p))
            if not prof.ok and not include_failed:
                continue
            register_profiled_device(prof.label, prof.environment, prof.config)
            pp = obj.get("platform_perf") or {}
            perf = {}
            for key, entry in pp.items():
                if not isinstance(entry, dict):
                    continue
                metric = key.split("_", 1)[0]
                if key not in UPSTREAM_KEYS and not key.endswith(f"_{prof.label}"):
                    continue
                perf[key] = Measurement(entry.get(f"{metric}_mean"), entry.get(f"{metric}_std"))

            def num(section: str, field: str) -> float:
                v = (obj.get(section) or {}).get(field)
                if v is None:
                    return math.nan
                if not isinstance(v, (int, float)) or isinstance(v, bool):
                    raise CorruptDataError(f"{p}: {section}.{field} is {v!r}")
                return float(v)

            records.append(Record(
                name=f"{Path(d).name}/{prof.name or prof.arch}" if len(dirs) > 1 else (prof.name or prof.arch),
                arch=Arch.parse(obj["architecture"]),
                val_top1=num("metrics", "val_top1"), val_top5=num("metrics", "val_top5"),
                train_time=num("metrics", "train_time"), macs_m=num("model_info", "macs"),
                params_m=num("model_info", "params"), perf=perf, index=None,
            ))
    if not records:
        raise CorruptDataError(f"no usable profile records in {[str(d) for d in dirs]}")
    return Dataset(records, source=",".join(str(d) for d in dirs))
