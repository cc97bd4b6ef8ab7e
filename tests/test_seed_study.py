"""The statistics of the miniature benchmark's question run (naslib_anb.training.seed_study)."""
from __future__ import annotations

import numpy as np
import pytest

from naslib_anb.errors import ConfigError
from naslib_anb.training.seed_study import seed_noise_summary, tau_bootstrap_ci


def test_architecture_spread_against_seed_noise():
    rng = np.random.default_rng(0)
    arch_effect = np.linspace(40, 70, 12)
    clear = arch_effect[:, None] + rng.normal(0, 1.0, (12, 3))
    s = seed_noise_summary(clear)
    assert s["between_arch_sd_of_means"] > 5 * s["within_arch_seed_sd"]
    assert s["anova_p"] < 1e-6 and s["separated_pairs"] > 0.8 and s["seed_vs_seed_tau_mean"] > 0.8
    noise_only = 55 + rng.normal(0, 5.0, (12, 3))  # no architecture effect: seeds disagree
    n = seed_noise_summary(noise_only)
    assert n["anova_p"] > 0.01 and n["separated_pairs"] < 0.3 and abs(n["seed_vs_seed_tau_mean"]) < 0.4
    assert len(n["seed_vs_seed_tau"]) == 3  # every pair of seeds
    with pytest.raises(ConfigError, match="seeds >= 2"):
        seed_noise_summary(np.ones((5, 1)))


def test_bootstrap_ci_on_kendall_tau_brackets_it_and_narrows_with_n():
    rng = np.random.default_rng(1)

    def ci(n):
        y = rng.normal(size=n)
        return tau_bootstrap_ci(y + rng.normal(0, 0.7, n), y, seed=0, n_resamples=500)

    small, large = ci(12), ci(200)
    for c in (small, large):
        assert c["ci_low"] <= c["kendall_tau"] <= c["ci_high"]
    assert (large["ci_high"] - large["ci_low"]) < (small["ci_high"] - small["ci_low"])
    assert large["ci_low"] > 0.3  # a real signal is separated from 0 with enough architectures
    assert tau_bootstrap_ci([1, 2, 3, 4], [1, 2, 4, 3], seed=5) == tau_bootstrap_ci([1, 2, 3, 4], [1, 2, 4, 3], seed=5)
    with pytest.raises(ConfigError, match="one length"):
        tau_bootstrap_ci([1, 2, 3], [1, 2])


def test_leave_one_out_predictions_never_see_their_architecture():
    pytest.importorskip("sklearn")
    from naslib_anb.training.collect import sample_archs
    from naslib_anb.training.seed_study import cross_validated_predictions

    archs = [str(a) for a in sample_archs(8, seed=3)]
    y = np.arange(8, dtype=float) * 3 + 40
    pred = cross_validated_predictions(archs, y, family="gp", folds=0, seed=0)
    assert pred.shape == (8,) and np.all(np.isfinite(pred))
    assert not np.allclose(pred, y)  # out of fold: not a memorised fit
