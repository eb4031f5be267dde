"""The hand-written derivatives of the doubled FF network (ntk_freq.ff_derivatives) against
independent routes, and the compile count of training.

- loss and gradient vs jax.grad of the network written out from docs/theory.md (two copies
  g(θ₊), g(θ₋) with g = (1/√m) Σ a cos(w·x) + b sin(w·x)), d = 1 and 2, every part, mean and
  weighted loss. Both are float64 sums of O(m) terms of size O(1): they agree to rounding,
  ~ m·ε ≈ 1e-13 relative; tolerance 1e-10.
- the NTK Gram matrix vs neural-tangents' empirical NTK (Jacobian contraction), 1e-10 relative.
- training compiles its step once per distinct shape, whatever the number of train() calls, the
  ρ_w and the snapshot spacing (counted with JAX's compile-event monitoring, not timed).
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import ntk_freq  # noqa: F401
from ntk_freq._nn import derivatives as ffd
from ntk_freq.training import _train as tr
from ntk_freq.distributions._spec import distribution
from ntk_freq.kernels._closed_form import empirical_ntk
from ntk_freq._nn.models import ff_network, merge, split
from ntk_freq._util.validation import PARTS

RHOS = {1: distribution("gaussian:2"), 2: distribution("gaussian:2", dim=2)}


def _theory_f(params, x):
    """f = (g(θ₊) − g(θ₋))/√2 with g = (1/√m) Σ_j a_j cos(w_j·x) + b_j sin(w_j·x)."""

    def g(p):
        z = x @ p["W"].T
        return (jnp.cos(z) @ p["a"] + jnp.sin(z) @ p["b"]) / jnp.sqrt(p["W"].shape[0])

    return (g(params["plus"]) - g(params["minus"])) / jnp.sqrt(2.0)


def _problem(dim, part, seed=0, width=37, n=23):
    net = ff_network(RHOS[dim], 0.7, width, part=part)
    key = jax.random.PRNGKey(seed)
    params = net.init(key)
    # move the copies apart, as training does, so the two halves no longer cancel
    params["minus"] = {k: a + 0.1 * jax.random.normal(jax.random.fold_in(key, i), a.shape)
                       for i, (k, a) in enumerate(params["minus"].items())}
    x = jax.random.uniform(jax.random.fold_in(key, 9), (n, dim), minval=-3, maxval=3)
    y = jnp.sin(2 * x[:, 0])
    return net, params, x, y


@pytest.mark.parametrize("dim", [1, 2])
@pytest.mark.parametrize("part", list(PARTS))
def test_hand_written_gradient_is_autodiff_of_the_theory_network(dim, part):
    with jax.enable_x64(True):  # helpers of training: they compute in the caller's mode
        net, params, x, y = _problem(dim, part)
        theta, frozen = split(params, net.trainable)
        np.testing.assert_allclose(net.apply(params, x), _theory_f(params, x), rtol=1e-12, atol=1e-12)
        for q in (None, jax.random.dirichlet(jax.random.PRNGKey(4), jnp.ones(len(y)))):

            def loss(th):
                r = _theory_f(merge(th, frozen), x) - y
                return 0.5 * (jnp.mean(r * r) if q is None else jnp.sum(q * r * r))

            value, grad = jax.jit(ffd.loss_and_grad)(theta, frozen, x, y, q)  # one compile each
            ref_value, ref_grad = jax.jit(jax.value_and_grad(loss))(theta)
            assert float(value) == pytest.approx(float(ref_value), rel=1e-10)
            assert jax.tree_util.tree_structure(grad) == jax.tree_util.tree_structure(ref_grad)
            for g, r in zip(jax.tree_util.tree_leaves(grad), jax.tree_util.tree_leaves(ref_grad)):
                assert g.shape == r.shape
                np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-10 * float(jnp.abs(r).max()))


@pytest.mark.parametrize("dim", [1, 2])
@pytest.mark.parametrize("part", list(PARTS))
def test_ntk_gram_is_neural_tangents_empirical_ntk(dim, part):
    with jax.enable_x64(True):  # helpers of training: they compute in the caller's mode
        net, params, x, _ = _problem(dim, part, width=29, n=11)
        ours = np.asarray(ffd.ntk_gram(params, x, net.trainable))
        reference = empirical_ntk(net, params, x, x2=x)
        np.testing.assert_allclose(ours, reference, rtol=1e-10, atol=1e-10 * np.abs(reference).max())


def test_stability_limit_from_the_gram_matrix_matches_power_iteration():
    """Exact λ_max (Gram route) vs 300 power iterations by JVPs (converge from below, 1e-6),
    and with loss weights q: λ_max(J Jᵀ diag(q)) vs the eigenvalues of the weighted Gram."""
    with jax.enable_x64(True):  # helpers of training: they compute in the caller's mode
        net, params, x, _ = _problem(1, "full", width=64, n=30)
        exact = tr.network_lambda_max(net, params, x)
        assert tr.empirical_lambda_max(net, params, x, iterations=300) == pytest.approx(exact, rel=1e-6)
        q = np.asarray(jax.random.dirichlet(jax.random.PRNGKey(1), jnp.ones(len(x))))
        G = empirical_ntk(net, params, x, x2=x)
        reference = np.max(np.linalg.eigvals(G * q[None, :]).real)
        assert tr.network_lambda_max(net, params, x, weights=q) == pytest.approx(reference, rel=1e-10)


def test_training_compiles_its_step_once_per_shape():
    """Four train() calls (two ρ_w, even and log-spaced snapshots, float32) after a first one
    of the same shapes: no XLA compilation at all."""
    compiles = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda name, _secs, **_kw: compiles.append(name) if name.endswith("backend_compile_duration") else None)
    x = np.linspace(-3, 3, 40)[:, None]
    y = np.sin(2 * x[:, 0])

    def run(rho, steps, seed=0, optimizer=None):
        net = ff_network(distribution(rho), 0.5, 48)
        tr.train(net, net.init(jax.random.PRNGKey(seed)), x, y=y, eta=0.1, times=0.1 * np.asarray(steps),
                 dtype="float32", progress=False, optimizer=optimizer)

    run("gaussian:3", np.arange(0, 40, 5))
    before = len(compiles)
    run("gaussian:2", np.arange(0, 40, 5), seed=1)
    run("gaussian:3", np.unique(np.rint(np.geomspace(1, 60, 25))))
    run("gaussian:5", [0, 1, 2, 3, 5, 8, 13, 21, 34], seed=2)
    assert len(compiles) == before, compiles[before:]
    # an optax optimiser object is part of the compiled program: once per object
    adam = optax.adam(1e-3)
    run("gaussian:3", np.arange(0, 40, 5), optimizer=adam)
    after_adam = len(compiles)
    run("gaussian:2", np.arange(0, 30, 3), optimizer=adam)
    assert len(compiles) == after_adam
