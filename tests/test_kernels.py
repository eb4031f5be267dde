"""NTKs against independent routes: the closed form vs the autodiff empirical kernel of wide
networks (neural-tangents), vs the explicit per-neuron gradient sum, and vs neural-tangents'
analytic kernel of the equivalent stax network."""

import math

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ntk_freq as nf
from ntk_freq.kernels import _closed_form as kernels
from ntk_freq._nn import models

SIGMA_A = 0.8
X = np.linspace(-1.5, 1.5, 7)[:, None]


def per_neuron_ntk(params, x, part):
    """The FF-NN's empirical NTK written out by hand: with the doubling, each of the m distinct
    neurons contributes k_j(x, x') = cos(w_j·(x − x'))                       (readout a, b)
                                   + (a_j sin(w_j·x) − b_j cos(w_j·x))(same at x') x·x'  (W).
    Returns the (m, n, n) per-neuron contributions; their mean is the empirical NTK."""
    p = params["plus"]
    W, a, b = (np.asarray(p[k]) for k in ("W", "a", "b"))
    z = x @ W.T  # (n, m)
    k_read = np.cos(z)[:, None, :] * np.cos(z)[None] + np.sin(z)[:, None, :] * np.sin(z)[None]
    g = a * np.sin(z) - b * np.cos(z)
    k_freq = g[:, None, :] * g[None] * (x @ x.T)[:, :, None]
    k = {"readout": k_read, "frequency": k_freq, "full": k_read + k_freq}[part]
    return np.moveaxis(k, -1, 0)


@pytest.mark.parametrize("spec", ["gaussian:2", "uniform:3", "laplace:1.5", "cauchy:1"])
@pytest.mark.parametrize("part", ["full", "readout", "frequency"])
def test_closed_form_matches_wide_empirical_ntk(spec, part):
    """Three routes: neural-tangents' autodiff kernel of a width-m network equals the per-neuron
    sum (to rounding), and both are within 5 standard errors std(k_j)/√m of the closed form."""
    rho = nf.distribution(spec)
    m = 4000
    net = models.ff_network(rho, SIGMA_A, m, part=part)
    params = net.init(jax.random.PRNGKey(11))
    emp = kernels.empirical_ntk(net, params, X, x2=X)
    k_j = per_neuron_ntk(params, X, part)
    np.testing.assert_allclose(emp, k_j.mean(axis=0), rtol=1e-10, atol=1e-12)
    exact = kernels.ff_ntk(X, X, rho, sigma_a=SIGMA_A, part=part)
    tol = 5 * k_j.std(axis=0) / math.sqrt(m) + 1e-12
    assert np.all(np.abs(emp - exact) <= tol), np.max(np.abs(emp - exact) / tol)


def test_ff_ntk_in_2d_matches_wide_empirical_ntk():
    rho = nf.distribution("laplace:1", 2)
    x = np.random.default_rng(0).uniform(-1, 1, (6, 2))
    net = models.ff_network(rho, SIGMA_A, 4000)
    params = net.init(jax.random.PRNGKey(12))
    k_j = per_neuron_ntk(params, x, "full")
    emp = kernels.empirical_ntk(net, params, x, x2=x)
    tol = 5 * k_j.std(axis=0) / math.sqrt(4000)
    assert np.all(np.abs(emp - kernels.ff_ntk(x, x, rho, sigma_a=SIGMA_A)) <= tol)


@pytest.mark.parametrize("w_std,v_std", [(1.0, 1.0), (2.5, 0.7)])
@pytest.mark.parametrize("dim", [1, 2])
def test_gaussian_closed_form_matches_neural_tangents_stax(w_std, v_std, dim):
    """stax: Dense(W_std=σ_w) → FanOut(2) → (Sin, Cos) → FanInConcat → Dense(W_std=σ_v), 'ntk'
    parametrisation. Its first layer gives pre-activations w·x with w ~ N(0, (σ_w²/d) I), i.e.
    ρ_w Gaussian with s = σ_w/√d. The readout averages the 2n channels [sin, cos], so
        readout gradient:  (σ_v²/2n) Σ_j [sin z_j sin z_j' + cos z_j cos z_j'] → (σ_v²/2) φ_w(x − x'),
        first layer:       (σ_v²/2)(σ_w²/d)(x·x') E[cos z cos z' + sin z sin z'] = (σ_v²/2) s² (x·x') φ_w.
    Hence Θ_stax = (σ_v²/2) [Θ_readout + (s²/σ_a²) Θ_frequency] for our FF kernel with any σ_a."""
    stax = kernels._nt().stax
    _, _, kernel_fn = stax.serial(
        stax.Dense(1, W_std=w_std, parameterization="ntk"),
        stax.FanOut(2),
        stax.parallel(stax.Sin(), stax.Cos()),
        stax.FanInConcat(),
        stax.Dense(1, W_std=v_std, parameterization="ntk"),
    )
    x = np.random.default_rng(1).uniform(-2, 2, (9, dim))
    with jax.enable_x64(True):  # neural-tangents itself computes in the caller's mode
        theta_nt = np.asarray(kernel_fn(x, x, "ntk"))
    s = w_std / math.sqrt(dim)
    rho = nf.Gaussian(s, dim)
    ours = 0.5 * v_std**2 * (kernels.ff_ntk(x, x, rho, sigma_a=SIGMA_A, part="readout")
                             + s**2 / SIGMA_A**2 * kernels.ff_ntk(x, x, rho, sigma_a=SIGMA_A, part="frequency"))
    np.testing.assert_allclose(ours, theta_nt, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("activation", ["relu", "erf", "sin"])
@pytest.mark.parametrize("b_std", [0.0, 0.5])
@pytest.mark.parametrize("part", ["full", "readout"])
def test_two_layer_analytic_matches_our_network(activation, b_std, part):
    """neural-tangents' analytic kernel vs the empirical NTK of ntk_freq.models.two_layer_network
    (same parametrisation): agreement within 5 standard errors of the width-m average."""
    x = np.random.default_rng(2).normal(size=(5, 2))
    m = 4000
    net = models.two_layer_network(2, m, activation, w_std=1.3, b_std=b_std, part=part)
    emp = kernels.empirical_ntk(net, net.init(jax.random.PRNGKey(3)), x, x2=x)
    exact = kernels.two_layer_ntk(x, x, activation, w_std=1.3, b_std=b_std, part=part)
    scale = np.sqrt(np.outer(np.diag(exact), np.diag(exact)))
    assert np.all(np.abs(emp - exact) <= 5 * 2 * scale / math.sqrt(m))


def test_monte_carlo_ntk_converges():
    """Averaging over draws shrinks the error like 1/√(draws · m)."""
    rho = nf.Cauchy(1.0)
    net = models.ff_network(rho, SIGMA_A, 200, part="readout")
    mc = kernels.monte_carlo_ntk(net, X, X, key=jax.random.PRNGKey(4), n_draws=50)
    exact = kernels.ff_ntk(X, X, rho, sigma_a=SIGMA_A, part="readout")
    assert np.max(np.abs(mc - exact)) < 5 / math.sqrt(50 * 200)


class TestValidation:
    def test_points_must_match_rho_dimension(self):
        with pytest.raises(ValueError, match="x1 has shape \\(5, 2\\); expected .*\\(n, 1\\)"):
            kernels.ff_ntk(np.zeros((5, 2)), np.zeros((5, 1)), nf.Gaussian(1.0), sigma_a=1.0)

    def test_nan_points(self):
        with pytest.raises(ValueError, match="x2 contains 1 NaN"):
            kernels.ff_ntk(X, np.array([0.0, np.nan]), nf.Gaussian(1.0), sigma_a=1.0)

    @given(st.floats(max_value=-1e-9, allow_nan=False) | st.just(float("nan")))
    def test_negative_sigma_a(self, s):
        with pytest.raises(ValueError, match="sigma_a"):
            kernels.ff_ntk(X, X, nf.Gaussian(1.0), sigma_a=s)

    def test_unknown_part(self):
        with pytest.raises(ValueError, match="part must be one of"):
            kernels.ff_ntk(X, X, nf.Gaussian(1.0), sigma_a=1.0, part="W")

    def test_rho_must_be_a_distribution(self):
        with pytest.raises(TypeError, match="rho must be a frequency distribution"):
            kernels.ff_ntk(X, X, "gaussian:1", sigma_a=1.0)

    def test_gram_too_large_is_refused_before_computing(self):
        big = np.zeros((2_000_000, 1))
        with pytest.raises(MemoryError, match="GiB"):
            kernels.ff_ntk(big, big, nf.Gaussian(1.0), sigma_a=1.0)

    def test_unknown_activation(self):
        with pytest.raises(ValueError, match="activation must be one of"):
            kernels.two_layer_ntk(X, X, "tanh")


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(["gaussian:3", "uniform:5", "laplace:1", "cauchy:2", "student:3,1"]),
       st.lists(st.floats(-4, 4), min_size=2, max_size=12), st.floats(0, 3))
def test_ntk_is_symmetric_positive_semidefinite(spec, xs, sigma_a):
    x = np.array(xs)
    K = kernels.ff_ntk(x, x, nf.distribution(spec), sigma_a=sigma_a)
    np.testing.assert_allclose(K, K.T, rtol=1e-13, atol=1e-14)
    assert np.linalg.eigvalsh(K).min() >= -1e-9 * max(1.0, np.abs(K).max()) * len(x)
