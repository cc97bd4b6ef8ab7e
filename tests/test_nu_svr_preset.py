"""The nu-SVR family's ``anb`` preset (NASLib's ``anb_nu_svr``) ranks better with more measured data."""
import numpy as np
from scipy.stats import kendalltau

from naslib_anb.surrogates import make_estimator


def test_nu_svr_tau_rises_with_training_size(dataset):
    recs = [r for r in dataset.unique() if np.isfinite(r.value("val_top1"))]
    y = np.array([r.value("val_top1") for r in recs])
    perm = np.random.default_rng(1).permutation(len(recs))
    test, taus = perm[:400], {}
    for n in (100, 1000):
        train = perm[400:400 + n]
        est = make_estimator("nu_svr", target="val_top1", seed=1)
        est.fit([recs[i].arch for i in train], y[train])
        taus[n] = kendalltau(est.predict([recs[i].arch for i in test]), y[test])[0]
    # upstream's sigmoid kernel fell from ~.77 to ~.32 here; the preset's RBF kernel rises
    assert taus[1000] > taus[100] + 0.03 and taus[1000] > 0.8, taus
    assert make_estimator("nu_svr", target="val_top1", preset="upstream").kernel == "sigmoid"
