"""Trainability under the labels' recipe p*: the calibration evidence, the feasible fraction, the speed.

Prints
- the analytic train memory (batch 512, 192 px, AMP) of every measured architecture: maximum overall
  and per collection campaign, and the threshold;
- per campaign: how many of its records the campaign's own sampler would have put above the largest
  measured architecture (no filter) against how many the data has, and the counts per memory bin
  below and above it;
- the feasible fraction of the whole space (uniform samples, 95 % Wilson interval) and the draws that
  feasible-only sampling needs per accepted architecture;
- speed: ``train_memory_gib`` and ``nearest_measured`` for 100,000 architectures, against the
  baseline of reading the figure off PyTorch (the timm model run on the meta device, per
  architecture, ``--torch-archs`` of them; needs the ``train`` extra).

    python benchmarks/bench_trainability.py [--samples 1000000] [--campaign-samples 200000] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import time


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=1_000_000, help="uniform samples for the feasible fraction")
    ap.add_argument("--campaign-samples", type=int, default=200_000, help="samples per campaign sampler")
    ap.add_argument("--speed-archs", type=int, default=100_000)
    ap.add_argument("--torch-archs", type=int, default=5, help="archs for the PyTorch baseline (0: skip)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=None, help="dataset tarball or directory (default: $NASLIB_ANB_DATA)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    import numpy as np

    from naslib_anb.data import load_dataset
    from naslib_anb.space import CARDINALITIES, sample
    from naslib_anb.space.campaigns import CAMPAIGN_SIZES, CAMPAIGNS, campaign_codes
    from naslib_anb.space.memory import P_STAR, train_memory_gib
    from naslib_anb.space.support import nearest_measured
    from naslib_anb.space.trainability import FEASIBLE_MAX_GIB, feasible_fraction

    ds = load_dataset(args.data)
    gib = train_memory_gib(ds.archs)
    regime = np.asarray([r.regime for r in ds])
    edge = float(gib.max())
    out: dict = {"recipe": {"batch_size": P_STAR.batch_size, "resolution": P_STAR.resolution},
                 "threshold_gib": FEASIBLE_MAX_GIB, "measured_max_gib": round(edge, 4),
                 "measured_max_arch": str(ds[int(gib.argmax())].arch),
                 "measured_above_threshold": int((gib > FEASIBLE_MAX_GIB).sum()), "campaigns": {}}
    rng = np.random.default_rng(args.seed)
    above_edge = float(np.nextafter(edge, np.inf))  # the measured max falls in the bin below it
    bins = [0, 18, 19, 20, 20.5, 21, above_edge, 21.5, 22, 23, 25, 40]
    expected_total = 0.0
    for c in CAMPAIGNS:
        n = CAMPAIGN_SIZES[c]
        sim = train_memory_gib(campaign_codes(c, args.campaign_samples, rng))
        p_above = float((sim > edge).mean())
        p_below = 1.0 - p_above
        expected = n * p_above
        expected_total += expected
        mine = gib[regime == c]
        sim_hist = np.histogram(sim, bins)[0] / len(sim)
        obs_hist = np.histogram(mine, bins)[0]
        out["campaigns"][c] = {
            "records": n, "measured_max_gib": round(float(mine.max()), 4),
            "sampler_fraction_above_measured_max": round(p_above, 5),
            "expected_above_without_filter": round(expected, 1), "observed_above": int((mine > edge).sum()),
            "bins_gib": [f"{a:.2f}-{b:.2f}" for a, b in zip(bins[:-1], bins[1:])],
            # expected counts given that the campaign kept n designs below the edge
            "expected_per_bin": [round(float(v), 1) for v in sim_hist * n / p_below],
            "observed_per_bin": obs_hist.tolist(),
        }
    out["expected_above_without_filter_total"] = round(expected_total, 1)
    out["observed_above_total"] = int((gib > edge).sum())
    out["p_zero_observed_if_no_limit"] = float(np.exp(-expected_total))

    est = feasible_fraction(args.samples, args.seed)
    out["feasible_fraction"] = {"n": est.n, "fraction": round(est.fraction, 5), "ci95": [round(est.ci_low, 5),
                                                                                            round(est.ci_high, 5)],
                                "seed": est.seed, "draws_per_feasible_sample": round(1 / est.fraction, 4)}

    cards = np.asarray(CARDINALITIES)
    codes = (np.random.default_rng(args.seed).random((args.speed_archs, len(cards))) * cards).astype(np.int64)
    archs = sample(args.seed, args.speed_archs, feasible_only=False)
    t0 = time.perf_counter()
    train_memory_gib(codes)
    t_codes = time.perf_counter() - t0
    t0 = time.perf_counter()
    train_memory_gib(archs)
    t_archs = time.perf_counter() - t0
    t0 = time.perf_counter()
    near = nearest_measured(codes)
    t_near = time.perf_counter() - t0
    out["nearest_measured_uniform"] = {"n": args.speed_archs, "median": float(np.median(near)),
                                       "counts": {int(d): int(c) for d, c in enumerate(np.bincount(near)) if c}}
    speed = {"n": args.speed_archs, "train_memory_codes_s": round(t_codes, 3), "train_memory_archs_s": round(t_archs, 3),
             "nearest_measured_codes_s": round(t_near, 3)}
    if args.torch_archs > 0:
        try:
            import timm  # noqa: F401
            import torch  # noqa: F401

            from naslib_anb.models.saved_bytes import autograd_saved_bytes
            from naslib_anb.space.memory import train_memory

            autograd_saved_bytes(archs[0], 8, 32)  # imports and first-call set-up outside the timing
            errs = []
            t0 = time.perf_counter()
            for a in archs[:args.torch_archs]:
                torch_bytes = autograd_saved_bytes(a, P_STAR.batch_size, P_STAR.resolution)
                errs.append(float(train_memory([a]).activations[0]) / torch_bytes - 1)
            per_arch = (time.perf_counter() - t0) / args.torch_archs
            speed["torch_meta_per_arch_s"] = round(per_arch, 3)
            speed["analytic_per_arch_s"] = t_archs / args.speed_archs
            speed["speedup_vs_torch_meta"] = round(per_arch / (t_archs / args.speed_archs))
            speed["analytic_vs_torch_rel_err_max"] = float(np.max(np.abs(errs)))
        except ImportError:
            speed["torch_meta"] = "skipped: torch/timm not installed (the train extra)"
    out["speed"] = speed

    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"recipe p*: batch {P_STAR.batch_size} per GPU, {P_STAR.resolution} px, AMP; threshold "
          f"{FEASIBLE_MAX_GIB} GiB")
    print(f"measured architectures: max {edge:.3f} GiB ({out['measured_max_arch']}); "
          f"per campaign " + ", ".join(f"{c}: {out['campaigns'][c]['measured_max_gib']:.3f}" for c in CAMPAIGNS))
    for c in CAMPAIGNS:
        e = out["campaigns"][c]
        print(f"campaign {c} ({e['records']} records): sampler puts {100 * e['sampler_fraction_above_measured_max']:.2f} % "
              f"above {edge:.2f} GiB -> {e['expected_above_without_filter']:.1f} expected, {e['observed_above']} observed")
        print("   GiB bin      expected  observed")
        for b, x, o in zip(e["bins_gib"], e["expected_per_bin"], e["observed_per_bin"]):
            print(f"   {b:>11s} {x:9.1f} {o:9d}")
    print(f"all campaigns: {out['expected_above_without_filter_total']:.1f} expected above the measured max, "
          f"{out['observed_above_total']} observed (Poisson P(0) = {out['p_zero_observed_if_no_limit']:.3g})")
    ff = out["feasible_fraction"]
    print(f"feasible fraction of the space: {ff['fraction']:.4f} (95 % CI {ff['ci95'][0]:.4f}-{ff['ci95'][1]:.4f}, "
          f"{ff['n']:,} uniform samples, seed {ff['seed']}); {ff['draws_per_feasible_sample']:.3f} draws per "
          "feasible sample")
    nm = out["nearest_measured_uniform"]
    print(f"nearest_measured over {nm['n']:,} uniform samples (seed {args.seed}): median {nm['median']:.0f} decisions; "
          + ", ".join(f"{d}: {c}" for d, c in nm["counts"].items()))
    print(f"speed for {speed['n']:,} architectures: train_memory_gib {speed['train_memory_codes_s']:.3f} s from codes, "
          f"{speed['train_memory_archs_s']:.3f} s from Arch objects; nearest_measured "
          f"{speed['nearest_measured_codes_s']:.3f} s from codes")
    if "torch_meta_per_arch_s" in speed:
        print(f"baseline, PyTorch meta device: {speed['torch_meta_per_arch_s']:.3f} s per architecture -> analytic is "
              f"{speed['speedup_vs_torch_meta']:,}x faster per architecture; max relative difference "
              f"{speed['analytic_vs_torch_rel_err_max']:.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
