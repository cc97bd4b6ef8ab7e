"""Bring results measured elsewhere (TPU, FPGA, a phone, TensorRT) into the profile schema.

Input: CSV or JSON (a list of objects) with one row per architecture. Column ``arch``
(any spelling ``Arch.parse`` accepts) is required; any of ``throughput_mean``,
``throughput_std`` (img/s), ``latency_mean``, ``latency_std`` (ms per batch),
``energy_j_per_image`` and ``error`` (a failed measurement) may be given. The protocol
(precision, batch, resolution, tool) is stated once for the whole file and stored in each
record's environment, as for measured records.
"""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any, Mapping, Optional

from naslib_anb.errors import ConfigError, InvalidArchitectureError
from naslib_anb.io import atomic_write_json
from naslib_anb.profiling.config import _LABEL
from naslib_anb.profiling.records import ProfileRecord, now_iso
from naslib_anb.space.arch import Arch

NUMERIC = ("throughput_mean", "throughput_std", "latency_mean", "latency_std", "energy_j_per_image")


def _rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise ConfigError(f"import file {path} does not exist")
    if path.suffix.lower() == ".json":
        try:
            obj = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not valid JSON ({exc})") from None
        if isinstance(obj, dict):
            obj = obj.get("results", obj.get("rows"))
        if not isinstance(obj, list) or not all(isinstance(r, dict) for r in obj):
            raise ConfigError(f"{path}: expected a list of objects (or {{'results': [...]}})")
        return obj
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _num(v: Any, where: str, col: str) -> Optional[float]:
    if v is None or (isinstance(v, str) and v.strip() in ("", "nan", "NaN", "null", "None")):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: column {col!r} is {v!r}, expected a number") from None
    if not math.isfinite(x) or x < 0:
        raise ConfigError(f"{where}: column {col!r} is {v!r}, expected a finite non-negative number")
    return x


def import_results(path: str | Path, label: str, out_dir: str | Path, environment: Optional[Mapping[str, Any]] = None,
                   bases: Optional[Mapping[str, Any]] = None, overwrite: bool = False) -> dict[str, Any]:
    """Write one profile record per row into ``out_dir``; existing files are kept unless ``overwrite``."""
    if not isinstance(label, str) or not _LABEL.match(label):
        raise ConfigError(f"import: device label {label!r} must be lower-case letters/digits (it becomes a target name)")
    p = Path(path)
    rows = _rows(p)
    if not rows:
        raise ConfigError(f"{p}: no rows")
    if "arch" not in rows[0]:
        raise ConfigError(f"{p}: column 'arch' is required; got columns {sorted(rows[0])}")
    env = {"source_file": p.name, **dict(environment or {})}
    out = Path(out_dir)
    written, kept = [], []
    for i, row in enumerate(rows):
        where = f"{p.name} row {i + 1}"
        try:
            arch = str(Arch.parse(row.get("arch")))
        except InvalidArchitectureError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        vals = {c: _num(row.get(c), where, c) for c in NUMERIC}
        err = row.get("error")
        rec = ProfileRecord(arch=arch, label=label, status="error" if err else "ok", source="imported",
                            environment=env, config={}, started_at=now_iso(),
                            error={"type": "ExternalError", "kind": "error", "message": str(err)} if err else None)
        if vals["throughput_mean"] is not None:
            rec.throughput = {"throughput_mean": vals["throughput_mean"], "throughput_std": vals["throughput_std"],
                              "unit": "img/s", "batch_size": env.get("batch_size")}
        if vals["latency_mean"] is not None:
            rec.latency = {"latency_mean": vals["latency_mean"], "latency_std": vals["latency_std"],
                           "unit": "ms per batch", "batch_size": env.get("latency_batch_size")}
        if vals["energy_j_per_image"] is not None:
            rec.energy = {"method": "external", "unit": "J per image",
                          "gross_j_per_image_mean": vals["energy_j_per_image"]}
        if not err and rec.throughput is None and rec.latency is None:
            raise ConfigError(f"{where}: neither throughput_mean nor latency_mean given (nor error)")
        target = out / f"{arch}.json"
        if target.exists() and not overwrite:
            kept.append(arch)
            continue
        atomic_write_json(target, rec.to_json((bases or {}).get(arch)))
        written.append(arch)
    return {"written": len(written), "kept_existing": len(kept), "out_dir": str(out)}
