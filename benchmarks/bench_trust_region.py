"""How the trust region (max_distance = D) changes the optimum, the front and the optimizer ranking.

    python benchmarks/bench_trust_region.py [--budget 1000] [--seeds 0-4] [--distances 4 6 8 none]
                                            [--benchmark anb] [--json FILE]

On the shipped surrogate benchmark, for each D (``none`` = unconstrained):

1. accuracy searches with rs, re, reinforce (defaults), ``--budget`` queries, each seed: best
   predicted val_top1 (mean +- s.e. over seeds), the optimizers' order, and the best
   architecture any run found (its prediction, MACs, distance to the data, measured value);
2. Pareto searches (rs-pareto, re-pareto) of val_top1 vs A100 throughput: the predicted front
   of all their queries, read as the best accuracy reached at throughput >= T, beside the
   measured front (the dataset's own values, shipped with the package).

One line of progress per run. Results are docs/trust_region.md's tables.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time
from typing import Any, Optional

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

SCALAR = ("rs", "re", "reinforce")
PARETO = ("rs", "re")
THROUGHPUTS = (8_000, 12_000, 16_000, 20_000)  # img/s on the A100
DEVICE_TARGET = "throughput_a100"


def parse_distance(text: str) -> Optional[int]:
    return None if text.lower() in ("none", "inf", "-") else int(text)


def label(d: Optional[int]) -> str:
    return "none" if d is None else str(d)


def run_one(bench, optimizer: str, seed: int, budget: int, d: Optional[int], pareto: bool):
    from naslib_anb.search import SearchConfig, run_search

    kw: dict[str, Any] = {"objective": "pareto", "device": "a100"} if pareto else {"objective": "accuracy"}
    cfg = SearchConfig(optimizer=optimizer, seed=seed, budget=budget, max_distance=d, **kw)
    t = time.perf_counter()
    res = run_search(cfg, bench)
    far = max(r.nearest_measured for r in res.records)
    print(f"  {'pareto' if pareto else 'accuracy'} {optimizer:<9} seed {seed} D={label(d):<4} "
          f"{time.perf_counter() - t:5.1f} s; best val_top1 {res.records[-1].best_accuracy:.3f}; "
          f"farthest query {far}", flush=True)
    assert d is None or far <= d, "a query left the trust region"
    return res


def accuracy_section(bench, d: Optional[int], seeds: list[int], budget: int) -> dict[str, Any]:
    from naslib_anb.space import Arch, arch_cost, nearest_measured

    out: dict[str, Any] = {"optimizers": {}}
    best = None
    for opt in SCALAR:
        finals = []
        for s in seeds:
            res = run_one(bench, opt, s, budget, d, pareto=False)
            finals.append(res.records[-1].best_accuracy)
            top = max(res.records, key=lambda r: r.values["val_top1"])
            if best is None or top.values["val_top1"] > best[0]:
                best = (top.values["val_top1"], top.arch)
        f = np.asarray(finals)
        out["optimizers"][opt] = {"mean": float(f.mean()), "se": float(f.std(ddof=1) / math.sqrt(len(f)))
                                  if len(f) > 1 else 0.0, "per_seed": f.tolist()}
    order = sorted(SCALAR, key=lambda o: -out["optimizers"][o]["mean"])
    out["ranking"] = order
    arch = Arch.parse(best[1])
    measured = bench.measured(arch, "val_top1")
    out["optimum"] = {"arch": best[1], "val_top1": best[0], "macs_m": arch_cost(arch).macs_m,
                      "nearest_measured": int(nearest_measured([arch])[0]),
                      "measured": float(measured.values[0]) if measured.counts[0] else None}
    return out


def front_at(acc: np.ndarray, thr: np.ndarray) -> list[Optional[float]]:
    """Best accuracy among points with throughput >= T, for each T."""
    return [float(acc[thr >= t].max()) if (thr >= t).any() else None for t in THROUGHPUTS]


def pareto_section(bench, d: Optional[int], seeds: list[int], budget: int) -> dict[str, Any]:
    from naslib_anb.search.pareto import hypervolume

    archs, hv = set(), {}
    for opt in PARETO:
        vals = []
        for s in seeds:
            res = run_one(bench, opt, s, budget, d, pareto=True)
            archs.update(r.arch for r in res.records)
            vals.append(res.records[-1].hypervolume)
        hv[opt] = float(np.mean(vals))
    pts = sorted(archs)
    q = bench.query_all(pts, ["val_top1", DEVICE_TARGET])
    total_hv = hypervolume({"val_top1": q["val_top1"], DEVICE_TARGET: q[DEVICE_TARGET]},
                           ["val_top1", DEVICE_TARGET])
    return {"front": front_at(q["val_top1"], q[DEVICE_TARGET]), "hypervolume_mean": hv,
            "hypervolume_all_queries": float(total_hv), "n_archs": len(pts)}


def measured_front() -> list[Optional[float]]:
    from naslib_anb.benchmark.measured import measured
    from naslib_anb.space import measured_codes

    codes = np.asarray(measured_codes(), dtype=np.int64)
    acc, thr = measured(codes, "val_top1").values, measured(codes, DEVICE_TARGET).values
    ok = np.isfinite(acc) & np.isfinite(thr)
    return front_at(acc[ok], thr[ok])


def fmt(v: Optional[float], digits: int = 2) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def print_tables(results: dict[str, Any], budget: int, seeds: list[int]) -> None:
    print(f"\nAccuracy search (val_top1, %), budget {budget}, seeds {seeds[0]}-{seeds[-1]}: mean +- s.e. of the best")
    print("| D | " + " | ".join(SCALAR) + " | ranking | optimum (pred.) | MACs (M) | decisions from data | measured |")
    print("|---|" + "---|" * (len(SCALAR) + 5))
    for d, r in results["distances"].items():
        a = r["accuracy"]
        cells = " | ".join(f"{a['optimizers'][o]['mean']:.2f} +- {a['optimizers'][o]['se']:.2f}" for o in SCALAR)
        o = a["optimum"]
        print(f"| {d} | {cells} | {' > '.join(a['ranking'])} | {o['val_top1']:.2f} | {o['macs_m']:.0f} | "
              f"{o['nearest_measured']} | {fmt(o['measured'])} |")
    print("\nval_top1 vs A100 throughput: best accuracy (%) at throughput >= T (rs-pareto + re-pareto, "
          "all queries of all seeds); hypervolume = mean final normalised HV per run")
    print("| D | " + " | ".join(f">= {t:,} img/s" for t in THROUGHPUTS) + " | HV rs | HV re |")
    print("|---|" + "---|" * (len(THROUGHPUTS) + 2))
    for d, r in results["distances"].items():
        p = r["pareto"]
        print(f"| {d} | " + " | ".join(fmt(v) for v in p["front"]) +
              f" | {p['hypervolume_mean']['rs']:.4f} | {p['hypervolume_mean']['re']:.4f} |")
    print("| measured data | " + " | ".join(fmt(v) for v in results["measured_front"]) + " | | |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=1000)
    ap.add_argument("--seeds", default="0-4", help="a range 0-4 or a list 0,1,2")
    ap.add_argument("--distances", nargs="+", default=["4", "6", "8", "none"])
    ap.add_argument("--benchmark", default="anb", help="anb (shipped surrogates) or toy")
    ap.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = ap.parse_args()
    from naslib_anb.io import parse_int_ranges
    from naslib_anb.search.driver import get_benchmark

    seeds, dists = parse_int_ranges(args.seeds, "seed"), [parse_distance(t) for t in args.distances]
    bench = get_benchmark(args.benchmark)
    t0 = time.perf_counter()
    results: dict[str, Any] = {"budget": args.budget, "seeds": seeds, "benchmark": args.benchmark,
                               "distances": {}, "measured_front": measured_front()}
    for d in dists:
        print(f"D = {label(d)}", flush=True)
        results["distances"][label(d)] = {"accuracy": accuracy_section(bench, d, seeds, args.budget),
                                          "pareto": pareto_section(bench, d, seeds, args.budget)}
    print_tables(results, args.budget, seeds)
    print(f"\n{time.perf_counter() - t0:.0f} s in all")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
