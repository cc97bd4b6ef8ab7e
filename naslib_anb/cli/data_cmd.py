"""``naslib-anb data``: where the dataset is, what it holds, and an optional CSV export."""
from __future__ import annotations

import os

from naslib_anb.cli.main import print_json


def add_parser(sub) -> None:
    p = sub.add_parser("data", help="summarise (or download / export) the ANB dataset",
                       description="Read the dataset (checked whole: schema, ranges, and params/MACs against "
                                   "the architecture's exact cost) and summarise it.")
    p.add_argument("--data", "--path", dest="path", metavar="PATH",
                   help="tarball or directory of result_*.json (default: $NASLIB_ANB_DATA, else "
                        "../shared/anb/ beside the checkout, else ~/.cache/naslib_anb/)")
    p.add_argument("--download", action="store_true",
                   help="download the pinned upstream tarball to the cache (the only command that uses the network)")
    p.add_argument("--csv", metavar="FILE", help="export one row per record to FILE")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args) -> int:
    from naslib_anb.data import download, load_dataset
    from naslib_anb.cli.progress import step
    from naslib_anb.data.consistency import check_costs

    if args.csv is not None:
        from naslib_anb.errors import ConfigError
        from naslib_anb.outdir import check_writable

        if args.csv == "" or args.csv.endswith("/") or os.path.isdir(args.csv):
            raise ConfigError(f"--csv {args.csv!r} must name a file")
        check_writable(args.csv, "--csv")  # before the dataset is read
    if args.download:
        download()
    step("data", "reading the dataset")
    ds = load_dataset(args.path, allow_download=args.download, how_to_pass="--data PATH")
    check_costs(ds)
    info = ds.summary()
    if args.csv:
        from naslib_anb.io import atomic_write_text

        atomic_write_text(args.csv, ds.to_dataframe().to_csv(index=False))
        info["csv"] = args.csv
    if args.json:
        print_json(info)
        return 0
    print(f"{info['records']} records, {info['unique_architectures']} unique architectures "
          f"({info['duplicate_groups']} duplicate pairs) from {info['source']}")
    print(f"collection regimes: {info['regimes']}; default split: {info['default_split']}")
    print("missing measurements: " + ", ".join(f"{k} {v}" for k, v in info["missing"].items()))
    for t, v in info["targets"].items():
        print(f"  {t:18s} mean {v['mean']:10.3f} {v['unit']}" if v["mean"] is not None
              else f"  {t:18s} not measured")
    return 0
