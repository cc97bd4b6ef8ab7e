"""Does a recipe separate architectures by more than its seed noise, and does a surrogate rank them?

Pure statistics over a (architectures x seeds) table of top-1 values, used by the miniature
benchmark (``runners/mini_anb.py``): a one-way ANOVA of architecture against seed, Kendall tau
between seeds (the noise ceiling of any ranking), and a paired bootstrap confidence interval on the
Kendall tau of a surrogate's predictions against the seed-mean "true" top-1 (scipy.stats.bootstrap).
"""
from __future__ import annotations

import itertools
import math
from typing import Any, Sequence

import numpy as np

from naslib_anb.errors import ConfigError
from naslib_anb.training.ranking import kendall_tau


def _table(top1: Any) -> np.ndarray:
    t = np.asarray(top1, dtype=float)
    if t.ndim != 2 or t.shape[0] < 3 or t.shape[1] < 2 or not np.all(np.isfinite(t)):
        raise ConfigError(f"a seed study needs a finite (architectures >= 3) x (seeds >= 2) table, got shape "
                          f"{t.shape}")
    return t


def seed_noise_summary(top1: Any) -> dict[str, Any]:
    """Between-architecture spread against within-architecture (seed) spread of ``top1[arch, seed]``.

    ``separated_pairs``: the share of architecture pairs whose seed-mean difference exceeds twice
    its standard error under the pooled seed noise (about a 5 % two-sided test per pair).
    """
    from scipy.stats import f_oneway

    t = _table(top1)
    n_arch, n_seed = t.shape
    means = t.mean(1)
    seed_sd = float(np.sqrt(t.var(1, ddof=1).mean()))
    se_diff = seed_sd * math.sqrt(2.0 / n_seed)
    gaps = [abs(means[i] - means[j]) for i, j in itertools.combinations(range(n_arch), 2)]
    anova = f_oneway(*t)
    seed_taus = [kendall_tau(t[:, a], t[:, b]) for a, b in itertools.combinations(range(n_seed), 2)]
    return {"architectures": n_arch, "seeds": n_seed,
            "between_arch_sd_of_means": float(means.std(ddof=1)),
            "within_arch_seed_sd": seed_sd,
            "range_of_means": float(means.max() - means.min()),
            "anova_f": float(anova.statistic), "anova_p": float(anova.pvalue),
            "separated_pairs": float(np.mean([g > 2 * se_diff for g in gaps])),
            "seed_vs_seed_tau": seed_taus, "seed_vs_seed_tau_mean": float(np.mean(seed_taus))}


def tau_bootstrap_ci(pred: Sequence[float], true: Sequence[float], *, seed: int = 0, n_resamples: int = 2000,
                     confidence: float = 0.95) -> dict[str, float]:
    """Kendall tau of ``pred`` against ``true`` and its percentile bootstrap CI over architectures
    (pairs resampled together; scipy.stats.bootstrap with ``paired=True``)."""
    from scipy.stats import bootstrap

    p, y = np.asarray(pred, float), np.asarray(true, float)
    if p.shape != y.shape or len(p) < 3:
        raise ConfigError(f"tau_bootstrap_ci needs two lists of one length >= 3, got {p.shape} and {y.shape}")
    res = bootstrap((p, y), lambda a, b: kendall_tau(a, b), paired=True, vectorized=False,
                    n_resamples=n_resamples, confidence_level=confidence, method="percentile",
                    random_state=np.random.default_rng(seed))
    return {"kendall_tau": kendall_tau(p, y), "ci_low": float(res.confidence_interval.low),
            "ci_high": float(res.confidence_interval.high), "confidence": confidence, "n": int(len(p)),
            "n_resamples": n_resamples}


def cross_validated_predictions(archs: Sequence[str], y: Sequence[float], *, family: str = "gp", folds: int = 0,
                                seed: int = 0) -> np.ndarray:
    """Out-of-fold surrogate predictions: each architecture predicted by a model that never saw it
    (``folds`` 0: leave one out). The surrogate is the project's ``make_estimator(family)``."""
    from sklearn.model_selection import KFold, LeaveOneOut, cross_val_predict

    from naslib_anb.surrogates import make_estimator

    est = make_estimator(family, target="val_top1", seed=seed)
    cv = LeaveOneOut() if folds == 0 else KFold(folds, shuffle=True, random_state=seed)
    return cross_val_predict(est, np.asarray(list(archs), dtype=object), np.asarray(y, float), cv=cv)
