"""Target transforms: the estimator fits ``f(y)`` and predicts ``f^-1(model)``.

``inv`` turns throughput (img/s) into milliseconds per image, which is close to a
sum of per-stage times and therefore suits stage-additive trees; ``logerr`` models the
log of the top-1 error, which saturates more gently than the accuracy itself.
"""
from __future__ import annotations

from dataclasses import dataclass
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


def get_transform(name: str) -> Transform:
    try:
        return TRANSFORMS[name]
    except (KeyError, TypeError):
        raise UnknownChoiceError(name, TRANSFORMS, "target transforms") from None


def forward_checked(name: str, y: np.ndarray) -> np.ndarray:
    t = get_transform(name)
    ok = t.valid(y)
    if not np.all(ok):
        bad = y[~ok][:3]
        raise ConfigError(f"transform {name!r} needs {t.domain}; got values such as {bad.tolist()}")
    return t.forward(y)
