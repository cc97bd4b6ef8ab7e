"""REINFORCE (Williams 1992) with a moving-average baseline and an entropy bonus.

Upstream reference: an LSTM controller (hidden 100, embedding 32), Adam lr 3.5e-4, 6
architectures per update, baseline EMA 0.95, entropy weight 1e-5. This version keeps the
batch, baseline and entropy settings and fixes three upstream bugs:

- the seed is never used as a token (upstream crashes for seeds >= 11);
- the entropy bonus uses the full distributions, not the sampled actions only;
- the advantage uses the baseline from *before* the batch; the baseline is updated after.

The policy is :class:`~naslib_anb.optimizers.policy.FactorizedCategoricalPolicy` (numpy);
its learning rate default (0.1) was chosen on a toy objective and on seeds that are not
the reported ones (see docs/search.md).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from naslib_anb.errors import ConfigError
from naslib_anb.optimizers.base import Optimizer, SeedLike, check_positive_float, check_positive_int
from naslib_anb.optimizers.policy import Adam, FactorizedCategoricalPolicy
from naslib_anb.space import Arch, arch_from_indices, arch_to_indices
from naslib_anb.space.trainability import feasible_code
from naslib_anb.space.trust_region import pull_within

DEFAULT_LR = 0.1


class BatchedReinforce(Optimizer):
    """What every REINFORCE variant shares: hyperparameters, batching of tells, the baseline.

    Subclasses draw from the policy in ``_draw`` and implement ``_policy_step(indices,
    advantages)``, one gradient step on a batch of (n, 28) choice indices. With
    ``feasible_only`` an infeasible draw is rejected and drawn again (the policy is then
    sampled restricted to the feasible set; the gradient uses the unrestricted log-probability,
    as usual for rejection sampling). With ``max_distance`` a draw outside the trust region is
    repaired (:func:`~naslib_anb.space.trust_region.pull_within`: decisions copied from its
    nearest measured architecture until it is inside) and the repaired architecture is what is
    asked and what the gradient step sees, as if the policy had drawn it. Rejection alone would
    stall: a near-uniform policy almost never lands within a few decisions of the data.
    """

    def __init__(self, seed: SeedLike, lr: float, batch_size: int = 6,
                 baseline_decay: float = 0.95, entropy_weight: float = 1e-5, feasible_only: bool = True,
                 max_distance: Optional[int] = None):
        super().__init__(seed, feasible_only, max_distance)
        self.lr = check_positive_float("lr", lr)
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.baseline_decay = check_positive_float("baseline_decay", baseline_decay, allow_zero=True)
        if self.baseline_decay >= 1:
            raise ConfigError(f"baseline_decay must be in [0, 1), got {baseline_decay!r}")
        self.entropy_weight = check_positive_float("entropy_weight", entropy_weight, allow_zero=True)
        self.baseline: Optional[float] = None
        self._batch: list[tuple[tuple[int, ...], float]] = []
        self.n_updates = 0
        self.last_loss = float("nan")

    #: consecutive infeasible draws after which the policy is declared stuck outside the feasible set
    MAX_REJECTIONS = 100_000

    def _ask(self) -> Arch:
        for _ in range(self.MAX_REJECTIONS):
            idx = self._draw()
            if self.max_distance is not None:
                idx = pull_within(idx, self.rng, self.max_distance)
            if not self.feasible_only or feasible_code(idx):
                return arch_from_indices(idx)
        from naslib_anb.errors import InfeasibleArchitectureError

        raise InfeasibleArchitectureError(
            self.name, f"the policy drew {self.MAX_REJECTIONS} infeasible architectures in a row; "
                       "pass feasible_only=False (--allow-infeasible) or lower the learning rate")

    def _draw(self):
        """28 choice indices from the current policy."""
        raise NotImplementedError

    def _tell(self, arch: Arch, value: Any) -> None:
        self._batch.append((arch_to_indices(arch), float(value)))
        if len(self._batch) >= self.batch_size:
            self._update()

    def max_pending(self) -> int:
        return max(1, self.batch_size - len(self._batch))

    def _update(self) -> None:
        idx = np.asarray([i for i, _ in self._batch], dtype=np.int64)
        rewards = np.asarray([r for _, r in self._batch], dtype=np.float64)
        self._batch.clear()
        if self.baseline is None:
            self.baseline = float(rewards.mean())
        self.last_loss = self._policy_step(idx, rewards - self.baseline)  # baseline from before the batch
        for r in rewards:  # then fold the rewards into the moving average
            self.baseline = self.baseline_decay * self.baseline + (1 - self.baseline_decay) * float(r)
        self.n_updates += 1

    def _policy_step(self, indices: np.ndarray, advantages: np.ndarray) -> float:
        """One step on ``-mean(adv * log p(a)) - entropy_weight * H``; returns that loss."""
        raise NotImplementedError


class Reinforce(BatchedReinforce):
    """Policy-gradient search: sample from the policy, update every ``batch_size`` tells."""

    name = "reinforce"

    def __init__(self, seed: SeedLike, lr: float = DEFAULT_LR, batch_size: int = 6,
                 baseline_decay: float = 0.95, entropy_weight: float = 1e-5, feasible_only: bool = True,
                 max_distance: Optional[int] = None):
        super().__init__(seed, lr, batch_size, baseline_decay, entropy_weight, feasible_only, max_distance)
        self.policy = FactorizedCategoricalPolicy()
        self.adam = Adam(lr=self.lr)

    def _draw(self):
        return self.policy.sample(self.rng)

    def _policy_step(self, indices: np.ndarray, advantages: np.ndarray) -> float:
        glp = self.policy.grad_log_prob(indices)
        grad = -(advantages[:, None] * glp).mean(axis=0) - self.entropy_weight * self.policy.grad_entropy()
        loss = float(-(advantages * self.policy.log_prob(indices)).mean()
                     - self.entropy_weight * self.policy.entropy())
        self.policy.logits = self.adam.step(self.policy.logits, grad)
        return loss

    def probabilities(self) -> list[np.ndarray]:
        """Current per-decision choice probabilities (28 arrays), for inspection."""
        from naslib_anb.optimizers.policy import _CARDS, _OFFSETS

        p = self.policy.probs()
        return [p[o:o + c].copy() for o, c in zip(_OFFSETS, _CARDS)]
