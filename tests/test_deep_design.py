"""Design through depth (ntk_freq.deep_design): the designed ρ_w's damping density checked by
independent routes: effective_densities on the returned Tabulated density (trapezoid φ_w, its own
z grid and DCT), the deep frequency PDE by finite elements, the exact flow of the deep NTK on a
data grid, closed forms for the depth-one network, and brute-force bounds for the refusals."""

import math

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ntk_freq.kernels import _deep as deep
from ntk_freq.pde._deep import solve_deep_frequency_pde
from ntk_freq.design._deep import DampingMap, design_deep_rho
from ntk_freq.design._design import RateProfile, ReachByTime
from ntk_freq.distributions._families import Tabulated

C = 1 / 20  # data density of compare's default grid, D = [−10, 10]
NET = dict(hidden=(8,), activation="relu")  # one network for most tests: stax compiles once


def rising(k):
    return 1 + k / 8


@pytest.fixture(scope="module")
def relu_rising():
    """Rates ∝ 1 + |ξ|/8 on 2 ≤ |ξ| ≤ 8 for relu with one hidden layer."""
    return design_deep_rho(RateProfile(rising, (2, 8), absolute=False), density=C, n_points=201, **NET)


@pytest.mark.parametrize("activation", [pytest.param("relu", marks=pytest.mark.slow), "erf"])
def test_designed_damping_density_meets_the_flat_profile(activation):
    """Flat rates on |ξ| ≤ 8, one hidden layer. ρ_α of the returned Tabulated ρ_w by
    effective_densities (trapezoid φ_w on its nodes, z_max = π/2h: error ≤ 7e-4 measured, largest
    at ξ = 0 for relu's slowly decaying profile) equals the wanted one within 2e-3, while the
    two-layer recipe (ρ_w flat) misses it by far more."""
    d = design_deep_rho(RateProfile(1.0, (0, 8), absolute=False), density=C, hidden=(8,),
                        activation=activation, n_points=201)
    assert d.residual < 1e-8
    np.testing.assert_allclose(d.alpha, d.alpha_wanted, rtol=2e-3)
    assert d.atom == pytest.approx(deep.profiles([0.0], hidden=(8,), activation=activation).kappa[0])
    flat = deep.effective_densities(d.baselines["uniform"], d.xi, hidden=(8,),
                                    activation=activation, train_frequencies=False).alpha
    assert np.ptp(flat) / flat.mean() > 10 * 2e-3  # so the test can fail


def test_designed_times_under_the_deep_pde(relu_rising):
    """The deep PDE (solve_deep_frequency_pde: ρ_α tabulated, P1 elements of size 0.02)
    from the white start û₀ ≡ 1 reaches 1/e at the wanted times within 1 % on the band (mesh
    projection of the tabulated ρ_α); the Design's own times (closed-form frozen solution) to
    2e-3."""
    from ntk_freq.design._design import first_passage

    d = relu_rising
    np.testing.assert_allclose(d.times["designed"], d.wanted, rtol=2e-3)
    xi = np.linspace(-3 * 8, 3 * 8, 1201)
    eff = deep.effective_densities(d.rho, xi, hidden=(1,), activation="relu", train_frequencies=False)
    times = np.linspace(0, 2 * d.wanted.max(), 201)
    sol = solve_deep_frequency_pde(eff, C, lambda k: np.ones(k.shape[:-1]), times,
                                        mesh_size=0.02, order=1)
    fractions = np.abs(sol(d.xi[::10, None], times))
    np.testing.assert_allclose(first_passage(times, fractions, d.epsilon), d.wanted[::10], rtol=1e-2)


def test_designed_rates_hold_for_the_exact_deep_kernel_flow(relu_rising):
    """The exact flow of the deep NTK (W frozen) on compare's grid (N = 160 on [−10, 10], so
    c = 1/20) with windowed sines at 3, 5, 7 as target: the time for |û(κ, t)| to reach 1/e of
    |û(κ, 0)| equals the design's at κ within 3 % (the window's spread over ξ and the finite
    grid; the two-layer PDE-vs-flow gap in this setting is ~1e-4)."""
    from ntk_freq.comparison._deep_compare import compare_deep
    from ntk_freq.design._design import first_passage

    d = relu_rising
    kappa = np.array([3.0, 5.0, 7.0])
    steps = math.ceil(2 * d.wanted.max() / 0.25)
    c = compare_deep(d.rho, target="windowed-sines:3,5,7;width=1.5", hidden=(1,),
                     activation="relu", train_frequencies=False, routes=("kernel",), steps=steps,
                     n_snapshots=80, progress=False)
    t_kernel = first_passage(c.times, c.results[0].remaining["kernel"], d.epsilon)
    np.testing.assert_allclose(t_kernel, np.interp(kappa, d.xi, d.wanted), rtol=0.03)


@pytest.mark.parametrize("w_std, b_std", [(1.0, 0.0), pytest.param(1.4, 0.5, marks=pytest.mark.slow)])
def test_depth_one_design_is_the_two_layer_frozen_formula(w_std, b_std):
    """hidden = (): κ(c) = w²c/2 + b², so ρ_α = (w²/2) ρ̄_w and the design must be
    ρ̄_w = ρ_α*/(w²/2) = 2 ln(e)/(c 2π τ w²) on the band (absolute rates, closed form), the rest
    of the unit mass spread over the support outside it."""
    r = lambda k: 0.002 * (1 + k / 4)  # noqa: E731
    d = design_deep_rho(RateProfile(r, (0, 4), support=6), density=C, hidden=(),
                        w_std=w_std, b_std=b_std, n_points=241)
    expect = r(d.xi) / (C * 2 * math.pi) / (w_std**2 / 2)
    np.testing.assert_allclose(d.rho.pdf(d.xi[:, None]), expect, rtol=1e-8)
    assert d.atom == pytest.approx(b_std**2)


def test_damping_map_jacobian_matches_finite_differences():
    """∂ρ_α/∂v through the normalisation ρ = v/∫v (what the fit uses) against central
    differences of the map, relu with one hidden layer (the κ' singularity at c = 1 cancels in
    mass-preserving directions): agreement to 1e-4 (measured 5e-5)."""
    D = DampingMap(0.08, 100, dict(hidden=(1,), activation="relu", w_std=1.0, b_std=0.0))
    v = np.exp(-D.xi**2 / 18)
    rho = v / (D.mu @ v)
    _, J = D(rho, jacobian=True)
    Jv = (J - np.outer(J @ rho, D.mu)) / (D.mu @ v)
    for j in (0, 37, 100):
        e = np.zeros_like(v)
        e[j] = 1e-5 * v[j]
        fd = (D((v + e) / (D.mu @ (v + e))) - D((v - e) / (D.mu @ (v - e)))) / (2 * e[j])
        assert np.abs(fd - Jv[:, j]).max() <= 1e-4 * np.abs(Jv[:, j]).max()


def test_damping_map_matches_effective_densities_of_a_gaussian():
    """The map on a truncated Gaussian node vector against effective_densities of the same
    Tabulated density: 1e-4 of the maximum (both routes' discretisations, measured 3e-5)."""
    D = DampingMap(0.08, 100, dict(hidden=(1, 1, 1), activation="gelu", w_std=1.0, b_std=0.2))
    rho = np.exp(-D.xi**2 / 18)
    rho /= D.mu @ rho
    tab = Tabulated(np.r_[-D.xi[:0:-1], D.xi], np.r_[rho[:0:-1], rho])
    eff = deep.effective_densities(tab, D.xi, hidden=(1, 1, 1), activation="gelu", b_std=0.2,
                                   train_frequencies=False)
    alpha = D(rho)
    assert np.abs(alpha - eff.alpha).max() <= 1e-4 * alpha.max()
    assert D.mass == pytest.approx(eff.mass["alpha"], rel=1e-9)


def test_design_exports_like_the_two_layer_design(relu_rising, tmp_path):
    d = relu_rising
    w = np.asarray(d.sample(jax.random.PRNGKey(0), 4000))
    assert w.shape == (4000, 1) and np.abs(w).max() <= 8.0
    for name in ("rho.npz", "rho.csv"):
        loaded = Tabulated.load(d.save(tmp_path / name))
        np.testing.assert_allclose(loaded.pdf(d.xi[:, None]), d.rho.pdf(d.xi[:, None]), rtol=1e-12)
    table = d.table(5)
    assert table.shape == (5, 5) and np.all(table[:, 2] > 0)
    assert d.label == "the deep PDE (relu, L = 2)"


# --- refusals ------------------------------------------------------------------------------------

def test_rates_above_the_fixed_damping_mass_are_refused():
    """∫ρ_α = κ(1) − κ(0) for every ρ_w; relu, one hidden layer, w_std = 1, no bias: by the
    arc-cosine closed form κ(1) = ½ (the input variance) and κ(0) = Σ(0) = (½)/(2π), so the
    mass is ½ − 1/(4π) = 0.4204. Flat rate 0.02 on |ξ| ≤ 4 needs 8·0.02/(c 2π) = 0.5093."""
    mass = 0.5 - 1 / (4 * math.pi)
    need = 8 * 0.02 / (C * 2 * math.pi)
    with pytest.raises(ValueError, match=rf"damping mass {need:.4g}.*κ\(1\) − κ\(0\) = {mass:.4g}.*"
                                         rf"divide r by at least {need / mass:.4g}"):
        design_deep_rho(RateProfile(0.02, (0, 4), support=12), density=C, **NET)


def test_rates_below_the_floor_at_zero_are_refused():
    """The even terms put ρ_α(0) ≥ (1/S)∫_0^1 κ_e(c)/c dc for any ρ_w on [−S, S]; the floor is
    checked against a brute-force ρ_α(0) of uniform ρ_w on [−S, S] (which must lie above it)."""
    D = DampingMap(0.5, 80, dict(hidden=(1,), activation="relu", w_std=1.0, b_std=0.0))
    floor = D.floor_at_zero(40.0)
    uniform = D(np.full(81, 1 / 80.0))
    assert uniform[0] >= floor
    with pytest.raises(ValueError, match=r"ξ = 0.*even higher-order terms.*r\(0\) ≥"):
        design_deep_rho(RateProfile(0.0002, (0, 4), support=40), density=C, **NET)


def test_unreachable_shape_is_refused_with_where_and_why():
    """Relu's higher-order terms pile damping near ξ = 0: rates 4 times faster at |ξ| = 8 than at
    0 are out of reach (the best ρ_w vanishes near 0 and still misses by ~40 %), while erf,
    nearly linear, reaches them."""
    obj = RateProfile(lambda k: 1 + 3 * k / 8, (0, 8), absolute=False)
    with pytest.raises(ValueError, match=r"unreachable.*misses the wanted time by a factor.*"
                                         r"ρ_w had to vanish"):
        design_deep_rho(obj, density=C, hidden=(8,), activation="relu", n_points=201)
    assert design_deep_rho(obj, density=C, hidden=(8,), activation="erf", n_points=201).residual < 1e-8


def test_reach_by_time_refused_with_the_shortest_time():
    """Needs 16 ln(100)/(c 2π T) = 2.345 of damping mass at T = 100; the mass is 0.4204 (above),
    so T ≥ 100 · 2.345/0.4204 = 557.9."""
    with pytest.raises(ValueError, match=r"shortest reachable T is at least 557\.9"):
        design_deep_rho(ReachByTime((0, 8), 0.01, 100.0), density=C, **NET)


@settings(max_examples=12, deadline=None)
@given(st.sampled_from([
    (dict(activation="tanh"), ValueError, "activation"),
    (dict(hidden=3), TypeError, "hidden"),
    (dict(w_std=0.0), ValueError, "w_std"),
    (dict(n_points=5), ValueError, "n_points"),
    (dict(n_points=10**6), ValueError, "n_points"),
    (dict(tol=-1.0), ValueError, "tol"),
    (dict(density=0.0), ValueError, "density"),
    (dict(max_iter=0), ValueError, "max_iter"),
]))
def test_bad_arguments_are_refused(case):
    kwargs, error, match = case
    with pytest.raises(error, match=match):
        design_deep_rho(RateProfile(1.0, (0, 8), absolute=False), **{"density": C, **kwargs})


def test_objective_must_be_an_objective():
    with pytest.raises(TypeError, match="objective"):
        design_deep_rho((0, 8), density=C)


def test_piecewise_linear_char_fn_is_exact():
    """A tabulated uniform density on [−B, B] (two nodes, a jump at each end) has φ_w(z) =
    sin(Bz)/(Bz) exactly, and a tabulated triangle on [−a, a] has (2/(az))²sin²(az/2): both at z
    where the trapezoid sum over the nodes is far off, to rounding."""
    z = np.linspace(0, 300, 3001)
    B = 3.0
    uniform = Tabulated(np.array([-B, B]), np.full(2, 1 / (2 * B)))
    np.testing.assert_allclose(deep.piecewise_linear_char_fn(uniform, z), np.sinc(B * z / np.pi),
                               atol=1e-14)
    a = 2.0
    tri = Tabulated(np.array([-a, 0.0, a]), np.array([0.0, 1 / a, 0.0]))
    np.testing.assert_allclose(deep.piecewise_linear_char_fn(tri, z),
                               np.sinc(a * z / (2 * np.pi)) ** 2, atol=1e-14)


def test_cli_deep_design_refuses_clearly(tmp_path):
    from click.testing import CliRunner

    from ntk_freq.cli import main

    out = CliRunner().invoke(main, ["design", "--objective", "reach", "--epsilon", "0.01", "--T",
                                    "100", "--hidden-layers", "1", "--out", str(tmp_path / "a")])
    assert out.exit_code != 0 and "shortest reachable T is at least 557.9" in out.output
    out = CliRunner().invoke(main, ["design", "--hidden-layers", "1", "--train", "64",
                                    "--out", str(tmp_path / "b")])
    assert out.exit_code != 0 and "--train" in out.output
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.slow
def test_cli_deep_design_writes_its_files(tmp_path):
    from click.testing import CliRunner

    from ntk_freq.cli import main

    out = CliRunner().invoke(main, ["design", "--hidden-layers", "1", "--activation", "erf",
                                    "--points", "101", "--out", str(tmp_path / "d")])
    assert out.exit_code == 0, out.output
    assert "the deep PDE (erf, L = 2)" in out.output
    for name in ("rho.npz", "rho.csv", "times.csv", "design.png", "design.pdf", "design.json"):
        assert (tmp_path / "d" / name).stat().st_size > 0
