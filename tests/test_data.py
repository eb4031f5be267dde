"""Data densities (ntk_freq.data): closed-form p̂ and p̂′ against adaptive quadrature of their
defining integrals, sampling and quadrature rules against the closed forms (Monte Carlo and
quadrature errors stated per test), invariants of every density by hypothesis, the training
measures of the comparison, and bad input."""

import math

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

import ntk_freq
from ntk_freq.data._density import (GaussianData, PointMeasure, box, data_density, grid,
                                    measured_spectrum, pieces, training_measure)
from ntk_freq.data._fourier import fourier_transform, midpoint_grid

SPECS = ["box:10", "box:-2,5", "gaussian:3", "gaussian:2,1", "pieces:-10,0,10/0.8,0.2",
         "pieces:-3,-1,2,6/0.1,0.6,0.3"]


def tent():
    """A linear (non-flat) tabulated density: the tent on [−1, 1] plus a ramp on [1, 3]."""
    x = np.array([-1.0, 0.0, 1.0, 3.0])
    p = np.array([0.0, 1.0, 0.2, 0.0])
    return grid(x, p / np.sum(np.diff(x) * (p[:-1] + p[1:]) / 2))


def by_quadrature(p, zeta, moment):
    """∫ x^moment p(x) e^{−iζx} dx by scipy.quad on the support, split at the cell edges
    (absolute error ≲ 1e-12 for these smooth pieces)."""
    a, b = p.support
    a, b = max(a, -40.0), min(b, 40.0)
    edges = getattr(p, "edges", np.array([a, b]))
    total = 0j
    for lo, hi in zip(edges[:-1], edges[1:]):
        for part, f in ((1, np.cos), (-1j, np.sin)):
            total += part * integrate.quad(
                lambda x: x**moment * p.pdf(np.array([x]))[0] * f(zeta * x), lo, hi,
                limit=400, epsabs=1e-13)[0]
    return total


@pytest.mark.parametrize("p", [data_density(s) for s in SPECS] + [tent()], ids=SPECS + ["tent"])
def test_fourier_and_its_derivative_match_quadrature(p):
    """p̂(ζ) = ∫ p e^{−iζx}, dp̂/dζ = −i ∫ x p e^{−iζx}: closed forms vs quad to 1e-10."""
    for zeta in (0.0, 1e-7, 0.37, 2.9, 11.0):
        assert abs(p.fourier(zeta) - by_quadrature(p, zeta, 0)) < 1e-10
        assert abs(p.fourier_derivative(zeta) + 1j * by_quadrature(p, zeta, 1)) < 1e-9


@pytest.mark.parametrize("p", [data_density(s) for s in SPECS] + [tent()], ids=SPECS + ["tent"])
def test_samples_follow_the_density(p):
    """Monte Carlo: the sample mean of e^{−iζx} over n = 40 000 draws is within 5 standard
    errors (5·√(1/n) per component, |e^{−iζx}| = 1) of p̂(ζ); and the quadrature rule of
    256 nodes reproduces p̂ to 1e-10 at |ζ| ≤ 3."""
    n = 40_000
    x = np.asarray(p.sample(jax.random.PRNGKey(1), n))[:, 0]
    assert not np.any(p.outside(x))
    nodes, weights = p.quadrature(256)
    assert np.all(weights >= 0) and abs(weights.sum() - 1) < 1e-12
    for zeta in (0.3, 1.1, 3.0):
        assert abs(np.mean(np.exp(-1j * zeta * x)) - p.fourier(zeta)) < 5 * math.sqrt(2 / n)
        assert abs(np.exp(-1j * zeta * nodes) @ weights - p.fourier(zeta)) < 1e-10


def test_quantile_points_put_each_piece_its_mass():
    p = data_density("pieces:-10,0,10/0.8,0.2")
    x = p.quantile_points(200)[:, 0]
    assert np.sum(x < 0) == 160 and np.sum(x > 0) == 40
    assert np.allclose(np.diff(x[:160]), 10 / 160) and np.allclose(np.diff(x[160:]), 10 / 40)
    g = GaussianData(2.0)
    np.testing.assert_allclose(g.ppf(np.array([0.5, 0.8413447460685429])), [0.0, 2.0], atol=1e-9)
    t = tent()
    u = np.linspace(0.01, 0.99, 17)
    cdf = [integrate.quad(lambda s: t.pdf(np.array([s]))[0], -1, xq, points=[0.0, 1.0])[0]
           for xq in t.ppf(u)]
    np.testing.assert_allclose(cdf, u, atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.1, 5.0), min_size=1, max_size=5),
       st.lists(st.floats(0.01, 1.0), min_size=5, max_size=5),
       st.floats(-20.0, 20.0))
def test_invariants_of_piecewise_densities(widths, raw, zeta):
    """p̂(0) = 1, |p̂| ≤ 1, p̂(−ζ) = conj p̂(ζ) (p real), |p̂′| ≤ ∫|x| p."""
    edges = np.concatenate([[-3.0], -3.0 + np.cumsum(widths)])
    m = np.asarray(raw[: len(widths)])
    p = pieces(edges, m / m.sum())
    assert abs(p.fourier(0.0) - 1) < 1e-12
    assert abs(p.fourier(zeta)) <= 1 + 1e-12
    assert abs(p.fourier(-zeta) - np.conj(p.fourier(zeta))) < 1e-12
    assert abs(p.fourier_derivative(zeta)) <= np.max(np.abs(edges)) + 1e-12


def test_point_measure_is_its_sum_and_the_grid_measure_is_the_quadrature_transform():
    x, dx = midpoint_grid(10.0, 160)
    m = training_measure(None, 10.0, 160)
    assert m.level == pytest.approx(1 / 20) and np.allclose(m.points, x[:, 0])
    zeta = np.array([0.0, 0.4, 7.3])
    np.testing.assert_allclose(m.fourier(zeta), np.exp(-1j * np.outer(zeta, x[:, 0])).mean(1),
                               atol=1e-14)
    u = np.sin(3 * x[:, 0]) * np.exp(-x[:, 0] ** 2 / 4)
    np.testing.assert_allclose(measured_spectrum(u, m, zeta),
                               fourier_transform(u, x, zeta, cell_volume=dx), atol=1e-13)
    w = training_measure("pieces:-10,0,10/0.8,0.2", 10.0, 160, layout="weights")
    assert np.allclose(w.weights[:80], 4 * w.weights[80:]) and abs(w.weights.sum() - 1) < 1e-12


@pytest.mark.parametrize("spec, match", [
    ("pieces:-10,0,10/0.8,0.3", "sum to 1.1"),
    ("pieces:-10,0,10/1.2,-0.2", "masses must be >= 0"),
    ("pieces:-10,10,0/0.5,0.5", "strictly increasing"),
    ("pieces:-10,0,10/1", "K \\+ 1 edges need K masses"),
    ("pieces:-10,0,10", "EDGES/MASSES"),
    ("box:0", "half_width must be a finite number > 0"),
    ("box:3,1", "need A < B"),
    ("gaussian:-1", "scale must be a finite number > 0"),
    ("gaussian:nan", "got nan"),
    ("torus:3", "unknown data density 'torus'"),
    ("grid:/no/such.csv", "does not exist"),
    ("", "expected a data density spec"),
])
def test_bad_specs_are_refused(spec, match):
    with pytest.raises(ValueError, match=match):
        data_density(spec)


def test_bad_grids_weights_and_points(tmp_path):
    x = np.linspace(-1, 1, 5)
    with pytest.raises(ValueError, match="integrates to 2"):
        grid(x, np.ones(5))
    with pytest.raises(ValueError, match="negative"):
        grid(x, np.array([0.5, -0.1, 0.5, 0.5, 0.5]))
    with pytest.raises(ValueError, match="NaN"):
        grid(x, np.array([0.5, np.nan, 0.5, 0.5, 0.5]))
    path = tmp_path / "p.csv"
    np.savetxt(path, np.column_stack([x, np.full(5, 0.5)]), delimiter=",", header="x,density")
    assert data_density(f"grid:{path}").fourier(0.0) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="weights sum to 0.9"):
        PointMeasure(x, np.full(5, 0.18))
    with pytest.raises(ValueError, match="weights must be >= 0"):
        PointMeasure(x, np.array([0.6, -0.1, 0.2, 0.2, 0.1]))
    with pytest.raises(ValueError, match="lie where the data density box:5 is 0"):
        training_measure("box:5", 10.0, 40, layout="weights")
    with pytest.raises(ValueError, match="layout must be one of"):
        training_measure("box:5", 5.0, 40, layout="random")
    assert ntk_freq.data_density("box:10") is not None
