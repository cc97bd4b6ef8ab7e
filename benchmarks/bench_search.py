"""Time the two reference searches on the shipped surrogate benchmark.

    python benchmarks/bench_search.py [--benchmark anb|toy] [--repeats 3]

1. uni-objective RE, 600 queries (population 20, sample 10);
2. bi-objective REINFORCE on VCK190 throughput (MnasNet reward), 1,500 queries.

Each is run with the driver's batching (independent asks evaluated in one benchmark call;
the trajectory is identical) and, as the baseline, with one benchmark call per query per
target (how a naive ask/evaluate/tell loop, or upstream's per-sample querying, behaves).
Benchmark loading is timed separately. Best of ``--repeats`` wall times.

Measured (2-core shared CPU machine, busy with other jobs; OMP_NUM_THREADS=1):
see MEASURED below and docs/search.md.
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

#: toy benchmark (--benchmark toy --repeats 3), busy 2-core machine: the search machinery alone
MEASURED_TOY = {"re_600_batched_s": 1.14, "re_600_naive_s": 1.17,
                "reinforce_1500_vck190_batched_s": 5.96, "reinforce_1500_vck190_naive_s": 8.50}

#: shipped surrogates, `python benchmarks/bench_search.py`, 2-core machine busy with other jobs;
#: every query includes its feasibility check and nearest_measured distance
MEASURED = {
    "load_benchmark_s": 0.34,
    "re_600_batched_s": 0.55,
    "re_600_naive_s": 0.43,
    "reinforce_1500_vck190_batched_s": 2.19,
    "reinforce_1500_vck190_naive_s": 9.30,
}


def _time(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--benchmark", default="anb", help="anb (surrogates) or toy")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from naslib_anb.search import SearchConfig
    from naslib_anb.search.driver import get_benchmark, run_loop

    t = time.perf_counter()
    bench = get_benchmark(args.benchmark)
    load_s = time.perf_counter() - t
    print(f"benchmark {args.benchmark!r} loaded in {load_s:.2f} s")

    cases = [
        ("RE, 600 queries, val_top1", SearchConfig(optimizer="re", seed=0, budget=600, benchmark=args.benchmark)),
        ("REINFORCE, 1500 queries, val_top1 x throughput_vck190 reward",
         SearchConfig(optimizer="reinforce", seed=0, budget=1500, device="vck190", metric="throughput",
                      benchmark=args.benchmark)),
    ]
    for label, cfg in cases:
        def go(batch: bool, cfg=cfg):
            return run_loop(cfg.make_optimizer(), bench, cfg.make_objective(), cfg.budget, batch=batch)

        tb, rb = _time(lambda: go(True), args.repeats)
        tn, rn = _time(lambda: go(False), args.repeats)
        same = [r.arch for r in rb] == [r.arch for r in rn]
        print(f"{label}: batched {tb:.2f} s ({cfg.budget / tb:,.0f} q/s), one call per query {tn:.2f} s "
              f"({cfg.budget / tn:,.0f} q/s), ratio {tn / tb:.1f}x, identical trajectory: {same}, "
              f"final best val_top1 {rb[-1].best_accuracy:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
