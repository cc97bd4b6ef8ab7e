"""Measure one group of architectures inside one (child) process.

The worker writes each architecture's record itself, atomically, as soon as it is
measured, so a crash later in the group keeps the finished ones. Exceptions (including
CUDA out-of-memory) become ``status: "error"`` records and the loop goes on.
"""
from __future__ import annotations

import gc
import importlib
import logging
import os
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

from naslib_anb.io import atomic_write_json
from naslib_anb.profiling.config import ProfileConfig
from naslib_anb.profiling.errors import DeviceUnavailableError, InjectedFailure
from naslib_anb.profiling.records import ProfileRecord, error_info, now_iso

log = logging.getLogger(__name__)

#: Failure injection for tests and drills: comma-separated arch strings, and the mode.
FAIL_ENV = "NASLIB_ANB_PROFILE_FAIL"
FAIL_MODE_ENV = "NASLIB_ANB_PROFILE_FAIL_MODE"


def load_factory(spec: str) -> Callable[..., Any]:
    mod, _, fn = spec.partition(":")
    try:
        return getattr(importlib.import_module(mod), fn)
    except (ImportError, AttributeError) as exc:
        from naslib_anb.errors import ConfigError

        raise ConfigError(f"model_factory {spec!r} cannot be loaded ({exc})") from None


def _injected(cfg: ProfileConfig, arch: str) -> Optional[str]:
    """The injected failure mode for ``arch``: entries are ``ARCH`` or ``ARCH:MODE``."""
    specs = list(cfg.fail_archs) + [a.strip() for a in os.environ.get(FAIL_ENV, "").split(",") if a.strip()]
    for spec in specs:
        name, _, mode = spec.partition(":")
        if name == arch:
            return mode or os.environ.get(FAIL_MODE_ENV) or cfg.fail_mode
    return None


def _inject(mode: str, arch: str) -> None:
    if mode == "exit":
        os._exit(3)  # a hard crash: no exception, no cleanup, as a segfaulting library would
    if mode == "oom":
        import torch

        raise torch.OutOfMemoryError(f"injected out-of-memory for {arch}")
    raise InjectedFailure(f"injected failure for {arch}")


def check_device(cfg: ProfileConfig) -> None:
    """Fail before the sweep (not N times inside it) when the device cannot be used."""
    try:
        import torch
    except ImportError as exc:
        raise DeviceUnavailableError("torch", str(exc), "install the [profile] extra") from None
    if cfg.is_cuda:
        if not torch.cuda.is_available():
            raise DeviceUnavailableError(f"CUDA device {cfg.device!r}", "torch.cuda.is_available() is False",
                                         "use --device cpu, or run on a GPU machine")
        idx = torch.device(cfg.device).index or 0
        if idx >= torch.cuda.device_count():
            raise DeviceUnavailableError(f"CUDA device {cfg.device!r}",
                                         f"only {torch.cuda.device_count()} device(s) visible")


def check_energy(cfg: ProfileConfig) -> None:
    """With energy in ``measure``, the device's counter must be readable: NVML on a GPU, RAPL on a CPU."""
    if "energy" not in cfg.measure:
        return
    if cfg.is_cuda:
        import torch

        from naslib_anb.profiling.energy import NvmlDevice

        NvmlDevice(torch.device(cfg.device).index or 0).close()
    else:
        from naslib_anb.profiling.rapl import RaplPackages

        RaplPackages(cfg.rapl_root, dram=cfg.rapl_dram)


def _measure_one(model_fn: Callable[[], Any], arch: str, cfg: ProfileConfig, rec: ProfileRecord,
                 meter: Any, idle_w: Optional[float], side: Optional[dict[str, tuple[Any, float]]] = None) -> None:
    from naslib_anb.profiling.timing import make_input, prepare_model, time_forward, time_upstream

    stage = "build"
    try:
        mode = _injected(cfg, arch)
        if mode:
            _inject(mode, arch)
        model = prepare_model(model_fn(), cfg)
        thr_est = None
        if "throughput" in cfg.measure or "energy" in cfg.measure:
            stage = "throughput"
            x = make_input(cfg, cfg.batch_size)
            if cfg.protocol == "upstream":
                t = time_upstream(model, cfg)
            else:
                t = time_forward(model, cfg, cfg.batch_size, cfg.iters, cfg.warmup_iters, x=x)
            if "throughput" in cfg.measure:
                rec.throughput = t.throughput_summary()
            thr_est = t.throughput_summary()["throughput_mean"]
        if "latency" in cfg.measure:
            stage = "latency"
            t = time_forward(model, cfg, cfg.latency_batch_size, cfg.latency_iters, cfg.latency_warmup_iters)
            rec.latency = t.latency_summary()
        if "energy" in cfg.measure and meter is not None and idle_w is not None:
            from naslib_anb.profiling.energy import energy_sweep, measure_energy

            stage = "energy"
            rec.energy = measure_energy(model, x, cfg, meter, idle_w, thr_est, side)
            if cfg.energy_sweep:
                stage = "energy_sweep"
                rec.energy["sweep"] = energy_sweep(model, cfg, meter, idle_w, side)
        rec.status = "ok"
    except Exception as exc:  # noqa: BLE001 - a failing model is data, not a crash
        rec.status = "error"
        rec.error = error_info(exc, stage)
        log.warning("%s failed at %s: %s", arch, stage, exc)


def _open_meters(cfg: ProfileConfig) -> tuple[Any, Any, Optional[dict], Optional[str], dict]:
    """(nvml, meter, idle baseline, why energy is unavailable, side meters) for ``--measure energy``:
    NVML on a GPU (with the CPU packages beside it when RAPL is readable), RAPL on a CPU."""
    import torch

    from naslib_anb.profiling.energy import measure_idle, open_nvml
    from naslib_anb.profiling.rapl import RaplPackages

    nvml, meter, idle, note, side = None, None, None, None, {}
    sync = (lambda: torch.cuda.synchronize(cfg.device)) if cfg.is_cuda else (lambda: None)
    cpu = None
    try:
        cpu = RaplPackages(cfg.rapl_root, dram=cfg.rapl_dram)
    except DeviceUnavailableError as exc:
        note = str(exc)
    try:
        meter = nvml = open_nvml(cfg) if cfg.is_cuda else None
        meter = meter if cfg.is_cuda else cpu
        if meter is not None:
            idle = measure_idle(meter, cfg.idle_window_s, sync)
        if cfg.is_cuda and cpu is not None:  # CPU package energy beside the GPU's
            side["cpu_package"] = (cpu, measure_idle(cpu, cfg.idle_window_s, sync)["idle_power_w"])
    except DeviceUnavailableError as exc:
        note = str(exc)
        nvml = meter = None
    return nvml, meter, idle, note, side


def measure_group(cfg_dict: Mapping[str, Any], items: Sequence[tuple[str, Optional[str], Any, int]],
                  out_dir: str) -> list[str]:
    """Measure ``items`` = [(arch, dataset name, base JSON or None, attempt)], write one JSON each.

    Returns the statuses in order. Runs in a fresh process in a sweep.
    """
    import torch

    from naslib_anb.profiling.environment import capture_environment
    from naslib_anb.profiling.timing import set_threads

    cfg = ProfileConfig.from_dict(cfg_dict)
    set_threads(cfg.threads)
    check_device(cfg)
    if cfg.is_cuda:
        torch.cuda.set_device(torch.device(cfg.device).index or 0)
        torch.cuda.init()
    nvml, meter, idle, energy_note, side = (_open_meters(cfg) if "energy" in cfg.measure
                                            else (None, None, None, None, {}))
    env = capture_environment(cfg, nvml)
    if energy_note:
        env["energy_unavailable"] = energy_note
    if idle is not None:
        env["idle_baseline"] = idle
    factory = load_factory(cfg.model_factory)
    statuses = []
    try:
        for arch, name, base, attempt in items:
            t0 = time.perf_counter()
            rec = ProfileRecord(arch=arch, label=env["label"], status="error", environment=env,
                                config=cfg.to_dict(), name=name, started_at=now_iso(), attempts=attempt)

            def build(arch: str = arch) -> Any:
                return factory(arch, activation=cfg.activation, num_classes=cfg.num_classes,
                               drop_rate=0.0, drop_path_rate=0.0)

            _measure_one(build, arch, cfg, rec, meter, None if idle is None else idle["idle_power_w"], side)
            rec.duration_s = time.perf_counter() - t0
            atomic_write_json(Path(out_dir) / f"{rec.arch}.json", rec.to_json(base))
            statuses.append(rec.status)
            gc.collect()
            if cfg.is_cuda:
                torch.cuda.empty_cache()
    finally:
        if nvml is not None:
            nvml.close()
    return statuses
