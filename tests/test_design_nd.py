"""Isotropic initialisation design in d = 2 and 3 (ntk_freq.design with dim ≥ 2) and the radial
densities it produces (ntk_freq.radial): the frozen-W limit in closed form, the designed profile
met under the full 2-D PDE (an independent discretisation: P2 elements on the disc against the
radial P1 reduction), export, sampling and bad input."""

import math

import jax
import numpy as np
import pytest

import ntk_freq  # noqa: F401
from ntk_freq.design._design import (E_FOLD, RateProfile, ReachByTime, _axis_times,
                                     design_product_rho, design_rho, pde_check)
from ntk_freq.distributions._families import Gaussian, is_isotropic
from ntk_freq.distributions._spec import distribution
from ntk_freq.distributions._radial import Radial, sphere_area, uniform_ball

C2 = 1 / 400  # data density of D = [−10, 10]²


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_radial_profile_of_a_gaussian_has_its_transform_and_tail(dim):
    """g(r) = e^{−r²/2s²}/(2πs²)^{d/2} on 601 nodes: φ_w = e^{−s²|z|²/2} to the profile's
    piecewise-linear interpolation error (~1e-5 at spacing 0.02), P(|w| > 3) = the Gaussian's."""
    s, r = 1.5, np.linspace(0, 12, 601)
    rho = Radial(r, np.exp(-r**2 / (2 * s * s)) / (2 * math.pi * s * s) ** (dim / 2), dim)
    z = np.random.default_rng(0).normal(size=(40, dim)) * 2
    np.testing.assert_allclose(rho.char_fn(z), Gaussian(s, dim).char_fn(z), atol=3e-5)
    assert rho.tail(3.0, "2") == pytest.approx(Gaussian(s, dim).tail(3.0, "2"), rel=1e-3)
    w = np.asarray(rho.sample(jax.random.PRNGKey(1), 100_000))
    p = Gaussian(s, dim).tail(3.0, "2")
    assert np.mean(np.linalg.norm(w, axis=1) > 3) == pytest.approx(p, abs=4 * math.sqrt(p / 1e5))


def test_flat_rate_with_negligible_sigma_a_is_the_uniform_ball():
    """Frozen W in d = 2: a flat rate on |ξ| ≤ B with all the mass there needs g = 1/(πB²), the
    uniform ball, and its e-folding time πB²/(c(2π)²) = B²/(4πc)."""
    B = 5.0
    d = design_rho(RateProfile(1.0, (0, B), absolute=False), sigma_a=1e-4, density=C2, dim=2,
                   n_points=201)
    assert isinstance(d.rho, Radial) and is_isotropic(d.rho)
    xi = np.array([[0.0, 0.0], [1.0, -2.0], [3.0, 3.0]])
    np.testing.assert_allclose(d.rho.pdf(xi), uniform_ball(B, 2).pdf(xi), rtol=1e-9)
    np.testing.assert_allclose(d.times["designed"], B**2 / (4 * math.pi * C2), rtol=1e-3)


def test_designed_rising_profile_is_met_under_the_full_two_dimensional_pde():
    """Reverse the spectral bias in d = 2: r ∝ 1 + |ξ|/2 on |ξ| ≤ 6 with σ_a = 1. The design
    meets it within its tol (3 %) by the radial reduction; the full 2-D PDE (P2 on the disc,
    another discretisation) agrees with the reduction to ~1e-3 along every direction, so it meets
    the profile within 3.5 %. The frozen-W start misses it (diffusion)."""
    obj = RateProfile(lambda k: 1 + k / 2, (0, 6), absolute=False)
    d = design_rho(obj, sigma_a=1.0, density=C2, dim=2, n_points=301)
    assert d.residual <= 0.03
    check = pde_check(d, n_directions=3)
    assert check.trusted and check.resolution <= 1e-3
    full = check.times
    np.testing.assert_allclose(full, np.broadcast_to(d.times["designed"], full.shape), rtol=3e-3)
    assert np.max(np.abs(full / d.wanted - 1)) < 0.035
    # the design beats the isotropic Gaussian baseline on the high end of the band
    assert d.times["designed"][-1] < d.times["gaussian"][-1]


def test_export_loads_back_and_samples_follow_the_design(tmp_path):
    d = design_rho(RateProfile(lambda k: 1 + k, (0, 4), absolute=False), sigma_a=0.5,
                   density=C2, dim=2, n_points=101)
    loaded = distribution(f"file:{d.save(tmp_path / 'rho.npz')}", 2)
    probe = np.array([[0.5, 0.5], [2.0, -1.0], [0.0, 3.9]])
    np.testing.assert_allclose(loaded.pdf(probe), d.rho.pdf(probe), rtol=1e-12)
    w = np.asarray(d.sample(jax.random.PRNGKey(0), 40_000))
    assert w.shape == (40_000, 2) and np.linalg.norm(w, axis=1).max() <= 4.0 + 1e-9
    p = d.rho.tail(2.0, "2")
    assert np.mean(np.linalg.norm(w, axis=1) > 2.0) == pytest.approx(p, abs=0.015)


def test_two_dimensional_infeasibility_uses_the_disc_measure():
    """All of |ξ| ≤ 6 below ε = 1 % by T = 3000 needs mass π·36 · ln 100/(c(2π)² T) ≈ 1.759."""
    need = math.pi * 36 * math.log(100) / (C2 * 4 * math.pi**2 * 3000)
    assert need == pytest.approx(1.759, abs=1e-3)
    with pytest.raises(ValueError, match=r"mass 1\.759 on the band \(> 1 by 0\.759\)"):
        design_rho(ReachByTime((0, 6), 0.01, 3000.0), sigma_a=1.0, density=C2, dim=2)


def test_radial_density_bad_input():
    with pytest.raises(ValueError, match="increasing nodes 0 = r_0"):
        Radial(np.array([0.5, 1.0]), np.ones(2), 2)
    with pytest.raises(ValueError, match=">= 0"):
        Radial(np.array([0.0, 1.0]), np.array([1.0, -1.0]), 2)
    with pytest.raises(ValueError, match="integrates to"):
        Radial(np.array([0.0, 1.0]), np.ones(2), 2)
    assert sphere_area(1) == 2 and sphere_area(2) == pytest.approx(2 * math.pi)


def test_product_design_in_the_frozen_w_limit_is_the_product_of_the_normalised_rates():
    """σ_a → 0: the rate along axis i is c(2π)²ρ_i(s)ρ_j(0), so the factors are the normalised
    wanted rates: ρ₁ ∝ 1 + |s|/2 on [−6, 6] (mass 30), ρ₂ uniform on [−3, 3]; the times along
    ξ₁ are 1/(c(2π)²ρ₁(s)ρ₂(0)) of the designed factors up to the mesh error (< 2 %)."""
    objs = (RateProfile(lambda k: 1 + k / 2, (0, 6), absolute=False),
            RateProfile(1.0, (0, 3), absolute=False))
    d = design_product_rho(objs, sigma_a=1e-4, density=C2, n_points=41, cells=12)
    assert d.dim == 2 and d.residual <= 0.03
    s = d.xi[0]
    rho1, rho2 = (1 + s / 2) / 30, 1 / 6
    # within the fixed point's tolerance (3 %) inside 0.8 × each band: at the band edge ρ_w
    # jumps to 0 and with W frozen so does û, which the continuous P2 elements smear over a
    # few cells; the loop then bends the edge nodes to the mesh's error (measured: up to 80 %
    # at the last three nodes of the flat factor, 1.3 % inside)
    inner = [xi <= 0.8 * xi[-1] for xi in d.xi]
    np.testing.assert_allclose(d.rho.factors[0].pdf(s[inner[0]]), rho1[inner[0]], rtol=0.03)
    np.testing.assert_allclose(d.rho.factors[1].pdf(d.xi[1][inner[1]]), rho2, rtol=0.03)
    frozen = 1 / (C2 * 4 * math.pi**2 * d.rho.factors[0].pdf(s) * d.rho.factors[1].pdf(np.zeros(1)))
    np.testing.assert_allclose(d.times["designed"][0][inner[0]], frozen[inner[0]], rtol=0.02)


@pytest.mark.slow
def test_product_design_meets_per_axis_profiles_under_diffusion(tmp_path):
    """σ_a = 1: rates ∝ 1 + s/2 along ξ₁ and flat along ξ₂ (measured: 26 fixed-point
    iterations at 12 cells per band top; the isotropic Gaussian baseline misses by up to 8.5×).
    An independent solve on a mesh twice as fine meets the profile within 4 %; the export
    loads as a 2-D tabulated ρ_w."""
    objs = (RateProfile(lambda k: 1 + k / 2, (0, 6), absolute=False),
            RateProfile(1.0, (0, 3), absolute=False))
    d = design_product_rho(objs, sigma_a=1.0, density=C2, n_points=41, cells=12)
    assert d.residual <= 0.03
    fine = _axis_times(d.rho, 1.0, C2, list(d.xi), E_FOLD, 4 * max(w.max() for w in d.wanted),
                       401, 3 / 24)
    for t, wanted in zip(fine, d.wanted):
        assert np.max(np.abs(t / wanted - 1)) < 0.04
    assert max(np.max(t / w) for t, w in zip(d.times["gaussian"], d.wanted)) > 4
    loaded = distribution(f"file:{d.save(tmp_path / 'rho.npz')}", 2)
    probe = np.array([[0.5, 0.5], [2.0, -1.0]])
    np.testing.assert_allclose(loaded.pdf(probe), d.rho.pdf(probe), rtol=1e-9)


def test_product_design_refuses_absolute_or_offset_bands():
    with pytest.raises(ValueError, match="share one speed"):
        design_product_rho((RateProfile(1.0, (0, 3)), RateProfile(1.0, (0, 3), absolute=False)),
                           sigma_a=1.0, density=C2)
    with pytest.raises(ValueError, match="d = 2 or 3"):
        design_product_rho((RateProfile(1.0, (0, 3), absolute=False),), sigma_a=1.0, density=C2)
