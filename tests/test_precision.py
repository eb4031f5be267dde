"""Precision (ntk_freq._precision): importing the package leaves the user's JAX alone, theory
computes in float64 in a 32-bit process all the same, and training computes in the dtype it is
asked for, whatever the caller's mode.

Tolerances. Theory results are compared with closed forms evaluated in NumPy float64: both
sides are a handful of float64 operations (exp, arccos, products, sums of ≤ 3 terms) on numbers
of size ≤ 5, so they agree to a few units in the last place, ≲ 1e-15 absolute (measured
≤ 4.4e-16); 1e-12 leaves three orders of headroom and is five orders below float32's round-off
(≈ 1e-7), so a result computed in float32 anywhere on the way fails. Trained errors u = f − y
are checked against the network formula re-evaluated in NumPy float64 from the returned
parameters: a float64 run differs by the round-off of sums of 2m = 32 terms of size O(1),
≲ 32 · 2.2e-16 ≈ 7e-15 (tolerance 1e-12); a float32 run by float32's, 1e-9…1e-4.
"""

import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import ntk_freq as nf
from ntk_freq._util import precision as _precision
from ntk_freq.training._fitting import fit
from ntk_freq._nn.mlp import mlp_network
from ntk_freq._nn.models import Network, ff_network
from ntk_freq.distributions._radial import uniform_ball

S, SIGMA_A, W_STD, B_STD, WIDTH = 3.0, 0.7, 1.3, 0.4, 16
X1, X2 = np.linspace(-2.0, 2.0, 7), np.array([-1.3, 0.1, 0.45, 1.9])
X_TRAIN = np.linspace(-2.0, 2.0, 16)
Y_TRAIN = np.sin(2 * X_TRAIN)
TIMES = [0.0, 1.0, 2.0]  # η = 0.1: 20 steps

#: The user's program, in a fresh interpreter: {MODE} turns 64-bit on first, or not.
SCRIPT = r"""
import json
import numpy as np
import jax, jax.numpy as jnp
{MODE}
before = str(jnp.ones(2).dtype)
import ntk_freq as nf
from ntk_freq._nn.models import ff_network
out = {{"before": before, "after_import": str(jnp.ones(2).dtype)}}
rho = nf.distribution("gaussian:3")
x1, x2 = np.linspace(-2.0, 2.0, 7), np.array([-1.3, 0.1, 0.45, 1.9])
kernels = {{
    "ff_ntk": nf.ff_ntk(x1, x2, rho, sigma_a={SIGMA_A}),
    "char_fn": rho.char_fn((x1[:, None] - x2[None, :])[..., None]),
    "deep0": nf.ff_mlp_ntk(x1, x2, rho, hidden=(), w_std={W_STD}, b_std={B_STD}),
    "deep1": nf.ff_mlp_ntk(x1, x2, rho, hidden=(1,), activation="relu", w_std={W_STD},
                           b_std={B_STD}),
}}
out["kernels"] = {{k: [str(np.asarray(v).dtype), np.asarray(v).tolist()] for k, v in kernels.items()}}
w = rho.sample(jax.random.PRNGKey(0), 5)
out["sample_dtype"] = str(w.dtype)
x = np.linspace(-2.0, 2.0, 16)
y = np.sin(2 * x)
out["train"] = {{}}
init = {{}}
for dt in ("float64", "float32"):
    net = ff_network(rho, {SIGMA_A}, {WIDTH}, dtype=dt)
    init[dt] = net.init(jax.random.PRNGKey(1))
    r = nf.train(net, init[dt], x, y=y, eta=0.1, times=[0.0, 1.0, 2.0], dtype=dt, progress=False,
                 regime=False)
    out["train"][dt] = {{
        "init_dtypes": sorted({{str(a.dtype) for a in jax.tree_util.tree_leaves(init[dt])}}),
        "param_dtypes": sorted({{str(a.dtype) for a in jax.tree_util.tree_leaves(r.params)}}),
        "u_dtype": str(r.u.dtype), "u": r.u.tolist(),
        "params": {{s: {{k: np.asarray(a, np.float64).tolist() for k, a in p.items()}}
                   for s, p in r.params.items()}},
    }}
out["float32_init_is_float64_rounded"] = all(
    np.array_equal(np.asarray(a32), np.asarray(a64).astype(np.float32))
    for a32, a64 in zip(jax.tree_util.tree_leaves(init["float32"]),
                        jax.tree_util.tree_leaves(init["float64"])))
out["end"] = str(jnp.ones(2).dtype)
out["end_x64"] = bool(jax.config.jax_enable_x64)
print(json.dumps(out))
"""

MODES = {
    "untouched": ("", "0", "float32"),
    "env": ("", "1", "float64"),  # JAX_ENABLE_X64=1, read when JAX is imported
    "config": ('jax.config.update("jax_enable_x64", True)', "0", "float64"),
}


def _ff_numpy(params, x):
    """f(x) of the doubled FF network in NumPy float64 (docs/theory.md)."""
    def g(p):
        z = np.outer(x, np.asarray(p["W"])[:, 0])
        return (np.cos(z) @ np.asarray(p["a"]) + np.sin(z) @ np.asarray(p["b"])) / np.sqrt(len(p["a"]))

    return (g(params["plus"]) - g(params["minus"])) / np.sqrt(2.0)


def _relu_deep_ntk(c, xx):
    """NTK of γ(x) → Dense → relu → Dense ('ntk' parametrisation) at embedding correlation c
    and x·x' (W trained): Σ₁ = w²c/2 + b², q = w²/2 + b², cos θ = Σ₁/q, the arc-cosine
    kernel E = q (sin θ + (π − θ) cos θ)/2π and its derivative (π − θ)/2π, the input tangent
    kernel c (x·x')/2."""
    w2, b2 = W_STD**2, B_STD**2
    s1, q = w2 * c / 2 + b2, w2 / 2 + b2
    cos = np.clip(s1 / q, -1.0, 1.0)
    th = np.arccos(cos)
    e, dot = q * (np.sin(th) + (np.pi - th) * cos) / (2 * np.pi), (np.pi - th) / (2 * np.pi)
    return w2 * e + b2 + w2 * (s1 + w2 * c * xx / 2) * dot


@pytest.mark.parametrize("mode", list(MODES))
def test_import_leaves_jax_alone_and_theory_is_float64(mode):
    code, env_x64, user_dtype = MODES[mode]
    script = SCRIPT.format(MODE=code, SIGMA_A=SIGMA_A, W_STD=W_STD, B_STD=B_STD, WIDTH=WIDTH)
    env = {**os.environ, "JAX_ENABLE_X64": env_x64}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    # the user's mode, before the import, after it and after every call
    assert out["before"] == out["after_import"] == out["end"] == user_dtype
    assert out["end_x64"] is (user_dtype == "float64")
    # theory: float64 and the NumPy closed forms to 1e-12 (module docstring)
    z = X1[:, None] - X2[None, :]
    phi = np.exp(-S**2 * z**2 / 2)  # Gaussian ρ_w of scale s: φ_w(z) = exp(−s²z²/2)
    xx = np.outer(X1, X2)
    expected = {"ff_ntk": phi * (1 + SIGMA_A**2 * xx), "char_fn": phi,
                "deep0": W_STD**2 / 2 * phi * (1 + xx) + B_STD**2,  # no hidden layer
                "deep1": _relu_deep_ntk(phi, xx)}
    for name, (dtype, values) in out["kernels"].items():
        assert dtype == "float64", name
        np.testing.assert_allclose(values, expected[name], rtol=0, atol=1e-12, err_msg=name)
    assert out["sample_dtype"] == "float64"
    # training: in the dtype asked for, from the same draws, whatever the user's mode
    assert out["float32_init_is_float64_rounded"]
    for dt, r in out["train"].items():
        assert r["init_dtypes"] == r["param_dtypes"] == [dt] and r["u_dtype"] == "float64"
        gap = np.abs(np.asarray(r["u"])[-1] - (_ff_numpy(r["params"], X_TRAIN) - Y_TRAIN)).max()
        if dt == "float64":
            assert gap < 1e-12, gap
        else:  # float32 round-off: neither float64's nor a wrong result
            assert 1e-9 < gap < 1e-4, gap


def _recording(base: Network, seen: list) -> Network:
    """``base`` with apply and loss_and_grad that record, while training traces them, the
    dtypes of their arguments and results and the default float of the active JAX mode."""
    def dtypes(*trees):
        return {str(a.dtype) for a in jax.tree_util.tree_leaves(trees)}

    def apply(params, x):
        out = base.apply(params, x)
        seen.append(dtypes(params, x, out) | {str(jnp.asarray(1.0).dtype)})
        return out

    def loss_and_grad(theta, frozen, x, y, weights=None):
        value, grad = base.loss_and_grad(theta, frozen, x, y, weights)
        seen.append(dtypes(theta, frozen, x, y, weights, value, grad) | {str(jnp.asarray(1.0).dtype)})
        return value, grad

    return base._replace(apply=apply, loss_and_grad=None if base.loss_and_grad is None else loss_and_grad)


@pytest.mark.parametrize("caller_x64", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_training_computes_in_the_dtype_asked_for(dtype, caller_x64):
    """Every array the network meets while train() and fit() trace its step, the JAX mode they
    run in (its default float), the returned parameters: all ``dtype``, in a 32-bit or a 64-bit
    caller alike; the caller's mode is restored afterwards."""
    rho = nf.distribution("gaussian:3")
    with jax.enable_x64(caller_x64):
        seen = []
        ff = _recording(ff_network(rho, SIGMA_A, WIDTH, dtype=dtype), seen)
        r = nf.train(ff, ff.init(jax.random.PRNGKey(2)), X_TRAIN, y=Y_TRAIN, eta=0.1, times=TIMES,
                     dtype=dtype, progress=False)
        assert seen and set().union(*seen) == {dtype}, seen
        assert {a.dtype for a in jax.tree_util.tree_leaves(r.params)} == {jnp.dtype(dtype)}
        seen.clear()
        mlp = _recording(mlp_network(1, (8,), "tanh"), seen)
        f = fit(mlp, mlp.init(jax.random.PRNGKey(3)), X_TRAIN[:, None], y=Y_TRAIN, optimizer=optax.sgd(0.05),
                snapshot_steps=np.array([0, 5, 10]), dtype=dtype, progress=False)
        assert seen and set().union(*seen) == {dtype}, seen
        assert all({a.dtype for a in jax.tree_util.tree_leaves(p)} == {jnp.dtype(dtype)}
                   for p in f.params[1:])
        assert f.outputs.dtype == np.float64
        assert jnp.ones(2).dtype == (jnp.float64 if caller_x64 else jnp.float32)


def test_float32_and_float64_training_agree_to_float32_round_off():
    """The same network and draws trained in both dtypes: the float32 errors are the float64
    ones to float32 round-off (20 steps of O(1) numbers: relative ~1e-6), not equal."""
    rho = nf.distribution("gaussian:3")
    u = {}
    for dt in ("float32", "float64"):
        net = ff_network(rho, SIGMA_A, WIDTH, dtype=dt)
        u[dt] = nf.train(net, net.init(jax.random.PRNGKey(4)), X_TRAIN, y=Y_TRAIN, eta=0.1, times=TIMES,
                         dtype=dt, progress=False, regime=False).u
    gap = np.abs(u["float32"] - u["float64"]).max() / np.abs(u["float64"]).max()
    assert 1e-9 < gap < 1e-4, gap


@pytest.mark.parametrize("make", [
    lambda: nf.distribution("gaussian:2"), lambda: nf.distribution("uniform:3", 2),
    lambda: nf.distribution("laplace:1"), lambda: nf.distribution("cauchy:1"),
    lambda: nf.distribution("student:3,2"), lambda: nf.distribution("0.5*gaussian:1+0.5*laplace:2@6"),
    lambda: nf.distribution("gaussian:3/1", 2),
    lambda: nf.Tabulated(np.linspace(-2, 2, 41), np.full(41, 0.25)),
    lambda: nf.Empirical(np.random.default_rng(0).normal(size=(50, 1))),
    lambda: uniform_ball(2.0, 2),
    lambda: nf.data_density("box:3"), lambda: nf.data_density("gaussian:1.5"),
    lambda: nf.data_density("box:3*gaussian:1"),
    lambda: nf.PointMeasure(np.linspace(-1, 1, 9)),
])
def test_samples_are_float64_draws_in_a_32_bit_caller(make):
    """Every frequency and data density draws in float64 whatever the caller's mode, the same
    numbers in either."""
    law = make()
    with jax.enable_x64(False):
        w32 = law.sample(jax.random.PRNGKey(5), 64)
        assert jnp.ones(2).dtype == jnp.float32
    with jax.enable_x64(True):
        w64 = law.sample(jax.random.PRNGKey(5), 64)
    assert w32.dtype == jnp.float64 and np.array_equal(np.asarray(w32), np.asarray(w64))


def test_float64_decorator_scopes_and_restores():
    """float64 enters 64-bit mode for the call only, also when the call raises; precision
    picks the mode of a training dtype and refuses others; in_dtype follows the argument."""
    @_precision.float64
    def default_float(fail=False):
        if fail:
            raise RuntimeError("inside")
        return jnp.asarray(1.0).dtype

    @_precision.in_dtype
    def trainer(x, dtype="float32"):
        return jnp.asarray(x).dtype

    for caller in (False, True):
        with jax.enable_x64(caller):
            assert default_float() == jnp.float64
            with pytest.raises(RuntimeError, match="inside"):
                default_float(fail=True)
            assert jnp.ones(1).dtype == (jnp.float64 if caller else jnp.float32)
            for dt in ("float32", "float64"):
                with _precision.precision(dt):
                    assert jnp.asarray(1.0).dtype == jnp.dtype(dt)
                assert trainer(1.0, dtype=dt) == trainer(1.0, dt) == jnp.dtype(dt)
            assert trainer(1.0) == jnp.float32
            assert jnp.ones(1).dtype == (jnp.float64 if caller else jnp.float32)
    with pytest.raises(ValueError, match="dtype"):
        _precision.precision("float16")
    assert default_float.__name__ == "default_float" and trainer.__wrapped__.__name__ == "trainer"
