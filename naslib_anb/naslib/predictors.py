"""Our surrogate families as NASLib predictors, for ``PredictorEvaluator`` and BANANAS/NPENAS.

- :class:`ANBPredictor`: one estimator from :func:`naslib_anb.surrogates.make_estimator`,
  fitted on the architectures NASLib passes (space objects, ``nn.Module`` wrappers, specs);
  the estimator's own encoding pipeline is used, not NASLib's.
- :class:`ANBEnsemble`: NASLib ``Ensemble`` whose members are ``ANBPredictor`` with seeds
  ``0..n-1`` (so members differ and ITS/UCB acquisition sees a real spread).
- :class:`ANBBananas` / :class:`ANBNpenas`: NASLib's BANANAS/NPENAS with ``_get_ensemble``
  overridden to build an :class:`ANBEnsemble` (no :func:`register` needed).

Predictor-type names are ``anb_<family>`` (``anb_xgb``, ...); after :func:`register` NASLib's
unchanged ``Ensemble`` (hence BANANAS/NPENAS ``search.predictor_type``) accepts them too.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from naslib_anb.naslib import import_naslib

import_naslib()

from naslib.optimizers import Bananas, Npenas  # noqa: E402
from naslib.predictors.ensemble import Ensemble  # noqa: E402
from naslib.predictors.predictor import Predictor  # noqa: E402

from naslib_anb.errors import ConfigError, UnknownChoiceError  # noqa: E402
from naslib_anb.naslib.dataset_api import spec_to_arch  # noqa: E402
from naslib_anb.space import Arch  # noqa: E402

PREFIX = "anb_"


def list_families() -> list[str]:
    """Surrogate families :func:`naslib_anb.surrogates.make_estimator` builds."""
    from naslib_anb.surrogates import list_families as _families

    return list(_families())


def predictor_types() -> list[str]:
    """NASLib predictor-type names of our families: ``anb_<family>``."""
    return [PREFIX + f for f in list_families()]


def is_anb_predictor_type(name: Any) -> bool:
    return isinstance(name, str) and name.startswith(PREFIX)


def family_of(predictor_type: str) -> str:
    fam = predictor_type[len(PREFIX):] if is_anb_predictor_type(predictor_type) else predictor_type
    fams = list_families()
    if fam not in fams:
        raise UnknownChoiceError(predictor_type, [PREFIX + f for f in fams], "our surrogate families")
    return fam


def to_arch(x: Any) -> Arch:
    """An Arch from what NASLib hands a predictor: a space object, a wrapper, a spec, an Arch."""
    if isinstance(x, Arch):
        return x
    if hasattr(x, "get_spec"):
        return spec_to_arch(tuple(x.get_spec()))
    inner = getattr(x, "arch", None)
    if inner is not None and hasattr(inner, "get_spec"):
        return spec_to_arch(tuple(inner.get_spec()))
    if isinstance(x, (tuple, list, np.ndarray)) and len(x) == 28:
        return spec_to_arch(tuple(int(v) for v in x))
    return Arch.parse(x)


class ANBPredictor(Predictor):
    """A NASLib predictor backed by one of our surrogate families.

    ``target``/``preset`` pick the family's tuned settings for that benchmark target (NASLib's
    evaluator and BANANAS/NPENAS predict validation accuracy: ``val_top1``).
    """

    def __init__(self, family: str = "xgb", seed: int = 0, ss_type: Optional[str] = None,
                 encoding_type: Any = None, hpo_wrapper: bool = False, target: Optional[str] = "val_top1",
                 preset: str = "anb", **overrides: Any):
        super().__init__(ss_type=ss_type, encoding_type=encoding_type)
        self.family = family_of(family)
        self.seed = int(seed)
        self.target = target
        self.preset = preset
        self.overrides = dict(overrides)
        self.hpo_wrapper = hpo_wrapper
        self.hyperparams = None
        self.model = None

    def _make(self) -> Any:
        from naslib_anb.surrogates import make_estimator

        return make_estimator(self.family, target=self.target, seed=self.seed, preset=self.preset,
                              **self.overrides)

    def fit(self, xtrain, ytrain, train_info=None):
        archs = [to_arch(x) for x in xtrain]
        y = np.asarray(ytrain, dtype=np.float64)
        if len(archs) != len(y) or not len(archs):
            raise ConfigError(f"fit needs as many (>0) targets as architectures, got {len(archs)} and {len(y)}")
        self.model = self._make()
        self.model.fit(archs, y)
        pred = np.asarray(self.model.predict(archs), dtype=np.float64)
        return float(np.mean(np.abs(pred - y)))

    def query(self, xtest, info=None) -> np.ndarray:
        if self.model is None:
            raise ConfigError("query before fit")
        return np.asarray(self.model.predict([to_arch(x) for x in xtest]), dtype=np.float64).reshape(-1)

    def get_hyperparams(self):
        return self.hyperparams

    def set_random_hyperparams(self):
        return self.hyperparams  # our families tune themselves; NASLib's CV-HPO keeps defaults

    @property
    def default_hyperparams(self) -> dict:
        return {}


def ensemble_members(predictor_type: str, num_ensemble: int, ss_type: Optional[str] = None,
                     config: Any = None) -> list:
    """Members seeded ``config.seed * num_ensemble + i``: runs with different seeds get different members."""
    fam = family_of(predictor_type)
    base = int(getattr(config, "seed", 0) or 0) * int(num_ensemble)
    return [ANBPredictor(fam, seed=base + i, ss_type=ss_type) for i in range(int(num_ensemble))]


class ANBEnsemble(Ensemble):
    """NASLib ``Ensemble`` of ``ANBPredictor`` members (seeded from ``config.seed``)."""

    def __init__(self, num_ensemble: int = 3, predictor_type: str = "anb_xgb", ss_type: Optional[str] = None,
                 **kwargs: Any):
        super().__init__(num_ensemble=num_ensemble, predictor_type=predictor_type, ss_type=ss_type, **kwargs)
        family_of(predictor_type)  # fail early on an unknown family

    def get_ensemble(self):
        return ensemble_members(self.predictor_type, self.num_ensemble, ss_type=self.ss_type,
                                config=getattr(self, "config", None))


def _anb_predictor_type(opt: Any) -> str:
    pt = opt.predictor_type
    return pt if is_anb_predictor_type(pt) else PREFIX + pt


class ANBBananas(Bananas):
    """BANANAS whose ensemble is ours; ``search.predictor_type`` is a family (``xgb`` or ``anb_xgb``)."""

    def _get_ensemble(self):
        return ANBEnsemble(num_ensemble=self.num_ensemble, predictor_type=_anb_predictor_type(self),
                           ss_type=self.ss_type, config=self.config)


class ANBNpenas(Npenas):
    """NPENAS whose ensemble is ours; ``search.predictor_type`` is a family (``xgb`` or ``anb_xgb``)."""

    def _get_ensemble(self):
        return ANBEnsemble(num_ensemble=self.num_ensemble, predictor_type=_anb_predictor_type(self),
                           ss_type=self.ss_type, config=self.config)
