"""``naslib-anb profile``: measure throughput/latency/energy on this machine, export ONNX, import results.

    naslib-anb profile run --config configs/profile/gpu.yaml --archs b0 --archs space:30:0 --out prof/h100
    naslib-anb profile summary prof/h100 --csv prof/h100.csv
    naslib-anb profile compare prof/run1 prof/run2
    naslib-anb profile export-onnx b0 --out b0.onnx
    naslib-anb profile import fpga.csv --device zcu104 --out prof/zcu104 --precision int8 --batch-size 1
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from naslib_anb.cli.main import print_json


def _threads(text: str):
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: a positive number or 'auto'") from None


def add_parser(sub: Any) -> None:
    p = sub.add_parser("profile", help="measure devices: throughput, latency, energy; ONNX export; import")
    psub = p.add_subparsers(dest="profile_command", metavar="ACTION")
    psub.required = True
    _add_run(psub)
    _add_tables(psub)
    _add_export_import(psub)


def _add_run(psub: Any) -> None:
    r = psub.add_parser("run", help="resumable sweep over a manifest of architectures")
    g = r.add_argument_group("what")
    g.add_argument("--archs", action="append", required=True, metavar="SPEC",
                   help="b0 | space:N[:SEED] | dataset:N[:SEED] | dataset:NAME,NAME | file:PATH | an arch (repeatable)")
    g.add_argument("--data", help="dataset path (for dataset: specs and --match-dataset)")
    g.add_argument("--match-dataset", action="store_true",
                   help="copy accuracy and upstream device values into records of archs found in the dataset")
    g.add_argument("--out", required=True, help="output directory (one JSON per architecture)")
    g.add_argument("--retry-failed", action="store_true", help="measure failed architectures again")
    h = r.add_argument_group("how (defaults from --config, then the built-in defaults)")
    h.add_argument("--config", help="YAML file of ProfileConfig fields")
    h.add_argument("--device", help="cpu | cuda | cuda:N")
    h.add_argument("--label", help="device name in target keys, e.g. h100 (default: from the device)")
    h.add_argument("--precision", choices=("fp32", "fp16", "bf16"))
    h.add_argument("--resolution", type=int)
    h.add_argument("--batch-size", type=int, help="throughput batch")
    h.add_argument("--latency-batch-size", type=int)
    h.add_argument("--iters", type=int, help="timed throughput batches per repeat")
    h.add_argument("--latency-iters", type=int)
    h.add_argument("--warmup-iters", type=int)
    h.add_argument("--latency-warmup-iters", type=int)
    h.add_argument("--repeats", type=int)
    h.add_argument("--threads", type=_threads, help="intra-op CPU threads, a number or 'auto' (the CPUs this "
                                                   "process may use); fixed and recorded")
    h.add_argument("--measure", help="comma list of throughput,latency,energy")
    h.add_argument("--energy-window-s", type=float, help="seconds per energy window")
    h.add_argument("--energy-repeats", type=int, help="energy windows per architecture")
    h.add_argument("--idle-window-s", type=float)
    h.add_argument("--protocol", help="synthetic | upstream (real validation images, full warm-up pass)")
    h.add_argument("--val-data", help="ImageFolder of validation images (protocol upstream)")
    h.add_argument("--energy-sweep", action="store_true", default=None,
                   help="energy also at batch 1, 2, 4, ... up to the largest that fits")
    h.add_argument("--rapl-dram", action="store_true", default=None,
                   help="CPU energy: count the packages' DRAM zones too (never psys)")
    h.add_argument("--group-size", type=int, help="architectures per worker process")
    h.add_argument("--no-isolate", action="store_true", help="measure in this process (debugging)")
    r.add_argument("--no-progress", action="store_true")
    r.add_argument("--json", action="store_true", help="machine-readable result")
    r.set_defaults(func=run)


def _add_tables(psub: Any) -> None:
    s = psub.add_parser("summary", help="table of a profile directory")
    s.add_argument("dir")
    s.add_argument("--csv", metavar="FILE", help="write the table as CSV")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=summary)

    c = psub.add_parser("compare", help="run-to-run spread between repeated sweeps")
    c.add_argument("dirs", nargs="+")
    c.add_argument("--column", default="throughput_mean",
                   help="throughput_mean | latency_ms_mean | energy_net_j_per_image | energy_gross_j_per_image")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=compare)


def _add_export_import(psub: Any) -> None:
    e = psub.add_parser("export-onnx", help="export an architecture to ONNX (for TPU/FPGA/TensorRT toolchains)")
    e.add_argument("arch", help="architecture (any spelling) or b0")
    e.add_argument("--out", required=True)
    e.add_argument("--resolution", type=int, default=224)
    e.add_argument("--batch-size", type=int, default=1, help="batch of the traced input")
    e.add_argument("--static-batch", action="store_true", help="fixed batch dimension (some compilers need it)")
    e.add_argument("--opset", type=int, default=17)
    e.add_argument("--activation", default="relu")
    e.set_defaults(func=export)

    i = psub.add_parser("import", help="import results measured elsewhere (CSV/JSON) into the profile schema")
    i.add_argument("file")
    i.add_argument("--device", required=True, help="label, e.g. tpuv4 or zcu104 (becomes throughput_<label>)")
    i.add_argument("--out", required=True)
    i.add_argument("--device-name", help="full device name")
    i.add_argument("--precision")
    i.add_argument("--resolution", type=int, default=224)
    i.add_argument("--batch-size", type=int)
    i.add_argument("--latency-batch-size", type=int)
    i.add_argument("--tool", help="toolchain and version, e.g. 'Vitis-AI 3.5'")
    i.add_argument("--note")
    i.add_argument("--data", help="dataset path, to copy accuracy into records of dataset archs")
    i.add_argument("--overwrite", action="store_true", help="replace existing records")
    i.set_defaults(func=import_cmd)


def _bases(entries: Any, data: Any, match: bool) -> dict[str, Any]:
    if not match and not any(e.name for e in entries):
        return {}
    from naslib_anb.data import load_dataset

    ds = load_dataset(data, how_to_pass="--data PATH")
    by_name = {r.name: r for r in ds}
    by_arch = {}
    for rec in ds.unique():
        by_arch[str(rec.arch)] = rec
    out = {}
    for e in entries:
        rec = by_name.get(e.name) if e.name else (by_arch.get(e.key) if match else None)
        if rec is not None:
            out[e.key] = rec.to_json()
    return out


def _default_measurements(cfg: Any) -> Any:
    """Energy is in the built-in default only where this machine has a counter; asked for, it must be."""
    import dataclasses

    from naslib_anb.profiling.errors import DeviceUnavailableError
    from naslib_anb.profiling.worker import check_device, check_energy

    check_device(cfg)  # a missing device is its own error, not a missing energy counter
    try:
        check_energy(cfg)
    except DeviceUnavailableError as exc:
        print(f"energy not measured: {exc}", file=sys.stderr)
        return dataclasses.replace(cfg, measure=tuple(m for m in cfg.measure if m != "energy"))
    return cfg


def run(args: argparse.Namespace) -> int:
    from naslib_anb.profiling import build_manifest, load_config, run_sweep

    over = {
        "device": args.device, "label": args.label, "precision": args.precision, "resolution": args.resolution,
        "batch_size": args.batch_size, "latency_batch_size": args.latency_batch_size, "iters": args.iters,
        "latency_iters": args.latency_iters, "warmup_iters": args.warmup_iters,
        "latency_warmup_iters": args.latency_warmup_iters, "repeats": args.repeats,
        "threads": args.threads, "energy_window_s": args.energy_window_s, "energy_repeats": args.energy_repeats, "idle_window_s": args.idle_window_s,
        "protocol": args.protocol, "val_data": args.val_data, "energy_sweep": args.energy_sweep,
        "rapl_dram": args.rapl_dram,
        "group_size": args.group_size,
        "measure": tuple(m.strip() for m in args.measure.split(",") if m.strip()) if args.measure else None,
        "isolate": False if args.no_isolate else None,
    }
    cfg = load_config(args.config, **over)
    if args.measure is None and args.config is None:
        cfg = _default_measurements(cfg)
    data = args.data
    if args.match_dataset or any(str(spec).startswith("dataset") for spec in args.archs):
        from naslib_anb.data import resolve_data_path

        data = resolve_data_path(args.data, how_to_pass="--data PATH")  # found by the one rule, or said how
    entries = build_manifest(args.archs, data)
    bases = _bases(entries, data, args.match_dataset)
    res = run_sweep(entries, cfg, args.out, retry_failed=args.retry_failed, bases=bases,
                    progress=not args.no_progress)
    info = res.as_dict()
    if args.json:
        print_json(info)
    else:
        print(f"{len(entries)} architectures: {info['measured']} measured, {info['failed']} failed "
              f"({info['crashed']} worker crashes), {info['skipped']} already done -> {info['out_dir']}")
    return 0


def summary(args: argparse.Namespace) -> int:
    from naslib_anb.profiling.analysis import summary_table

    df = summary_table(args.dir)
    if args.csv:
        from naslib_anb.io import atomic_write_text

        atomic_write_text(args.csv, df.to_csv(index=False))
    if args.json:
        print_json(df.to_dict(orient="records"))
    else:
        cols = ["arch", "status", "throughput_mean", "throughput_std", "latency_ms_mean",
                "energy_gross_j_per_image", "energy_net_j_per_image", "error"]
        with __import__("pandas").option_context("display.width", 200, "display.max_colwidth", 60):
            print(df[cols].to_string(index=False))
    return 0


def compare(args: argparse.Namespace) -> int:
    from naslib_anb.profiling.analysis import run_to_run

    if len(args.dirs) < 2:
        from naslib_anb.errors import ConfigError

        raise ConfigError(f"needs at least two directories, got {len(args.dirs)}")
    res = run_to_run(args.dirs, args.column)
    if args.json:
        print_json(res)
    else:
        print(f"{res['archs']} architectures in {res['runs']} runs, {res['column']}: run-to-run (max-min)/mean "
              f"median {100 * res['median_range_rel']:.2f} %, mean {100 * res['mean_range_rel']:.2f} %, "
              f"max {100 * res['max_range_rel']:.2f} %")
    return 0


def export(args: argparse.Namespace) -> int:
    from naslib_anb.cli.progress import step
    from naslib_anb.profiling.export import export_onnx
    from naslib_anb.profiling.manifest import parse_spec

    arch = parse_spec(args.arch)[0].arch
    path = export_onnx(arch, args.out, resolution=args.resolution, batch_size=args.batch_size,
                       dynamic_batch=not args.static_batch, opset=args.opset, activation=args.activation,
                       on_step=lambda text: step("export-onnx", text))
    print(f"{arch} -> {path} (input 'images' N x 3 x {args.resolution} x {args.resolution}, output 'logits')")
    return 0


def import_cmd(args: argparse.Namespace) -> int:
    from naslib_anb.profiling.importer import import_results

    env = {k: v for k, v in {
        "device_name": args.device_name, "precision": args.precision, "resolution": args.resolution,
        "batch_size": args.batch_size, "latency_batch_size": args.latency_batch_size, "tool": args.tool,
        "note": args.note, "device": "external"}.items() if v is not None}
    bases = {}
    if args.data:
        from naslib_anb.data import load_dataset

        bases = {str(r.arch): r.to_json() for r in load_dataset(args.data, how_to_pass="--data PATH").unique()}
    res = import_results(args.file, args.device, args.out, env, bases=bases, overwrite=args.overwrite)
    print_json(res)
    return 0


def main(argv: Any = None) -> int:
    """Stand-alone entry (``runners/profile_devices.py``): only the profile subcommand, so the
    runner needs torch and numpy but none of the other subcommands' dependencies."""
    import logging

    from naslib_anb.errors import ANBError

    parser = argparse.ArgumentParser(prog="profile", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="count", default=0)
    sub = parser.add_subparsers(dest="command")
    add_parser(sub)
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = [a for a in argv if a in ("-v", "-vv")]
    args = parser.parse_args(verbose + ["profile"] + [a for a in argv if a not in ("-v", "-vv")])
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2),
                        format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except ANBError as exc:
        print(f"profile {args.profile_command}: error: {exc}", file=sys.stderr)
        return 2
