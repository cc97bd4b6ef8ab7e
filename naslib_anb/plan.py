"""Measurement plans: the architectures chosen to be trained next, as one JSON file.

``naslib-anb propose`` writes a plan and ``runners/collect.py --plan`` trains exactly its
architectures, so the file is the hand-over between choosing and measuring. It records how
it was made (``meta``: command, variants, seeds) beside the list, and it is validated
whole on reading: an invalid or repeated architecture is an error, never skipped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Union

from naslib_anb.errors import ANBError, ConfigError
from naslib_anb.io import atomic_write_json
from naslib_anb.space.arch import Arch

#: The ``format`` field every plan file carries; a reader refuses other formats.
PLAN_FORMAT = "naslib_anb.plan/1"


@dataclass(frozen=True)
class Plan:
    """Architectures to measure, in order, and how they were chosen."""

    archs: tuple[Arch, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        archs = tuple(Arch.parse(a) for a in self.archs)
        _check_unique(archs, "the plan")
        object.__setattr__(self, "archs", archs)

    def to_json(self) -> dict[str, Any]:
        return {"format": PLAN_FORMAT, "n": len(self.archs),
                "archs": [str(a) for a in self.archs], "meta": dict(self.meta)}


def _check_unique(archs: Iterable[Arch], where: str) -> None:
    seen: dict[str, int] = {}
    for i, a in enumerate(archs):
        s = str(a)
        if s in seen:
            raise ConfigError(f"{where} lists architecture {s} twice (entries {seen[s]} and {i})")
        seen[s] = i


def write_plan(path: Union[str, Path], plan: Plan) -> Path:
    """Write ``plan`` atomically; an existing file is never overwritten (plans are records)."""
    path = Path(path)
    if path.exists():
        raise ConfigError(f"plan file {path} exists; choose another --out (plans are never overwritten)")
    return atomic_write_json(path, plan.to_json())


def read_plan(path: Union[str, Path]) -> Plan:
    """The plan in ``path``; ConfigError naming the file and the first bad entry otherwise."""
    import json

    path = Path(path)
    try:
        obj = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"plan file not found: {path}") from None
    except (OSError, ValueError) as e:
        raise ConfigError(f"plan file {path} is not readable JSON: {e}") from None
    if not isinstance(obj, dict) or obj.get("format") != PLAN_FORMAT:
        raise ConfigError(f"{path} is not a plan file (expected a JSON object with format {PLAN_FORMAT!r}, "
                          "as `naslib-anb propose` writes)")
    raw = obj.get("archs")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"plan file {path} has no architectures (its 'archs' must be a non-empty list)")
    archs = []
    for i, a in enumerate(raw):
        try:
            archs.append(Arch.parse(a))
        except ANBError as e:
            raise ConfigError(f"plan file {path}, entry {i}: {e}") from None
    _check_unique(archs, f"plan file {path}")
    meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
    return Plan(tuple(archs), meta)


__all__ = ["PLAN_FORMAT", "Plan", "read_plan", "write_plan"]
