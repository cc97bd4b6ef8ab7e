"""The timm-built network is the upstream network: exact parameter counts for every record."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("timm")

from naslib_anb.errors import ConfigError, UnknownChoiceError  # noqa: E402
from naslib_anb.models import build_model, count_params, count_params_built  # noqa: E402
from naslib_anb.space import EFFICIENTNET_B0, arch_cost, sample  # noqa: E402


def test_b0_matches_timm_and_torchvision_count():
    """B0 is a space member: 5,288,548 parameters, as timm's and torchvision's B0."""
    assert count_params_built(EFFICIENTNET_B0) == 5_288_548
    assert count_params(EFFICIENTNET_B0) == 5_288_548


def test_stage_table_equals_full_build_on_random_archs():
    """The per-stage table is additive: it equals a whole-network build for random members."""
    for arch in sample(123, 12):
        assert count_params(arch) == count_params_built(arch), str(arch)
    arch = sample(7, 1)[0]
    assert count_params(arch, num_classes=10) == count_params_built(arch, num_classes=10)


def test_params_equal_dataset_for_every_record(dataset):
    """Every one of the 5,138 records: built-network params == model_info.params == arch_cost."""
    bad = []
    for rec in dataset:
        n = count_params(rec.arch)
        if n != round(rec.params_m * 1e6) or n != arch_cost(rec.arch).params:
            bad.append((rec.name, n, rec.params_m))
    assert len(dataset) == 5138
    assert not bad, bad[:5]


def test_structure_e1_is_depthwise_separable_and_relu_hardsigmoid():
    from timm.models._efficientnet_blocks import DepthwiseSeparableConv, InvertedResidual

    arch = "e1k5l2s1-e4k3l1s0-e6k3l1s1-e1k3l1s0-e1k5l1s1-e4k5l4s1-e6k3l1s0"
    m = build_model(arch, device="meta", init="timm")
    assert all(isinstance(b, DepthwiseSeparableConv) for b in m.blocks[0])
    assert isinstance(m.blocks[1][0], InvertedResidual)
    se = m.blocks[0][0].se
    assert se.conv_reduce.out_channels == 32 // 4  # SE width = input channels // 4
    assert isinstance(se.gate, torch.nn.Hardsigmoid) and isinstance(se.act1, torch.nn.ReLU)
    s = build_model(arch, activation="silu", device="meta", init="timm")
    assert isinstance(s.blocks[0][0].se.gate, torch.nn.Sigmoid)
    assert m.drop_rate == 0.2
    # 11 layers; the last of stage 5 is layer index 9: rate * idx / total, as upstream
    assert m.blocks[5][-1].drop_path.drop_prob == pytest.approx(0.2 * 9 / 11)


def test_forward_tiny_resolution():
    torch.manual_seed(0)
    m = build_model(sample(3, 1)[0], num_classes=5).eval()
    with torch.no_grad():
        y = m(torch.randn(2, 3, 32, 32))
    assert y.shape == (2, 5) and torch.isfinite(y).all()


def test_bad_arguments_raise_typed_errors():
    with pytest.raises(UnknownChoiceError, match="swish"):
        build_model(EFFICIENTNET_B0, activation="swish", device="meta")
    with pytest.raises(ConfigError, match="drop_rate"):
        build_model(EFFICIENTNET_B0, drop_rate=1.5, device="meta")
    with pytest.raises(ConfigError, match="frobnicate"):
        build_model(EFFICIENTNET_B0, frobnicate=1, device="meta")
