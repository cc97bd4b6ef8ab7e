"""REINFORCE with upstream's LSTM controller (optional, needs torch): the reference setting.

Controller as upstream: ``LSTMCell(32 -> 100)``, an 11-token embedding (3 e + 2 k + 4 L +
2 se), decoders shared per field (e: 3, k: 2, L: 3, L of stage 5: 4, se: 2), weights
U(-0.1, 0.1), decoder biases 0, Adam lr 3.5e-4, 6 archs per update, baseline EMA 0.95,
entropy 1e-5. Upstream bugs fixed: a learned start input instead of the seed as a token,
full-distribution entropy, advantage against the baseline from before the batch.

Sampling uses the optimizer's numpy Generator (inverse CDF on the controller's
probabilities), and torch's own RNG only for the weight init (a private torch.Generator
seeded from it), so runs are reproducible and the object pickles.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from naslib_anb.optimizers.base import SeedLike, check_positive_int
from naslib_anb.optimizers.reinforce import BatchedReinforce
from naslib_anb.space import DECISIONS

# decision -> (decoder name, token offset) as upstream: e -> idx, k -> idx+3, L -> idx+5, se -> idx+9
_DECODER = [("l4" if (f == "l" and len(c) == 4) else f) for _, f, c in DECISIONS]
_TOKEN_OFFSET = {"e": 0, "k": 3, "l": 5, "l4": 5, "se": 9}
_DECODER_SIZE = {"e": 3, "k": 2, "l": 3, "l4": 4, "se": 2}


try:  # this module is imported only when 'reinforce-lstm' is requested
    import torch
    from torch import nn
except ImportError:  # pragma: no cover - reported by ReinforceLSTM.__init__
    torch = None  # type: ignore[assignment]

if torch is not None:

    class Controller(nn.Module):
        """Upstream's controller layout; a learned start input replaces the seed-as-token."""

        def __init__(self, embedding: int, hidden: int, gen: "torch.Generator") -> None:
            super().__init__()
            self.start = nn.Parameter(torch.zeros(1, embedding))
            self.embed = nn.Embedding(11, embedding)
            self.cell = nn.LSTMCell(embedding, hidden)
            self.decoders = nn.ModuleDict({k: nn.Linear(hidden, n) for k, n in _DECODER_SIZE.items()})
            with torch.no_grad():
                for name, p in self.named_parameters():
                    if name == "start":
                        continue
                    if name.startswith("decoders") and name.endswith("bias"):
                        p.zero_()
                    else:
                        p.copy_(torch.rand(p.shape, generator=gen) * 0.2 - 0.1)

        def forward(self, actions: "torch.Tensor") -> list:
            """Logits per decision for a batch of (n, 28) actions (teacher forcing)."""
            x = self.start.expand(actions.shape[0], -1)
            state = None
            logits = []
            for d, dec in enumerate(_DECODER):
                h, c = self.cell(x, state)
                state = (h, c)
                logits.append(self.decoders[dec](h))
                x = self.embed(actions[:, d] + _TOKEN_OFFSET[dec])
            return logits


class _one_thread:
    """Tiny batch-1 LSTM steps are ~50x slower with many intra-op threads on a busy CPU."""

    def __enter__(self):
        self.n = torch.get_num_threads()
        torch.set_num_threads(1)

    def __exit__(self, *exc):
        torch.set_num_threads(self.n)


class ReinforceLSTM(BatchedReinforce):
    """Upstream-style LSTM controller; ``pip install torch`` (the ``train`` extra) to use it."""

    name = "reinforce-lstm"

    def __init__(self, seed: SeedLike, lr: float = 3.5e-4, batch_size: int = 6, baseline_decay: float = 0.95,
                 entropy_weight: float = 1e-5, embedding_size: int = 32, hidden_size: int = 100,
                 feasible_only: bool = True, max_distance: Optional[int] = None):
        if torch is None:
            from naslib_anb.errors import ConfigError

            raise ConfigError("optimizer 'reinforce-lstm' needs torch: pip install 'naslib_anb[train]' "
                              "(or use 'reinforce', the numpy policy)") from None
        super().__init__(seed, lr, batch_size, baseline_decay, entropy_weight, feasible_only, max_distance)
        gen = torch.Generator().manual_seed(int(self.rng.integers(2 ** 62)))
        self.controller = Controller(check_positive_int("embedding_size", embedding_size),
                                     check_positive_int("hidden_size", hidden_size), gen)
        self.adam = torch.optim.Adam(self.controller.parameters(), lr=self.lr)

    def _draw(self) -> list[int]:
        u = self.rng.random(len(DECISIONS))
        idx: list[int] = []
        with torch.no_grad(), _one_thread():
            c = self.controller
            x = c.start
            state = None
            for d, dec in enumerate(_DECODER):
                h, cc = c.cell(x, state)
                state = (h, cc)
                p = torch.softmax(c.decoders[dec](h)[0], dim=-1).double().numpy()
                cdf = np.cumsum(p)
                j = min(int(np.searchsorted(cdf, u[d] * cdf[-1], side="right")), len(p) - 1)
                idx.append(j)
                x = c.embed(torch.tensor([j + _TOKEN_OFFSET[dec]]))
        return idx

    def _policy_step(self, indices: np.ndarray, advantages: np.ndarray) -> float:
        with _one_thread():
            acts = torch.as_tensor(indices, dtype=torch.long)
            adv = torch.tensor(advantages, dtype=torch.float32)
            logits = self.controller(acts)
            logp = torch.zeros(acts.shape[0])
            ent = torch.zeros(acts.shape[0])
            for d, z in enumerate(logits):
                lsm = torch.log_softmax(z, dim=-1)
                logp = logp + lsm.gather(1, acts[:, d:d + 1])[:, 0]
                ent = ent - (lsm.exp() * lsm).sum(-1)
            loss = -(adv * logp).mean() - self.entropy_weight * ent.mean()
            self.adam.zero_grad()
            loss.backward()
            self.adam.step()
        return float(loss.detach())
