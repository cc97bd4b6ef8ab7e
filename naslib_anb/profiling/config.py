"""What a profiling run measures and how, as one validated, frozen config.

Every field ends up in each record (``profiling.config``), so a number is never separated
from the protocol that produced it.
"""
from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

from naslib_anb.errors import ConfigError
from naslib_anb.io import read_yaml_mapping

PRECISIONS = ("fp32", "fp16", "bf16")
MEASUREMENTS = ("throughput", "latency", "energy")
FAIL_MODES = ("raise", "exit", "oom")
PROTOCOLS = ("synthetic", "upstream")
_DEVICE = re.compile(r"^(cpu|cuda(:\d+)?)$")
_LABEL = re.compile(r"^[a-z0-9][a-z0-9]*$")


@dataclass(frozen=True)
class ProfileConfig:
    """Protocol of one profiling run.

    Throughput is measured at ``batch_size``; latency at ``latency_batch_size`` (1 by
    default). One *repeat* is ``iters`` timed forward passes after ``warmup_iters``
    untimed ones; mean/std are taken over the ``repeats`` repeat-level values.
    """

    #: "synthetic": ``iters`` timed batches of one random tensor after ``warmup_iters``;
    #: "upstream": upstream's GPU protocol: the validation images of ``val_data`` (centre crop
    #: ``val_crop_ratio`` resized to ``resolution``), one full untimed pass over them, then
    #: ``repeats`` timed passes; each batch's forward pass is timed alone
    protocol: str = "synthetic"
    val_data: Optional[str] = None  #: ImageFolder of validation images (its val/ split if it has one)
    val_crop_ratio: float = 224 / 256
    val_max_images: Optional[int] = None  #: cap on the validation images (None: all of them)
    device: str = "cuda"
    label: Optional[str] = None  # device name in target keys, e.g. "h100" -> throughput_h100
    precision: str = "fp16"
    channels_last: bool = True
    resolution: int = 224
    batch_size: int = 256
    latency_batch_size: int = 1
    warmup_iters: int = 10
    iters: int = 30
    latency_warmup_iters: int = 20
    latency_iters: int = 100
    repeats: int = 3
    threads: int = 4
    measure: tuple[str, ...] = ("throughput", "latency", "energy")
    energy_window_s: float = 5.0
    energy_repeats: int = 2
    idle_window_s: float = 3.0
    energy_sweep: bool = False  #: also measure energy at batch 1, 2, 4, ... up to the largest that fits
    energy_max_batch: int = 1024  #: top of the sweep (CUDA out-of-memory ends it earlier)
    rapl_root: str = "/sys/class/powercap"  #: where the CPU package counters (RAPL) live
    rapl_dram: bool = False  #: also count the packages' DRAM zones (never psys or other top-level zones)
    cudnn_benchmark: bool = True
    activation: str = "relu"
    num_classes: int = 1000
    model_factory: str = "naslib_anb.models:build_model"
    group_size: int = 8
    isolate: bool = True
    fail_archs: tuple[str, ...] = ()  # failure injection (tests/drills): "ARCH" or "ARCH:raise|exit|oom"
    fail_mode: str = "raise"

    def __post_init__(self) -> None:
        def bad(name: str, why: str) -> ConfigError:
            return ConfigError(f"profile config: {name}={getattr(self, name)!r} {why}")

        if not isinstance(self.device, str) or not _DEVICE.match(self.device):
            raise bad("device", "is not 'cpu', 'cuda' or 'cuda:N'")
        if self.label is not None and (not isinstance(self.label, str) or not _LABEL.match(self.label)):
            raise bad("label", "must be lower-case letters/digits only (it becomes a target name)")
        if self.precision not in PRECISIONS:
            raise bad("precision", f"is not one of {PRECISIONS}")
        if self.protocol not in PROTOCOLS:
            raise ConfigError(f"profile config: protocol={self.protocol!r}; valid: {PROTOCOLS}")
        if self.protocol == "upstream":
            if not self.val_data or not Path(str(self.val_data)).is_dir():
                raise ConfigError(f"profile config: protocol 'upstream' needs val_data, an ImageFolder of validation "
                                  f"images; got {self.val_data!r} (valid: an existing directory)")
        if not isinstance(self.val_crop_ratio, (int, float)) or not 0 < self.val_crop_ratio <= 1:
            raise bad("val_crop_ratio", "must be in (0, 1]")
        if self.val_max_images is not None and (isinstance(self.val_max_images, bool)
                                                or not isinstance(self.val_max_images, int) or self.val_max_images < 1):
            raise bad("val_max_images", "must be null or a positive integer")
        for name in ("energy_sweep", "rapl_dram", "channels_last", "cudnn_benchmark", "isolate"):
            if not isinstance(getattr(self, name), bool):
                raise bad(name, "must be true or false")
        if self.device == "cpu" and self.precision == "fp16":
            raise bad("precision", "fp16 autocast is not supported on CPU; use fp32 or bf16")
        for name in ("resolution", "batch_size", "latency_batch_size", "iters", "latency_iters",
                     "repeats", "threads", "energy_repeats", "group_size", "num_classes", "energy_max_batch"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise bad(name, "must be a positive integer")
        for name in ("warmup_iters", "latency_warmup_iters"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise bad(name, "must be a non-negative integer")
        if self.resolution < 16:
            raise bad("resolution", "must be at least 16 px (five stride-2 stages)")
        for name in ("energy_window_s", "idle_window_s"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                raise bad(name, "must be a positive number of seconds")
        if isinstance(self.measure, str) or not self.measure:
            raise bad("measure", f"must be a non-empty list drawn from {MEASUREMENTS}")
        object.__setattr__(self, "measure", tuple(self.measure))
        for m in self.measure:
            if m not in MEASUREMENTS:
                raise ConfigError(f"profile config: unknown measurement {m!r}; valid: {MEASUREMENTS}")
        if ":" not in self.model_factory:
            raise bad("model_factory", "must be 'module:function'")
        if self.fail_mode not in FAIL_MODES:
            raise bad("fail_mode", f"is not one of {FAIL_MODES}")
        object.__setattr__(self, "fail_archs", tuple(str(a) for a in self.fail_archs))
        for spec in self.fail_archs:
            mode = spec.partition(":")[2]
            if mode and mode not in FAIL_MODES:
                raise ConfigError(f"profile config: fail_archs entry {spec!r} has mode {mode!r}; valid: {FAIL_MODES}")

    @property
    def is_cuda(self) -> bool:
        return self.device.startswith("cuda")

    def replace(self, **changes: Any) -> "ProfileConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["measure"] = list(self.measure)
        d["fail_archs"] = list(self.fail_archs)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ProfileConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError(f"profile config: unknown keys {unknown}; valid: {sorted(names)}")
        kw = dict(d)
        for k in ("measure", "fail_archs"):
            if k in kw and isinstance(kw[k], list):
                kw[k] = tuple(kw[k])
        return cls(**kw)


def load_config(path: Optional[str | Path] = None, **overrides: Any) -> ProfileConfig:
    """Config from a YAML file (keys = field names), then non-None ``overrides`` on top."""
    data: dict[str, Any] = dict(read_yaml_mapping(path, "profile config")) if path is not None else {}
    data.update({k: v for k, v in overrides.items() if v is not None})
    if data.get("threads") == "auto":  # the CPUs this process may use, fixed now and recorded
        data["threads"] = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return ProfileConfig.from_dict(data)


_FAMILIES = ("h200", "h100", "gh200", "a100", "a10g", "a10", "l40s", "l40", "l4", "v100", "t4",
             "4090", "3090", "3080", "2080")


def device_label(device_name: str) -> str:
    """Short lower-case label for a device name: 'NVIDIA H100 80GB HBM3' -> 'h100'."""
    low = device_name.lower()
    for fam in _FAMILIES:
        if re.search(rf"(?<![a-z0-9]){fam}(?![0-9])", low):
            return fam
    slug = re.sub(r"[^a-z0-9]", "", low)
    return slug[:24] or "device"


__all__ = ["ProfileConfig", "load_config", "device_label", "PRECISIONS", "MEASUREMENTS", "FAIL_MODES", "PROTOCOLS"]
