"""The first hour of a new user (issue 26): one data rule, arguments checked before data, no silent
cases, output that says what each figure is. One test per rough edge, each on the bad input."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from naslib_anb.cli.main import build_parser, main
from naslib_anb.data import source
from naslib_anb.space import EFFICIENTNET_B0, arch_cost, sample

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def no_data(monkeypatch, tmp_path):
    """A machine without the dataset anywhere the rule looks, and a network that must not be used."""
    monkeypatch.delenv(source.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(source, "checkout_data_dir", lambda: tmp_path / "beside")

    def network(*a, **k):
        raise AssertionError("the network was used without being asked")

    monkeypatch.setattr(source, "download", network)
    return tmp_path


def _record(arch, params=None, macs=None) -> dict:
    cost = arch_cost(arch)
    return {"architecture": arch.to_dict(),  # accuracy grows with size, as it roughly does
            "metrics": {"val_top1": 55.0 + cost.params_m, "val_top5": 80.0, "train_time": 3000.0},
            "model_info": {"macs": cost.macs_m if macs is None else macs,
                           "params": cost.params_m if params is None else params},
            "platform_perf": {}}


def _own_dataset(folder: Path, n: int = 30, bad_params: float | None = None) -> Path:
    """A dataset collected by oneself: result_<i>.json with names upstream's split does not know."""
    folder.mkdir(parents=True)
    for i, a in enumerate(sample(7, n)):
        rec = _record(a, params=bad_params if (bad_params is not None and i == 3) else None)
        (folder / f"result_{9000 + i}.json").write_text(json.dumps(rec))
    return folder


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if ": error: " in line]
    assert len(errors) == 1 and "Traceback" not in "\n".join(err), err
    return errors[0]


# ------------------------------------------------------------------------------------ 1. one data rule
def test_the_rule_order_explicit_env_checkout_cache(monkeypatch, tmp_path):
    env, beside, cache = (tmp_path / n / source.TARBALL_NAME for n in ("env", "beside", "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(source, "cache_dir", lambda: cache.parent)
    monkeypatch.setattr(source, "checkout_data_dir", lambda: beside.parent)
    monkeypatch.delenv(source.ENV_VAR, raising=False)
    assert source.find_data_path() is None
    for p in (env, beside, cache):
        p.parent.mkdir(parents=True)
        p.write_bytes(b"x")
    assert source.resolve_data_path() == beside  # beside the checkout before the cache
    monkeypatch.setenv(source.ENV_VAR, str(env))
    assert source.resolve_data_path() == env
    assert source.resolve_data_path(cache) == cache  # explicit first
    beside.unlink()
    monkeypatch.delenv(source.ENV_VAR)
    assert source.find_data_path() == cache


def test_the_checkout_location_is_beside_this_repository():
    assert source.checkout_data_dir() == REPO.parent / "shared" / "anb"


def _module_at(path: Path):
    """The module of one test file, by path (``conftest`` is also a name under tests/naslib_integration/)."""
    import importlib.util

    name = f"_first_hour_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def test_tests_find_data_by_the_library_rule():
    conftest = _module_at(REPO / "tests" / "conftest.py")
    snippets = _module_at(REPO / "tests" / "test_docs_snippets.py")
    assert conftest.data_path() == source.find_data_path() == snippets.data_path()
    assert conftest.NO_DATA == snippets.no_data_reason()  # no data: one skip reason everywhere
    for test_file in ("conftest.py", "test_docs_snippets.py"):  # no path of their own
        text = (REPO / "tests" / test_file).read_text()
        assert '"shared"' not in text and "NASLIB_ANB_DATA\")" not in text, test_file


def test_no_network_unless_asked(no_data):
    from naslib_anb.data import load_dataset
    from naslib_anb.errors import DataNotFoundError

    with pytest.raises(DataNotFoundError, match="naslib-anb data --download"):
        load_dataset()  # the patched download would raise AssertionError if it were tried


@pytest.mark.parametrize("argv", [["evaluate"], ["data"], ["fit", "--targets", "val_top1"],
                                  ["profile", "run", "--archs", "dataset:2", "--config",
                                   str(REPO / "configs" / "profile" / "cpu.yaml")]])
def test_cli_without_data_says_data_flag_and_stays_offline(argv, no_data, capsys):
    if argv[0] in ("fit", "profile"):
        argv = argv + ["--out", str(no_data / "out")]
    assert main(argv) == 2
    line = _one_line_error(capsys)
    assert "--data PATH" in line and "load_dataset(PATH)" not in line and "$NASLIB_ANB_DATA" in line


# --------------------------------------------------------------------- 2. arguments before data/network
@pytest.mark.parametrize("argv, needle", [
    (["fit", "--seed", "-1", "--targets", "val_top1"], "seed must be"),
    (["fit", "--folds", "2", "--members", "5"], "members (5) > folds (2)"),
    (["fit", "--targets", "nope"], "nope"),
    (["fit", "--split", "random", "--split-fractions", "0.5", "0.5", "0.5"], "--split-fractions"),
    (["fit", "--split", "random", "--split-seed", "-3"], "--split-seed must be >= 0"),
    (["evaluate", "--targets", "nope"], "unknown target 'nope'"),
    (["search", "--optimizer", "nope", "--budget", "5"], "nope"),
    (["compare", "--optimizers", "re", "--budget", str(10 ** 12)], "--budget"),
])
def test_bad_arguments_fail_before_any_data(argv, needle, no_data, monkeypatch, capsys):
    import naslib_anb.data as data

    def reading(*a, **k):
        raise AssertionError("the dataset was read before the arguments were checked")

    monkeypatch.setattr(data, "load_dataset", reading)
    if argv[0] in ("fit", "search", "compare"):
        argv = argv + ["--out", str(no_data / "out")]
    assert main(argv) == 2
    assert needle in _one_line_error(capsys)


# ------------------------------------------------------------------------------- 4. small things
def test_version_and_bare_command(capsys):
    from naslib_anb import __version__

    with pytest.raises(SystemExit) as ei:
        main(["--version"])
    assert ei.value.code == 0 and capsys.readouterr().out.strip() == f"naslib-anb {__version__}"
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: naslib-anb") and "search" in out and "evaluate" in out


def test_search_config_without_optimizer_is_refused(tmp_path, capsys):
    empty = tmp_path / "empty.yaml"
    empty.write_text("{}\n")
    assert main(["search", "--config", str(empty), "--out", str(tmp_path / "run")]) == 2
    assert "--optimizer is required" in _one_line_error(capsys)
    assert not (tmp_path / "run").exists()
    named = tmp_path / "named.yaml"
    named.write_text("optimizer: rs\nbudget: 5\nbenchmark: toy\n")
    assert main(["search", "--config", str(named), "--no-plots", "--no-progress", "--out", str(tmp_path / "ok")]) == 0
    assert "rs seed 0" in capsys.readouterr().out


@pytest.mark.parametrize("budget", [str(10 ** 12), "1000001"])
def test_absurd_budget_is_refused(budget, tmp_path, capsys):
    assert main(["search", "--optimizer", "rs", "--benchmark", "toy", "--budget", budget,
                 "--out", str(tmp_path / "run")]) == 2
    assert "more than 1,000,000 queries" in _one_line_error(capsys)


def test_sigterm_during_a_search_leaves_no_partial_or_lock(tmp_path):
    """A real process, stopped with SIGTERM while it holds the lock: no leftovers, exit 128 + 15."""
    out = tmp_path / "run"
    partial, lock = out.with_name("run.partial"), out.with_name("run.lock")
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with open(tmp_path / "stderr.txt", "wb") as err:
        # a million queries: minutes of work, so the signal always arrives mid-search
        proc = subprocess.Popen([sys.executable, "-m", "naslib_anb.cli.main", "search", "--optimizer", "rs",
                                 "--benchmark", "toy", "--budget", "1000000", "--no-progress", "--no-plots",
                                 "--out", str(out)], env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.time() + 300
            while proc.poll() is None and time.time() < deadline and not (partial.is_dir() and lock.exists()):
                time.sleep(0.05)
            assert proc.poll() is None, (tmp_path / "stderr.txt").read_text()
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=300)
        finally:
            if proc.poll() is None:  # never leave the child behind, whatever failed
                proc.kill()
                proc.wait()
    assert rc == 128 + signal.SIGTERM, (tmp_path / "stderr.txt").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stderr.txt"]


def _help(*path: str) -> dict[str, str]:
    """option -> help text of one subcommand."""
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    sub = action.choices[path[0]]
    return {s: (a.help or "") for a in sub._actions for s in a.option_strings}


def test_help_texts_name_what_and_default():
    assert "seed" in _help("space")["--seed"] and "default 0" in _help("space")["--seed"]
    assert "default" in _help("evaluate")["--targets"]
    fit = build_parser()._actions[-1].choices["fit"]
    for a in fit._actions:
        if not a.option_strings or a.required or a.nargs == 0 or a.default is None:
            continue  # flags, required and optional inputs have no default value to state
        assert a.help and "default" in a.help, f"fit {a.option_strings[0]} states no default: {a.help!r}"


def test_cpu_profile_config_uses_this_machines_cpus():
    from naslib_anb.profiling.config import load_config

    cfg = load_config(REPO / "configs" / "profile" / "cpu.yaml")
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert cfg.threads == expected
    assert load_config(REPO / "configs" / "profile" / "cpu.yaml", threads=3).threads == 3


def test_trainability_reviewer_command_runs_as_written():
    text = (REPO / "docs" / "trainability.md").read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("Reviewer's check"))
    cmd = line.split("`")[1]
    assert cmd.startswith("naslib-anb search") and "--out" in cmd
    parser = build_parser()
    args = parser.parse_args(cmd.split()[1:])  # parses (a missing --out would exit 2 here)
    assert args.out == Path("runs/review")


# ------------------------------------------------------------------------- bad data and own datasets
def test_data_rejects_a_record_contradicting_the_exact_cost(tmp_path, capsys):
    good = _own_dataset(tmp_path / "good", n=6)
    assert main(["data", "--data", str(good), "--json"]) == 0
    capsys.readouterr()
    bad = _own_dataset(tmp_path / "bad", n=6, bad_params=999.0)
    assert main(["data", "--path", str(bad)]) == 2
    line = _one_line_error(capsys)
    assert "result_9003" in line and "999" in line and "bad data" in line


def test_exact_cost_table_equals_arch_cost():
    from naslib_anb.data.consistency import exact_cost_m

    for a in sample(3, 200, feasible_only=False) + [EFFICIENTNET_B0]:
        p, m = exact_cost_m(a)
        c = arch_cost(a)
        assert p == pytest.approx(c.params_m, rel=1e-12) and m == pytest.approx(c.macs_m, rel=1e-12)


@pytest.mark.parametrize("cmd", ["evaluate", "fit"])
def test_own_dataset_with_the_default_split_hints_split_random(cmd, tmp_path, capsys):
    own = _own_dataset(tmp_path / "own")
    argv = [cmd, "--data", str(own)] + (["--targets", "val_top1", "--out", str(tmp_path / "m")] if cmd == "fit"
                                         else ["--targets", "val_top1"])
    assert main(argv) == 2
    line = _one_line_error(capsys)
    assert "--split random" in line and "result_90" in line, line
    assert not (tmp_path / "m").exists()


@pytest.fixture()
def terminal(monkeypatch):
    """stderr taken for a terminal: the step lines are printed (in a pipe they are not)."""
    from naslib_anb.cli import progress

    monkeypatch.setattr(progress, "interactive", lambda: True)


def test_step_lines_only_on_a_terminal(capsys, monkeypatch):
    from naslib_anb.cli import progress

    progress.step("fit", "reading the dataset")
    assert capsys.readouterr().err == ""  # captured: not a terminal, so errors stay one line
    monkeypatch.setattr(progress, "interactive", lambda: True)
    progress.step("fit", "reading the dataset")
    assert capsys.readouterr().err == "fit: reading the dataset ...\n"


def test_fit_split_random_on_own_dataset_works(tmp_path, capsys, terminal):
    own = _own_dataset(tmp_path / "own", n=40)
    assert main(["fit", "--data", str(own), "--split", "random", "--targets", "val_top1", "--family", "xgb",
                 "--members", "2", "--folds", "2", "--out", str(tmp_path / "m")]) == 0
    assert (tmp_path / "m" / "manifest.json").is_file()
    assert "fit: reading the dataset" in capsys.readouterr().err


def test_evaluate_labels_both_train_time_figures(anb_data_path, capsys, terminal):
    assert main(["evaluate", "--data", str(anb_data_path), "--targets", "train_time", "val_top1"]) == 0
    cap = capsys.readouterr()
    rows = [ln for ln in cap.out.splitlines() if ln.startswith("train_time")]
    assert len(rows) == 2 and "excluded" in rows[0] and "whole split" in rows[1], cap.out
    assert rows[0].split()[-6:] != rows[1].split()[-6:]  # two different figures
    assert "evaluate: scoring" in cap.err  # a line per step: it takes seconds


# ------------------------------------------------------------------------------------ search output
def test_reward_run_labels_the_reward_and_ties_figures_to_architectures(tmp_path, capsys):
    import pandas as pd

    out = tmp_path / "run"
    assert main(["search", "--optimizer", "re", "--benchmark", "toy", "--device", "vck190", "--budget", "80",
                 "--no-progress", "--no-plots", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "benchmark 'toy'" in text and "smoke test" in text
    assert "best by reward:" in text and "best feasible by reward" in text
    s = json.loads((out / "summary.json").read_text())
    q = pd.read_csv(out / "queries.csv")
    best_row = q[q.arch == s["best_arch"]].iloc[0]
    assert s["best_by"] == "reward" and s["best_reward"] == pytest.approx(best_row.reward, rel=1e-5)
    assert s["best_accuracy"] == pytest.approx(best_row.val_top1, rel=1e-5)  # the accuracy of best_arch
    assert s["highest_accuracy"]["value"] == pytest.approx(q.val_top1.max(), rel=1e-5)
    assert q[q.arch == s["highest_accuracy"]["arch"]].val_top1.max() == pytest.approx(q.val_top1.max(), rel=1e-5)


def test_accuracy_only_run_has_no_pareto_plot_or_set(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["search", "--optimizer", "rs", "--benchmark", "toy", "--budget", "30", "--no-progress",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Pareto set" not in text and "Best architecture by val_top1" in text
    assert "reward" not in text and "best by val_top1:" in text  # no reward without a device
    assert json.loads((out / "summary.json").read_text())["best_by"] == "val_top1"
    assert not (out / "pareto.png").exists() and (out / "accuracy.png").is_file()


def test_toy_plots_say_toy_not_surrogate():
    from naslib_anb.search.plotting import source_caption

    assert "toy" in source_caption("toy") and "ensemble mean" not in source_caption("toy")
    assert "ensemble mean" in source_caption("anb")


# ------------------------------------------------------------------------------------------- 3. README
def test_readme_is_a_short_landing_page():
    lines = (REPO / "README.md").read_text().splitlines()
    assert len(lines) <= 200
    assert any("load_benchmark" in ln for ln in lines[:60])


def test_ci_runs_exactly_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    ci = [ln for ln in (REPO / ".ci" / "run").read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    test_cmd = ci[-1]
    assert "pytest" in test_cmd and f"```bash\n{test_cmd}\n```" in readme
    assert all("pytest" not in ln for ln in ci[:-1])  # install, then the README's command, no more


@pytest.mark.slow
def test_export_onnx_says_each_step(tmp_path, capsys, terminal):
    pytest.importorskip("torch", reason="needs the train/profile extra (torch)")
    pytest.importorskip("onnx", reason="needs the profile extra (onnx)")
    out = tmp_path / "tiny.onnx"
    assert main(["profile", "export-onnx", "e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0",
                 "--resolution", "32", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    steps = [ln for ln in err.splitlines() if ln.startswith("export-onnx: ")]
    assert [s.split(": ", 1)[1].split()[0] for s in steps] == ["importing", "building", "tracing", "checking"], err
    assert out.stat().st_size > 0


def test_bench_honesty_says_which_bar_a_row_misses(monkeypatch, capsys):
    from _scripts import load_script

    mod = load_script("benchmarks/bench_honesty.py")
    row = {"max_over_measured_max": 1.0, "min_over_measured_min": 1.0, "in_range": True, "monotone_share": 1.0,
           "monotone_met": True, "coverage_68": 0.7, "coverage_95": 0.95, "coverage_met": True,
           "spearman_std_distance": 0.1, "spearman_met": False, "spearman_ceiling": 0.2,
           "spearman_fitted_space": 0.3, "spearman_at_equal_value": 0.5}
    monkeypatch.setattr(mod, "measure", lambda *a, **k: {"throughput_a100": row, "val_top1": {
        **row, "spearman_met": True}})
    assert mod.main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].endswith("NO: spearman") and lines[2].endswith("yes")


def test_query_all_refuses_a_zero_dimensional_target_array():
    """Found by the fuzz test: ``np.array(3)`` says it is iterable, then raises TypeError."""
    import numpy as np

    from naslib_anb.benchmark import load_benchmark
    from naslib_anb.errors import UnknownTargetError

    bench = load_benchmark()
    with pytest.raises(UnknownTargetError, match="array"):
        bench.query_all([EFFICIENTNET_B0], np.array(3))
    assert list(bench.query_all([EFFICIENTNET_B0], np.array(["val_top1"]))) == ["val_top1"]
