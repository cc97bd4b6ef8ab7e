"""register()/unregister() change NASLib's lookup points at run time and restore them (real NASLib)."""
import pytest

from _helpers import make_toy_benchmark, require_naslib

naslib = require_naslib()

from naslib_anb.naslib import dataset_api as dapi  # noqa: E402
from naslib_anb.naslib.registration import is_registered, register, unregister  # noqa: E402

pytestmark = pytest.mark.naslib


@pytest.fixture()
def toy_default_benchmark(monkeypatch):
    monkeypatch.setitem(dapi._BENCHMARK_CACHE, "default", make_toy_benchmark())


def test_register_and_unregister_round_trip(toy_default_benchmark):
    import naslib.search_spaces as ss
    import naslib.utils as nutils
    from naslib.defaults.predictor_evaluator import PredictorEvaluator
    from naslib.predictors.ensemble import Ensemble

    unregister()
    before = (ss.get_search_space, nutils.get_dataset_api, PredictorEvaluator.adapt_search_space,
              PredictorEvaluator.compare, Ensemble.get_ensemble, dict(ss.supported_search_spaces))
    with pytest.raises((KeyError, NotImplementedError)):
        ss.get_search_space("anb_mnas", "imagenet")
    try:
        r1 = register()
        assert register() == r1 and is_registered()  # idempotent
        from naslib_anb.naslib.space import ANBSearchSpace

        assert ss.supported_search_spaces["anb_mnas"] is ANBSearchSpace
        assert isinstance(ss.get_search_space("anb_mnas", "imagenet"), ANBSearchSpace)
        assert ss.get_search_space("nasbench201", "cifar10").get_type() == "nasbench201"  # others intact
        api = nutils.get_dataset_api("anb_mnas", "imagenet")
        assert api["search_space"] == "anb_mnas" and api["benchmark"].name == "toy"
        import sys

        assert sys.modules["naslib.utils.get_dataset_api"].get_dataset_api is nutils.get_dataset_api
        assert nutils.get_dataset_api("test", None) is None  # NASLib's own names still answered

        # the unchanged PredictorEvaluator accepts the ANB space
        from fvcore.common.config import CfgNode

        cfg = CfgNode(dict(experiment_type="single", test_size=5, train_size_single=5, train_size_list=[5],
                           fidelity_single=1, fidelity_list=[1], max_hpo_time=0, dataset="imagenet",
                           uniform_random=1))
        ens = Ensemble(num_ensemble=2, predictor_type="anb_xgb", ss_type="anb_mnas")
        members = ens.get_ensemble()
        from naslib_anb.naslib.predictors import ANBPredictor

        assert len(members) == 2 and all(isinstance(m, ANBPredictor) for m in members)
        assert [m.seed for m in members] == [0, 1]
        ev = PredictorEvaluator(ens, config=cfg)
        ev.adapt_search_space(ANBSearchSpace(), load_labeled=False, dataset_api=api)
        assert ev.full_lc is False and ev.hyperparameters is False
    finally:
        unregister()
    after = (ss.get_search_space, nutils.get_dataset_api, PredictorEvaluator.adapt_search_space,
             PredictorEvaluator.compare, Ensemble.get_ensemble, dict(ss.supported_search_spaces))
    assert after == before and not is_registered()
    unregister()  # idempotent


def test_documented_import_form_works_in_a_fresh_process():
    """README's exact two lines: the function, not the submodule, comes back from the package."""
    import subprocess
    import sys

    from _helpers import REPO

    code = ("from naslib_anb.naslib import register\n"
            "report = register()\n"
            "import naslib.search_spaces as ss\n"
            "assert callable(register) and 'anb_mnas' in ss.supported_search_spaces, report\n"
            "print('registered', sorted(report))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "registered" in proc.stdout
