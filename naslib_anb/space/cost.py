"""Analytic parameter and MAC counts from the architecture alone.

Follows the upstream network (``AccelNet``) layer by layer with thop 0.1.1's counting
rules, because that is how the dataset's ``model_info`` was produced: a conv counts
out_numel * (in/groups) * k^2 (bias ignored), BatchNorm 4 * numel (affine), adaptive
average pooling (H*W + 1) * C, Linear in * out, activations 0. MACs therefore include
BN and pooling and are higher than pure conv+FC MACs.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from naslib_anb.errors import ConfigError
from naslib_anb.space.arch import (
    HEAD_CHANNELS,
    NUM_CLASSES,
    STAGE_IN_CHANNELS,
    STAGE_OUT_CHANNELS,
    STAGE_STRIDES,
    STEM_CHANNELS,
    Arch,
)


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """TF/MobileNet channel rounding used by the upstream model."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _out_size(h: int, k: int, s: int) -> int:
    p = (k - 1) // 2
    return (h + 2 * p - k) // s + 1


@dataclass(frozen=True)
class Cost:
    params: int
    macs: int

    def __add__(self, other: "Cost") -> "Cost":
        return Cost(self.params + other.params, self.macs + other.macs)


_ZERO = Cost(0, 0)


def _conv(cin: int, cout: int, k: int, h_out: int, groups: int = 1, bias: bool = False) -> Cost:
    params = cout * (cin // groups) * k * k + (cout if bias else 0)
    return Cost(params, h_out * h_out * cout * (cin // groups) * k * k)


def _bn(c: int, h: int) -> Cost:
    return Cost(2 * c, 4 * c * h * h)


def _layer(cin: int, cout: int, e: int, k: int, stride: int, se: bool, h_in: int) -> tuple[Cost, int]:
    mid = make_divisible(cin * e, 8)
    c = _ZERO
    if mid != cin:
        c = c + _conv(cin, mid, 1, h_in) + _bn(mid, h_in)
    h = _out_size(h_in, k, stride)
    c = c + _conv(mid, mid, k, h, groups=mid) + _bn(mid, h)
    if se:
        sq = max(1, cin // 4)
        c = c + Cost(0, (h * h + 1) * mid)  # adaptive avg pool
        c = c + _conv(mid, sq, 1, 1, bias=True) + _conv(sq, mid, 1, 1, bias=True)
    c = c + _conv(mid, cout, 1, h) + _bn(cout, h)
    return c, h


@dataclass(frozen=True)
class ArchCost:
    """Whole-network and per-stage cost at a given input resolution."""

    params: int
    macs: int
    stage_params: tuple[int, ...]
    stage_macs: tuple[int, ...]
    resolution: int

    @property
    def params_m(self) -> float:
        return self.params / 1e6

    @property
    def macs_m(self) -> float:
        return self.macs / 1e6


def arch_cost(arch: Any, resolution: int = 224) -> ArchCost:
    """Exact params and thop-convention MACs (ImageNet head, 1000 classes).

    ``arch`` is any spelling :meth:`Arch.parse` reads (an Arch, a canonical string, 'b0', ...).
    """
    if isinstance(resolution, bool) or not isinstance(resolution, int) or not 32 <= resolution <= 4096:
        raise ConfigError(f"resolution must be an int in [32, 4096] pixels, got {resolution!r}")
    return _arch_cost(Arch.parse(arch), resolution)


@lru_cache(maxsize=65536)
def _arch_cost(arch: Arch, resolution: int) -> ArchCost:
    h = _out_size(resolution, 3, 2)
    total = _conv(3, STEM_CHANNELS, 3, h) + _bn(STEM_CHANNELS, h)
    sp, sm = [], []
    for i, st in enumerate(arch.stages):
        stage_cost = _ZERO
        cin, cout, stride = STAGE_IN_CHANNELS[i], STAGE_OUT_CHANNELS[i], STAGE_STRIDES[i]
        for j in range(st.l):
            lc, h = _layer(cin, cout, st.e, st.k, stride, st.se, h)
            stage_cost = stage_cost + lc
            cin, stride = cout, 1
        sp.append(stage_cost.params)
        sm.append(stage_cost.macs)
        total = total + stage_cost
    last = STAGE_OUT_CHANNELS[-1]
    total = total + _conv(last, HEAD_CHANNELS, 1, h) + _bn(HEAD_CHANNELS, h)
    total = total + Cost(0, (h * h + 1) * HEAD_CHANNELS)
    total = total + Cost(HEAD_CHANNELS * NUM_CLASSES + NUM_CLASSES, HEAD_CHANNELS * NUM_CLASSES)
    return ArchCost(total.params, total.macs, tuple(sp), tuple(sm), resolution)
