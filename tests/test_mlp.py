"""Deep MLPs of the classic papers: the Monte-Carlo empirical NTK against neural-tangents'
analytic kernel, the two parametrisations agree at initialisation, first-layer-only training
moves only the first layer, and the kernel's prediction at test points matches a wide network."""

import jax
import numpy as np
import optax
import pytest

from ntk_freq.diagnostics import _spectral_bias as dg
from ntk_freq.training import _fitting as fitting
from ntk_freq.kernels import _closed_form as kernels
from ntk_freq._nn import mlp


@pytest.mark.parametrize("activation", ["relu", "erf"])
def test_monte_carlo_ntk_matches_the_analytic_kernel(activation):
    x = np.random.default_rng(0).normal(size=(12, 3))
    net = mlp.mlp_network(3, (256, 256), activation, w_std=1.5, b_std=0.3)
    K_mc = kernels.monte_carlo_ntk(net, x, x, key=jax.random.PRNGKey(0), n_draws=4)
    K = mlp.mlp_ntk(x, x, 3, activation=activation, w_std=1.5, b_std=0.3)
    # finite-width fluctuations of a depth-3 NTK are O(depth/√width) per draw (measured 0.04 at
    # width 1024 × 4 draws); 4 draws at width 256: ~0.08, so 0.2 is a 2.5σ bound
    assert np.linalg.norm(K_mc - K) / np.linalg.norm(K) < 0.2


def test_parametrisations_agree_at_init_and_bias_init_zero():
    with jax.enable_x64(True):  # apply is plain JAX: it computes in the caller's mode
        x = np.random.default_rng(1).normal(size=(7, 2))
        key = jax.random.PRNGKey(3)
        a = mlp.mlp_network(2, (32, 16), "tanh", w_std=1.3, b_std=0.4, parameterization="ntk", doubling=False)
        b = mlp.mlp_network(2, (32, 16), "tanh", w_std=1.3, b_std=0.4, parameterization="standard", doubling=False)
        np.testing.assert_allclose(a.apply(a.init(key), x), b.apply(b.init(key), x), rtol=1e-12)
        z = mlp.mlp_network(2, (8,), bias_init="zero", out_dim=3, doubling=False)
        p = z.init(key)["net"]
        assert not np.any(p["c0"]) and not np.any(p["c1"]) and z.apply({"net": p}, x).shape == (7, 3)
        d = mlp.mlp_network(2, (8,))
        assert np.all(d.apply(d.init(key), x) == 0)            # the doubling: f₀ ≡ 0


def test_first_layer_only_training_moves_only_the_first_layer():
    x = np.random.default_rng(2).normal(size=(10, 2))
    y = np.sin(x[:, 0])
    net = mlp.mlp_network(2, (16, 16), train="first")
    p0 = net.init(jax.random.PRNGKey(0))
    res = fitting.fit(net, p0, x, y=y, optimizer=optax.sgd(0.1), snapshot_steps=np.array([0, 20]), progress=False,
                      dtype="float64")
    p1 = res.params[-1]
    for side in ("plus", "minus"):
        assert np.any(p1[side]["V0"] != p0[side]["V0"])
        for name in ("V1", "c1", "V2", "c2"):
            np.testing.assert_array_equal(p1[side][name], p0[side][name])
    assert res.loss[-1] < res.loss[0]


def test_tanh_has_no_analytic_kernel():
    with pytest.raises(ValueError, match="tanh"):
        mlp.mlp_ntk(np.zeros((2, 1)), np.zeros((2, 1)), 2, activation="tanh")


@pytest.mark.slow
def test_wide_network_follows_the_kernel_prediction_between_and_beyond_the_data():
    # a width-4096 two-hidden-layer erf net, tiny target amplitude (kernel regime), gradient
    # descent on the mean loss: its outputs at test points between and outside the data follow
    # kernel_predict with the analytic NTK to the finite-width error O(1/√width)
    x = np.linspace(-1, 1, 16)[:, None]
    xs = np.linspace(-2, 2, 41)[:, None]
    y = 0.01 * np.sin(3 * x[:, 0])
    net = mlp.mlp_network(1, (4096, 4096), "erf", w_std=1.0, b_std=0.5)
    p0 = net.init(jax.random.PRNGKey(0))
    eta, steps = 0.5, 400
    res = fitting.fit(net, p0, x, y=y, optimizer=optax.sgd(eta), snapshot_steps=np.array([steps]), progress=False,
                      dtype="float64")
    f_nn = np.asarray(net.apply(res.params[-1], xs))
    K, Ks = mlp.mlp_ntk(x, x, 3, activation="erf", w_std=1.0, b_std=0.5), mlp.mlp_ntk(xs, x, 3, activation="erf", w_std=1.0, b_std=0.5)
    f_k = dg.kernel_predict(Ks, K, -y, times=[eta * steps])[0]
    assert np.linalg.norm(f_nn - f_k) / np.linalg.norm(f_k) < 0.05
