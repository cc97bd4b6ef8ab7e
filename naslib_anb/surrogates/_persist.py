"""A model set on disk: one directory, native model files, and a manifest that pins them.

Layout::

    manifest.json
    <target>/member_<i><suffix>      (.ubj.gz XGBoost, .txt LightGBM, .json scikit-learn, .npz GP)
    <target>/tables.npz              (the members compiled to stage tables)

The manifest records the sha256 of every model file, library versions, the training
data checksum, the split, hyperparameters and test metrics, and is sealed by
``manifest_sha256`` (the sha256 of its own canonical JSON, every other field included).
Loading verifies the seal and every file hash first and refuses with
:class:`ModelFileError` on any mismatch.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from naslib_anb.errors import ConfigError, ModelFileError
from naslib_anb.io import atomic_write_json
from naslib_anb.surrogates._compile import TableModel
from naslib_anb.surrogates._envelope import EnvelopeModel, is_envelope_arrays
from naslib_anb.surrogates._ensemble import SurrogateEnsemble
from naslib_anb.targets import TARGETS

MANIFEST = "manifest.json"
SUPPORT = "support.npz"
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
    #: (m, 28) uint8 ordinal codes of the architectures the set was fitted on (``support.npz``);
    #: the predictive std grows with the distance to them
    support_codes: Optional[np.ndarray] = None

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(t for t in TARGETS if t in self.ensembles)


def save_model_set(models: ModelSet, out_dir: Path, force: bool = False) -> Path:
    """Write atomically: everything goes to ``<out_dir>.partial`` (one writer, locked), then is swapped in."""
    from naslib_anb.outdir import MODEL_SIGNATURE, staged_output

    out_dir = Path(out_dir)
    if out_dir.exists() and not force:
        raise ConfigError(f"{out_dir} already exists; pass force=True (--force) to replace it")
    with staged_output(out_dir, force=True, signature=MODEL_SIGNATURE) as staging:
        write_model_dir(models, staging)
    models.path = out_dir
    return out_dir


def write_target_files(directory: Path, name: str, ens: SurrogateEnsemble, entry: dict) -> dict:
    """Write one target's members and tables under ``directory/name``; fills and returns its manifest entry."""
    files = []
    for i, m in enumerate(ens.members):
        p = m.save(directory / name / f"member_{i}")
        files.append({"file": p.relative_to(directory).as_posix(), "family": m.family,
                      "sha256": sha256_file(p), "bytes": p.stat().st_size})
    entry["transform"] = ens.transform
    entry["files"] = files
    if ens.tables is not None:
        tp = directory / name / "tables.npz"
        _write_npz(tp, ens.tables.to_arrays())
        entry["tables"] = {"file": tp.relative_to(directory).as_posix(), "sha256": sha256_file(tp),
                           "bytes": tp.stat().st_size}
    else:
        entry.pop("tables", None)
    return entry


def write_model_dir(models: ModelSet, directory: Path) -> dict:
    """Write every target and the sealed manifest into ``directory`` (a staging directory); returns the manifest."""
    directory = Path(directory)
    manifest = dict(models.manifest)
    manifest["format"] = FORMAT
    manifest["family"] = models.family
    targets = manifest.setdefault("targets", {})
    for name, ens in models.ensembles.items():
        write_target_files(directory, name, ens, targets.setdefault(name, {}))
    if models.support_codes is not None:
        sp = directory / SUPPORT
        _write_npz(sp, {"codes": np.asarray(models.support_codes, dtype=np.uint8)})
        manifest["support"] = {"file": SUPPORT, "sha256": sha256_file(sp), "bytes": sp.stat().st_size,
                               "rows": int(len(models.support_codes))}
    devices = device_entries(models.ensembles)
    if devices:  # devices registered at run time (profiled): loading registers them again
        manifest["devices"] = devices
    manifest = seal_manifest(manifest)
    atomic_write_json(directory / MANIFEST, manifest)
    for p in [directory, *directory.rglob("*")]:  # temp files are private; a model directory is data
        p.chmod(0o755 if p.is_dir() else 0o644)
    models.manifest = manifest
    return manifest


#: key of the manifest's own checksum: sha256 of the canonical JSON of every other field
MANIFEST_SHA256 = "manifest_sha256"


def manifest_digest(manifest: dict) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of the manifest minus its own checksum."""
    body = {k: v for k, v in manifest.items() if k != MANIFEST_SHA256}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def seal_manifest(manifest: dict) -> dict:
    """The manifest with its checksum set: whatever fields it holds, all of them are covered."""
    body = json.loads(json.dumps({k: v for k, v in manifest.items() if k != MANIFEST_SHA256}, default=str))
    body[MANIFEST_SHA256] = manifest_digest(body)
    return body


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


def read_manifest(model_dir: Path, verify: bool = True) -> dict[str, Any]:
    """The manifest of a model directory; ``verify`` checks its own checksum (every field is covered)."""
    path = Path(model_dir) / MANIFEST
    if not path.exists():
        raise ModelFileError(f"no {MANIFEST} in {model_dir}: not a surrogate model directory")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError, OSError) as exc:
        raise ModelFileError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise ModelFileError(f"{path}: expected a JSON object, got {type(manifest).__name__}")
    if manifest.get("format") != FORMAT:
        raise ModelFileError(f"{path}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    if verify:
        expected = manifest.get(MANIFEST_SHA256)
        if expected is None:
            raise ModelFileError(f"{path}: no {MANIFEST_SHA256!r}; the manifest is not sealed, so it cannot be "
                                 "trusted; refit with `naslib-anb fit`")
        actual = manifest_digest(manifest)
        if actual != expected:
            raise ModelFileError(f"{path} was modified after it was written: its content hashes to {actual}, "
                                 f"its {MANIFEST_SHA256} is {expected}; refit with `naslib-anb fit`")
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
    manifest = read_manifest(model_dir, verify=verify)
    register_manifest_devices(manifest)
    ensembles = {}
    if targets is not None:
        from naslib_anb.errors import UnknownTargetError

        for t in targets:
            if t not in manifest["targets"]:
                raise UnknownTargetError(t, list(manifest["targets"]), f"targets of the model set in {model_dir}")
    for name, entry in manifest["targets"].items():
        if targets is not None and name not in targets:
            continue
        if name not in TARGETS:
            raise ModelFileError(f"{model_dir}: manifest names unknown target {name!r}")
        ensembles[name] = load_target(model_dir, name, entry, verify=verify, compile=compile, n_jobs=n_jobs,
                                      native=native)
    return ModelSet(manifest["family"], ensembles, manifest, model_dir,
                    support_codes=_load_support(model_dir, manifest, verify))


def load_target(model_dir: Path, name: str, entry: dict, *, verify: bool = True, compile: bool = True,
                n_jobs: int = 1, native: bool = False) -> SurrogateEnsemble:
    """One target's ensemble from its manifest entry (files relative to ``model_dir``)."""
    tinfo = entry.get("tables")
    if "files" not in entry and "native_files" in entry:  # a tables-only set (native members not shipped)
        if tinfo is None or native:
            raise ModelFileError(f"{model_dir}: {name} ships compiled tables only, not its native members "
                                 f"({entry.get('native_note', 'refit to get them')})")
        entry = {**entry, "files": []}
        loader = _no_members(model_dir, name, entry.get("native_note", ""))
    else:
        loader = _member_loader(model_dir, entry, n_jobs, verify=False)
    if verify:
        for f in entry["files"]:
            _verify(model_dir / f["file"], f["sha256"])
    if tinfo is not None and not native:
        tp = model_dir / tinfo["file"]
        if verify:
            _verify(tp, tinfo["sha256"])
        try:
            with np.load(tp, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            tables = EnvelopeModel.from_arrays(arrays) if is_envelope_arrays(arrays) else TableModel.from_arrays(arrays)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelFileError(f"{tp}: unreadable compiled tables ({exc})") from None
        return SurrogateEnsemble(name, tables=tables, transform=entry["transform"], member_loader=loader)
    return SurrogateEnsemble(name, loader(), compile=compile)


def _no_members(model_dir: Path, name: str, note: str):
    """The member loader of a tables-only target: the tables are the members, compiled exactly."""
    def load() -> list:
        raise ModelFileError(f"{model_dir}: {name} ships compiled tables only, not its native members ({note})")

    return load


def _load_support(model_dir: Path, manifest: dict, verify: bool) -> Optional[np.ndarray]:
    info = manifest.get("support")
    if info is None:
        return None
    path = model_dir / info["file"]
    if verify:
        _verify(path, info["sha256"])
    try:
        with np.load(path, allow_pickle=False) as z:
            codes = np.asarray(z["codes"], dtype=np.uint8)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelFileError(f"{path}: unreadable support codes ({exc})") from None
    if codes.ndim != 2 or codes.shape[1] != 28:
        raise ModelFileError(f"{path}: support codes of shape {codes.shape}, expected (n, 28)")
    return codes
