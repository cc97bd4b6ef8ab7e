"""Which architectures a sweep measures: from the space, a file, or the dataset.

A manifest is an ordered, de-duplicated list of :class:`Entry`; the output file of an
entry is ``<canonical arch string>.json``, so a resumed sweep finds its own results.

Spec strings (CLI ``--archs``, repeatable):

* ``b0`` - EfficientNet-B0's architecture;
* ``space:N[:SEED]`` - N seeded uniform samples of the space (seed 0 by default);
* ``dataset:N[:SEED]`` - N records drawn (seeded) from the unique dataset architectures;
* ``dataset:result_1,result_17`` - named dataset records;
* ``file:PATH`` or a path - one arch per line (any spelling ``Arch.parse`` accepts, ``#``
  comments), or JSON: a list of archs, or ``{"archs": [...]}``;
* anything else is parsed as one architecture string.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

from naslib_anb.errors import ConfigError, InvalidArchitectureError
from naslib_anb.space import EFFICIENTNET_B0, Arch, make_rng, sample


@dataclass(frozen=True)
class Entry:
    arch: Arch
    name: Optional[str] = None  # dataset record name

    @property
    def key(self) -> str:
        return str(self.arch)

    @property
    def filename(self) -> str:
        return f"{self.key}.json"


def dedupe(entries: Iterable[Entry]) -> list[Entry]:
    seen: set[Arch] = set()
    out = []
    for e in entries:
        if e.arch not in seen:
            seen.add(e.arch)
            out.append(e)
    return out


def from_space(n: int, seed: int = 0) -> list[Entry]:
    if n < 1:
        raise ConfigError(f"space manifest: n={n!r} must be >= 1")
    # the whole space: feasibility is about training with p*; inference can be profiled for any architecture
    archs = sample(make_rng(seed), n, feasible_only=False)
    return [Entry(a) for a in (archs if isinstance(archs, list) else [archs])]


def from_file(path: str | Path) -> list[Entry]:
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"manifest file {p} does not exist")
    text = p.read_text()
    items: Sequence[Any]
    if p.suffix == ".json" or text.lstrip().startswith(("[", "{")):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"manifest file {p}: not valid JSON ({exc})") from None
        items = obj.get("archs", []) if isinstance(obj, dict) else obj
        if not isinstance(items, list):
            raise ConfigError(f"manifest file {p}: expected a list of architectures or {{'archs': [...]}}")
    else:
        items = [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
        items = [ln for ln in items if ln]
    out = []
    for i, it in enumerate(items):
        try:
            out.append(Entry(Arch.parse(it)))
        except InvalidArchitectureError as exc:
            raise ConfigError(f"manifest file {p}, entry {i}: {exc}") from None
    return out


def from_dataset(names: Optional[Sequence[str]] = None, n: Optional[int] = None, seed: int = 0,
                 data_path: Optional[str | Path] = None, dataset: Any = None) -> list[Entry]:
    if dataset is None:
        from naslib_anb.data import load_dataset

        dataset = load_dataset(data_path)
    if names:
        recs = [dataset.by_name(nm) for nm in names]
    else:
        uniq = list(dataset.unique())
        count = len(uniq) if n is None else n
        if not 1 <= count <= len(uniq):
            raise ConfigError(f"dataset manifest: n={n!r}; valid: 1..{len(uniq)}")
        idx = make_rng(seed).choice(len(uniq), size=count, replace=False)
        recs = [uniq[int(i)] for i in sorted(idx)]
    return [Entry(r.arch, r.name) for r in recs]


def _int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"manifest spec: {what} {text!r} is not an integer") from None


def parse_spec(spec: str, data_path: Optional[str | Path] = None) -> list[Entry]:
    """Entries of one spec string (see the module docstring)."""
    spec = spec.strip()
    kind, _, rest = spec.partition(":")
    if spec.lower() in ("b0", "efficientnet_b0", "efficientnet-b0"):
        return [Entry(EFFICIENTNET_B0)]
    if kind == "space":
        parts = rest.split(":")
        return from_space(_int(parts[0], "count"), _int(parts[1], "seed") if len(parts) > 1 else 0)
    if kind == "dataset":
        parts = rest.split(":")
        if parts[0].isdigit():
            return from_dataset(n=int(parts[0]), seed=_int(parts[1], "seed") if len(parts) > 1 else 0,
                                data_path=data_path)
        return from_dataset(names=[s for s in rest.split(",") if s], data_path=data_path)
    if kind == "file":
        return from_file(rest)
    if Path(spec).exists():
        return from_file(spec)
    try:
        return [Entry(Arch.parse(spec))]
    except InvalidArchitectureError as exc:
        raise ConfigError(
            f"manifest spec {spec!r} is neither b0, space:N[:SEED], dataset:N[:SEED], dataset:NAMES, "
            f"file:PATH, an existing file, nor an architecture ({exc.reason})"
        ) from None


def build_manifest(specs: Sequence[str], data_path: Optional[str | Path] = None) -> list[Entry]:
    entries: list[Entry] = []
    for s in specs:
        entries.extend(parse_spec(s, data_path))
    return dedupe(entries)


def write_manifest(entries: Sequence[Entry], path: str | Path) -> Path:
    from naslib_anb.io import atomic_write_text

    return atomic_write_text(path, "".join(f"{e.key}\n" for e in entries))
