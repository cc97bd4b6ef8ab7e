"""Make NASLib's last release import and run on current Python, numpy, scikit-learn, torchvision.

NASLib is not edited. Each patch below checks whether the running stack needs it and
does nothing otherwise; :func:`apply` is idempotent and reports what it changed.

Patches (applied only where needed):

``torchvision_ops``
    The CPU torch wheel beside PyPI's (CUDA-built) torchvision: torchvision's C++ extension
    fails to load and its fake-kernel registrations then raise
    ``operator torchvision::nms does not exist``. The two op schemas are declared so the
    Python side imports; torchvision's C++ ops stay unusable (NASLib never calls them).
``collections_abc``
    Python >= 3.10 removed ``collections.Iterable`` & co., used by NASLib's GP-WL kernel.
``numpy_int``
    numpy >= 1.24 removed ``np.int``, used by NASLib's SemiNAS predictors.
``sklearn_mse_squared``
    scikit-learn >= 1.6 removed ``mean_squared_error(..., squared=False)``; NASLib's
    ``PredictorEvaluator.compare`` catches the TypeError and silently turns every metric into NaN.
``count_parameters``
    numpy >= 2.4 rejects ``np.sum(generator)`` in ``naslib.utils.count_parameters_in_MB``,
    which ``Trainer.__init__`` calls for RE, LS, BANANAS and NPENAS. Applied after
    ``naslib.utils`` is imported (see :func:`naslib_anb.naslib.import_naslib`).
"""
from __future__ import annotations

import inspect
import sys
from typing import Any, Callable

_APPLIED: dict[str, str] = {}

#: every patch this module knows, in application order, with what it fixes
PATCHES: dict[str, str] = {
    "torchvision_ops": "declare torchvision::nms/qnms schemas when torchvision's C++ ops cannot load",
    "collections_abc": "collections.Iterable/Sequence/Mapping/MutableMapping/Callable aliases (Python >= 3.10)",
    "numpy_int": "np.int = int (numpy >= 1.24)",
    "sklearn_mse_squared": "mean_squared_error(squared=...) keyword (scikit-learn >= 1.6)",
    "count_parameters": "naslib.utils.count_parameters_in_MB without np.sum(generator) (numpy >= 2.4)",
}

_COLLECTION_NAMES = ("Iterable", "Sequence", "Mapping", "MutableMapping", "Callable")


def applied() -> dict[str, str]:
    """The patches applied in this process so far: ``{name: detail}``."""
    return dict(_APPLIED)


def _patch_torchvision() -> str | None:
    if "torchvision" in sys.modules and "torchvision_ops" not in _APPLIED:
        return None  # imported fine before us
    try:
        import torch
    except ImportError:
        return None
    try:
        import torchvision  # noqa: F401
        return None
    except RuntimeError as exc:
        if "torchvision::" not in str(exc):
            raise
    for mod in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[mod]
    defined = []
    for op in ("nms", "qnms"):
        try:
            torch.library.define(
                f"torchvision::{op}", "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
            defined.append(op)
        except RuntimeError:  # already declared
            pass
    import torchvision  # noqa: F401,F811

    return f"declared torchvision::{{{','.join(defined) or 'none'}}} for torchvision {torchvision.__version__}"


def _patch_collections() -> str | None:
    import collections
    import collections.abc

    missing = [n for n in _COLLECTION_NAMES if not hasattr(collections, n)]
    for n in missing:
        setattr(collections, n, getattr(collections.abc, n))
    return f"collections.{{{','.join(missing)}}}" if missing else None


def _patch_numpy_int() -> str | None:
    import numpy as np

    try:
        np.int  # noqa: B018
        return None
    except AttributeError:
        np.int = int  # type: ignore[attr-defined]
        return f"np.int = int on numpy {np.__version__}"


def _mse_with_squared(original: Callable[..., Any]) -> Callable[..., Any]:
    import numpy as np

    def mean_squared_error(y_true, y_pred, *args, squared: bool = True, **kwargs):
        value = original(y_true, y_pred, *args, **kwargs)
        return value if squared else np.sqrt(value)

    mean_squared_error.__wrapped__ = original  # type: ignore[attr-defined]
    mean_squared_error.__doc__ = original.__doc__
    return mean_squared_error


def _patch_sklearn() -> str | None:
    import sklearn
    import sklearn.metrics as skm

    if "squared" in inspect.signature(skm.mean_squared_error).parameters:
        return None
    skm.mean_squared_error = _mse_with_squared(skm.mean_squared_error)
    return f"sklearn.metrics.mean_squared_error(squared=) on scikit-learn {sklearn.__version__}"


def count_parameters_in_mb(model: Any) -> float:
    """Parameters (millions) of a module, skipping auxiliary heads, as NASLib counts them."""
    total = 0
    for name, p in model.named_parameters():
        if "auxiliary" not in name:
            total += int(p.numel())
    return total / 1e6


def _numpy_rejects_generator_sum() -> bool:
    import numpy as np

    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.sum(x for x in (1, 2))
        return False
    except TypeError:
        return True


def patch_count_parameters(force: bool = False) -> str | None:
    """Replace ``count_parameters_in_MB`` in every imported ``naslib`` module that holds it.

    Called after NASLib's optimizers are imported (they bind the name at import time).
    """
    if not force and not _numpy_rejects_generator_sum():
        return None
    utils = sys.modules.get("naslib.utils")
    if utils is None:
        return None
    original = getattr(utils, "count_parameters_in_MB", None)
    if original is None or original is count_parameters_in_mb:
        return None
    patched = []
    for name, mod in list(sys.modules.items()):
        if (name == "naslib" or name.startswith("naslib.")) and mod is not None:
            if getattr(mod, "count_parameters_in_MB", None) is original:
                mod.count_parameters_in_MB = count_parameters_in_mb  # type: ignore[attr-defined]
                patched.append(name)
    detail = f"count_parameters_in_MB replaced in {len(patched)} naslib modules"
    _APPLIED["count_parameters"] = detail
    return detail


_PRE_IMPORT: dict[str, Callable[[], str | None]] = {
    "torchvision_ops": _patch_torchvision,
    "collections_abc": _patch_collections,
    "numpy_int": _patch_numpy_int,
    "sklearn_mse_squared": _patch_sklearn,
}


def apply() -> dict[str, str]:
    """Apply every pre-import patch the running stack needs; safe to call many times.

    Returns the patches applied in this process so far (``{name: detail}``).
    """
    for name, fn in _PRE_IMPORT.items():
        if name in _APPLIED:
            continue
        detail = fn()
        if detail:
            _APPLIED[name] = detail
    return applied()
