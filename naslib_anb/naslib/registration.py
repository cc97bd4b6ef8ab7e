"""Teach NASLib's own lookup points the ANB names at run time, reversibly, without editing NASLib.

:func:`register` adds, in this process only:

1. ``naslib.search_spaces.supported_search_spaces["anb_mnas"]`` (the table, extended in place) and
   ``get_search_space("anb_mnas", ...)`` building ``ANBSearchSpace()``;
2. ``get_dataset_api("anb_mnas", dataset)`` returning the ANB dataset API built from the ``anb:``
   section of the config NASLib read last (:mod:`.options`); ``get_config_from_args`` and
   ``load_config`` check that section as they read an ANB config;
3. ``get_train_val_loaders(config)`` for an ANB config returning the zero-cost batch of
   ``anb.zc_data`` (an ImageNet folder or a synthetic batch, recorded in the config), so NASLib's
   ``ZeroCostPredictorEvaluator`` and BANANAS/NPENAS with ``search.zc`` score proxies on demand;
4. ``encode_spec(spec, ..., ss_type="anb_mnas")`` answering with the space's encodings, and
   ``get_zc_benchmark_api``/``load_sampled_architectures`` stopping with one line naming what ANB lacks;
5. ``PredictorEvaluator.adapt_search_space`` accepting ``get_type() == "anb_mnas"`` (no learning
   curves, no hyperparameters), ``compare`` casting predictions to float64 and ``_log_to_json``
   writing strict JSON (``ZeroCostPredictorEvaluator._log_to_json`` too);
   ``ZCEnsembleEvaluator.adapt_search_space`` refusing ANB without a ``zc_api``,
   and ``Bananas``/``Npenas.adapt_search_space`` refusing ``search.use_zc_api`` (no zc_api for ANB) and
   NPENAS's ``search.zc_ensemble`` where NASLib's NPENAS cannot run it;
6. ``Ensemble.get_ensemble`` building our surrogate families by name (``predictor_type: anb_xgb``
   etc.), so NASLib's unchanged BANANAS and NPENAS can use them;
7. the ANB-only wrappers of :mod:`.predictor_compat`.

The module-level functions (1-4) are changed *in place* (:mod:`.inplace`): every name bound to them
sees the change, whether it was imported before or after ``register()``
(``from naslib.utils import get_dataset_api`` included). Methods are replaced on their classes.
:func:`unregister` restores every original. Both are idempotent.
"""
from __future__ import annotations

import ast
import threading
from typing import Any, Callable

from naslib_anb.errors import ConfigError
from naslib_anb.naslib import DATASETS, SPACE_NAME, import_naslib
from naslib_anb.naslib import inplace, options

_LOCK = threading.Lock()
_STATE: dict[str, Any] = {}  # name -> original, present while registered

#: the one line NASLib's precomputed zero-cost paths stop with on ANB
NO_ZC_BENCHMARK = ("ANB has no precomputed zero-cost benchmark (NASLib's zc_anb_mnas.json / zc_api): compute "
                   "the scores on demand (search.zc with search.use_zc_api false, ZeroCostPredictorEvaluator "
                   "with use_zc_api false) or score the measured architectures with runners/naslib_zerocost.py")
NO_SAMPLED_ARCHS = ("ANB has no archs_anb_mnas.json of sampled architectures: its measured architectures come "
                    "from the dataset API (ANBSearchSpace.get_arch_iterator, load_labeled)")


def is_registered() -> bool:
    return bool(_STATE)


def _hook_get_search_space(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_search_space(name, dataset):
        if str(name).lower() == SPACE_NAME:
            from naslib_anb.errors import UnknownChoiceError
            from naslib_anb.naslib.space import ANBSearchSpace

            if str(dataset).lower() not in DATASETS:
                raise UnknownChoiceError(dataset, DATASETS, "ANB is measured on ImageNet only")
            return ANBSearchSpace()
        return original(name, dataset)

    return get_search_space


def _hook_get_dataset_api(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_dataset_api(search_space=None, dataset=None):
        if search_space == SPACE_NAME:
            if dataset is not None and str(dataset).lower() not in DATASETS:
                from naslib_anb.errors import UnknownChoiceError

                raise UnknownChoiceError(dataset, DATASETS, "ANB is measured on ImageNet only")
            return options.dataset_api_from_config(options.active())  # None: the defaults, with a warning
        return original(search_space=search_space, dataset=dataset)

    return get_dataset_api


def _hook_config_reader(original: Callable[..., Any]) -> Callable[..., Any]:
    def read(*args, **kwargs):
        config = original(*args, **kwargs)
        if options.is_anb_config(config) or (hasattr(config, "get") and config.get("anb", None) is not None):
            options.set_active(config)
        return config

    return read


def _hook_get_train_val_loaders(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_train_val_loaders(config, mode="train"):
        if options.is_anb_config(config):
            loader = options.zc_loader_from_config(config)
            return loader, loader, loader, None, None
        return original(config, mode=mode)

    return get_train_val_loaders


def _hook_encode_spec(original: Callable[..., Any]) -> Callable[..., Any]:
    def encode_spec(spec, encoding_type=None, ss_type=None):
        if ss_type == SPACE_NAME:
            from naslib.utils.encodings import EncodingType

            from naslib_anb.naslib.space import ANBSearchSpace

            arch = ANBSearchSpace()
            arch.set_spec(ast.literal_eval(spec) if isinstance(spec, str) and spec.startswith("(") else spec)
            return arch.encode(EncodingType.ADJACENCY_ONE_HOT if encoding_type is None else encoding_type)
        if encoding_type is None:
            return original(spec, ss_type=ss_type)
        return original(spec, encoding_type=encoding_type, ss_type=ss_type)

    return encode_spec


def _hook_refuse(message: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def refuse(search_space, *args, **kwargs):
            if search_space == SPACE_NAME:
                raise ConfigError(message)
            return original(search_space, *args, **kwargs)

        return refuse

    return make


def _wrap_zc_ensemble_adapt(original: Callable[..., Any]) -> Callable[..., Any]:
    def adapt_search_space(self, search_space, dataset, dataset_api, config):
        if search_space.get_type() == SPACE_NAME and not isinstance(self.zc_api, dict):
            raise ConfigError(NO_ZC_BENCHMARK)
        return original(self, search_space, dataset, dataset_api, config)

    adapt_search_space.__wrapped__ = original  # type: ignore[attr-defined]
    return adapt_search_space


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


def _inplace_targets() -> list[tuple[str, Any, Callable[..., Any]]]:
    """(report name, NASLib function, hook maker) for every module-level function changed in place."""
    import importlib

    import naslib.search_spaces as ss
    import naslib.utils as nutils

    # import_module, not ``import a.b as m``: naslib.utils.get_dataset_api is also the function's name
    enc = importlib.import_module("naslib.predictors.utils.encodings")
    nds = importlib.import_module("naslib.utils.dataset")
    gda = importlib.import_module("naslib.utils.get_dataset_api")

    return [
        ("get_search_space", ss.get_search_space, _hook_get_search_space),
        ("get_dataset_api", gda.get_dataset_api, _hook_get_dataset_api),
        ("get_zc_benchmark_api", gda.get_zc_benchmark_api, _hook_refuse(NO_ZC_BENCHMARK)),
        ("load_sampled_architectures", gda.load_sampled_architectures, _hook_refuse(NO_SAMPLED_ARCHS)),
        ("get_config_from_args", nutils.get_config_from_args, _hook_config_reader),
        ("load_config", nutils.load_config, _hook_config_reader),
        ("get_train_val_loaders", nds.get_train_val_loaders, _hook_get_train_val_loaders),
        ("encode_spec", enc.encode_spec, _hook_encode_spec),
    ]


def npenas_zc_is_broken(npenas_cls: Any) -> bool:
    """True when NASLib's NPENAS calls ``query_zc_scores`` with more arguments than it takes
    (NASLib Develop ``0b51bc18``: ``_get_best_candidates`` passes 3, the method takes 1)."""
    import inspect

    try:
        src = inspect.getsource(npenas_cls._get_best_candidates)
    except (OSError, TypeError):
        return False
    takes = len(inspect.signature(npenas_cls.query_zc_scores).parameters) - 1
    return "self.query_zc_scores(model.arch_hash, self.zc_names, self.zc_api)" in src and takes < 3


def _wrap_zc_optimizer_adapt(original: Callable[..., Any]) -> Callable[..., Any]:
    """BANANAS/NPENAS on ANB: ``search.use_zc_api`` needs a precomputed zc_api ANB does not have, and
    NPENAS's ``search.zc_ensemble`` cannot run where NASLib's NPENAS has the call bug above."""
    def adapt_search_space(self, search_space, scope=None, dataset_api=None):
        if search_space.get_type() == SPACE_NAME:
            if getattr(self, "use_zc_api", False) and not isinstance(getattr(self, "zc_api", None), dict):
                raise ConfigError(NO_ZC_BENCHMARK)
            if self.zc and npenas_zc_is_broken(type(self)):
                raise ConfigError("NPENAS with search.zc_ensemble cannot run in this NASLib: its "
                                  "_get_best_candidates calls query_zc_scores with 3 arguments, the method takes 1 "
                                  "(a NASLib bug, not ANB's); use BANANAS with search.zc")
        return original(self, search_space, scope=scope, dataset_api=dataset_api)

    adapt_search_space.__wrapped__ = original  # type: ignore[attr-defined]
    return adapt_search_space


def _method_targets() -> list[tuple[Any, str, Callable[..., Any]]]:
    from naslib.optimizers import Bananas, Npenas
    from naslib.defaults.predictor_evaluator import PredictorEvaluator
    from naslib.evaluators.zc_ensemble_evaluator import ZCEnsembleEvaluator
    from naslib.evaluators.zc_evaluator import ZeroCostPredictorEvaluator
    from naslib.predictors.ensemble import Ensemble

    return [
        (PredictorEvaluator, "adapt_search_space", _wrap_adapt),
        (PredictorEvaluator, "compare", _wrap_compare),
        (PredictorEvaluator, "_log_to_json", _wrap_log_to_json),
        (ZeroCostPredictorEvaluator, "_log_to_json", _wrap_log_to_json),
        (ZCEnsembleEvaluator, "adapt_search_space", _wrap_zc_ensemble_adapt),
        (Ensemble, "get_ensemble", _wrap_get_ensemble),
        (Bananas, "adapt_search_space", _wrap_zc_optimizer_adapt),
        (Npenas, "adapt_search_space", _wrap_zc_optimizer_adapt),
    ]


def register() -> dict[str, Any]:
    """Register the ANB space, dataset API, zero-cost data, encodings and predictor names in NASLib.

    Works whatever was imported from NASLib before (see the module docstring). Returns what was
    changed. Idempotent.
    """
    import_naslib()
    import naslib.search_spaces as ss

    from naslib_anb.naslib import predictor_compat
    from naslib_anb.naslib.space import ANBSearchSpace

    with _LOCK:
        if _STATE:
            return dict(_STATE["report"])
        ss.supported_search_spaces[SPACE_NAME] = ANBSearchSpace
        tokens, methods = [], []
        for _name, func, make_hook in _inplace_targets():
            tokens.append(inplace.redirect(func, make_hook))
        for cls, attr, wrap in _method_targets():
            original = cls.__dict__[attr]
            setattr(cls, attr, wrap(original))
            methods.append((cls, attr, original))
        compat_done = predictor_compat.install()
        report = {
            "supported_search_spaces": SPACE_NAME,
            "in_place": [f"{t[0].__module__}.{t[0].__name__}" for t in tokens],
            "methods": [f"{cls.__name__}.{attr}" for cls, attr, _ in methods],
            "predictor_compat": sorted(compat_done),
        }
        _STATE.update(report=report, tokens=tokens, methods=methods, predictor_compat=compat_done)
        return dict(report)


def unregister() -> None:
    """Restore every NASLib object :func:`register` changed. Idempotent."""
    with _LOCK:
        if not _STATE:
            return
        import naslib.search_spaces as ss

        from naslib_anb.naslib import predictor_compat

        ss.supported_search_spaces.pop(SPACE_NAME, None)
        for token in _STATE["tokens"]:
            inplace.restore(token)
        for cls, attr, original in _STATE["methods"]:
            setattr(cls, attr, original)
        predictor_compat.uninstall(_STATE["predictor_compat"])
        options.clear_active()
        _STATE.clear()
