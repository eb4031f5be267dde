"""The grid Fourier transform of ntk_freq.fourier against closed forms and transform identities."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ntk_freq as nf
from ntk_freq.data import _fourier as fourier
from ntk_freq.data._fourier import (fourier_transform, frequency_grid, grid_cell_volume,
                                    midpoint_grid, relative_l2, remaining_fraction)


def gaussian_hat(xi, w):
    """F[e^{−|x|²/2w²}](ξ) = (2π w²)^{d/2} e^{−w²|ξ|²/2} (closed form)."""
    d = xi.shape[-1]
    return (2 * np.pi * w**2) ** (d / 2) * np.exp(-0.5 * w**2 * np.sum(xi**2, axis=-1))


@pytest.mark.parametrize("dim, n", [(1, 200), (2, 60), (3, 40)])
def test_gaussian_transform_matches_closed_form(dim, n):
    # Error budget (module docstring): truncation e^{−L²/2w²} = e^{−32} ≈ 1e-14 of the peak, and
    # aliasing: the nearest copy sits 2π/Δx − |ξ_i| ≥ 2π/0.8 − 2 = 5.85 away (Δx = 2L/n ≤ 0.8),
    # where the transform is e^{−w²·5.85²/2} ≈ 1e-30 of its peak. Expected error ≤ 1e-13 · peak.
    w, L = 2.0, 16.0
    x, dV = midpoint_grid(L, n, dim)
    xi = np.random.default_rng(0).uniform(-2, 2, size=(40, dim))
    u = np.exp(-0.5 * np.sum(x**2, axis=1) / w**2)
    got = fourier_transform(u, x, xi)
    assert np.allclose(got, gaussian_hat(xi, w), rtol=0, atol=1e-12 * gaussian_hat(0 * xi[0], w))


def test_shapes_batches_and_chunking(monkeypatch):
    x, dV = midpoint_grid(5.0, 30, 2)
    u = np.random.default_rng(1).normal(size=(3, 4, x.shape[0]))
    xi = np.random.default_rng(2).normal(size=(5, 7, 2))
    whole = fourier_transform(u, x, xi, cell_volume=dV)
    assert whole.shape == (3, 4, 5, 7)
    monkeypatch.setattr(fourier, "CHUNK_BYTES", 16 * x.shape[0] * 3)  # 3 frequencies per block
    assert np.allclose(fourier_transform(u, x, xi, cell_volume=dV), whole, rtol=1e-13, atol=1e-13)
    # a direct single-frequency sum, written out
    direct = np.sum(u[1, 2] * np.exp(-1j * x @ xi[4, 6])) * dV
    assert np.isclose(whole[1, 2, 4, 6], direct, rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(a=st.floats(-3, 3), b=st.floats(-3, 3), shift=st.integers(-5, 5), xi0=st.floats(-6, 6))
def test_linearity_and_shift_theorem(a, b, shift, xi0):
    x, dV = midpoint_grid(8.0, 64)  # Δx = 0.25
    rng = np.random.default_rng(3)
    u, v = rng.normal(size=(2, x.shape[0]))
    xi = np.array([xi0, xi0 + 0.7])
    lhs = fourier_transform(a * u + b * v, x, xi)
    rhs = a * fourier_transform(u, x, xi) + b * fourier_transform(v, x, xi)
    assert np.allclose(lhs, rhs, atol=1e-10)
    # translating the samples by s grid steps multiplies û by e^{−iξ s Δx} (exact for the sum)
    shifted = x + shift * 0.25
    assert np.allclose(fourier_transform(u, shifted, xi),
                       np.exp(-1j * xi * shift * 0.25) * fourier_transform(u, x, xi), atol=1e-10)


def test_cell_volume_inference_and_errors():
    x, dV = midpoint_grid(3.0, 12, 2)
    assert np.isclose(grid_cell_volume(x), dV) and np.isclose(dV, 0.25)
    bad = np.array([[0.0], [0.1], [0.3]])
    with pytest.raises(ValueError, match="uniform"):
        fourier_transform(np.ones(3), bad, [1.0])
    assert np.isclose(fourier_transform(np.ones(3), bad, [0.0], cell_volume=0.1), 0.3)
    with pytest.raises(ValueError, match="NaN"):
        fourier_transform(np.array([1.0, np.nan, 0.0]), x[:3], [[0.0, 0.0]], cell_volume=1)
    with pytest.raises(ValueError, match="shape"):
        fourier_transform(np.ones(5), x, [[0.0, 0.0]])


def test_grids_and_diagnostics():
    g = frequency_grid(2.0, 5, 2)
    assert g.shape == (5, 5, 2) and g[0, 0].tolist() == [-2, -2] and g[-1, -1].tolist() == [2, 2]
    assert relative_l2([1.0, 2.0], [1.0, 2.0]) == 0
    assert np.isclose(relative_l2([0.0, 2.0], [1.0, 2.0]), 1 / np.sqrt(5))
    with pytest.raises(ValueError, match="zero"):
        relative_l2([1.0], [0.0])
    r = remaining_fraction([0.5, 1.0], [1.0, 0.0])
    assert r[0] == 0.5 and np.isnan(r[1])


@pytest.mark.parametrize("n_points", [160, 161])
def test_aliasing_phase_of_the_cell_centred_grid(n_points):
    """Poisson summation with the phase (−1)^{m(N−1)} (fourier.py docstring): for a Gaussian,
    whose transform is known in closed form, the quadrature equals û(ξ) + Σ_{m≠0} (−1)^{m(N−1)}
    û(ξ + 2πm/Δx) to rounding; a formula without the phase misses it for even N."""
    L, w = 10.0, 0.35
    x, dx = nf.midpoint_grid(L, n_points)
    u = np.exp(-x[:, 0] ** 2 / (2 * w * w))
    u_hat = lambda xi: math.sqrt(2 * math.pi) * w * np.exp(-(w * xi) ** 2 / 2)  # noqa: E731
    xi = np.array([20.0])
    images = sum((-1) ** (m * (n_points - 1)) * u_hat(xi + 2 * math.pi * m / dx) for m in range(-3, 4))
    got = nf.fourier_transform(u, x, xi, cell_volume=dx).real
    np.testing.assert_allclose(got, images, rtol=1e-12, atol=1e-15)
