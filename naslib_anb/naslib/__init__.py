"""NASLib integration: the ANB space, dataset API, REINFORCE and predictors inside NASLib.

This subpackage is the only code that imports ``naslib``, and only on demand: importing
``naslib_anb.naslib`` itself is cheap and works without NASLib. The NASLib-facing classes
(``ANBSearchSpace``, ``Reinforce``, ``ANBPredictor``, ``ANBPredictorEvaluator``, ...) are
loaded lazily on first attribute access, after :mod:`.compat` has been applied.

NASLib is not on PyPI: install it from its own repository following its own
instructions, then put it on ``PYTHONPATH`` (see docs/naslib.md).

Typical use::

    from naslib_anb.naslib import register, ANBSearchSpace, get_anb_dataset_api
    register()                      # NASLib's own lookup points now know "anb_mnas"
    api = get_anb_dataset_api("imagenet")
    opt.adapt_search_space(ANBSearchSpace(), dataset_api=api)
"""
from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from naslib_anb.errors import ANBError

#: NASLib search-space name (``get_type()``, ``space_name``, config ``search_space``)
SPACE_NAME = "anb_mnas"
#: datasets the ANB space is measured on (NASLib ``config.dataset``)
DATASETS = ("imagenet",)


class NASLibUnavailableError(ANBError, ImportError):
    """``naslib`` cannot be imported here."""

    def __init__(self, cause: BaseException | None = None):
        msg = ("NASLib is not importable. It is not on PyPI: clone it from its own repository "
               "(github.com/automl/NASLib), install its dependencies per its README, and put the "
               "checkout on PYTHONPATH. See docs/naslib.md.")
        if cause is not None:
            msg += f" (import failed with {type(cause).__name__}: {cause})"
        super().__init__(msg)


def naslib_available() -> bool:
    """True when a regular ``naslib`` package can be found (does not import it).

    A bare directory named ``naslib`` on ``sys.path`` (a namespace package) does not count.
    """
    try:
        spec = importlib.util.find_spec("naslib")
    except (ImportError, ValueError):
        return False
    return spec is not None and spec.origin is not None and spec.origin.endswith("__init__.py")


#: every NASLib module the adapter and its tests use; importing all of them is the availability test,
#: because NASLib's top-level package imports fine while, say, ``naslib.predictors`` needs tensorwatch
IMPORT_CHAIN = (
    "naslib",
    "naslib.utils",
    "naslib.utils.encodings",
    "naslib.search_spaces",
    "naslib.search_spaces.core.graph",
    "naslib.search_spaces.core.query_metrics",
    "naslib.optimizers",
    "naslib.optimizers.core.metaclasses",
    "naslib.predictors",
    "naslib.predictors.ensemble",
    "naslib.predictors.zerocost",
    "naslib.defaults.trainer",
    "naslib.defaults.predictor_evaluator",
    "naslib.evaluators.zc_evaluator",
)


def import_naslib() -> Any:
    """Apply :mod:`.compat`, import NASLib's whole chain used here (:data:`IMPORT_CHAIN`); return ``naslib``.

    Raises :class:`NASLibUnavailableError` when NASLib or any module of that chain fails to import
    (a missing dependency such as tensorwatch, or an incompatible one).
    """
    from naslib_anb.naslib import compat

    if not naslib_available():
        raise NASLibUnavailableError()
    try:
        compat.apply()
        for name in IMPORT_CHAIN:
            importlib.import_module(name)
    except NASLibUnavailableError:
        raise
    except Exception as exc:  # ImportError, or a dependency failing at import time (RuntimeError, ...)
        raise NASLibUnavailableError(exc) from exc
    compat.patch_count_parameters()
    return importlib.import_module("naslib")


def naslib_import_problem() -> str | None:
    """Why NASLib cannot be used here (one line), or None when its whole import chain imports."""
    try:
        import_naslib()
    except NASLibUnavailableError as exc:
        return str(exc)
    return None


_LAZY = {
    "ANBSearchSpace": "naslib_anb.naslib.space",
    "get_anb_dataset_api": "naslib_anb.naslib.dataset_api",
    "ANBQueryEngine": "naslib_anb.naslib.dataset_api",
    "METRIC_MAP": "naslib_anb.naslib.dataset_api",
    "register": "naslib_anb.naslib.registration",
    "unregister": "naslib_anb.naslib.registration",
    "is_registered": "naslib_anb.naslib.registration",
    "Reinforce": "naslib_anb.naslib.optimizers",
    "ANBPredictor": "naslib_anb.naslib.predictors",
    "ANBEnsemble": "naslib_anb.naslib.predictors",
    "ANBBananas": "naslib_anb.naslib.predictors",
    "ANBNpenas": "naslib_anb.naslib.predictors",
    "ANBPredictorEvaluator": "naslib_anb.naslib.evaluator",
}

__all__ = ["SPACE_NAME", "DATASETS", "IMPORT_CHAIN", "NASLibUnavailableError", "naslib_available",
           "import_naslib", "naslib_import_problem",
           *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
