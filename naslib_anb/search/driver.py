"""The search loop: asks, evaluates (batched where that cannot change the trajectory), tells, logs.

The loop owns the budget, the benchmark and the trajectory (best *evaluated* value after
every query); optimizers only see archs and values.
"""
from __future__ import annotations

import logging
import math
import time
from typing import Callable, Optional

import numpy as np

from naslib_anb.benchmark.base import Benchmark
from naslib_anb.errors import ANBError, ConfigError
from naslib_anb.optimizers.base import Optimizer
from naslib_anb.search.objectives import Objective
from naslib_anb.search.pareto import IncrementalFront
from naslib_anb.search.records import QueryRecord, SearchConfig, SearchResult
from naslib_anb.space.support import nearest_measured
from naslib_anb.space.trainability import feasible as feasible_archs
from naslib_anb.space.trust_region import check_max_distance

log = logging.getLogger(__name__)

#: the most asks evaluated in one benchmark call
MAX_BATCH = 256


def get_benchmark(name: str = "anb") -> Benchmark:
    """The benchmark by name: 'anb' (shipped surrogates, cached by load_benchmark), a variant of it
    (``list_variants()``) or 'toy' (analytic)."""
    if name == "toy":
        from naslib_anb.search.toy import toy_benchmark

        return toy_benchmark()
    from naslib_anb.benchmark import load_benchmark

    if name == "anb":
        return load_benchmark()
    from naslib_anb.search.records import _check_variant

    return load_benchmark(variant=_check_variant(name))  # a variant of anb (member:K, a second family)


def _check_region(optimizer: Optimizer, archs: list, near: np.ndarray, max_distance: Optional[int]) -> None:
    """An optimizer that asks outside the trust region is a bug: stop before querying it."""
    if max_distance is None or not len(near) or near.max() <= max_distance:
        return
    i = int(np.argmax(near))
    raise ANBError(f"optimizer {optimizer.name!r} asked {archs[i]}, {int(near[i])} decisions from the "
                   f"nearest measured architecture, outside max_distance={max_distance}")


def run_loop(optimizer: Optimizer, benchmark: Benchmark, objective: Objective, budget: int, *,
             batch: bool = True, progress: bool = False, desc: Optional[str] = None,
             on_record: Optional[Callable[[QueryRecord], None]] = None,
             max_distance: Optional[int] = None) -> list[QueryRecord]:
    """Run ``budget`` queries and return one record per query.

    ``max_distance``: the trust region the optimizer was built with; an ask outside it is
    refused before it is queried (defaults to the optimizer's own ``max_distance``).
    """
    max_distance = check_max_distance(
        max_distance if max_distance is not None else getattr(optimizer, "max_distance", None))
    if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or budget <= 0:
        raise ConfigError(f"budget must be a positive int, got {budget!r}")
    if getattr(optimizer, "multi_objective", False) != (objective.n_obj > 1):
        raise ConfigError(f"optimizer {optimizer.name!r} (multi_objective={optimizer.multi_objective}) "
                          f"does not match the objective ({objective.describe()})")
    targets = objective.targets
    acc_t, dev_t = objective.accuracy, objective.device_target
    front = IncrementalFront((acc_t, dev_t)) if dev_t else None
    best_acc, best_reward, hv = -math.inf, -math.inf, None
    records: list[QueryRecord] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=int(budget), desc=desc or optimizer.name, unit="q", leave=False, dynamic_ncols=True)
    try:
        while len(records) < budget:
            room = max(1, optimizer.max_pending() - optimizer.n_pending) if batch else 1
            k = int(min(room, budget - len(records), MAX_BATCH))
            archs = [optimizer.ask() for _ in range(k)]
            near = nearest_measured(archs)
            _check_region(optimizer, archs, near, max_distance)
            values = benchmark.query_all(archs, targets)  # one parse/encode for every target
            feasible = feasible_archs(archs)
            told = objective(values)
            for i, arch in enumerate(archs):
                vals = {t: float(values[t][i]) for t in targets}
                value = told[i]
                if not np.all(np.isfinite(value)):
                    log.warning("non-finite objective for %s: %s; reported as an error", arch, vals)
                    optimizer.on_error(arch)
                    reward = float("nan")
                else:
                    optimizer.tell(arch, value)
                    reward = float(value) if objective.n_obj == 1 else None
                if np.isfinite(vals[acc_t]):
                    best_acc = max(best_acc, vals[acc_t])
                if reward is not None and np.isfinite(reward):
                    best_reward = max(best_reward, reward)
                if front is not None and np.isfinite(vals[acc_t]) and np.isfinite(vals[dev_t]):
                    hv = front.add([vals[acc_t], vals[dev_t]])
                rec = QueryRecord(
                    index=len(records) + 1, arch=str(arch), values=vals, reward=reward,
                    best_accuracy=best_acc,
                    best_reward=best_reward if objective.n_obj == 1 else None,
                    hypervolume=(hv if hv is not None else 0.0) if front is not None else None,
                    feasible=bool(feasible[i]), nearest_measured=int(near[i]),
                )
                records.append(rec)
                if on_record is not None:
                    on_record(rec)
            if bar is not None:
                bar.update(k)
                scalar_reward = objective.n_obj == 1 and objective.device_target is not None  # not an accuracy
                bar.set_postfix_str((f"best reward {best_reward:.3f}" if scalar_reward else f"best {acc_t} {best_acc:.3f}")
                                    + (f" hv {hv:.4f}" if hv is not None else ""), refresh=False)
    finally:
        if bar is not None:
            bar.close()
    return records


def run_search(config: SearchConfig, benchmark: Optional[Benchmark] = None, *,
               progress: bool = False) -> SearchResult:
    """Build the optimizer and objective from ``config`` and run the loop."""
    bench = benchmark if benchmark is not None else get_benchmark(config.benchmark)
    objective = config.make_objective()
    opt = config.make_optimizer()
    t0 = time.perf_counter()
    desc = f"{config.optimizer} seed {config.seed}" + (
        f" D<={config.max_distance}" if config.max_distance is not None else "")
    records = run_loop(opt, bench, objective, config.budget, batch=config.batch_queries, progress=progress,
                       desc=desc, max_distance=config.max_distance)
    return SearchResult(config=config.resolved(), records=records, elapsed_s=time.perf_counter() - t0,
                        objective_description=objective.describe(), device_target=objective.device_target)
