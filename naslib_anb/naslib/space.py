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

import logging
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
from naslib_anb.naslib.graph_encoding import GRAPH_ENCODERS  # noqa: E402
from naslib_anb.space import Arch, mutate, neighbours, onehot, ordinal, sample  # noqa: E402

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


#: size of the seeded sample :meth:`ANBSearchSpace.get_arch_iterator` yields without measured data
ARCH_ITERATOR_SAMPLE = 10_000
logger = logging.getLogger(__name__)


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


class _ClampHardSigmoid(torch.nn.Module):
    """``clamp(x + 3, 0, 6) / 6``: the hard-sigmoid itself, written with ops that have a second
    derivative (torch's ``hardsigmoid_backward`` has none, and GRASP differentiates twice)."""

    def forward(self, x):
        return torch.clamp(x + 3.0, 0.0, 6.0) / 6.0


def _twice_differentiable_gates(model: Any) -> None:
    """Swap every ``nn.Hardsigmoid`` (the SE gates) for :class:`_ClampHardSigmoid`; same outputs."""
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, torch.nn.Hardsigmoid):
                setattr(module, child_name, _ClampHardSigmoid())


def set_max_distance(space: "ANBSearchSpace", config: Any) -> "ANBSearchSpace":
    """Give ``space`` the config's ``search.max_distance`` (absent or null: no trust region)."""
    from naslib_anb.space.trust_region import check_max_distance

    search = config.get("search", None) if hasattr(config, "get") else getattr(config, "search", None)
    value = search.get("max_distance", None) if search is not None and hasattr(search, "get") else None
    space.max_distance = check_max_distance(value, "search.max_distance")
    return space


class ANBSearchSpace(Graph):
    """Accel-NASBench's ImageNet MnasNet space (about 1.04e11 architectures) for NASLib."""

    QUERYABLE = True
    OPTIMIZER_SCOPE = "all"
    #: sample, mutate and neighbours stay among the architectures the labels' recipe could
    #: train (naslib_anb.space.trainability); set False on an instance or the class to opt out
    feasible_only = True
    #: trust region: sample, mutate and neighbours stay within this many decisions of a measured
    #: architecture (None: anywhere); set from ``search.max_distance`` by :func:`set_max_distance`
    max_distance = None
    #: ImageNet-1k classes (NASLib's zero-cost predictors read ``graph.num_classes``)
    num_classes = 1000

    def __init__(self):
        super().__init__()
        self.space_name = SPACE_NAME
        self.instantiate_model = False
        self.load_labeled = False
        self.spec: Optional[tuple] = None
        self.model = None  # the torch network, built by parse() on request

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
        if self.model is not None:
            self.unparse()

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
        self.set_spec(sample(_global_rng(), feasible_only=self.feasible_only, max_distance=self.max_distance))

    def load_labeled_architecture(self, dataset_api: Any = None) -> None:
        """One of the truly measured architectures; its queries answer from the measurements."""
        self.spec = engine_of(dataset_api).sample_measured(_global_rng())
        self.load_labeled = True
        if self.model is not None:
            self.unparse()

    def mutate(self, parent: Any, dataset_api: Any = None, mutation_rate: int = 1) -> None:
        """Fill ``self`` with ``parent`` changed in exactly one of the 28 decisions."""
        self.set_spec(mutate(spec_to_arch(_to_spec(parent)), _global_rng(), feasible_only=self.feasible_only,
                             max_distance=self.max_distance))

    def get_nbhd(self, dataset_api: Any = None) -> list:
        """The (feasible) one-decision neighbours, shuffled, as ``nn.Module`` wrappers with ``.arch``."""
        nbrs = neighbours(self.arch, feasible_only=self.feasible_only, max_distance=self.max_distance)
        order = _global_rng().permutation(len(nbrs))
        out = []
        for i in order:
            n = ANBSearchSpace()
            n.spec = nbrs[int(i)].to_tuple()
            n.feasible_only, n.max_distance = self.feasible_only, self.max_distance  # neighbours keep the limits
            m = torch.nn.Module()
            m.arch = n
            out.append(m)
        return out

    def get_arch_iterator(self, dataset_api: Any = None) -> Iterator[tuple]:
        """The specs of the measured architectures (5,125 distinct), never the whole space.

        NASLib's ``StatisticsEvaluator`` turns this iterator into a list; the space holds about
        1.04e11 architectures, so it gets the architectures that have ground truth instead (the
        NAS-Bench-301 convention of a labelled subset). Without measured data it is a seeded
        uniform sample of :data:`ARCH_ITERATOR_SAMPLE` architectures (logged as such). The core
        :func:`naslib_anb.space.enumerate_space` walks the full space lazily where that is wanted.
        """
        from naslib_anb.errors import DataError

        try:
            return iter(list(engine_of(dataset_api).labeled_specs()))
        except DataError as exc:
            logger.warning("no measured data (%s): iterating a seeded sample of %d architectures instead",
                           exc, ARCH_ITERATOR_SAMPLE)
            return iter([a.to_tuple() for a in sample(0, ARCH_ITERATOR_SAMPLE)])

    # -- encodings -----------------------------------------------------------------
    def encode(self, encoding_type: Any = EncodingType.ADJACENCY_ONE_HOT) -> Any:
        """A fixed-length float64 vector (71-dim unit-norm one-hot, or the 28 ordinal indices for
        COMPACT), or NASLib's graph dict for GCN, BONAS and SEMINAS (:mod:`.graph_encoding`)."""
        key = getattr(encoding_type, "value", encoding_type)
        if key in GRAPH_ENCODERS:
            return GRAPH_ENCODERS[key](self.arch)
        kind = ENCODINGS.get(key)
        if kind is None:
            raise UnknownChoiceError(key, [*ENCODINGS, *GRAPH_ENCODERS], "NASLib encoding types for this space")
        if kind == "onehot":
            return onehot([self.arch])[0].astype(np.float64) * ONEHOT_SCALE
        return ordinal([self.arch])[0].astype(np.float64)

    # -- the network, on request (NASLib's instantiate_model / zero-cost contract) -----
    def parse(self, *args: Any, **kwargs: Any) -> None:
        """Build the architecture's network through :func:`naslib_anb.models.build_model` (timm).

        NASLib calls ``parse()`` where it needs a real network (zero-cost proxies, or any optimizer
        when ``instantiate_model`` is True). Dropout and stochastic depth are off, so a proxy
        scores the same network every time; the weights use the data's initialisation.
        """
        from naslib_anb.models import build_model

        model = build_model(self.arch, drop_rate=0.0, drop_path_rate=0.0)
        _twice_differentiable_gates(model)
        self.model = model
        self.is_parsed = True

    def unparse(self) -> None:
        """Drop the network (a parsed space is as heavy as its network when cloned)."""
        self.model = None
        self.is_parsed = False

    def _network(self) -> Any:
        if self.model is None:
            raise ConfigError("this ANBSearchSpace has no network: call parse() first (NASLib does when "
                              "instantiate_model is True or a zero-cost proxy scores it)")
        return self.model

    def forward(self, x: Any, *args: Any) -> Any:
        return self._network()(x)

    def forward_before_global_avg_pool(self, x: Any) -> Any:
        """Features right before global pooling (the Zen-score proxy reads them)."""
        return self._network().forward_features(x)

    def get_loss_fn(self) -> Any:
        """ImageNet classification loss, as NASLib's image spaces return it."""
        import torch.nn.functional as F

        return F.cross_entropy

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
