"""Resumable sweep over a manifest, one fresh process per measurement group.

* Output: ``<out_dir>/<arch>.json`` per architecture (atomic writes) plus
  ``<out_dir>/runs/<timestamp>.json`` describing each invocation.
* Resume: an architecture with a file is skipped; failed ones (``status: "error"``) are
  retried only with ``retry_failed``. Measured data is never overwritten, and a directory
  measured under a different protocol (device and its resolved label, precision, resolution,
  batch, threads, model factory, classes) is refused rather than mixed.
* Isolation: each group runs in a new ``spawn``-ed process of a
  :class:`concurrent.futures.ProcessPoolExecutor` (``max_tasks_per_child=1``), so CUDA
  state, memory fragmentation or a crash cannot leak into the next group. When a worker
  dies, the group's unfinished architectures are re-run one per process, so the culprit
  is isolated and recorded as ``WorkerCrash`` while the others are measured.
"""
from __future__ import annotations

import json
import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from naslib_anb.errors import ConfigError, CorruptDataError
from naslib_anb.io import atomic_write_json
from naslib_anb.profiling.config import ProfileConfig
from naslib_anb.profiling.manifest import Entry
from naslib_anb.profiling.records import ProfileRecord, now_iso
from naslib_anb.profiling.worker import check_device, check_energy, measure_group

log = logging.getLogger(__name__)

#: Config fields that define the protocol; records under different values are not mixed. ``label``
#: is the resolved device label (e.g. "h100" vs "h200"), so two GPU models never share a directory.
PROTOCOL_FIELDS = ("protocol", "device", "label", "precision", "channels_last", "resolution", "batch_size",
                   "latency_batch_size", "threads", "activation", "model_factory", "num_classes")


@dataclass
class SweepResult:
    out_dir: Path
    measured: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    crashed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), "measured": len(self.measured), "failed": len(self.failed),
                "skipped": len(self.skipped), "crashed": len(self.crashed),
                "failed_archs": self.failed}


def read_record(path: Path) -> ProfileRecord:
    try:
        obj = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptDataError(f"{path}: unreadable profile record ({exc})") from None
    return ProfileRecord.from_json(obj, str(path))


def read_records(out_dir: str | Path) -> list[ProfileRecord]:
    """All profile records of a sweep directory, sorted by architecture."""
    d = Path(out_dir)
    if not d.is_dir():
        raise ConfigError(f"profile directory {d} does not exist")
    return [read_record(p) for p in sorted(d.glob("*.json"))]


def _check_protocol(rec: ProfileRecord, cfg: ProfileConfig, path: Path) -> None:
    old = rec.config
    diff = {k: (old.get(k), getattr(cfg, k)) for k in PROTOCOL_FIELDS if k in old and old.get(k) != getattr(cfg, k)}
    if diff:
        raise ConfigError(
            f"{path} was measured under a different protocol ({', '.join(f'{k}: {a!r} there, {b!r} now' for k, (a, b) in diff.items())}); "
            "use a new output directory rather than mixing protocols"
        )


def _crash_record(entry: Entry, cfg: ProfileConfig, attempt: int, label: str) -> ProfileRecord:
    return ProfileRecord(
        arch=entry.key, label=label, status="error", name=entry.name, config=cfg.to_dict(),
        error={"type": "WorkerCrash", "kind": "crash", "stage": "worker",
               "message": "the worker process died without returning (hard crash, e.g. segfault or os._exit)"},
        started_at=now_iso(), attempts=attempt,
    )


def _preflight(cfg: ProfileConfig) -> None:
    """Errors that would otherwise fail every record: no device, no energy counter, no validation set."""
    check_device(cfg)  # before anything touches CUDA: a missing GPU is one clear error, not a traceback
    check_energy(cfg)  # energy asked for but no counter: an error, not records with null energy
    if cfg.protocol == "upstream" and ("throughput" in cfg.measure or "energy" in cfg.measure):
        from naslib_anb.profiling.timing import upstream_batches

        upstream_batches(cfg)  # an unreadable or too small validation set: one error, not N failed records


def _todo(entries: Sequence[Entry], cfg: ProfileConfig, out: Path, retry_failed: bool,
          result: SweepResult) -> list[tuple[Entry, int]]:
    """(entry, attempt) still to measure; measured ones are skipped, a different protocol refused."""
    todo: list[tuple[Entry, int]] = []
    for e in entries:
        path = out / e.filename
        if path.exists():
            rec = read_record(path)
            _check_protocol(rec, cfg, path)
            if rec.ok or not retry_failed:
                result.skipped.append(e.key)
                continue
            todo.append((e, rec.attempts + 1))
        else:
            todo.append((e, 1))
    return todo


def _progress(enabled: bool, total: int, device: str) -> Any:
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=f"profile {device}", unit="arch")
    except ImportError:
        log.info("tqdm not installed: no progress bar")
        return None


class _GroupRunner:
    """Measures groups of architectures (in this process, or each in a fresh spawned one) and
    files what each produced into the SweepResult."""

    def __init__(self, cfg: ProfileConfig, out: Path, bases: dict[str, Any], result: SweepResult, bar: Any):
        self.cfg, self.cfg_dict, self.out, self.bases, self.result, self.bar = cfg, cfg.to_dict(), out, bases, result, bar
        self.pool: Optional[ProcessPoolExecutor] = None

    def items(self, group: Sequence[tuple[Entry, int]]) -> list[tuple[str, Optional[str], Any, int]]:
        return [(e.key, e.name, self.bases.get(e.key), a) for e, a in group]

    def collect(self, group: Sequence[tuple[Entry, int]]) -> None:
        for e, _ in group:
            p = self.out / e.filename
            if p.exists():
                (self.result.measured if read_record(p).ok else self.result.failed).append(e.key)
        if self.bar is not None:
            self.bar.update(len(group))

    def submit(self, group: Sequence[tuple[Entry, int]]) -> bool:
        """Measure ``group`` in a fresh process; False if the process died."""
        if self.pool is None:
            ctx = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(max_workers=1, mp_context=ctx, max_tasks_per_child=1)
        try:
            self.pool.submit(measure_group, self.cfg_dict, self.items(group), str(self.out)).result()
            return True
        except BrokenProcessPool:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
            return False

    def isolated(self, group: Sequence[tuple[Entry, int]]) -> None:
        if self.submit(group):
            self.collect(group)
            return
        for e, a in group:  # a worker died: re-run what it left unfinished one per process
            if not (self.out / e.filename).exists() and (len(group) == 1 or not self.submit([(e, a)])):
                rec = _crash_record(e, self.cfg, a, self.cfg.label)
                atomic_write_json(self.out / e.filename, rec.to_json(self.bases.get(e.key)))
                self.result.crashed.append(e.key)
            self.collect([(e, a)])

    def run(self, groups: Sequence[Sequence[tuple[Entry, int]]]) -> None:
        try:
            for g in groups:
                if self.cfg.isolate:
                    self.isolated(g)
                else:
                    measure_group(self.cfg_dict, self.items(g), str(self.out))
                    self.collect(g)
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True)


def run_sweep(entries: Sequence[Entry], cfg: ProfileConfig, out_dir: str | Path, retry_failed: bool = False,
              bases: Optional[Mapping[str, Any]] = None, progress: bool = True) -> SweepResult:
    """Measure ``entries`` under ``cfg`` into ``out_dir`` (see the module docstring).

    ``bases`` maps arch strings to dataset JSON objects whose fields are copied into the
    record (accuracy, upstream device values) for architectures that are in the dataset.
    """
    from naslib_anb.io import ensure_writable_dir

    _preflight(cfg)
    out = ensure_writable_dir(out_dir)
    result = SweepResult(out)
    if cfg.label is None:  # resolved before the protocol check, so the label is part of it
        cfg = cfg.replace(label=resolve_label(cfg))
    todo = _todo(entries, cfg, out, retry_failed, result)
    run_log = {"started_at": now_iso(), "config": cfg.to_dict(), "manifest": [e.key for e in entries],
               "todo": [e.key for e, _ in todo], "retry_failed": retry_failed}
    log_path = out / "runs" / f"{time.strftime('%Y%m%dT%H%M%S')}.json"
    atomic_write_json(log_path, run_log)
    if not todo:
        return result
    groups = [todo[i:i + cfg.group_size] for i in range(0, len(todo), cfg.group_size)]
    bar = _progress(progress, len(todo), cfg.device)
    _GroupRunner(cfg, out, dict(bases or {}), result, bar).run(groups)
    if bar is not None:
        bar.close()
    run_log.update({"finished_at": now_iso(), "result": result.as_dict()})
    atomic_write_json(log_path, run_log)
    return result


def resolve_label(cfg: ProfileConfig) -> str:
    """The device label of ``cfg`` (given, 'cpu', or derived from the GPU's name without a CUDA context)."""
    from naslib_anb.profiling.config import device_label

    if cfg.label:
        return cfg.label
    if not cfg.is_cuda:
        return "cpu"
    import torch

    idx = torch.device(cfg.device).index or 0
    try:
        from naslib_anb.profiling.energy import NvmlDevice

        with NvmlDevice(idx) as dev:
            name = dev._nv.nvmlDeviceGetName(dev.handle)
        name = name.decode() if isinstance(name, bytes) else str(name)
    except Exception:  # noqa: BLE001 - fall back to torch (creates a context in this process)
        name = torch.cuda.get_device_name(idx)
    return device_label(name)
