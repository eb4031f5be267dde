"""Kernel-regime diagnostics recorded during training (ntk_freq.regime), against cases with known
answers (a linear model, f = a·b·x whose NTK scales by a known factor), against neural-tangents'
empirical NTK on all points (an independent route), and the subsample estimator against a brute
force average over subsets."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ntk_freq.kernels import empirical_ntk
from ntk_freq.diagnostics import _spectral_bias as dg
from ntk_freq.training import _regime as rg
from ntk_freq._nn.models import two_layer_network
from ntk_freq.training._train import train


def test_linear_model_has_a_constant_kernel_and_no_linearisation_gap():
    # f(θ, x) = x·w: Θ(x, x') = x·x' whatever w, and f_lin = f exactly
    with jax.enable_x64(True):  # the probe computes in the caller's mode (train and fit set it)
        x = jnp.asarray(np.random.default_rng(0).normal(size=(50, 3)))
        w0 = {"w": jnp.array([1.0, -2.0, 0.5])}
        probe = rg.regime_probe(lambda th, z: z @ th["w"], w0, x, points=20)
        change, stderr, dist, gap = probe({"w": jnp.array([3.0, 1.0, -4.0])})
        assert change == pytest.approx(0.0, abs=1e-14) and gap == pytest.approx(0.0, abs=1e-12)
        assert dist == pytest.approx(np.linalg.norm([2.0, 3.0, -4.5]) / np.linalg.norm([1.0, -2.0, 0.5]), rel=1e-12)


def test_product_model_kernel_changes_by_the_known_factor():
    # f = a·b·x: Θ(x, x') = (a² + b²) x x', so δ_Θ = |a_t² + b_t² − a_0² − b_0²|/(a_0² + b_0²) on
    # any subset (Θ_t ∝ Θ_0: the estimator is exact, its jackknife error 0), and the
    # linearisation gap is |Δa Δb| / |a_t b_t − a_0 b_0|
    with jax.enable_x64(True):  # the probe computes in the caller's mode (train and fit set it)
        x = jnp.linspace(-1.0, 1.0, 200)[:, None]
        th0 = {"a": jnp.array(1.0), "b": jnp.array(0.5)}

        def f(th, z):
            return th["a"] * th["b"] * z[:, 0]

        probe = rg.regime_probe(f, th0, x, points=16)
        assert probe.points == 16 and probe.n_inputs == 200
        a, b = 1.3, 0.2
        change, stderr, dist, gap = probe({"a": jnp.array(a), "b": jnp.array(b)})
        assert change == pytest.approx(abs(a**2 + b**2 - 1.25) / 1.25, rel=1e-12)
        assert stderr == pytest.approx(0.0, abs=1e-12)
        assert dist == pytest.approx(np.hypot(0.3, -0.3) / np.hypot(1.0, 0.5), rel=1e-12)
        assert gap == pytest.approx(abs(0.3 * -0.3) / abs(a * b - 0.5), rel=1e-10)


def test_frobenius_estimate_is_unbiased_over_subsets():
    # brute force: the mean of the U-statistic over 20,000 random subsets of 8 of 30 inputs is
    # ‖A‖_F² (the plain (N/n)² Σ over the sub-matrix is not: the diagonal weighs N/n too much).
    # Tolerance: 4 standard errors of the Monte Carlo mean
    rng = np.random.default_rng(1)
    B = rng.normal(size=(30, 30))
    A = B @ B.T / 30 + 3 * np.eye(30)
    est = np.array([rg.frobenius_estimates(A[np.ix_(s, s)], 30)[0]
                    for s in (rng.choice(30, 8, replace=False) for _ in range(20_000))])
    exact = np.sum(A**2)
    assert abs(est.mean() - exact) <= 4 * est.std() / np.sqrt(est.size)
    assert rg.frobenius_estimates(A, 30)[0] == pytest.approx(exact, rel=1e-12)


def _circle(n):
    t = 2 * np.pi * (np.arange(n) + 0.5) / n
    return t, np.c_[np.cos(t), np.sin(t)]


def _moved_network(width, scale, seed=0):
    net = two_layer_network(2, width, "relu", b_std=0.5)
    p0 = net.init(jax.random.PRNGKey(seed))
    leaves, tree = jax.tree_util.tree_flatten(p0)
    keys = jax.random.split(jax.random.PRNGKey(seed + 1), len(leaves))
    p1 = jax.tree_util.tree_unflatten(tree, [a + scale * jax.random.normal(k, a.shape)
                                             for a, k in zip(leaves, keys)])
    return net, p0, p1


def test_probe_matches_neural_tangents_on_all_points_and_estimates_within_its_error():
    # the exact NTK of every parameter by neural-tangents' empirical_ntk_fn (Jacobian
    # contraction), against the probe's own Jacobians: exact when the probe sees every input;
    # on 40 of 160 inputs within 4 jackknife standard errors (a Gaussian 4σ band)
    with jax.enable_x64(True):  # the probe computes in the caller's mode (train and fit set it)
        _, X = _circle(160)
        net, p0, p1 = _moved_network(256, 0.3)
        exact = np.linalg.norm(empirical_ntk(net.apply, p1, X) - empirical_ntk(net.apply, p0, X)) \
            / np.linalg.norm(empirical_ntk(net.apply, p0, X))
        Xj = jnp.asarray(X)
        full = rg.regime_probe(net.apply, p0, Xj, points=160)(p1)
        assert full[0] == pytest.approx(exact, rel=1e-9) and full[1] == 0.0
        change, stderr, _, _ = rg.regime_probe(net.apply, p0, Xj, points=40)(p1)
        assert 0 < stderr < 0.3 * exact
        assert abs(change - exact) <= 4 * stderr, (change, exact, stderr)


def _train(amplitude, width, regime=True):
    theta, X = _circle(32)
    net = two_layer_network(2, width, "relu", b_std=0.0)
    y = amplitude * np.cos(4 * theta)
    return train(net, net.init(jax.random.PRNGKey(0)), X, y=y, eta=1.0, times=[0.0, 50.0, 400.0],
                 progress=False, regime=regime)


def test_train_records_the_regime_at_every_snapshot_and_warns_when_it_is_left():
    with warnings.catch_warnings():
        warnings.simplefilter("error", rg.LazyRegimeWarning)
        lazy = _train(0.01, 1024).regime         # small target, wide: the kernel regime
    assert lazy.ntk_change.shape == (3,) and lazy.ntk_change[0] == 0 and lazy.ntk_static
    assert lazy.ntk_change.max() < 0.01 and lazy.param_distance[-1] < 0.01
    with pytest.warns(rg.LazyRegimeWarning, match="left the kernel regime"):
        rich = _train(3.0, 16).regime            # O(1) target on 16 neurons: feature learning
    assert not rich.ntk_static and rich.ntk_change[-1] > 0.1
    assert rich.summary()["ntk_static"] is False and rich.summary()["threshold"] == rg.LAZY_THRESHOLD
    assert _train(0.01, 16, regime=False).regime is None


@settings(max_examples=20, deadline=None)
@given(st.one_of(st.integers(max_value=1), st.text(), st.floats(), st.just(1.5)))
def test_a_bad_regime_option_is_refused_naming_it(value):
    with pytest.raises(ValueError, match="regime"):
        rg.regime_option(value)
