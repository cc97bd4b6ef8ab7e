"""Registry of benchmark targets: accuracy, cost, and device x metric, with units and protocol.

Every place that names a target (dataset export, surrogates, CLI, NASLib adapter) goes
through :func:`get_target`, so an unknown device or metric fails once, here, with the
valid choices listed.
"""
from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch
from typing import Optional

from naslib_anb.errors import UnknownDeviceError, UnknownMetricError, UnknownTargetError


@dataclass(frozen=True)
class Device:
    name: str
    description: str
    kind: str  # gpu | tpu | fpga


@dataclass(frozen=True)
class Target:
    """One predictable quantity. ``device``/``metric`` are set for device targets only."""

    name: str
    unit: str
    higher_is_better: bool
    description: str
    protocol: str
    device: Optional[str] = None
    metric: Optional[str] = None

    @property
    def is_device_target(self) -> bool:
        return self.device is not None


DEVICES: dict[str, Device] = {
    d.name: d
    for d in (
        Device("a100", "NVIDIA A100 40GB", "gpu"),
        Device("3090", "NVIDIA RTX 3090", "gpu"),
        Device("tpuv2", "Google TPUv2, one core", "tpu"),
        Device("tpuv3", "Google TPUv3, one core", "tpu"),
        Device("zcu102", "Xilinx ZCU102 (DPUCZDX8G B4096), int8", "fpga"),
        Device("vck190", "Xilinx VCK190 (DPUCVDX8G), int8", "fpga"),
    )
}
METRICS = ("throughput", "latency")

_GPU_PROTO = (
    "fp16 autocast, channels_last, eval mode; only the forward pass timed with CUDA events, "
    "synchronised per batch, over the ImageNet val set; 1 warm-up + 3 measured passes; "
    "throughput = images / summed forward time. Resolution as upstream (224 nominal; the upstream "
    "loader may have used 256)"
)
_TPU_PROTO = (
    "one TPU core, bf16, eval mode, 224 px, batch 64 (v2) / 128 (v3); xm.RateTracker sampled every "
    "50 steps from step 300 on; mean/std of the samples"
)
_FPGA_THR = (
    "Vitis-AI 8-bit post-training quantisation, VART runners, best thread count (5 on ZCU102, 6 on "
    "VCK190), images / wall time over ~1000 ImageNet images; no std recorded"
)
_FPGA_LAT = (
    "single thread, per batch of {b} image(s) ({note}); milliseconds per batch, no std recorded"
)

TARGETS: dict[str, Target] = {}


def _add(t: Target) -> None:
    TARGETS[t.name] = t


_add(Target("val_top1", "%", True, "ImageNet val top-1 after 16-epoch p* proxy training",
            "best of the validation passes after epochs 13-15, 256 px centre crop, one seed"))
_add(Target("val_top5", "%", True, "ImageNet val top-5 after p* training", "as val_top1"))
_add(Target("train_time", "s", False, "wall-clock of the whole p* run on one 4x RTX 3090 node",
            "validation included; 16 records above 5000 s are stragglers/restarts"))
for _dev in DEVICES.values():
    if _dev.kind == "gpu":
        proto = _GPU_PROTO
    elif _dev.kind == "tpu":
        proto = _TPU_PROTO
    else:
        proto = _FPGA_THR
    _add(Target(f"throughput_{_dev.name}", "img/s", True, f"inference throughput on {_dev.description}",
                proto, _dev.name, "throughput"))
_add(Target("latency_zcu102", "ms", False, "inference latency on ZCU102",
            _FPGA_LAT.format(b=1, note="batch 1"), "zcu102", "latency"))
_add(Target("latency_vck190", "ms", False, "inference latency on VCK190",
            _FPGA_LAT.format(b=6, note="batch 6, the DPU's minimum; per batch, not per image"),
            "vck190", "latency"))

#: the six devices of the upstream data; more can be added with :func:`register_device`
BUILTIN_DEVICES = tuple(DEVICES)
ACCURACY_TARGETS = ("val_top1", "val_top5")
DEVICE_TARGETS = tuple(n for n, t in TARGETS.items() if t.is_device_target)


def list_targets(pattern: str = "*") -> list[str]:
    return [n for n in TARGETS if fnmatch(n, pattern)]


def device_pairs() -> list[tuple[str, str]]:
    return [(t.device, t.metric) for t in TARGETS.values() if t.is_device_target]  # type: ignore[misc]


def get_target(name: str) -> Target:
    if not isinstance(name, str) or name not in TARGETS:
        raise UnknownTargetError(name, TARGETS)
    return TARGETS[name]


def device_target(device: str, metric: str = "throughput") -> Target:
    """The target for ``(device, metric)``; latency exists for the FPGAs only."""
    if not isinstance(device, str) or device not in DEVICES:
        raise UnknownDeviceError(device, DEVICES)
    if not isinstance(metric, str) or metric not in METRICS:
        raise UnknownMetricError(metric, METRICS)
    name = f"{metric}_{device}"
    if name not in TARGETS:
        pairs = [f"{d}/{m}" for d, m in device_pairs()]
        raise UnknownMetricError(
            metric, [m for d, m in device_pairs() if d == device],
            f"device {device!r} has no {metric}; valid device/metric pairs: {', '.join(pairs)}",
        )
    return TARGETS[name]


def resolve_target(target: str | None = None, device: str | None = None,
                   metric: str | None = None) -> Target:
    """One front door: a target name, or a device (+ metric, default throughput).

    A target name together with a device must name the same target: one answer is returned,
    so a mismatch is refused rather than one of the two silently ignored.
    """
    if device is not None:
        t = device_target(device, "throughput" if metric is None else metric)
        if target is not None and get_target(target).name != t.name:
            raise UnknownTargetError(target, [t.name], f"--device {device} selects {t.name}; pass either a target "
                                     "or a device (+ metric), or ask for both with query_all")
        return t
    if metric is not None and target is None:
        raise UnknownDeviceError(None, DEVICES, f"metric {metric!r} needs a device")
    return get_target("val_top1" if target is None else target)


_DEVICE_KINDS = ("gpu", "cpu", "tpu", "fpga", "other")


def register_device(name: str, description: str, kind: str, metrics: tuple[str, ...] = ("throughput", "latency"),
                    protocol: str = "") -> list[Target]:
    """Add a device measured later (``naslib-anb profile``, or imported) and its targets.

    Additive only: the built-in devices cannot be redefined; registering the same new
    device twice with the same kind is a no-op that returns its targets. Units: throughput
    img/s, latency ms per batch.
    """
    import re

    from naslib_anb.errors import ConfigError

    if not isinstance(name, str) or not re.match(r"^[a-z0-9]+$", name):
        raise ConfigError(f"device name {name!r} must be lower-case letters/digits")
    if kind not in _DEVICE_KINDS:
        raise UnknownDeviceError(kind, _DEVICE_KINDS, "device kinds")
    for m in metrics:
        if m not in METRICS:
            raise UnknownMetricError(m, METRICS)
    existing = DEVICES.get(name)
    if existing is not None and existing.kind != kind:
        raise ConfigError(f"device {name!r} is already registered as kind {existing.kind!r}")
    if existing is None:
        DEVICES[name] = Device(name, description, kind)
    out = []
    for m in metrics:
        key = f"{m}_{name}"
        if key not in TARGETS:
            TARGETS[key] = Target(key, "img/s" if m == "throughput" else "ms", m == "throughput",
                                  f"inference {m} on {description}", protocol or "see the records' profiling block",
                                  name, m)
        out.append(TARGETS[key])
    return out
