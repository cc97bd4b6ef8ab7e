"""The environment a measurement was taken in: device, driver, library versions, settings.

Stored in every record so that numbers from different machines are never mixed silently.
"""
from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from typing import Any, Optional

from naslib_anb.profiling.config import ProfileConfig, device_label

_LIBS = ("naslib_anb", "torch", "timm", "numpy", "onnx", "nvidia-ml-py")


def library_versions() -> dict[str, Optional[str]]:
    out: dict[str, Optional[str]] = {}
    for name in _LIBS:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def cpu_model() -> str:
    """CPU model name (``/proc/cpuinfo`` on Linux, ``platform.processor()`` elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def capture_environment(cfg: ProfileConfig, nvml: Any = None) -> dict[str, Any]:
    """Everything a reader needs to compare this record with another one.

    ``nvml`` is an open :class:`naslib_anb.profiling.energy.NvmlDevice` (driver version,
    power limit, clocks) or None.
    """
    import torch

    env: dict[str, Any] = {
        "device": cfg.device,
        "precision": cfg.precision,
        "autocast": cfg.precision != "fp32",
        "channels_last": cfg.channels_last,
        "resolution": cfg.resolution,
        "batch_size": cfg.batch_size,
        "latency_batch_size": cfg.latency_batch_size,
        "threads": cfg.threads,
        "torch_threads": torch.get_num_threads(),
        "cudnn_benchmark": cfg.cudnn_benchmark if cfg.is_cuda else None,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "libraries": library_versions(),
    }
    if cfg.is_cuda:
        idx = torch.device(cfg.device).index or 0
        props = torch.cuda.get_device_properties(idx)
        env.update({
            "device_name": props.name,
            "device_memory_gib": round(props.total_memory / 2**30, 2),
            "compute_capability": f"{props.major}.{props.minor}",
            "cuda_runtime": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version(),
        })
        if nvml is not None:
            env.update(nvml.static_info())
    else:
        env["device_name"] = env["cpu_model"]
    env["label"] = cfg.label or ("cpu" if not cfg.is_cuda else device_label(env["device_name"]))
    return env
