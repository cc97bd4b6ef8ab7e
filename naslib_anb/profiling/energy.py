"""Energy from cumulative hardware counters (not sampled power): NVML on GPUs, RAPL on CPUs.

``nvmlDeviceGetTotalEnergyConsumption`` is a hardware-integrated counter in millijoules
(Volta and newer). Reading it at the start and the end of a window of several seconds
gives the energy of that window without the sampling gaps that make nvidia-smi power
sampling unreliable for short, bursty loads. Net energy subtracts the idle power measured
just before, times the window length.

A *meter* is anything with ``method``, ``read()``, ``joules(before, after)`` and ``state()``:
:class:`NvmlDevice` (GPU board energy) and :class:`~naslib_anb.profiling.rapl.RaplPackages`
(CPU package energy). A GPU measurement also reads the CPU packages when the machine exposes
RAPL, so the record holds both sides of the work (``cpu_package``).
"""
from __future__ import annotations

import logging
import math
import statistics
import time
from typing import Any, Callable, Optional

from naslib_anb.profiling.config import ProfileConfig
from naslib_anb.profiling.errors import DeviceUnavailableError
from naslib_anb.profiling.timing import pop_std

log = logging.getLogger(__name__)


def _pynvml():
    try:
        import pynvml
    except ImportError as exc:
        raise DeviceUnavailableError("NVML", f"cannot import pynvml ({exc})",
                                     "install nvidia-ml-py (pip install nvidia-ml-py)") from None
    return pynvml


class NvmlDevice:
    """One GPU through NVML. Use as a context manager (init/shutdown)."""

    def __init__(self, cuda_index: int = 0, uuid: Optional[str] = None):
        self._nv = _pynvml()
        try:
            self._nv.nvmlInit()
        except Exception as exc:  # NVMLError_LibraryNotFound, _DriverNotLoaded, ...
            raise DeviceUnavailableError("NVML", f"nvmlInit failed ({exc})",
                                         "an NVIDIA driver is needed for energy measurements") from None
        self.handle = None
        if uuid:
            u = uuid if uuid.startswith(("GPU-", "MIG-")) else f"GPU-{uuid}"
            try:
                self.handle = self._nv.nvmlDeviceGetHandleByUUID(u)
            except Exception:  # noqa: BLE001 - fall back to the index below
                log.info("NVML has no device with UUID %s; using index %d", u, cuda_index)
        try:
            if self.handle is None:
                self.handle = self._nv.nvmlDeviceGetHandleByIndex(cuda_index)
        except Exception as exc:
            self.close()
            raise DeviceUnavailableError(f"NVML device {uuid or cuda_index}", str(exc)) from None

    def __enter__(self) -> "NvmlDevice":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._nv.nvmlShutdown()
        except Exception:
            pass

    method = "nvml_total_energy_counter"

    def read(self) -> int:
        return self.energy_mj()

    def joules(self, before: int, after: int) -> float:
        return (after - before) / 1e3

    def energy_mj(self) -> int:
        """Cumulative energy since driver load, millijoules."""
        try:
            return int(self._nv.nvmlDeviceGetTotalEnergyConsumption(self.handle))
        except Exception as exc:
            raise DeviceUnavailableError("NVML energy counter", str(exc),
                                         "needs a Volta or newer GPU") from None

    def _safe(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception:
            return None

    def state(self) -> dict[str, Any]:
        """Temperature (C), SM clock (MHz), instantaneous power (W) right now."""
        nv = self._nv
        power = self._safe(lambda: nv.nvmlDeviceGetPowerUsage(self.handle))
        return {
            "temperature_c": self._safe(lambda: nv.nvmlDeviceGetTemperature(self.handle, nv.NVML_TEMPERATURE_GPU)),
            "sm_clock_mhz": self._safe(lambda: nv.nvmlDeviceGetClockInfo(self.handle, nv.NVML_CLOCK_SM)),
            "mem_clock_mhz": self._safe(lambda: nv.nvmlDeviceGetClockInfo(self.handle, nv.NVML_CLOCK_MEM)),
            "power_w": None if power is None else power / 1e3,
        }

    def static_info(self) -> dict[str, Any]:
        nv = self._nv

        def _s(v: Any) -> Any:
            return v.decode() if isinstance(v, bytes) else v

        limit = self._safe(lambda: nv.nvmlDeviceGetEnforcedPowerLimit(self.handle))
        default = self._safe(lambda: nv.nvmlDeviceGetPowerManagementDefaultLimit(self.handle))
        return {
            "driver": _s(self._safe(nv.nvmlSystemGetDriverVersion)),
            "nvml": _s(self._safe(nv.nvmlSystemGetNVMLVersion)),
            "power_limit_w": None if limit is None else limit / 1e3,
            "default_power_limit_w": None if default is None else default / 1e3,
            "max_sm_clock_mhz": self._safe(lambda: nv.nvmlDeviceGetMaxClockInfo(self.handle, nv.NVML_CLOCK_SM)),
            "persistence_mode": self._safe(lambda: nv.nvmlDeviceGetPersistenceMode(self.handle)),
        }


def open_nvml(cfg: ProfileConfig) -> NvmlDevice:
    """NVML handle of the GPU ``cfg.device`` (matched by UUID, so CUDA_VISIBLE_DEVICES is honoured)."""
    import torch

    if not cfg.is_cuda:
        raise DeviceUnavailableError("NVML", f"device {cfg.device!r} is not a GPU")
    idx = torch.device(cfg.device).index or 0
    uuid = getattr(torch.cuda.get_device_properties(idx), "uuid", None)
    return NvmlDevice(idx, str(uuid) if uuid is not None else None)


def measure_idle(meter: Any, seconds: float, sync: Callable[[], None] = lambda: None) -> dict[str, Any]:
    """Idle power over ``seconds`` with nothing queued on the device (the baseline for net energy)."""
    sync()
    before = meter.state()
    e0, t0 = meter.read(), time.perf_counter()
    time.sleep(seconds)
    e1, t1 = meter.read(), time.perf_counter()
    dt = t1 - t0
    joules = meter.joules(e0, e1)
    return {"idle_power_w": joules / dt, "window_s": dt, "energy_j": joules, "method": meter.method,
            "state_before": before, "state_after": meter.state()}


def _sync(cfg: ProfileConfig) -> None:
    if cfg.is_cuda:
        import torch

        torch.cuda.synchronize(cfg.device)


def measure_energy(model: Callable, x: Any, cfg: ProfileConfig, meter: Any, idle_power_w: float,
                   est_throughput: float, side_meters: Optional[dict[str, tuple[Any, float]]] = None) -> dict[str, Any]:
    """Energy per image over ``energy_repeats`` windows of about ``energy_window_s`` seconds each.

    Inside a window the forward passes are queued back to back without per-batch
    synchronisation (a steady load, as in deployment); the window is bounded by a device
    synchronisation on both ends. gross = counter delta / images; net = (counter delta -
    idle_power * window) / images. Joules per image. ``side_meters`` (name -> (meter, idle W))
    are read over the same windows, e.g. the CPU packages beside a GPU.
    """
    import torch

    from naslib_anb.profiling.timing import autocast

    side_meters = side_meters or {}
    batch = int(x.shape[0])
    n_batches = max(1, math.ceil(cfg.energy_window_s * est_throughput / batch))
    windows = []
    with torch.inference_mode(), autocast(cfg):
        for _ in range(cfg.energy_repeats):
            _sync(cfg)
            before = meter.state()
            side0 = {k: m.read() for k, (m, _) in side_meters.items()}
            e0, t0 = meter.read(), time.perf_counter()
            for _ in range(n_batches):
                model(x)
            _sync(cfg)
            e1, t1 = meter.read(), time.perf_counter()
            side1 = {k: m.read() for k, (m, _) in side_meters.items()}
            after = meter.state()
            dt, images, joules = t1 - t0, n_batches * batch, meter.joules(e0, e1)
            w = {"window_s": dt, "images": images, "energy_j": joules,
                 "gross_j_per_image": joules / images,
                 "net_j_per_image": (joules - idle_power_w * dt) / images,
                 "mean_power_w": joules / dt, "wall_throughput": images / dt,
                 "state_before": before, "state_after": after}
            for k, (m, idle) in side_meters.items():
                j = m.joules(side0[k], side1[k])
                w[k] = {"energy_j": j, "gross_j_per_image": j / images, "net_j_per_image": (j - idle * dt) / images,
                        "mean_power_w": j / dt, "idle_power_w": idle}
            windows.append(w)
    gross = [w["gross_j_per_image"] for w in windows]
    net = [w["net_j_per_image"] for w in windows]
    out = {
        "method": meter.method, "unit": "J per image",
        "gross_j_per_image_mean": statistics.fmean(gross), "gross_j_per_image_std": pop_std(gross),
        "net_j_per_image_mean": statistics.fmean(net), "net_j_per_image_std": pop_std(net),
        "idle_power_w": idle_power_w, "batch_size": batch, "windows": windows,
        "mean_power_w": statistics.fmean(w["mean_power_w"] for w in windows),
        "wall_throughput_mean": statistics.fmean(w["wall_throughput"] for w in windows),
    }
    for k, (m, idle) in side_meters.items():
        out[k] = {"method": m.method, "idle_power_w": idle,
                  "gross_j_per_image_mean": statistics.fmean(w[k]["gross_j_per_image"] for w in windows),
                  "net_j_per_image_mean": statistics.fmean(w[k]["net_j_per_image"] for w in windows),
                  "mean_power_w": statistics.fmean(w[k]["mean_power_w"] for w in windows)}
    return out


def batch_ladder(largest: int) -> list[int]:
    """1, 2, 4, ... up to ``largest`` (included): the energy sweep's batch sizes."""
    out, b = [], 1
    while b < largest:
        out.append(b)
        b *= 2
    return out + [largest]


def energy_sweep(model: Callable, cfg: ProfileConfig, meter: Any, idle_power_w: float,
                 side_meters: Optional[dict[str, tuple[Any, float]]] = None) -> dict[str, Any]:
    """Energy per image from batch 1 to the largest batch that fits (at most ``energy_max_batch``),
    so that the record spans the device's usage range rather than one load. A batch that runs
    out of memory ends the sweep; the largest one that fitted is recorded."""
    import torch

    from naslib_anb.profiling.timing import make_input, time_forward

    points, largest, stopped = [], None, "energy_max_batch"
    for b in batch_ladder(cfg.energy_max_batch):
        try:
            x = make_input(cfg, b)
            t = time_forward(model, cfg, b, iters=3, warmup=1, repeats=1, x=x)
            e = measure_energy(model, x, cfg, meter, idle_power_w, t.throughput_summary()["throughput_mean"],
                               side_meters)
        except torch.cuda.OutOfMemoryError:
            stopped = "out_of_memory"
            del x
            if cfg.is_cuda:
                torch.cuda.empty_cache()
            break
        largest = b
        e.pop("windows")
        points.append(e)
    return {"batch_sizes": [p["batch_size"] for p in points], "largest_batch": largest, "stopped_by": stopped,
            "points": points}
