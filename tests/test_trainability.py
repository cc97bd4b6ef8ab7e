"""Memory to train with the labels' recipe, the feasibility rule, and searches that respect it."""
from __future__ import annotations

import numpy as np
import pytest

from naslib_anb.errors import ConfigError
from naslib_anb.space import EFFICIENTNET_B0, Arch, arch_to_indices, mutate, neighbours, sample
from naslib_anb.space.campaigns import CAMPAIGN_SIZES, campaign_codes
from naslib_anb.space.memory import P_STAR, TrainingRecipe, train_memory, train_memory_gib
from naslib_anb.space.trainability import FEASIBLE_MAX_GIB, feasible, feasible_fraction, is_feasible

HUGE = Arch.parse("e6k5l3s1-e6k5l3s1-e6k5l3s1-e6k5l3s1-e6k5l3s1-e6k5l4s1-e6k5l3s1")
TINY = Arch.parse("e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0")


# -- the memory figure ---------------------------------------------------------------------
def test_memory_grows_with_every_bigger_choice_and_with_batch_and_resolution():
    from naslib_anb.space import CARDINALITIES

    codes = np.asarray([arch_to_indices(a) for a in sample(4, 200, feasible_only=False)])
    base = train_memory_gib(codes)
    for j, card in enumerate(CARDINALITIES):
        field = j % 4  # e, k, l: a larger index is a bigger choice; se: index 0 (True) is bigger
        bigger = codes.copy()
        if field == 3:
            grow = codes[:, j] == 1
            bigger[grow, j] = 0
        else:
            grow = codes[:, j] < card - 1
            bigger[grow, j] += 1
        assert grow.any() and (train_memory_gib(bigger)[grow] > base[grow]).all(), f"decision {j}"
    assert train_memory(EFFICIENTNET_B0, TrainingRecipe(batch_size=256)).activations[0] * 2 == \
        train_memory(EFFICIENTNET_B0).activations[0]
    assert train_memory_gib([EFFICIENTNET_B0], TrainingRecipe(resolution=160))[0] < train_memory_gib([EFFICIENTNET_B0])[0]


def test_parameter_count_is_the_analytic_one():
    from naslib_anb.space import arch_cost

    archs = sample(6, 50, feasible_only=False)
    m = train_memory(archs)
    assert m.params.tolist() == [arch_cost(a).params for a in archs]
    assert (m.parameters == m.params * P_STAR.bytes_per_param).all()


def test_bad_recipe_is_refused():
    with pytest.raises(ConfigError, match="batch_size"):
        TrainingRecipe(batch_size=0)


@pytest.mark.parametrize("arch", [EFFICIENTNET_B0, HUGE, TINY, "e4k5l1s0-e1k3l3s1-e4k3l3s0-e1k5l1s1-e1k3l1s1-e6k3l2s0-e6k5l2s1"])
def test_activations_match_what_autograd_saves_on_the_meta_device(arch):
    """The analytic activation bytes against PyTorch's own: the real timm model, meta device.

    AMP is emulated by running the model in fp16 (autocast makes conv/linear outputs fp16 and
    BatchNorm keeps the input dtype); every tensor autograd saves is counted once per storage,
    parameters excluded. Tolerance 0.1 %: the analytic figure leaves out BatchNorm's per-channel
    statistics (kilobytes) and counts the dropout mask as CUDA's bool, where the meta device
    saves fp16 (0.6 MiB at batch 512).
    """
    pytest.importorskip("torch", reason="needs the train extra (torch, timm)")
    pytest.importorskip("timm", reason="needs the train extra (torch, timm)")
    from naslib_anb.models.builder import build_model
    from naslib_anb.models.saved_bytes import autograd_saved_bytes

    arch = Arch.parse(arch)
    torch_bytes = autograd_saved_bytes(arch, P_STAR.batch_size, P_STAR.resolution)
    model = build_model(arch, device="meta", init="timm")
    analytic = int(train_memory([arch]).activations[0])
    assert analytic == pytest.approx(torch_bytes, rel=1e-3)
    assert sum(p.numel() for p in model.parameters()) == int(train_memory([arch]).params[0])


# -- the rule --------------------------------------------------------------------------------
def test_every_measured_architecture_is_feasible(dataset):
    gib = train_memory_gib(dataset.archs)
    assert feasible(dataset.archs).all()
    # the threshold sits just above the data: calibrated, not generous
    assert FEASIBLE_MAX_GIB - 0.1 < gib.max() <= FEASIBLE_MAX_GIB


def test_clearly_too_large_architectures_are_infeasible():
    assert not is_feasible(HUGE) and train_memory_gib([HUGE])[0] > 30
    assert is_feasible(TINY) and is_feasible(EFFICIENTNET_B0)
    assert not is_feasible(np.asarray(arch_to_indices(HUGE)))


def test_campaign_sampling_would_have_produced_archs_above_the_threshold(dataset):
    """The evidence: the collection's samplers put hundreds above the threshold; the data has none."""
    rng = np.random.default_rng(0)
    expected = sum(n * float((~feasible(campaign_codes(c, 20_000, rng))).mean()) for c, n in CAMPAIGN_SIZES.items())
    assert expected > 200
    assert sum(CAMPAIGN_SIZES.values()) == len(dataset)
    assert int((~feasible(dataset.archs)).sum()) == 0


def test_campaign_samplers_reproduce_the_campaigns_choices():
    c1, c2, c3 = (campaign_codes(c, 2000, 1) for c in (1, 2, 3))
    assert (c1[:, 3::4] == 1).all()  # no SE at all
    assert set(np.unique(c2[:, 22])) == {0, 1, 2} and (c3[:, 22] == 3).all()
    assert 0.45 < (c2[:, 3::4] == 0).mean() < 0.55


def test_feasible_fraction_is_a_proper_estimate():
    est = feasible_fraction(20_000, seed=3)
    assert est.ci_low < est.fraction < est.ci_high and 0.88 < est.fraction < 0.96
    assert est == feasible_fraction(20_000, seed=3)
    with pytest.raises(ConfigError):
        feasible_fraction(0)
    with pytest.raises(ConfigError, match="max_gib"):
        feasible([TINY], max_gib=-1)


# -- the space functions ---------------------------------------------------------------------
def test_sampling_stays_feasible_by_default_and_is_deterministic():
    archs = sample(0, 2000)
    assert feasible(archs).all()
    assert archs[:50] == sample(0, 50)  # rejection keeps the stream: a prefix is a prefix
    assert sample(5, 300) == sample(5, 300)
    everything = sample(0, 2000, feasible_only=False)
    assert not feasible(everything).all()
    # the feasible samples are the feasible rows of the same stream, in order
    assert [a for a, ok in zip(everything, feasible(everything)) if ok] == archs[:int(feasible(everything).sum())]


def test_mutation_and_neighbours_stay_feasible_near_the_edge():
    edge = [a for a in sample(1, 3000) if train_memory_gib([a])[0] > 20.5][:20]
    assert edge
    rng = np.random.default_rng(0)
    for a in edge:
        nb = neighbours(a)
        assert feasible(nb).all() and len(nb) <= 43
        assert len(neighbours(a, feasible_only=False)) == 43
        for _ in range(5):
            assert is_feasible(mutate(a, rng))
    # the largest architecture has one feasible neighbour (stage 0 at e=1); mutation finds it
    assert [str(a) for a in neighbours(HUGE)] == ["e1k5l3s1" + str(HUGE)[8:]]
    assert mutate(HUGE, rng) == neighbours(HUGE)[0]
    child = mutate(HUGE, rng, feasible_only=False)
    assert sum(x != y for x, y in zip(arch_to_indices(child), arch_to_indices(HUGE))) == 1


# -- searches --------------------------------------------------------------------------------
@pytest.mark.parametrize("name, kw", [("rs", {}), ("re", {"population_size": 10, "sample_size": 5}),
                                      ("reinforce", {"lr": 0.5})])
def test_core_optimizers_ask_only_feasible_archs_unless_told_otherwise(name, kw):
    from naslib_anb.optimizers import get_optimizer

    def run(feasible_only):
        opt = get_optimizer(name, seed=0, feasible_only=feasible_only, **kw)
        asked = []
        for _ in range(300):
            a = opt.ask()
            asked.append(a)
            opt.tell(a, float(train_memory_gib([a])[0]))  # reward size: pushes towards the edge
        return asked

    on = run(True)
    assert feasible(on).all() and on == run(True)
    assert not feasible(run(False)).all()


def test_re_search_defaults_never_return_an_infeasible_architecture(tmp_path):
    """A reviewer's check: RE on the shipped benchmark goes to big models; by default it stays trainable."""
    import json

    import pandas as pd

    from naslib_anb.cli.main import main

    common = ["search", "--optimizer", "re", "--budget", "300", "--seed", "0", "--no-progress", "--no-plots",
              "--opt", "population_size=20", "--opt", "sample_size=10", "--json"]
    assert main(common + ["--out", str(tmp_path / "on")]) == 0
    q = pd.read_csv(tmp_path / "on" / "queries.csv")
    p = pd.read_csv(tmp_path / "on" / "pareto.csv")
    assert q["feasible"].all() and p["feasible"].all()
    assert feasible(list(q["arch"])).all()
    s = json.loads((tmp_path / "on" / "summary.json").read_text())
    assert s["infeasible_queries"] == 0 and s["best_feasible"]["arch"] == s["best_arch"]
    assert (q["nearest_measured"] >= 0).all() and q["nearest_measured"].max() <= 28

    assert main(common + ["--allow-infeasible", "--out", str(tmp_path / "off")]) == 0
    q_off = pd.read_csv(tmp_path / "off" / "queries.csv")
    s_off = json.loads((tmp_path / "off" / "summary.json").read_text())
    assert (~q_off["feasible"]).sum() == s_off["infeasible_queries"] > 0
    assert feasible([s_off["best_feasible"]["arch"]]).all()


def test_compare_reports_the_best_feasible_value(tmp_path):
    import json

    import pandas as pd

    from naslib_anb.cli.main import main

    out = tmp_path / "cmp"
    assert main(["compare", "--optimizers", "rs", "re", "--seeds", "0-1", "--budget", "200", "--benchmark", "toy",
                 "--allow-infeasible", "--jobs", "1", "--no-progress", "--no-plots", "--out", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["config"]["feasible_only"] is False
    for opt in ("rs", "re"):
        e = s["final"][opt]
        for i, seed in enumerate((0, 1)):
            runs = pd.read_csv(out / "runs" / f"{opt}_seed{seed}.csv")
            assert e["best_feasible"]["per_seed"][i] == pytest.approx(runs.loc[runs.feasible, "val_top1"].max())
            assert e["infeasible_queries"][i] == int((~runs.feasible).sum())
            assert e["best_feasible"]["per_seed"][i] <= e["best_accuracy"]["per_seed"][i] + 1e-9
    assert sum(s["final"]["rs"]["infeasible_queries"]) > 0  # 7 % of uniform samples are too large


def test_campaign_samplers_allow_the_same_choices_as_the_collection_samplers():
    from naslib_anb.space import DECISIONS
    from naslib_anb.training.collect import _restricted

    for c in (1, 2, 3):
        codes = campaign_codes(c, 3000, c)
        for j, (stage, field, choices) in enumerate(DECISIONS):
            allowed = {choices.index(v) for v in _restricted(stage, field, c)}
            assert set(np.unique(codes[:, j]).tolist()) == allowed, (c, stage, field)


def test_profiling_manifests_sample_the_whole_space():
    """Inference can be profiled for any architecture: space:N keeps the example manifest reproducible."""
    from pathlib import Path

    from naslib_anb.profiling.manifest import from_space

    example = Path(__file__).resolve().parents[1] / "examples" / "profiling" / "manifest.txt"
    lines = [ln for ln in example.read_text().splitlines() if ln and not ln.startswith("#")]
    assert [str(e.arch) for e in from_space(20, 0)] == lines[1:21]
    assert [e.arch for e in from_space(200, 0)] == sample(0, 200, feasible_only=False)
