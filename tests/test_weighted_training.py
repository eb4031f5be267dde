"""Training on data laid out with a density by loss weights: the weighted loss ½ Σ q_i (f − y)²
against its kernel twin u ↦ (I − η Θ diag(q)) u (KernelOperator with weights), through an
independent route: the network's own empirical NTK by neural-tangents."""

import jax
import numpy as np

import ntk_freq  # noqa: F401
from ntk_freq.data._density import training_measure
from ntk_freq.distributions._families import Gaussian
from ntk_freq.kernels._closed_form import empirical_ntk
from ntk_freq._nn.models import ff_network
from ntk_freq.kernels._operator import KernelOperator
from ntk_freq.training._train import train


def test_weighted_gradient_descent_is_the_weighted_kernel_map():
    """Readout-only training is linear in its parameters, so gradient descent on the weighted
    loss is exactly u_{k+1} = (I − η Θ_emp diag(q)) u_k with the network's empirical NTK: equal
    to float64 rounding (1e-10 over 200 steps). Also the stability limit 2/λ_max(Θ diag(q))
    from the symmetric twin equals the one of the non-symmetric product."""
    m = training_measure("pieces:-6,0,6/0.8,0.2", 6.0, 48, layout="weights")
    x = m.points[:, None]
    y = np.exp(-x[:, 0] ** 2 / 2) * np.sin(3 * x[:, 0])
    net = ff_network(Gaussian(2.0), 0.8, 256, part="readout")
    params = net.init(jax.random.PRNGKey(0))
    eta, times = 0.5, 0.5 * np.array([0, 50, 200])
    fit = train(net, params, x, y=y, eta=eta, times=times, weights=m.weights, progress=False)
    theta = np.asarray(empirical_ntk(net, params, x, x2=x))
    op = KernelOperator.from_gram(theta, m.weights)
    u = op.gd(-y, eta, np.array([0, 50, 200]))
    np.testing.assert_allclose(fit.u, u, atol=1e-10)
    lam = np.linalg.eigvals(theta * m.weights[None, :]).real.max()
    assert abs(op.stability_limit - 2 / lam) < 1e-10 * op.stability_limit
    assert abs(fit.max_stable_eta / op.stability_limit - 1) < 1e-3  # power iteration
    np.testing.assert_allclose(op.flow(-y, [0.0]), [-y], atol=1e-12)
