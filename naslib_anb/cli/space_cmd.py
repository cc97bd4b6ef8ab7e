"""``naslib-anb space``: size, choices, and (optionally) one architecture's details."""
from __future__ import annotations

from naslib_anb.cli.main import print_json
from naslib_anb.errors import ConfigError

#: --json builds one document in memory; text output streams and has no limit
JSON_SAMPLE_LIMIT = 100_000


def add_parser(sub) -> None:
    p = sub.add_parser("space", help="describe the search space (size, choices) or one architecture")
    p.add_argument("arch", nargs="?", help="canonical arch string to describe (optional)")
    p.add_argument("--sample", type=int, default=0, metavar="N",
                   help=f"also print N seeded samples (streamed; at most {JSON_SAMPLE_LIMIT:,} with --json)")
    p.add_argument("--seed", type=int, default=0, help="seed of the --sample draws (default 0; same seed, same samples)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args) -> int:
    from naslib_anb.space import Arch, arch_cost, describe, feasible, nearest_measured, train_memory_gib
    from naslib_anb.space.space import iter_samples, make_rng

    if args.sample < 0:
        raise ConfigError(f"--sample must be >= 0, got {args.sample}")
    if args.json and args.sample > JSON_SAMPLE_LIMIT:
        raise ConfigError(f"--sample {args.sample} with --json: at most {JSON_SAMPLE_LIMIT:,} (one JSON document in "
                          "memory); without --json samples are streamed, one per line, any number")
    rng = make_rng(args.seed)  # a bad seed fails before anything is printed
    info = describe()
    if args.arch is not None:
        a = Arch.parse(args.arch)
        c = arch_cost(a)
        info = {
            "arch": str(a),
            "params_m": c.params / 1e6,
            "macs_m": c.macs / 1e6,
            "depth": a.depth,
            "train_memory_gib": round(float(train_memory_gib([a])[0]), 4),
            "feasible": bool(feasible([a])[0]),
            "nearest_measured": int(nearest_measured([a])[0]),
            "timm_arch_def": a.to_arch_def(),
            "upstream_dict": a.to_dict(),
        }
    if args.json:
        if args.sample:
            info["samples"] = [str(a) for a in iter_samples(rng, args.sample)]
        print_json(info)
        return 0
    if args.arch is not None:
        print(f"{info['arch']}\n  params {info['params_m']:.3f} M, MACs {info['macs_m']:.1f} M "
              f"(thop @224), {info['depth']} MBConv layers")
        print(f"  training with p* needs {info['train_memory_gib']:.2f} GiB: "
              f"{'feasible' if info['feasible'] else 'NOT trainable with the labels recipe'}; "
              f"{info['nearest_measured']} decisions from the nearest measured architecture")
        for blk in info["timm_arch_def"]:
            print(f"  {blk[0]}")
    else:
        print(f"MnasNet space: {info['size']:,} architectures, {info['num_decisions']} decisions, "
              f"{info['num_neighbours']} one-step neighbours")
        print(f"canonical form: {info['canonical_form']}")
        for stage in range(7):
            ch = {k.split('_', 1)[1]: v for k, v in info["choices"].items() if k.startswith(f"block{stage}_")}
            print(f"  stage {stage}: e {ch['e']}  k {ch['k']}  l {ch['l']}  se {ch['se']}")
        print(f"EfficientNet-B0: {info['efficientnet_b0']}")
    for a in iter_samples(rng, args.sample):
        print(a)
    return 0
