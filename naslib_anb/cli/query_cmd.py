"""``naslib-anb query``: predict targets of architectures with the surrogate benchmark."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("query", help="predict accuracy / cost / device metrics of architectures",
                       description=__doc__)
    p.add_argument("archs", nargs="+", metavar="ARCH",
                   help="canonical strings 'e1k3l1s1-...' or upstream JSON dicts")
    p.add_argument("--device", default=None, help="a100, 3090, tpuv2, tpuv3, zcu102, vck190")
    p.add_argument("--metric", default=None, help="throughput (img/s) or latency (ms, FPGAs only)")
    p.add_argument("--target", default=None, help="a target name such as val_top1 (default: all)")
    p.add_argument("--std", action="store_true", help="also print the ensemble member std")
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
        names = [bench.resolve(args.target, args.device, args.metric).name]
    else:
        names = list(bench.targets)
    res = bench.query_all(archs, names, std=True)
    rows = []
    for i, a in enumerate(archs):
        row = {"arch": str(a)}
        for n in names:
            mean, sd = res[n]
            row[n] = float(mean[i])
            if args.std:
                row[f"{n}_std"] = float(sd[i])
        rows.append(row)
    if args.json:
        print_json({"units": {n: TARGETS[n].unit for n in names}, "results": rows})
        return 0
    for row in rows:
        print(row["arch"])
        for n in names:
            extra = f" +- {row[n + '_std']:.4g}" if args.std else ""
            print(f"  {n:18s} {row[n]:12.4f}{extra} {TARGETS[n].unit}")
    return 0
