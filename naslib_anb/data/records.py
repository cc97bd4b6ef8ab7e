"""Typed records of the ANB dataset, and the schema check that builds them."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from naslib_anb.errors import CorruptDataError, InvalidArchitectureError
from naslib_anb.space.arch import Arch
from naslib_anb.targets import TARGETS

PERF_KEYS = tuple(n for n, t in TARGETS.items() if t.is_device_target)

#: File-index ranges of the three upstream collection campaigns (see README, "Data").
REGIMES = ((0, 1794), (1795, 4078), (4079, 5137))


def regime_of(index: Optional[int]) -> Optional[int]:
    """1, 2 or 3 for upstream files; None for records collected later."""
    if index is None:
        return None
    for r, (lo, hi) in enumerate(REGIMES, start=1):
        if lo <= index <= hi:
            return r
    return None


@dataclass(frozen=True)
class Measurement:
    """Mean and std of one device measurement; ``None`` means not measured (never 0)."""

    mean: Optional[float]
    std: Optional[float] = None


@dataclass(frozen=True)
class Record:
    name: str  # file stem, e.g. "result_17"
    arch: Arch
    val_top1: float
    val_top5: float
    train_time: float
    macs_m: float
    params_m: float
    perf: Mapping[str, Measurement] = field(default_factory=dict)
    index: Optional[int] = None

    @property
    def regime(self) -> Optional[int]:
        return regime_of(self.index)

    def value(self, target: str) -> float:
        """Target value as float; NaN when the measurement is missing."""
        if target in ("val_top1", "val_top5", "train_time"):
            return float(getattr(self, target))
        m = self.perf.get(target)
        if m is None or m.mean is None:
            return math.nan
        return float(m.mean)

    def to_json(self) -> dict[str, Any]:
        """The upstream JSON schema (so new data and old data are one format)."""
        perf = {}
        for key in PERF_KEYS:
            m = self.perf.get(key, Measurement(None, None))
            metric = key.split("_", 1)[0]
            perf[key] = {f"{metric}_mean": m.mean, f"{metric}_std": m.std}
        return {
            "architecture": self.arch.to_dict(),
            "metrics": {"val_top1": self.val_top1, "val_top5": self.val_top5,
                        "train_time": self.train_time},
            "model_info": {"macs": self.macs_m, "params": self.params_m},
            "platform_perf": perf,
        }


#: Physically possible ranges, (low, high, low_inclusive): a value outside is a corrupt file, not data.
_RANGES = {
    "val_top1": (0.0, 100.0, True), "val_top5": (0.0, 100.0, True),
    "train_time": (0.0, math.inf, False), "macs": (0.0, math.inf, False), "params": (0.0, math.inf, False),
    "throughput": (0.0, math.inf, False), "latency": (0.0, math.inf, False), "std": (0.0, math.inf, True),
}


def _number(obj: Any, where: str, name: str, allow_none: bool = False, kind: Optional[str] = None) -> Optional[float]:
    if obj is None and allow_none:
        return None
    value = None
    if not isinstance(obj, bool) and isinstance(obj, (int, float)):
        try:
            value = float(obj)
        except OverflowError:  # an int such as 10**400
            value = None
    if value is None or not math.isfinite(value):
        shown = repr(obj) if len(repr(obj)) <= 40 else repr(obj)[:37] + "..."
        raise CorruptDataError(f"{where}: field {name!r} is {shown}, expected a finite number")
    lo, hi, lo_incl = _RANGES[kind or name]
    if not ((value >= lo if lo_incl else value > lo) and value <= hi):
        bound = f"[{lo:g}, {hi:g}]" if math.isfinite(hi) else (f">= {lo:g}" if lo_incl else f"> {lo:g}")
        raise CorruptDataError(f"{where}: field {name!r} is {value!r}, outside the physically possible range "
                               f"{bound}")
    return value


def _section(d: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    v = d.get(key)
    if not isinstance(v, Mapping):
        raise CorruptDataError(f"{where}: missing or malformed section {key!r}")
    return v


def parse_record(obj: Any, name: str, index: Optional[int] = None, where: Optional[str] = None) -> Record:
    """Validate one upstream JSON object against the schema and build a :class:`Record`.

    ``where`` names the file in error messages (default: the record name).
    """
    where = where or name
    if not isinstance(obj, Mapping):
        raise CorruptDataError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    try:
        arch = Arch.from_dict(_section(obj, "architecture", where))
    except InvalidArchitectureError as exc:
        raise CorruptDataError(f"{where}: {exc}") from None
    metrics = _section(obj, "metrics", where)
    info = _section(obj, "model_info", where)
    pp = obj.get("platform_perf", {})
    if not isinstance(pp, Mapping):
        raise CorruptDataError(f"{where}: malformed section 'platform_perf'")
    perf: dict[str, Measurement] = {}
    for key in PERF_KEYS:
        entry = pp.get(key)
        if entry is None:
            perf[key] = Measurement(None, None)
            continue
        metric = key.split("_", 1)[0]
        if not isinstance(entry, Mapping):
            raise CorruptDataError(f"{where}: platform_perf.{key} is not an object")
        perf[key] = Measurement(
            _number(entry.get(f"{metric}_mean"), where, f"{key}.{metric}_mean", True, metric),
            _number(entry.get(f"{metric}_std"), where, f"{key}.{metric}_std", True, "std"),
        )
    return Record(
        name=name,
        arch=arch,
        val_top1=_number(metrics.get("val_top1"), where, "val_top1"),  # type: ignore[arg-type]
        val_top5=_number(metrics.get("val_top5"), where, "val_top5"),  # type: ignore[arg-type]
        train_time=_number(metrics.get("train_time"), where, "train_time"),  # type: ignore[arg-type]
        macs_m=_number(info.get("macs"), where, "macs"),  # type: ignore[arg-type]
        params_m=_number(info.get("params"), where, "params"),  # type: ignore[arg-type]
        perf=perf,
        index=index,
    )
