"""NASLib's zero-cost proxies on ImageNet's MnasNet space, scored against measured accuracy and throughput.

For each of ``n_archs`` measured architectures (a seeded sample of the distinct measured ones), the
network is built once through the ANB space's ``parse()`` (timm, via :func:`naslib_anb.models.build_model`)
and every proxy is computed by NASLib's own ``ZeroCost(method_type=...).query(network, loader)`` on
the same batch (:mod:`.zc_data`: an ImageNet folder, or a labelled synthetic batch). Kendall tau and
Spearman are then taken against the measured ``val_top1`` and each device's measured throughput.

Scores go to ``<out>/scores.jsonl`` one line per architecture as soon as it is done, so a killed run
resumes where it stopped; ``<out>/table.json`` and ``table.md`` hold the correlations and what fed them.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from naslib_anb.errors import ANBError, ConfigError, UnknownChoiceError
from naslib_anb.io import atomic_write_json

logger = logging.getLogger(__name__)


def proxies_available() -> tuple[str, ...]:
    """Every zero-cost proxy NASLib's ``ZeroCost`` computes (see ``run.ZERO_COST_PROXIES``)."""
    from naslib_anb.naslib.run import ZERO_COST_PROXIES

    return ZERO_COST_PROXIES


def throughput_targets() -> list[str]:
    from naslib_anb.targets import TARGETS

    return [t.name for t in TARGETS.values() if t.metric == "throughput"]


def pick_architectures(measured: Any, n: int, seed: int) -> list[Any]:
    """A seeded sample of ``n`` distinct measured records with a measured ``val_top1``."""
    recs = [r for r in measured.unique() if np.isfinite(r.value("val_top1"))]
    if not 2 <= n <= len(recs):
        raise ConfigError(f"n_archs is {n}; valid: 2..{len(recs)} (measured architectures with val_top1)")
    order = np.random.default_rng(seed).permutation(len(recs))[:n]
    return [recs[int(i)] for i in order]


def _done(path: Path) -> dict[str, dict]:
    """Scores already written (a torn last line from a kill is ignored and recomputed)."""
    out: dict[str, dict] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            out[row["arch"]] = row
    return out


def score_architecture(arch: Any, proxies: Sequence[str], loader: Any) -> dict[str, Any]:
    """Every proxy for one architecture: its network is built once and scored by NASLib's ZeroCost."""
    import torch
    from naslib.predictors.zerocost import ZeroCost

    from naslib_anb.naslib.space import ANBSearchSpace

    space = ANBSearchSpace()
    space.set_spec(arch)
    scores, seconds, errors = {}, {}, {}
    for name in proxies:
        torch.manual_seed(0)  # the same initial weights for every proxy of this architecture
        space.parse()  # a fresh network per proxy: none sees weights another one changed
        t0 = time.perf_counter()
        try:
            scores[name] = float(ZeroCost(method_type=name).query(space, dataloader=loader))
        except Exception as exc:  # a proxy failing on one network is a result, not the end of the run
            scores[name] = None
            errors[name] = f"{type(exc).__name__}: {exc}"[:500]
        seconds[name] = time.perf_counter() - t0
    space.unparse()
    return {"arch": str(arch), "scores": scores, "seconds": seconds, "errors": errors}


def correlations(rows: list[dict], records: dict[str, Any], proxies: Sequence[str],
                 targets: Sequence[str]) -> dict[str, dict[str, dict[str, float]]]:
    """``{proxy: {target: {kendalltau, spearman, n}}}`` over the archs where the target was measured."""
    from scipy.stats import kendalltau, spearmanr

    table: dict[str, dict[str, dict[str, float]]] = {}
    for p in proxies:
        table[p] = {}
        for t in targets:
            xs, ys = [], []
            for row in rows:
                y = records[row["arch"]].value(t)
                x = row["scores"].get(p)
                # NASLib's ZeroCost returns -1e8 for a NaN/inf score: that is a failure, not a value
                if x is not None and x != -1e8 and np.isfinite(y) and np.isfinite(x):
                    xs.append(x)
                    ys.append(y)
            if len(xs) < 3 or len(set(xs)) < 2:
                table[p][t] = {"kendalltau": None, "spearman": None, "n": len(xs)}
                continue
            table[p][t] = {"kendalltau": float(kendalltau(xs, ys)[0]), "spearman": float(spearmanr(xs, ys)[0]),
                           "n": len(xs)}
    return table


def compare_batches(scores_a: os.PathLike | str, scores_b: os.PathLike | str) -> dict[str, dict[str, Any]]:
    """Per proxy, how its scores move between two runs on the same architectures with different batches.

    ``{proxy: {n, identical, kendalltau}}``: ``identical`` is the fraction of architectures whose score is
    the same on both batches (relative difference <= 1e-9), ``kendalltau`` the rank agreement of the two
    runs' scores. A data-free proxy gives 1.0 and 1.0; one that reads the batch does not.
    """
    from scipy.stats import kendalltau

    a, b = _done(Path(scores_a)), _done(Path(scores_b))
    common = [k for k in a if k in b]
    proxies = sorted({p for k in common for p in a[k]["scores"]} & {p for k in common for p in b[k]["scores"]})
    out: dict[str, dict[str, Any]] = {}
    for p in proxies:
        pairs = [(a[k]["scores"].get(p), b[k]["scores"].get(p)) for k in common]
        pairs = [(x, y) for x, y in pairs if x is not None and y is not None]
        if not pairs:
            continue
        xs, ys = np.asarray(pairs, dtype=np.float64).T
        same = np.abs(xs - ys) <= 1e-9 * np.maximum(1.0, np.maximum(np.abs(xs), np.abs(ys)))
        tau = float(kendalltau(xs, ys)[0]) if len(pairs) > 2 and len(set(xs)) > 1 else None
        out[p] = {"n": len(pairs), "identical": float(np.mean(same)), "kendalltau": tau}
    return out


def markdown(table: dict, targets: Sequence[str]) -> str:
    head = "| proxy | " + " | ".join(targets) + " |"
    lines = [head, "|" + "---|" * (len(targets) + 1)]
    for p, row in table.items():
        cells = []
        for t in targets:
            c = row[t]
            cells.append("-" if c["kendalltau"] is None else f"{c['kendalltau']:.2f} / {c['spearman']:.2f}")
        lines.append(f"| {p} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def run_study(out: os.PathLike | str, n_archs: int = 200, proxies: Optional[Sequence[str]] = None,
              zc_data: Optional[dict] = None, seed: int = 0, data_path: Any = None) -> dict[str, Any]:
    """Score, resume, correlate; returns the table dict also written to ``<out>/table.json``."""
    from naslib_anb.naslib import import_naslib

    import_naslib()
    from naslib_anb.naslib.dataset_api import get_anb_dataset_api, zc_loader
    from naslib_anb.naslib.registration import register

    register()
    valid = proxies_available()
    proxies = list(proxies or valid)
    for p in proxies:
        if p not in valid:
            raise UnknownChoiceError(p, valid, "NASLib zero-cost proxies")
    api = get_anb_dataset_api("imagenet", data_path=data_path, zc_data=zc_data)
    loader = zc_loader(api)
    chosen = pick_architectures(api["engine"].measured, n_archs, seed)
    records = {str(r.arch): r for r in chosen}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scores_path = out / "scores.jsonl"
    done = _done(scores_path)
    todo = [r for r in chosen if str(r.arch) not in done or set(proxies) - set(done[str(r.arch)]["scores"])]
    logger.info("%d architectures, %d already scored, proxies %s, data: %s", len(chosen), len(chosen) - len(todo),
                proxies, api["zc_data"].describe())
    t0 = time.perf_counter()
    with open(scores_path, "a", encoding="utf-8") as f:
        for i, rec in enumerate(todo):
            row = score_architecture(rec.arch, proxies, loader)
            f.write(json.dumps(row) + "\n")
            f.flush()
            os.fsync(f.fileno())
            done[row["arch"]] = row
            if (i + 1) % 10 == 0:
                logger.info("%d/%d scored (%.0f s)", i + 1, len(todo), time.perf_counter() - t0)
    rows = [done[str(r.arch)] for r in chosen]
    targets = ["val_top1"] + throughput_targets()
    table = correlations(rows, records, proxies, targets)
    import torch

    result = {
        "n_archs": len(rows), "seed": seed, "proxies": proxies, "targets": targets,
        "data": api["zc_data"].to_dict(),
        "architectures": "seeded sample of the distinct measured ANB architectures with val_top1",
        "labels": "measured val_top1 (p* proxy training) and measured device throughput, not surrogates",
        "mean_seconds_per_arch": {p: float(np.mean([r["seconds"][p] for r in rows])) for p in proxies},
        "environment": {"python": platform.python_version(), "torch": torch.__version__,
                        "threads": torch.get_num_threads(), "cpu": platform.processor() or platform.machine()},
        "table": table,
    }
    atomic_write_json(out / "table.json", result)
    (out / "table.md").write_text(markdown(table, targets), encoding="utf-8")
    return result


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="naslib_zerocost", description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="output directory (resumable)")
    p.add_argument("--n-archs", type=int, default=200)
    p.add_argument("--proxies", help="comma-separated subset (default: all of NASLib's)")
    p.add_argument("--imagenet", help="ImageNet-style folder for the batch (default: synthetic batch)")
    p.add_argument("--resolution", type=int, default=224)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--synthetic-classes", type=int, default=8, help="label classes of the synthetic batch")
    p.add_argument("--seed", type=int, default=0, help="seed of the architecture sample")
    p.add_argument("--data-seed", type=int, default=None,
                   help="seed of the synthetic batch (default: --seed); change it alone to see which proxies "
                        "depend on the batch")
    p.add_argument("--data", help="ANB measured data (default: $NASLIB_ANB_DATA or the cache)")
    p.add_argument("--compare-with", metavar="OUT", help="another study's output directory (same architectures, "
                   "another batch): write batch_comparison.json, how each proxy's scores moved")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        result = run_study(args.out, args.n_archs, args.proxies.split(",") if args.proxies else None,
                           {"data_path": args.imagenet, "resolution": args.resolution,
                            "batch_size": args.batch_size,
                            "seed": args.seed if args.data_seed is None else args.data_seed,
                            "synthetic_classes": args.synthetic_classes},
                           seed=args.seed, data_path=args.data)
    except ANBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{result['n_archs']} architectures; data: {result['data']['description']}")
    print(markdown(result["table"], result["targets"]))
    if args.compare_with:
        moved = compare_batches(Path(args.compare_with) / "scores.jsonl", Path(args.out) / "scores.jsonl")
        atomic_write_json(Path(args.out) / "batch_comparison.json", {"other": str(args.compare_with), "proxies": moved})
        print("| proxy | archs | same score on both batches | tau between batches |\n|---|---|---|---|")
        for name, row in moved.items():
            tau = "-" if row["kendalltau"] is None else f"{row['kendalltau']:.2f}"
            print(f"| {name} | {row['n']} | {row['identical']:.0%} | {tau} |")
    return 0
