"""Where to measure next: architectures optimizers visit and benchmark variants disagree on.

A surrogate is worst exactly where optimizers end up (they exploit its extrapolation), so
new measurements are worth most there. :func:`propose` runs several optimizers for a few
seeds on every benchmark variant and every objective (accuracy; the MnasNet reward per
``devices``), counts per objective how often each architecture or its one-decision neighbours
are queried (visitation: where optimizers dwell), and scores every feasible, unmeasured
visited architecture by

    score = sum over objectives of visits x spread,   spread = std over the variants of the
            value that objective tells an optimizer (pts: accuracy and reward share a scale)

and picks ``n`` of them by greedy k-centre in Hamming distance (28 decisions) among the
``pool_factor * n`` best scored, so the plan covers every region optimizers reach instead of
one ridge. The result is a :class:`naslib_anb.plan.Plan` whose ``meta`` records how it was made.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from naslib_anb.benchmark.base import Benchmark
from naslib_anb.errors import ConfigError
from naslib_anb.plan import Plan
from naslib_anb.space.arch import Arch

log = logging.getLogger(__name__)

#: Optimizers whose visitation is counted by default (ours; scalar objectives).
DEFAULT_OPTIMIZERS = ("rs", "re", "reinforce")
#: How a plan's architectures were scored, as the plan's meta says it.
SCORE_RULE = ("sum over objectives of visits (queries at the architecture and, radius 1, its one-decision "
              "neighbours) x spread (std over the variants of the value the objective tells an optimizer)")


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{name} must be an int >= 1, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class ProposeConfig:
    """What ``naslib-anb propose`` does; saved in the plan's meta."""

    n: int
    #: benchmark variants (``member:K``, second families; see ``list_variants()``); empty: :func:`default_variants`
    variants: tuple[str, ...] = ()
    optimizers: tuple[str, ...] = DEFAULT_OPTIMIZERS
    #: seeds per optimizer and variant
    seeds: int = 2
    budget: int = 1000
    #: devices whose MnasNet-reward searches are counted besides the accuracy searches
    devices: tuple[str, ...] = ()
    #: visits counted at the architecture (0) or also at its one-decision neighbours (1)
    radius: int = 1
    #: k-centre picks among the pool_factor * n best scored candidates
    pool_factor: int = 10
    seed: int = 0
    #: architectures never proposed (earlier plans, collected ones)
    exclude: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        from naslib_anb.optimizers import get_optimizer_class

        for name in ("n", "seeds", "budget", "pool_factor"):
            _positive_int(name, getattr(self, name))
        if self.radius not in (0, 1) or isinstance(self.radius, bool):
            raise ConfigError(f"radius must be 0 or 1, got {self.radius!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ConfigError(f"seed must be a non-negative int, got {self.seed!r}")
        if not self.optimizers:
            raise ConfigError("optimizers must not be empty")
        for name in self.optimizers:
            if getattr(get_optimizer_class(name), "multi_objective", False):
                raise ConfigError(f"optimizer {name!r} is a Pareto optimizer; propose runs scalar objectives "
                                  f"(valid: {', '.join(DEFAULT_OPTIMIZERS)}, ...)")
        for d in self.devices:
            self.objectives_for(d)
        if self.variants:
            from naslib_anb.benchmark.variants import resolve_variant

            object.__setattr__(self, "variants", tuple(dict.fromkeys(resolve_variant(v) for v in self.variants)))
        object.__setattr__(self, "exclude", tuple(str(Arch.parse(a)) for a in self.exclude))

    @staticmethod
    def objectives_for(device: str):
        from naslib_anb.search.objectives import make_objective

        return make_objective("reward", device=device)

    def objectives(self) -> list:
        from naslib_anb.search.objectives import make_objective

        return [make_objective("accuracy")] + [self.objectives_for(d) for d in self.devices]


# -- variants ---------------------------------------------------------------------------------

def default_variants() -> tuple[str, ...]:
    """Every variant but the ensemble (its mean only averages the members): each shipped member
    alone and each shipped second family."""
    from naslib_anb.benchmark.variants import DEFAULT_VARIANT, list_variants

    return tuple(v for v in list_variants() if v != DEFAULT_VARIANT)


def load_variants(names: Sequence[str]) -> dict[str, Benchmark]:
    """The benchmark of each variant name (``load_benchmark(variant=...)``); a one-line
    UnknownVariantError names the valid ones."""
    from naslib_anb.benchmark import load_benchmark
    from naslib_anb.benchmark.variants import resolve_variant

    canonical = [resolve_variant(n) for n in names]  # every name checked before anything loads
    return {n: load_benchmark(variant=n) for n in dict.fromkeys(canonical)}


# -- the steps --------------------------------------------------------------------------------

def run_seed(base_seed: int, *parts: int) -> int:
    """A run's optimizer seed from the config seed and the run's indices (stable across processes)."""
    return int(np.random.SeedSequence([int(base_seed), *map(int, parts)]).generate_state(1)[0])


def visitation(cfg: ProposeConfig, variants: Mapping[str, Benchmark], progress: bool = True) -> list[Counter]:
    """Per objective, queries per architecture over every (variant, optimizer, seed) run."""
    from naslib_anb.optimizers import get_optimizer
    from naslib_anb.search.driver import run_loop

    objectives, benches = cfg.objectives(), list(variants.values())
    runs = [(o, v, opt, s) for o in range(len(objectives)) for v in range(len(benches))
            for opt in range(len(cfg.optimizers)) for s in range(cfg.seeds)]
    it: Any = runs
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(runs, desc="optimizer runs", unit="run", dynamic_ncols=True)
    visits: list[Counter] = [Counter() for _ in objectives]
    for o, v, opt, s in it:
        optimizer = get_optimizer(cfg.optimizers[opt], seed=run_seed(cfg.seed, o, v, opt, s))
        records = run_loop(optimizer, benches[v], objectives[o], cfg.budget)
        visits[o].update(r.arch for r in records)
    return visits


def candidates(visits: Counter, exclude: Sequence[str] = ()) -> list[Arch]:
    """Visited architectures that are feasible, unmeasured and not excluded, sorted by string
    (so nothing depends on visit order)."""
    from naslib_anb.space.support import nearest_measured
    from naslib_anb.space.trainability import feasible

    names = sorted(set(visits) - set(exclude))
    if not names:
        return []
    archs = [Arch.parse(a) for a in names]
    keep = feasible(archs) & (nearest_measured(archs) > 0)
    return [a for a, k in zip(archs, keep) if k]


def _keys(codes: np.ndarray) -> np.ndarray:
    """One int64 per architecture (mixed radix over the 28 decisions; the space has 1e11)."""
    from naslib_anb.space.space import CARDINALITIES

    radix = np.cumprod((1,) + tuple(CARDINALITIES[:-1])).astype(np.int64)
    return codes.astype(np.int64) @ radix


def visit_density(visits: Counter, archs: Sequence[Arch], radius: int = 1) -> np.ndarray:
    """(n,) queries at each architecture (``radius`` 0) or at it and its one-decision neighbours
    (``radius`` 1): where an optimizer dwells, not the scattered single draws of random search."""
    from naslib_anb.space.space import CARDINALITIES
    from naslib_anb.space.support import codes_of

    if radius not in (0, 1):
        raise ConfigError(f"radius must be 0 or 1, got {radius!r}")
    names = sorted(visits)
    q = codes_of([Arch.parse(a) for a in names])
    w = np.asarray([visits[a] for a in names], dtype=np.int64)
    keys, weights = [_keys(q)], [w]
    if radius:
        radix = np.cumprod((1,) + tuple(CARDINALITIES[:-1])).astype(np.int64)
        for j, card in enumerate(CARDINALITIES):
            for step in range(1, card):
                keys.append(keys[0] + ((q[:, j] + step) % card - q[:, j]) * radix[j])
                weights.append(w)
    uniq, inv = np.unique(np.concatenate(keys), return_inverse=True)
    total = np.bincount(inv, weights=np.concatenate(weights))
    pos = np.searchsorted(uniq, _keys(codes_of(list(archs))))
    return total[pos].astype(np.int64)


def objective_spread(archs: Sequence[Arch], variants: Mapping[str, Benchmark], objective) -> np.ndarray:
    """(n,) std (ddof 0) over the variants of the value ``objective`` tells an optimizer: how much
    what an optimizer sees there depends on the surrogate."""
    told = [np.asarray(objective(b.query_all(list(archs), objective.targets)), dtype=np.float64)
            for b in variants.values()]
    return np.stack(told).std(axis=0)


def score(visits: Sequence[np.ndarray], spreads: Sequence[np.ndarray]) -> np.ndarray:
    """Sum over objectives of visits x spread (accuracy and MnasNet reward share a scale: pts)."""
    return np.sum([np.asarray(v, dtype=np.float64) * s for v, s in zip(visits, spreads)], axis=0)


def greedy_k_centre(codes: np.ndarray, scores: np.ndarray, n: int) -> list[int]:
    """Indices of ``n`` rows chosen greedily: first the best scored, then always the row farthest
    (Hamming) from those chosen, the better scored among equally far ones, then the lower index."""
    codes = np.asarray(codes)
    if n > len(codes):
        raise ConfigError(f"cannot choose {n} of {len(codes)} candidates")
    far = np.full(len(codes), np.iinfo(np.int64).max, dtype=np.int64)
    chosen: list[int] = []
    for _ in range(n):
        i = int(np.lexsort((np.arange(len(codes)), -scores, -far))[0])
        chosen.append(i)
        far = np.minimum(far, (codes != codes[i]).sum(axis=1))
        far[chosen] = -1
    return chosen


def propose(cfg: ProposeConfig, variants: Optional[Mapping[str, Benchmark]] = None, progress: bool = True,
            command: Optional[str] = None) -> Plan:
    """``cfg.n`` architectures to measure next, and how they were chosen (the plan's meta).

    ``variants`` defaults to ``load_variants(cfg.variants or default_variants())``; pass
    benchmarks to propose against others (the simulated round proposes without its oracle).
    """
    if variants is None:
        variants = load_variants(cfg.variants or default_variants())
    if len(variants) < 2:
        raise ConfigError(f"propose needs at least 2 benchmark variants to measure disagreement, got "
                          f"{len(variants)} ({', '.join(variants) or 'none'})")
    objectives = cfg.objectives()
    visits = visitation(cfg, variants, progress)
    archs = candidates(sum(visits, Counter()), cfg.exclude)
    if len(archs) < cfg.n:
        raise ConfigError(f"the optimizers visited only {len(archs)} feasible, unmeasured architectures, fewer "
                          f"than n = {cfg.n}; raise --budget or --seeds, or lower --n")
    counts = [visit_density(v, archs, cfg.radius) for v in visits]
    spreads = [objective_spread(archs, variants, o) for o in objectives]
    scores = score(counts, spreads)
    pool = np.lexsort((np.arange(len(archs)), -scores))[:cfg.pool_factor * cfg.n]
    from naslib_anb.space.support import codes_of, nearest_measured

    picked = pool[greedy_k_centre(codes_of([archs[i] for i in pool]), scores[pool], cfg.n)]
    chosen = [archs[i] for i in picked]
    meta = {
        "made_by": "naslib-anb propose", "command": command, "config": _jsonable(asdict(cfg)),
        "variants": list(variants), "objectives": [o.describe() for o in objectives], "score": SCORE_RULE,
        "selection": f"greedy k-centre (Hamming, 28 decisions) among the {len(pool)} best scored",
        "runs": len(objectives) * len(variants) * len(cfg.optimizers) * cfg.seeds,
        "queries": int(sum(sum(v.values()) for v in visits)), "candidates": len(archs),
        "min_pairwise_distance": _min_pairwise(codes_of(chosen)),
        "per_arch": [{"score": round(float(scores[i]), 4), "visits": [int(c[i]) for c in counts],
                      "spread": [round(float(sp[i]), 5) for sp in spreads], "nearest_measured": int(d)}
                     for i, d in zip(picked, nearest_measured(chosen))],
    }
    meta.update(_provenance())
    return Plan(tuple(chosen), meta)


def _min_pairwise(codes: np.ndarray) -> int:
    if len(codes) < 2:
        return 0
    d = (codes[:, None, :] != codes[None, :, :]).sum(axis=2)
    return int(d[np.triu_indices(len(codes), 1)].min())


def _jsonable(d: dict) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}


def _provenance() -> dict[str, Any]:
    """The package version and the shipped model set the default variants come from."""
    from naslib_anb import __version__
    from naslib_anb.benchmark import load_benchmark

    return {"package_version": __version__,
            "models_manifest_sha256": load_benchmark().manifest.get("manifest_sha256")}


__all__ = ["DEFAULT_OPTIMIZERS", "ProposeConfig", "candidates", "default_variants",
           "greedy_k_centre", "load_variants", "propose", "run_seed", "score", "objective_spread", "visit_density",
           "visitation"]
