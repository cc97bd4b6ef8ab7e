"""Let NASLib's graph and zero-cost predictors run on the ANB space, without editing NASLib.

Three NASLib methods decide by search-space name or assume one architecture; each wrapper here
changes behaviour **only for the ANB space** (``ss_type == "anb_mnas"`` or ANB space objects) and
defers to NASLib's original otherwise. :func:`naslib_anb.naslib.register` installs them and
:func:`naslib_anb.naslib.unregister` removes them.

``GCNPredictor.get_model``
    sizes the first GCN layer from a whitelist of NASLib's spaces; for ANB it is
    ``len(OP_FEATURES)`` (the node features of :func:`~naslib_anb.naslib.graph_encoding.gcn_encoding`).
``SemiNASPredictor.fit`` and ``.query`` (SemiNAS and NAO)
    ``fit`` picks the sequence sizes (nodes, tokens, vocabulary) from the same kind of whitelist,
    with none for other spaces. For ANB both methods run with the sizes of the ANB layer chain
    (:data:`~naslib_anb.naslib.graph_encoding.SEMINAS_MAX_NODES` nodes,
    :data:`~naslib_anb.naslib.graph_encoding.SEMINAS_SEQUENCE_LENGTH` tokens,
    :data:`~naslib_anb.naslib.graph_encoding.SEMINAS_VOCAB_SIZE` symbols), not those of a NASLib
    space: ``fit`` gets past the whitelist under a NASLib name, and for the duration of the call
    the module's ``convert_arch_to_seq`` and ``NAO`` (looked up at call time) receive the ANB sizes.
    Both are restored afterwards, like ``ss_type``.
``ZeroCost.query`` (list-versus-graph)
    NASLib's ``PredictorEvaluator`` calls ``predictor.query(xtest, test_info)`` with a *list* of
    architectures and their info dicts, while ``ZeroCost.query(graph, dataloader)`` scores *one*
    network and takes the second argument as its data loader. Installed only when the running
    NASLib has that signature (:func:`zerocost_needs_list_fix`). For a list it scores each
    architecture on ``self.train_loader`` (the ANB evaluator sets it from the dataset API),
    building each ANB network on request and dropping it after scoring; a single unparsed ANB
    architecture (BANANAS/NPENAS with ``search.zc``) gets its network built the same way.
"""
from __future__ import annotations

import inspect
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np

from naslib_anb.errors import ConfigError
from naslib_anb.naslib import SPACE_NAME


def wrap_gcn_get_model(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_model(self, **kwargs):
        if getattr(self, "ss_type", None) == SPACE_NAME:
            from naslib.predictors.gcn import NeuralPredictorModel

            from naslib_anb.naslib.graph_encoding import OP_FEATURES

            return NeuralPredictorModel(initial_hidden=len(OP_FEATURES))
        return original(self, **kwargs)

    get_model.__wrapped__ = original  # type: ignore[attr-defined]
    return get_model


#: a space NASLib's ``SemiNASPredictor.fit`` knows, to get past its whitelist; the sizes it picks
#: for that space are replaced by the ANB ones (:func:`anb_sequence_sizes`)
_SEMINAS_WHITELISTED_SS_TYPE = "nasbench301"


@contextmanager
def anb_sequence_sizes() -> Iterator[None]:
    """NASLib's SemiNAS module, for the duration, tokenises and builds NAO with the ANB sizes."""
    from naslib.predictors import seminas as module

    from naslib_anb.naslib.graph_encoding import SEMINAS_MAX_NODES, SEMINAS_SEQUENCE_LENGTH, SEMINAS_VOCAB_SIZE

    convert, nao = module.convert_arch_to_seq, module.NAO
    nao_signature = inspect.signature(nao)

    def convert_arch_to_seq(matrix, ops, max_n=None):
        return convert(matrix, ops, max_n=SEMINAS_MAX_NODES)

    def anb_nao(*args, **kwargs):
        bound = nao_signature.bind(*args, **kwargs)
        bound.arguments.update(vocab_size=SEMINAS_VOCAB_SIZE, source_length=SEMINAS_SEQUENCE_LENGTH,
                               encoder_length=SEMINAS_SEQUENCE_LENGTH, decoder_length=SEMINAS_SEQUENCE_LENGTH)
        module.NAO = nao  # NAO.__init__ calls super(NAO, self): it must find the class while it runs
        try:
            return nao(*bound.args, **bound.kwargs)
        finally:
            module.NAO = anb_nao

    module.convert_arch_to_seq, module.NAO = convert_arch_to_seq, anb_nao
    try:
        yield
    finally:
        module.convert_arch_to_seq, module.NAO = convert, nao


def wrap_seminas_fit(original: Callable[..., Any]) -> Callable[..., Any]:
    def fit(self, xtrain, ytrain, *args, **kwargs):
        if getattr(self, "ss_type", None) != SPACE_NAME:
            return original(self, xtrain, ytrain, *args, **kwargs)
        from naslib_anb.naslib.graph_encoding import SEMINAS_MAX_NODES

        self.ss_type = _SEMINAS_WHITELISTED_SS_TYPE
        try:
            with anb_sequence_sizes():
                return original(self, xtrain, np.asarray(ytrain, dtype=np.float64), *args, **kwargs)
        finally:
            self.ss_type = SPACE_NAME
            self.max_n = SEMINAS_MAX_NODES

    fit.__wrapped__ = original  # type: ignore[attr-defined]
    return fit


def wrap_seminas_query(original: Callable[..., Any]) -> Callable[..., Any]:
    def query(self, xtest, *args, **kwargs):
        if getattr(self, "ss_type", None) != SPACE_NAME:  # other spaces, or fit's own query (sizes set)
            return original(self, xtest, *args, **kwargs)
        with anb_sequence_sizes():
            return original(self, xtest, *args, **kwargs)

    query.__wrapped__ = original  # type: ignore[attr-defined]
    return query


def zerocost_needs_list_fix(zerocost_cls: Any) -> bool:
    """True when ``ZeroCost.query`` scores a single graph (the NASLib Develop ``0b51bc18`` form)."""
    try:
        src = inspect.getsource(zerocost_cls.query)
    except (OSError, TypeError):
        return False
    params = list(inspect.signature(zerocost_cls.query).parameters)
    return params[1:3] == ["graph", "dataloader"] and "graph.get_loss_fn()" in src


def _is_loader(obj: Any) -> bool:
    return obj is not None and hasattr(obj, "__iter__") and hasattr(obj, "dataset")


def score_architecture(predictor: Any, original: Callable[..., Any], arch: Any, loader: Any) -> float:
    """One proxy score; an ANB space object gets its network built (and dropped) around the call."""
    built = False
    if getattr(arch, "get_type", lambda: None)() == SPACE_NAME and getattr(arch, "model", None) is None:
        arch = arch.clone()
        arch.parse()
        built = True
    try:
        return float(original(predictor, arch, loader))
    finally:
        if built:
            arch.unparse()


def wrap_zerocost_query(original: Callable[..., Any]) -> Callable[..., Any]:
    def query(self, graph, dataloader=None, info=None):
        if not isinstance(graph, (list, tuple)):
            if getattr(graph, "get_type", lambda: None)() == SPACE_NAME:  # BANANAS/NPENAS search.zc
                return score_architecture(self, original, graph, dataloader)
            return original(self, graph, dataloader, info)
        loader = dataloader if _is_loader(dataloader) else getattr(self, "train_loader", None)
        if not _is_loader(loader):
            raise ConfigError(
                "zero-cost proxies need data: set predictor.train_loader (ANBPredictorEvaluator does it from "
                "the dataset API's zc_data; see naslib_anb.naslib.dataset_api.zc_loader)")
        return np.asarray([score_architecture(self, original, a, loader) for a in graph], dtype=np.float64)

    query.__wrapped__ = original  # type: ignore[attr-defined]
    return query


def install() -> dict[str, tuple[Any, str, Any]]:
    """Install the wrappers; returns ``{name: (class, attribute, original)}`` for :func:`uninstall`."""
    from naslib.predictors.gcn import GCNPredictor
    from naslib.predictors.seminas import SemiNASPredictor
    from naslib.predictors.zerocost import ZeroCost

    done: dict[str, tuple[Any, str, Any]] = {}
    for name, cls, attr, wrap in (("gcn_get_model", GCNPredictor, "get_model", wrap_gcn_get_model),
                                  ("seminas_fit", SemiNASPredictor, "fit", wrap_seminas_fit),
                                  ("seminas_query", SemiNASPredictor, "query", wrap_seminas_query)):
        original = cls.__dict__[attr]
        setattr(cls, attr, wrap(original))
        done[name] = (cls, attr, original)
    if zerocost_needs_list_fix(ZeroCost):
        original = ZeroCost.__dict__["query"]
        ZeroCost.query = wrap_zerocost_query(original)
        done["zerocost_list_query"] = (ZeroCost, "query", original)
    return done


def uninstall(done: dict[str, tuple[Any, str, Any]]) -> None:
    for cls, attr, original in done.values():
        setattr(cls, attr, original)
