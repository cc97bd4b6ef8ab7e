"""``search.max_distance`` in NASLib configs: the adapter's sampling, mutation, neighbours and every
NASLib optimizer stay within that many decisions of the measured data (real NASLib)."""
import numpy as np
import pytest

from _helpers import CONFIGS, make_toy_benchmark, require_naslib

naslib = require_naslib()

from naslib_anb.errors import ConfigError  # noqa: E402
from naslib_anb.naslib import run  # noqa: E402
from naslib_anb.naslib.space import ANBSearchSpace, set_max_distance  # noqa: E402
from naslib_anb.space import nearest_measured  # noqa: E402
from naslib_anb.space.codes import arch_from_indices  # noqa: E402
from naslib_anb.space.support import measured_codes  # noqa: E402

pytestmark = pytest.mark.naslib
FAST_BO = ["search.num_candidates", "20", "search.k", "5"]


def _distance(specs):
    from naslib_anb.naslib.dataset_api import spec_to_arch

    return nearest_measured([spec_to_arch(tuple(s)) for s in specs])


def _space(limit):
    cfg = run.load_config(CONFIGS / "re.yaml", ["search.max_distance", str(limit)])
    return set_max_distance(ANBSearchSpace(), cfg)


def test_adapter_sample_mutate_nbhd_stay_in_region():
    np.random.seed(0)  # NASLib seeds the global RNG; the adapter draws its seeds from it
    space = _space(3)
    assert space.max_distance == 3
    specs = []
    for _ in range(40):
        s = space.clone()
        s.sample_random_architecture()
        specs.append(s.get_hash())
        child = space.clone()
        child.mutate(s)
        specs.append(child.get_hash())
    assert _distance(specs).max() <= 3
    nbhd = s.get_nbhd()
    assert nbhd and _distance([m.arch.get_hash() for m in nbhd]).max() <= 3
    assert all(m.arch.max_distance == 3 for m in nbhd)  # a neighbour's neighbours keep the limit
    # without the limit the same calls leave the region
    free = ANBSearchSpace()
    far = []
    for _ in range(40):
        free.sample_random_architecture()
        far.append(free.get_hash())
    assert _distance(far).max() > 3


def test_mutate_of_measured_parent_at_d0_stays_measured():
    np.random.seed(1)
    space = _space(1)
    parent = ANBSearchSpace()
    parent.set_spec(arch_from_indices(measured_codes()[7]))
    for _ in range(20):
        c = space.clone()
        c.mutate(parent)
        assert _distance([c.get_hash()])[0] <= 1


@pytest.mark.parametrize("bad", ["-1", "2.5", "true", "40"])
def test_bad_search_max_distance_is_config_error(bad):
    cfg = run.load_config(CONFIGS / "re.yaml", ["search.max_distance", bad])
    with pytest.raises(ConfigError, match=r"search.max_distance must be an int in 0..28"):
        set_max_distance(ANBSearchSpace(), cfg)


@pytest.mark.parametrize("name", ["rs", "re", "ls", "bananas", "npenas", "reinforce"])
def test_every_naslib_optimizer_queries_only_within_region(name, tmp_path):
    """Trainer.search with search.max_distance 3: every architecture the engine evaluated is within 3."""
    extra = ["search.max_distance", "3", *(FAST_BO if name in ("bananas", "npenas") else [])]
    cfg = run.load_config(CONFIGS / f"{name}.yaml", ["out_dir", str(tmp_path), "search.epochs", "20", *extra])
    api = run.dataset_api_from_config(cfg, make_toy_benchmark())
    res = run.run_search(cfg, api)
    evaluated = list(api["engine"].evaluated)
    assert len(evaluated) >= 10
    assert _distance(evaluated).max() <= 3
    assert _distance([res.final_hash])[0] <= 3
