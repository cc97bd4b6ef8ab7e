"""Atomic file writes: results are written to a temp file and renamed, never half-written."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Union

PathLike = Union[str, os.PathLike]


def _file_mode() -> int:
    """What ``open()`` would give a new file: mkstemp's 0600 would hide results from the group."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_bytes(path: PathLike, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: PathLike, obj: Any, indent: int = 2) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=indent, default=str) + "\n")


def write_probe(directory: PathLike) -> None:
    """Create and remove a file in ``directory`` (OSError if it takes none): permission bits say
    nothing for root, read-only mounts or /proc."""
    fd, probe = tempfile.mkstemp(prefix=".naslib_anb-probe-", dir=directory)
    os.close(fd)
    os.unlink(probe)


def ensure_writable_dir(path: PathLike, flag: str = "--out") -> Path:
    """Create ``path`` (and parents) and check it takes files: a ConfigError naming it otherwise."""
    from naslib_anb.errors import ConfigError

    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
        write_probe(p)
    except OSError as exc:
        raise ConfigError(f"{flag} {str(p)!r} is not a writable directory ({exc.strerror or exc}); "
                          "valid: a directory you can create and write") from None
    return p


def read_yaml_mapping(path: PathLike, what: str = "config") -> dict[str, Any]:
    """A YAML file that must hold a mapping (config files of every runner); typed errors otherwise."""
    import yaml

    from naslib_anb.errors import ConfigError

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{what} file {str(p)!r} does not exist")
    try:
        loaded = yaml.safe_load(p.read_text()) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{what} file {p}: cannot read it as YAML ({exc})") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"{what} file {p}: expected a mapping of fields, got {type(loaded).__name__}")
    return loaded


def parse_key_values(items: Any, flag: str = "override") -> dict[str, Any]:
    """``["epochs=2", "amp=null"]`` -> ``{"epochs": 2, "amp": None}`` (values read as YAML scalars)."""
    import yaml

    from naslib_anb.errors import ConfigError

    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ConfigError(f"{flag} expects KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        try:
            out[k.strip()] = yaml.safe_load(v)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{flag} {item!r}: value is not valid YAML ({exc})") from None
    return out


def parse_int_ranges(items: Any, what: str = "seed") -> list[int]:
    """``["0-2,5"]`` -> ``[0, 1, 2, 5]``: the one parser of ``--seeds 0-9`` style lists (CLI, runners, benchmarks)."""
    from naslib_anb.errors import ConfigError

    values: list[int] = []
    for item in [items] if isinstance(items, str) else items:
        for part in str(item).split(","):
            part = part.strip()
            if not part:
                continue
            try:
                if "-" in part[1:]:
                    a, b = part.split("-", 1)
                    lo, hi = int(a), int(b)
                    if hi < lo:
                        raise ValueError
                    values.extend(range(lo, hi + 1))
                else:
                    values.append(int(part))
            except ValueError:
                raise ConfigError(f"bad {what} spec {part!r}; use non-negative ints or ranges like 0-4") from None
    if not values or any(v < 0 for v in values):
        raise ConfigError(f"{what}s must be non-negative ints, got {items!r}")
    return values
