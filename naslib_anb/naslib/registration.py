"""Teach NASLib's own lookup points the ANB names at run time, reversibly, without editing NASLib.

:func:`register` adds, in this process only:

1. ``naslib.search_spaces.supported_search_spaces["anb_mnas"]`` and a ``get_search_space``
   that builds ``ANBSearchSpace()`` for that name;
2. a ``naslib.utils.get_dataset_api`` that returns :func:`get_anb_dataset_api` for
   ``search_space="anb_mnas"`` (the benchmark is loaded once per process);
3. ``PredictorEvaluator.adapt_search_space`` accepting ``get_type() == "anb_mnas"`` (no learning
   curves, no hyperparameters) and ``compare`` casting predictions to float64 (the float32
   results of NASLib's torch predictors otherwise break its JSON dump);
4. ``Ensemble.get_ensemble`` building our surrogate families by name (``predictor_type: anb_xgb``
   etc.), so NASLib's unchanged BANANAS and NPENAS can use them;
5. the ANB-only wrappers of :mod:`.predictor_compat`: GCN and SemiNAS/NAO sizes for the ANB
   graph encodings, and ``ZeroCost.query`` accepting the list ``PredictorEvaluator`` passes
   (only where the running NASLib has that bug).

Functions that other NASLib modules imported by name (``from naslib.utils import
get_dataset_api``) are replaced wherever such a module already holds the original.
:func:`unregister` restores every original. Both are idempotent.
"""
from __future__ import annotations

import sys
import threading
from typing import Any, Callable

from naslib_anb.naslib import SPACE_NAME, import_naslib

_LOCK = threading.Lock()
_STATE: dict[str, Any] = {}  # name -> original, present while registered


def is_registered() -> bool:
    return bool(_STATE)


def _replace_everywhere(attr: str, original: Any, replacement: Any) -> list[str]:
    """Set ``module.attr = replacement`` in every loaded naslib module that holds ``original``."""
    done = []
    for name, mod in list(sys.modules.items()):
        if mod is None or not (name == "naslib" or name.startswith("naslib.")):
            continue
        if mod.__dict__.get(attr) is original:
            setattr(mod, attr, replacement)
            done.append(name)
    return done


def _wrap_get_search_space(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_search_space(name, dataset):
        if str(name).lower() == SPACE_NAME:
            from naslib_anb.naslib.space import ANBSearchSpace

            return ANBSearchSpace()
        return original(name, dataset)

    get_search_space.__wrapped__ = original  # type: ignore[attr-defined]
    return get_search_space


def _wrap_get_dataset_api(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_dataset_api(search_space=None, dataset=None):
        if search_space == SPACE_NAME:
            from naslib_anb.naslib.dataset_api import get_anb_dataset_api

            return get_anb_dataset_api(dataset or "imagenet")
        return original(search_space=search_space, dataset=dataset)

    get_dataset_api.__wrapped__ = original  # type: ignore[attr-defined]
    return get_dataset_api


def _wrap_adapt(original: Callable[..., Any]) -> Callable[..., Any]:
    from naslib_anb.naslib.evaluator import adapt_anb

    def adapt_search_space(self, search_space, load_labeled, scope=None, dataset_api=None):
        if search_space.get_type() == SPACE_NAME:
            return adapt_anb(self, search_space, load_labeled, scope=scope, dataset_api=dataset_api)
        return original(self, search_space, load_labeled, scope=scope, dataset_api=dataset_api)

    adapt_search_space.__wrapped__ = original  # type: ignore[attr-defined]
    return adapt_search_space


def _wrap_compare(original: Callable[..., Any]) -> Callable[..., Any]:
    import numpy as np

    def compare(self, ytest, test_pred):
        return original(self, np.asarray(ytest, dtype=np.float64), np.asarray(test_pred, dtype=np.float64))

    compare.__wrapped__ = original  # type: ignore[attr-defined]
    return compare


def _wrap_log_to_json(original: Callable[..., Any]) -> Callable[..., Any]:
    from naslib_anb.naslib.evaluator import json_safe_metrics

    def _log_to_json(self):
        space = getattr(self, "search_space", None)
        if space is not None and space.get_type() == SPACE_NAME:
            self.results[1:] = [json_safe_metrics(r) for r in self.results[1:]]
        return original(self)

    _log_to_json.__wrapped__ = original  # type: ignore[attr-defined]
    return _log_to_json


def _wrap_get_ensemble(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_ensemble(self):
        from naslib_anb.naslib.predictors import ensemble_members, is_anb_predictor_type

        if is_anb_predictor_type(self.predictor_type):
            return ensemble_members(self.predictor_type, self.num_ensemble, ss_type=self.ss_type,
                                    config=getattr(self, "config", None))
        return original(self)

    get_ensemble.__wrapped__ = original  # type: ignore[attr-defined]
    return get_ensemble


def register() -> dict[str, Any]:
    """Register the ANB space, dataset API, evaluator whitelist and predictor names in NASLib.

    Returns what was patched (module names per lookup point). Idempotent.
    """
    import_naslib()
    import naslib.search_spaces as ss
    import naslib.utils as nutils
    from naslib.defaults.predictor_evaluator import PredictorEvaluator
    from naslib.predictors.ensemble import Ensemble

    from naslib_anb.naslib.space import ANBSearchSpace

    with _LOCK:
        if _STATE:
            return dict(_STATE["report"])
        report: dict[str, Any] = {}
        # 1. search-space table
        ss.supported_search_spaces[SPACE_NAME] = ANBSearchSpace
        orig_gss = ss.get_search_space
        new_gss = _wrap_get_search_space(orig_gss)
        report["get_search_space"] = _replace_everywhere("get_search_space", orig_gss, new_gss)
        # 2. dataset-API factory
        orig_gda = nutils.get_dataset_api
        new_gda = _wrap_get_dataset_api(orig_gda)
        report["get_dataset_api"] = _replace_everywhere("get_dataset_api", orig_gda, new_gda)
        # 3. PredictorEvaluator whitelist (+ float64 compare)
        orig_adapt = PredictorEvaluator.__dict__["adapt_search_space"]
        orig_compare = PredictorEvaluator.__dict__["compare"]
        PredictorEvaluator.adapt_search_space = _wrap_adapt(orig_adapt)
        PredictorEvaluator.compare = _wrap_compare(orig_compare)
        orig_log = PredictorEvaluator.__dict__["_log_to_json"]
        PredictorEvaluator._log_to_json = _wrap_log_to_json(orig_log)
        # 4. predictor-ensemble table
        orig_ens = Ensemble.__dict__["get_ensemble"]
        Ensemble.get_ensemble = _wrap_get_ensemble(orig_ens)
        # 5. graph predictors' and zero-cost predictors' ANB wrappers
        from naslib_anb.naslib import predictor_compat

        compat_done = predictor_compat.install()
        report["predictor_compat"] = sorted(compat_done)
        report["supported_search_spaces"] = SPACE_NAME
        report["PredictorEvaluator"] = ["adapt_search_space", "compare", "_log_to_json"]
        report["Ensemble"] = "get_ensemble"
        _STATE.update(
            report=report, gss=(orig_gss, new_gss), gda=(orig_gda, new_gda),
            adapt=orig_adapt, compare=orig_compare, log=orig_log, ens=orig_ens, predictor_compat=compat_done,
        )
        return dict(report)


def unregister() -> None:
    """Restore every NASLib object :func:`register` replaced. Idempotent."""
    with _LOCK:
        if not _STATE:
            return
        import naslib.search_spaces as ss
        from naslib.defaults.predictor_evaluator import PredictorEvaluator
        from naslib.predictors.ensemble import Ensemble

        ss.supported_search_spaces.pop(SPACE_NAME, None)
        orig_gss, new_gss = _STATE["gss"]
        _replace_everywhere("get_search_space", new_gss, orig_gss)
        orig_gda, new_gda = _STATE["gda"]
        _replace_everywhere("get_dataset_api", new_gda, orig_gda)
        PredictorEvaluator.adapt_search_space = _STATE["adapt"]
        PredictorEvaluator.compare = _STATE["compare"]
        PredictorEvaluator._log_to_json = _STATE["log"]
        Ensemble.get_ensemble = _STATE["ens"]
        from naslib_anb.naslib import predictor_compat

        predictor_compat.uninstall(_STATE["predictor_compat"])
        _STATE.clear()
