"""`ntk-freq spectrum`: prints eigenvalues against frequency, writes a figure and a csv whose
numbers are the library's, and refuses bad input with a message."""

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

import ntk_freq as nf
from ntk_freq.kernels import _spectra as spectra
from ntk_freq.cli import main


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_periodic_gaussian(tmp_path):
    res = run("spectrum", "--rho", "gaussian:2", "--kmax", "12", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    assert "exponential, rate 0.125 (q = 2)" in res.output
    data = np.loadtxt(tmp_path / "spectrum.csv", delimiter=",", skiprows=1)
    expected = spectra.periodic_spectrum(nf.Gaussian(2.0), 2 * math.pi, 12)
    np.testing.assert_allclose(data[:, 1], expected.eigenvalue, rtol=1e-12)
    assert (tmp_path / "spectrum.png").stat().st_size > 10_000
    meta = json.loads((tmp_path / "spectrum.json").read_text())
    assert meta["options"]["rho_spec"] == "gaussian:2" and "git_revision" in meta["provenance"]


def test_sphere_relu_reports_k_minus_2(tmp_path):
    res = run("spectrum", "--network", "relu", "--kmax", "60", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    exponent = float(res.output.split("exponent ")[1].split(",")[0])
    assert exponent == pytest.approx(-2.0, abs=0.05)


def test_interval_gram(tmp_path):
    res = run("spectrum", "--rho", "uniform:6", "--domain", "interval:-3,3", "--points", "200",
              "--kmax", "10", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    assert (tmp_path / "spectrum.csv").exists()


@pytest.mark.parametrize("args,message", [
    (["--rho", "gauss:2"], "unknown distribution 'gauss'"),
    (["--rho", "gaussian:2", "--network", "relu"], "exactly one of"),
    (["--rho", "gaussian:2", "--part", "full"], "periodic (Bochner) route"),
    (["--rho", "gaussian:2", "--domain", "torus"], "use periodic[:P]"),
    (["--rho", "gaussian:2", "--domain", "interval:1"], "interval:A,B with A < B"),
    (["--rho", "gaussian:2", "--domain", "periodic:abc"], "use periodic[:P]"),
    (["--rho", "uniform:8", "--domain", "sphere"], "isotropic ρ_w, and uniform:8 in d = 2 is not"),
    (["--rho", "gaussian:2", "--bias", "0.5"], "--bias is for --network"),
    (["--network", "relu", "--sigma-a", "2"], "--sigma-a is for --rho"),
])
def test_bad_input(tmp_path, args, message):
    res = CliRunner().invoke(main, ["spectrum", *args, "--out", str(tmp_path / "o")])
    assert res.exit_code != 0 and message in res.output
    assert not (tmp_path / "o").exists()


def test_isotropic_ff_kernel_on_the_sphere(tmp_path):
    """For a Gaussian ρ_w the FF kernel on S² is the dot-product kernel e^{−s²(1−t)}(1 + σ_a²t):
    its eigenvalues fall faster than any power (the auto fit picks an exponential law)."""
    res = run("spectrum", "--rho", "gaussian:1", "--domain", "sphere", "--dim", "3", "--kmax", "12",
              "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    assert "fitted decay on frequencies >= 7: exponential" in res.output
