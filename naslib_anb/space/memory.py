"""GPU memory that training an architecture with the dataset's recipe p* needs, computed analytically.

The accuracy labels come from one recipe (p*): batch 512 per GPU, progressive resizing up to
192 px, AMP (fp16 activations), SGD with momentum, DDP on 4 x RTX 3090 (24 GB). Whether an
architecture could have been trained at all is a question of memory at the largest resolution.

The figure is the sum of

- the **activations autograd saves** during the forward pass (fp16 under AMP), layer by layer
  as the network (timm ``EfficientNet``, ReLU, hard-sigmoid SE gate, stochastic depth) saves
  them: each convolution's input, each BatchNorm's input, each ReLU's output, the SE product,
  stochastic-depth masks, the classifier's dropout mask and input, the fp32 log-softmax;
- the input batch (fp32, as the loader hands it over);
- per parameter 18 bytes: fp32 weight, fp32 gradient, fp32 momentum buffer, fp32 DDP
  gradient bucket, fp16 weight copy made by autocast.

It ignores what does not depend on the architecture or is transient (CUDA context, cuDNN
workspace, the gradient buffers alive during backward), so it is a lower bound of the
allocator's peak; the feasibility threshold (:mod:`naslib_anb.space.trainability`) is set on
the data with that in mind. A test compares the activation part with the bytes of the
tensors that autograd saves when the real timm model runs on PyTorch's ``meta`` device.

Channels and resolutions at stage boundaries are fixed by the skeleton, so the memory is a
sum of per-stage terms: one table lookup per stage, vectorised over any number of
architectures (no torch at query time).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from naslib_anb.errors import ConfigError
from naslib_anb.space.arch import (
    HEAD_CHANNELS,
    NUM_CLASSES,
    NUM_STAGES,
    STAGE_IN_CHANNELS,
    STAGE_OUT_CHANNELS,
    STAGE_STRIDES,
    STEM_CHANNELS,
    layer_choices,
)
from naslib_anb.space.codes import codes_of, stage_choices, stage_index
from naslib_anb.space.cost import _layer, _out_size, make_divisible

GIB = 2 ** 30


@dataclass(frozen=True)
class TrainingRecipe:
    """What the memory depends on: per-GPU batch, largest training resolution, precisions."""

    batch_size: int = 512
    resolution: int = 192
    activation_bytes: int = 2  # fp16 under AMP
    input_bytes: int = 4  # the loader's fp32 batch
    #: fp32 weight + fp32 grad + fp32 SGD momentum + fp32 DDP bucket + fp16 autocast copy
    bytes_per_param: int = 18

    def __post_init__(self) -> None:
        for name in ("batch_size", "resolution", "activation_bytes", "input_bytes", "bytes_per_param"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ConfigError(f"{name} is {v!r}; valid: a positive int")


#: The recipe behind the dataset's accuracy labels (p*: 512 per GPU, 160 -> 192 px, AMP, SGD, DDP).
P_STAR = TrainingRecipe()


def _stage_resolutions(resolution: int) -> tuple[int, tuple[int, ...]]:
    h = _out_size(resolution, 3, 2)
    stem = h
    outs = []
    for i in range(NUM_STAGES):
        h = _out_size(h, 3, STAGE_STRIDES[i])  # padding (k-1)//2 makes the size kernel-free
        outs.append(h)
    return stem, tuple(outs)


def _layer_bytes(cin: int, cout: int, e: int, se: bool, stride: int, h_in: int, h: int,
                 r: TrainingRecipe) -> int:
    """Saved bytes for one sample through one MBConv layer (without its input)."""
    a = r.activation_bytes
    mid = make_divisible(cin * e, 8)
    elems = 2 * cout * h * h  # projection conv output (BN input) + the layer's output (next input)
    if mid != cin:  # 1x1 expansion: its output (BN input) and the ReLU output
        elems += 2 * mid * h_in * h_in
    elems += 2 * mid * h * h  # depthwise conv output (BN input) and the ReLU output
    if se:
        sq = max(1, cin // 4)
        elems += mid * h * h  # x * gate, the projection conv's input
        elems += 3 * mid + sq  # pooled, reduced (ReLU out), expanded (gate input), gate
    if stride == 1 and cin == cout:
        elems += 1  # stochastic-depth keep mask (one value per sample)
    return elems * a


def _fixed_bytes(r: TrainingRecipe, h_stem: int, h_last: int) -> int:
    """Per-sample saved bytes outside the stages: stem, head, classifier, loss."""
    a = r.activation_bytes
    stem = (3 * r.resolution * r.resolution + 2 * STEM_CHANNELS * h_stem * h_stem) * a
    head = 2 * HEAD_CHANNELS * h_last * h_last * a  # head conv output (BN input) and ReLU output
    classifier = HEAD_CHANNELS * (1 + a)  # dropout mask (bool) and dropout output (Linear input)
    loss = NUM_CLASSES * 4  # log-softmax output, fp32 under autocast
    return stem + head + classifier + loss


_stage_choices = stage_choices  # the names this module used to define
_stage_index = stage_index


@lru_cache(maxsize=16)
def _tables(r: TrainingRecipe) -> tuple[int, np.ndarray, int, np.ndarray]:
    """(fixed bytes, (7, 48) stage bytes, fixed params, (7, 48) stage params); unused slots are 0."""
    h_stem, outs = _stage_resolutions(r.resolution)
    per_sample = np.zeros((NUM_STAGES, 48), dtype=np.int64)
    params = np.zeros((NUM_STAGES, 48), dtype=np.int64)
    h_in = h_stem
    for i in range(NUM_STAGES):
        for j, (e, k, l, se) in enumerate(_stage_choices(i)):
            cin, stride, h, total, p = STAGE_IN_CHANNELS[i], STAGE_STRIDES[i], h_in, 0, 0
            for _ in range(l):
                h_out = _out_size(h, k, stride)
                total += _layer_bytes(cin, STAGE_OUT_CHANNELS[i], e, se, stride, h, h_out, r)
                p += _layer(cin, STAGE_OUT_CHANNELS[i], e, k, stride, se, h)[0].params
                cin, stride, h = STAGE_OUT_CHANNELS[i], 1, h_out
            per_sample[i, j] = total
            params[i, j] = p
        h_in = outs[i]
    fixed = _fixed_bytes(r, h_stem, outs[-1])
    last = STAGE_OUT_CHANNELS[-1]
    fixed_params = (3 * STEM_CHANNELS * 9 + 2 * STEM_CHANNELS + last * HEAD_CHANNELS + 2 * HEAD_CHANNELS
                    + HEAD_CHANNELS * NUM_CLASSES + NUM_CLASSES)
    return fixed, per_sample, fixed_params, params


@lru_cache(maxsize=16)
def _row_tables(r: TrainingRecipe) -> tuple[int, tuple[tuple[int, ...], ...]]:
    """Total bytes as plain ints: (everything outside the stages, per-stage bytes per choice)."""
    fixed, per_sample, fixed_params, params = _tables(r)
    base = (fixed * r.batch_size + 3 * r.resolution ** 2 * r.input_bytes * r.batch_size
            + fixed_params * r.bytes_per_param)
    stages = per_sample * r.batch_size + params * r.bytes_per_param
    return int(base), tuple(tuple(int(v) for v in row) for row in stages.tolist())


_N_LAYER_CHOICES = tuple(len(layer_choices(i)) for i in range(NUM_STAGES))


def stage_term(stage: int, e: int, k: int, l: int, se: int, recipe: TrainingRecipe = P_STAR) -> int:  # noqa: E741
    """Bytes that one stage contributes, from its four ordinal indices (pure Python, for hot loops)."""
    return _row_tables(recipe)[1][stage][((e * 2 + k) * _N_LAYER_CHOICES[stage] + l) * 2 + se]


def row_terms(code, recipe: TrainingRecipe = P_STAR) -> tuple[int, list[int]]:
    """(bytes outside the stages, [bytes of each stage]) of one 28-int ordinal code; total = sum.

    Memory is additive over stages, so a one-decision change only swaps one term: mutation
    checks a candidate in constant time.
    """
    base, terms = _row_terms(tuple(int(v) for v in code), recipe)
    return base, list(terms)


@lru_cache(maxsize=4096)
def _row_terms(code: tuple[int, ...], recipe: TrainingRecipe) -> tuple[int, tuple[int, ...]]:
    base, _ = _row_tables(recipe)
    return base, tuple(stage_term(i, *code[4 * i:4 * i + 4], recipe=recipe) for i in range(NUM_STAGES))


@dataclass(frozen=True)
class TrainMemory:
    """Bytes per architecture, split by where they go ((n,) int64 arrays)."""

    activations: np.ndarray
    inputs: np.ndarray
    parameters: np.ndarray
    params: np.ndarray  # parameter count

    @property
    def total(self) -> np.ndarray:
        return self.activations + self.inputs + self.parameters

    @property
    def gib(self) -> np.ndarray:
        return self.total / GIB


def train_memory(archs, recipe: TrainingRecipe = P_STAR) -> TrainMemory:
    """Memory to train each architecture with ``recipe`` (architectures or (n, 28) ordinal codes)."""
    idx = _stage_index(codes_of(archs))
    fixed, per_sample, fixed_params, params = _tables(recipe)
    rows = np.arange(NUM_STAGES)
    acts = (fixed + per_sample[rows, idx].sum(axis=1)) * recipe.batch_size
    n_params = fixed_params + params[rows, idx].sum(axis=1)
    inputs = np.full(idx.shape[0], 3 * recipe.resolution ** 2 * recipe.input_bytes * recipe.batch_size,
                     dtype=np.int64)
    return TrainMemory(acts.astype(np.int64), inputs, n_params * recipe.bytes_per_param, n_params)


def train_memory_gib(archs, recipe: TrainingRecipe = P_STAR) -> np.ndarray:
    """(n,) float64 GiB that training each architecture with ``recipe`` needs (see module doc)."""
    return train_memory(archs, recipe).gib


__all__ = ["TrainingRecipe", "P_STAR", "TrainMemory", "train_memory", "train_memory_gib", "GIB", "stage_term",
           "row_terms"]
