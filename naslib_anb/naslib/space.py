"""The ANB MnasNet space as a NASLib search space (``QUERYABLE``, surrogate-backed).

The instance holds only the 28-int spec ``(e, k, l, se) x 7`` (``Arch.to_tuple()``), which is
also its NASLib hash; the benchmark, the measured data and the prediction cache live in the
``dataset_api`` dict (:mod:`naslib_anb.naslib.dataset_api`), because NASLib deep-copies search
spaces constantly. The graph has no nodes or edges (``instantiate_model = False``): cloning
costs microseconds.

Randomness: NASLib seeds the global ``np.random`` (``Trainer.search``, ``utils.set_seed``) and its
optimizers draw from it. To stay reproducible under NASLib's seeding, each sampling call here
draws one seed from ``np.random`` and hands a fresh ``numpy.random.Generator`` to the core
space functions (:func:`naslib_anb.space.sample`, ``mutate``).
"""
from __future__ import annotations

from typing import Any, Iterator, Optional

import numpy as np

from naslib_anb.naslib import SPACE_NAME, import_naslib

import_naslib()

import torch  # noqa: E402  (NASLib's contract: neighbours are nn.Module wrappers)
from naslib.search_spaces.core.graph import Graph  # noqa: E402
from naslib.search_spaces.core.query_metrics import Metric  # noqa: E402
from naslib.utils.encodings import EncodingType  # noqa: E402

from naslib_anb.errors import ConfigError, UnknownChoiceError  # noqa: E402
from naslib_anb.naslib.dataset_api import engine_of, spec_to_arch  # noqa: E402
from naslib_anb.space import Arch, enumerate_space, mutate, neighbours, onehot, ordinal, sample  # noqa: E402

#: one-hot scale: every encoding has unit L2 norm, so squared distances are 2 x the fraction of
#: the 28 decisions that differ (in [0, 2]). NASLib's GPs put a LogNormal(0, 1) prior on the RBF
#: lengthscale, sized for NAS-Bench-201's short one-hot vectors; on the raw 71-dim ANB one-hot
#: (typical distance ~5.7) they collapse to constant predictions. Tree predictors are invariant.
ONEHOT_SCALE = 1.0 / np.sqrt(28.0)

#: encodings NASLib's predictors ask for -> ANB encoding
ENCODINGS = {
    EncodingType.ADJACENCY_ONE_HOT.value: "onehot",  # xgb, lgb, ngb, rf, gp*, mlp, bnn predictors
    EncodingType.ADJACENCY_MIX.value: "onehot",
    EncodingType.PATH.value: "onehot",  # the "bananas" (path-MLP) ensemble; no paths in a macro space
    EncodingType.COMPACT.value: "ordinal",  # the 28 choice indices
}


def _global_rng() -> np.random.Generator:
    """A Generator seeded from NASLib's seeded global ``np.random`` (see module docstring)."""
    return np.random.default_rng(int(np.random.randint(0, 2**31 - 1)))


def _to_spec(spec: Any) -> tuple:
    if isinstance(spec, ANBSearchSpace):
        return spec.get_spec()
    if isinstance(spec, Arch):
        return spec.to_tuple()
    if isinstance(spec, (tuple, list, np.ndarray)) and len(spec) == 28 and not isinstance(spec, str):
        return Arch.from_tuple([int(v) for v in spec]).to_tuple()
    return Arch.parse(spec).to_tuple()


class ANBSearchSpace(Graph):
    """Accel-NASBench's ImageNet MnasNet space (about 1.04e11 architectures) for NASLib."""

    QUERYABLE = True
    OPTIMIZER_SCOPE = "all"
    #: sample, mutate and neighbours stay among the architectures the labels' recipe could
    #: train (naslib_anb.space.trainability); set False on an instance or the class to opt out
    feasible_only = True

    def __init__(self):
        super().__init__()
        self.space_name = SPACE_NAME
        self.instantiate_model = False
        self.load_labeled = False
        self.spec: Optional[tuple] = None

    # -- identity ------------------------------------------------------------------
    def get_type(self) -> str:
        return SPACE_NAME

    def get_spec(self) -> tuple:
        if self.spec is None:
            raise ConfigError("this ANBSearchSpace holds no architecture yet: sample, mutate or set_spec first")
        return self.spec

    def get_hash(self) -> tuple:
        return self.get_spec()

    def set_spec(self, spec: Any, dataset_api: Any = None) -> None:
        """Set the architecture from a 28-int spec, an Arch, or anything ``Arch.parse`` reads."""
        self.spec = _to_spec(spec)
        self.load_labeled = False

    @property
    def arch(self) -> Arch:
        """The architecture as a core :class:`~naslib_anb.space.Arch`."""
        return spec_to_arch(self.get_spec())

    def __repr__(self) -> str:
        return f"ANBSearchSpace({self.arch if self.spec is not None else 'empty'})"

    # -- sampling ------------------------------------------------------------------
    def sample_random_architecture(self, dataset_api: Any = None, load_labeled: bool = False) -> None:
        """Uniform sample over the feasible space (or, with ``load_labeled``, over the measured archs)."""
        if load_labeled:
            self.load_labeled_architecture(dataset_api=dataset_api)
            return
        self.set_spec(sample(_global_rng(), feasible_only=self.feasible_only))

    def load_labeled_architecture(self, dataset_api: Any = None) -> None:
        """One of the truly measured architectures; its queries answer from the measurements."""
        self.spec = engine_of(dataset_api).sample_measured(_global_rng())
        self.load_labeled = True

    def mutate(self, parent: Any, dataset_api: Any = None, mutation_rate: int = 1) -> None:
        """Fill ``self`` with ``parent`` changed in exactly one of the 28 decisions."""
        self.set_spec(mutate(spec_to_arch(_to_spec(parent)), _global_rng(), feasible_only=self.feasible_only))

    def get_nbhd(self, dataset_api: Any = None) -> list:
        """The (feasible) one-decision neighbours, shuffled, as ``nn.Module`` wrappers with ``.arch``."""
        nbrs = neighbours(self.arch, feasible_only=self.feasible_only)
        order = _global_rng().permutation(len(nbrs))
        out = []
        for i in order:
            n = ANBSearchSpace()
            n.spec = nbrs[int(i)].to_tuple()
            m = torch.nn.Module()
            m.arch = n
            out.append(m)
        return out

    def get_arch_iterator(self, dataset_api: Any = None) -> Iterator[tuple]:
        """Lazily every spec of the space (about 1e11: only for slicing, never exhaustively)."""
        return (a.to_tuple() for a in enumerate_space())

    # -- encodings -----------------------------------------------------------------
    def encode(self, encoding_type: Any = EncodingType.ADJACENCY_ONE_HOT) -> np.ndarray:
        """A fixed-length float64 vector: 71-dim unit-norm one-hot, or the 28 ordinal indices (COMPACT)."""
        key = getattr(encoding_type, "value", encoding_type)
        kind = ENCODINGS.get(key)
        if kind is None:
            raise UnknownChoiceError(
                key, ENCODINGS, "graph/sequence encodings (gcn, bonas, seminas) do not exist for this space")
        if kind == "onehot":
            return onehot([self.arch])[0].astype(np.float64) * ONEHOT_SCALE
        return ordinal([self.arch])[0].astype(np.float64)

    # -- queries -------------------------------------------------------------------
    def query(self, metric: Any = None, dataset: Optional[str] = None, path: Any = None, epoch: int = -1,
              full_lc: bool = False, dataset_api: Any = None) -> Any:
        """Python float (dict for RAW/HP) for one NASLib ``Metric``; see ``METRIC_MAP``.

        ANB has one fidelity (the p* proxy training): ``epoch`` is accepted and ignored (RS passes
        ``config.search.fidelity``). Learning curves do not exist: ``full_lc=True`` raises.
        """
        from naslib_anb.naslib import DATASETS

        if dataset is not None and str(dataset).lower() not in DATASETS:
            raise UnknownChoiceError(dataset, DATASETS, "ANB is measured on ImageNet only")
        if full_lc:
            raise ConfigError("ANB has no learning curves (full_lc=True); use a predictor that does not "
                              "need partial learning curves")
        if metric is None:
            metric = Metric.VAL_ACCURACY
        return engine_of(dataset_api).value(self.get_spec(), metric, labeled=self.load_labeled)
