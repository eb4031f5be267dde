"""(E2) in d = 2 and the d-dimensional data densities behind it, against independent routes.

- Data densities: the product density's closed-form p̂ against a fine 2-D midpoint quadrature of
  its pdf (error O(Δx² |ζ|²)), its gradient against central differences (O(h²)), its sampler
  against the moments (Monte Carlo, 5 standard errors); the point measure of a box's grid
  against the box's p̂ (midpoint rule); the measured spectrum of a windowed sine on a 2-D grid
  against its closed-form transform.
- (E2) with the discrete measure of N = 16² training points is exact for the N-point kernel flow
  exp(−tΘ(X, X) diag(q))u₀ (ntk_freq.training.KernelOperator on ntk_freq.kernels.ff_ntk), so
  the only error left is the P2 finite elements in ξ: the solver reports the relative L² error
  of projecting V₀ on the mesh (resolution["u0_hat"]), which is also the error of V(t) to a
  factor ~1.5 measured (the flow is a contraction); tolerance 3× that, and on halving h the
  error falls by the P2 rate 2³ = 8 (asserted ≥ 5).
"""

import math

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ntk_freq  # noqa: F401
from ntk_freq.data._density import (PointMeasure, ProductDensity, data_density, measured_spectrum,
                                    training_measure)
from ntk_freq.distributions._families import Gaussian
from ntk_freq.data._fourier import frequency_grid, midpoint_grid, relative_l2
from ntk_freq.kernels._closed_form import ff_ntk
from ntk_freq.pde import e2 as e2_module
from ntk_freq.pde import solve_frequency_pde
from ntk_freq.data._targets import WindowedSines
from ntk_freq.kernels._operator import KernelOperator

RHO = Gaussian(0.7, 2)
Y = WindowedSines([[1.0, 0.5], [0.0, 2.0]], width=0.8, dim=2)
L, N = 1.5, 16
TIMES = np.array([0.0, 5.0, 20.0])


# ------------------------------------------------------------------------------------------
# Data densities in d = 2
# ------------------------------------------------------------------------------------------

def test_product_density_transform_against_a_2d_quadrature_of_its_pdf():
    """p = box:1 ⊗ N(0.5, 0.6²): Σ p(x) e^{−iζ·x} ΔA on the midpoint grid of [−1, 1] × [−5, 6]
    (Δx = 2/400, 11/1100; the box edges on cell edges) vs the closed form; midpoint error
    ≤ Δx²|ζ|²/24 relative ≈ 2e-5 at |ζ| ≤ 3, allowed 1e-4."""
    p = data_density("box:1*gaussian:0.6,0.5")
    assert isinstance(p, ProductDensity) and p.dim == 2 and p.spec == "box:1*gaussian:0.6,0.5"
    ax = [-1 + (np.arange(400) + 0.5) * 2 / 400, -5 + (np.arange(1100) + 0.5) * 11 / 1100]
    x = np.stack(np.meshgrid(*ax, indexing="ij"), -1).reshape(-1, 2)
    dA = (2 / 400) * (11 / 1100)
    zeta = np.array([[0.0, 0.0], [1.0, -2.0], [3.0, 0.5], [-0.7, 2.9]])
    numeric = np.exp(-1j * zeta @ x.T) @ (p.pdf(x) * dA)
    np.testing.assert_allclose(p.fourier(zeta), numeric, atol=1e-4)
    assert abs(p.fourier(np.zeros(2)) - 1) < 1e-14


def test_gradients_against_central_differences():
    """∇p̂ of a product and of a 2-D point measure vs central differences, step 1e-5 (error
    ~ h² |∂³p̂| ≲ 1e-9 for these spreads)."""
    rng = np.random.default_rng(0)
    for p in (data_density("pieces:-1,0,2/0.7,0.3*gaussian:0.5"),
              PointMeasure(rng.uniform(-1, 1, (30, 2)))):
        zeta = np.array([[0.3, -1.2], [2.0, 0.7]])
        h = 1e-5
        fd = np.stack([(p.fourier(zeta + h * e) - p.fourier(zeta - h * e)) / (2 * h)
                       for e in np.eye(2)], axis=-1)
        np.testing.assert_allclose(p.fourier_gradient(zeta), fd, atol=1e-8)


def test_product_samples_have_the_factor_moments():
    """Means and variances of 20 000 draws of box:2 ⊗ N(1, 0.5²): 1/3 · 4 and 0.25 for the
    variances; tolerance 5 standard errors."""
    p = data_density("box:2*gaussian:0.5,1")
    s = np.asarray(p.sample(jax.random.PRNGKey(3), 20_000))
    assert s.shape == (20_000, 2)
    n = s.shape[0]
    for j, (mean, var) in enumerate([(0.0, 4 / 3), (1.0, 0.25)]):
        assert abs(s[:, j].mean() - mean) < 5 * math.sqrt(var / n)
        assert abs(s[:, j].var() - var) < 5 * var * math.sqrt(2 / n) * 1.5
    assert not p.outside(s).any()


def test_grid_point_measure_approximates_the_box_density():
    """The cell-centred grid of [−L, L]² (12² points) vs box:L in d = 2: midpoint error of the
    smooth e^{−iζ·x} ≤ Δx²|ζ|²/24 relative (Δx = 0.25, |ζ| ≤ 2: ≤ 1.1e-2, measured ~5e-3)."""
    m = training_measure(None, L, 12, dim=2)
    p = data_density("box:1.5", 2)
    assert m.dim == 2 and m.coords.shape == (144, 2)
    assert math.isclose(m.level, p.level) and math.isclose(m.level, 1 / 9)
    zeta = frequency_grid(2.0, 9, 2)
    err = np.abs(m.fourier(zeta) - p.fourier(zeta)).max()
    assert err < (0.25 * 2.0 * math.sqrt(2)) ** 2 / 24


def test_measured_spectrum_in_2d_is_the_fourier_transform():
    """V = Σ q_i u(x_i) e^{−iξ·x_i}/c̄ of the windowed sine y on the 40² grid of [−5, 5]² equals
    ŷ(ξ) (closed form) up to the window's mass outside D (e^{−25/1.28} ~ 3e-9) and aliasing."""
    m = training_measure(None, 5.0, 40, dim=2)
    xi = frequency_grid(4.0, 9, 2)
    V = measured_spectrum(Y(m.coords), m, xi)
    assert V.shape == (9, 9)
    np.testing.assert_allclose(V, Y.fourier(xi), atol=1e-7)


def test_training_measures_in_2d():
    """Quantile layout of a product: each axis holds its factor's quantile points; weights
    layout: q_i ∝ p(x_i) on the grid; both N = n² points with the density's level."""
    p = data_density("pieces:-1,0,1/0.8,0.2*box:1")
    q = training_measure(p, 1.0, 10, layout="quantiles", dim=2)
    assert q.coords.shape == (100, 2)
    np.testing.assert_allclose(np.unique(q.coords[:, 0]), p.factors[0].quantile_points(10)[:, 0])
    assert math.isclose(q.level, p.level)
    w = training_measure(p, 1.0, 10, layout="weights", dim=2)
    np.testing.assert_allclose(w.weights, p.pdf(w.coords) / p.pdf(w.coords).sum())
    with pytest.raises(ValueError, match="needs independent coordinates"):
        training_measure(PointMeasure(np.zeros((3, 2)) + [[0, 0], [1, 0], [0, 1]]), 1.0, 4,
                         layout="quantiles", dim=2)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["box:-1", "gaussian:0", "pieces:0,1/0.5", "ring:2", "box:1*",
                        "box:1*gaussian:nan"]))
def test_bad_specs_are_refused(spec):
    with pytest.raises(ValueError):
        data_density(spec, 2)


def test_dimension_mismatches_are_refused():
    with pytest.raises(ValueError, match="has 3 factors, expected one or d = 2"):
        data_density("box:1*box:1*box:1", 2)
    with pytest.raises(ValueError, match="lives in d = 2, not 1"):
        data_density(data_density("box:1", 2), 1)
    with pytest.raises(ValueError, match=r"shape \(4, 3\).*\(n, 2\)"):
        data_density("box:1", 2).pdf(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="fourier_gradient"):
        data_density("box:1", 2).fourier_derivative(np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"2 point\(s\) lie where the data density"):
        data_density("box:1", 2).require_inside("x", np.array([[0.0, 0.0], [1.5, 0], [0, -2]]))


# ------------------------------------------------------------------------------------------
# (E2) in d = 2 against the exact kernel flow
# ------------------------------------------------------------------------------------------

def _kernel_route(part, weights):
    """V(ξ, t) of the exact kernel flow exp(−tΘ diag(q))u₀ on the 16² grid of [−1.5, 1.5]²."""
    m = training_measure(None, L, N, dim=2)
    if weights:
        q = np.exp(-np.sum(m.coords**2, axis=1) / 2)
        m = PointMeasure(m.coords, q / q.sum(), m.level)
    op = KernelOperator.from_gram(ff_ntk(m.coords, m.coords, RHO, sigma_a=0.7, part=part),
                                  m.weights if weights else None)
    return m, op.flow(-Y(m.coords), TIMES)


@pytest.mark.filterwarnings(r"ignore:\(E2\) mesh too coarse")
@pytest.mark.parametrize("part, weighted, refine", [
    ("readout", False, False), ("full", False, True), ("full", True, False),
    pytest.param("readout", False, True, marks=pytest.mark.slow)])
def test_2d_point_measure_makes_e2_the_exact_kernel_flow(part, weighted, refine):
    """ρ_w = N(0, 0.7² I₂), σ_a = 0.7, 16² points, up to t = 20 (the flow removes ≥ 60 % of
    ‖V‖): |V_E2 − V_kernel| ≤ 3 × the reported P2 projection error of V₀ at every t, over
    ξ ∈ [−4, 4]² (41² points); with ``refine``, halving h (0.7 → 0.35) divides the error by
    ≥ 5 (P2: 8)."""
    m, u = _kernel_route(part, weighted)
    xi = frequency_grid(4.0, 41, 2)
    ref = measured_spectrum(u, m, xi)
    errors = []
    for h in (0.7, 0.35) if refine else (0.7,):
        sol = solve_frequency_pde(RHO, 0.7, m, times=TIMES, part=part, u0=-Y(m.coords),
                                  mesh_size=h)
        assert sol.model == "E2" and sol.scheme == "lowrank" and sol.domain.dim == 2
        tol = 3 * sol.resolution["u0_hat"]
        gaps = [relative_l2(V, r) for V, r in zip(sol(xi, TIMES), ref)]
        assert max(gaps) < tol, (gaps, tol)
        errors.append(max(gaps))
    assert relative_l2(ref[-1], ref[0]) > 0.6
    if refine:
        assert errors[0] / errors[1] > 5, errors


@pytest.mark.filterwarnings(r"ignore:\(E2\) mesh too coarse")
def test_2d_callable_u0_and_array_u0_agree_and_spec_densities_get_the_dimension():
    """u₀ as a callable on points (n, 2) or as the N values: the same solution; a spec string
    takes ρ_w's dimension (box:1 in d = 2 is the square)."""
    m = training_measure(None, L, 8, dim=2)
    a = solve_frequency_pde(RHO, 0.7, m, times=[0.0, 3.0], u0=lambda x: -Y(x), mesh_size=0.9)
    b = solve_frequency_pde(RHO, 0.7, m, times=[0.0, 3.0], u0=-Y(m.coords), mesh_size=0.9)
    np.testing.assert_allclose(a.U, b.U, rtol=0, atol=1e-14)
    with pytest.raises(ValueError, match="outside the solved domain"):
        a(np.array([[a.domain.radius + 1.0, 0.0]]), 3.0)
    with pytest.raises(ValueError, match="lives in d = 1, not 2"):
        solve_frequency_pde(RHO, 0.7, PointMeasure(np.arange(3.0)), times=[1.0], u0=np.ones(3))
    square = solve_frequency_pde(RHO, 0.7, "box:1", times=[0.0, 3.0], u0=lambda x: -Y(x),
                                 mesh_size=0.9)
    assert square.density.spec == "box:1*box:1" and square.model == "E2"


def test_2d_cost_is_estimated_and_refused_with_what_would_fit(monkeypatch):
    """box:3 in d = 2 under ρ_w = N(0, 4 I₂) needs a 64² x-rule (rank 4096) on ~2·10⁴ DOFs:
    refused before any mesh is built once the time limit is lowered, naming the estimates and
    the rank and DOFs that would fit; and the memory estimate grows like n·r."""
    monkeypatch.setattr(e2_module, "MAX_SECONDS", 5.0)
    built = []
    monkeypatch.setattr(e2_module.fem, "make_basis", lambda *a: built.append(a))
    with pytest.raises(MemoryError, match=r"\(E2\) in d = 2 with about \d+ DOFs .* s \(limit 5 s\); "
                                          r"what would fit: at most about \d+ x-quadrature nodes"):
        solve_frequency_pde(Gaussian(2.0, 2), 1.0, "box:3", times=[0.0, 1.0],
                            u0=lambda x: -Y(x))
    assert not built
    small = e2_module.memory_estimate(10_000, 100_000, 256, 3, "lowrank", 2)
    big = e2_module.memory_estimate(10_000, 100_000, 1024, 3, "lowrank", 2)
    assert big - small > 16 * 3 * 10_000 * 700


# ------------------------------------------------------------------------------------------
# ntk-freq pde --data
# ------------------------------------------------------------------------------------------

def test_pde_command_solves_e2_for_a_data_density(tmp_path):
    """``ntk-freq pde --data box:8``: at t = 0 it prints |V(κ)| = |F[−y·1_D]| (uniform data,
    V = F[u p]/c̄), which for y's window (w = 1) well inside D = [−8, 8] is the closed form
    |ŷ(κ)| to e^{−32} (plus the P2 projection error, < 1e-3); the error then decays; the files
    and the model are written; --density beside --data is refused."""
    import json

    from click.testing import CliRunner

    from ntk_freq.cli import main

    out = tmp_path / "e2"
    args = ["pde", "--rho", "gaussian:2", "--data", "box:8", "--target", "windowed-sines:1,3",
            "--times", "0,20", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines() if line.strip()[:1].isdigit()]
    v0 = np.array([float(a) for a in rows[-2][1:]])
    exact = np.abs(WindowedSines([1.0, 3.0]).fourier(np.array([1.0, 3.0])))
    np.testing.assert_allclose(v0, exact, rtol=1e-3)
    assert np.all(np.array([float(a) for a in rows[-1][1:]]) < 0.5 * v0)
    assert json.loads((out / "pde.json").read_text())["model"] == "E2"
    assert (out / "pde.png").exists() and (out / "pde.pdf").exists()
    both = CliRunner().invoke(main, args[:-2] + ["--density", "0.1", "--out", str(tmp_path / "x")])
    assert both.exit_code != 0 and "exclude each other" in both.output
    bad = CliRunner().invoke(main, ["pde", "--rho", "gaussian:2", "--data", "box:-1", "--out",
                                    str(tmp_path / "y")])
    assert bad.exit_code != 0 and "half_width" in bad.output


@pytest.mark.slow
@pytest.mark.filterwarnings(r"ignore:\(E2\) mesh too coarse")
def test_3d_point_measure_makes_e2_the_exact_kernel_flow():
    """d = 3: 5³ points of [−1, 1]³, ρ_w = N(0, 0.5² I₃), full, h = 0.8 (4913 P2 DOFs): within
    3 × the projection error of V₀ (measured 2.0×; 2.7e-3 at h = 0.8, 4.3e-4 at h = 0.4)."""
    rho = Gaussian(0.5, 3)
    y = WindowedSines([[1.0, 0.5, 0.0]], width=0.6, dim=3)
    m = training_measure(None, 1.0, 5, dim=3)
    op = KernelOperator.from_gram(ff_ntk(m.coords, m.coords, rho, sigma_a=0.7, part="full"))
    xi = frequency_grid(2.5, 11, 3)
    ref = measured_spectrum(op.flow(-y(m.coords), TIMES), m, xi)
    sol = solve_frequency_pde(rho, 0.7, m, times=TIMES, u0=-y(m.coords), mesh_size=0.8)
    gaps = [relative_l2(V, r) for V, r in zip(sol(xi, TIMES), ref)]
    assert max(gaps) < 3 * sol.resolution["u0_hat"], gaps
    assert relative_l2(ref[-1], ref[0]) > 0.6


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["box:1", "box:-2,0.5", "gaussian:0.7,0.3",
                                 "pieces:-1,0,2/0.25,0.75"]), min_size=2, max_size=3),
       st.lists(st.floats(-6, 6), min_size=3, max_size=3))
def test_product_transform_invariants(factors, zeta):
    """Any product of densities: p̂(0) = 1, |p̂| ≤ 1, p̂(−ζ) = conj p̂(ζ) (p real), and the
    transform and gradient factor over the axes."""
    p = data_density("*".join(factors))
    z = np.array(zeta[:p.dim])
    assert abs(p.fourier(np.zeros(p.dim)) - 1) < 1e-12
    assert abs(p.fourier(z)) <= 1 + 1e-12
    assert abs(p.fourier(-z) - np.conj(p.fourier(z))) < 1e-12
    parts = [f.fourier(np.array([c])) for f, c in zip(p.factors, z)]
    assert abs(p.fourier(z) - np.prod(parts)) < 1e-12
    g = p.fourier_gradient(z)
    assert g.shape == (p.dim,)
    assert abs(g[0] - p.factors[0].fourier_derivative(np.array([z[0]]))[0] * np.prod(parts[1:])) < 1e-12


def test_a_mesh_beyond_max_dofs_is_refused_before_it_is_built(monkeypatch):
    """The default run's scales in 2-D (gaussian:3, data on [−10, 10]², X ≈ 9.4): resolving
    e^{−iξ·x} needs h ≤ 1/X on Ω = [−18, 18]², ~4·10⁵ P2 DOFs, above max_dofs = 40 000:
    ValueError naming max_dofs before any mesh is built."""
    built = []
    monkeypatch.setattr(e2_module.fem, "make_basis", lambda *a: built.append(a))
    m = training_measure(None, 10.0, 16, dim=2)
    with pytest.raises(ValueError, match=r"max_dofs: \(E2\) in d = 2 needs about \d+ DOFs"):
        solve_frequency_pde(Gaussian(3.0, 2), 0.5, m, times=[0.0, 1.0], u0=np.ones(m.n))
    assert not built
