"""Precise BatchNorm: recompute BN statistics on training batches before validating.

Early in training the running averages of BatchNorm lag far behind the weights (they average
statistics of networks that no longer exist), so a model validated after a few hundred steps
scores near chance in eval mode although it has learnt. Short proxy recipes (small data sets,
CPU-sized runs) need the statistics of the current weights: this pass re-estimates them as an
equal-weight average over ``batches`` training batches (Wu & Johnson, "Rethinking 'Batch' in
BatchNorm", 2021). Off in p* (``bn_recalibration_batches: 0``), as upstream.
"""
from __future__ import annotations

import itertools
from typing import Any


def recalibrate_bn(model: Any, loader: Any, batches: int, device: Any) -> int:
    """Reset and re-estimate every BatchNorm's running mean/var over ``batches`` batches of ``loader``
    (torch's ``swa_utils.update_bn`` on the first ``batches`` batches).

    Returns the number of batches used. The weights are untouched; the model is left in eval mode.
    """
    import torch
    from torch.optim.swa_utils import update_bn

    if batches < 1 or not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules()):
        return 0
    used = 0

    def first_batches():
        nonlocal used
        for x, _ in itertools.islice(loader, batches):
            used += 1
            yield x

    update_bn(first_batches(), model, device)
    model.eval()
    return used
