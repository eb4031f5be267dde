"""Networks: the doubling gives f₀ ≡ 0 (so the initial error is exactly −y), parameter layout
and trainable parts, dtypes, and validation. (Their kernels are tested in test_kernels.py.)"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ntk_freq  # noqa: F401
from ntk_freq._nn import models
from ntk_freq.distributions._spec import distribution

RHO = distribution("uniform:5")
X = np.linspace(-3, 3, 17)[:, None]


NETWORKS = {
    "ff": lambda dt: models.ff_network(RHO, 0.7, 32, dtype=dt),
    "ff-readout": lambda dt: models.ff_network(RHO, 0.7, 32, part="readout", dtype=dt),
    "two-layer": lambda dt: models.two_layer_network(1, 32, "erf", w_std=1.0, b_std=0.5, dtype=dt),
    "ff-mlp": lambda dt: models.ff_mlp_network(RHO, 16, (8, 8), dtype=dt),
}


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_doubling_gives_zero_initial_output_and_the_dtype(name, dtype):
    # init draws in JAX's 64-bit mode itself, and its parameters keep the network's dtype
    # outside it; apply is a plain JAX function that computes in the caller's mode
    net = NETWORKS[name](dtype)
    p = net.init(jax.random.PRNGKey(1))
    assert {a.dtype for a in jax.tree_util.tree_leaves(p)} == {jnp.dtype(dtype)}
    with jax.enable_x64(dtype == jnp.float64):
        f0 = net.apply(p, X.astype(dtype))
        assert f0.shape == (17,) and f0.dtype == dtype
        assert np.all(f0 == 0)
        moved = jax.tree_util.tree_map(lambda a: a + 0.1, p)
        moved["minus"] = p["minus"]
        assert np.any(net.apply(moved, X.astype(dtype)) != 0)


def test_ff_network_is_the_formula_of_theory_md():
    """f = (1/√(2m)) Σ over both halves of ±[a cos(w x) + b sin(w x)], evaluated by hand."""
    with jax.enable_x64(True):  # apply is plain JAX: it computes in the caller's mode
        net = models.ff_network(RHO, 0.7, 5)
        p = net.init(jax.random.PRNGKey(0))
        p["minus"] = {k: v * 0.5 for k, v in p["minus"].items()}
        x = np.array([[0.3], [-1.2]])

        def g(q):
            w, a, b = (np.asarray(q[k]) for k in ("W", "a", "b"))
            return (np.cos(x @ w.T) @ a + np.sin(x @ w.T) @ b) / np.sqrt(5)

        expected = (g(p["plus"]) - g(p["minus"])) / np.sqrt(2)
        np.testing.assert_allclose(net.apply(p, jnp.asarray(x)), expected, rtol=1e-12)


@pytest.mark.parametrize("part, trained", [("full", {"a", "b", "W"}), ("readout", {"a", "b"}),
                                           ("frequency", {"W"})])
def test_trainable_parts(part, trained):
    net = models.ff_network(RHO, 1.0, 4, part=part)
    theta, frozen = models.split(net.init(jax.random.PRNGKey(0)), net.trainable)
    assert set(theta["plus"]) == trained and set(frozen["minus"]) == {"a", "b", "W"} - trained
    assert models.merge(theta, frozen)["plus"].keys() == {"a", "b", "W"}


def test_frequencies_follow_rho_and_mlp_can_freeze_them():
    p = models.ff_network(RHO, 1.0, 4000).init(jax.random.PRNGKey(0))
    w = np.asarray(p["plus"]["W"])
    assert w.shape == (4000, 1) and np.abs(w).max() <= 5.0 and abs(w.std() - 5 / np.sqrt(3)) < 0.1
    net = models.ff_mlp_network(RHO, 8, (4,), train_frequencies=False)
    assert "W" not in net.trainable and {"V0", "c0", "V1", "c1"} <= set(net.trainable)


@settings(max_examples=25, deadline=None)
@given(width=st.one_of(st.integers(-5, 0), st.just(2.5), st.just(True)))
def test_bad_width_is_named(width):
    with pytest.raises((ValueError, TypeError), match="width"):
        models.ff_network(RHO, 1.0, width)


@pytest.mark.parametrize("kwargs, match", [({"part": "bias"}, "part"), ({"sigma_a": -1.0}, "sigma_a")])
def test_bad_part_and_sigma_a_are_named(kwargs, match):
    args = {"rho": RHO, "sigma_a": 1.0, "width": 4, **kwargs}
    with pytest.raises(ValueError, match=match):
        models.ff_network(**args)
