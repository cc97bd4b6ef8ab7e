"""The architecture as plain, frozen, hashable data.

An :class:`Arch` knows how to spell itself (canonical string, upstream dict, nested
lists, timm block strings) and nothing about models, surrogates or benchmarks.
"""
from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from naslib_anb.errors import InvalidArchitectureError

NUM_STAGES = 7
EXPANSIONS = (1, 4, 6)
KERNELS = (3, 5)
LAYERS = (1, 2, 3)
LAYERS_STAGE5 = (1, 2, 3, 4)
SE_CHOICES = (True, False)  # upstream order: se=True has ordinal index 0

#: Fixed macro skeleton (not searched): per-stage stride and channels.
STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)
STAGE_IN_CHANNELS = (32, 16, 24, 40, 80, 112, 192)
STAGE_OUT_CHANNELS = (16, 24, 40, 80, 112, 192, 320)
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
NUM_CLASSES = 1000

FIELDS = ("e", "k", "l", "se")


def layer_choices(stage: int) -> tuple[int, ...]:
    """Valid layer counts of one stage (stage 5 alone allows 4)."""
    return LAYERS_STAGE5 if stage == 5 else LAYERS


def field_choices(stage: int, field: str) -> tuple[Any, ...]:
    """Valid values of one field of one stage, in upstream ConfigSpace order."""
    if field == "e":
        return EXPANSIONS
    if field == "k":
        return KERNELS
    if field == "l":
        return layer_choices(stage)
    if field == "se":
        return SE_CHOICES
    raise InvalidArchitectureError(field, f"unknown field; valid: {', '.join(FIELDS)}")


@dataclass(frozen=True)
class Stage:
    """One MBConv stage: expansion ratio, depthwise kernel, layer count, squeeze-excite."""

    e: int
    k: int
    l: int  # noqa: E741  (the paper's name)
    se: bool

    @property
    def token(self) -> str:
        return f"e{self.e}k{self.k}l{self.l}s{int(self.se)}"


_TOKEN = re.compile(r"^e(?P<e>[0-9]+)k(?P<k>[0-9]+)l(?P<l>[0-9]+)s(?P<se>[0-9]+)$")


def _scalar(value: Any) -> Any:
    """numpy scalars (and 0-d arrays) as the Python scalar they hold; anything else unchanged."""
    if type(value).__module__ == "numpy":
        if getattr(value, "ndim", None) == 0:
            try:
                return value.item()
            except (TypeError, ValueError):
                return value
    return value


def _check_value(arch: object, stage: int, field: str, value: Any) -> Any:
    choices = field_choices(stage, field)
    value = _scalar(value)
    if field == "se":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise InvalidArchitectureError(
            arch, f"stage {stage} field 'se' is {value!r}; valid: True/False (or 1/0)"
        )
    if isinstance(value, bool) or not isinstance(value, int):
        # integer-like objects (operator.index) are accepted; floats, bools and arrays are not
        try:
            value = operator.index(value)
        except Exception:  # noqa: BLE001  (any object may be passed; none may crash the check)
            raise InvalidArchitectureError(
                arch,
                f"stage {stage} field {field!r} is {value!r} of type "
                f"{type(value).__name__}; valid: {list(choices)}",
            ) from None
        if isinstance(value, bool):
            raise InvalidArchitectureError(arch, f"stage {stage} field {field!r} is a bool; valid: {list(choices)}")
    if value not in choices:
        raise InvalidArchitectureError(
            arch, f"stage {stage} field {field!r} is {value}; valid: {list(choices)}"
        )
    return value


def _column(cols: Mapping[str, Any], name: str, col: Any) -> list[Any]:
    """One field's 7 values as a list; a clear error for anything that is not a 7-long sequence."""
    if type(col).__module__ == "numpy" and getattr(col, "ndim", None) == 1:
        col = list(col)
    if isinstance(col, (str, bytes, Mapping)) or not isinstance(col, (list, tuple)) or len(col) != NUM_STAGES:
        raise InvalidArchitectureError(cols, f"field {name!r} needs {NUM_STAGES} values, got {col!r}")
    return list(col)


#: Names accepted for well-known architectures wherever an architecture string is (case-insensitive).
ALIASES = {
    "b0": "e1k3l1s1-e6k3l2s1-e6k5l2s1-e6k3l3s1-e6k5l3s1-e6k5l4s1-e6k3l1s1",
    "efficientnet-b0": "e1k3l1s1-e6k3l2s1-e6k5l2s1-e6k3l3s1-e6k5l3s1-e6k5l4s1-e6k3l1s1",
    "efficientnet_b0": "e1k3l1s1-e6k3l2s1-e6k5l2s1-e6k3l3s1-e6k5l3s1-e6k5l4s1-e6k3l1s1",
}


@dataclass(frozen=True)
class Arch:
    """A point of the 7-stage MnasNet/EfficientNet space.

    Build one from any spelling with :meth:`parse`; ``str(arch)`` is the canonical form
    ``e{e}k{k}l{l}s{0|1}`` per stage, joined by ``-``.
    """

    stages: tuple[Stage, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.stages, tuple) or len(self.stages) != NUM_STAGES:
            raise InvalidArchitectureError(
                self.stages, f"needs exactly {NUM_STAGES} stages as a tuple"
            )
        for i, s in enumerate(self.stages):
            if not isinstance(s, Stage):
                raise InvalidArchitectureError(self.stages, f"stage {i} is not a Stage")
            for f in FIELDS:
                _check_value(self.stages, i, f, getattr(s, f))

    # -- construction ---------------------------------------------------------------
    @classmethod
    def from_fields(
        cls, e: Sequence[int], k: Sequence[int], l: Sequence[int], se: Sequence[Any]  # noqa: E741
    ) -> "Arch":
        raw = {"e": e, "k": k, "l": l, "se": se}
        cols = {name: _column(raw, name, col) for name, col in raw.items()}
        stages = []
        for i in range(NUM_STAGES):
            vals = {f: _check_value(cols, i, f, cols[f][i]) for f in FIELDS}
            stages.append(Stage(**vals))
        return cls(tuple(stages))

    @classmethod
    def from_string(cls, text: str) -> "Arch":
        if not isinstance(text, str):
            raise InvalidArchitectureError(text, "expected a string")
        alias = ALIASES.get(text.strip().lower())
        if alias is not None:
            text = alias
        parts = text.strip().split("-")
        if len(parts) != NUM_STAGES:
            raise InvalidArchitectureError(
                text,
                f"expected {NUM_STAGES} stage tokens 'e{{e}}k{{k}}l{{l}}s{{0|1}}' joined by '-', "
                f"got {len(parts)} (or an alias: {', '.join(ALIASES)})",
            )
        cols: dict[str, list[int]] = {f: [] for f in FIELDS}
        for i, tok in enumerate(parts):
            m = _TOKEN.match(tok)
            if not m:
                raise InvalidArchitectureError(
                    text, f"stage {i} token {tok!r} is not of the form 'e{{e}}k{{k}}l{{l}}s{{0|1}}'"
                )
            for f in FIELDS:
                raw = m.group(f)
                if len(raw) > 1 and raw.startswith("0") or len(raw) > 3:
                    raise InvalidArchitectureError(
                        text, f"stage {i} field {f!r} is {raw!r}; valid: {list(field_choices(i, f))}"
                    )
                cols[f].append(int(raw))
        arch = cls.from_fields(**cols)
        return arch

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Arch":
        """From upstream's 28-key dict ``block{i}_{e,k,l,se}`` (extra keys are an error)."""
        if not isinstance(d, Mapping):
            raise InvalidArchitectureError(d, "expected a mapping with keys block{i}_{e,k,l,se}")
        expected = {f"block{i}_{f}" for i in range(NUM_STAGES) for f in FIELDS}
        missing = sorted(expected - set(d))
        extra = sorted(set(map(str, d)) - expected)
        if missing or extra:
            raise InvalidArchitectureError(
                d, f"missing keys {missing[:4]}{'...' if len(missing) > 4 else ''}, "
                f"unexpected keys {extra[:4]}; valid keys are block0_e .. block6_se"
            )
        cols = {f: [d[f"block{i}_{f}"] for i in range(NUM_STAGES)] for f in FIELDS}
        return cls.from_fields(**cols)

    @classmethod
    def from_lists(cls, lists: Sequence[Sequence[Any]]) -> "Arch":
        """From the nested form ``[[e x7], [k x7], [l x7], [se x7]]``."""
        if type(lists).__module__ == "numpy" and getattr(lists, "ndim", None) in (1, 2):
            lists = lists.tolist()
        if not isinstance(lists, (list, tuple)) or len(lists) != 4:
            raise InvalidArchitectureError(lists, "expected [[e x7], [k x7], [l x7], [se x7]]")
        return cls.from_fields(*lists)

    @classmethod
    def from_config(cls, config: Any) -> "Arch":
        """From a ConfigSpace ``Configuration`` (or anything with ``dict(config)``)."""
        try:
            d = dict(config)
        except Exception as exc:  # noqa: BLE001
            raise InvalidArchitectureError(config, f"not a Configuration: {exc}") from None
        return cls.from_dict(d)

    @classmethod
    def parse(cls, obj: Any) -> "Arch":
        """Accept every spelling: Arch, canonical string, upstream dict, nested lists, Configuration."""
        if isinstance(obj, Arch):
            return obj
        if isinstance(obj, str):
            return cls.from_string(obj)
        if isinstance(obj, Mapping):
            return cls.from_dict(obj)
        if hasattr(obj, "get_dictionary") or type(obj).__name__ == "Configuration":
            return cls.from_config(obj)
        if type(obj).__module__ == "numpy" and getattr(obj, "ndim", None) in (1, 2):
            obj = obj.tolist()
        if isinstance(obj, (list, tuple)):
            if len(obj) == 4 * NUM_STAGES:
                return cls.from_tuple(obj)
            return cls.from_lists(obj)
        raise InvalidArchitectureError(
            obj,
            f"cannot read an architecture from {type(obj).__name__}; pass an Arch, a canonical "
            "string (or 'b0'), an upstream dict, [[e],[k],[l],[se]] lists, the 28 ints of "
            "to_tuple() or a Configuration",
        )

    # -- views ------------------------------------------------------------------------
    @property
    def e(self) -> tuple[int, ...]:
        return tuple(s.e for s in self.stages)

    @property
    def k(self) -> tuple[int, ...]:
        return tuple(s.k for s in self.stages)

    @property
    def l(self) -> tuple[int, ...]:  # noqa: E743
        return tuple(s.l for s in self.stages)

    @property
    def se(self) -> tuple[bool, ...]:
        return tuple(s.se for s in self.stages)

    def __str__(self) -> str:
        return "-".join(s.token for s in self.stages)

    def to_string(self) -> str:
        return str(self)

    def to_dict(self) -> dict[str, Any]:
        """Upstream's 28-key dict, in upstream key order."""
        out: dict[str, Any] = {}
        for i, s in enumerate(self.stages):
            out[f"block{i}_e"] = s.e
            out[f"block{i}_k"] = s.k
            out[f"block{i}_l"] = s.l
            out[f"block{i}_se"] = s.se
        return out

    def to_lists(self) -> list[list[Any]]:
        return [list(self.e), list(self.k), list(self.l), list(self.se)]

    def to_config(self, space: Any = None) -> Any:
        """A ConfigSpace ``Configuration`` of :func:`configuration_space`."""
        from ConfigSpace import Configuration

        cs = space if space is not None else configuration_space()
        return Configuration(cs, values=self.to_dict())

    def to_tuple(self) -> tuple[int, ...]:
        """The 28-int spec ``(e, k, l, se) x 7`` used as NASLib hash."""
        out: list[int] = []
        for s in self.stages:
            out += [s.e, s.k, s.l, int(s.se)]
        return tuple(out)

    @classmethod
    def from_tuple(cls, spec: Sequence[int]) -> "Arch":
        if type(spec).__module__ == "numpy" and getattr(spec, "ndim", None) == 1:
            spec = spec.tolist()
        if not isinstance(spec, (list, tuple)) or len(spec) != 4 * NUM_STAGES:
            raise InvalidArchitectureError(spec, f"expected {4 * NUM_STAGES} ints (e, k, l, se) x 7")
        spec = list(spec)
        return cls.from_fields(spec[0::4], spec[1::4], spec[2::4], spec[3::4])

    def to_arch_def(self) -> list[list[str]]:
        """timm EfficientNet block strings; e=1 is timm's depthwise-separable ``ds`` block."""
        out = []
        for i, s in enumerate(self.stages):
            c, st = STAGE_OUT_CHANNELS[i], STAGE_STRIDES[i]
            if s.e == 1:
                blk = f"ds_r{s.l}_k{s.k}_s{st}_c{c}"
            else:
                blk = f"ir_r{s.l}_k{s.k}_s{st}_e{s.e}_c{c}"
            if s.se:
                blk += "_se0.25"
            out.append([blk])
        return out

    def design_list(self) -> list[list[Any]]:
        """Upstream trainer format: ``['MB', e, k, stride, in_ch, out_ch, L, se]`` per stage."""
        return [
            ["MB", s.e, s.k, STAGE_STRIDES[i], STAGE_IN_CHANNELS[i], STAGE_OUT_CHANNELS[i], s.l, s.se]
            for i, s in enumerate(self.stages)
        ]

    @property
    def depth(self) -> int:
        """Number of MBConv layers."""
        return sum(s.l for s in self.stages)


def configuration_space(seed: int | None = None) -> Any:
    """The upstream ConfigSpace: 28 categoricals ``block{i}_{e,k,l,se}``, same choices, order, defaults."""
    from ConfigSpace import Categorical, ConfigurationSpace

    cs = ConfigurationSpace(seed=seed)
    hps = []
    for stage in range(NUM_STAGES):
        for f in FIELDS:
            choices = field_choices(stage, f)
            default = False if f == "se" else choices[0]
            hps.append(Categorical(f"block{stage}_{f}", list(choices), default=default))
    cs.add(hps)
    return cs


EFFICIENTNET_B0 = Arch.from_string("e1k3l1s1-e6k3l2s1-e6k5l2s1-e6k3l3s1-e6k5l3s1-e6k5l4s1-e6k3l1s1")
