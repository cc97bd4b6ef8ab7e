"""A model set on disk: one directory, native model files, and a manifest that pins them.

Layout::

    manifest.json
    <target>/member_<i><suffix>      (.ubj.gz XGBoost, .txt LightGBM, .json scikit-learn, .npz GP)
    <target>/tables.npz              (the members compiled to stage tables)

The manifest records the sha256 of every model file, library versions, the training
data checksum, the split, hyperparameters and test metrics. Loading verifies every
hash first and refuses with :class:`ModelFileError` on any mismatch.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from naslib_anb.errors import ConfigError, ModelFileError
from naslib_anb.io import atomic_write_json
from naslib_anb.surrogates._compile import TableModel
from naslib_anb.surrogates._ensemble import SurrogateEnsemble
from naslib_anb.targets import TARGETS

MANIFEST = "manifest.json"
FORMAT = "naslib_anb.surrogates.v2"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {}
    for name in ("naslib_anb", "xgboost", "xgboost-cpu", "lightgbm", "scikit-learn", "numpy", "scipy"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            continue
    return out


@dataclass
class ModelSet:
    """Ensembles per target, as loaded from (or about to be written to) a directory."""

    family: str
    ensembles: dict[str, SurrogateEnsemble]
    manifest: dict[str, Any] = field(default_factory=dict)
    path: Optional[Path] = None

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(t for t in TARGETS if t in self.ensembles)


def save_model_set(models: ModelSet, out_dir: Path, force: bool = False) -> Path:
    """Write atomically: everything goes to a temp dir beside ``out_dir``, then one rename."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not force:
        raise ConfigError(f"{out_dir} already exists; pass force=True (--force) to replace it")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        manifest = dict(models.manifest)
        manifest["format"] = FORMAT
        manifest["family"] = models.family
        targets = manifest.setdefault("targets", {})
        for name, ens in models.ensembles.items():
            entry = targets.setdefault(name, {})
            files = []
            for i, m in enumerate(ens.members):
                p = m.save(tmp / name / f"member_{i}")
                files.append({"file": p.relative_to(tmp).as_posix(), "family": m.family,
                              "sha256": sha256_file(p), "bytes": p.stat().st_size})
            entry["transform"] = ens.transform
            entry["files"] = files
            if ens.tables is not None:
                tp = tmp / name / "tables.npz"
                _write_npz(tp, ens.tables.to_arrays())
                entry["tables"] = {"file": tp.relative_to(tmp).as_posix(), "sha256": sha256_file(tp),
                                   "bytes": tp.stat().st_size}
            else:
                entry.pop("tables", None)
        devices = device_entries(models.ensembles)
        if devices:  # devices registered at run time (profiled): loading registers them again
            manifest["devices"] = devices
        atomic_write_json(tmp / MANIFEST, manifest)
        for p in [tmp, *tmp.rglob("*")]:  # temp files are private; a model directory is data
            p.chmod(0o755 if p.is_dir() else 0o644)
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old")
            if old.exists():
                shutil.rmtree(old)
            os.replace(out_dir, old)
            os.replace(tmp, out_dir)
            shutil.rmtree(old)
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    models.path = out_dir
    models.manifest = manifest
    return out_dir


def _write_npz(path: Path, arrays: dict) -> None:
    import io

    from naslib_anb.io import atomic_write_bytes

    bio = io.BytesIO()
    np.savez_compressed(bio, **arrays)
    atomic_write_bytes(path, bio.getvalue())


def _verify(path: Path, expected: str) -> None:
    if not path.exists():
        raise ModelFileError(f"model file {path} is missing (listed in {MANIFEST})")
    actual = sha256_file(path)
    if actual != expected:
        raise ModelFileError(
            f"model file {path} is corrupt or was modified: sha256 {actual}, "
            f"manifest expects {expected}; refit with `naslib-anb fit`")


def read_manifest(model_dir: Path) -> dict[str, Any]:
    path = Path(model_dir) / MANIFEST
    if not path.exists():
        raise ModelFileError(f"no {MANIFEST} in {model_dir}: not a surrogate model directory")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{path}: not valid JSON ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise ModelFileError(f"{path}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    return manifest


def _family_class(name: str):
    """The estimator class of a family; imported only when native members are loaded (sklearn etc.)."""
    from naslib_anb.errors import UnknownChoiceError
    from naslib_anb.surrogates._registry import get_family

    try:
        return get_family(name)
    except UnknownChoiceError as exc:
        raise ModelFileError(f"manifest names an unknown surrogate family: {exc}") from None


def _member_loader(model_dir: Path, entry: dict, n_jobs: int, verify: bool):
    """Loads a target's native members; each file names its family, ``params`` holds one
    dict of constructor parameters per family."""
    def load() -> list:
        seeds = entry.get("seeds") or []
        members = []
        for i, f in enumerate(entry["files"]):
            path = model_dir / f["file"]
            if verify:
                _verify(path, f["sha256"])
            family = f.get("family")
            cls = _family_class(family)
            p = dict(entry.get("params", {}).get(family, {}))
            p["n_jobs"] = n_jobs
            if i < len(seeds):
                p["random_state"] = seeds[i]
            members.append(cls.load(path, p))
        return members

    return load


def device_entries(target_names) -> list[dict]:
    """Manifest entries for devices that are not built in (e.g. profiled with ``naslib-anb profile``)."""
    from naslib_anb.targets import BUILTIN_DEVICES, DEVICES

    out = {}
    for name in target_names:
        t = TARGETS[name]
        if t.device is None or t.device in BUILTIN_DEVICES:
            continue
        d = DEVICES[t.device]
        e = out.setdefault(d.name, {"name": d.name, "description": d.description, "kind": d.kind,
                                    "metrics": [], "protocol": t.protocol})
        e["metrics"].append(t.metric)
    return list(out.values())


def register_manifest_devices(manifest: dict) -> None:
    """Register the devices a model set was fitted for, so its targets resolve after loading."""
    from naslib_anb.targets import register_device

    for d in manifest.get("devices", []):
        try:
            register_device(d["name"], d["description"], d["kind"], tuple(d["metrics"]), d.get("protocol", ""))
        except (KeyError, TypeError) as exc:
            raise ModelFileError(f"malformed device entry in manifest: {d!r} ({exc})") from None


def load_model_set(model_dir: Path, targets: Optional[list[str]] = None, verify: bool = True,
                   compile: bool = True, n_jobs: int = 1, native: bool = False) -> ModelSet:
    """Load (and by default sha256-verify every file of) a model directory.

    Compiled tables are used when the directory has them (no model library is imported);
    the native members are then loaded lazily, e.g. for exactness checks. ``native=True``
    loads the native members and compiles them afresh.
    """
    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    register_manifest_devices(manifest)
    ensembles = {}
    for name, entry in manifest["targets"].items():
        if targets is not None and name not in targets:
            continue
        if name not in TARGETS:
            raise ModelFileError(f"{model_dir}: manifest names unknown target {name!r}")
        if verify:
            for f in entry["files"]:
                _verify(model_dir / f["file"], f["sha256"])
        loader = _member_loader(model_dir, entry, n_jobs, verify=False)
        tinfo = entry.get("tables")
        if tinfo is not None and not native:
            tp = model_dir / tinfo["file"]
            if verify:
                _verify(tp, tinfo["sha256"])
            try:
                with np.load(tp, allow_pickle=False) as z:
                    tables = TableModel.from_arrays({k: z[k] for k in z.files})
            except (OSError, ValueError, KeyError) as exc:
                raise ModelFileError(f"{tp}: unreadable compiled tables ({exc})") from None
            ensembles[name] = SurrogateEnsemble(name, tables=tables, transform=entry["transform"],
                                                member_loader=loader)
        else:
            ensembles[name] = SurrogateEnsemble(name, loader(), compile=compile)
    return ModelSet(manifest["family"], ensembles, manifest, model_dir)
