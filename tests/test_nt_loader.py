"""neural-tangents 0.6.5 through ntk_freq._nt on the current JAX: its analytic kernels against
closed forms derived independently here, its empirical NTK against a plain-JAX Jacobian
contraction, the loader's stand-ins, its report, its refusals, and that TensorFlow stays out.

Conventions of the stax network (ntk_freq.kernels.two_layer_stax, 'ntk' parametrisation):
pre-activations h = (w_std/√d) u·x + b_std β with u, β ~ N(0, 1) have the covariance
q(x, x') = (w_std²/d) x·x' + b_std²; then NNGP K = E[σ(h)σ(h')] and NTK Θ = K + q(x, x') K̇ with
K̇ = E[σ'(h)σ'(h')] (the readout gradient gives K; the first layer's weights and biases give
q K̇). The expectations below are the classical closed forms (arc-cosine kernels of Cho & Saul
for ReLU, Williams' arcsine kernel for erf, Gaussian moments for sin/cos)."""

import json
import math
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import ntk_freq as nf
from ntk_freq.kernels import _closed_form as kernels
from ntk_freq._nn import models
from ntk_freq._nt import jax_ad, jax_util


def _covariances(x1, x2, w_std, b_std):
    d = x1.shape[1]
    q12 = w_std**2 / d * x1 @ x2.T + b_std**2
    q11 = w_std**2 / d * np.sum(x1 * x1, 1)[:, None] + b_std**2
    q22 = w_std**2 / d * np.sum(x2 * x2, 1)[None, :] + b_std**2
    return q11, q12, q22


def _angle(x1, x2, w_std, b_std):
    """The angle between the pre-activation vectors z = [(w_std/√d) x, b_std], by Kahan's
    well-conditioned 2 atan2(|u − v|, |u + v|) for unit u, v (arccos loses half the digits
    near collinear points, which d = 1 without bias makes every pair)."""
    d = x1.shape[1]

    def unit(x):
        z = np.concatenate([w_std / math.sqrt(d) * x, np.full((len(x), 1), b_std)], axis=1)
        return z / np.linalg.norm(z, axis=1, keepdims=True)

    u, v = unit(x1)[:, None, :], unit(x2)[None, :, :]
    return 2 * np.arctan2(np.linalg.norm(u - v, axis=-1), np.linalg.norm(u + v, axis=-1))


def closed_form(activation, x1, x2, w_std, b_std):
    """(K, K̇) in closed form for the activation, as functions of the covariances."""
    q11, q12, q22 = _covariances(x1, x2, w_std, b_std)
    if activation == "relu":
        norm = np.sqrt(q11 * q22)
        theta = _angle(x1, x2, w_std, b_std)
        return norm * (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / (2 * np.pi), (np.pi - theta) / (2 * np.pi)
    if activation == "erf":
        s = (1 + 2 * q11) * (1 + 2 * q22)
        return 2 / np.pi * np.arcsin(2 * q12 / np.sqrt(s)), 4 / np.pi / np.sqrt(s - 4 * q12**2)
    damp = np.exp(-(q11 + q22) / 2)
    if activation == "sin":  # E[sin h sin h'] = e^{-(q11+q22)/2} sinh q12, σ' = cos
        return damp * np.sinh(q12), damp * np.cosh(q12)
    if activation == "cos":
        return damp * np.cosh(q12), damp * np.sinh(q12)
    raise AssertionError(activation)


@pytest.mark.parametrize("activation", ["relu", "erf", "sin", "cos"])
@pytest.mark.parametrize("w_std,b_std", [(1.0, 0.0), (1.7, 0.6)])
@pytest.mark.parametrize("dim", [1, 3])
def test_analytic_two_layer_kernels_match_closed_forms(activation, w_std, b_std, dim):
    """Both quantities are evaluated in float64 by each route: agreement to 1e-12 relative."""
    rng = np.random.default_rng(dim)
    x1, x2 = rng.normal(size=(6, dim)), rng.normal(size=(5, dim))
    K, K_dot = closed_form(activation, x1, x2, w_std, b_std)
    q12 = _covariances(x1, x2, w_std, b_std)[1]
    nngp = kernels.two_layer_ntk(x1, x2, activation, w_std=w_std, b_std=b_std, part="readout")
    ntk = kernels.two_layer_ntk(x1, x2, activation, w_std=w_std, b_std=b_std, part="full")
    # neural-tangents takes θ = arccos(cos θ): at (anti)collinear pairs (every pair in d = 1
    # without bias) a cosine rounded by ε = 2.2e-16 moves θ by up to √(2ε) ≈ 2e-8, so there the
    # ReLU kernels are good to √(2ε)|q12|/(2π) only; elsewhere to 1e-12 relative.
    collinear = activation == "relu" and dim == 1 and b_std == 0
    atol = np.sqrt(2 * np.finfo(float).eps) * np.abs(q12) if collinear else 1e-14
    assert np.all(np.abs(nngp - K) <= 1e-12 * np.abs(K) + atol)
    assert np.all(np.abs(ntk - (K + q12 * K_dot)) <= 1e-12 * np.abs(K + q12 * K_dot) + atol)


def _jacobian_contraction(network, params, x1, x2):
    """Σ_θ ∂f(x)/∂θ ∂f(x')/∂θ over the trainable entries, by jax.jacobian alone."""
    theta, frozen = models.split(params, network.trainable)

    def flat_jacobian(x):
        jac = jax.jacobian(lambda t: network.apply(models.merge(t, frozen), x))(theta)
        return jnp.concatenate([j.reshape(len(x), -1) for j in jax.tree_util.tree_leaves(jac)], axis=1)

    return np.asarray(flat_jacobian(x1) @ flat_jacobian(x2).T)


@pytest.mark.parametrize("make", [
    lambda: models.ff_network(nf.distribution("laplace:2"), 0.7, 64, part="full"),
    lambda: models.ff_network(nf.distribution("uniform:3"), 0.7, 64, part="frequency"),
    lambda: models.two_layer_network(2, 48, "erf", w_std=1.3, b_std=0.4, part="full"),
    lambda: models.two_layer_network(2, 48, "relu", w_std=1.0, b_std=0.0, part="readout"),
])
def test_empirical_ntk_equals_plain_jax_jacobian_contraction(make):
    with jax.enable_x64(True):  # the reference is plain JAX: it computes in the caller's mode
        net = make()
        params = net.init(jax.random.PRNGKey(5))
        dim = 1 if "W" in net.trainable and params["plus"]["W"].shape[1] == 1 else 2
        rng = np.random.default_rng(6)
        x1, x2 = rng.normal(size=(7, dim)), rng.normal(size=(4, dim))
        np.testing.assert_allclose(
            kernels.empirical_ntk(net, params, x1, x2=x2), _jacobian_contraction(net, params, x1, x2),
            rtol=1e-12, atol=1e-13,
        )


def test_safe_map_and_safe_zip_behave_as_jax_util_did():
    """jax.util.safe_map/safe_zip (removed in JAX 0.8): lists, and equal lengths enforced."""
    assert jax_util.safe_map(lambda a, b: a + b, (1, 2), [10, 20]) == [11, 22]
    assert jax_util.safe_zip("ab", (1, 2)) == [("a", 1), ("b", 2)]
    assert jax_util.safe_map(str, []) == [] and jax_util.safe_zip() == []
    with pytest.raises(ValueError, match="unequal lengths"):
        jax_util.safe_map(lambda a, b: a, [1, 2], [1])
    with pytest.raises(ValueError, match="unequal lengths"):
        jax_util.safe_zip([1], [1, 2])


def test_zeros_like_placeholder_is_inert():
    """The placeholder is a primitive nothing binds: differentiating the networks the project
    uses never meets it (so neural-tangents' rules registered for it are never consulted)."""
    with jax.enable_x64(True):  # apply is plain JAX: it computes in the caller's mode
        prim = jax_ad.zeros_like_p_placeholder
        assert prim.name == "zeros_like"
        net = models.ff_network(nf.distribution("gaussian:1"), 1.0, 8)
        params = net.init(jax.random.PRNGKey(0))
        jaxpr = jax.make_jaxpr(jax.jacobian(lambda p: net.apply(p, jnp.ones((3, 1)))))(params)
        assert all(eqn.primitive is not prim for eqn in jaxpr.jaxpr.eqns)


def test_mode_reports_the_loader_and_no_tensorflow():
    report = nf.neural_tangents_mode()
    assert report["available"] and report["neural_tangents"] == "0.6.5"
    assert report["jax"] == jax.__version__
    assert {"stax", "_src.empirical", "_src.monte_carlo"} <= set(report["modules"])
    assert "experimental" not in " ".join(report["modules"])
    assert report["tensorflow_imported"] is False
    restored = "\n".join(report["restored"])
    if not hasattr(jax.core, "Jaxpr"):  # JAX >= 0.6 moved it
        assert "jax.core.Jaxpr <- jax.extend.core.Jaxpr" in restored


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_tensorflow_and_native_neural_tangents_are_never_imported():
    """A fresh process that computes analytic and empirical kernels imports neither TensorFlow
    nor the neural_tangents package itself (its __init__ would pull TensorFlow in)."""
    out = _run(
        "import sys, json, numpy as np, jax, ntk_freq as nf\n"
        "from ntk_freq import kernels, models\n"
        "x = np.linspace(-1, 1, 4)[:, None]\n"
        "kernels.two_layer_ntk(x, x, 'relu')\n"
        "net = models.two_layer_network(1, 8, 'erf')\n"
        "kernels.empirical_ntk(net, net.init(jax.random.PRNGKey(0)), x, x2=x)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('tensorflow', 'tf2jax', 'neural_tangents'))))\n"
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


HIDE_NT = (
    "import importlib.metadata as md\n"
    "real = md.version\n"
    "def version(name):\n"
    "    if name == 'neural-tangents': raise md.PackageNotFoundError(name)\n"
    "    return real(name)\n"
    "md.version = version\n"
)


def test_missing_neural_tangents_fails_at_first_use_with_the_fix():
    out = _run(
        HIDE_NT
        + "import numpy as np, ntk_freq as nf\n"
        "x = np.zeros((2, 1))\n"
        "print(nf.ff_ntk(x, x, nf.distributions.Gaussian(1.0), sigma_a=1.0).shape)\n"  # the rest of the package works
        "try:\n    nf.two_layer_ntk(x, x, 'tanh')\nexcept ValueError as e:\n    print('VALIDATED', e)\n"
        "try:\n    nf.two_layer_ntk(x, x, 'relu')\nexcept ImportError as e:\n    print('REFUSED', e)\n"
        "print('MODE', nf.neural_tangents_mode()['available'])\n"
    )
    assert out.returncode == 0, out.stderr
    assert "(2, 2)" in out.stdout
    assert "VALIDATED activation must be one of" in out.stdout
    assert "REFUSED neural-tangents is not installed" in out.stdout
    assert "pip install --no-deps neural-tangents==0.6.5" in out.stdout
    assert "MODE False" in out.stdout


def test_unsupported_jax_is_named_at_first_use():
    out = _run(
        "import jax, numpy as np, ntk_freq as nf\n"
        "jax.__version__ = '0.4.30'\n"
        "x = np.zeros((2, 1))\n"
        "try:\n    nf.two_layer_ntk(x, x, 'relu')\nexcept ImportError as e:\n    print('REFUSED', e)\n"
    )
    assert out.returncode == 0, out.stderr
    assert "REFUSED jax 0.4.30 is older than ntk-freq supports (>= 0.5.3)" in out.stdout


def test_a_jax_the_loader_cannot_serve_gives_one_error_and_leaves_nothing_loaded():
    """Simulate a future JAX the loader cannot serve (its jax.core stand-in points nowhere, on
    any JAX version): the raw ImportError becomes one NeuralTangentsUnavailable naming the JAX
    version, and no half-loaded module stays behind."""
    out = _run(
        "import sys, numpy as np, ntk_freq as nf, ntk_freq._nt as loader\n"
        "loader.SHIMS['jax.core'] = 'ntk_freq._nt.no_such_stand_in'\n"
        "x = np.zeros((2, 1))\n"
        "try:\n    nf.two_layer_ntk(x, x, 'relu')\nexcept loader.NeuralTangentsUnavailable as e:\n    print('REFUSED', e)\n"
        "print('LEFT', [m for m in sys.modules if m.startswith(loader.ALIAS)])\n"
    )
    assert out.returncode == 0, out.stderr
    assert "REFUSED neural-tangents 0.6.5 could not be loaded on jax" in out.stdout
    assert "LEFT []" in out.stdout
