"""register() works whatever a user imported from NASLib before it; each order runs in a fresh process.

``from naslib.utils import get_dataset_api`` copies a reference into the importing module, so a
registration that only replaced module attributes missed it. Every order a user might write is run
as a separate Python process (an import done in this test process would leak into the next order).
"""
import os
import subprocess
import sys
import textwrap

import pytest

from _helpers import REPO, require_naslib

require_naslib()

pytestmark = pytest.mark.naslib

#: what every order ends with: NASLib's names, as the user bound them, answer for anb_mnas
CHECK = """
from naslib_anb.naslib import dataset_api as _d
import _helpers
_d._BENCHMARK_CACHE["default"] = _helpers.make_toy_benchmark()   # no surrogate load in each process
api = gda("anb_mnas", "imagenet")
space = gss("anb_mnas", "imagenet")
assert api["engine"].benchmark.name == "toy", api
assert type(space).__name__ == "ANBSearchSpace" and space.get_type() == "anb_mnas"
space.sample_random_architecture(dataset_api=api)
assert 60 < space.query(Metric.VAL_ACCURACY, "imagenet", dataset_api=api) < 100
print("OK", type(space).__name__)
"""

ORDERS = {
    "naslib names bound before register": """
        from naslib.utils import get_dataset_api as gda
        from naslib.search_spaces import get_search_space as gss
        from naslib.search_spaces.core.query_metrics import Metric
        from naslib_anb.naslib import register
        register()
    """,
    "naslib names bound after register": """
        from naslib_anb.naslib import register
        register()
        from naslib.utils import get_dataset_api as gda
        from naslib.search_spaces import get_search_space as gss
        from naslib.search_spaces.core.query_metrics import Metric
    """,
    "naslib_anb.naslib imported first, naslib names bound, then register": """
        import naslib_anb.naslib as anb
        from naslib.utils import get_dataset_api as gda
        from naslib.search_spaces import get_search_space as gss
        from naslib.search_spaces.core.query_metrics import Metric
        anb.register()
    """,
    "submodule paths bound before register": """
        from naslib.utils.get_dataset_api import get_dataset_api as gda
        import naslib.search_spaces
        gss = naslib.search_spaces.get_search_space
        from naslib.search_spaces.core.query_metrics import Metric
        from naslib_anb.naslib.registration import register
        register()
    """,
    "modules imported before register, attributes read after": """
        import naslib.utils as nu
        import naslib.search_spaces as ns
        from naslib.search_spaces.core.query_metrics import Metric
        from naslib_anb.naslib import register
        register()
        gda, gss = nu.get_dataset_api, ns.get_search_space
    """,
    "NASLib's runner imports (optimizers, Trainer) before register": """
        from naslib.defaults.trainer import Trainer
        from naslib.optimizers import RegularizedEvolution
        from naslib.search_spaces import get_search_space as gss
        from naslib.utils import get_dataset_api as gda, setup_logger
        from naslib.search_spaces.core.query_metrics import Metric
        import naslib_anb.naslib
        naslib_anb.naslib.register()
    """,
}


#: NASLib itself does not import on Python >= 3.10 without it (``from collections import Iterable``);
#: it changes nothing in NASLib's lookup points, so every order below still binds NASLib's originals
COMPAT_FIRST = "from naslib_anb.naslib import compat; compat.apply()\n"


def run_fresh(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    paths = [str(REPO), str(REPO / "tests" / "naslib_integration"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return subprocess.run([sys.executable, "-c", COMPAT_FIRST + code], capture_output=True, text=True, env=env,
                          cwd=str(REPO / "tests"), timeout=600)


@pytest.mark.parametrize("order", list(ORDERS))
def test_register_works_in_this_import_order(order):
    proc = run_fresh(textwrap.dedent(ORDERS[order]) + CHECK)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "OK ANBSearchSpace" in proc.stdout


def test_unregister_restores_naslib_behaviour_for_early_bindings():
    """An early binding sees register() and, after unregister(), NASLib's own NotImplementedError again."""
    code = textwrap.dedent("""
        from naslib.utils import get_dataset_api as gda
        from naslib.predictors.utils.encodings import encode_spec
        from naslib_anb.naslib import register, unregister
        def refused(f, *a):
            try:
                f(*a)
            except NotImplementedError:
                return True
            return False
        assert refused(gda, "anb_mnas", "imagenet")
        register()
        assert len(encode_spec((4, 3, 2, 0) * 7, ss_type="anb_mnas")) == 71
        unregister()
        assert refused(gda, "anb_mnas", "imagenet")
        assert refused(encode_spec, (4, 3, 2, 0) * 7, None, "anb_mnas")
        assert gda("test", None) is None          # NASLib's own names answered throughout
        print("RESTORED")
    """)
    proc = run_fresh(code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "RESTORED" in proc.stdout


def test_bare_naslib_still_refuses_without_register():
    """Without register() NASLib is untouched: importing naslib_anb.naslib changes nothing."""
    code = textwrap.dedent("""
        import naslib_anb.naslib
        from naslib_anb.naslib import import_naslib
        import_naslib()
        from naslib.utils import get_dataset_api
        try:
            get_dataset_api("anb_mnas", "imagenet")
        except NotImplementedError:
            print("UNTOUCHED")
    """)
    proc = run_fresh(code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "UNTOUCHED" in proc.stdout
