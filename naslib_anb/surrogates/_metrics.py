"""Fidelity metrics as upstream computes them (native units; Kendall tau-b)."""
from __future__ import annotations

import numpy as np


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """R2, Kendall tau, Spearman, MAE, RMSE, and n."""
    from scipy.stats import kendalltau, spearmanr
    from sklearn.metrics import mean_absolute_error, r2_score

    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    out = {"n": int(len(y_true))}
    if len(y_true) < 2:
        return {**out, "r2": float("nan"), "kendall_tau": float("nan"), "spearman": float("nan"),
                "mae": float("nan"), "rmse": float("nan")}
    out.update(
        r2=float(r2_score(y_true, y_pred)),
        kendall_tau=float(kendalltau(y_true, y_pred)[0]),
        spearman=float(spearmanr(y_true, y_pred)[0]),
        mae=float(mean_absolute_error(y_true, y_pred)),
        rmse=float(np.sqrt(np.mean((y_true - y_pred) ** 2))),
    )
    return out
