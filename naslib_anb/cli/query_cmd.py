"""``naslib-anb query``: predict targets of architectures with the surrogate benchmark.

Besides the predictions, every architecture's analytic size (``params_m``, ``macs_m``), the
memory that training it with the labels' recipe needs (``train_memory_gib``), whether that
fits (``feasible``) and its distance to the data (``nearest_measured``, in decisions). Where the
dataset measured the architecture, its measured value (``<target>_measured``, the mean over its
records, and ``<target>_measured_n``, how many) is shown beside the prediction; null elsewhere.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("query", help="predict accuracy / cost / device metrics of architectures",
                       description=__doc__)
    p.add_argument("archs", nargs="+", metavar="ARCH",
                   help="canonical strings 'e1k3l1s1-...', b0, or upstream JSON dicts")
    p.add_argument("--device", default=None, help="a100, 3090, tpuv2, tpuv3, zcu102, vck190")
    p.add_argument("--metric", default=None, help="throughput (img/s) or latency (ms, FPGAs only)")
    p.add_argument("--target", default=None, help="a target name such as val_top1 (default: all); with --device "
                                                  "both are printed")
    p.add_argument("--std", action="store_true", help="also print the predictive std (calibrated: model and label noise)")
    p.add_argument("--models", type=Path, default=None, help="model directory (default: shipped)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def _parse(text: str):
    from naslib_anb.space import Arch

    t = text.strip()
    if t.startswith("{"):
        try:
            return Arch.parse(json.loads(t))
        except json.JSONDecodeError as exc:
            from naslib_anb.errors import InvalidArchitectureError

            raise InvalidArchitectureError(text, f"not valid JSON ({exc})") from None
    return Arch.parse(t)


def run(args: argparse.Namespace) -> int:
    from naslib_anb.benchmark import load_benchmark
    from naslib_anb.cli.main import print_json
    from naslib_anb.targets import TARGETS

    archs = [_parse(a) for a in args.archs]
    bench = load_benchmark(model_dir=args.models)
    if args.device is not None or args.metric is not None or args.target is not None:
        # --target and --device together answer both (two targets asked for, two answered)
        names = []
        if args.target is not None:
            names.append(bench.resolve(args.target).name)
        if args.device is not None or args.metric is not None:
            dev = bench.resolve(None, args.device, args.metric).name
            if dev not in names:
                names.append(dev)
    else:
        names = list(bench.targets)
    res = bench.query_all(archs, names, std=True)
    where = bench.support(archs)
    truth = {n: bench.measured(archs, n) for n in names}
    rows = []
    for i, a in enumerate(archs):
        row = {"arch": str(a)}
        for n in names:
            mean, sd = res[n]
            row[n] = float(mean[i])
            if args.std:
                row[f"{n}_std"] = float(sd[i])
            count = int(truth[n].counts[i])
            row[f"{n}_measured"] = float(truth[n].values[i]) if count else None
            row[f"{n}_measured_n"] = count
        row["params_m"] = float(where["params_m"][i])
        row["macs_m"] = float(where["macs_m"][i])
        row["train_memory_gib"] = round(float(where["train_memory_gib"][i]), 4)
        row["feasible"] = bool(where["feasible"][i])
        row["nearest_measured"] = int(where["nearest_measured"][i])
        rows.append(row)
    if args.json:
        support_units = {"params_m": "M", "macs_m": "M (thop @224)",
                         "train_memory_gib": "GiB (batch 512, 192 px, AMP)", "nearest_measured": "decisions"}
        print_json({"units": {n: TARGETS[n].unit for n in names}, "support_units": support_units,
                    "results": rows})
        return 0
    for row in rows:
        print(row["arch"])
        for n in names:
            extra = f" +- {row[n + '_std']:.4g}" if args.std else ""
            k = row[f"{n}_measured_n"]
            seen = (f"; measured {row[n + '_measured']:.4f} " + ("(1 record)" if k == 1 else f"(mean of {k} records)")
                    if k else "")
            print(f"  {n:18s} {row[n]:12.4f}{extra} {TARGETS[n].unit}{seen}")
        print(f"  params {row['params_m']:.3f} M, MACs {row['macs_m']:.1f} M; training needs "
              f"{row['train_memory_gib']:.2f} GiB ({'feasible' if row['feasible'] else 'NOT trainable'} "
              f"with the labels' recipe); {row['nearest_measured']} decisions from the nearest measured "
              "architecture")
    return 0
