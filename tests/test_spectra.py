"""Eigenspectra: Bochner vs Gram on periodic grids, Funk–Hecke vs Gram/Nyström on the circle and
the sphere, the known ReLU decay laws, Nyström vs Gram convergence, decay fits."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ntk_freq as nf
from ntk_freq.kernels import _closed_form as kernels, _spectra as spectra


def periodised_gram(rho, P, n, images):
    """Θ_P(x_i, x_j) = Σ_{|l| ≤ images} φ_w(x_i − x_j + lP) on the uniform grid x_i = iP/n."""
    x = P * np.arange(n) / n
    diff = (x[:, None] - x[None, :])[..., None] + P * np.arange(-images, images + 1)
    return rho.char_fn(diff[..., None]).sum(axis=-1)


@pytest.mark.parametrize("spec", ["gaussian:3", "0.5*gaussian:1+0.5*gaussian:4@10"])
def test_bochner_equals_gram_on_periodic_grid(spec):
    """Eigenvalues of Θ_P/N on an N-point periodic grid = the aliased Bochner sum. Images beyond
    |l| = 3 contribute φ(3P) = e^{−s²(3P)²/2} < e^{−170} for s ≥ 1: exact to rounding."""
    rho, P, n = nf.distribution(spec), 2 * math.pi, 64
    gram = spectra.gram_spectrum(periodised_gram(rho, P, n, 3))
    bochner = spectra.periodic_spectrum(rho, P, n // 2, n_points=n).expanded()
    np.testing.assert_allclose(gram, bochner[:n], atol=1e-13)


def test_bochner_equals_gram_for_heavy_tailed_laplace():
    """Laplace ρ_w: φ(z) = 1/(1 + s²z²) decays slowly, but its periodisation has a closed form
    (partial fractions of π coth): Σ_l φ(z + lP) = (π/sP) sinh(a) / (cosh(a) − cos(2πz/P)),
    a = 2π/(sP). The aliased Bochner sum must reproduce that Gram spectrum to rounding."""
    s, P, n = 2.0, 2 * math.pi, 64
    x = P * np.arange(n) / n
    z = x[:, None] - x[None, :]
    a = 2 * math.pi / (s * P)
    K = math.pi / (s * P) * math.sinh(a) / (math.cosh(a) - np.cos(2 * math.pi * z / P))
    bochner = spectra.periodic_spectrum(nf.Laplace(s), P, n // 2, n_points=n).expanded()
    np.testing.assert_allclose(spectra.gram_spectrum(K), bochner[:n], rtol=1e-9)


def test_bochner_without_aliasing_is_the_operator_spectrum():
    """For a Gaussian ρ_w the aliased terms are e^{−(2πN/P)²s²/2}-small: both agree."""
    rho = nf.Gaussian(1.0)
    op = spectra.periodic_spectrum(rho, 2 * math.pi, 10)
    grid = spectra.periodic_spectrum(rho, 2 * math.pi, 10, n_points=64)
    np.testing.assert_allclose(op.eigenvalue, grid.eigenvalue, rtol=1e-12)
    np.testing.assert_allclose(op.eigenvalue, np.exp(-0.5 * np.arange(11) ** 2) / math.sqrt(2 * math.pi))
    assert list(op.multiplicity[:3]) == [1, 2, 2]


def test_periodic_spectrum_2d_matches_gram():
    rho, P, n = nf.Gaussian(1.5, 2), 2 * math.pi, 12
    g = np.arange(n) * P / n
    X = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
    shifts = P * np.stack(np.meshgrid(*[np.arange(-3, 4)] * 2, indexing="ij"), -1).reshape(-1, 2)
    diff = X[:, None, None, :] - X[None, :, None, :] + shifts[None, None]
    K = rho.char_fn(diff).sum(-1)
    bochner = spectra.periodic_spectrum(rho, P, n // 2, n_points=n)
    assert bochner.multiplicity.sum() == n**2  # every grid mode once, Nyquist modes included
    np.testing.assert_allclose(spectra.gram_spectrum(K), bochner.expanded(), atol=1e-12)


def relu(part):
    return lambda a, b: kernels.two_layer_ntk(a, b, "relu", part=part)


def test_funk_hecke_on_circle_equals_gram_of_equispaced_points():
    """On N equispaced points of S¹ the Gram matrix is circulant: its eigenvalues are the
    Funk–Hecke λ_k, aliased by Σ_{j≠0} λ_{k+jN} ≲ 2·0.06·ζ(2)/N² ≈ 3e-6 for N = 256."""
    N = 256
    th = 2 * math.pi * np.arange(N) / N
    X = np.c_[np.cos(th), np.sin(th)]
    gram = spectra.gram_spectrum(kernels.two_layer_ntk(X, X, "relu"))
    lam = spectra.sphere_spectrum(relu("full"), 2, 100)
    expected = np.sort(np.r_[lam[0], np.repeat(lam[1:], 2)])[::-1]
    np.testing.assert_allclose(gram[:40], expected[:40], atol=4e-6)


def test_funk_hecke_on_sphere_equals_nystrom():
    """S²: Nyström with a product rule (Gauss–Legendre in cos θ × trapezoid in ϕ) has error from
    the kernel's kink at x = x' that falls with the rule's size; at 40×80 nodes ≲ 2e-3 relative
    on the leading degrees. Multiplicities 2k + 1."""
    t, wt = np.polynomial.legendre.leggauss(24)
    phi = 2 * math.pi * np.arange(48) / 48
    T, F = np.meshgrid(t, phi, indexing="ij")
    s = np.sqrt(1 - T**2)
    X = np.stack([s * np.cos(F), s * np.sin(F), T], -1).reshape(-1, 3)
    w = (wt[:, None] / 2 * np.ones(48) / 48).ravel()
    nys = spectra.nystrom_spectrum(relu("full"), X, w)
    lam = spectra.sphere_spectrum(relu("full"), 3, 4)
    expected = np.sort(np.concatenate([np.repeat(lam[k], 2 * k + 1) for k in (0, 1, 2, 4)]))[::-1]
    np.testing.assert_allclose(nys[: expected.size], expected, rtol=5e-3)


@pytest.mark.parametrize("dim,part,exponent", [(2, "full", -2), (3, "full", -3),
                                                (2, "readout", -4), (3, "readout", -5)])
def test_relu_ntk_decay_laws(dim, part, exponent):
    """Two-layer ReLU without bias on S^{d−1}: λ_k = 0 for odd k ≥ 3, λ_k ~ C k^{−d} on even k
    (NTK) and k^{−d−2} (last layer only). Fit on even k ∈ [20, 80]; the next term of the
    asymptotic series is O(k^{−2}) relative, so the fitted exponent is within 0.1."""
    lam = spectra.sphere_spectrum(relu(part), dim, 80)
    k = np.arange(81)
    odd = lam[3::2]
    assert np.max(np.abs(odd)) < 1e-11 * lam[0]
    assert np.all(lam[::2] > 0)
    fit = spectra.fit_decay(k[::2], lam[::2], "power", f_min=20)
    assert fit.exponent == pytest.approx(exponent, abs=0.1)


def test_bias_fills_in_odd_degrees():
    lam = spectra.sphere_spectrum(lambda a, b: kernels.two_layer_ntk(a, b, "relu", b_std=1.0), 2, 9)
    assert np.all(lam[3::2] > 1e-6 * lam[0])


def test_nystrom_converges_to_gram_on_fine_grid():
    """Both discretise T_K for the uniform density on [−1, 1]: Gauss–Legendre Nyström (60 nodes,
    spectrally accurate for this smooth kernel) vs the midpoint Gram on N = 2000 points (O(N⁻²))."""
    rho = nf.Gaussian(4.0)
    kernel = lambda a, b: kernels.ff_ntk(a, b, rho, sigma_a=0.5)  # noqa: E731
    nodes, weights = spectra.box_quadrature(-1, 1, 60)
    assert weights.sum() == pytest.approx(1.0)
    nys = spectra.nystrom_spectrum(kernel, nodes, weights)
    x = -1 + (np.arange(2000) + 0.5) / 1000
    gram = spectra.gram_spectrum(kernel(x, x))
    np.testing.assert_allclose(nys[:8], gram[:8], rtol=1e-5)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.01, 100), st.floats(-6, -0.5), st.floats(0.1, 3))
def test_fit_decay_recovers_exact_laws(C, p, rate):
    f = np.linspace(1, 20, 30)
    fit = spectra.fit_decay(f, C * f**p, "power")
    assert fit.exponent == pytest.approx(p, abs=1e-9) and fit.prefactor == pytest.approx(C, rel=1e-8)
    fit = spectra.fit_decay(f, C * np.exp(-rate * f), "auto")
    assert fit.law == "exponential" and fit.q == 1 and fit.rate == pytest.approx(rate, rel=1e-8)


def test_gaussian_periodic_spectrum_has_exponential_law():
    s = spectra.periodic_spectrum(nf.Gaussian(2.0), 2 * math.pi, 12)
    fit = spectra.fit_decay(s.radius, s.eigenvalue, "auto")
    assert fit.law == "exponential" and fit.q == 2 and fit.rate == pytest.approx(1 / 8, rel=1e-9)


class TestValidation:
    def test_non_symmetric_gram(self):
        with pytest.raises(ValueError, match="not symmetric"):
            spectra.gram_spectrum(np.array([[1.0, 2.0], [0.0, 1.0]]))

    def test_kmax_beyond_nyquist(self):
        with pytest.raises(ValueError, match="Nyquist"):
            spectra.periodic_spectrum(nf.Gaussian(1.0), 1.0, 40, n_points=64)

    def test_fit_needs_points(self):
        with pytest.raises(ValueError, match=">= 3 points"):
            spectra.fit_decay([0, 1, 2], [1, 0, 0])

    def test_sphere_dim(self):
        with pytest.raises(ValueError, match="dim must be >= 2"):
            spectra.sphere_spectrum(relu("full"), 1, 4)

    def test_nystrom_weights(self):
        with pytest.raises(ValueError, match="weights must be 3 positive"):
            spectra.nystrom_spectrum(relu("full"), np.eye(3), [1.0, -1.0, 1.0])


def test_relu_ntk_on_the_circle_has_its_closed_form_eigenvalues():
    """Published closed form (docs/theory.md, Funk–Hecke): on S¹ the Bietti–Mairal ReLU NTK
    u κ₀(u) + κ₁(u) has λ_k = [I(k) + J(k−1) + J(k+1)]/π², with J(n) = ∫₀^π (π−θ) cos nθ dθ and
    I(k) = ∫₀^π sin θ cos kθ dθ; neural-tangents' kernel is that divided by 2d = 4. Gauss–Legendre
    quadrature of a kernel with a kink at θ = 0 only (an end point): agreement to 1e-12."""
    J = lambda n: math.pi**2 / 2 if n == 0 else (1 - (-1) ** n) / n**2  # noqa: E731
    I = lambda k: 0.0 if k == 1 else (1 + (-1) ** k) / (1 - k**2)  # noqa: E731, E741
    exact = np.array([(I(k) + J(k - 1) + J(k + 1)) / math.pi**2 / 4 for k in range(13)])
    lam = nf.sphere_spectrum(lambda a, b: nf.two_layer_ntk(a, b, "relu"), dim=2, kmax=12)
    np.testing.assert_allclose(lam, exact, rtol=1e-12, atol=1e-14)
