"""Benchmark variants: other, equally defensible surrogates of the same data.

An optimizer ranking that holds on one surrogate may not hold on another (NAS-Bench-301's
question). The variants are:

* ``ensemble`` (alias ``anb``): the shipped model set, ensemble mean (today's benchmark);
* ``member:K``: the shipped set's K-th member alone (K < the smallest ensemble size over the
  targets; for a target whose ensemble has more members, e.g. TPUv3's XGBoost + GP, member K
  of its list, an XGBoost member);
* a second family fitted on the same split, shipped in its own model directory
  (``models/<family>/``), e.g. ``lgb``.

The std of ``member:K`` is the ensemble's calibrated predictive std at that architecture: one
member has no spread of its own, and the calibration was fitted for the ensemble mean, so a
member's errors are, if anything, somewhat larger than that std says (docs/robustness.md).
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Optional

from naslib_anb.errors import UnknownChoiceError

DEFAULT_VARIANT = "ensemble"
#: names that mean the default variant
ALIASES = {"anb": DEFAULT_VARIANT}
MEMBER_PREFIX = "member:"
#: second families shipped beside the default set: directory name under surrogates/models -> description
SECOND_FAMILIES = {
    "lgb": "LightGBM ensembles for all 11 targets, fitted on the same train split (models/lgb)",
}


class UnknownVariantError(UnknownChoiceError):
    kind = "benchmark variant"


def family_model_dir(family: str) -> Path:
    """The shipped model directory of a second family (may be absent in a partial install)."""
    from naslib_anb.surrogates import default_model_dir

    return default_model_dir().parent / family


@lru_cache(maxsize=None)
def member_count(model_dir: Optional[str] = None) -> int:
    """Members every target of the (shipped) model set has: ``member:K`` takes K below it."""
    from naslib_anb.surrogates import default_model_dir

    path = Path(model_dir) if model_dir is not None else default_model_dir()
    manifest = json.loads((path / "manifest.json").read_text())
    return min(len(entry["files"]) for entry in manifest["targets"].values())


def list_variants() -> dict[str, str]:
    """Every variant's name and a one-line description."""
    out = {DEFAULT_VARIANT: "the shipped ensemble: mean of its members, calibrated std (default; alias 'anb')"}
    for k in range(member_count()):
        out[f"{MEMBER_PREFIX}{k}"] = (f"member {k} of the shipped ensemble alone; std: the ensemble's "
                                      "calibrated std")
    for family, text in SECOND_FAMILIES.items():
        if (family_model_dir(family) / "manifest.json").exists():
            out[family] = text
    return out


def resolve_variant(name: object) -> str:
    """The canonical variant name; one-line :class:`UnknownVariantError` otherwise."""
    valid = list_variants()
    if isinstance(name, str):
        name = ALIASES.get(name, name)
        if name in valid:
            return name
    shown = list(valid)
    n = member_count()
    if n > 2:  # name the member range instead of every member
        shown = [v for v in shown if not v.startswith(MEMBER_PREFIX)]
        shown.insert(1, f"{MEMBER_PREFIX}K (K = 0..{n - 1})")
    raise UnknownVariantError(name, shown)


def check_variant(name: object, others: tuple = (), hint: str = "") -> str:
    """:func:`resolve_variant` where other benchmark names are valid too: an unknown name lists
    ``others`` beside the variants, as one :class:`UnknownChoiceError`."""
    try:
        return resolve_variant(name)
    except UnknownVariantError as exc:
        raise UnknownChoiceError(name, [*others, *exc.choices], hint) from None


def member_index(variant: str) -> Optional[int]:
    """K of ``member:K`` (None for other variants)."""
    if variant.startswith(MEMBER_PREFIX):
        return int(variant[len(MEMBER_PREFIX):])
    return None


def parse_variants(spec: str) -> list[str]:
    """``all`` or a comma list of variant names (validated, deduplicated, order kept)."""
    if not isinstance(spec, str) or not spec.strip():
        raise UnknownVariantError(spec, ["all", *list_variants()])
    if spec.strip() == "all":
        return list(list_variants())
    out: list[str] = []
    for part in spec.split(","):
        v = resolve_variant(part.strip())
        if v not in out:
            out.append(v)
    return out


__all__ = ["DEFAULT_VARIANT", "UnknownVariantError", "list_variants", "resolve_variant", "check_variant", "member_index",
           "parse_variants", "family_model_dir", "member_count"]
