"""Precise BatchNorm: recompute BN statistics on training batches before validating.

Early in training the running averages of BatchNorm lag far behind the weights (they average
statistics of networks that no longer exist), so a model validated after a few hundred steps
scores near chance in eval mode although it has learnt. Short proxy recipes (small data sets,
CPU-sized runs) need the statistics of the current weights: this pass re-estimates them as an
equal-weight average over ``batches`` training batches (Wu & Johnson, "Rethinking 'Batch' in
BatchNorm", 2021). Off in p* (``bn_recalibration_batches: 0``), as upstream.
"""
from __future__ import annotations

from typing import Any


def recalibrate_bn(model: Any, loader: Any, batches: int, device: Any) -> int:
    """Reset and re-estimate every BatchNorm's running mean/var over ``batches`` batches of ``loader``.

    Returns the number of batches used. The weights are untouched; the model is left in eval mode.
    """
    import torch

    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns or batches < 1:
        return 0
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative (equal-weight) average over the batches seen
    model.train()
    n = 0
    try:
        with torch.no_grad():
            for x, _ in loader:
                if n >= batches:
                    break
                model(x.to(device, non_blocking=True))
                n += 1
    finally:
        for m, mom in zip(bns, momenta):
            m.momentum = mom
        model.eval()
    return n
