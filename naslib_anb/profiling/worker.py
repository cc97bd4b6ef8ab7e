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


def _measure_one(model_fn: Callable[[], Any], arch: str, cfg: ProfileConfig, rec: ProfileRecord,
                 nvml: Any, idle_w: Optional[float]) -> None:
    from naslib_anb.profiling.timing import make_input, prepare_model, time_forward

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
            t = time_forward(model, cfg, cfg.batch_size, cfg.iters, cfg.warmup_iters, x=x)
            if "throughput" in cfg.measure:
                rec.throughput = t.throughput_summary()
            thr_est = t.throughput_summary()["throughput_mean"]
        if "latency" in cfg.measure:
            stage = "latency"
            t = time_forward(model, cfg, cfg.latency_batch_size, cfg.latency_iters, cfg.latency_warmup_iters)
            rec.latency = t.latency_summary()
        if "energy" in cfg.measure and nvml is not None and idle_w is not None:
            from naslib_anb.profiling.energy import measure_energy

            stage = "energy"
            rec.energy = measure_energy(model, x, cfg, nvml, idle_w, thr_est)
        rec.status = "ok"
    except Exception as exc:  # noqa: BLE001 - a failing model is data, not a crash
        rec.status = "error"
        rec.error = error_info(exc, stage)
        log.warning("%s failed at %s: %s", arch, stage, exc)


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
    nvml, idle, energy_note = None, None, None
    if cfg.is_cuda:
        torch.cuda.set_device(torch.device(cfg.device).index or 0)
        torch.cuda.init()
    if "energy" in cfg.measure:
        if cfg.is_cuda:
            from naslib_anb.profiling.energy import measure_idle, open_nvml

            try:
                nvml = open_nvml(cfg)
                idle = measure_idle(nvml, cfg.idle_window_s, lambda: torch.cuda.synchronize(cfg.device))
            except DeviceUnavailableError as exc:
                energy_note = str(exc)
                nvml = None
        else:
            energy_note = "energy is measured on CUDA devices only (NVML)"
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

            _measure_one(build, arch, cfg, rec, nvml, None if idle is None else idle["idle_power_w"])
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
