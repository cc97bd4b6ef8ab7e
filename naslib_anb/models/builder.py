"""Build a space member as a timm ``EfficientNet``.

The mapping is the one in ``Arch.to_arch_def``: an e=1 stage is timm's depthwise-separable
``ds`` block (no 1x1 expansion conv), e in {4, 6} is ``ir``. timm's builder divides the SE
ratio by the expansion ratio (``se_from_exp=False``), so the SE width is ``in_ch // 4``, as in
the upstream network. Stem 32, head 1280, PyTorch BatchNorm defaults.

torch and timm are imported inside the functions so that ``import naslib_anb`` stays light.
"""
from __future__ import annotations

from functools import lru_cache, partial
from typing import Any

from naslib_anb.errors import ConfigError, UnknownChoiceError
from naslib_anb.space.arch import HEAD_CHANNELS, NUM_CLASSES, STEM_CHANNELS, Arch

#: ``relu``: ReLU everywhere and a hard-sigmoid SE gate (the variant behind the dataset).
#: ``silu``: SiLU everywhere and a sigmoid SE gate (upstream's full-length retraining).
ACTIVATIONS = ("relu", "silu")
INITS = ("anb", "anb_fanin", "timm")


def _layers(activation: str):
    import torch.nn as nn

    if activation == "relu":
        return nn.ReLU, nn.Hardsigmoid
    if activation == "silu":
        return nn.SiLU, nn.Sigmoid
    raise UnknownChoiceError(activation, ACTIVATIONS, "the activation of the network")


def _init_anb(model: Any) -> None:
    """Upstream initialisation: conv kaiming-normal fan_out, BN 1/0, Linear U(+-1/sqrt(out)), bias 0."""
    import math

    import torch.nn as nn

    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            r = 1.0 / math.sqrt(m.out_features)
            nn.init.uniform_(m.weight, -r, r)
            nn.init.zeros_(m.bias)


def _init_classifier_fan_in(model: Any) -> None:
    """Classifier U(+-1/sqrt(in_features)): upstream's U(+-1/sqrt(out)) gives logits of std ~7 at
    initialisation for a 10-class head; on 1000 classes both ranges are about 0.03."""
    import math

    import torch.nn as nn

    r = 1.0 / math.sqrt(model.classifier.in_features)
    nn.init.uniform_(model.classifier.weight, -r, r)
    nn.init.zeros_(model.classifier.bias)


def build_model(
    arch: Any,
    activation: str = "relu",
    drop_rate: float = 0.2,
    drop_path_rate: float = 0.2,
    num_classes: int = NUM_CLASSES,
    **kw: Any,
):
    """Return the network of ``arch`` (any spelling ``Arch.parse`` accepts) as a timm EfficientNet.

    ``drop_rate`` is the dropout before the classifier, ``drop_path_rate`` the stochastic-depth
    rate of the last block (timm scales it linearly with the block index, like upstream).
    Extra keywords: ``init`` ("anb" = upstream initialisation, default; "timm" = timm's),
    ``device`` and ``dtype`` (e.g. ``device="meta"`` to count parameters without memory),
    ``in_chans``.
    """
    from timm.models._efficientnet_builder import decode_arch_def
    from timm.models._efficientnet_blocks import SqueezeExcite
    from timm.models.efficientnet import EfficientNet

    arch = Arch.parse(arch)
    act_layer, gate_layer = _layers(activation)
    for name, v in (("drop_rate", drop_rate), ("drop_path_rate", drop_path_rate)):
        if not isinstance(v, (int, float)) or not 0.0 <= float(v) < 1.0:
            raise ConfigError(f"{name} is {v!r}; valid: a number in [0, 1)")
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
        raise ConfigError(f"num_classes is {num_classes!r}; valid: a positive int")
    init = kw.pop("init", "anb")
    if init not in INITS:
        raise UnknownChoiceError(init, INITS, "the weight initialisation")
    unknown = set(kw) - {"device", "dtype", "in_chans"}
    if unknown:
        raise ConfigError(f"unknown build_model keywords {sorted(unknown)}; valid: init, device, dtype, in_chans")
    import torch.nn as nn

    model = EfficientNet(
        block_args=decode_arch_def(arch.to_arch_def()),
        num_classes=num_classes,
        num_features=HEAD_CHANNELS,
        stem_size=STEM_CHANNELS,
        act_layer=act_layer,
        norm_layer=nn.BatchNorm2d,
        se_layer=partial(SqueezeExcite, gate_layer=gate_layer),
        drop_rate=float(drop_rate),
        drop_path_rate=float(drop_path_rate),
        **kw,
    )
    if init in ("anb", "anb_fanin") and str(kw.get("device", "")) != "meta":  # str: a torch.device or a string
        _init_anb(model)
        if init == "anb_fanin":
            _init_classifier_fan_in(model)
    return model


def _param_count(module: Any) -> int:
    return sum(p.numel() for p in module.parameters())


def count_params_built(arch: Any, num_classes: int = NUM_CLASSES) -> int:
    """Parameters of the whole network built on the meta device (no memory, no init; ~50 ms)."""
    return _param_count(build_model(arch, num_classes=num_classes, device="meta", init="timm"))


@lru_cache(maxsize=8)
def stage_param_table(num_classes: int = NUM_CLASSES) -> tuple[int, tuple[dict[tuple, int], ...]]:
    """(fixed parameters, per-stage {(e, k, l, se): parameters}) read off timm-built networks.

    Channels at every stage boundary are fixed by the skeleton, so a stage's parameters depend
    only on its own (e, k, l, se). Building 48 networks, the j-th using the j-th choice in every
    stage, covers every stage choice; the rest (stem, head, classifier) is the same in all.
    """
    import itertools

    from naslib_anb.space.arch import EXPANSIONS, KERNELS, NUM_STAGES, SE_CHOICES, Stage, layer_choices

    combos = [list(itertools.product(EXPANSIONS, KERNELS, layer_choices(i), SE_CHOICES)) for i in range(NUM_STAGES)]
    tables: list[dict[tuple, int]] = [{} for _ in range(NUM_STAGES)]
    fixed = None
    for j in range(max(len(c) for c in combos)):
        picks = [c[j % len(c)] for c in combos]
        arch = Arch(tuple(Stage(*p) for p in picks))
        model = build_model(arch, num_classes=num_classes, device="meta", init="timm")
        stage_counts = [_param_count(b) for b in model.blocks]
        rest = _param_count(model) - sum(stage_counts)
        if fixed is not None and rest != fixed:  # pragma: no cover - would mean a non-additive build
            raise RuntimeError(f"fixed part differs between builds: {rest} != {fixed}")
        fixed = rest
        for i, (p, n) in enumerate(zip(picks, stage_counts)):
            tables[i][p] = n
    return int(fixed), tuple(tables)


def count_params(arch: Any, num_classes: int = NUM_CLASSES) -> int:
    """Exact parameter count of ``build_model(arch)``, from a cached per-stage table (microseconds).

    Equal to :func:`count_params_built` (the tests check that) but cheap enough for the whole dataset.
    """
    arch = Arch.parse(arch)
    fixed, tables = stage_param_table(num_classes)
    return fixed + sum(tables[i][(s.e, s.k, s.l, s.se)] for i, s in enumerate(arch.stages))
