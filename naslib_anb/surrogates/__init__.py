"""Surrogate models of every benchmark target: families, ensembles, persistence, fitting.

Public API::

    make_estimator(family, target=None, seed=0, preset="anb", **overrides)  # sklearn-style
    list_families(), register_family(name, cls), get_family(name)
    SurrogateEnsemble, ModelSet, load_model_set(dir), save_model_set(models, dir)
    FitConfig, fit_model_set(trainval_records, cfg), evaluate_model_set(models, test_records)
    default_model_dir()
"""
from __future__ import annotations

from pathlib import Path

from naslib_anb.surrogates._compile import NotCompilableError, TableModel
from naslib_anb.surrogates._data import TRAIN_TIME_OUTLIER_S, records_sha256
from naslib_anb.surrogates._ensemble import SurrogateEnsemble
from naslib_anb.surrogates._evaluate import PAPER_BAR, evaluate_model_set
from naslib_anb.surrogates._families import (
    ArchRegressor,
    LGBSurrogate,
    NuSVRSurrogate,
    RFSurrogate,
    SVRSurrogate,
    XGBSurrogate,
)
from naslib_anb.surrogates._fit import FitConfig, fit_ensemble, fit_model_set
from naslib_anb.surrogates._metrics import regression_metrics
from naslib_anb.surrogates._persist import ModelSet, load_model_set, read_manifest, save_model_set
from naslib_anb.surrogates._registry import (
    PRESETS,
    get_family,
    list_families,
    make_estimator,
    preset_params,
    register_family,
)


def default_model_dir() -> Path:
    """The model set shipped inside the package (XGBoost ensembles for all 11 targets)."""
    from importlib.resources import files

    return Path(str(files("naslib_anb.surrogates").joinpath("models", "xgb")))


__all__ = [
    "make_estimator", "list_families", "register_family", "get_family", "preset_params", "PRESETS",
    "ArchRegressor", "XGBSurrogate", "LGBSurrogate", "RFSurrogate", "SVRSurrogate", "NuSVRSurrogate",
    "SurrogateEnsemble", "TableModel", "NotCompilableError", "ModelSet", "load_model_set",
    "save_model_set", "read_manifest", "FitConfig", "fit_ensemble", "fit_model_set",
    "evaluate_model_set", "regression_metrics", "PAPER_BAR", "TRAIN_TIME_OUTLIER_S",
    "records_sha256", "default_model_dir",
]
