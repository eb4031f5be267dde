"""Targets: closed-form transforms against direct integration, specs, user files, û₀."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from ntk_freq.data._targets import (FunctionTarget, WindowedSines, initial_error_hat, load_target,
                                    target)


@pytest.mark.parametrize("xi", [-12.5, -4.0, 0.0, 0.3, 3.9, 12.0])
def test_closed_form_transform_matches_adaptive_quadrature(xi):
    # Independent route: ∫ y(x) cos(ξx) dx − i ∫ y(x) sin(ξx) dx by scipy's adaptive quad on
    # [−20, 20] (the window is e^{−200/2.25} ≈ 1e-39 there); quad's own tolerance is 1e-13.
    y = WindowedSines([4.0, 12.0], width=1.5, amplitudes=[1.0, -0.5], phases=[0.3, 1.1])
    re = integrate.quad(lambda x: y(x) * math.cos(xi * x), -20, 20, epsabs=1e-13, epsrel=1e-13, limit=400)[0]
    im = -integrate.quad(lambda x: y(x) * math.sin(xi * x), -20, 20, epsabs=1e-13, epsrel=1e-13, limit=400)[0]
    assert abs(y.fourier(xi) - (re + 1j * im)) < 1e-11


def test_two_dimensional_closed_form_matches_product_quadrature():
    # y = e^{−|x|²/2} sin(κ·x) with κ = (2, 1): ŷ by Gauss–Hermite-free brute force on a fine
    # grid (trapezoid, spectrally accurate for this smooth decaying integrand: error < 1e-12).
    y = WindowedSines([[2.0, 1.0]], width=1.0, dim=2)
    s = np.linspace(-12, 12, 481)
    X = np.stack(np.meshgrid(s, s, indexing="ij"), axis=-1)
    xi = np.array([1.5, -0.5])
    direct = np.sum(y(X) * np.exp(-1j * X @ xi)) * (s[1] - s[0]) ** 2
    assert abs(y.fourier(xi) - direct) < 1e-12


@settings(max_examples=30, deadline=None)
@given(x=st.floats(-5, 5), xi=st.floats(-20, 20), k=st.floats(0, 15))
def test_symmetries_of_a_real_odd_target(x, xi, k):
    y = WindowedSines([k], width=1.2)
    assert np.isclose(y(-x), -y(x), atol=1e-15)  # zero phases: odd
    assert np.isclose(y.fourier(-xi), np.conj(y.fourier(xi)), atol=1e-14)  # real y
    assert abs(y.fourier(xi).real) < 1e-14  # odd and real: ŷ purely imaginary


def test_specs():
    y = target("windowed-sines:4,12")
    assert y.frequencies == ((4.0,), (12.0,)) and y.width == 1.0 and y.amplitudes == (1.0, 1.0)
    y = target("windowed-sines:4,12;width=2;amplitudes=1,0.5;phases=0,1.5")
    assert y.width == 2 and y.amplitudes == (1.0, 0.5) and y.phases == (0.0, 1.5)
    y2 = target("windowed-sines:4,0/3", dim=2)
    assert y2.frequencies == ((4.0, 0.0), (0.0, 3.0))
    bump = target("gaussian-bump:1.5", dim=3)
    assert np.isclose(bump(np.zeros(3)), 1.0) and np.isclose(bump([1.5, 0, 0]), math.exp(-0.5))
    for bad in ["", "sines:4", "windowed-sines:", "windowed-sines:4;colour=red",
                "windowed-sines:a", "windowed-sines:1/2/3;width=1"]:
        with pytest.raises(ValueError):
            target(bad, dim=2)
    with pytest.raises(ValueError, match="amplitudes"):
        WindowedSines([1.0, 2.0], amplitudes=[1.0])


def test_target_from_a_python_file(tmp_path):
    f = tmp_path / "my_target.py"
    f.write_text("import numpy as np\n\ndef target(x):\n    return np.tanh(x[:, 0]) * x[:, 1]\n")
    y = target(f"file:{f}", dim=2)
    assert isinstance(y, FunctionTarget)
    assert np.allclose(y(np.array([[1.0, 2.0], [0.0, 5.0]])), [2 * np.tanh(1.0), 0.0])
    (tmp_path / "none.py").write_text("x = 1\n")
    with pytest.raises(ValueError, match="target"):
        load_target(tmp_path / "none.py")(np.zeros((2, 1)))  # imported (and checked) at first use
    with pytest.raises(ValueError, match=".py"):
        load_target(tmp_path / "missing.txt")
    (tmp_path / "shape.py").write_text("def target(x):\n    return x\n")
    with pytest.raises(ValueError, match="shape"):
        load_target(tmp_path / "shape.py", dim=2)(np.zeros((3, 2)))


def test_initial_error_closed_form_and_quadrature_agree():
    # Quadrature on [−10, 10] with Δx = 0.05: truncation e^{−100/2} and aliasing at
    # 2π/0.05 − 20 ≈ 105 are both far below 1e-13; the two routes must agree to round-off.
    y = WindowedSines([4.0, 8.0], width=1.0, phases=[0.2, 0.0])
    xi = np.linspace(-20, 20, 81)
    closed = initial_error_hat(y)(xi)
    quad = initial_error_hat(y, half_width=10.0, points_per_axis=400, method="quadrature")(xi)
    assert np.max(np.abs(quad - closed)) < 1e-12
    plain = FunctionTarget(lambda x: y(x), 1)
    assert np.max(np.abs(initial_error_hat(plain, 10.0, 400)(xi) - closed)) < 1e-12
    with pytest.raises(ValueError, match="half_width"):
        initial_error_hat(plain)
    with pytest.raises(ValueError, match="closed-form"):
        initial_error_hat(plain, method="closed")


def test_a_file_target_runs_no_code_before_it_is_used(tmp_path):
    """A command that refuses its other arguments never executes the user's file."""
    from click.testing import CliRunner

    from ntk_freq.cli import main

    marker = tmp_path / "ran"
    source = tmp_path / "t.py"
    source.write_text(f"open({str(marker)!r}, 'w').close()\n\ndef target(x):\n    return x[:, 0] * 0\n")
    res = CliRunner().invoke(main, ["pde", "--rho", "gaussian:2", "--target", f"file:{source}",
                                    "--times", "5,1", "--out", str(tmp_path / "o")])
    assert res.exit_code != 0 and "increasing" in res.output
    assert not marker.exists()
    y = load_target(source)
    assert not marker.exists()
    y(np.zeros((2, 1)))
    assert marker.exists()
