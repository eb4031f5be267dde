"""Periodic (Bochner) spectra of deep FF-NNs (spectra.periodic_spectrum with ``network``): the
eigenvalues c 2π ρ_α(ξ_k) (+ κ(0) at k = 0) against the dense eigh of the periodised deep Gram
matrix built from ff_mlp_ntk itself (no effective densities, no DCT)."""

import math

import numpy as np
import pytest

import ntk_freq as nf
from ntk_freq.kernels import _deep as deep, _spectra as spectra


def periodised_deep_gram(rho, P, n, images, network):
    """Θ_P(x_i, x_j) = κ(0) + Σ_{|l| ≤ images} [κ(φ_w(x_i − x_j + lP)) − κ(0)] on x_i = iP/n, W
    frozen, every value from ff_mlp_ntk; κ(0) as the kernel between points 10⁴ apart (φ_w there
    is e^{−s²·10⁸/2} = 0 for the Gaussian ρ_w)."""
    x = P * np.arange(n) / n
    kw = dict(train_frequencies=False, **network)
    k0 = deep.ff_mlp_ntk([0.0], [1e4], rho, **kw)[0, 0]
    rest = sum(deep.ff_mlp_ntk(x, x + l * P, rho, **kw) - k0 for l in range(-images, images + 1))
    return k0 + rest


@pytest.mark.parametrize("network", [dict(hidden=(1,), activation="sin", w_std=1.3),
                                     dict(hidden=(1, 1), activation="erf", b_std=0.4)])
def test_deep_bochner_spectrum_equals_the_periodised_gram(network):
    """Gaussian ρ_w (s = 1) on P = 2π, n = 64: images beyond |l| = 3 carry κ(φ(3P)) − κ(0) ~
    a_1 e^{−s²(3P)²/2} ≈ 0, and the aliased modes ρ_α(ξ ± 64) are below 1e-14 of the largest
    eigenvalue for these smooth profiles (ρ_α a Gaussian mixture N(0, n s²) with fast-decaying
    weights): the modes k ≤ 31 agree within twice the effective densities' own error estimate
    times 2π/P (interpolation from the DCT grid, ~5e-8 of λ_max). The Nyquist mode k = 32 is
    single on the grid and left out."""
    rho, P, n = nf.distribution("gaussian:1"), 2 * math.pi, 64
    gram = spectra.gram_spectrum(periodised_deep_gram(rho, P, n, 3, network))
    s = spectra.periodic_spectrum(rho, P, n // 2, network=network)
    bochner = s.expanded()
    tol = 2 * (2 * math.pi / P) * s.densities["error"]["alpha"]
    assert tol < 1e-6 * bochner[0]  # the check is sharp
    np.testing.assert_allclose(gram[:n - 1], bochner[:n - 1], atol=tol)
    assert s.densities["atom"] == pytest.approx(deep.profiles([0.0], **network).kappa[0])
    # ρ_D reported: Bochner mass ∫ρ_D = χ(1) by the trapezoid on the mode grid (Δξ = 1; ρ_D is
    # smooth and decays like the Gaussian mixture: the trapezoid is spectrally accurate)
    rho_D = s.densities["rho_D"]
    assert 2 * np.trapezoid(rho_D, s.radius) == pytest.approx(
        deep.profiles([1.0], **network).chi[0], rel=1e-6)


def test_deep_spectrum_refuses_what_it_cannot_do():
    rho = nf.distribution("gaussian:1")
    with pytest.raises(ValueError, match="n_points"):
        spectra.periodic_spectrum(rho, 2 * math.pi, 8, n_points=32, network=dict(hidden=(1,)))
    with pytest.raises(ValueError, match="network keys"):
        spectra.periodic_spectrum(rho, 2 * math.pi, 8, network=dict(depth=3))
    with pytest.raises(TypeError, match="network"):
        spectra.periodic_spectrum(rho, 2 * math.pi, 8, network=3)
    with pytest.raises(ValueError, match="activation"):
        spectra.periodic_spectrum(rho, 2 * math.pi, 8, network=dict(activation="tanh"))
