"""Forward-pass timing on CUDA (CUDA events) and CPU (perf_counter).

What is timed: only ``model(x)`` on a pre-made input tensor already on the device, in eval
mode under ``torch.inference_mode`` (and autocast for fp16/bf16). No data loading, no host
to device copy. On CUDA each timed batch is bracketed by two CUDA events and synchronised,
so the elapsed time is the GPU-timeline time of that forward pass (at batch 1 this includes
kernel-launch gaps, which is what latency means).
"""
from __future__ import annotations

import contextlib
import logging
import math
import statistics
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

from naslib_anb.profiling.config import ProfileConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Timing:
    """Raw timings of ``repeats`` repeats of ``iters`` forward passes at ``batch`` images."""

    batch: int
    iters: int
    warmup_iters: int
    per_iter_ms: tuple[tuple[float, ...], ...]  # [repeat][iter], milliseconds per batch
    method: str  # "cuda_events" | "perf_counter"

    @property
    def repeat_ms(self) -> list[float]:
        """Mean milliseconds per batch of each repeat."""
        return [sum(r) / len(r) for r in self.per_iter_ms]

    @property
    def repeat_throughput(self) -> list[float]:
        """Images per second of each repeat: images / summed forward time."""
        return [self.batch * len(r) / (sum(r) / 1e3) for r in self.per_iter_ms]

    def throughput_summary(self) -> dict[str, Any]:
        vals = self.repeat_throughput
        flat = sorted(v for r in self.per_iter_ms for v in r)
        return {"throughput_mean": statistics.fmean(vals), "throughput_std": pop_std(vals),
                "unit": "img/s", "batch_size": self.batch, "iters": self.iters,
                "warmup_iters": self.warmup_iters, "repeats": vals, "method": self.method,
                # robust to a few slow batches (host jitter): batch / median batch time
                "throughput_median_batch": self.batch / (statistics.median(flat) / 1e3),
                "batch_ms": [[round(v, 4) for v in r] for r in self.per_iter_ms]}

    def latency_summary(self) -> dict[str, Any]:
        vals = self.repeat_ms
        flat = sorted(v for r in self.per_iter_ms for v in r)
        return {"latency_mean": statistics.fmean(vals), "latency_std": pop_std(vals),
                "unit": "ms per batch", "batch_size": self.batch, "iters": self.iters,
                "warmup_iters": self.warmup_iters, "repeats": vals,
                "p50": _pct(flat, 50), "p90": _pct(flat, 90), "p99": _pct(flat, 99),
                "min": flat[0], "method": self.method}


def pop_std(vals: list[float]) -> float:
    """Population std over repeats (0.0 for a single repeat), as the dataset's *_std fields."""
    return statistics.pstdev(vals) if len(vals) > 1 else 0.0


def _pct(sorted_vals: list[float], q: float) -> float:
    i = min(len(sorted_vals) - 1, max(0, math.ceil(q / 100 * len(sorted_vals)) - 1))
    return sorted_vals[i]


def autocast(cfg: ProfileConfig):
    import torch

    if cfg.precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.float16 if cfg.precision == "fp16" else torch.bfloat16
    return torch.autocast(device_type="cuda" if cfg.is_cuda else "cpu", dtype=dtype)


def prepare_model(model: Any, cfg: ProfileConfig) -> Any:
    """Eval mode, on the device, channels_last if asked."""
    import torch

    model = model.eval().to(cfg.device)
    if cfg.channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model


def make_input(cfg: ProfileConfig, batch: int, seed: int = 0) -> Any:
    """A fixed random batch (N, 3, R, R) on the device; compute does not depend on pixel values."""
    import torch

    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 3, cfg.resolution, cfg.resolution, generator=g)
    x = x.to(cfg.device)
    if cfg.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


def _run_cuda(model: Callable, x: Any, iters: int, warmup: int, repeats: int, cfg: ProfileConfig) -> list[list[float]]:
    import torch

    out: list[list[float]] = []
    with torch.inference_mode(), autocast(cfg):
        for _ in range(warmup):
            model(x)
        torch.cuda.synchronize(cfg.device)
        for _ in range(repeats):
            times = []
            for _ in range(iters):
                start = torch.cuda.Event(enable_timing=True)
                end = torch.cuda.Event(enable_timing=True)
                start.record()
                model(x)
                end.record()
                end.synchronize()
                times.append(float(start.elapsed_time(end)))
            out.append(times)
    return out


def _run_cpu(model: Callable, x: Any, iters: int, warmup: int, repeats: int, cfg: ProfileConfig) -> list[list[float]]:
    import torch

    out: list[list[float]] = []
    with torch.inference_mode(), autocast(cfg):
        for _ in range(warmup):
            model(x)
        for _ in range(repeats):
            times = []
            for _ in range(iters):
                t0 = time.perf_counter()
                model(x)
                times.append((time.perf_counter() - t0) * 1e3)
            out.append(times)
    return out


def time_forward(model: Callable, cfg: ProfileConfig, batch: int, iters: int, warmup: int,
                 repeats: Optional[int] = None, x: Any = None) -> Timing:
    """Time ``model`` (already prepared) at ``batch`` images; CUDA events on GPU."""
    import torch

    repeats = repeats or cfg.repeats
    if x is None:
        x = make_input(cfg, batch)
    if cfg.is_cuda:
        torch.backends.cudnn.benchmark = cfg.cudnn_benchmark
        raw = _run_cuda(model, x, iters, warmup, repeats, cfg)
        method = "cuda_events"
    else:
        raw = _run_cpu(model, x, iters, warmup, repeats, cfg)
        method = "perf_counter"
    return Timing(batch, iters, warmup, tuple(tuple(r) for r in raw), method)


def upstream_batches(cfg: ProfileConfig) -> Any:
    """A loader over ``cfg.val_data`` as upstream's validation loader saw it: centre crop of ratio
    ``val_crop_ratio`` resized to ``resolution`` px, ImageNet-normalised, full batches only (so
    upstream's n_batches x batch / time and images / time agree)."""
    from pathlib import Path

    import torch
    from torch.utils.data import DataLoader, Subset
    from torchvision.datasets import ImageFolder

    from naslib_anb.errors import ConfigError
    from naslib_anb.training.data import center_crop_transform

    root = Path(str(cfg.val_data))
    root = root / "val" if (root / "val").is_dir() else root
    tf = center_crop_transform(cfg.resolution, cfg.val_crop_ratio)
    try:
        ds = ImageFolder(str(root), transform=tf)
    except (FileNotFoundError, OSError) as exc:
        raise ConfigError(f"val_data {str(root)!r} is not an ImageFolder of images ({exc})") from None
    if cfg.val_max_images is not None:
        ds = Subset(ds, range(min(len(ds), cfg.val_max_images)))
    if len(ds) < cfg.batch_size:
        raise ConfigError(f"val_data {str(root)!r} has {len(ds)} images, fewer than one batch of {cfg.batch_size}; "
                          "valid: a smaller --batch-size or more images")
    return DataLoader(ds, batch_size=cfg.batch_size, shuffle=False, drop_last=True,
                      num_workers=min(8, cfg.threads), pin_memory=cfg.is_cuda,
                      generator=torch.Generator().manual_seed(0))


def time_upstream(model: Callable, cfg: ProfileConfig, loader: Any = None) -> Timing:
    """Upstream's GPU throughput protocol: one untimed pass over the validation set, then
    ``repeats`` timed passes; only each batch's forward pass is timed (CUDA events on GPU)."""
    import torch

    loader = loader if loader is not None else upstream_batches(cfg)

    def to_dev(x: Any) -> Any:
        x = x.to(cfg.device, non_blocking=True)
        return x.contiguous(memory_format=torch.channels_last) if cfg.channels_last else x

    if cfg.is_cuda:
        torch.backends.cudnn.benchmark = cfg.cudnn_benchmark
    raw: list[list[float]] = []
    with torch.inference_mode(), autocast(cfg):
        for x, _ in loader:  # warm-up: one full pass
            model(to_dev(x))
        for _ in range(cfg.repeats):
            times = []
            for x, _ in loader:
                x = to_dev(x)
                if cfg.is_cuda:
                    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                    torch.cuda.synchronize(cfg.device)
                    start.record()
                    model(x)
                    end.record()
                    end.synchronize()
                    times.append(float(start.elapsed_time(end)))
                else:
                    t0 = time.perf_counter()
                    model(x)
                    times.append((time.perf_counter() - t0) * 1e3)
            raw.append(times)
    n = len(raw[0])
    return Timing(cfg.batch_size, n, n, tuple(tuple(r) for r in raw),
                  "cuda_events_upstream" if cfg.is_cuda else "perf_counter_upstream")


def set_threads(n: int) -> None:
    """Fix the intra-op thread count (CPU results depend on it; it is recorded)."""
    import torch

    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set in this process
        pass


__all__ = ["Timing", "time_forward", "time_upstream", "upstream_batches", "prepare_model", "make_input", "autocast", "set_threads"]
