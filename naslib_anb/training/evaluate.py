"""Evaluate architectures under one recipe into a results directory, one submitit task per chunk.

:func:`evaluate_archs` is the public entry point: "train these architectures with this recipe and
file their records in this directory". The scheduler does the scheduling: every chunk of
architectures (one by default) is one task of a submitit job array; the task is
:class:`ArchTask`, a ``submitit.helpers.Checkpointable``, so a task that SLURM preempts or times
out is requeued and resumes each architecture from its last finished epoch. A task is the only
runner of its architectures (SLURM runs each array task once at a time, and a resubmission skips
architectures whose recorded job is still queued or running), so no locks are kept: every file
is written atomically and a task removes the temporaries a killed predecessor left for its own
architectures.

Layout of ``results_dir``:

- ``campaign.json``   the recipe (fixed once written) and every architecture asked for so far
- ``config.yaml``     the recipe, readable
- ``results/result_<arch>.json``  one ANB-schema record per finished architecture
- ``curves/<arch>.json``          its learning curve
- ``runs/<arch>/``    checkpoint of an architecture in progress (removed when it finishes,
  unless ``keep_checkpoints``; ``model.pt`` only with ``save_weights``)
- ``state/<arch>.json``  attempts and last error of a failing architecture, or the memory
  filter's verdict (``{"skipped": "skipped_memory"}``)
- ``jobs.json``       architecture -> the submitit job that owns it (read by :func:`campaign_status`)
- ``submitit/``       submitit's own folder (pickles and logs)
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence

from naslib_anb.errors import ConfigError, UnknownChoiceError
from naslib_anb.io import atomic_write_json

log = logging.getLogger(__name__)

EXECUTORS = ("slurm", "local", "debug", "inline")
#: SLURM job states in which a job still owns its architectures (it runs or will run).
ACTIVE_SLURM_STATES = ("PENDING", "RUNNING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "CONFIGURING",
                       "COMPLETING", "RESIZING", "SUSPENDED", "SIGNALING", "STAGE_OUT", "PREEMPTED")
STATE_VERDICTS = ("skipped_memory",)


@dataclass(frozen=True)
class EvalOptions:
    """How each architecture is trained (the recipe itself is a ``TrainConfig``)."""

    nproc: int = 1  #: torchrun processes (GPUs) per architecture
    max_retries: int = 2  #: a failing architecture is tried at most 1 + max_retries times
    keep_checkpoints: bool = False  #: keep runs/<arch>/checkpoint.pt after the architecture finishes
    save_weights: bool = False  #: write runs/<arch>/model.pt (final weights)

    def __post_init__(self) -> None:
        for name, lo in (("nproc", 1), ("max_retries", 0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ConfigError(f"{name} is {v!r}; valid: an int >= {lo}")


class Layout:
    """Paths inside a results directory."""

    def __init__(self, root: Any):
        self.root = Path(root)

    def result(self, a: str) -> Path:
        return self.root / "results" / f"result_{a}.json"

    def curve(self, a: str) -> Path:
        return self.root / "curves" / f"{a}.json"

    def run(self, a: str) -> Path:
        return self.root / "runs" / a

    def state(self, a: str) -> Path:
        return self.root / "state" / f"{a}.json"

    @property
    def campaign(self) -> Path:
        return self.root / "campaign.json"

    @property
    def jobs(self) -> Path:
        return self.root / "jobs.json"

    def temporaries(self, a: str) -> list[Path]:
        """Temporaries of killed writers of ``a`` (atomic writes name them ``<file>.<random>.tmp``)."""
        out = [p for d, stem in ((self.root / "results", f"result_{a}.json"), (self.root / "curves", f"{a}.json"),
                                 (self.root / "state", f"{a}.json")) for p in d.glob(f"{stem}.*.tmp")]
        run = self.run(a)
        return out + (sorted(run.glob("*.tmp")) if run.is_dir() else [])


def _read_json(p: Path, default: Any) -> Any:
    return json.loads(p.read_text()) if p.is_file() else default


def _state(lay: Layout, a: str) -> dict[str, Any]:
    return _read_json(lay.state(a), {})


def final_verdict(lay: Layout, a: str, max_retries: Optional[int]) -> Optional[str]:
    """"skipped_memory" or "gave_up" for an architecture that will not be tried again, else None.

    ``max_retries`` None: the limit recorded with the last failure (a later call with a larger
    ``max_retries`` tries given-up architectures again)."""
    st = _state(lay, a)
    if st.get("skipped"):
        return str(st["skipped"])
    limit = max_retries if max_retries is not None else st.get("max_retries", EvalOptions.max_retries)
    if int(st.get("attempts", 0)) > int(limit):
        return "gave_up"
    return None


# -- the task ------------------------------------------------------------------------------------

def _pid_start(pid: int) -> Optional[str]:
    """Start time of ``pid`` from /proc (tells a live process from a reused pid), None if gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = raw[raw.rindex(")") + 2:].split()
    return None if rest[0] == "Z" else rest[19]


def _watch_owner(owner: tuple[int, str], interval: float = 1.0) -> None:
    """End this task when the process that submitted it (and waits for it) is gone, so that killing
    only the submitter does not leave its local workers training."""
    def watch() -> None:
        while True:
            if _pid_start(owner[0]) != owner[1]:
                log.warning("the submitting process %d is gone: stopping this task", owner[0])
                from naslib_anb.training.launch import kill_children

                kill_children()  # torchrun groups this task started
                os._exit(143)
            threading.Event().wait(interval)

    threading.Thread(target=watch, name="owner-watch", daemon=True).start()


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


class ArchTask:
    """Train a chunk of architectures (one submitit task). Checkpointable: on preemption or timeout
    submitit requeues the same call, which skips finished architectures and resumes the one in
    progress from its last epoch checkpoint."""

    def __init__(self, root: str, options: EvalOptions, owner: Optional[tuple[int, str]] = None):
        self.root, self.options, self.owner = str(root), options, owner

    def __call__(self, archs: Sequence[str]) -> dict[str, str]:
        if self.owner is not None:
            _watch_owner(self.owner)
        from naslib_anb.training.config import TrainConfig

        lay = Layout(self.root)
        cfg = TrainConfig.from_dict(_read_json(lay.campaign, {})["config"])
        outcome: dict[str, str] = {}
        for a in archs:
            for tmp in lay.temporaries(a):  # this task is a's only runner: its leftovers are orphans
                tmp.unlink(missing_ok=True)
            if lay.result(a).is_file():
                outcome[a] = "done"
                continue
            verdict = final_verdict(lay, a, self.options.max_retries)
            if verdict is not None:
                outcome[a] = verdict
                continue
            outcome[a] = self._train(cfg, lay, a)
        return outcome

    def checkpoint(self, *args: Any, **kwargs: Any):
        """Requeue the same call (submitit's Checkpointable protocol); progress lives in the results dir."""
        import submitit

        return submitit.helpers.DelayedSubmission(self, *args, **kwargs)

    def on_epoch_end(self, arch: str, epoch: int) -> None:
        """Called after each epoch's checkpoint (in-process training only); a hook for subclasses."""

    def _train(self, cfg: Any, lay: Layout, a: str) -> str:
        opts = self.options
        run = lay.run(a)
        try:
            if opts.nproc > 1 or _cuda_available():
                # a subprocess per architecture: a CUDA fault or fragmented memory after an OOM
                # cannot poison the architectures after it (CPU runs stay in-process: cheaper)
                from naslib_anb.training.launch import run_torchrun

                rec = run_torchrun(cfg, a, run, opts.nproc, save_weights=opts.save_weights,
                                   keep_checkpoint=opts.keep_checkpoints)
                skipped = rec is None
            else:
                from naslib_anb.training.engine import train_arch

                res = train_arch(cfg, a, run, save_weights=opts.save_weights, keep_checkpoint=opts.keep_checkpoints,
                                 on_epoch_end=lambda e: self.on_epoch_end(a, e))
                skipped = res.status == "skipped_memory"
                rec = None if skipped else json.loads((run / "result.json").read_text())
            if skipped:  # final, not a failure: the memory filter gives the same verdict every time
                detail = _read_json(run / "skipped.json", {})
                atomic_write_json(lay.state(a), {"skipped": "skipped_memory", "detail": detail})
                return "skipped_memory"
            atomic_write_json(lay.curve(a), json.loads((run / "curve.json").read_text()))
            atomic_write_json(lay.result(a), rec)  # the result goes last: its presence means done
            lay.state(a).unlink(missing_ok=True)
            if not opts.keep_checkpoints and not opts.save_weights:
                import shutil

                shutil.rmtree(run, ignore_errors=True)  # its record and curve are filed
            return "trained"
        except Exception as exc:  # noqa: BLE001 - recorded as data, retried on the next call
            n = int(_state(lay, a).get("attempts", 0)) + 1
            atomic_write_json(lay.state(a), {"attempts": n, "max_retries": opts.max_retries,
                                             "error": repr(exc)[:2000], "traceback": traceback.format_exc()[-4000:]})
            log.warning("%s failed (attempt %d): %r", a, n, exc)
            return "failed"


# -- submission and status -----------------------------------------------------------------------

def slurm_states(job_ids: Sequence[str]) -> dict[str, str]:
    """SLURM state of every job id with one ``sacct`` call for the whole set (submitit's batched
    watcher: one ``-j`` per job array, however many tasks), "UNKNOWN" where sacct does not answer."""
    from submitit.slurm.slurm import SlurmInfoWatcher

    watcher = SlurmInfoWatcher()  # a fresh one: no answer cached from an earlier check
    for j in job_ids:
        watcher.register_job(str(j))
    watcher.update()  # the one sacct call (its errors are logged by submitit and leave states UNKNOWN)
    return {str(j): watcher.get_info(str(j), mode="cache").get("State") or "UNKNOWN" for j in job_ids}


def _slurm_alive(state: str) -> bool:
    return state.upper().split()[0].rstrip("+") in ACTIVE_SLURM_STATES or state.upper() == "UNKNOWN"


def _local_alive(entry: dict[str, Any]) -> bool:
    pid, start = entry.get("pid"), entry.get("start")
    return isinstance(pid, int) and start is not None and _pid_start(pid) == start


def _alive_jobs(entries: Sequence[dict[str, Any]]) -> dict[str, bool]:
    """Job id -> whether the job recorded in jobs.json still owns its architectures (O(1) sacct calls)."""
    by_id = {str(e.get("job_id")): e for e in entries}
    slurm_ids = [k for k, e in by_id.items() if e.get("executor") == "slurm"]
    states = {}
    if slurm_ids:
        try:
            states = slurm_states(slurm_ids)
        except Exception as exc:  # noqa: BLE001 - no submitit/sacct: assume they may still run
            log.warning("cannot read the state of %d SLURM jobs (%r); treating them as active", len(slurm_ids), exc)
            states = {k: "UNKNOWN" for k in slurm_ids}
    return {k: _slurm_alive(states[k]) if k in states else e.get("executor") == "local" and _local_alive(e)
            for k, e in by_id.items()}


def _running(lay: Layout) -> dict[str, str]:
    """Architecture -> job id, for the architectures whose recorded job is still queued or running."""
    jobs = _read_json(lay.jobs, {})
    alive = _alive_jobs(list(jobs.values()))
    return {a: str(e.get("job_id")) for a, e in jobs.items()
            if alive[str(e.get("job_id"))] and not lay.result(a).is_file()}


def campaign_status(results_dir: Any, max_retries: Optional[int] = None) -> dict[str, Any]:
    """Progress read from the results directory and the scheduler: ``running`` architectures have a
    live job, ``pending`` ones still need one; skipped and given-up ones are final and listed apart."""
    lay = Layout(results_dir)
    if not lay.campaign.is_file():
        raise ConfigError(f"{str(lay.root)!r} is not a results directory (no campaign.json); "
                          "valid: the --out of an earlier collection")
    archs = _read_json(lay.campaign, {})["archs"]
    running = _running(lay)
    done, skipped, gave_up, failed = 0, {}, {}, {}
    for a in archs:
        if lay.result(a).is_file():
            done += 1
            continue
        verdict = final_verdict(lay, a, max_retries)
        if verdict == "gave_up":
            gave_up[a] = int(_state(lay, a).get("attempts", 0))
        elif verdict is not None:
            skipped[a] = verdict
        elif lay.state(a).is_file():
            failed[a] = int(_state(lay, a).get("attempts", 0))
    n_run = sum(1 for a in archs if a in running)
    return {"planned": len(archs), "done": done, "running": n_run, "failed": failed, "skipped": skipped,
            "gave_up": gave_up, "pending": len(archs) - done - len(skipped) - len(gave_up) - n_run}


def _record_campaign(lay: Layout, cfg: Any, archs: Sequence[str]) -> None:
    camp = _read_json(lay.campaign, None)
    if camp is not None and camp["config"] != cfg.to_dict():
        from naslib_anb.training.engine import _check_same_recipe

        # names the differing recipe keys; paths, workers and logging may change (the new ones are used)
        _check_same_recipe(camp["config"], cfg, lay.campaign)
    known = list(camp["archs"]) if camp else []
    seen = set(known)
    known += [a for a in archs if not (a in seen or seen.add(a))]
    lay.root.mkdir(parents=True, exist_ok=True)
    if camp is None:
        cfg.save(lay.root / "config.yaml")
    atomic_write_json(lay.campaign, {"config": cfg.to_dict(), "archs": known})


@contextlib.contextmanager
def _one_submitter(lay: Layout) -> Iterator[None]:
    """flock on the results directory while planning and submitting (released by the kernel if the
    submitter dies, so it can never go stale): two submissions cannot hand one architecture to two jobs."""
    import fcntl

    lay.root.mkdir(parents=True, exist_ok=True)
    with open(lay.root / ".submit.lock", "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(f"another submission into {str(lay.root)!r} is in progress; wait for it to "
                              "return, then rerun") from None
        yield


def _make_executor(executor: str, folder: Path, params: dict[str, Any]):
    import submitit

    if executor == "slurm":
        ex = submitit.AutoExecutor(folder=folder, cluster="slurm",
                                   slurm_max_num_timeout=int(params.pop("max_num_timeout", 30)))
        ex.update_parameters(**params)
    elif executor == "local":
        ex = submitit.LocalExecutor(folder=folder, max_num_timeout=int(params.pop("max_num_timeout", 30)))
        ex.update_parameters(**{k: v for k, v in params.items() if k in ("timeout_min", "signal_delay_s")})
    else:
        ex = submitit.DebugExecutor(folder=folder)
        ex.update_parameters(timeout_min=params["timeout_min"])
    return ex


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def check_submission(executor: str, chunk_size: int, wait: Optional[bool]) -> bool:
    """Validate the submission arguments; return ``wait`` resolved (default: wait unless SLURM)."""
    if executor not in EXECUTORS:
        raise UnknownChoiceError(executor, EXECUTORS, "the job executor")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ConfigError(f"chunk_size is {chunk_size!r}; valid: an int >= 1 (architectures per task)")
    if wait is None:
        wait = executor != "slurm"
    if not wait and executor != "slurm":
        raise ConfigError(f"wait=False (--no-wait) needs executor 'slurm': a {executor!r} run lives in the "
                          "submitting process; valid: wait, or executor 'slurm'")
    return bool(wait)


def evaluate_archs(archs: Sequence[Any], config: Any, results_dir: Any, *, executor: str = "local",
                   chunk_size: int = 1, options: Optional[EvalOptions] = None, wait: Optional[bool] = None,
                   slurm: Optional[dict[str, Any]] = None,
                   task_factory: Callable[..., ArchTask] = ArchTask) -> dict[str, Any]:
    """Train every architecture of ``archs`` that has no record yet under ``config`` (a
    ``TrainConfig``) and file its record in ``results_dir``; return :func:`campaign_status` plus
    ``submitted`` (job ids) and ``outcomes`` (per architecture, when waited for).

    Idempotent: finished, final (memory-skipped, given-up) and still-running architectures are not
    submitted again. ``executor``: "slurm" (a SLURM job array; ``wait`` defaults to False),
    "local" (submitit's local executor, one process per chunk; always waits, and its tasks end if
    this process is killed), "debug" (submitit in-process) or "inline" (no submitit).
    ``slurm``: submitit parameters (``slurm_partition``, ``gpus_per_node``, ``timeout_min``,
    ``slurm_array_parallelism``, ...; ``max_num_timeout`` requeues on timeout, default 30).
    """
    from naslib_anb.space.arch import Arch

    wait = check_submission(executor, chunk_size, wait)
    options = options or EvalOptions()
    names = [str(Arch.parse(a)) for a in archs]
    lay = Layout(Path(results_dir).resolve())
    submitted: list[str] = []
    with _one_submitter(lay):
        _record_campaign(lay, config, names)
        running = _running(lay)
        todo = [a for a in dict.fromkeys(names) if not lay.result(a).is_file()
                and final_verdict(lay, a, options.max_retries) is None and a not in running]
        chunks = _chunks(todo, chunk_size)
        if executor == "inline":
            outcomes: dict[str, str] = {}
            for c in chunks:
                outcomes.update(task_factory(str(lay.root), options)(c))
            return {**campaign_status(lay.root, options.max_retries), "submitted": [], "outcomes": outcomes}
        if not chunks:
            return {**campaign_status(lay.root, options.max_retries), "submitted": [], "outcomes": {}}
        params = {"timeout_min": 60 * 24, **(slurm or {})}
        ex = _make_executor(executor, lay.root / "submitit" / "%j", params)
        me = (os.getpid(), _pid_start(os.getpid())) if executor == "local" else None
        task = task_factory(str(lay.root), options, me if me and me[1] else None)
        with ex.batch():
            jobs = [ex.submit(task, c) for c in chunks]
        entries = _read_json(lay.jobs, {})
        for j, c in zip(jobs, chunks):
            e: dict[str, Any] = {"executor": executor, "job_id": str(j.job_id),
                                 "folder": str(lay.root / "submitit" / "%j")}
            if executor == "local":
                pid = int(j._process.pid)  # the controller process submitit started for this chunk
                e.update(pid=pid, start=_pid_start(pid))
            entries.update({a: e for a in c})
        atomic_write_json(lay.jobs, entries)
        submitted = [str(j.job_id) for j in jobs]
    log.info("submitted %d tasks (%d architectures)", len(jobs), len(todo))
    if not wait:
        return {**campaign_status(lay.root, options.max_retries), "submitted": submitted, "outcomes": {}}
    return {**_wait_for(jobs, lay, options), "submitted": submitted}


def _wait_for(jobs: list, lay: Layout, options: EvalOptions) -> dict[str, Any]:
    """Collect the jobs' outcomes; SIGTERM/SIGINT of this process cancels them first."""
    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    old = signal.signal(signal.SIGTERM, stop) if threading.current_thread() is threading.main_thread() else None
    outcomes: dict[str, str] = {}
    try:
        for j in jobs:
            try:
                outcomes.update(j.result())
            except Exception as exc:  # noqa: BLE001 - a crashed task leaves its archs pending
                log.warning("job %s failed: %r", j.job_id, exc)
    except KeyboardInterrupt:
        for j in jobs:
            with contextlib.suppress(Exception):
                j.cancel()
        raise
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)
    return {**campaign_status(lay.root, options.max_retries), "outcomes": outcomes}
