"""Surrogate model families behind one scikit-learn estimator contract.

Every estimator takes architectures (``Arch`` objects, canonical strings, upstream dicts,
or an integer ``(n, 28)`` array of ordinal choice indices) and encodes them itself, so a
caller never handles features. ``fit`` returns ``self``; hyperparameters live in
``__init__`` and are visible to ``get_params``/``set_params``/``sklearn.base.clone``.
Models are saved in the library's native format (XGBoost UBJSON, LightGBM text) or,
for scikit-learn models, as plain JSON arrays: never pickles.
"""
from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path
from typing import Any, ClassVar, Optional

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from naslib_anb.errors import ConfigError, ModelFileError
from naslib_anb.io import atomic_write_bytes
from naslib_anb.surrogates._compile import Leaves, NotCompilableError, lightgbm_leaves, tabulate, xgboost_leaves
from naslib_anb.surrogates._encoding import N_FEATURES, features_from_codes, interaction_groups, to_codes
from naslib_anb.surrogates._envelope import check_method
from naslib_anb.surrogates._monotone import (
    check_monotone,
    correction_from_arrays,
    correction_to_arrays,
    correction_values,
    monotone_correction,
)
from naslib_anb.surrogates._transforms import forward_checked, get_transform

log = logging.getLogger(__name__)

#: Below this many rows no internal early-stopping split is made (see ``fit``).
MIN_ROWS_FOR_EARLY_STOPPING = 50
#: Boosting rounds used when there is too little data for early stopping.
SMALL_DATA_ROUNDS = 200


def _seed(random_state: Any) -> int:
    if random_state is None:
        return 0
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    raise ConfigError(f"random_state must be an int or a numpy Generator, got {random_state!r}")


def _npz_b64(arrays: dict) -> str:
    import base64
    import io

    bio = io.BytesIO()
    np.savez_compressed(bio, **arrays)
    return base64.b64encode(bio.getvalue()).decode("ascii")


def _b64_npz(text: str) -> dict:
    import base64
    import io

    with np.load(io.BytesIO(base64.b64decode(text.encode("ascii"))), allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


class ArchRegressor(RegressorMixin, BaseEstimator):
    """Base class: encoding, target transform, validation split; subclasses fit natively."""

    family: ClassVar[str] = ""
    file_suffix: ClassVar[str] = ""
    #: whether ``early_stopping_rounds``/``eval_set`` are meaningful for this family
    boosted: ClassVar[bool] = False

    # -- public API -----------------------------------------------------------------------
    def fit(self, X: Any, y: Any, eval_set: Optional[tuple[Any, Any]] = None) -> "ArchRegressor":
        """Fit on architectures ``X`` and targets ``y`` (native units).

        Boosted families stop early on ``eval_set`` when given; otherwise, with at least
        ``MIN_ROWS_FOR_EARLY_STOPPING`` rows, on an internal seeded hold-out of
        ``validation_fraction``; with fewer rows they train ``min(n_estimators, 200)``
        rounds without early stopping.
        """
        codes = to_codes(X)
        y = self._check_y(y, len(codes))
        z = forward_checked(self.transform, y)
        F = features_from_codes(codes)
        ev = None
        if eval_set is not None:
            vc = to_codes(eval_set[0])
            vy = self._check_y(eval_set[1], len(vc))
            ev = (features_from_codes(vc), forward_checked(self.transform, vy))
        elif self.boosted and getattr(self, "early_stopping_rounds", None) and len(z) >= MIN_ROWS_FOR_EARLY_STOPPING:
            rng = np.random.default_rng(_seed(self.random_state) + 7919)
            perm = rng.permutation(len(z))
            n_val = max(1, int(round(float(self.validation_fraction) * len(z))))
            va, tr = perm[:n_val], perm[n_val:]
            ev = (F[va], z[va])
            F, z = F[tr], z[tr]
        self._fit_native(F, z, ev)
        self.n_train_ = int(len(z))
        self.n_features_in_ = N_FEATURES
        self._fit_monotone_correction()
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predictions in the target's native units, float64 (n,)."""
        return self.predict_codes(to_codes(X))

    def predict_codes(self, codes: np.ndarray) -> np.ndarray:
        self._check_fitted()
        codes = np.asarray(codes, dtype=np.int64)
        if self.uses_envelope:
            z = self.envelope_model().evaluate(codes)[:, 0]
        else:
            z = self._predict_z(codes)
            correction = getattr(self, "monotone_correction_", None)
            if correction:
                z = z + correction_values(correction, codes)
        return get_transform(self.transform).inverse(z)

    @property
    def uses_envelope(self) -> bool:
        """Made monotone by envelopes (:mod:`._envelope`) rather than a table correction."""
        return getattr(self, "monotone", "none") != "none" and getattr(self, "monotone_method", "correction") == "envelope"

    def envelope_model(self):
        """This member alone as an :class:`._envelope.EnvelopeModel` (built once from its tables)."""
        from naslib_anb.surrogates._envelope import EnvelopeModel

        if getattr(self, "_envelope", None) is None:
            self._envelope = EnvelopeModel.from_members([self._raw_stage_tables()], self.monotone)
        return self._envelope

    def _predict_z(self, codes: np.ndarray) -> np.ndarray:
        """The fitted model in transformed space, before any monotone correction."""
        return np.asarray(self._predict_native(features_from_codes(codes)), dtype=np.float64)

    def leaves(self) -> Leaves:
        """Tree leaves for table compilation; raises NotCompilableError if unsupported."""
        raise NotCompilableError(f"family {self.family!r} is not compiled to tables")

    def _raw_stage_tables(self) -> tuple[dict[tuple[int, ...], np.ndarray], float]:
        return tabulate(self.leaves())

    def stage_tables(self) -> tuple[dict[tuple[int, ...], np.ndarray], float]:
        """The fitted model as ``{stage tuple: flat table}`` plus a constant (transformed space),
        monotone correction included."""
        if self.uses_envelope:
            raise NotCompilableError("a member made monotone by envelopes is not a sum of tables")
        tables, const = self._raw_stage_tables()
        for g, delta in (getattr(self, "monotone_correction_", None) or {}).items():
            tables[g] = tables[g] + delta if g in tables else np.asarray(delta, dtype=np.float64)
        return tables, const

    def _fit_monotone_correction(self) -> None:
        """With ``monotone`` set, the table correction that makes the model monotone in size."""
        kind = check_monotone(getattr(self, "monotone", "none"))
        self._envelope = None
        if kind == "none":
            self.monotone_correction_ = {}
            return
        if check_method(getattr(self, "monotone_method", "correction")) == "envelope":
            self.monotone_correction_ = {}
            self.envelope_model()  # refuses a model with interactions the envelopes cannot handle
            return
        try:
            tables = self._raw_stage_tables()[0]
        except NotCompilableError as exc:
            raise ConfigError(f"monotone={kind!r} needs a model that compiles to stage tables ({exc}); "
                              "use interaction 'stage', 'pair' or 'star0'") from None
        self.monotone_correction_ = monotone_correction(tables, kind)

    def _correction_arrays(self) -> dict[str, np.ndarray]:
        return correction_to_arrays(getattr(self, "monotone_correction_", None) or {})

    def _set_correction_arrays(self, arrays) -> None:
        self.monotone_correction_ = correction_from_arrays(arrays)

    def shared_params(self) -> dict[str, Any]:
        """Fitted values the other members of an ensemble should reuse (GP hyperparameters)."""
        return {}

    def save(self, path: Path) -> Path:
        """Write the fitted model in its native format to ``path`` (suffix added if missing)."""
        self._check_fitted()
        path = Path(path)
        if not path.name.endswith(self.file_suffix):
            path = path.with_name(path.name + self.file_suffix)
        atomic_write_bytes(path, self._to_bytes())
        return path

    @classmethod
    def load(cls, path: Path, params: Optional[dict] = None) -> "ArchRegressor":
        est = cls(**(params or {}))
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ModelFileError(f"cannot read model file {path}: {exc}") from None
        try:
            est._from_bytes(data)
        except ModelFileError:
            raise
        except Exception as exc:  # noqa: BLE001 - any library parse failure is a bad file
            raise ModelFileError(f"{path}: not a valid {cls.family} model ({exc})") from None
        return est

    # -- helpers --------------------------------------------------------------------------
    def _check_y(self, y: Any, n: int) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if len(y) != n:
            raise ConfigError(f"X has {n} architectures but y has {len(y)} values")
        if n == 0:
            raise ConfigError("cannot fit on an empty training set")
        if not np.all(np.isfinite(y)):
            raise ConfigError("y contains NaN or infinite values; drop unmeasured records first")
        return y

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")

    def _fit_native(self, F, z, ev) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict_native(self, F) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _to_bytes(self) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    def _from_bytes(self, data: bytes) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class XGBSurrogate(ArchRegressor):
    """XGBoost regression trees (default family). Predicts with the best iteration only."""

    family = "xgb"
    file_suffix = ".ubj.gz"
    boosted = True

    def __init__(self, n_estimators: int = 4000, learning_rate: float = 0.1, max_depth: int = 4,
                 min_child_weight: float = 5.0, subsample: float = 0.8, colsample_bytree: float = 0.9,
                 colsample_bylevel: float = 1.0, reg_lambda: float = 1.0, reg_alpha: float = 0.0,
                 interaction: str = "pair", transform: str = "none", early_stopping_rounds: int = 100,
                 validation_fraction: float = 0.1, random_state: Any = 0, n_jobs: int = 2,
                 monotone: str = "none", monotone_method: str = "correction"):
        self.n_estimators = n_estimators
        self.monotone_method = monotone_method
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.colsample_bylevel = colsample_bylevel
        self.monotone = monotone
        self.reg_lambda = reg_lambda
        self.reg_alpha = reg_alpha
        self.interaction = interaction
        self.transform = transform
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _params(self) -> dict:
        p = {
            "objective": "reg:squarederror", "eval_metric": "rmse", "tree_method": "hist",
            "eta": float(self.learning_rate), "max_depth": int(self.max_depth),
            "min_child_weight": float(self.min_child_weight), "subsample": float(self.subsample),
            "colsample_bytree": float(self.colsample_bytree),
            "colsample_bylevel": float(self.colsample_bylevel), "lambda": float(self.reg_lambda),
            "alpha": float(self.reg_alpha), "nthread": int(self.n_jobs), "seed": _seed(self.random_state),
            "verbosity": 0,
        }
        groups = interaction_groups(self.interaction)
        if groups is not None:
            p["interaction_constraints"] = str(groups)
        return p

    def _fit_native(self, F, z, ev) -> None:
        import xgboost as xgb

        nthread = int(self.n_jobs)
        dtrain = xgb.DMatrix(F, label=z, nthread=nthread)
        kw: dict = {}
        rounds = int(self.n_estimators)
        if ev is not None and self.early_stopping_rounds:
            kw = {"evals": [(xgb.DMatrix(ev[0], label=ev[1], nthread=nthread), "val")],
                  "early_stopping_rounds": int(self.early_stopping_rounds)}
        elif len(z) < MIN_ROWS_FOR_EARLY_STOPPING:
            rounds = min(rounds, SMALL_DATA_ROUNDS)
        booster = xgb.train(self._params(), dtrain, num_boost_round=rounds, verbose_eval=False, **kw)
        if kw:
            self.best_iteration_ = int(booster.best_iteration)
            booster = booster[: self.best_iteration_ + 1]
        else:
            self.best_iteration_ = rounds - 1
        self.model_ = booster

    def _predict_native(self, F) -> np.ndarray:
        return self.model_.inplace_predict(np.ascontiguousarray(F, dtype=np.float32))

    def leaves(self) -> Leaves:
        self._check_fitted()
        return xgboost_leaves(self.model_)

    def _to_bytes(self) -> bytes:
        # XGBoost's own UBJSON, gzip-compressed (deterministic: mtime=0) to keep the package small;
        # a monotone correction travels inside it as a booster attribute (base64 of an npz)
        arrays = self._correction_arrays()
        self.model_.set_attr(anb_monotone=_npz_b64(arrays) if arrays else None)
        return gzip.compress(bytes(self.model_.save_raw("ubj")), compresslevel=9, mtime=0)

    def _from_bytes(self, data: bytes) -> None:
        import xgboost as xgb

        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        booster = xgb.Booster()
        booster.load_model(bytearray(data))
        booster.set_param({"nthread": int(self.n_jobs)})
        self.model_ = booster
        self.best_iteration_ = booster.num_boosted_rounds() - 1
        attr = booster.attr("anb_monotone")
        self._set_correction_arrays(_b64_npz(attr) if attr else {})


class LGBSurrogate(ArchRegressor):
    """LightGBM regression trees; saved as LightGBM's text model, best iteration only, xz-compressed
    (the text is ~4x larger; uncompressed ``.txt`` files still load)."""

    family = "lgb"
    file_suffix = ".txt.xz"
    boosted = True

    def __init__(self, n_estimators: int = 4000, learning_rate: float = 0.05, num_leaves: int = 15,
                 max_depth: int = 4, min_child_samples: int = 5, min_child_weight: float = 1e-3,
                 feature_fraction: float = 0.9, bagging_fraction: float = 0.8, max_bin: int = 255,
                 reg_lambda: float = 1.0, reg_alpha: float = 0.0, interaction: str = "pair",
                 transform: str = "none", early_stopping_rounds: int = 100,
                 validation_fraction: float = 0.1, random_state: Any = 0, n_jobs: int = 2):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.min_child_weight = min_child_weight
        self.feature_fraction = feature_fraction
        self.bagging_fraction = bagging_fraction
        self.max_bin = max_bin
        self.reg_lambda = reg_lambda
        self.reg_alpha = reg_alpha
        self.interaction = interaction
        self.transform = transform
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _params(self, n: int) -> dict:
        p = {
            "objective": "regression", "boosting": "gbdt", "learning_rate": float(self.learning_rate),
            "num_leaves": int(self.num_leaves), "max_depth": int(self.max_depth),
            "min_data_in_leaf": int(min(self.min_child_samples, max(1, n // 2))),
            "min_sum_hessian_in_leaf": float(self.min_child_weight),
            "feature_fraction": float(self.feature_fraction),
            "bagging_fraction": float(self.bagging_fraction), "bagging_freq": 1 if self.bagging_fraction < 1 else 0,
            "max_bin": int(self.max_bin), "lambda_l2": float(self.reg_lambda),
            "lambda_l1": float(self.reg_alpha), "num_threads": int(self.n_jobs),
            "seed": _seed(self.random_state), "deterministic": True, "verbose": -1,
            "min_data_in_bin": 1,
        }
        groups = interaction_groups(self.interaction)
        if groups is not None:
            p["interaction_constraints"] = groups
        return p

    def _fit_native(self, F, z, ev) -> None:
        import lightgbm as lgb

        params = self._params(len(z))
        dtrain = lgb.Dataset(F, label=z, params={"max_bin": params["max_bin"], "verbose": -1,
                                                  "min_data_in_bin": 1})
        rounds = int(self.n_estimators)
        kw: dict = {}
        if ev is not None and self.early_stopping_rounds:
            dval = lgb.Dataset(ev[0], label=ev[1], reference=dtrain)
            kw = {"valid_sets": [dval], "callbacks": [lgb.early_stopping(int(self.early_stopping_rounds), verbose=False)]}
        elif len(z) < MIN_ROWS_FOR_EARLY_STOPPING:
            rounds = min(rounds, SMALL_DATA_ROUNDS)
        booster = lgb.train(params, dtrain, num_boost_round=rounds, **kw)
        best = booster.best_iteration if kw and booster.best_iteration > 0 else booster.current_iteration()
        self.best_iteration_ = int(best) - 1
        self.model_ = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))

    def _predict_native(self, F) -> np.ndarray:
        return self.model_.predict(np.asarray(F, dtype=np.float64), num_threads=int(self.n_jobs))

    def leaves(self) -> Leaves:
        self._check_fitted()
        return lightgbm_leaves(self.model_)

    def _to_bytes(self) -> bytes:
        import lzma  # deterministic output: no timestamps in the xz container

        return lzma.compress(self.model_.model_to_string().encode("utf-8"), preset=9 | lzma.PRESET_EXTREME)

    def _from_bytes(self, data: bytes) -> None:
        import lightgbm as lgb

        if data[:6] == b"\xfd7zXZ\x00":
            import lzma

            data = lzma.decompress(data)
        self.model_ = lgb.Booster(model_str=data.decode("utf-8"))
        self.best_iteration_ = self.model_.current_iteration() - 1


class RFSurrogate(ArchRegressor):
    """scikit-learn random forest; saved as JSON arrays of its trees."""

    family = "rf"
    file_suffix = ".json"

    def __init__(self, n_estimators: int = 122, min_samples_split: int = 3, min_samples_leaf: int = 1,
                 max_features: float = 0.705, bootstrap: bool = True, max_depth: Optional[int] = None,
                 transform: str = "none", random_state: Any = 0, n_jobs: int = 2):
        self.n_estimators = n_estimators
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.bootstrap = bootstrap
        self.max_depth = max_depth
        self.transform = transform
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _fit_native(self, F, z, ev) -> None:
        from sklearn.ensemble import RandomForestRegressor

        rf = RandomForestRegressor(
            n_estimators=int(self.n_estimators), min_samples_split=int(self.min_samples_split),
            min_samples_leaf=int(self.min_samples_leaf), max_features=self.max_features,
            bootstrap=bool(self.bootstrap), max_depth=self.max_depth,
            random_state=_seed(self.random_state), n_jobs=int(self.n_jobs))
        rf.fit(F, z)
        trees = []
        for est in rf.estimators_:
            t = est.tree_
            trees.append({"left": t.children_left.tolist(), "right": t.children_right.tolist(),
                          "feature": t.feature.tolist(), "threshold": t.threshold.tolist(),
                          "value": t.value[:, 0, 0].tolist()})
        self._set_trees(trees)

    def _set_trees(self, trees: list[dict]) -> None:
        self.model_ = trees
        self._flat = _FlatForest(trees)

    def _predict_native(self, F) -> np.ndarray:
        return self._flat.predict(F)

    def _to_bytes(self) -> bytes:
        return json.dumps({"format": "naslib_anb.rf.v1", "trees": self.model_}).encode("utf-8")

    def _from_bytes(self, data: bytes) -> None:
        obj = json.loads(data)
        if obj.get("format") != "naslib_anb.rf.v1":
            raise ModelFileError(f"unknown random-forest file format {obj.get('format')!r}")
        self._set_trees(obj["trees"])


class _FlatForest:
    """Vectorised evaluation of sklearn trees (``x <= threshold`` goes left), averaged."""

    def __init__(self, trees: list[dict]):
        lefts, rights, feats, thrs, vals, roots = [], [], [], [], [], []
        off = 0
        for t in trees:
            left = np.asarray(t["left"], dtype=np.int64)
            right = np.asarray(t["right"], dtype=np.int64)
            lefts.append(np.where(left >= 0, left + off, -1))
            rights.append(np.where(right >= 0, right + off, -1))
            feats.append(np.maximum(np.asarray(t["feature"], dtype=np.int64), 0))
            thrs.append(np.asarray(t["threshold"], dtype=np.float64))
            vals.append(np.asarray(t["value"], dtype=np.float64))
            roots.append(off)
            off += len(left)
        self.left = np.concatenate(lefts)
        self.right = np.concatenate(rights)
        self.feat = np.concatenate(feats)
        self.thr = np.concatenate(thrs)
        self.val = np.concatenate(vals)
        self.roots = np.asarray(roots, dtype=np.int64)

    def predict(self, F: np.ndarray) -> np.ndarray:
        F = np.asarray(F, dtype=np.float32).astype(np.float64)
        node = np.broadcast_to(self.roots, (len(F), len(self.roots))).copy()
        rows = np.arange(len(F))[:, None]
        while True:
            internal = self.left[node] >= 0
            if not internal.any():
                break
            go_left = F[rows, self.feat[node]] <= self.thr[node]
            nxt = np.where(go_left, self.left[node], self.right[node])
            node = np.where(internal, nxt, node)
        return self.val[node].mean(axis=1)


class _SVRBase(ArchRegressor):
    """Support-vector regression on standardised features and targets; saved as JSON."""

    file_suffix = ".json"

    def _make(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit_native(self, F, z, ev) -> None:
        F = np.asarray(F, dtype=np.float64)
        mu, sd = F.mean(0), F.std(0)
        sd[sd == 0] = 1.0
        ym, ys = float(z.mean()), float(z.std()) or 1.0
        svr = self._make()
        svr.fit((F - mu) / sd, (z - ym) / ys)
        self.model_ = {
            "format": "naslib_anb.svr.v1", "kernel": svr.kernel, "gamma": float(svr._gamma),
            "degree": int(svr.degree), "coef0": float(svr.coef0),
            "support_vectors": svr.support_vectors_.tolist(), "dual_coef": svr.dual_coef_[0].tolist(),
            "intercept": float(svr.intercept_[0]), "x_mean": mu.tolist(), "x_scale": sd.tolist(),
            "y_mean": ym, "y_scale": ys,
        }

    def _predict_native(self, F) -> np.ndarray:
        m = self.model_
        X = (np.asarray(F, dtype=np.float64) - np.asarray(m["x_mean"])) / np.asarray(m["x_scale"])
        sv = np.asarray(m["support_vectors"])
        dot = X @ sv.T
        if m["kernel"] == "rbf":
            d2 = (X * X).sum(1)[:, None] + (sv * sv).sum(1)[None] - 2 * dot
            K = np.exp(-m["gamma"] * np.maximum(d2, 0))
        elif m["kernel"] == "sigmoid":
            K = np.tanh(m["gamma"] * dot + m["coef0"])
        elif m["kernel"] == "poly":
            K = (m["gamma"] * dot + m["coef0"]) ** m["degree"]
        else:
            K = dot
        return (K @ np.asarray(m["dual_coef"]) + m["intercept"]) * m["y_scale"] + m["y_mean"]

    def _to_bytes(self) -> bytes:
        return json.dumps(self.model_).encode("utf-8")

    def _from_bytes(self, data: bytes) -> None:
        obj = json.loads(data)
        if obj.get("format") != "naslib_anb.svr.v1":
            raise ModelFileError(f"unknown SVR file format {obj.get('format')!r}")
        self.model_ = obj


class SVRSurrogate(_SVRBase):
    """epsilon-SVR; defaults are upstream's tuned values, all of them applied."""

    family = "svr"

    def __init__(self, C: float = 2.224420870210902, epsilon: float = 0.026462331883601413,
                 kernel: str = "rbf", gamma: Any = "auto", degree: int = 1,
                 coef0: float = 0.12056469544768333, shrinking: bool = False,
                 tol: float = 0.009852835003416731, transform: str = "none", random_state: Any = 0,
                 n_jobs: int = 1):
        self.C = C
        self.epsilon = epsilon
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.shrinking = shrinking
        self.tol = tol
        self.transform = transform
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _make(self):
        from sklearn.svm import SVR

        return SVR(C=self.C, epsilon=self.epsilon, kernel=self.kernel, gamma=self.gamma,
                   degree=self.degree, coef0=self.coef0, shrinking=self.shrinking, tol=self.tol)


class NuSVRSurrogate(_SVRBase):
    """nu-SVR; defaults are upstream's tuned values (sigmoid kernel), all of them applied."""

    family = "nu_svr"

    def __init__(self, C: float = 2.224420870210902, nu: float = 0.5005605065450072,
                 kernel: str = "sigmoid", gamma: Any = "scale", degree: int = 1,
                 coef0: float = 0.12056469544768333, shrinking: bool = False,
                 tol: float = 0.009852835003416731, transform: str = "none", random_state: Any = 0,
                 n_jobs: int = 1):
        self.C = C
        self.nu = nu
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.shrinking = shrinking
        self.tol = tol
        self.transform = transform
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _make(self):
        from sklearn.svm import NuSVR

        return NuSVR(C=self.C, nu=self.nu, kernel=self.kernel, gamma=self.gamma, degree=self.degree,
                     coef0=self.coef0, shrinking=self.shrinking, tol=self.tol)
