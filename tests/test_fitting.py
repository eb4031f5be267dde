"""Training with snapshots, the digits data and label noise: counts and shapes that are known."""

import jax
import numpy as np
import optax
import pytest
from hypothesis import given, settings, strategies as st

from ntk_freq.training import _fitting as fitting
from ntk_freq._nn import mlp


def test_digits_are_shipped_scaled_and_balanced():
    x, labels = fitting.load_digits()
    assert x.shape == (1797, 64) and x.min() == 0 and x.max() == 1
    x, labels = fitting.load_digits(n_per_class=5, classes=(3, 8))
    assert x.shape == (10, 64) and np.bincount(labels).tolist() == [5, 5]
    with pytest.raises(ValueError, match="exceeds"):
        fitting.load_digits(n_per_class=1000)
    with pytest.raises(ValueError, match="classes"):
        fitting.load_digits(classes=(1,))


@settings(max_examples=30, deadline=None)
@given(fraction=st.floats(0, 1), seed=st.integers(0, 100))
def test_label_noise_changes_the_stated_fraction(fraction, seed):
    labels = np.arange(200) % 10
    noisy = fitting.noisy_labels(labels, 10, fraction, seed=seed)
    assert np.sum(noisy != labels) == round(fraction * 200)      # each changed label moves class
    assert noisy.min() >= 0 and noisy.max() < 10


def test_fit_snapshots_and_refusals():
    x = np.random.default_rng(0).normal(size=(20, 3))
    y = fitting.one_hot(np.arange(20) % 4, 4)
    net = mlp.mlp_network(3, (16,), out_dim=4)
    p0 = net.init(jax.random.PRNGKey(0))
    res = fitting.fit(net, p0, x, y=y, optimizer=optax.adam(1e-2), snapshot_steps=np.array([0, 3, 50]), loss="xent", progress=False)
    assert res.outputs.shape == (3, 20, 4) and len(res.params) == 3 and res.loss.shape == (50,)
    np.testing.assert_array_equal(res.outputs[0], 0.0)                # doubling: f₀ ≡ 0
    assert res.loss[-1] < res.loss[0]
    with pytest.raises(ValueError, match="snapshot_steps must be increasing"):
        fitting.fit(net, p0, x, y=y, optimizer=optax.sgd(0.1), snapshot_steps=np.array([5, 3]), progress=False)
    with pytest.raises(ValueError, match="xent"):
        fitting.fit(net, p0, x, y=y[:, 0], optimizer=optax.sgd(0.1), snapshot_steps=np.array([1]), loss="xent", progress=False)
    with pytest.raises(ValueError, match="labels must lie"):
        fitting.one_hot(np.array([0, 4]), 4)
