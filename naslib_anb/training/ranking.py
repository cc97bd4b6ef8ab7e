"""Kendall tau-b between two score lists: the one rank-agreement helper of training and profiling."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def kendall_tau(a: Sequence[float], b: Sequence[float]) -> float:
    """Kendall tau-b of ``a`` and ``b`` (scipy), with one documented NaN policy:

    - pairs where either value is NaN/inf are dropped (a missing measurement is not a rank);
    - fewer than 2 pairs left: NaN (no pair, no agreement to measure);
    - one side constant (tau-b's denominator is 0): 0.0, "no ranking information" rather than NaN,
      so a proxy that ranks every model alike scores as uninformative and can be compared.
    """
    from scipy.stats import kendalltau

    x, y = np.asarray(a, float), np.asarray(b, float)
    if x.shape != y.shape:
        from naslib_anb.errors import ConfigError

        raise ConfigError(f"kendall_tau needs two lists of one length, got {x.shape} and {y.shape}")
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 2:
        return math.nan
    t = kendalltau(x, y).statistic
    return float(t) if np.isfinite(t) else 0.0
