"""The ANB dataset: 5,138 typed records, duplicates, regimes, splits, DataFrame export."""
from __future__ import annotations

import json
import math
import re
import tarfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence

import numpy as np

from naslib_anb.data.records import Record, parse_record
from naslib_anb.data.source import PathLike, resolve_data_path
from naslib_anb.errors import ConfigError, CorruptDataError, DataNotFoundError, UnknownChoiceError
from naslib_anb.space.arch import Arch
from naslib_anb.targets import TARGETS, get_target

_NAME = re.compile(r"^result_(\d+)$")
SPLIT_NAMES = ("train", "val", "test")


def _index_of(stem: str) -> Optional[int]:
    m = _NAME.match(stem)
    return int(m.group(1)) if m else None


#: Largest decompressed archive we read (the upstream one is ~20 MB): a bound, not a bomb.
MAX_ARCHIVE_BYTES = 1 << 30
_BLOCK = 512


def _decompressed(path: Path) -> bytes:
    """The whole tar stream, decompressed and checked to its end (a truncated stream is an error)."""
    import bz2
    import gzip
    import lzma
    import zlib

    try:
        with open(path, "rb") as f:
            magic = f.read(6)
    except FileNotFoundError as exc:
        raise DataNotFoundError(f"{path}: {exc.strerror}") from None
    except OSError as exc:
        raise CorruptDataError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    opener = {b"\x1f\x8b": gzip.open, b"BZ": bz2.open, b"\xfd7": lzma.open}.get(magic[:2], open)
    chunks, total = [], 0
    try:
        with opener(path, "rb") as f:
            while True:
                block = f.read(1 << 20)
                if not block:
                    break
                total += len(block)
                if total > MAX_ARCHIVE_BYTES:
                    raise CorruptDataError(f"{path}: more than {MAX_ARCHIVE_BYTES >> 20} MiB once decompressed; "
                                           "not a dataset archive")
                chunks.append(block)
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
        raise CorruptDataError(f"{path}: truncated or corrupt compressed archive ({exc})") from None
    return b"".join(chunks)


def _load_json(data: bytes, where: str):
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptDataError(f"{where}: not valid JSON ({exc})") from None
    except RecursionError:
        raise CorruptDataError(f"{where}: JSON nested too deeply to be a result record") from None


def _read_tarball(path: Path) -> list[Record]:
    """Every ``*.json`` member of a tar archive; the archive must be whole, up to its end-of-archive block."""
    import io

    data = _decompressed(path)
    records = []
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tf:
            for member in tf:
                if not member.isfile() or not member.name.endswith(".json"):
                    continue
                stem = Path(member.name).stem
                f = tf.extractfile(member)
                if f is None:
                    continue
                where = f"{path}:{member.name}"
                obj = _load_json(f.read(), where)
                records.append(parse_record(obj, stem, _index_of(stem), where=where))
            end = tf.offset
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, CorruptDataError):
            raise
        raise CorruptDataError(f"{path}: truncated or not a tar archive ({exc})") from None
    # tarfile stops quietly at a truncated or garbled header after the first member: a whole
    # archive ends with a zero block exactly where reading stopped
    # archive ends with zero blocks where reading stopped, and nothing but zeros after them
    if data[end:end + _BLOCK] != bytes(_BLOCK) or data[end:].strip(b"\0"):
        raise CorruptDataError(f"{path}: the archive is truncated or damaged after {len(records)} records "
                               f"(no clean end-of-archive at byte {end} of {len(data)})")
    return records


def _read_directory(path: Path) -> list[Record]:
    records = []
    for p in sorted(path.glob("*.json")):
        try:
            if p.is_dir():
                raise CorruptDataError(f"{p}: is a directory, not a result file")
            data = p.read_bytes()
        except OSError as exc:  # a symlink loop, a dangling link, no permission
            raise CorruptDataError(f"{p}: cannot read it ({exc.strerror or exc})") from None
        obj = _load_json(data, str(p))
        records.append(parse_record(obj, p.stem, _index_of(p.stem), where=str(p)))
    return records


@dataclass(frozen=True)
class Split:
    train: tuple[Record, ...]
    val: tuple[Record, ...]
    test: tuple[Record, ...]

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}


class Dataset(Sequence[Record]):
    """Records in file-index order. Missing device values stay missing (NaN in arrays)."""

    def __init__(self, records: Iterable[Record], source: Optional[str] = None):
        recs = list(records)
        recs.sort(key=lambda r: (r.index is None, r.index if r.index is not None else 0, r.name))
        self._records = tuple(recs)
        self._by_name = {r.name: r for r in recs}
        if len(self._by_name) != len(recs):
            raise CorruptDataError("two records share one file name")
        self.source = source

    # Sequence protocol
    def __len__(self) -> int:
        return len(self._records)

    def __getitem__(self, i):  # type: ignore[override]
        return self._records[i]

    def __iter__(self) -> Iterator[Record]:
        return iter(self._records)

    def by_name(self, name: str) -> Record:
        stem = Path(name).stem
        try:
            return self._by_name[stem]
        except KeyError:
            raise UnknownChoiceError(name, list(self._by_name)[:5] + ["..."], "record names") from None

    @property
    def archs(self) -> list[Arch]:
        return [r.arch for r in self._records]

    def duplicates(self) -> list[tuple[str, ...]]:
        """Groups of record names that share one architecture (13 pairs upstream)."""
        groups: dict[Arch, list[str]] = defaultdict(list)
        for r in self._records:
            groups[r.arch].append(r.name)
        return [tuple(v) for v in groups.values() if len(v) > 1]

    def unique(self) -> "Dataset":
        """First record (lowest file index) of each architecture."""
        seen: set[Arch] = set()
        keep = []
        for r in self._records:
            if r.arch not in seen:
                seen.add(r.arch)
                keep.append(r)
        return Dataset(keep, self.source)

    def regime_counts(self) -> dict[int, int]:
        out: dict[int, int] = defaultdict(int)
        for r in self._records:
            if r.regime is not None:
                out[r.regime] += 1
        return dict(sorted(out.items()))

    def values(self, target: str) -> np.ndarray:
        """(n,) float64 of a target; NaN where not measured."""
        get_target(target)
        return np.asarray([r.value(target) for r in self._records], dtype=np.float64)

    # -- splits -------------------------------------------------------------------------
    def split_from_files(self, directory: PathLike) -> Split:
        """Upstream-style split from ``default_split_{train,val,test}.json`` (paths, basenames count)."""
        d = Path(directory)
        parts = {}
        for name in SPLIT_NAMES:
            f = d / f"default_split_{name}.json"
            if not f.exists():
                raise DataNotFoundError(f"split file {f} not found")
            try:
                paths = json.loads(f.read_text())
            except json.JSONDecodeError as exc:
                raise CorruptDataError(f"{f}: not valid JSON ({exc})") from None
            parts[name] = tuple(self.by_name(Path(p).stem) for p in paths)
        return Split(**parts)

    def default_split(self, directory: Optional[PathLike] = None) -> Split:
        """The upstream default split (4100/512/512). Files ship with the package."""
        if directory is None:
            from importlib.resources import files

            directory = Path(str(files("naslib_anb.data").joinpath("splits")))
        return self.split_from_files(directory)

    def random_split(self, seed: int, fractions: Sequence[float] = (0.8, 0.1, 0.1)) -> Split:
        """Seeded split of unique architectures, stable across processes (no hash ordering)."""
        if len(fractions) != 3 or any(f < 0 for f in fractions) or not math.isclose(sum(fractions), 1.0):
            raise ConfigError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
        uniq = sorted(self.unique(), key=lambda r: str(r.arch))
        perm = np.random.default_rng(seed).permutation(len(uniq))
        n = len(uniq)
        a = int(round(fractions[0] * n))
        b = a + int(round(fractions[1] * n))
        shuffled = [uniq[i] for i in perm]
        return Split(tuple(shuffled[:a]), tuple(shuffled[a:b]), tuple(shuffled[b:]))

    def get_split(self, name: str = "default", seed: int = 0) -> Split:
        if name == "default":
            return self.default_split()
        if name == "random":
            return self.random_split(seed)
        raise UnknownChoiceError(name, ("default", "random"), "splits")

    # -- export -------------------------------------------------------------------------
    def to_dataframe(self):
        """One row per record; one column per target (units in ``df.attrs['units']``)."""
        import pandas as pd

        rows = []
        for r in self._records:
            row = {"name": r.name, "index": r.index, "arch": str(r.arch), "regime": r.regime,
                   "macs_m": r.macs_m, "params_m": r.params_m}
            for t in TARGETS:
                row[t] = r.value(t)
            for key, m in r.perf.items():
                row[f"{key}_std"] = math.nan if m.std is None else m.std
            rows.append(row)
        df = pd.DataFrame(rows)
        units = {t: TARGETS[t].unit for t in TARGETS}
        units.update({"macs_m": "M MACs (thop @224, incl. BN and pooling)", "params_m": "M params"})
        df.attrs["units"] = units
        return df

    def summary(self) -> dict:
        split = None
        try:
            split = self.default_split().sizes()
        except (DataNotFoundError, UnknownChoiceError):
            pass
        missing = {t: int(np.isnan(self.values(t)).sum()) for t in TARGETS}
        return {
            "source": self.source,
            "records": len(self),
            "unique_architectures": len(self.unique()),
            "duplicate_groups": len(self.duplicates()),
            "regimes": self.regime_counts(),
            "default_split": split,
            "missing": {k: v for k, v in missing.items() if v},
            "targets": {t: {"unit": TARGETS[t].unit, "mean": _mean_or_none(self.values(t))} for t in TARGETS},
        }


def _mean_or_none(values) -> Optional[float]:
    """The mean of the measured values; None when nothing is measured (never NaN in JSON)."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else None


def load_dataset(path: Optional[PathLike] = None, allow_download: bool = False,
                 how_to_pass: str = "load_dataset(PATH)") -> Dataset:
    """Load the ANB dataset (tarball or a directory of ``result_*.json``); schema checked.

    Without ``path`` the data is found by :func:`naslib_anb.data.source.resolve_data_path`'s rule;
    the network is used only with ``allow_download=True``.
    """
    p = resolve_data_path(path, allow_download=allow_download, how_to_pass=how_to_pass)
    if p.is_dir():
        records = _read_directory(p)
    else:
        records = _read_tarball(p)
    if not records:
        raise CorruptDataError(f"{p}: no result_*.json records found")
    return Dataset(records, source=str(p))
