"""Predictive uncertainty: an epistemic part calibrated on validation data and an aleatoric part.

The spread of ensemble members alone is no uncertainty: members fitted on overlapping data
agree far more than their predictions agree with the labels. The predictive std is
therefore

    sigma_epi(x) = k * sqrt((a * s(x))^2 + (b * m(x))^2) * (1 + c * d(x))
    sigma(x)     = sqrt(sigma_ale(x)^2 + sigma_epi(x)^2)

with ``s`` the member std, ``m`` the ensemble mean, ``d`` the Hamming distance (0..28
decisions) to the nearest architecture the model was fitted on, and ``sigma_ale`` the
measurement noise of the label (training-seed noise for accuracy, the measured std for
devices). ``a, b, c`` maximise the Gaussian likelihood of out-of-sample errors on
validation splits (never the test split); ``k`` then puts the 68 % and 95 % coverage of
those validation errors as close as possible to nominal. Applying it is a few numpy
operations on numbers stored in the manifest, so queries stay light.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Mapping

import numpy as np

from naslib_anb.errors import ModelFileError

#: Gaussian interval half-widths (in std) of the nominal 68.27 % and 95 % intervals.
Z68, Z95 = 1.0, 1.959964


@dataclass(frozen=True)
class Aleatoric:
    """Label noise of one target: ``absolute`` (in the target's unit) or ``relative`` (of the mean)."""

    kind: str
    value: float
    source: str = ""

    @classmethod
    def from_json(cls, d: Mapping) -> "Aleatoric":
        try:
            ale = cls(str(d["kind"]), float(d["value"]), str(d.get("source", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"malformed aleatoric entry in manifest: {exc}") from None
        if ale.kind not in ("absolute", "relative") or not np.isfinite(ale.value) or ale.value < 0:
            raise ModelFileError(f"malformed aleatoric entry in manifest: {dict(d)!r}")
        return ale

    def std(self, mean: np.ndarray) -> np.ndarray:
        if self.kind == "absolute":
            return np.full(np.shape(mean), self.value, dtype=np.float64)
        return self.value * np.abs(np.asarray(mean, dtype=np.float64))


@dataclass(frozen=True)
class StdCalibration:
    """Coefficients of the predictive std of one target (see module docstring)."""

    member_scale: float  # a
    relative_floor: float  # b
    distance_slope: float  # c
    scale: float  # k
    aleatoric: Aleatoric
    validation: Mapping[str, float] = None  # type: ignore[assignment]

    def epistemic(self, mean: np.ndarray, member_std: np.ndarray, distance: np.ndarray) -> np.ndarray:
        base = np.hypot(self.member_scale * np.asarray(member_std, dtype=np.float64),
                        self.relative_floor * np.abs(np.asarray(mean, dtype=np.float64)))
        return self.scale * base * (1.0 + self.distance_slope * np.asarray(distance, dtype=np.float64))

    def total(self, mean: np.ndarray, member_std: np.ndarray, distance: np.ndarray) -> np.ndarray:
        return np.hypot(self.aleatoric.std(mean), self.epistemic(mean, member_std, distance))

    def to_json(self) -> dict:
        d = asdict(self)
        d["validation"] = dict(self.validation or {})
        return d

    @classmethod
    def from_json(cls, d: Mapping) -> "StdCalibration":
        ale = Aleatoric.from_json(d.get("aleatoric") or {})
        try:
            return cls(float(d["member_scale"]), float(d["relative_floor"]), float(d["distance_slope"]),
                       float(d["scale"]), ale, dict(d.get("validation") or {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"malformed std calibration in manifest: {exc}") from None


#: Seed-to-seed std of p* top-1 accuracy (pts) in upstream's ablation runs: 117 architectures
#: trained with 3 seeds each, so 234 degrees of freedom.
REFERENCE_SEED_STD_TOP1 = 0.256
REFERENCE_SEED_DOF = 234


def _duplicate_pairs(records, target: str) -> list[tuple[float, float]]:
    from naslib_anb.surrogates._data import usable

    by_arch: dict = {}
    for r in usable(records, target)[0]:
        by_arch.setdefault(r.arch, []).append(r.value(target))
    return [(v[0], v[1]) for v in by_arch.values() if len(v) >= 2]


def estimate_aleatoric(records, target: str) -> Aleatoric:
    """Label noise of ``target`` from the training records (never the test split).

    Accuracy: training-seed noise, pooling the duplicate architectures' variance (half the
    mean squared difference of a pair) with the reference seed-to-seed std of top-1. Devices:
    the median measured std relative to the mean. train_time: the duplicates, relative.
    """
    from naslib_anb.surrogates._data import usable

    pairs = np.asarray(_duplicate_pairs(records, target), dtype=np.float64).reshape(-1, 2)
    if target in ("val_top1", "val_top5"):
        var_dup = float(np.mean((pairs[:, 0] - pairs[:, 1]) ** 2) / 2) if len(pairs) else 0.0
        if target == "val_top1":
            var = (len(pairs) * var_dup + REFERENCE_SEED_DOF * REFERENCE_SEED_STD_TOP1 ** 2) / (
                len(pairs) + REFERENCE_SEED_DOF)
            src = (f"{len(pairs)} duplicate pairs (std {np.sqrt(var_dup):.3f}) pooled with the reference "
                   f"seed-to-seed std {REFERENCE_SEED_STD_TOP1} ({REFERENCE_SEED_DOF} dof)")
        else:
            var = var_dup
            src = f"{len(pairs)} duplicate pairs"
        return Aleatoric("absolute", round(float(np.sqrt(var)), 5), src)
    recs = usable(records, target)[0]
    rel = []
    for r in recs:
        m = r.perf.get(target) if hasattr(r, "perf") else None
        if m is not None and m.std is not None and m.mean:
            rel.append(m.std / abs(m.mean))
    if rel:
        return Aleatoric("relative", round(float(np.median(rel)), 6),
                         f"median measured std / mean over {len(rel)} records")
    if target == "train_time":
        # the repeated architectures were trained far apart in time (result_0-13 vs result_443-455)
        # and differ by about 15 % RMS, several times the surrogate's own validation error: node and
        # campaign drift, not the noise of one run, so no aleatoric part is drawn for train_time
        return Aleatoric("relative", 0.0, f"none: {len(pairs)} duplicate pairs measure campaign drift")
    if len(pairs):
        d = (pairs[:, 0] - pairs[:, 1]) / pairs.mean(axis=1)
        return Aleatoric("relative", round(float(np.sqrt(np.mean(d ** 2) / 2)), 6),
                         f"{len(pairs)} duplicate pairs")
    return Aleatoric("absolute", 0.0, "no repeated measurement")


def coverage(err: np.ndarray, sigma: np.ndarray) -> tuple[float, float]:
    """Fractions of |err| within 1 and 2 sigma (the 68 % and 95 % Gaussian intervals)."""
    r = np.abs(err) / sigma
    return float(np.mean(r <= Z68)), float(np.mean(r <= Z95))


def fit_calibration(err: np.ndarray, mean: np.ndarray, member_std: np.ndarray, distance: np.ndarray,
                    aleatoric: Aleatoric) -> StdCalibration:
    """Fit ``a, b, c`` by Gaussian likelihood, then ``k`` for coverage, on validation errors."""
    from scipy.optimize import minimize

    err = np.asarray(err, dtype=np.float64)
    mean = np.asarray(mean, dtype=np.float64)
    s = np.asarray(member_std, dtype=np.float64)
    d = np.asarray(distance, dtype=np.float64)
    ale = aleatoric.std(mean)
    rms = float(np.sqrt(np.mean(err ** 2)))
    # parameters on a log scale, in units where a and b*|m| start near the error scale
    s_ref = max(float(np.median(s)), 1e-12)
    m_ref = max(float(np.median(np.abs(mean))), 1e-12)

    def unpack(theta):
        return (np.exp(theta[0]) * rms / s_ref, np.exp(theta[1]) * rms / m_ref, np.exp(theta[2]))

    def nll(theta):
        a, b, c = unpack(theta)
        epi = np.hypot(a * s, b * np.abs(mean)) * (1.0 + c * d)
        var = ale ** 2 + epi ** 2
        return float(np.mean(0.5 * np.log(var) + 0.5 * err ** 2 / var))

    best = None
    for start in ([0.0, -1.0, -3.0], [-1.0, 0.0, -1.0], [-2.0, -2.0, 0.0]):
        res = minimize(nll, np.asarray(start), method="Nelder-Mead",
                       options={"xatol": 1e-4, "fatol": 1e-7, "maxiter": 4000})
        if best is None or res.fun < best.fun:
            best = res
    a, b, c = unpack(best.x)
    cal = StdCalibration(a, b, c, 1.0, aleatoric)

    def loss(k):
        c68, c95 = coverage(err, StdCalibration(a, b, c, k, aleatoric).total(mean, s, d))
        return (c68 - 0.6827) ** 2 + (c95 - 0.95) ** 2

    grid = np.exp(np.linspace(np.log(0.5), np.log(2.0), 161))
    k = float(grid[int(np.argmin([loss(g) for g in grid]))])
    sigma = StdCalibration(a, b, c, k, aleatoric).total(mean, s, d)
    c68, c95 = coverage(err, sigma)
    cal = StdCalibration(float(a), float(b), float(c), k, aleatoric,
                         {"n": int(len(err)), "coverage_68": round(c68, 4), "coverage_95": round(c95, 4),
                          "nll": round(float(nll(best.x)), 6)})
    return cal


__all__ = ["Aleatoric", "StdCalibration", "coverage", "estimate_aleatoric", "fit_calibration", "Z68", "Z95"]
