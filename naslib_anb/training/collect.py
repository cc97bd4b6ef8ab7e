"""Collect new benchmark data at scale: sample architectures, train each with p*, write ANB JSONs.

Layout of ``out_dir`` (every file written atomically):

- ``plan.json``           the sampled architectures and the spec that produced them (fixed once written)
- ``config.yaml``         the training recipe
- ``results/result_<arch>.json``  one ANB-schema record per finished architecture (``naslib-anb fit out/results``)
- ``curves/<arch>.json``  its learning curve
- ``runs/<arch>/``        checkpoints of the architecture in progress (resume after a kill)
- ``state/<arch>.json``   attempts and the last error of a failing architecture, or the memory
  filter's verdict (``{"skipped": "skipped_memory", ...}``) of a skipped one
- ``locks/<arch>.lock``   held while one worker trains an architecture; its holder touches it
  (heartbeat) every ``lock_ttl_s / 10`` s, and a lock untouched for ``lock_ttl_s`` is stale

Idempotent and resumable: a rerun skips finished architectures, resumes interrupted ones from
their last epoch, retries failed ones up to ``max_retries`` and never trains one twice at once.
Architectures skipped by the memory filter, or given up after ``max_retries``, are final and
reported separately (:func:`status`), not as pending.
"""
from __future__ import annotations

import json
import logging
import math
import os
import shutil
import socket
import threading
import time
import traceback
import uuid
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
    lock_ttl_s: float = 600.0  # a lock whose heartbeat (mtime) is older than this is stale

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


def _lock_owner() -> dict[str, Any]:
    st = _proc_stat(os.getpid())
    return {"host": socket.gethostname(), "pid": os.getpid(), "start": st[1] if st else None, "time": time.time()}


def _try_lock(path: Path, ttl: float) -> Optional[int]:
    """Take the per-architecture lock; return its inode (our identity), or None if another holds it.

    The lock file is written complete under a temporary name and hard-linked into place, so it is
    created atomically with its content and a kill can never leave an empty lock behind. A lock is
    stale when its holder is dead (same host) or its mtime (the holder's heartbeat) is older than
    ``ttl``. A stale lock is broken by renaming it to a unique name: of several workers that judged
    it stale only one rename succeeds; the others find it gone and race on ``link``, which only one
    wins. A worker whose rename caught a *fresh* lock (re-taken between its check and its rename)
    puts it back and gives up.
    """
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    me = _lock_owner()
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        json.dump(me, f)
    try:
        for _ in range(3):
            try:
                os.link(tmp, path)
                return os.stat(tmp).st_ino
            except FileExistsError:
                pass
            try:
                st = path.stat()
                held = json.loads(path.read_text() or "{}")
            except FileNotFoundError:
                continue  # released meanwhile: try to take it
            except (OSError, ValueError):
                held, st = {}, None
            age = math.inf if st is None else time.time() - st.st_mtime
            dead = held.get("host") == me["host"] and not _pid_alive(int(held.get("pid", -1)), held.get("start"))
            if not (dead or age > ttl):
                return None
            stale = path.with_name(f"{path.name}.stale.{uuid.uuid4().hex}")
            try:
                os.rename(path, stale)
            except FileNotFoundError:
                continue  # another worker broke it first
            if st is not None and os.stat(stale).st_ino != st.st_ino:
                # we moved a lock taken after our check: restore it unless yet another worker holds one now
                try:
                    os.link(stale, path)
                except FileExistsError:
                    pass
                os.unlink(stale)
                return None
            log.warning("broke stale lock %s (holder %s, heartbeat %.0f s old)", path, held, age)
            os.unlink(stale)
        return None
    finally:
        os.unlink(tmp)


def _owns(path: Path, ino: int) -> bool:
    try:
        return os.stat(path).st_ino == ino
    except OSError:
        return False


class _Heartbeat:
    """Touch our lock every ``interval`` s while an architecture trains, so others see it is alive."""

    def __init__(self, path: Path, ino: int, interval: float):
        self.path, self.ino, self.interval = path, ino, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lock-heartbeat-{path.name}", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if _owns(self.path, self.ino):
                try:
                    os.utime(self.path)
                except OSError as exc:  # noqa: PERF203 - a failed touch only risks a later break
                    log.warning("heartbeat on %s failed: %r", self.path, exc)

    def __enter__(self) -> "_Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        if _owns(self.path, self.ino):  # never delete a lock another worker took over
            self.path.unlink(missing_ok=True)


def _state(lay: Layout, a: str) -> dict[str, Any]:
    p = lay.state(a)
    return json.loads(p.read_text()) if p.is_file() else {}


def _attempts(lay: Layout, a: str) -> int:
    return int(_state(lay, a).get("attempts", 0))


def _final(lay: Layout, a: str, max_retries: Optional[int]) -> Optional[str]:
    """"skipped_memory" / "gave_up" for an architecture that will not be tried again, else None.

    ``max_retries`` None: the limit recorded with the last failure (a rerun with a larger
    ``max_retries`` tries given-up architectures again)."""
    st = _state(lay, a)
    if st.get("skipped"):
        return str(st["skipped"])
    limit = max_retries if max_retries is not None else st.get("max_retries", CollectSpec.max_retries)
    if int(st.get("attempts", 0)) > int(limit):
        return "gave_up"
    return None


def status(spec_or_dir: Any) -> dict[str, Any]:
    """Progress: ``pending`` counts only architectures still to be trained (or retried); those
    skipped by the memory filter and those given up after ``max_retries`` are listed apart."""
    if isinstance(spec_or_dir, CollectSpec):
        root, max_retries = Path(spec_or_dir.out_dir), spec_or_dir.max_retries
    else:
        root, max_retries = Path(spec_or_dir), None
    plan = json.loads((root / "plan.json").read_text())
    lay = Layout(root)
    done, skipped, gave_up, failed = [], {}, {}, {}
    for a in plan["archs"]:
        if lay.result(a).is_file():
            done.append(a)
            continue
        fin = _final(lay, a, max_retries)
        if fin == "gave_up":
            gave_up[a] = _attempts(lay, a)
        elif fin is not None:
            skipped[a] = fin
        elif lay.state(a).is_file():
            failed[a] = _attempts(lay, a)
    return {"planned": len(plan["archs"]), "done": len(done), "failed": failed, "skipped": skipped,
            "gave_up": gave_up, "pending": len(plan["archs"]) - len(done) - len(skipped) - len(gave_up)}


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
        fin = _final(lay, a, spec.max_retries)
        if fin is not None:
            outcome[a] = fin
            continue
        ino = _try_lock(lay.lock(a), spec.lock_ttl_s)
        if ino is None:
            outcome[a] = "locked"
            continue
        with _Heartbeat(lay.lock(a), ino, min(60.0, spec.lock_ttl_s / 10)):
            outcome[a] = _train_locked(spec, cfg, lay, a)
    return outcome


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _train_locked(spec: CollectSpec, cfg: Any, lay: Layout, a: str) -> str:
    """Train ``a`` (its lock held) and file the outcome: trained, skipped_memory, failed or done."""
    try:
        if lay.result(a).is_file():  # finished by another worker between the check and the lock
            return "done"
        run = lay.run(a)
        if spec.nproc > 1 or _cuda_available():
            # a subprocess per architecture: a CUDA fault or fragmented memory after an OOM cannot
            # poison the architectures after it in this chunk (CPU runs stay in-process: cheaper)
            from naslib_anb.training.launch import run_torchrun

            rec = run_torchrun(cfg, a, run, spec.nproc)
            skipped = rec is None
        else:
            from naslib_anb.training.engine import train_arch

            res = train_arch(cfg, a, run)
            skipped = res.status == "skipped_memory"
            rec = None if skipped else json.loads((run / "result.json").read_text())
        if skipped:  # final, not a failure: the memory filter gives the same verdict every time
            detail = json.loads((run / "skipped.json").read_text()) if (run / "skipped.json").is_file() else {}
            atomic_write_json(lay.state(a), {"skipped": "skipped_memory", "detail": detail})
            return "skipped_memory"
        atomic_write_json(lay.curve(a), json.loads((run / "curve.json").read_text()))
        atomic_write_json(lay.result(a), rec)  # the result goes last: its presence means done
        (run / "checkpoint.pt").unlink(missing_ok=True)
        lay.state(a).unlink(missing_ok=True)
        return "trained"
    except Exception as exc:  # noqa: BLE001 - recorded as data, retried on the next run
        n = _attempts(lay, a) + 1
        atomic_write_json(lay.state(a), {"attempts": n, "max_retries": spec.max_retries,
                                         "error": repr(exc)[:2000], "traceback": traceback.format_exc()[-4000:]})
        log.warning("%s failed (attempt %d): %r", a, n, exc)
        return "failed"


TMP_MAX_AGE_S = 3600.0


def _cleanup_tmp(root: Path, max_age_s: float = TMP_MAX_AGE_S) -> None:
    """Remove temp files (of killed writers) older than ``max_age_s``; younger ones may belong to a
    worker that is still running, and an orphan is harmless until then."""
    now = time.time()
    for sub in ("results", "curves", "state", "locks"):
        for p in (root / sub).glob("*.tmp"):
            try:
                if now - p.stat().st_mtime > max_age_s:
                    p.unlink(missing_ok=True)
            except FileNotFoundError:
                pass


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
    pending = [a for a in archs if not lay.result(a).is_file() and _final(lay, a, spec.max_retries) is None]
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
            return {"submitted": [j.job_id for j in jobs], **status(spec)}
    st = status(spec)
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
