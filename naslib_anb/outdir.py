"""Output directories written whole: one writer at a time, staged beside the target, swapped in at the end.

A run writes into ``<out>.partial`` while holding an ``fcntl`` lock on ``<out>.lock`` (the kernel
drops the lock when the process dies, so a killed run never blocks the next one; SIGTERM unwinds
and removes both the staging directory and the lock file, as a failure does). On success the
staging directory replaces ``<out>`` in two renames; ``--force`` therefore replaces the whole
directory, never leaving a previous run's files beside new ones. A second writer gets
:class:`OutputBusyError` at once.
"""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import threading
from pathlib import Path
from typing import Iterator, Sequence, Union

from naslib_anb.errors import ConfigError, OutputBusyError

PathLike = Union[str, os.PathLike]
STAGING_SUFFIX = ".partial"
#: files that mark a directory as an earlier run's output (what --force may replace)
RUN_SIGNATURE = ("summary.json", "config.yaml", "curves.csv", "queries.csv")
MODEL_SIGNATURE = ("manifest.json",)
LOCK_SUFFIX = ".lock"
_OLD_SUFFIX = ".replaced"


def sibling(out: Path, suffix: str) -> Path:
    return out.with_name(out.name + suffix)


def check_writable(path: PathLike, flag: str = "--out") -> Path:
    """Refuse, with the reason, a path whose nearest existing ancestor is not a writable directory."""
    p = Path(path)
    if str(p) in ("", "."):
        return p
    ancestor = p.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ConfigError(f"{flag} {p}: cannot create it, {ancestor} is not a directory")
    from naslib_anb.io import write_probe

    try:
        write_probe(ancestor)
    except OSError as exc:
        raise ConfigError(f"{flag} {p}: cannot create it, {ancestor} is not writable ({exc.strerror or exc})") from None
    return p


class OutputLock:
    """An exclusive ``flock`` on ``<out>.lock`` held by this process while it writes ``out``."""

    def __init__(self, out: PathLike, flag: str = "--out"):
        self.out = Path(out)
        self.path = sibling(self.out, LOCK_SUFFIX)
        self.flag = flag
        self._fd: int | None = None

    def acquire(self) -> "OutputLock":
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                holder = ""
                with contextlib.suppress(OSError, ValueError):
                    holder = f" (pid {int(self.path.read_text().split()[0])})"
                raise OutputBusyError(f"{self.flag} {self.out} is being written by another process{holder}; "
                                      "wait for it to finish or choose another directory") from None
            # the holder before us may have removed the file after we opened it: lock the live file only
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)  # while still held: nobody can have locked this file meanwhile
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> "OutputLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """SIGTERM (``kill``, a scheduler's stop) unwinds like an exception, so the staging directory and
    the lock file are cleaned up as on any other failure (by default it ends the process on the spot).
    Only the main thread can set handlers, and a handler someone else installed is left alone."""
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def terminate(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _recover(out: Path) -> None:
    """Finish or undo a swap that a kill interrupted (called under the lock)."""
    old = sibling(out, _OLD_SUFFIX)
    if old.exists():
        if out.exists():
            shutil.rmtree(old)
        else:
            os.replace(old, out)


def _swap(staging: Path, out: Path) -> None:
    if out.exists():
        old = sibling(out, _OLD_SUFFIX)
        os.replace(out, old)
        os.replace(staging, out)
        shutil.rmtree(old)
    else:
        os.replace(staging, out)


@contextlib.contextmanager
def staged_output(out: PathLike, *, force: bool = False, flag: str = "--out", resume: bool = False,
                  signature: Sequence[str] = ()) -> Iterator[Path]:
    """Yield the staging directory for ``out``; on success it becomes ``out`` whole.

    ``resume=True`` keeps the staging directory when the body fails (a rerun continues from it,
    e.g. ``fit`` keeps finished targets); otherwise it is removed. ``out`` must be absent, an
    empty directory, or (with ``force``) a directory that is replaced.
    """
    out = Path(os.path.abspath(out))
    check_output(out, force=force, flag=flag, signature=signature)
    with _sigterm_unwinds(), OutputLock(out, flag):
        _recover(out)
        check_output(out, force=force, flag=flag, signature=signature)  # again, under the lock
        staging = sibling(out, STAGING_SUFFIX)
        if staging.exists() and not (resume and staging.is_dir()):
            if staging.is_dir() and not staging.is_symlink():
                shutil.rmtree(staging)
            else:
                staging.unlink()
        staging.mkdir(parents=True, exist_ok=True)
        try:
            yield staging
        except BaseException:
            if not resume:
                shutil.rmtree(staging, ignore_errors=True)
            raise
        _swap(staging, out)


def check_output(out: PathLike, *, force: bool = False, flag: str = "--out",
                 signature: Sequence[str] = ()) -> Path:
    """Fail fast (before any work) on an output path that a run could not (or must not) write.

    ``--force`` replaces a whole directory, so it is refused for the current directory or one
    above it, the home directory, and (given ``signature``) a non-empty directory holding none of
    the files a previous run would have written there.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{flag} {out} exists and is not a directory")
    absolute = Path(os.path.abspath(out))
    if absolute.parent == absolute:
        raise ConfigError(f"{flag} {out}: a filesystem root cannot be a run directory")
    check_writable(out, flag)
    if out.is_dir():
        real = out.resolve()
        cwd = Path.cwd().resolve()
        if real == cwd or real in cwd.parents:
            raise ConfigError(f"{flag} {out} is the current directory or holds it; name a new subdirectory")
        home = Path.home().resolve()
        if real == home or real in home.parents:
            raise ConfigError(f"{flag} {out} is the home directory or holds it; name a new subdirectory")
        if any(out.iterdir()):
            if not force:
                raise ConfigError(f"{flag} {out} is not empty; pass --force to replace it")
            if signature and not any((out / name).exists() for name in signature):
                raise ConfigError(f"{flag} {out} is not empty and holds no {' / '.join(signature)}: it does not "
                                  "look like an earlier run's output, so --force will not replace it; choose a "
                                  "new or empty directory")
    return out
