"""Gaussian process with an additive kernel over the seven stages (orders one and two).

Why a GP: top-1 accuracy (and TPUv3 time) vary smoothly with a stage's expansion, depth
and cost, and 4,600 noisy labels are too few for trees to learn that smoothness from
piecewise-constant splits. The kernel follows Duvenaud et al.'s additive GPs truncated
at order two::

    k(x, x') = c + sum_s a_s g_s + w2 * sum_{s<t} a_s g_s a_t g_t,
    g_s = exp(-|(f(x_s) - f(x'_s)) / l|^2 / 2)

(``interaction="star0"`` keeps only the pairs of stage 0 with each later stage; ``"stage"`` none)

with ``f`` the stage's (e, k, l, se, log MACs, log params), lengthscales ``l`` shared by
all stages and one amplitude ``a_s`` per stage. Because it has no term over three stages,
the posterior mean is exactly a sum of per-stage and stage-pair tables
(:meth:`AdditiveGPSurrogate.stage_tables`), so a fitted GP is queried through the same
compiled lookup tables as the tree families, without this module.

Hyperparameters maximise the marginal likelihood (analytic gradient, L-BFGS-B) on a
seeded subsample of ``n_opt`` rows; the posterior then conditions on every training row.
"""
from __future__ import annotations

import io
from typing import Any, ClassVar, Optional

import numpy as np

from naslib_anb.errors import ConfigError, ModelFileError
from naslib_anb.space.arch import NUM_STAGES
from naslib_anb.surrogates._encoding import (
    N_COMBOS,
    N_FEATURES,
    STAGE_COMBOS,
    interaction_pairs,
    stage_feature_tables,
    to_codes,
)
from naslib_anb.surrogates._families import ArchRegressor, _seed
from naslib_anb.surrogates._transforms import forward_checked, get_transform

#: Per-stage kernel inputs, in column order (one shared lengthscale each).
KERNEL_FEATURES = ("e", "k", "l", "se", "log_macs", "log_params")
N_KF = len(KERNEL_FEATURES)
#: theta layout (all natural logs): lengthscales, stage amplitudes, constant, pair weight, noise.
_LS = slice(0, N_KF)
_AMP = slice(N_KF, N_KF + NUM_STAGES)
_C, _W2, _NOISE = N_KF + NUM_STAGES, N_KF + NUM_STAGES + 1, N_KF + NUM_STAGES + 2
N_THETA = N_KF + NUM_STAGES + 3
_THETA0 = np.r_[np.zeros(N_KF), np.zeros(NUM_STAGES), 0.0, np.log(0.1), np.log(0.02)]
#: log-space box for L-BFGS-B: keeps the kernel positive definite and the noise above jitter
_BOUNDS = ([(-4.0, 8.0)] * N_KF + [(-10.0, 8.0)] * NUM_STAGES
           + [(-10.0, 8.0), (-12.0, 12.0), (np.log(1e-5), np.log(2.0))])
_JITTER = 1e-8


def _stage_inputs() -> list[np.ndarray]:
    """Per stage, (n_combos, 6) standardised kernel inputs (scale shared across stages)."""
    raw = []
    for s in range(NUM_STAGES):
        cost = stage_feature_tables()[s][:, 4:6].astype(np.float64)
        choices = np.asarray([[st.e, st.k, st.l, float(st.se)] for st in STAGE_COMBOS[s]], dtype=np.float64)
        raw.append(np.hstack([choices, np.log(cost)]))
    scale = np.vstack(raw).std(axis=0)
    scale[scale == 0] = 1.0
    return [r / scale for r in raw]


_INPUTS = _stage_inputs()
#: (n_combos, n_combos, 6) squared input differences per stage
_SQDIFF = [(x[:, None, :] - x[None, :, :]) ** 2 for x in _INPUTS]


def _stage_grams(theta: np.ndarray) -> list[np.ndarray]:
    """Per stage, a_s * g_s over all pairs of that stage's codes (n_combos x n_combos)."""
    inv_l2 = np.exp(-2.0 * theta[_LS])
    amp = np.exp(theta[_AMP])
    return [amp[s] * np.exp(-0.5 * _SQDIFF[s] @ inv_l2) for s in range(NUM_STAGES)]


GP_INTERACTIONS = ("pair", "star0", "stage")


def _kernel(theta: np.ndarray, ca: np.ndarray, cb: np.ndarray, grams=None, parts: bool = False,
            interaction: str = "pair"):
    """Cross-kernel between code rows ``ca`` and ``cb``; with ``parts`` also the per-stage
    terms (kept only for the likelihood gradient: seven more matrices of the same size)."""
    grams = _stage_grams(theta) if grams is None else grams
    H = []
    S1 = np.zeros((len(ca), len(cb)))
    S2 = np.zeros((len(ca), len(cb)))
    h0 = None
    for s in range(NUM_STAGES):
        h = grams[s][np.ix_(ca[:, s], cb[:, s])]
        S1 += h
        S2 += h * h
        if s == 0:
            h0 = h
        if parts:
            H.append(h)
    if interaction == "pair":
        pair = 0.5 * (S1 * S1 - S2)
    elif interaction == "star0":
        pair = h0 * (S1 - h0)
    else:
        pair = np.zeros_like(S1)
    K = np.exp(theta[_C]) + S1 + np.exp(theta[_W2]) * pair
    return K, H, S1, pair


def _partner_sum(interaction: str, s: int, S1: np.ndarray, H: list[np.ndarray]):
    """Sum of the stage terms that stage ``s`` is paired with (d pair / d h_s)."""
    if interaction == "pair":
        return S1 - H[s]
    if interaction == "star0":
        return S1 - H[0] if s == 0 else H[0]
    return 0.0


def neg_log_marginal_likelihood(theta: np.ndarray, codes: np.ndarray, z: np.ndarray,
                                interaction: str = "pair") -> tuple[float, np.ndarray]:
    """Per-row NLL (up to a constant) and its exact gradient in theta."""
    from scipy.linalg import cho_factor, cho_solve

    n = len(z)
    K, H, S1, pair = _kernel(theta, codes, codes, parts=True, interaction=interaction)
    noise = np.exp(theta[_NOISE])
    K[np.diag_indices(n)] += noise + _JITTER
    try:
        cf = cho_factor(K, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return 1e10, np.zeros_like(theta)
    alpha = cho_solve(cf, z, check_finite=False)
    nll = 0.5 * z @ alpha + np.log(np.diag(cf[0])).sum()
    W = cho_solve(cf, np.eye(n), check_finite=False) - np.outer(alpha, alpha)  # dNLL/dK = W / 2
    w2 = np.exp(theta[_W2])
    grad = np.zeros_like(theta)
    grad[_C] = 0.5 * np.exp(theta[_C]) * W.sum()
    grad[_W2] = 0.5 * w2 * np.einsum("ij,ij->", W, pair)
    grad[_NOISE] = 0.5 * noise * np.trace(W)
    inv_l2 = np.exp(-2.0 * theta[_LS])
    for s in range(NUM_STAGES):
        B = W * H[s] * (1.0 + w2 * _partner_sum(interaction, s, S1, H))  # W * dK/dlog(a_s)
        grad[_AMP][s] = 0.5 * B.sum()
        # sum_ij B_ij * sqdiff(c_i, c_j): accumulate B onto the stage's (code, code) grid first
        C = N_COMBOS[s]
        flat = codes[:, s][:, None] * C + codes[:, s][None, :]
        Bc = np.bincount(flat.ravel(), weights=B.ravel(), minlength=C * C).reshape(C, C)
        grad[_LS] += 0.5 * inv_l2 * np.einsum("ab,abf->f", Bc, _SQDIFF[s])
    return float(nll / n), grad / n


class AdditiveGPSurrogate(ArchRegressor):
    """GP regression with the order-2 additive stage kernel; compiles exactly to stage tables.

    ``interaction`` picks the kernel's stage pairs: ``"pair"`` (all), ``"star0"`` (stage 0
    with each later stage) or ``"stage"`` (none: additive over stages).

    ``theta`` fixes the log-hyperparameters (no optimisation), as ensemble members after the
    first do. ``n_jobs`` is accepted for the common contract: the linear algebra runs on
    numpy's BLAS, whose threads follow ``OMP_NUM_THREADS``.
    """

    family = "gp"
    file_suffix = ".npz"
    boosted: ClassVar[bool] = False

    def __init__(self, n_opt: int = 1200, max_iter: int = 200, transform: str = "none",
                 theta: Optional[tuple] = None, random_state: Any = None, n_jobs: int = 1,
                 monotone: str = "none", interaction: str = "pair", monotone_method: str = "correction"):
        self.monotone = monotone
        self.monotone_method = monotone_method
        self.interaction = interaction
        self.n_opt = n_opt
        self.theta = theta
        self.max_iter = max_iter
        self.transform = transform
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X: Any, y: Any, eval_set: Optional[tuple[Any, Any]] = None) -> "AdditiveGPSurrogate":
        """Fit on every row of ``X``; ``eval_set`` is accepted for the common contract and unused
        (a GP has no boosting rounds to stop early)."""
        from scipy.optimize import minimize

        if int(self.n_opt) < 2:
            raise ConfigError(f"n_opt must be >= 2, got {self.n_opt}")
        get_transform(self.transform)
        self._check_interaction()
        codes = to_codes(X)
        y = self._check_y(y, len(codes))
        z = forward_checked(self.transform, y)
        mu, sd = float(z.mean()), float(z.std()) or 1.0
        zs = (z - mu) / sd
        if self.theta is not None:
            theta = np.asarray(self.theta, dtype=np.float64)
            if theta.shape != (N_THETA,) or not np.all(np.isfinite(theta)):
                raise ConfigError(f"theta must be {N_THETA} finite log-hyperparameters, got {self.theta!r}")
            self.optimizer_message_ = "fixed theta"
        else:
            rng = np.random.default_rng(_seed(self.random_state))
            sub = rng.permutation(len(zs))[: int(self.n_opt)]
            res = minimize(neg_log_marginal_likelihood, _THETA0.copy(), args=(codes[sub], zs[sub], self.interaction),
                           jac=True,
                           method="L-BFGS-B", bounds=_BOUNDS, options={"maxiter": int(self.max_iter)})
            theta = res.x
            self.optimizer_message_ = str(res.message)
        self._set_state(theta, codes, zs, mu, sd)
        self.n_train_ = int(len(z))
        self.n_features_in_ = N_FEATURES
        self._fit_monotone_correction()
        return self

    def _set_state(self, theta, codes, zs, mu, sd, alpha=None) -> None:
        from scipy.linalg import cho_factor, cho_solve

        theta = np.asarray(theta, dtype=np.float64)
        codes = np.asarray(codes, dtype=np.int64)
        if alpha is None:
            K, *_ = _kernel(theta, codes, codes, interaction=self.interaction)
            K[np.diag_indices(len(codes))] += np.exp(theta[_NOISE]) + _JITTER
            alpha = cho_solve(cho_factor(K, lower=True, check_finite=False), zs, check_finite=False)
        self.theta_ = theta
        self.train_codes_ = codes
        self.alpha_ = np.asarray(alpha, dtype=np.float64)
        self.y_mean_, self.y_scale_ = float(mu), float(sd)
        self.model_ = True

    def _check_interaction(self) -> str:
        if self.interaction not in GP_INTERACTIONS:
            from naslib_anb.errors import UnknownChoiceError

            raise UnknownChoiceError(self.interaction, GP_INTERACTIONS, "GP kernel interactions")
        return self.interaction

    def shared_params(self) -> dict[str, Any]:
        """Members after the first condition on their own fold with these hyperparameters."""
        self._check_fitted()
        return {"theta": tuple(float(v) for v in self.theta_)}

    @property
    def kernel_params_(self) -> dict[str, Any]:
        """Fitted hyperparameters in natural units, for reports."""
        t = self.theta_
        return {"lengthscales": dict(zip(KERNEL_FEATURES, np.exp(t[_LS]).round(4).tolist())),
                "stage_amplitudes": np.exp(t[_AMP]).round(5).tolist(), "constant": float(np.exp(t[_C])),
                "pair_weight": float(np.exp(t[_W2])), "noise": float(np.exp(t[_NOISE]))}

    def _predict_z(self, codes: np.ndarray) -> np.ndarray:
        """Posterior mean through the kernel itself (the compiled tables are checked against this)."""
        codes = np.asarray(codes, dtype=np.int64)
        out = np.empty(len(codes))
        grams = _stage_grams(self.theta_)
        for i in range(0, len(codes), 2048):
            K, *_ = _kernel(self.theta_, codes[i:i + 2048], self.train_codes_, grams, interaction=self.interaction)
            out[i:i + 2048] = K @ self.alpha_
        return self.y_mean_ + self.y_scale_ * out

    def _raw_stage_tables(self) -> tuple[dict[tuple[int, ...], np.ndarray], float]:
        """The posterior mean as per-stage and stage-pair tables plus a constant (exact)."""
        self._check_fitted()
        t, c, a, sd = self.theta_, self.train_codes_, self.alpha_, self.y_scale_
        grams = _stage_grams(t)
        w2 = np.exp(t[_W2])
        tables: dict[tuple[int, ...], np.ndarray] = {}
        for s in range(NUM_STAGES):
            mass = np.bincount(c[:, s], weights=a, minlength=N_COMBOS[s])
            tables[(s,)] = sd * grams[s] @ mass
        for s, u in interaction_pairs(self._check_interaction()):
            mass = np.zeros((N_COMBOS[s], N_COMBOS[u]))
            np.add.at(mass, (c[:, s], c[:, u]), a)
            tables[(s, u)] = (sd * w2 * grams[s] @ mass @ grams[u].T).reshape(-1)
        const = self.y_mean_ + sd * np.exp(t[_C]) * a.sum()
        return tables, float(const)

    def _to_bytes(self) -> bytes:
        bio = io.BytesIO()
        np.savez_compressed(bio, theta=self.theta_, train_codes=self.train_codes_.astype(np.int16),
                            alpha=self.alpha_, y_mean=self.y_mean_, y_scale=self.y_scale_,
                            kernel_features=np.asarray(KERNEL_FEATURES), interaction=np.asarray(self.interaction),
                            **self._correction_arrays())
        return bio.getvalue()

    def _from_bytes(self, data: bytes) -> None:
        with np.load(io.BytesIO(data), allow_pickle=False) as f:
            if tuple(f["kernel_features"].tolist()) != KERNEL_FEATURES:
                raise ModelFileError(f"GP file uses kernel inputs {f['kernel_features'].tolist()}, "
                                     f"this version expects {list(KERNEL_FEATURES)}")
            theta, codes, alpha = f["theta"], f["train_codes"], f["alpha"]
            # files written before the kernel had a choice of pairs used all of them
            self.interaction = str(f["interaction"]) if "interaction" in f.files else "pair"
            self._check_interaction()
            if theta.shape != (N_THETA,) or codes.ndim != 2 or codes.shape[1] != NUM_STAGES \
                    or alpha.shape != (len(codes),):
                raise ModelFileError("GP file arrays have inconsistent shapes")
            if np.any(codes < 0) or np.any(codes >= np.asarray(N_COMBOS)):
                raise ModelFileError("GP file holds stage codes out of range")
            self._set_state(theta, codes, None, float(f["y_mean"]), float(f["y_scale"]), alpha=alpha)
            self._set_correction_arrays({k: f[k] for k in f.files})
