"""Does an optimizer ranking survive another, equally good surrogate? (NAS-Bench-301's question.)

Pure functions over final values per variant, optimizer and seed (higher is better):
mean +- standard error, the ranking per variant, Kendall's tau between the rankings of every
pair of variants, and every pair of optimizers whose order flips between variants. Both our
``compare --variants`` and the NASLib comparison runner feed them.
"""
from __future__ import annotations

import math
from itertools import combinations
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from naslib_anb.errors import ConfigError

#: {variant: {optimizer: [final value per seed]}}
Finals = Mapping[str, Mapping[str, Sequence[float]]]


def mean_se(values: Sequence[float]) -> dict[str, Any]:
    """Mean and standard error (ddof=1) of the finite values; se 0 for one value, None for none."""
    a = np.asarray([v for v in values if v is not None], dtype=np.float64)
    a = a[np.isfinite(a)]
    if len(a) == 0:
        return {"mean": None, "se": None, "n": 0}
    se = float(a.std(ddof=1) / math.sqrt(len(a))) if len(a) > 1 else 0.0
    return {"mean": float(a.mean()), "se": se, "n": int(len(a))}


def _check(finals: Finals) -> list[str]:
    if not finals:
        raise ConfigError("a robustness report needs at least one variant")
    optimizers = list(next(iter(finals.values())))
    for v, per in finals.items():
        if list(per) != optimizers:
            raise ConfigError(f"variant {v!r} has optimizers {list(per)}, expected {optimizers}: "
                              "every variant must run the same comparison")
    if len(optimizers) < 2:
        raise ConfigError(f"a ranking needs at least two optimizers, got {optimizers}")
    return optimizers


def ranking(stats: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Optimizers best first by mean (ties keep the given order); those without a value last."""
    names = list(stats)
    return sorted(names, key=lambda o: (stats[o]["mean"] is None, -(stats[o]["mean"] or 0.0), names.index(o)))


def kendall_tau(a: Mapping[str, Mapping[str, Any]], b: Mapping[str, Mapping[str, Any]]) -> Optional[float]:
    """Kendall's tau-b between two variants' mean values over the optimizers both have (None if undefined)."""
    from scipy.stats import kendalltau

    common = [o for o in a if o in b and a[o]["mean"] is not None and b[o]["mean"] is not None]
    if len(common) < 2:
        return None
    tau = kendalltau([a[o]["mean"] for o in common], [b[o]["mean"] for o in common])[0]
    # rounded: scipy's tau-b of two identical orders of 6 is 0.9999999999999999
    return None if tau is None or not np.isfinite(tau) else round(float(tau), 12)


def _gap(x: Mapping[str, Any], y: Mapping[str, Any]) -> tuple[float, float]:
    """Difference of means and its standard error."""
    return x["mean"] - y["mean"], math.sqrt(x["se"] ** 2 + y["se"] ** 2)


def order_flips(stats: Mapping[str, Mapping[str, Mapping[str, Any]]], z: float = 2.0) -> list[dict[str, Any]]:
    """Every pair of optimizers ahead of each other on different variants.

    ``clear`` marks a flip where, on some variant each way, the gap exceeds ``z`` standard
    errors of the difference: the order really changes, not just within the noise.
    """
    variants = list(stats)
    optimizers = list(next(iter(stats.values())))
    flips = []
    for a, b in combinations(optimizers, 2):
        ahead: dict[str, list[str]] = {a: [], b: []}
        clear: dict[str, bool] = {a: False, b: False}
        for v in variants:
            x, y = stats[v][a], stats[v][b]
            if x["mean"] is None or y["mean"] is None or x["mean"] == y["mean"]:
                continue
            gap, se = _gap(x, y)
            winner = a if gap > 0 else b
            ahead[winner].append(v)
            clear[winner] = clear[winner] or abs(gap) > z * se
        if ahead[a] and ahead[b]:
            flips.append({"optimizers": [a, b], "ahead": {a: ahead[a], b: ahead[b]},
                          "clear": clear[a] and clear[b]})
    return flips


def robustness(finals: Finals, z: float = 2.0) -> dict[str, Any]:
    """The whole report for one metric: stats, rankings, pairwise tau, flips."""
    optimizers = _check(finals)
    stats = {v: {o: {**mean_se(per[o]), "per_seed": [None if x is None else float(x) for x in per[o]]}
                 for o in optimizers} for v, per in finals.items()}
    taus = [{"variants": [v, w], "tau": kendall_tau(stats[v], stats[w])} for v, w in combinations(stats, 2)]
    valid = [t["tau"] for t in taus if t["tau"] is not None]
    return {
        "optimizers": optimizers, "variants": list(stats), "stats": stats,
        "rankings": {v: ranking(s) for v, s in stats.items()},
        "kendall_tau": taus,
        "min_tau": min(valid) if valid else None, "mean_tau": float(np.mean(valid)) if valid else None,
        "flips": order_flips(stats, z), "z": z,
    }


def format_report(report: Mapping[str, Any], metric: str = "best_accuracy", digits: int = 3) -> str:
    """A plain-text table: optimizers x variants (mean +- se, rank), then tau and flips."""
    variants, optimizers, stats = report["variants"], report["optimizers"], report["stats"]
    width = max(16, 7 + 2 * (digits + 4))
    lines = [f"{metric}: mean ± s.e. over seeds (rank)",
             f"{'optimizer':<12}" + "".join(f"{v:>{width}}" for v in variants)]
    for o in optimizers:
        cells = []
        for v in variants:
            s = stats[v][o]
            rank = report["rankings"][v].index(o) + 1
            cells.append(f"{'-':>{width}}" if s["mean"] is None else
                         f"{s['mean']:.{digits}f} ± {s['se']:.{digits}f} ({rank})".rjust(width))
        lines.append(f"{o:<12}" + "".join(cells))
    taus = [t["tau"] for t in report["kendall_tau"]]
    if taus:
        shown = [f"{t:+.2f}" if t is not None else "n/a" for t in taus]
        lines.append(f"Kendall tau between variant rankings: min {_fmt(report['min_tau'])}, "
                     f"mean {_fmt(report['mean_tau'])} over {len(taus)} pairs "
                     f"({sum(1 for t in taus if t == 1.0)} identical)")
        if len(taus) <= 6:
            lines.extend(f"  {a} vs {b}: {s}" for (a, b), s in zip((t["variants"] for t in report["kendall_tau"]), shown))
    if not report["flips"]:
        lines.append("order flips: none (every variant ranks the optimizers the same)")
    for f in report["flips"]:
        a, b = f["optimizers"]
        lines.append(f"flip {a} vs {b}: {a} ahead on {', '.join(f['ahead'][a])}; {b} ahead on "
                     f"{', '.join(f['ahead'][b])}" + (f" (beyond {report['z']:g} s.e. both ways)" if f["clear"]
                                                      else " (within the noise on at least one side)"))
    return "\n".join(lines)


def _fmt(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{x:+.2f}"


__all__ = ["mean_se", "ranking", "kendall_tau", "order_flips", "robustness", "format_report"]
