"""What a person sees in a run's figures: units, what the points are, labels that cover nothing."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from naslib_anb.cli.main import main
from naslib_anb.search import plotting


@pytest.fixture
def figures(monkeypatch):
    """Keep each figure (drawn) instead of only its PNG bytes."""
    kept = []
    real = plotting._save

    def keep(fig, path):
        fig.canvas.draw()
        kept.append(fig)
        return real(fig, path)

    monkeypatch.setattr(plotting, "_save", keep)
    return kept


def _texts(fig) -> str:
    parts = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        parts += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()] + [t.get_text() for t in ax.texts]
    return "\n".join(parts).replace("\n", " ")


def test_pareto_axes_units_caption_and_b0_label(tmp_path, figures):
    out = tmp_path / "run"
    assert main(["search", "--optimizer", "re", "--budget", "150", "--device", "vck190", "--metric", "latency",
                 "--no-progress", "--out", str(out)]) == 0
    assert (out / "pareto.png").stat().st_size > 10_000
    traj, par = figures
    ax = par.axes[0]
    assert ax.get_xlabel() == "latency_vck190 (ms per batch of 6 images)"
    assert ax.get_ylabel() == "val_top1 (%)"
    assert "surrogate prediction" in _texts(par) and "not a measurement" in _texts(par)
    (label,) = [t for t in ax.texts if t.get_text() == "EfficientNet-B0"]
    par.canvas.draw()
    box = label.get_bbox_patch().get_window_extent()
    for coll in ax.collections:
        pts = ax.transData.transform(np.asarray(coll.get_offsets(), dtype=float))
        inside = ((pts[:, 0] >= box.x0) & (pts[:, 0] <= box.x1) & (pts[:, 1] >= box.y0) & (pts[:, 1] <= box.y1))
        assert not inside.any(), "the EfficientNet-B0 label covers a point"


def test_trajectory_stacked_panels_and_stated_reference(tmp_path, figures):
    assert main(["search", "--optimizer", "re", "--budget", "60", "--device", "a100", "--no-progress",
                 "--out", str(tmp_path / "run")]) == 0
    traj = figures[0]
    boxes = [tuple(np.round(a.get_position().bounds, 4)) for a in traj.axes]
    assert len(boxes) == 3 and len(set(boxes)) == 3  # three panels, none laid over another (no twin axes)
    assert [a.get_ylabel() for a in traj.axes] == ["best val_top1 (%)", "best reward (%)", "hypervolume (normalised)"]
    text = _texts(traj)
    assert "reference point (val_top1 40 %, throughput_a100 4200 img/s)" in text
    assert "surrogate predictions" in text


def test_accuracy_only_runs_write_both_plots(tmp_path, figures):
    out = tmp_path / "run"
    assert main(["search", "--optimizer", "rs", "--budget", "40", "--no-progress", "--out", str(out)]) == 0
    assert (out / "trajectory.png").is_file() and (out / "accuracy.png").is_file()
    assert not (out / "pareto.png").exists()  # one objective has no front
    par = figures[1]
    assert par.axes[0].get_xlabel().startswith("params_m (millions of parameters)")
    assert "Accuracy-only run" in _texts(par)


def test_points_off_the_support_are_marked(tmp_path, figures):
    rng = np.random.default_rng(0)
    n = 40
    frame = pd.DataFrame({"query": np.arange(1, n + 1), "val_top1": rng.uniform(55, 67, n),
                          "throughput_a100": rng.uniform(5e3, 3e4, n),
                          "feasible": [i % 5 != 0 for i in range(n)], "nearest_measured": [i % 12 for i in range(n)]})
    pareto = frame.nlargest(3, "val_top1")
    plotting.plot_pareto(frame, pareto, "val_top1", "throughput_a100", tmp_path / "p.png")
    fig = figures[0]
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "not trainable under the recipe" in labels
    assert f"> {plotting.SUPPORT_MAX_DISTANCE} decisions from measured data" in labels
    text = _texts(fig)
    assert "(8 points)" in text  # the 8 infeasible ones, counted in the caption
    far = int((frame["nearest_measured"] > plotting.SUPPORT_MAX_DISTANCE).sum())
    assert f"({far} points)" in text


def test_frames_without_support_columns_plot_unchanged(tmp_path, figures):
    frame = pd.DataFrame({"query": [1, 2, 3], "val_top1": [60.0, 61.0, 62.0], "throughput_a100": [9e3, 8e3, 7e3]})
    plotting.plot_pareto(frame, frame, "val_top1", "throughput_a100", tmp_path / "p.png")
    assert "Off the data's support" not in _texts(figures[0])


def test_compare_hypervolume_plot_states_its_reference(tmp_path, figures):
    assert main(["compare", "--optimizers", "rs", "re", "--seeds", "0", "--budget", "20", "--device", "a100",
                 "--objective", "pareto", "--jobs", "1", "--no-progress", "--out", str(tmp_path / "cmp")]) == 0
    hv = [f for f in figures if f.axes[0].get_ylabel() == "hypervolume (normalised)"]
    assert hv and "reference point (val_top1 40 %, throughput_a100 4200 img/s)" in _texts(hv[0])


def test_support_threshold_is_the_data_s_own_spacing():
    """99 % of measured architectures lie within SUPPORT_MAX_DISTANCE decisions of another measured one."""
    from naslib_anb.space.support import measured_codes

    codes = np.asarray(measured_codes())
    idx = np.random.default_rng(0).choice(len(codes), 400, replace=False)
    d = (codes[idx, None, :] != codes[None, :, :]).sum(-1)
    d[np.arange(len(idx)), idx] = 99  # leave each one out
    nearest = d.min(1)
    assert np.percentile(nearest, 99) <= plotting.SUPPORT_MAX_DISTANCE
    assert np.median(nearest) < plotting.SUPPORT_MAX_DISTANCE


def test_naslib_comparison_plot_says_what_it_shows(tmp_path, monkeypatch):
    import matplotlib.figure

    from naslib_anb.naslib.compare import plot

    seen = []
    real = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", lambda self, *a, **k: seen.append(self) or real(self, *a, **k))
    agg = {"re": {"epochs": np.arange(1, 6), "mean": np.linspace(60, 65, 5), "sem": np.full(5, 0.1), "n": 3}}
    assert plot(agg, tmp_path / "c.png").is_file()
    text = _texts(seen[0])
    assert "surrogate predictions" in text and "incumbent val top-1 (%)" in text
