"""Predictive uncertainty: an epistemic part calibrated on validation data and an aleatoric part.

The spread of ensemble members alone is no uncertainty: members fitted on overlapping data
agree far more than their predictions agree with the labels. The predictive std is
therefore

    sigma_epi(x) = k * sqrt((a*s(x))^2 + (b*m(x))^2 + e^2 + (f*g(m(x)))^2 + (h*|m(x)/m_ref|^p)^2) * (1 + c*d(x))
    sigma(x)     = sqrt(sigma_ale(x)^2 + sigma_epi(x)^2)

with ``s`` the member std, ``m`` the ensemble mean, ``d`` the Hamming distance (0..28
decisions) to the nearest architecture the model was fitted on, and ``sigma_ale`` the
measurement noise of the label (training-seed noise for accuracy, the measured std for
devices). The three floors say how the error scales when the members agree: ``b`` in
proportion to the value, ``e`` as a constant (latencies: the shortest ones are not known
more precisely than the longest), and ``f`` as a constant in the space the model was fitted
in (ms per image for throughput, log error for accuracy), mapped to the target's unit by
the slope ``g = |dy/dz|`` of the target transform, so a throughput model's errors grow with
the square of the throughput, as errors in time per image do. The power floor ``h`` (shape
``"power"``) lets the errors choose how fast they grow with the value: the fastest networks
of a device are often harder than any of the three says. ``a, b, e, f, h, p, c`` maximise
the Gaussian likelihood of out-of-sample errors on validation splits (never the test
split), optionally pooled with errors of records held out behind a buffer of 10 or 12
decisions (``buffered_splits`` in ``_fit``: the validation records sit too close to the
data to show how errors grow further out). Of the distance slopes ``c`` those errors cannot
reject, the largest is kept (see :func:`cautious_distance_slope`); ``k`` then puts the 68 % and 95 % coverage of
the validation errors as deep inside their bands (60-76 % and 90-98 %) as one factor can:
errors with heavy tails cannot have both at nominal; for device targets it can also hold the
fastest third of those errors at the nominal levels (:func:`_scale_score`). Applying it is a few numpy operations
on numbers stored in the manifest, so queries stay light.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Mapping, Optional

import numpy as np

from naslib_anb.errors import ConfigError, ModelFileError

#: Gaussian interval half-widths (in std) of the nominal 68.27 % and 95 % intervals.
Z68, Z95 = 1.0, 1.959964
#: coverage a calibrated std should give its 68 % and 95 % intervals on held-out data
BAND68, BAND95 = (0.60, 0.76), (0.90, 0.98)
#: The fastest share of held-out records (by measured value) whose coverage must hold too, and
#: the least coverage its 68 % and 95 % intervals may give on the test split: an average over
#: all records can hide a std that is too small where the device is fastest.
FAST_SHARE = 1 / 3
FAST_MIN68, FAST_MIN95 = 0.60, 0.90
#: What the fastest third's validation coverage is held to when ``k`` answers for it: the nominal
#: levels, not the minimums, since a third of the test split (~170 records) varies by 2-4 points.
FAST_AIM68, FAST_AIM95 = 0.6827, 0.95
#: Which end of a device target's values is fast: ``"high"`` (throughput) or ``"low"`` (latency).
FAST_ENDS = ("high", "low")
#: Which floors the epistemic std may have: ``"floors"`` (``a, b, e, f``) or ``"power"``, which adds
#: ``h * |m / m_ref|^p`` with the power ``p`` fitted too (within POWER_RANGE).
STD_SHAPES = ("floors", "power")
#: What the coverage factor ``k`` answers for: "all" held-out errors in their bands, or
#: "fastest": that and the fastest third at FAST_AIM68 / FAST_AIM95 or more (device targets).
SCALE_RULES = ("all", "fastest")
POWER_RANGE = (-2.0, 8.0)
#: How the distance slope ``c`` is chosen: the upper end of what the errors support, or the most likely.
DISTANCE_RULES = ("cautious", "mle")
#: Largest drop in total log-likelihood a cautious slope may cost: the 95 % likelihood-ratio
#: interval of one parameter (chi-square, 1 degree of freedom, halved).
PROFILE_DROP = 1.920729
#: Cap on the cautious slope (per decision): beyond it ``1 + c*d`` is proportional to ``d``.
DISTANCE_SLOPE_MAX = 10.0


@dataclass(frozen=True)
class Aleatoric:
    """Label noise of one target: ``absolute`` (in the target's unit), ``relative`` (of the mean)
    or ``time_per_image`` (ms per image, for throughput in img/s: std ``value * mean^2 / 1000``)."""

    kind: str
    value: float
    source: str = ""

    KINDS = ("absolute", "relative", "time_per_image")

    @classmethod
    def from_json(cls, d: Mapping) -> "Aleatoric":
        try:
            ale = cls(str(d["kind"]), float(d["value"]), str(d.get("source", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"malformed aleatoric entry in manifest: {exc}") from None
        if ale.kind not in cls.KINDS or not np.isfinite(ale.value) or ale.value < 0:
            raise ModelFileError(f"malformed aleatoric entry in manifest: {dict(d)!r} "
                                 f"(kind must be one of {list(cls.KINDS)}, value finite and >= 0)")
        return ale

    def std(self, mean: np.ndarray) -> np.ndarray:
        if self.kind == "absolute":
            return np.full(np.shape(mean), self.value, dtype=np.float64)
        mean = np.abs(np.asarray(mean, dtype=np.float64))
        if self.kind == "time_per_image":
            return self.value * mean ** 2 / 1000.0
        return self.value * mean


def _epistemic_unscaled(a: float, b: float, c: float, e: float, f: float, member_std: np.ndarray,
                        mean: np.ndarray, slope, distance: np.ndarray, h: float = 0.0, p: float = 0.0,
                        ref: float = 1.0) -> np.ndarray:
    """The epistemic std before the coverage factor ``k``; ``slope`` is ``g(mean)``, or None when ``f`` is 0;
    ``h * |mean / ref|^p`` is the power floor (none when ``h`` is 0)."""
    var = (a * member_std) ** 2 + (b * mean) ** 2 + e ** 2
    if slope is not None:
        var = var + (f * slope) ** 2
    if h:
        var = var + (h * np.abs(mean / ref) ** p) ** 2
    return np.sqrt(var) * (1.0 + c * distance)


@dataclass(frozen=True)
class StdCalibration:
    """Coefficients of the predictive std of one target (see module docstring)."""

    member_scale: float  # a
    relative_floor: float  # b
    distance_slope: float  # c
    scale: float  # k
    aleatoric: Aleatoric
    validation: Mapping[str, float] = None  # type: ignore[assignment]
    absolute_floor: float = 0.0  # e (model sets calibrated before it existed have none)
    transformed_floor: float = 0.0  # f, in the units of the fitted space of ``transform``
    transform: str = "none"
    power_floor: float = 0.0  # h, in the target's unit at the value ``power_ref``
    power: float = 0.0  # p: the power floor is h * |m / power_ref|^p
    power_ref: float = 1.0

    def epistemic(self, mean: np.ndarray, member_std: np.ndarray, distance: np.ndarray) -> np.ndarray:
        mean = np.asarray(mean, dtype=np.float64)
        slope = None
        if self.transformed_floor:
            from naslib_anb.surrogates._transforms import transform_slope

            slope = transform_slope(self.transform, mean)
        return self.scale * _epistemic_unscaled(
            self.member_scale, self.relative_floor, self.distance_slope, self.absolute_floor, self.transformed_floor,
            np.asarray(member_std, dtype=np.float64), mean, slope, np.asarray(distance, dtype=np.float64),
            self.power_floor, self.power, self.power_ref)

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
            cal = cls(float(d["member_scale"]), float(d["relative_floor"]), float(d["distance_slope"]),
                      float(d["scale"]), ale, dict(d.get("validation") or {}), float(d.get("absolute_floor", 0.0)),
                      float(d.get("transformed_floor", 0.0)), str(d.get("transform", "none")),
                      float(d.get("power_floor", 0.0)), float(d.get("power", 0.0)), float(d.get("power_ref", 1.0)))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"malformed std calibration in manifest: {exc}") from None
        from naslib_anb.errors import UnknownChoiceError
        from naslib_anb.surrogates._transforms import get_transform

        try:
            get_transform(cal.transform)
        except UnknownChoiceError as exc:
            raise ModelFileError(f"malformed std calibration in manifest: {exc}") from None
        coef = (cal.member_scale, cal.relative_floor, cal.distance_slope, cal.scale, cal.absolute_floor,
                cal.transformed_floor, cal.power_floor)
        if not all(np.isfinite(v) and v >= 0 for v in coef):
            raise ModelFileError(f"malformed std calibration in manifest: coefficients {coef} must be finite and >= 0")
        if not (POWER_RANGE[0] <= cal.power <= POWER_RANGE[1] and np.isfinite(cal.power_ref) and cal.power_ref > 0):
            raise ModelFileError(f"malformed std calibration in manifest: power {cal.power} must lie in {POWER_RANGE} "
                                 f"and power_ref {cal.power_ref} be finite and > 0")
        return cal


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
    the median measured std relative to the mean; devices without std fields (the FPGAs): the
    duplicates, relative or, for throughput, in time per image where their likelihood says so.
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
        return _duplicate_noise(pairs, per_image=target.startswith("throughput_"))
    return Aleatoric("absolute", 0.0, "no repeated measurement")


def _duplicate_noise(pairs: np.ndarray, per_image: bool) -> Aleatoric:
    """Noise of a device without std fields from its duplicate pairs, in the shape they support.

    Relative noise (a fixed share of the value) is the default; for throughput, noise fixed in
    time per image (std growing with the throughput squared: jitter in the time around each
    image) is the alternative, and the Gaussian likelihood of the pair differences picks one.
    """
    fits = _duplicate_fits(pairs, per_image)
    kind = max(fits, key=lambda k: fits[k][1])
    ale = fits[kind][0]
    src = ale.source if len(fits) == 1 else ale.source[:-1] + f"; {kind} kept)"
    return Aleatoric(kind, ale.value, src)


def _duplicate_fits(pairs: np.ndarray, per_image: bool) -> dict[str, tuple[Aleatoric, float]]:
    """Each noise shape the pairs may have, its value by maximum likelihood and that log-likelihood."""
    from scipy.stats import norm

    diff, mean = pairs[:, 0] - pairs[:, 1], pairs.mean(axis=1)
    fits = {}
    for kind in ("relative", "time_per_image") if per_image else ("relative",):
        unit = Aleatoric(kind, 1.0).std(mean)  # diff ~ N(0, 2 (value * unit)^2), value by maximum likelihood
        value = float(np.sqrt(np.mean((diff / unit) ** 2) / 2))
        fits[kind] = (round(value, 6), float(norm.logpdf(diff, scale=np.sqrt(2.0) * value * unit).sum()))
    src = f"{len(pairs)} duplicate pairs"
    if len(fits) > 1:
        src += " (log-likelihood " + ", ".join(f"{k} {fits[k][1]:.2f}" for k in fits) + ")"
    return {k: (Aleatoric(k, v, src), ll) for k, (v, ll) in fits.items()}


def noise_candidates(records, target: str) -> list[tuple[Aleatoric, float]]:
    """The label-noise shapes to try for ``target``, each with the log-likelihood its evidence gives.

    A throughput without std fields (the FPGAs) has two, relative and fixed in time per image,
    each with the log-likelihood of its duplicate pairs: ten pairs barely tell them apart, so the
    held-out errors join the choice (:func:`choose_noise`). Every other target has the one
    :func:`estimate_aleatoric` gives (log-likelihood 0)."""
    ale = estimate_aleatoric(records, target)
    pairs = np.asarray(_duplicate_pairs(records, target), dtype=np.float64).reshape(-1, 2)
    if target.startswith("throughput_") and ale.source.startswith(f"{len(pairs)} duplicate pairs (log-likelihood"):
        return list(_duplicate_fits(pairs, per_image=True).values())
    return [(ale, 0.0)]


def choose_noise(fits: list[tuple[Aleatoric, float, "StdCalibration", int]]) -> tuple[Aleatoric, StdCalibration]:
    """The noise shape, and its calibration, whose evidence is the most likely: the log-likelihood
    of its duplicate pairs plus that of the held-out errors under its calibration (``fits``:
    (noise, pair log-likelihood, calibration, number of held-out errors) each). With one shape, it."""
    def total(f):
        return f[1] - f[2].validation["nll_mle"] * f[3]

    best = max(fits, key=total)
    if len(fits) == 1:
        return best[0], best[2]
    src = best[0].source[:-1] + "; with the held-out errors " + ", ".join(
        f"{f[0].kind} {total(f):.2f}" for f in fits) + f"; {best[0].kind} kept)"
    ale = Aleatoric(best[0].kind, best[0].value, src)
    from dataclasses import replace

    return ale, replace(best[2], aleatoric=ale)


def coverage(err: np.ndarray, sigma: np.ndarray) -> tuple[float, float]:
    """Fractions of |err| within 1 and 2 sigma (the 68 % and 95 % Gaussian intervals)."""
    r = np.abs(err) / sigma
    return float(np.mean(r <= Z68)), float(np.mean(r <= Z95))


def fastest(values: np.ndarray, higher_is_faster: bool = True, share: float = FAST_SHARE) -> np.ndarray:
    """Mask of the fastest ``share`` of ``values`` (measured throughput: the highest; latency: the lowest)."""
    values = np.asarray(values, dtype=np.float64)
    if higher_is_faster:
        return values >= np.quantile(values, 1.0 - share)
    return values <= np.quantile(values, share)


def _band_margin(c68: float, c95: float) -> float:
    """How far inside both coverage bands (negative: outside one)."""
    return min(c68 - BAND68[0], BAND68[1] - c68, c95 - BAND95[0], BAND95[1] - c95)


def within_bands(c68: float, c95: float) -> bool:
    """Both coverages inside their bands (BAND68, BAND95), edges included."""
    return _band_margin(c68, c95) >= 0


class _ErrorLikelihood:
    """Mean Gaussian negative log-likelihood of errors under the std's coefficients.

    ``theta`` holds ``log a, log b, log c, log e, log f`` in units where each term starts near
    the error scale, and with the power shape also ``log h`` and ``p`` (the power, as is)."""

    def __init__(self, err, mean, member_std, distance, slope, ale_std, with_power: bool):
        self.err, self.mean, self.s, self.d, self.g, self.ale = err, mean, member_std, distance, slope, ale_std
        self.with_power = with_power
        rms = max(float(np.sqrt(np.mean(err ** 2))), 1e-12)
        self.ref = max(float(np.median(np.abs(mean))), 1e-12)  # m_ref of the power floor
        self.refs = np.asarray([rms / max(float(np.median(member_std)), 1e-12), rms / self.ref, 1.0, rms,
                                rms / max(float(np.median(slope)), 1e-12)] + ([rms] if with_power else []))

    def unpack(self, theta) -> dict:
        """The coefficients of ``theta``: a, b, c, e, f and h, p."""
        theta = np.asarray(theta, dtype=np.float64)
        n = len(self.refs)
        coef = dict(zip("abcefh", (float(v) for v in np.exp(theta[:n]) * self.refs)))
        coef.setdefault("h", 0.0)
        coef["p"] = float(theta[n]) if self.with_power else 0.0
        return coef

    def nll(self, theta) -> float:
        q = self.unpack(theta)
        if not POWER_RANGE[0] <= q["p"] <= POWER_RANGE[1]:
            return np.inf
        epi = _epistemic_unscaled(q["a"], q["b"], q["c"], q["e"], q["f"], self.s, self.mean, self.g, self.d,
                                  q["h"], q["p"], self.ref)
        var = np.maximum(self.ale ** 2 + epi ** 2, 1e-300)
        return float(np.mean(0.5 * np.log(var) + 0.5 * self.err ** 2 / var))

    def starts(self) -> list[list[float]]:
        """Starts led by each kind of floor (a term at exp(-8) of the error scale is none to speak of)."""
        floors = [[0.0, -1.0, -3.0, -8.0, -8.0], [-1.0, 0.0, -1.0, -8.0, -8.0], [-2.0, -2.0, 0.0, -8.0, -8.0],
                  [0.0, -8.0, -3.0, -1.0, -8.0], [-1.0, -8.0, -1.0, -8.0, -0.5], [-3.0, -8.0, -2.0, -8.0, 0.0],
                  [-2.0, -2.0, 0.0, -1.0, -1.0]]
        if not self.with_power:
            return floors
        # led by the power floor, with a small and a steep distance slope (steep: std about proportional to d)
        led = [[-3.0, -8.0, lc, -8.0, -8.0, 0.0 - lc, p] for lc in (-1.0, 2.0) for p in (0.0, 1.0, 2.0, 3.0, 4.0, 6.0)]
        return [x + [-8.0, 1.0] for x in floors] + led

    def fit(self):
        """The most likely ``theta`` over all starts (scipy's result)."""
        from scipy.optimize import minimize

        best = None
        for start in self.starts():
            res = minimize(self.nll, np.asarray(start), method="Nelder-Mead",
                           options={"xatol": 1e-4, "fatol": 1e-7, "maxiter": 8000})
            if best is None or res.fun < best.fun:
                best = res
        return best


def fit_calibration(err: np.ndarray, mean: np.ndarray, member_std: np.ndarray, distance: np.ndarray,
                    aleatoric: Aleatoric, transform: str = "none", scale_on: Optional[np.ndarray] = None,
                    distance_rule: str = "cautious", std_shape: str = "floors",
                    fast_end: Optional[str] = None) -> StdCalibration:
    """Fit ``a, b, e, f, c`` (and ``h, p``) by Gaussian likelihood, then ``k`` for coverage, on validation errors.

    ``scale_on`` (a mask) restricts ``k`` and the reported coverage to some of the errors: the
    likelihood may see errors further from the data than test records are, but the coverage
    belongs where they are. ``distance_rule`` (:data:`DISTANCE_RULES`) says which distance
    slope ``c`` to keep: ``"cautious"`` the largest the errors support (see
    :func:`cautious_distance_slope`), ``"mle"`` the most likely. ``std_shape``
    (:data:`STD_SHAPES`): ``"power"`` adds the power floor ``h * |m / m_ref|^p``, whose power
    the errors choose (``m_ref``: the errors' median prediction). ``fast_end`` (:data:`FAST_ENDS`;
    ``"high"`` for throughput, ``"low"`` for latency) makes ``k`` also keep the coverage of the
    fastest third of the ``scale_on`` errors (by measured value, ``mean + err``) at the nominal
    FAST_AIM68 / FAST_AIM95 or more: see :func:`_scale_score`."""
    from naslib_anb.surrogates._transforms import transform_slope

    if distance_rule not in DISTANCE_RULES:
        raise ConfigError(f"distance_rule must be one of {list(DISTANCE_RULES)}, got {distance_rule!r}")
    if std_shape not in STD_SHAPES:
        raise ConfigError(f"std_shape must be one of {list(STD_SHAPES)}, got {std_shape!r}")
    if fast_end is not None and fast_end not in FAST_ENDS:
        raise ConfigError(f"fast_end must be None or one of {list(FAST_ENDS)}, got {fast_end!r}")
    err = np.asarray(err, dtype=np.float64)
    mean = np.asarray(mean, dtype=np.float64)
    s = np.asarray(member_std, dtype=np.float64)
    d = np.asarray(distance, dtype=np.float64)
    lik = _ErrorLikelihood(err, mean, s, d, transform_slope(transform, mean), aleatoric.std(mean),
                           std_shape == "power")
    best = lik.fit()
    theta, nll_best = best.x, float(best.fun)
    nll_mle = nll_best  # the best the likelihood reaches, whatever the slope (the cautious search may beat it)
    c_mle = lik.unpack(theta)["c"]
    if distance_rule == "cautious":
        theta = _cautious_theta(lik, theta, c_mle, nll_best)
        nll_best = lik.nll(theta)
        nll_mle = min(nll_mle, nll_best)
    q = lik.unpack(theta)

    def calib(k: float, validation=None) -> StdCalibration:
        return StdCalibration(q["a"], q["b"], q["c"], k, aleatoric, validation, absolute_floor=q["e"],
                              transformed_floor=q["f"], transform=transform, power_floor=q["h"], power=q["p"],
                              power_ref=lik.ref if q["h"] else 1.0)

    on = np.ones(len(err), dtype=bool) if scale_on is None else np.asarray(scale_on, dtype=bool)
    if on.shape != err.shape or not on.any():
        raise ValueError(f"scale_on must be a non-empty mask of shape {err.shape}, "
                         f"got {on.shape} with {int(on.sum())} set")

    fast = None if fast_end is None else fastest(mean[on] + err[on], higher_is_faster=fast_end == "high")
    grid = np.exp(np.linspace(np.log(0.5), np.log(2.0), 161))
    k = float(max(grid, key=lambda k: _scale_score(err[on], calib(k).total(mean[on], s[on], d[on]), fast)))
    sigma = calib(k).total(mean[on], s[on], d[on])
    c68, c95 = coverage(err[on], sigma)
    validation = {"n": int(on.sum()), "coverage_68": round(c68, 4), "coverage_95": round(c95, 4),
                  "nll": round(nll_best, 6), "nll_mle": round(nll_mle, 6), "distance_rule": distance_rule,
                  "distance_slope_mle": float(c_mle), "std_shape": std_shape}
    if fast is not None:
        f68, f95 = coverage(err[on][fast], sigma[fast])
        validation.update(fast_end=fast_end, fast_n=int(fast.sum()), fast_coverage_68=round(f68, 4),
                          fast_coverage_95=round(f95, 4))
    return calib(k, validation)


def _scale_score(err: np.ndarray, sigma: np.ndarray, fast: Optional[np.ndarray]) -> tuple:
    """How good a coverage factor is: deepest inside both bands, nearest to nominal among equals.

    With ``fast`` (a mask), in this order: all errors inside their bands (how far outside, or 0),
    the fastest third at FAST_AIM68 / FAST_AIM95 or more (how far short, or 0), then as above."""
    c68, c95 = coverage(err, sigma)
    margin, off = round(_band_margin(c68, c95), 4), -((c68 - 0.6827) ** 2 + (c95 - 0.95) ** 2)
    if fast is None:
        return margin, off
    f68, f95 = coverage(err[fast], sigma[fast])
    return min(margin, 0.0), round(min(f68 - FAST_AIM68, f95 - FAST_AIM95, 0.0), 4), margin, off


def _cautious_theta(lik: _ErrorLikelihood, best: np.ndarray, c_mle: float, nll_best: float) -> np.ndarray:
    """``theta`` with the cautious distance slope and the other coefficients refitted for it."""
    from scipy.optimize import minimize

    def profile(c_fixed: float, start: np.ndarray):
        """The likelihood's best other coefficients with the distance slope held at ``c_fixed``."""
        def nll_c(rest):
            if np.max(rest) > 50.0:  # a coefficient e^50 times the error scale: none the errors support
                return np.inf
            return lik.nll(np.insert(rest, 2, np.log(c_fixed)))  # the unit of c is 1

        runs = [minimize(nll_c, x0, method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-8, "maxiter": 8000})
                for x0 in (start, np.delete(best, 2))]  # the last slope's and the most likely coefficients
        res = min(runs, key=lambda r: r.fun)
        return res.fun, res.x

    c, rest = cautious_distance_slope(profile, np.delete(best, 2), c_mle, nll_best, len(lik.err))
    return np.insert(rest, 2, np.log(c))


def cautious_distance_slope(profile, start: np.ndarray, c_mle: float, nll_mle: float, n: int,
                            tol: float = 0.01) -> tuple[float, np.ndarray]:
    """The largest distance slope in the 95 % profile-likelihood interval of ``c``, and the other
    (log) coefficients that go with it.

    Why not the most likely slope: validation errors sit 4-9 decisions from their training
    data and barely tell slopes apart, while an optimizer goes where a too-small std
    under-states what is not known. Among the slopes the errors cannot reject, the largest
    costs the least there. ``profile(c, start)`` returns (mean nll, log coefficients) with
    ``c`` held; ``n`` errors turn the mean into a total. The interval is found by bisection
    on ``log c`` (the profile rises away from its maximum)."""
    drop = PROFILE_DROP / n

    def ok(c: float, x0: np.ndarray):
        val, x = profile(c, x0)
        return val - nll_mle <= drop, x

    good_c, good_x = c_mle, np.asarray(start, dtype=np.float64)
    if c_mle >= DISTANCE_SLOPE_MAX:  # the most likely slope is steeper than the cap already
        return c_mle, good_x
    top_ok, top_x = ok(DISTANCE_SLOPE_MAX, good_x)
    if top_ok:
        return DISTANCE_SLOPE_MAX, top_x
    lo = np.log(max(c_mle, 1e-4))
    if c_mle < 1e-4:
        fine, x = ok(1e-4, good_x)
        if not fine:
            return c_mle, good_x
        good_c, good_x = 1e-4, x
    hi = np.log(DISTANCE_SLOPE_MAX)
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        fine, x = ok(float(np.exp(mid)), good_x)
        if fine:
            lo, good_c, good_x = mid, float(np.exp(mid)), x
        else:
            hi = mid
    return good_c, good_x


__all__ = ["Aleatoric", "BAND68", "BAND95", "DISTANCE_RULES", "FAST_AIM68", "FAST_AIM95", "FAST_ENDS", "FAST_MIN68",
           "FAST_MIN95", "FAST_SHARE", "SCALE_RULES", "STD_SHAPES", "StdCalibration", "cautious_distance_slope",
           "choose_noise", "coverage", "estimate_aleatoric", "fastest", "fit_calibration", "noise_candidates",
           "within_bands", "Z68", "Z95"]
