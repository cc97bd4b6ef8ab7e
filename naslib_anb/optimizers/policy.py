"""A factorised categorical policy over the 28 decisions, with Adam, in plain numpy.

Why not upstream's LSTM controller: the 28 decisions have 2-4 choices each, so an
independent softmax per decision (71 logits) represents every product distribution the
REINFORCE update can usefully move towards within a few hundred samples, needs no torch,
and is exactly reproducible across processes. The gradient of the full-distribution
entropy is included (upstream summed "entropy" over sampled actions only).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from naslib_anb.space import CARDINALITIES

_CARDS = np.asarray(CARDINALITIES, dtype=np.int64)
_OFFSETS = np.concatenate([[0], np.cumsum(_CARDS)[:-1]]).astype(np.int64)
NUM_LOGITS = int(_CARDS.sum())  # 71
_SEGMENT = np.repeat(np.arange(len(_CARDS)), _CARDS)  # logit -> decision


def _segment_sum(x: np.ndarray) -> np.ndarray:
    """Sum of ``x[..., logits]`` within each decision, broadcast back to the logits."""
    s = np.add.reduceat(x, _OFFSETS, axis=-1)
    return s[..., _SEGMENT]


@dataclass
class Adam:
    """Adam (Kingma & Ba 2015) on one flat parameter vector; ``step`` minimises."""

    lr: float
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    m: np.ndarray = field(default_factory=lambda: np.zeros(0))
    v: np.ndarray = field(default_factory=lambda: np.zeros(0))
    t: int = 0

    def step(self, params: np.ndarray, grad: np.ndarray) -> np.ndarray:
        if self.m.shape != params.shape:
            self.m = np.zeros_like(params)
            self.v = np.zeros_like(params)
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad * grad
        mhat = self.m / (1 - self.beta1 ** self.t)
        vhat = self.v / (1 - self.beta2 ** self.t)
        return params - self.lr * mhat / (np.sqrt(vhat) + self.eps)


class FactorizedCategoricalPolicy:
    """p(arch) = prod_d softmax(z_d)[a_d]; logits start at 0 (uniform, like random search)."""

    def __init__(self) -> None:
        self.logits = np.zeros(NUM_LOGITS, dtype=np.float64)

    def probs(self) -> np.ndarray:
        z = self.logits - np.maximum.reduceat(self.logits, _OFFSETS)[_SEGMENT]
        e = np.exp(z)
        return e / _segment_sum(e)

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """28 choice indices, by inverse CDF with one uniform per decision."""
        p = self.probs()
        u = rng.random(len(_CARDS))
        idx = np.empty(len(_CARDS), dtype=np.int64)
        for d, (o, c) in enumerate(zip(_OFFSETS, _CARDS)):
            cdf = np.cumsum(p[o:o + c])
            idx[d] = min(int(np.searchsorted(cdf, u[d] * cdf[-1], side="right")), c - 1)
        return idx

    def log_prob(self, indices: np.ndarray) -> np.ndarray:
        """log p(arch) for a (n, 28) batch of choice indices."""
        logp = np.log(self.probs())
        return logp[np.asarray(indices) + _OFFSETS].sum(axis=-1)

    def entropy(self) -> float:
        p = self.probs()
        return float(-(p * np.log(p)).sum())

    def grad_log_prob(self, indices: np.ndarray) -> np.ndarray:
        """d log p(a) / d logits for a (n, 28) batch: onehot(a) - p, shape (n, 71)."""
        indices = np.atleast_2d(indices)
        g = -np.broadcast_to(self.probs(), (indices.shape[0], NUM_LOGITS)).copy()
        rows = np.arange(indices.shape[0])[:, None]
        g[rows, indices + _OFFSETS] += 1.0
        return g

    def grad_entropy(self) -> np.ndarray:
        """d H / d logits, H = sum over decisions of the full-distribution entropy."""
        p = self.probs()
        logp = np.log(p)
        h_d = _segment_sum(-p * logp)
        return -p * (logp + h_d)
