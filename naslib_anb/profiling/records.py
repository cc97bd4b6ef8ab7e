"""Profiling results, and their place in the dataset's JSON schema.

A profile file is an upstream dataset record (``architecture``, ``metrics``,
``model_info``, ``platform_perf``) with two additions that keep every upstream field
intact:

* ``platform_perf`` gains ``throughput_<label>`` / ``latency_<label>`` entries for the
  profiled device, in the upstream shape ``{"throughput_mean", "throughput_std"}``
  (img/s) and ``{"latency_mean", "latency_std"}`` (ms per batch at the latency batch);
* a ``profiling`` block holds the status, the error of a failed measurement, the raw
  repeats, energy, the environment and the config.

``metrics`` holds the dataset's accuracy when the architecture is in the dataset and
nulls otherwise; upstream ``platform_perf`` keys are copied from the dataset or null.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from naslib_anb.errors import CorruptDataError
from naslib_anb.space.arch import Arch

SCHEMA = "naslib_anb.profile/1"
STATUSES = ("ok", "error")


@dataclass
class ProfileRecord:
    """One architecture measured (or failed) on one device under one config."""

    arch: str
    label: str
    status: str
    throughput: Optional[dict[str, Any]] = None
    latency: Optional[dict[str, Any]] = None
    energy: Optional[dict[str, Any]] = None
    error: Optional[dict[str, Any]] = None
    environment: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    source: str = "measured"  # measured | imported
    name: Optional[str] = None  # dataset record name when the arch came from the dataset
    started_at: Optional[str] = None
    duration_s: Optional[float] = None
    attempts: int = 1

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise CorruptDataError(f"profile record {self.arch}: status {self.status!r}; valid: {STATUSES}")
        self.arch = str(Arch.parse(self.arch))

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def perf_entries(self) -> dict[str, dict[str, Optional[float]]]:
        """The ``platform_perf`` entries of this device in the upstream shape."""
        t = self.throughput or {}
        lat = self.latency or {}
        return {
            f"throughput_{self.label}": {"throughput_mean": t.get("throughput_mean"),
                                         "throughput_std": t.get("throughput_std")},
            f"latency_{self.label}": {"latency_mean": lat.get("latency_mean"),
                                      "latency_std": lat.get("latency_std")},
        }

    def to_json(self, base: Any = None) -> dict[str, Any]:
        """Dataset-schema JSON. ``base``: the dataset :class:`Record` of this arch (or its JSON), if any."""
        import copy

        arch = Arch.parse(self.arch)
        if base is not None:
            doc = copy.deepcopy(dict(base)) if isinstance(base, Mapping) else base.to_json()
            doc.pop("profiling", None)
        else:
            from naslib_anb.data.records import PERF_KEYS
            from naslib_anb.space.cost import arch_cost

            cost = arch_cost(arch, 224)
            doc = {
                "architecture": arch.to_dict(),
                "metrics": {"val_top1": None, "val_top5": None, "train_time": None},
                "model_info": {"macs": cost.macs_m, "params": cost.params_m},
                "platform_perf": {k: {f"{k.split('_', 1)[0]}_mean": None, f"{k.split('_', 1)[0]}_std": None}
                                  for k in PERF_KEYS},
            }
        doc["platform_perf"].update(self.perf_entries())
        doc["profiling"] = {
            "schema": SCHEMA, "device": self.label, "arch": self.arch, "name": self.name,
            "protocol": self.config.get("protocol", "synthetic"), "status": self.status, "error": self.error, "source": self.source,
            "throughput": self.throughput, "latency": self.latency, "energy": self.energy,
            "environment": self.environment, "config": self.config,
            "started_at": self.started_at, "duration_s": self.duration_s, "attempts": self.attempts,
        }
        return doc

    @classmethod
    def from_json(cls, obj: Mapping[str, Any], where: str = "profile record") -> "ProfileRecord":
        prof = obj.get("profiling") if isinstance(obj, Mapping) else None
        if not isinstance(prof, Mapping) or prof.get("schema") != SCHEMA:
            raise CorruptDataError(f"{where}: no 'profiling' block of schema {SCHEMA!r}")
        try:
            return cls(
                arch=prof["arch"], label=prof["device"], status=prof["status"],
                throughput=prof.get("throughput"), latency=prof.get("latency"), energy=prof.get("energy"),
                error=prof.get("error"), environment=dict(prof.get("environment") or {}),
                config=dict(prof.get("config") or {}), source=prof.get("source", "measured"),
                name=prof.get("name"), started_at=prof.get("started_at"),
                duration_s=prof.get("duration_s"), attempts=int(prof.get("attempts", 1)),
            )
        except KeyError as exc:
            raise CorruptDataError(f"{where}: profiling block lacks {exc}") from None

    def summary_row(self) -> dict[str, Any]:
        """Flat row for tables and CSV export."""
        t, lat, e = self.throughput or {}, self.latency or {}, self.energy or {}
        nan = math.nan
        return {
            "arch": self.arch, "device": self.label, "status": self.status,
            "protocol": self.config.get("protocol", "synthetic"),
            "throughput_mean": t.get("throughput_mean", nan), "throughput_std": t.get("throughput_std", nan),
            "latency_ms_mean": lat.get("latency_mean", nan), "latency_ms_std": lat.get("latency_std", nan),
            "energy_gross_j_per_image": e.get("gross_j_per_image_mean", nan),
            "energy_net_j_per_image": e.get("net_j_per_image_mean", nan),
            "cpu_energy_gross_j_per_image": (e.get("cpu_package") or {}).get("gross_j_per_image_mean", nan),
            "idle_power_w": e.get("idle_power_w", nan), "mean_power_w": e.get("mean_power_w", nan),
            "error": (self.error or {}).get("message"),
            "precision": self.environment.get("precision"), "resolution": self.environment.get("resolution"),
            "batch_size": self.environment.get("batch_size"), "threads": self.environment.get("threads"),
        }


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def error_info(exc: BaseException, stage: str) -> dict[str, Any]:
    """An exception as data: type, message, where in the protocol, and the traceback tail."""
    import traceback

    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    kind = "oom" if "OutOfMemory" in type(exc).__name__ or "out of memory" in str(exc).lower() else "error"
    return {"type": type(exc).__name__, "kind": kind, "message": str(exc)[:2000], "stage": stage,
            "traceback": "".join(tb)[-3000:]}
