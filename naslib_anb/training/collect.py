"""Collect new benchmark data at scale: sample architectures, then train each with p* through
:func:`naslib_anb.training.evaluate.evaluate_archs` (one submitit task per architecture or chunk,
requeued on preemption/timeout, resumed from the last epoch).

``out_dir`` is an :mod:`~naslib_anb.training.evaluate` results directory plus ``plan.json`` (the
sampled architectures and the spec that produced them, fixed once written). Rerunning with the
same spec resubmits only what is missing: finished, final and still-running architectures are
left alone, failed ones are retried up to ``max_retries``.
"""
from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from naslib_anb.errors import ConfigError, UnknownChoiceError
from naslib_anb.io import atomic_write_json
from naslib_anb.space.arch import FIELDS, NUM_STAGES, Arch, Stage, field_choices

log = logging.getLogger(__name__)

#: Samplers. ``uniform`` is product-uniform over the whole space. The ``regime*`` samplers
#: reproduce the three upstream campaigns (no SE and block5_l <= 3; SE free and block5_l <= 3;
#: block5_l = 4), and ``anb_mix`` mixes them in the upstream proportions 1795 : 2284 : 1059.
SAMPLERS = ("uniform", "regime1", "regime2", "regime3", "anb_mix")
_MIX = np.array([1795, 2284, 1059], float) / 5138


def _restricted(stage: int, fld: str, regime: Optional[int]) -> tuple:
    ch = field_choices(stage, fld)
    if regime == 1 and fld == "se":
        return (False,)
    if regime in (1, 2) and fld == "l" and stage == 5:
        return (1, 2, 3)
    if regime == 3 and fld == "l" and stage == 5:
        return (4,)
    return ch


def sample_archs(n: int, seed: int, sampler: str = "uniform", exclude: Sequence[str] = ()) -> list[Arch]:
    """``n`` distinct architectures, none in ``exclude``, deterministic from ``seed``."""
    if sampler not in SAMPLERS:
        raise UnknownChoiceError(sampler, SAMPLERS, "the architecture sampler")
    rng = np.random.default_rng(seed)
    seen = {str(Arch.parse(a)) for a in exclude}
    out: list[Arch] = []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 100 * n + 1000:
            raise ConfigError(f"could not draw {n} distinct new architectures with sampler {sampler!r}")
        regime = {"regime1": 1, "regime2": 2, "regime3": 3}.get(sampler)
        if sampler == "anb_mix":
            regime = int(rng.choice(3, p=_MIX)) + 1
        vals = {}
        stages = []
        for i in range(NUM_STAGES):
            for f in FIELDS:
                ch = _restricted(i, f, regime)
                vals[f] = ch[int(rng.integers(len(ch)))]
            stages.append(Stage(**vals))
        a = Arch(tuple(stages))
        if str(a) not in seen:
            seen.add(str(a))
            out.append(a)
    return out


@dataclass
class CollectSpec:
    out_dir: str
    n: int
    seed: int = 0
    sampler: str = "uniform"
    config: dict[str, Any] = field(default_factory=dict)  # TrainConfig.to_dict()
    nproc: int = 1  # torchrun processes per architecture (GPUs per job)
    max_retries: int = 2
    exclude: list[str] = field(default_factory=list)
    #: a plan file (``naslib-anb propose``): train exactly its architectures instead of sampling
    #: (``n`` becomes its length, ``sampler`` "plan"; see :func:`naslib_anb.plan.read_plan`)
    plan_file: Optional[str] = None

    def __post_init__(self) -> None:
        if self.plan_file is not None:
            self.n, self.sampler = len(self.read_plan().archs), "plan"
        elif self.sampler == "plan":
            raise ConfigError("sampler 'plan' needs a plan file (--plan PLAN)")
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 1:
            raise ConfigError(f"n is {self.n!r}; valid: an int >= 1 (architectures to sample)")
        if self.sampler not in SAMPLERS + ("plan",):
            raise UnknownChoiceError(self.sampler, SAMPLERS, "the architecture sampler")
        if self.plan_file is not None and self.exclude:
            raise ConfigError("a plan lists exactly the architectures to train; valid: --plan or --exclude-dataset, "
                              "not both")
        from naslib_anb.training.evaluate import EvalOptions

        EvalOptions(nproc=self.nproc, max_retries=self.max_retries)  # same checks, same messages

    def read_plan(self):
        from naslib_anb.plan import read_plan

        return read_plan(self.plan_file)

    def plan_key(self) -> dict[str, Any]:
        """What fixes the architecture list: the sampler's arguments, or the plan file's path,
        checksum and meta (so a changed plan file is refused on resume)."""
        if self.plan_file is None:
            return {"n": self.n, "seed": self.seed, "sampler": self.sampler, "exclude": sorted(self.exclude)}
        import hashlib

        path = Path(self.plan_file).resolve()
        return {"n": self.n, "sampler": "plan", "plan_file": str(path),
                "plan_sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "plan_meta": self.read_plan().meta}


def make_plan(spec: CollectSpec) -> list[str]:
    """Write ``plan.json`` once; a later call with a different spec is an error (resume with the same args)."""
    from naslib_anb.training.config import TrainConfig

    root = Path(spec.out_dir)
    plan_path = root / "plan.json"
    cfg = TrainConfig.from_dict(spec.config)
    if plan_path.is_file():
        plan = json.loads(plan_path.read_text())
        key = spec.plan_key()
        if plan["key"] != key:
            diff = sorted(k for k in set(key) | set(plan["key"]) if key.get(k) != plan["key"].get(k))
            detail = ", ".join(f"{k}: {plan['key'].get(k)!r} there, {key.get(k)!r} now" for k in diff if k != "plan_meta")
            raise ConfigError(f"{plan_path} was made with other architecture choices ({detail or 'plan meta differs'}); "
                              "resume with the same arguments and plan file, or use a new out_dir")
        if plan["config"] != cfg.to_dict():
            raise ConfigError(f"{plan_path}: the training config differs from the one this collection started with")
        return plan["archs"]
    if spec.plan_file is not None:
        archs = [str(a) for a in spec.read_plan().archs]
    else:
        archs = [str(a) for a in sample_archs(spec.n, spec.seed, spec.sampler, spec.exclude)]
    root.mkdir(parents=True, exist_ok=True)
    cfg.save(root / "config.yaml")
    atomic_write_json(plan_path, {"key": spec.plan_key(), "config": cfg.to_dict(), "archs": archs})
    return archs


def status(spec_or_dir: Any) -> dict[str, Any]:
    """Progress from the results directory and the scheduler (see :func:`evaluate.campaign_status`)."""
    from naslib_anb.training.evaluate import campaign_status

    if isinstance(spec_or_dir, CollectSpec):
        return campaign_status(spec_or_dir.out_dir, spec_or_dir.max_retries)
    return campaign_status(spec_or_dir)


def run_collection(spec: CollectSpec, executor: str = "local", chunk_size: int = 1, wait: Optional[bool] = None,
                   slurm: Optional[dict[str, Any]] = None, keep_checkpoints: bool = False,
                   save_weights: bool = False) -> dict[str, Any]:
    """Plan (once), then :func:`evaluate_archs` the planned architectures into ``spec.out_dir``.

    ``executor``: "slurm" (job array; returns after submitting unless ``wait``), "local"
    (submitit's local executor, waits), "debug" (submitit in-process) or "inline" (no submitit).
    """
    from naslib_anb.training.config import TrainConfig
    from naslib_anb.training.evaluate import EvalOptions, check_submission, evaluate_archs

    wait = check_submission(executor, chunk_size, wait)
    opts = EvalOptions(nproc=spec.nproc, max_retries=spec.max_retries, keep_checkpoints=keep_checkpoints,
                       save_weights=save_weights)
    spec.out_dir = str(Path(spec.out_dir).resolve())
    archs = make_plan(spec)
    return evaluate_archs(archs, TrainConfig.from_dict(spec.config), spec.out_dir, executor=executor,
                          chunk_size=chunk_size, options=opts, wait=wait, slurm=slurm)


def export_results(out_dir: Any, dest: Any) -> int:
    """Copy finished records to ``dest`` (a directory ``load_dataset``/``naslib-anb fit`` can read)."""
    from naslib_anb.training.evaluate import Layout

    lay = Layout(out_dir)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    n = 0
    for p in sorted((lay.root / "results").glob("result_*.json")):
        shutil.copyfile(p, dest / p.name)
        n += 1
    return n
