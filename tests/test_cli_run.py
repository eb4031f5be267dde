"""``ntk-freq run`` and ``ntk-freq width-study`` end to end, at small settings through a TOML
config and flags: files, summary keys, the printed table, and clean refusals."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

import ntk_freq  # noqa: F401
from ntk_freq import open_results
from ntk_freq._util import store
from ntk_freq.cli import main

CONFIG = """
experiment = "quick"
width = 256
steps = 100
n_snapshots = 5
n_xi = 61
"""


def test_run_writes_a_complete_run_directory(tmp_path):
    cfg = tmp_path / "small.toml"
    cfg.write_text(CONFIG)
    out = tmp_path / "results"
    res = CliRunner().invoke(main, ["run", "--config", str(cfg), "--seed", "3", "--out", str(out),
                                    "--points", "120", "--half-width", "8", "--name", "r1", "--quiet"])
    assert res.exit_code == 0, res.output
    run = out / "r1"
    assert {p.name for p in run.iterdir()} == {"learning_curves.png", "learning_curves.pdf",
                                               "spectra.png", "spectra.pdf",
                                               "summary.json", "results.npz", "results.nc"}
    summary = json.loads((run / "summary.json").read_text())
    for rho in ("gaussian:3", "uniform:10"):
        s = summary["rho"][rho]
        assert 0 <= s["pde_vs_kernel_rel_l2"] < 1 and 0 <= s["nn_vs_kernel_rel_l2"] < 1
        assert set(s["remaining_fraction"]) == {"pde", "kernel", "kernel_gd", "nn"}
        assert s["pde_model"] == "E2" and s["pde_vs_kernel_rel_l2"] < 1e-4
        assert 0 <= s["pde_e3_vs_kernel_rel_l2"] < 1
    assert summary["spec"]["seed"] == 3 and summary["spec"]["width"] == 256
    assert summary["spec"]["n_points"] == 120 and summary["spec"]["half_width"] == 8.0
    arrays, meta = store.read_results(run / "results.npz")
    assert meta["spec"] == summary["spec"] and "packages" in meta["provenance"]
    assert np.all(np.isfinite(arrays["rho0.u_hat.nn"]))
    ds = open_results(run)                            # the labelled twin of results.npz
    np.testing.assert_array_equal(ds.u_hat.sel(rho="gaussian:3", route="nn"), arrays["rho0.u_hat.nn"])
    assert "PDE gap" in res.output and "t = η·step = " in res.output and str(run) in res.output
    assert max(len(line) for line in res.output.splitlines() if "wrote" not in line) <= 80


@pytest.mark.slow
def test_run_on_non_uniform_data_with_the_frequency_part(tmp_path):
    """--data/--part frequency reach compare: the spec records them, (E2) follows the kernel."""
    out = tmp_path / "results"
    res = CliRunner().invoke(main, ["run", "--experiment", "quick", "--rho", "gaussian:3",
                                    "--data", "pieces:-8,0,8/0.8,0.2", "--points", "200",
                                    "--half-width", "8", "--part", "frequency", "--width", "32",
                                    "--steps", "20", "--out", str(out), "--name", "d", "--quiet"])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "d" / "summary.json").read_text())
    assert summary["spec"]["data"] == "pieces:-8,0,8/0.8,0.2"
    assert summary["spec"]["part"] == "frequency" and summary["spec"]["data_layout"] == "quantiles"
    assert summary["rho"]["gaussian:3"]["pde_vs_kernel_rel_l2"] < 1e-4


def test_run_with_a_single_frequency_target(tmp_path):
    """Regression: a one-frequency target crashed after training (summary of κ of shape (1,))."""
    cfg = tmp_path / "small.toml"
    cfg.write_text(CONFIG)
    out = tmp_path / "results"
    res = CliRunner().invoke(main, ["run", "--experiment", "quick", "--config", str(cfg),
                                    "--rho", "gaussian:3", "--target", "windowed-sines:2;width=1.5",
                                    "--width", "64", "--steps", "40", "--out", str(out),
                                    "--name", "one", "--quiet"])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "one" / "summary.json").read_text())
    assert set(summary["rho"]["gaussian:3"]["remaining_fraction"]["nn"]) == {"xi=2"}
    assert (out / "one" / "results.npz").exists()


def test_bad_options_fail_cleanly_without_a_directory(tmp_path):
    out = tmp_path / "results"
    runner = CliRunner()
    res = runner.invoke(main, ["run", "--rho", "gaussian:3", "--eta", "100", "--out", str(out),
                               "--quiet"])
    assert res.exit_code != 0 and "stability limit" in res.output
    res = runner.invoke(main, ["run", "--config", str(tmp_path / "missing.toml"), "--out", str(out)])
    assert res.exit_code != 0 and "does not exist" in res.output
    assert not out.exists() or not any(out.iterdir())


def test_width_study_command(tmp_path):
    res = CliRunner().invoke(main, ["width-study", "--widths", "64,256", "--seeds", "1",
                                    "--steps", "20", "--eta", "0.5", "--out", str(tmp_path),
                                    "--part", "readout", "--points", "100", "--name", "w", "--quiet"])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "w" / "summary.json").read_text())
    assert summary["widths"] == [64, 256] and np.isfinite(summary["exponent"])
    assert summary["spec"]["n_xi"] == 241 and summary["spec"]["rho"] == "gaussian:3"
    assert summary["spec"]["part"] == "readout" and summary["spec"]["n_points"] == 100
    assert (tmp_path / "w" / "width_study.png").exists()


def test_unwritable_output_is_refused_before_any_computation(tmp_path, monkeypatch):
    import importlib

    def never(*args, **kwargs):
        raise AssertionError("computed before checking the output folder")

    monkeypatch.setattr(importlib.import_module("ntk_freq.experiments._run"), "compare_settings", never)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = CliRunner().invoke(main, ["run", "--out", str(blocker / "sub"), "--quiet"])
    assert res.exit_code != 0 and "is a file" in res.output


def test_summary_table_keeps_long_labels_whole_and_aligned():
    """3-D wave vectors and product ρ_w specs are longer than the 1-D columns: printed whole,
    the value columns stay aligned."""
    from ntk_freq.experiments._run import summary_table

    rem = {"xi=(1.2,0,0)": 0.3, "xi=(0,0,1.2)": 0.6}
    entry = {"pde_vs_kernel_rel_l2": 0.07, "nn_vs_kernel_rel_l2": 0.5,
             "remaining_fraction": {r: rem for r in ("pde", "kernel", "nn")}}
    table = summary_table({"spec": {"eta": 1.5, "steps": 200},
                           "rho": {"gaussian:1": entry, "gaussian:1.5/1.5/0.6": entry}})
    rows = [line for line in table.splitlines() if "(1.2,0,0)" in line or "(0,0,1.2)" in line]
    assert len(rows) == 4 and "gaussian:1.5/1.5/0.6 " in table
    assert len({line.index("(") for line in rows}) == 1      # κ labels in one column
    assert len({len(line) for line in rows}) == 1            # and the values after them


def test_run_with_a_deep_network_writes_its_results(tmp_path):
    """`--network deep-fourier-features`: the same main job on the deep FF-NN (the FF-only
    settings of the default experiment do not apply); its results file opens and records the
    network."""
    res = CliRunner().invoke(main, ["run", "--network", "deep-fourier-features", "--width", "16",
                                    "--hidden", "16", "--steps", "10", "--eta", "0.25", "--rho", "gaussian:3",
                                    "--out", str(tmp_path), "--name", "deep", "--quiet"])
    assert res.exit_code == 0, res.output
    ds = open_results(tmp_path / "deep" / "results.nc")
    spec = json.loads(ds.attrs["spec"])
    assert spec["network"] == "DeepFourierFeatures" and spec["hidden"] == [16]
    assert spec["model"] == "E3" and "sigma_a" not in spec
    assert np.isfinite(ds["u_hat"].sel(route="nn").values).all()
