"""NASLib's gcn, bonas, nao and seminas on the ANB graph encodings: PredictorEvaluator and BANANAS/NPENAS."""
import math
import os

import numpy as np
import pytest

from _helpers import CONFIGS, make_toy_benchmark, require_naslib, strict_load

naslib = require_naslib()

from naslib.utils.encodings import EncodingType  # noqa: E402

from naslib_anb.naslib import run  # noqa: E402
from naslib_anb.naslib.dataset_api import get_anb_dataset_api  # noqa: E402
from naslib_anb.naslib.space import ANBSearchSpace  # noqa: E402
from naslib_anb.space import EFFICIENTNET_B0  # noqa: E402

pytestmark = pytest.mark.naslib
GRAPH = ("gcn", "bonas", "nao", "seminas")


def test_space_encodes_every_graph_type():
    s = ANBSearchSpace()
    s.set_spec(EFFICIENTNET_B0)
    for enc in (EncodingType.GCN, EncodingType.BONAS, EncodingType.SEMINAS, "seminas", "gcn"):
        d = s.encode(encoding_type=enc)
        assert {"adjacency", "operations", "val_acc"} <= set(d)


@pytest.mark.parametrize("name", GRAPH)
def test_graph_predictor_in_predictor_evaluator(name, tmp_path):
    api = get_anb_dataset_api("imagenet", make_toy_benchmark())
    cfg = run.load_config(CONFIGS / "predictor_graph.yaml",
                          ["out_dir", str(tmp_path), "predictor", name, "load_labeled", "false",
                           "train_size_list", "[10, 30]", "test_size", "30"])
    res = run.run_predictor_eval(cfg, api)
    assert [r["train_size"] for r in res.rows] == [10, 30]
    for r in res.rows:
        assert math.isfinite(r["kendalltau"]) and math.isfinite(r["spearman"]), (name, r)
    data = strict_load(os.path.join(res.save, "errors.json"))
    assert len(data) == 3 and len(data[-1]["full_testpred"]) == 30


@pytest.mark.parametrize("optimizer,predictor", [("bananas", "gcn"), ("npenas", "bonas"), ("bananas", "nao"),
                                                 ("npenas", "seminas")])
def test_graph_predictor_inside_bananas_and_npenas(optimizer, predictor, tmp_path):
    cfg = run.load_config(CONFIGS / f"{optimizer}.yaml",
                          ["out_dir", str(tmp_path), "search.epochs", "14", "search.num_init", "10",
                           "search.k", "4", "search.num_ensemble", "1", "search.num_candidates", "10",
                           "search.predictor_type", predictor])
    api = run.dataset_api_from_config(cfg, make_toy_benchmark())
    res = run.run_search(cfg, api)
    stats = strict_load(os.path.join(res.save, "errors.json"))[1]
    assert len(stats["valid_acc"]) == 14 and np.all(np.isfinite(stats["valid_acc"]))
    assert res.n_evaluated >= 12  # the predictor-guided epochs proposed new architectures


class _FixedGraph:
    """A NASLib-style architecture whose SemiNAS encoding is a fixed graph (another space's shape)."""

    def __init__(self, adjacency, operations):
        self.enc = {"adjacency": adjacency, "operations": operations}

    def encode(self, encoding_type=None):
        return self.enc


def _fit_seminas(xtrain, ytrain, ss_type):
    from naslib.predictors import SemiNASPredictor

    p = SemiNASPredictor(encoding_type=EncodingType.SEMINAS, semi=False, ss_type=ss_type)
    p.fit(xtrain, ytrain, epochs=1, pretrain_epochs=1)
    return p


def test_seminas_runs_on_the_anb_sequence_sizes_only_for_anb():
    from naslib.predictors import seminas

    from naslib_anb.naslib import SPACE_NAME, register
    from naslib_anb.naslib.graph_encoding import SEMINAS_MAX_NODES, SEMINAS_SEQUENCE_LENGTH, SEMINAS_VOCAB_SIZE
    from naslib_anb.space import sample

    register()  # installs the ANB-only SemiNAS wrappers
    convert, nao = seminas.convert_arch_to_seq, seminas.NAO
    seen = []

    def recording_convert(matrix, ops, max_n=8):  # NASLib's tokeniser, recording what it returns
        seen.append(convert(matrix, ops, max_n=max_n))
        return seen[-1]

    seminas.convert_arch_to_seq = recording_convert
    try:
        archs = []
        for a in sample(5, 12):
            s = ANBSearchSpace()
            s.set_spec(a)
            archs.append(s)
        y = np.linspace(60.0, 75.0, len(archs))
        p = _fit_seminas(archs[:8], y[:8], SPACE_NAME)
        assert p.ss_type == SPACE_NAME and p.max_n == SEMINAS_MAX_NODES
        assert p.model.encoder.embedding.num_embeddings == SEMINAS_VOCAB_SIZE == 88
        assert {len(s) for s in seen} == {SEMINAS_SEQUENCE_LENGTH} and SEMINAS_SEQUENCE_LENGTH == 299
        assert max(max(s) for s in seen) < SEMINAS_VOCAB_SIZE
        seen.clear()
        pred = p.query(archs[8:])
        assert pred.shape == (4,) and np.isfinite(pred).all()
        assert len(seen) == 4 and {len(s) for s in seen} == {SEMINAS_SEQUENCE_LENGTH}
        # another space (NAS-Bench-201's 8-node cell) keeps NASLib's own sizes
        seen.clear()
        adj = np.triu(np.ones((8, 8), dtype=int), 1)
        other = [_FixedGraph(adj, [0] + [1 + (i + j) % 5 for j in range(6)] + [6]) for i in range(6)]
        q = _fit_seminas(other, np.linspace(0.0, 1.0, 6), "nasbench201")
        assert q.model.encoder.embedding.num_embeddings == 9 and {len(s) for s in seen} == {35}
    finally:
        seminas.convert_arch_to_seq = convert
    assert seminas.NAO is nao  # the ANB sizes are gone once the calls return
