"""Per-step learning rate and per-epoch resolution, as pure functions of the config."""
from __future__ import annotations

import functools
import math

import numpy as np

from naslib_anb.training.config import TrainConfig


def lr_at(cfg: TrainConfig, epoch: float, global_batch: int) -> float:
    """LR at a fractional epoch (``epoch + step / steps_per_epoch``).

    ``triangular`` (p*): ``np.interp(epoch, [0, peak, epochs], [lr * start_factor, lr, 0])``.
    ``step`` (timm's ``StepLRScheduler`` as upstream ran it, updated once per epoch): linear warm-up
    from ``warmup_lr`` over ``warmup_epochs``, then ``lr * decay_rate ** floor(e / decay_epochs)``,
    where ``e = floor(epoch)``: every step of an epoch uses that epoch's LR.
    """
    peak = cfg.peak_lr(global_batch)
    if cfg.schedule == "triangular":
        return float(np.interp(epoch, [0.0, cfg.lr_peak_epoch, float(cfg.epochs)],
                               [peak * cfg.lr_start_factor, peak, 0.0]))
    sched = _step_scheduler(peak, cfg.decay_epochs, cfg.decay_rate, cfg.warmup_epochs, cfg.warmup_lr)
    sched.step(math.floor(epoch))
    return float(sched.optimizer.param_groups[0]["lr"])


@functools.lru_cache(maxsize=8)
def _step_scheduler(peak: float, decay_epochs: float, decay_rate: float, warmup_epochs: float, warmup_lr: float):
    """timm's StepLRScheduler on a one-parameter optimizer: stateless in the epoch it is stepped to.
    ``warmup_prefix=False``: the decay counts from epoch 0, warm-up included (timm's training
    scripts' default)."""
    import torch
    from timm.scheduler import StepLRScheduler

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=peak)
    return StepLRScheduler(opt, decay_t=decay_epochs, decay_rate=decay_rate, warmup_t=warmup_epochs,
                           warmup_lr_init=warmup_lr, warmup_prefix=False, t_in_epochs=True)


def resolution_at(cfg: TrainConfig, epoch: int) -> int:
    """Progressive resizing with upstream semantics (``get_resolution``).

    epoch <= start_ramp: min_res; epoch >= end_ramp: max_res; in between a linear ramp rounded
    with ``np.round`` (half to even) to a multiple of ``res_multiple``. For p* (160 -> 192, ramp
    11 -> 13) epoch 12 interpolates to 176 = 5.5 * 32 and rounds to 192.
    """
    if epoch <= cfg.start_ramp:
        return cfg.min_res
    if epoch >= cfg.end_ramp:
        return cfg.max_res
    interp = np.interp(epoch, [cfg.start_ramp, cfg.end_ramp], [cfg.min_res, cfg.max_res])
    return int(np.round(interp / cfg.res_multiple)) * cfg.res_multiple
