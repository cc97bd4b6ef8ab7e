"""Search for a training proxy (paper section 3.2) with Ray Tune.

maximise tau(A_p, A_r)  subject to  mean train time t_p <= t_spec (GPU-hours per model)

over a grid of the six recipe knobs {batch_size, epochs, start_ramp, end_ramp, min_res, max_res}.
Each Ray Tune trial is one candidate recipe; it trains the reference set one model at a time and
reports tau so far, an upper bound on its final tau and a lower bound on its mean time. The
:class:`ProxyStopper` (a ``tune.Stopper``) ends a candidate once it can no longer win and ends the
whole search once a complete candidate meets both the tau and the time target.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from naslib_anb.errors import ConfigError
from naslib_anb.training.ranking import kendall_tau

KNOBS = ("batch_size", "epochs", "start_ramp", "end_ramp", "min_res", "max_res")


@dataclass(frozen=True)
class ProxyGrid:
    """Value sets of the six knobs; the candidates are their valid product (ramp inside the run, res_s <= res_f)."""

    batch_size: tuple[int, ...] = (256, 512)
    epochs: tuple[int, ...] = (8, 16, 24)
    start_ramp: tuple[int, ...] = (5, 11)
    end_ramp: tuple[int, ...] = (7, 13)
    min_res: tuple[int, ...] = (128, 160)
    max_res: tuple[int, ...] = (160, 192)

    def __post_init__(self) -> None:
        for k in KNOBS:
            v = getattr(self, k)
            if not isinstance(v, (tuple, list)) or not v or not all(isinstance(x, int) and x >= 0 for x in v):
                raise ConfigError(f"ProxyGrid.{k} is {v!r}; valid: a non-empty list of ints >= 0")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ProxyGrid":
        unknown = sorted(set(d) - set(KNOBS))
        if unknown:
            raise ConfigError(f"unknown grid keys {unknown}; valid: {list(KNOBS)}")
        return cls(**{k: tuple(v) for k, v in d.items()})

    def candidates(self) -> list[dict[str, int]]:
        out = []
        for vals in itertools.product(*(getattr(self, k) for k in KNOBS)):
            c = dict(zip(KNOBS, vals))
            if c["start_ramp"] <= c["end_ramp"] <= c["epochs"] and c["min_res"] <= c["max_res"] and c["epochs"] >= 1:
                out.append(c)
        if not out:
            raise ConfigError(f"the grid {asdict(self)} has no valid candidate (need start_ramp <= end_ramp <= "
                              "epochs and min_res <= max_res)")
        return out


def select_reference_set(macs: Sequence[float], params: Sequence[float], n: int, seed: int = 0) -> list[int]:
    """Indices of ``n`` models spread evenly over MACs and params (returned in MACs order).

    Farthest-point sampling on min-max-normalised (MACs, params): start at the model with the
    fewest MACs, then repeatedly add the model farthest from all chosen ones. This tiles the
    occupied part of the plane evenly whatever the density of the candidates (k-means or random
    picks would follow the density and miss the sparse extremes), and because MACs and params are
    correlated in this space a square grid would put many cells where no model exists. ``seed``
    breaks exact distance ties only.
    """
    X = np.column_stack([np.asarray(macs, float), np.asarray(params, float)])
    if len(X) < n or n < 2:
        raise ConfigError(f"need 2 <= n <= number of candidates ({len(X)}), got n={n}")
    span = X.max(0) - X.min(0)
    Z = (X - X.min(0)) / np.where(span > 0, span, 1.0)
    jitter = np.random.default_rng(seed).random(len(Z)) * 1e-12
    chosen = [int(np.argmin(Z[:, 0] + Z[:, 1] * 1e-9))]
    dist = np.linalg.norm(Z - Z[chosen[0]], axis=1)
    for _ in range(n - 1):
        i = int(np.argmax(dist + jitter))
        chosen.append(i)
        dist = np.minimum(dist, np.linalg.norm(Z - Z[i], axis=1))
    return sorted(chosen, key=lambda i: (X[i, 0], X[i, 1]))


def tau_upper_bound(acc_p_done: Sequence[float], acc_r: Sequence[float]) -> float:
    """Largest Kendall tau-b any completion of ``acc_p_done`` (first k of n models) can reach.

    Pairs among the k done models are fixed; every other pair is at best concordant (impossible
    where the reference ties) and, where the reference ties, may at worst tie in the proxy too,
    which shrinks the denominator. The bound is exact for a reference without ties.
    """
    k, n = len(acc_p_done), len(acc_r)
    p, r = np.asarray(acc_p_done, float), np.asarray(acc_r, float)
    P = n * (n - 1) // 2
    cd = tx_k = 0
    ty = ru = 0
    for i in range(n):
        for j in range(i + 1, n):
            dr = np.sign(r[i] - r[j])
            if dr == 0:
                ty += 1
            if j < k:
                dp = np.sign(p[i] - p[j])
                if dp == 0:
                    tx_k += 1
                cd += int(dp * dr)
            elif dr == 0:
                ru += 1
            else:
                cd += 1
    # A positive numerator is largest over the smallest denominator (all ref-tied pairs tie in the
    # proxy too), a negative one over the largest (no new proxy ties).
    lost = ru if cd >= 0 else 0
    denom = math.sqrt(max(P - tx_k - lost, 0) * max(P - ty, 0))
    return 1.0 if denom == 0 else min(1.0, cd / denom)


@dataclass
class ProxySearchSpec:
    """Everything a trial needs, passed to Ray as plain data."""

    base_config: dict[str, Any]  # TrainConfig.to_dict() of the recipe the knobs modify
    archs: list[str]
    ref_top1: list[float]
    out_dir: str
    t_spec_gpu_h: float = 3.0
    tau_target: float = 0.9
    nproc_per_trial: int = 1  # >1: each model is trained by torchrun with this many processes
    min_models_for_stop: int = 3  # no early stopping on a prefix shorter than this
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        t = self.t_spec_gpu_h
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t <= 0:
            raise ConfigError(f"t_spec (GPU-hours per model) is {t!r}; valid: a number > 0 (paper: 3)")
        tau = self.tau_target
        if isinstance(tau, bool) or not isinstance(tau, (int, float)) or math.isnan(tau) or tau < -1:
            raise ConfigError(f"tau_target is {tau!r}; valid: a number >= -1 (above 1: never stop early)")
        if isinstance(self.nproc_per_trial, bool) or not isinstance(self.nproc_per_trial, int) or self.nproc_per_trial < 1:
            raise ConfigError(f"nproc_per_trial is {self.nproc_per_trial!r}; valid: an int >= 1")


def candidate_id(c: Mapping[str, int]) -> str:
    return "b{batch_size}_e{epochs}_r{start_ramp}-{end_ramp}_res{min_res}-{max_res}".format(**c)


def train_one(cfg, arch: str, out_dir: Path, nproc: int) -> Optional[tuple[float, float]]:
    """(val_top1, train GPU-hours) of one model, or None when the memory filter skipped it;
    resumable (the run dir keeps checkpoints)."""
    if nproc <= 1:
        from naslib_anb.training.engine import train_arch

        res = train_arch(cfg, arch, out_dir, save_weights=False)
        if res.status == "skipped_memory":
            return None
        return float(res.val_top1), float(res.train_time) * res.world_size / 3600.0
    from naslib_anb.training.launch import run_torchrun

    rec = run_torchrun(cfg, arch, out_dir, nproc)
    if rec is None:
        return None
    return float(rec["metrics"]["val_top1"]), float(rec["training"]["train_time_gpu_hours"])


def proxy_trial(config: dict[str, Any]) -> None:
    """Ray Tune function trainable: one candidate recipe over the reference set.

    A reference model the memory filter skips is dropped from this candidate's tau (its reference
    accuracy too) and listed under ``skipped``. The probe's batch and resolution are not proxy
    knobs, so every candidate drops the same models and the taus stay comparable.
    """
    from ray import tune

    from naslib_anb.training.config import TrainConfig

    spec = ProxySearchSpec(**config["spec"])
    cand = config["candidate"]
    cfg = TrainConfig.from_dict({**spec.base_config, **cand, "name": f"proxy_{candidate_id(cand)}"})
    n = len(spec.archs)
    accs: list[float] = []
    refs: list[float] = []  # reference accuracies of the trained (not skipped) models, aligned with accs
    hours: list[float] = []
    skipped: list[str] = []
    for i, arch in enumerate(spec.archs):
        got = train_one(cfg, arch, Path(spec.out_dir) / candidate_id(cand) / f"model_{i:03d}", spec.nproc_per_trial)
        if got is None:
            skipped.append(arch)
        else:
            accs.append(got[0])
            refs.append(spec.ref_top1[i])
            hours.append(got[1])
        n_left = n - len(skipped)  # models that can still count
        tune.report({
            "models_done": i + 1, "n_models": n, "models_trained": len(accs), "skipped": list(skipped),
            "tau": kendall_tau(accs, refs),
            "tau_upper": tau_upper_bound(accs, refs + list(spec.ref_top1[i + 1:])),
            "mean_gpu_h": float(np.mean(hours)) if hours else 0.0,
            "time_lower_gpu_h": float(np.sum(hours)) / max(n_left, 1),  # the mean can only grow from here
            "complete": i + 1 == n, "candidate": candidate_id(cand),
        })


def _tune_stopper_base():
    from ray import tune

    return tune.Stopper


class ProxyStopper:  # becomes a tune.Stopper subclass in make_stopper (ray is imported lazily)
    """Stop a candidate that cannot win; stop the search once tau >= tau_target at time <= t_spec."""

    def __init__(self, t_spec: float, tau_target: float, min_models: int = 3):
        self.t_spec, self.tau_target, self.min_models = t_spec, tau_target, min_models
        self.best = -math.inf
        self.met = False
        self.stopped_early: dict[str, str] = {}

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        if result.get("complete"):
            if result["mean_gpu_h"] <= self.t_spec:
                self.best = max(self.best, result["tau"])
                if result["tau"] >= self.tau_target:
                    self.met = True
            return True
        if result["time_lower_gpu_h"] > self.t_spec:
            self.stopped_early[trial_id] = "time"
            return True
        if result["models_done"] >= self.min_models and result["tau_upper"] < self.best:
            self.stopped_early[trial_id] = "tau"
            return True
        return False

    def stop_all(self) -> bool:
        return self.met


def make_stopper(t_spec: float, tau_target: float, min_models: int = 3):
    base = _tune_stopper_base()
    cls = type("ProxyTuneStopper", (ProxyStopper, base), {})
    return cls(t_spec, tau_target, min_models)


def check_trial_resources(cpus_per_trial: float, gpus_per_trial: float, available: Mapping[str, float]) -> None:
    """A trial that asks for more than the Ray cluster has would wait forever: refuse it."""
    for name, want in (("cpus_per_trial", cpus_per_trial), ("gpus_per_trial", gpus_per_trial)):
        if isinstance(want, bool) or not isinstance(want, (int, float)) or want < 0 or not math.isfinite(want):
            raise ConfigError(f"{name} is {want!r}; valid: a number >= 0")
    if cpus_per_trial <= 0:
        raise ConfigError(f"cpus_per_trial is {cpus_per_trial!r}; valid: a number > 0")
    for name, want, key in (("cpus_per_trial", cpus_per_trial, "CPU"), ("gpus_per_trial", gpus_per_trial, "GPU")):
        have = float(available.get(key, 0.0))
        if want > have:
            raise ConfigError(f"{name} is {want!r} but the Ray cluster has {have:g} {key}s, so no trial could "
                              f"ever start; valid: at most {have:g}")


def run_proxy_search(spec: ProxySearchSpec, grid: ProxyGrid, *, cpus_per_trial: float = 1, gpus_per_trial: float = 0,
                     max_concurrent: Optional[int] = None, ray_address: Optional[str] = None,
                     num_cpus: Optional[int] = None) -> dict[str, Any]:
    """Run the grid on Ray Tune and return (and write) the summary with the chosen recipe."""
    import ray
    from ray import tune

    from naslib_anb.io import atomic_write_json

    if len(spec.archs) != len(spec.ref_top1) or len(spec.archs) < 2:
        raise ConfigError(f"need >= 2 reference archs with one accuracy each, got {len(spec.archs)} archs "
                          f"and {len(spec.ref_top1)} accuracies")
    out = Path(spec.out_dir).resolve()
    spec.out_dir = str(out)
    cands = grid.candidates()
    started = False
    if not ray.is_initialized():
        ray.init(address=ray_address, num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
        started = True
    try:
        check_trial_resources(cpus_per_trial, gpus_per_trial, ray.cluster_resources())
    except ConfigError:
        if started:
            ray.shutdown()
        raise
    stopper = make_stopper(spec.t_spec_gpu_h, spec.tau_target, spec.min_models_for_stop)
    try:
        tuner = tune.Tuner(
            tune.with_resources(proxy_trial, {"cpu": cpus_per_trial, "gpu": gpus_per_trial}),
            param_space={"candidate": tune.grid_search(cands), "spec": asdict(spec)},
            tune_config=tune.TuneConfig(max_concurrent_trials=max_concurrent),
            run_config=tune.RunConfig(name="proxy_search", storage_path=str(out / "ray"), stop=stopper,
                                      verbose=0),
        )
        grid_res = tuner.fit()
    finally:
        if started:
            ray.shutdown()
    rows = []
    for r in grid_res:
        m = r.metrics or {}
        c = r.config["candidate"]
        rows.append({**c, "candidate": candidate_id(c), "models_done": m.get("models_done", 0),
                     "complete": bool(m.get("complete")), "tau": m.get("tau"), "mean_gpu_h": m.get("mean_gpu_h"),
                     "skipped": list(m.get("skipped") or []),
                     "error": None if r.error is None else str(r.error)[:500]})
    feasible = [r for r in rows if r["complete"] and r["mean_gpu_h"] <= spec.t_spec_gpu_h
                and r["tau"] is not None and not math.isnan(r["tau"])]
    best = max(feasible, key=lambda r: (r["tau"], -r["mean_gpu_h"])) if feasible else None
    summary = {"objective": "max Kendall tau-b(proxy top-1, reference top-1) s.t. mean GPU-h <= t_spec",
               "t_spec_gpu_h": spec.t_spec_gpu_h, "tau_target": spec.tau_target,
               "target_met": bool(best and best["tau"] >= spec.tau_target), "best": best,
               "reference": [{"arch": a, "ref_top1": t} for a, t in zip(spec.archs, spec.ref_top1)],
               "grid": asdict(grid), "trials": sorted(rows, key=lambda r: r["candidate"])}
    atomic_write_json(out / "proxy_search.json", summary)
    return summary
