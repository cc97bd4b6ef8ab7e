"""Collect new benchmark data at scale: sample architectures, train each with p*, write ANB JSONs.

Layout of ``out_dir`` (every file written atomically):

- ``plan.json``           the sampled architectures and the spec that produced them (fixed once written)
- ``config.yaml``         the training recipe
- ``results/result_<arch>.json``  one ANB-schema record per finished architecture (``naslib-anb fit out/results``)
- ``curves/<arch>.json``  its learning curve
- ``runs/<arch>/``        checkpoints of the architecture in progress (resume after a kill)
- ``state/<arch>.json``   attempts and the last error of a failing architecture
- ``locks/<arch>.lock``   held while one worker trains an architecture

Idempotent and resumable: a rerun skips finished architectures, resumes interrupted ones from
their last epoch, retries failed ones up to ``max_retries`` and never trains one twice at once.
"""
from __future__ import annotations

import json
import logging
import math
import os
import shutil
import socket
import time
import traceback
from dataclasses import asdict, dataclass, field
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
    lock_ttl_s: float = 48 * 3600.0  # a lock from another host older than this is stale

    def plan_key(self) -> dict[str, Any]:
        return {"n": self.n, "seed": self.seed, "sampler": self.sampler, "exclude": sorted(self.exclude)}


class Layout:
    def __init__(self, out_dir: Any):
        self.root = Path(out_dir)

    def result(self, a: str) -> Path:
        return self.root / "results" / f"result_{a}.json"

    def curve(self, a: str) -> Path:
        return self.root / "curves" / f"{a}.json"

    def run(self, a: str) -> Path:
        return self.root / "runs" / a

    def state(self, a: str) -> Path:
        return self.root / "state" / f"{a}.json"

    def lock(self, a: str) -> Path:
        return self.root / "locks" / f"{a}.lock"


def make_plan(spec: CollectSpec) -> list[str]:
    """Write ``plan.json`` once; a later call with a different spec is an error (resume with the same args)."""
    from naslib_anb.training.config import TrainConfig

    root = Path(spec.out_dir)
    plan_path = root / "plan.json"
    cfg = TrainConfig.from_dict(spec.config)
    if plan_path.is_file():
        plan = json.loads(plan_path.read_text())
        if plan["key"] != spec.plan_key():
            raise ConfigError(f"{plan_path} was made with {plan['key']}, not {spec.plan_key()}; use a new out_dir")
        if plan["config"] != cfg.to_dict():
            raise ConfigError(f"{plan_path}: the training config differs from the one this collection started with")
        return plan["archs"]
    archs = [str(a) for a in sample_archs(spec.n, spec.seed, spec.sampler, spec.exclude)]
    root.mkdir(parents=True, exist_ok=True)
    cfg.save(root / "config.yaml")
    atomic_write_json(plan_path, {"key": spec.plan_key(), "config": cfg.to_dict(), "archs": archs})
    return archs


def _proc_stat(pid: int) -> Optional[tuple[str, str]]:
    """(state, start time) of a process from /proc, None where /proc does not have it."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = raw[raw.rindex(")") + 2:].split()
    return rest[0], rest[19]


def _pid_alive(pid: int, start: Optional[str] = None) -> bool:
    """Alive and the same process: zombies (killed, not yet reaped) and reused pids count as dead."""
    if pid <= 0:
        return False
    st = _proc_stat(pid)
    if st is not None:
        return st[0] != "Z" and (start is None or st[1] == start)
    if Path("/proc/self/stat").exists():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _try_lock(path: Path, ttl: float) -> bool:
    """Take the per-architecture lock, or break it if its holder is dead (same host) or it is older than ttl.

    The lock file is written complete under a temporary name and hard-linked into place, so it is
    created atomically with its content and a kill can never leave an empty lock behind.
    """
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    st = _proc_stat(os.getpid())
    me = {"host": socket.gethostname(), "pid": os.getpid(), "start": st[1] if st else None, "time": time.time()}
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        json.dump(me, f)
    try:
        for _ in range(2):
            try:
                os.link(tmp, path)
                return True
            except FileExistsError:
                try:
                    held = json.loads(path.read_text() or "{}")
                    age = time.time() - path.stat().st_mtime
                except (OSError, ValueError):
                    held, age = {}, math.inf
                dead = held.get("host") == me["host"] and not _pid_alive(int(held.get("pid", -1)), held.get("start"))
                if not (dead or age > ttl):
                    return False
                path.unlink(missing_ok=True)
        return False
    finally:
        os.unlink(tmp)


def _attempts(lay: Layout, a: str) -> int:
    p = lay.state(a)
    return json.loads(p.read_text())["attempts"] if p.is_file() else 0


def status(spec_or_dir: Any) -> dict[str, Any]:
    root = Path(spec_or_dir.out_dir if isinstance(spec_or_dir, CollectSpec) else spec_or_dir)
    plan = json.loads((root / "plan.json").read_text())
    lay = Layout(root)
    done = [a for a in plan["archs"] if lay.result(a).is_file()]
    failed = {a: _attempts(lay, a) for a in plan["archs"] if not lay.result(a).is_file() and lay.state(a).is_file()}
    return {"planned": len(plan["archs"]), "done": len(done), "failed": failed,
            "pending": len(plan["archs"]) - len(done)}


def collect_chunk(spec_dict: dict[str, Any], archs: Sequence[str]) -> dict[str, str]:
    """Worker body (one SLURM array task or local job): train each architecture not done yet."""
    from naslib_anb.training.config import TrainConfig

    spec = CollectSpec(**spec_dict)
    lay = Layout(spec.out_dir)
    cfg = TrainConfig.from_dict(spec.config)
    outcome: dict[str, str] = {}
    for a in archs:
        if lay.result(a).is_file():
            outcome[a] = "done"
            continue
        if _attempts(lay, a) > spec.max_retries:
            outcome[a] = "gave_up"
            continue
        if not _try_lock(lay.lock(a), spec.lock_ttl_s):
            outcome[a] = "locked"
            continue
        try:
            if lay.result(a).is_file():  # finished by another worker between the check and the lock
                outcome[a] = "done"
                continue
            run = lay.run(a)
            if spec.nproc > 1:
                from naslib_anb.training.launch import run_torchrun

                run_torchrun(cfg, a, run, spec.nproc)
            else:
                from naslib_anb.training.engine import train_arch

                train_arch(cfg, a, run)
            if (run / "skipped.json").is_file():
                atomic_write_json(lay.state(a), {"attempts": spec.max_retries + 1, "error": "skipped_memory",
                                                 "detail": json.loads((run / "skipped.json").read_text())})
                outcome[a] = "skipped_memory"
                continue
            rec = json.loads((run / "result.json").read_text())
            atomic_write_json(lay.curve(a), json.loads((run / "curve.json").read_text()))
            atomic_write_json(lay.result(a), rec)  # the result goes last: its presence means done
            (run / "checkpoint.pt").unlink(missing_ok=True)
            lay.state(a).unlink(missing_ok=True)
            outcome[a] = "trained"
        except Exception as exc:  # noqa: BLE001 - recorded as data, retried on the next run
            n = _attempts(lay, a) + 1
            atomic_write_json(lay.state(a), {"attempts": n, "error": repr(exc)[:2000],
                                             "traceback": traceback.format_exc()[-4000:]})
            log.warning("%s failed (attempt %d): %r", a, n, exc)
            outcome[a] = "failed"
        finally:
            lay.lock(a).unlink(missing_ok=True)
    return outcome


def _cleanup_tmp(root: Path) -> None:
    for sub in ("results", "curves", "state", "locks"):
        for p in (root / sub).glob("*.tmp"):
            p.unlink(missing_ok=True)


def run_collection(spec: CollectSpec, executor: str = "local", chunk_size: int = 1, wait: bool = True,
                   slurm: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """Plan, then submit the pending architectures as a job array (submitit) and wait for it.

    ``executor``: "slurm" (SLURM job array), "local" (submitit's local executor: one process per
    chunk on this machine), "debug" (submitit's in-process executor) or "inline" (no submitit).
    """
    execs = ("slurm", "local", "debug", "inline")
    if executor not in execs:
        raise UnknownChoiceError(executor, execs, "the job executor")
    spec.out_dir = str(Path(spec.out_dir).resolve())
    root = Path(spec.out_dir)
    archs = make_plan(spec)
    _cleanup_tmp(root)
    lay = Layout(root)
    pending = [a for a in archs if not lay.result(a).is_file() and _attempts(lay, a) <= spec.max_retries]
    chunks = [pending[i:i + chunk_size] for i in range(0, len(pending), chunk_size)]
    outcomes: dict[str, str] = {}
    if chunks and executor == "inline":
        for c in chunks:
            outcomes.update(collect_chunk(asdict(spec), c))
    elif chunks:
        import submitit

        folder = root / "submitit" / "%j"
        if executor == "slurm":
            ex = submitit.AutoExecutor(folder=folder, cluster="slurm")
        elif executor == "local":
            ex = submitit.LocalExecutor(folder=folder)
        else:
            ex = submitit.DebugExecutor(folder=folder)
        params = {"timeout_min": 60 * 24}
        params.update(slurm or {})
        if executor == "slurm":
            ex.update_parameters(**{k: v for k, v in params.items()})
        else:
            ex.update_parameters(timeout_min=params["timeout_min"])
        with ex.batch():
            jobs = [ex.submit(collect_chunk, asdict(spec), c) for c in chunks]
        log.info("submitted %d jobs (%d architectures)", len(jobs), len(pending))
        if wait:
            for j in jobs:
                try:
                    outcomes.update(j.result())
                except Exception as exc:  # noqa: BLE001 - a crashed job leaves its archs pending
                    log.warning("job %s failed: %r", j.job_id, exc)
        else:
            return {"submitted": [j.job_id for j in jobs], **status(root)}
    st = status(root)
    st["outcomes"] = outcomes
    return st


def export_results(out_dir: Any, dest: Any) -> int:
    """Copy finished records to ``dest`` (a directory ``load_dataset``/``naslib-anb fit`` can read)."""
    lay = Layout(out_dir)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    n = 0
    for p in sorted((lay.root / "results").glob("result_*.json")):
        shutil.copyfile(p, dest / p.name)
        n += 1
    return n
