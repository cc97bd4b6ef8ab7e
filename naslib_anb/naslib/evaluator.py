"""NASLib's ``PredictorEvaluator`` for the ANB space.

NASLib's evaluator whitelists search-space names in ``adapt_search_space`` and stores
float32 predictions that its own JSON dump cannot write. :class:`ANBPredictorEvaluator`
overrides exactly those two methods; everything else (data loading, ``load_labeled``, train
size sweeps, metrics, ``errors.json``) is NASLib's. :func:`naslib_anb.naslib.register` applies
the same two changes to NASLib's class itself for users of the unmodified class.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from naslib_anb.naslib import import_naslib

import_naslib()

from naslib.defaults.predictor_evaluator import PredictorEvaluator  # noqa: E402


#: the NASLib space whose ``adapt_search_space`` branch is ANB's: "does not have full learning curves or
#: hyperparameters" (ANB records one final figure per architecture)
_NASLIB_TWIN = "nasbench101"


def _naslib_adapt() -> Any:
    """NASLib's own ``PredictorEvaluator.adapt_search_space`` (unwrapped if :func:`register` wrapped it)."""
    method = PredictorEvaluator.__dict__["adapt_search_space"]
    return getattr(method, "__wrapped__", method)


def adapt_anb(evaluator: Any, search_space: Any, load_labeled: bool, scope: Any = None,
              dataset_api: Any = None) -> None:
    """NASLib's ``adapt_search_space``, run with the ANB space seen as its no-curves, no-HP twin.

    NASLib whitelists space names there; its nasbench101 branch (``full_lc = hyperparameters =
    False``) is what ANB needs, so the space answers that name for the duration of the call and the
    predictor's ``ss_type`` is set back to ``anb_mnas``. On top, ANB's own step: zero-cost proxies get
    the dataset API's batch (an ImageNet folder or the synthetic one).
    """
    search_space.get_type = lambda: _NASLIB_TWIN  # instance attribute shadows the method
    try:
        _naslib_adapt()(evaluator, search_space, load_labeled, scope=scope, dataset_api=dataset_api)
    finally:
        del search_space.get_type
        evaluator.search_space.__dict__.pop("get_type", None)  # the clone copied the shadow
    evaluator.predictor.set_ss_type(search_space.get_type())
    if hasattr(evaluator.predictor, "method_type") and getattr(evaluator.predictor, "train_loader", None) is None:
        from naslib_anb.naslib.dataset_api import zc_loader

        evaluator.predictor.train_loader = zc_loader(dataset_api)


class ANBPredictorEvaluator(PredictorEvaluator):
    """``PredictorEvaluator`` that accepts the ANB space and writes float64 predictions."""

    def adapt_search_space(self, search_space, load_labeled, scope=None, dataset_api=None):
        adapt_anb(self, search_space, load_labeled, scope=scope, dataset_api=dataset_api)

    def compare(self, ytest, test_pred):
        return super().compare(np.asarray(ytest, dtype=np.float64), np.asarray(test_pred, dtype=np.float64))

    def _log_to_json(self):
        self.results[1:] = [json_safe_metrics(r) for r in self.results[1:]]
        return super()._log_to_json()


def json_safe_metrics(results: dict) -> dict:
    """NaN/inf in NASLib's metrics (e.g. ``kt_1dec`` of predictions that round to one value) -> None.

    NASLib writes them into ``errors.json`` as bare ``NaN`` tokens, which is not JSON. A correlation
    has no "missing" sentinel (-1 is a valid value), so an undefined one is written as ``null``
    (applied when the results are written, after NASLib has printed them).
    """
    def clean(v):
        if isinstance(v, (float, np.floating)) and not np.isfinite(v):
            return None
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return v

    return {k: clean(v) for k, v in results.items()}
