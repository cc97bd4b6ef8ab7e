"""Target transforms: the estimator fits ``f(y)`` and predicts ``f^-1(model)``.

``inv`` turns throughput (img/s) into milliseconds per image, which is close to a
sum of per-stage times and therefore suits stage-additive trees; ``logerr`` models the
log of the top-1 error, which saturates more gently than the accuracy itself.

``satinv<p>@<ceiling>`` (e.g. ``satinv2@33300``) is ``inv`` with a fixed per-image floor
``t0 = 1000 / ceiling`` ms: the model fits ``z = (t^p - t0^p)^(1/p)`` and predicts
``t = (max(z, 0)^p + t0^p)^(1/p)``. Per-stage times still add in ``z`` where the network
is compute-bound, but time per image never drops below ``t0``, so throughput levels off
below ``ceiling`` img/s for tiny networks, as measured GPU throughput does.

``satinv<p>@<ceiling>pow<q>`` (e.g. ``satinv4@4600pow0.8``) fits ``z^q`` instead: per-stage
costs then add in a power of the time, as on the VCK190's DPU, whose time per image grows
like its single-thread latency (a sum of stage times) to the power 1.2 (``q`` about 1 / 1.2).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np

from naslib_anb.errors import ConfigError, UnknownChoiceError


@dataclass(frozen=True)
class Transform:
    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    inverse: Callable[[np.ndarray], np.ndarray]
    domain: str  # human description of the valid y range
    valid: Callable[[np.ndarray], np.ndarray]


TRANSFORMS: dict[str, Transform] = {
    t.name: t
    for t in (
        Transform("none", lambda y: y, lambda z: z, "any finite value", lambda y: np.isfinite(y)),
        Transform("log", np.log, np.exp, "y > 0", lambda y: y > 0),
        Transform("inv", lambda y: 1000.0 / y, lambda z: 1000.0 / z, "y > 0", lambda y: y > 0),
        Transform("logerr", lambda y: np.log(100.0 - y), lambda z: 100.0 - np.exp(z),
                  "0 <= y < 100 (a percentage)", lambda y: (y < 100.0) & (y >= 0)),
    )
}


_NUM = r"[0-9]+(?:\.[0-9]+)?"
_SATINV = re.compile(rf"^satinv(?P<p>{_NUM})@(?P<ceiling>{_NUM})(?:pow(?P<q>{_NUM}))?$")


@lru_cache(maxsize=64)
def _saturating_inverse(name: str, p: float, ceiling: float, q: float = 1.0) -> Transform:
    t0p = (1000.0 / ceiling) ** p

    def forward(y: np.ndarray) -> np.ndarray:
        return np.power(np.power(1000.0 / y, p) - t0p, q / p)

    def inverse(z: np.ndarray) -> np.ndarray:
        return 1000.0 / np.power(np.power(np.maximum(z, 0.0), p / q) + t0p, 1.0 / p)

    return Transform(name, forward, inverse, f"0 < y < {ceiling:g}",
                     lambda y: (y > 0) & (y < ceiling))


def get_transform(name: str) -> Transform:
    try:
        return TRANSFORMS[name]
    except (KeyError, TypeError):
        pass
    m = _SATINV.match(name) if isinstance(name, str) else None
    q = float(m["q"]) if m is not None and m["q"] is not None else 1.0
    if m is not None and float(m["p"]) > 0 and float(m["ceiling"]) > 0 and q > 0:
        return _saturating_inverse(name, float(m["p"]), float(m["ceiling"]), q)
    raise UnknownChoiceError(name, [*TRANSFORMS, "satinv<p>@<ceiling>", "satinv<p>@<ceiling>pow<q>"],
                             "target transforms") from None


def transform_slope(name: str, y: np.ndarray) -> np.ndarray:
    """``|dy/dz|`` at ``z = f(y)``: how an error of one unit in the space a model was fitted in
    (ms per image, log error, ...) shows in the target's own unit. 0 where undefined."""
    t = get_transform(name)
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(all="ignore"):
        z = t.forward(y)
        h = 1e-4 * (np.abs(z) + 1e-3)
        slope = np.abs(t.inverse(z + h) - t.inverse(z - h)) / (2.0 * h)
    return np.where(np.isfinite(slope), slope, 0.0)


def forward_checked(name: str, y: np.ndarray) -> np.ndarray:
    t = get_transform(name)
    ok = t.valid(y)
    if not np.all(ok):
        bad = y[~ok][:3]
        raise ConfigError(f"transform {name!r} needs {t.domain}; got values such as {bad.tolist()}")
    return t.forward(y)
