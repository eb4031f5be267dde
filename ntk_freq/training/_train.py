"""Training in the kernel regime: finite-width networks by full-batch gradient descent, the exact
kernel flow on the data, and its discrete twin.

Convention (docs/theory.md): gradient descent with step η on the mean loss (1/2N) Σ_i (f(x_i) − y_i)²
is, in the kernel regime, the linear map u_{k+1} = (I − η Θ(X, X)/N) u_k on the error u = f − y
at the N training points; gradient-flow time is t = η · step and the flow is u(t) = exp(−t Θ/N) u₀.
Gradient descent is stable for η < 2/λ_max(Θ(X, X)/N).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from scipy import linalg
from tqdm import tqdm

from ntk_freq._util import validation as v
from ntk_freq._util.precision import in_dtype
from ntk_freq._util.threads import blas_threads
from ntk_freq._nn.models import Network, merge, split
from ntk_freq.training._regime import RegimeTrace, regime_option, regime_probe, regime_trace
from ntk_freq.kernels._operator import snapshot_steps

DTYPES = {"float32": jnp.float32, "float64": jnp.float64}


@dataclass(frozen=True)
class TrainResult:
    """A training run: the error on the training points at the snapshot times.

    times: (T,) flow times t = η·step; steps: (T,) step numbers; u: (T, N) errors f(x_i) − y_i
    (float64); loss: (steps + 1,) the mean loss (1/2N) Σ (f − y)² before each step and after the
    last; params: the final parameters; eta, max_stable_eta: the step and 2/λ_max of the
    network's own NTK at initialisation (NaN for optimisers other than plain gradient descent);
    regime: the kernel-regime diagnostics at each snapshot (:mod:`ntk_freq.regime`), or None;
    f_test: (T, M) the network's outputs at the test points ``x_test`` at each snapshot (float64),
    or None without test points."""

    times: np.ndarray
    steps: np.ndarray
    u: np.ndarray
    loss: np.ndarray
    params: dict
    eta: float
    max_stable_eta: float
    regime: RegimeTrace | None = None
    f_test: np.ndarray | None = None

    def test_error(self, y_test, weights=None) -> np.ndarray:
        """(T,) the test error Σ_j q_j (f(x_j) − y_j)² at each snapshot (q_j = 1/M by default:
        the mean squared error over the test points)."""
        if self.f_test is None:
            raise ValueError("this run had no test points (train(..., x_test=…))")
        r2 = (self.f_test - np.asarray(y_test, dtype=np.float64).reshape(1, -1)) ** 2
        return r2.mean(axis=1) if weights is None else r2 @ np.asarray(weights, dtype=np.float64)


def check_representable(name: str, values: np.ndarray, dtype: str) -> np.ndarray:
    """Refuse data whose training would overflow or lose its digits in ``dtype``: squared
    errors beyond the dtype's range (the loss), or float32 inputs so large that w·x keeps no
    fractional digits (the phase of cos(w·x) is then noise)."""
    values = v.finite_array(name, values)
    info = np.finfo(DTYPES[v.choice("dtype", dtype, DTYPES)])
    top = float(np.max(np.abs(values))) if values.size else 0.0
    if top > math.sqrt(float(info.max) / max(values.size, 1)):
        raise ValueError(f"{name} reaches {top:.3g}: its squared errors overflow {dtype} (max "
                         f"{info.max:.3g}); rescale the data or use dtype='float64'")
    if name == "x" and top * info.eps > 1e-3:
        raise ValueError(f"x reaches {top:.3g}: in {dtype} the phases w·x of the features keep "
                         f"only {top * info.eps:.1g} absolute precision; rescale the inputs or use "
                         "dtype='float64'")
    return values


class TrainingDiverged(RuntimeError):
    """Gradient descent blew up: the message names the step and the largest stable step."""


def empirical_lambda_max(network: Network, params, x, *, iterations: int = 100,
                         weights=None) -> float:
    """λ_max of the network's finite-width NTK Gram matrix over N, J Jᵀ/N (J = ∂f(X)/∂θ over the
    trainable θ), by power iteration with Jacobian-vector products: never forms the N × N
    Gram matrix nor the Jacobian. Converges from below; 100 iterations give a few digits.
    With loss ``weights`` q_i: λ_max of J Jᵀ diag(q) (through diag(√q) J Jᵀ diag(√q))."""
    v.instance("network", network, Network, "an ntk_freq.networks.Network")
    v.instance("params", params, dict, "a dict of parameters (network.init)")
    theta, frozen = split(params, network.trainable)
    n = x.shape[0]
    root_q = jnp.full(n, 1.0 / jnp.sqrt(n), x.dtype) if weights is None else jnp.sqrt(weights)
    return float(_power_iteration(theta, frozen, x, root_q, apply=network.apply,
                                  iterations=iterations))


@functools.partial(jax.jit, static_argnames=("apply", "iterations"))
def _power_iteration(theta, frozen, x, root_q, *, apply: Callable, iterations: int):
    """Rayleigh quotient of diag(√q) J Jᵀ diag(√q) after ``iterations`` power steps; jitted
    with ``apply`` static, so it compiles once per network configuration and shape."""

    def f(th):
        return apply(merge(th, frozen), x)

    _, f_vjp = jax.vjp(f, theta)

    def product(u):
        return root_q * jax.jvp(f, (theta,), f_vjp(root_q * u))[1]

    def body(_, u):
        w = product(u)
        return w / jnp.linalg.norm(w)

    u0 = jnp.cos(jnp.arange(x.shape[0], dtype=x.dtype) * 0.7) + 1.0
    u = jax.lax.fori_loop(0, iterations, body, u0 / jnp.linalg.norm(u0))
    return jnp.vdot(u, product(u))


#: Largest N for which the stability check forms the network's N × N NTK Gram matrix exactly
#: (networks with ``ntk_gram``); above it, power iteration.
GRAM_MAX_POINTS = 4096


def network_lambda_max(network: Network, params, x, *, weights=None) -> float:
    """λ_max of the network's finite-width NTK Gram matrix over N, J Jᵀ/N (with loss
    ``weights`` q: of J Jᵀ diag(q)): exactly, from the N × N Gram matrix in float64 (numpy, nothing to compile), for networks
    with hand-written derivatives (``network.ntk_gram``) and N ≤ ``GRAM_MAX_POINTS``; else by
    :func:`empirical_lambda_max`."""
    v.instance("network", network, Network, "an ntk_freq.networks.Network")
    v.instance("params", params, dict, "a dict of parameters (network.init)")
    n = x.shape[0]
    if network.ntk_gram is None or n > GRAM_MAX_POINTS:
        return empirical_lambda_max(network, params, x, weights=weights)
    root_q = np.full(n, 1.0 / np.sqrt(n)) if weights is None else np.sqrt(np.asarray(weights, float))
    with blas_threads():
        G = network.ntk_gram(params, x, network.trainable)
        return float(linalg.eigvalsh(root_q[:, None] * G * root_q[None, :],
                                     subset_by_index=(n - 1, n - 1))[0])


@functools.partial(jax.jit, static_argnames=("loss", "optimizer", "length"))
def _advance(theta, opt_state, loss: Callable, optimizer, length: int):
    """``length`` optimiser steps in one ``lax.scan``; returns the new state and the loss before
    each step."""

    def step(carry, _):
        th, st = carry
        value, grad = jax.value_and_grad(loss)(th)
        updates, st = optimizer.update(grad, st, th)
        return (optax.apply_updates(th, updates), st), value

    (theta, opt_state), losses = jax.lax.scan(step, (theta, opt_state), None, length=length)
    return theta, opt_state, losses


def _training_loss(apply: Callable, frozen, x, y, weights):
    """θ ↦ (1/2N) Σ (f(x_i; θ) − y_i)², or ½ Σ q_i (f(x_i; θ) − y_i)² with ``weights`` q."""

    def loss(theta):
        r = apply(merge(theta, frozen), x) - y
        return 0.5 * (jnp.mean(r * r) if weights is None else jnp.sum(weights * r * r))

    return loss


@functools.partial(jax.jit, static_argnames=("apply", "loss_and_grad", "optimizer", "chunk"))
def _steps(theta, opt_state, frozen, x, y, weights, eta, n, *, apply: Callable,
           loss_and_grad: Callable | None, optimizer, chunk: int):
    """The first ``n`` ≤ ``chunk`` steps of training (n is traced: every gap between snapshots
    runs the same compiled program). ``loss_and_grad``: the network's hand-written loss and
    gradient, or None for autodiff of ``apply``. ``optimizer``: None for plain gradient descent
    θ ← θ − η ∇L (η traced), or an optax transformation. Returns θ, the optimiser state and the
    loss before each step (NaN past n), shape (chunk,).

    Everything static is hashable and equal across calls for the same network kind (module-level
    functions; the user's optimiser object), so train() compiles once per distinct shape."""
    if loss_and_grad is None:
        value_and_grad = jax.value_and_grad(_training_loss(apply, frozen, x, y, weights))
    else:
        value_and_grad = lambda th: loss_and_grad(th, frozen, x, y, weights)  # noqa: E731

    def step(i, carry):
        th, st, losses = carry
        value, grad = value_and_grad(th)
        if optimizer is None:
            th = jax.tree_util.tree_map(lambda p, g: p - eta * g, th, grad)
        else:
            updates, st = optimizer.update(grad, st, th)
            th = optax.apply_updates(th, updates)
        return th, st, losses.at[i].set(value)

    losses = jnp.full(chunk, jnp.nan, dtype=y.dtype)
    return jax.lax.fori_loop(0, n, step, (theta, opt_state, losses))


@functools.partial(jax.jit, static_argnames=("apply",))
def _residual(params, x, y, apply: Callable):
    """u = f(x) − y, compiled once per shape."""
    return apply(params, x) - y


@functools.partial(jax.jit, static_argnames="apply")
def _outputs(params, x, apply: Callable):
    """f(x), compiled once per shape."""
    return apply(params, x)


def _check_memory(compiled, n_points: int, width_hint: str) -> None:
    """Refuse a training step whose XLA working set (from the compiled program, before any
    allocation) exceeds half the available memory."""
    stats = compiled.memory_analysis()
    if stats is None:
        return
    nbytes = stats.temp_size_in_bytes + stats.argument_size_in_bytes + stats.output_size_in_bytes
    v.fits_in_memory(f"one training step on {n_points} points ({width_hint})", nbytes)


def _diverged_at(losses: np.ndarray, loss0: float, patience: int) -> int | None:
    """Index of the first step whose loss is non-finite, above 10× the initial loss, or the
    end of ``patience`` consecutive increases; None if none."""
    bad = ~np.isfinite(losses) | (losses > 10.0 * loss0)
    rising = np.diff(losses) > 0
    if rising.size >= patience:
        run = np.convolve(rising.astype(int), np.ones(patience, int), mode="valid")
        bad[patience:][run == patience] = True
    idx = np.flatnonzero(bad)
    return int(idx[0]) if idx.size else None


#: Seconds per neuron · point · step of full-batch FF-NN gradient descent (2m neurons after the
#: doubling) on the quiet 2-core reference machine (benchmarks/bench_training.py: 4.7e-9 in
#: float32 and 1.0e-8 in float64 at m = 10⁴, N = 1024; the main job's smaller arrays cost about
#: twice that per entry, which these values take), and the fixed cost of one :func:`train` call
#: (compilation, stability check). For estimates only.
STEP_SECONDS = {"float32": 9e-9, "float64": 2e-8}
CALL_SECONDS = 3.0


#: Training's operation budget, counting 10 operations per parameter, data point and step
#: (:func:`check_training_cost`). The FF-NN runs about 3e9 of them per second in float32 on
#: the reference machine (:data:`STEP_SECONDS`; a neuron has d + 2 parameters, so 30 operations
#: per neuron, point and step in d = 1), so the budget is about 10 minutes of float32 (20 of
#: float64) training; beyond it a run is refused before its first step (``compare`` refuses it
#: before any route).
MAX_TRAINING_OPERATIONS = 2e12


def check_training_cost(what: str, n_params: int, n_points: int, *, steps: int, hint: str) -> None:
    """Refuse (MemoryError) training ``n_params`` parameters on ``n_points`` points for
    ``steps`` steps beyond :data:`MAX_TRAINING_OPERATIONS`."""
    v.affordable(what, 10.0 * float(n_params) * n_points * steps, hint,
                 budget=MAX_TRAINING_OPERATIONS, duration="10–20 minutes of training")


def estimated_seconds(width: int, n_points: int, steps: int, *, dtype: str, runs: int = 1) -> float:
    """A rough wall time for ``runs`` trainings of an FF-NN of width m (2m neurons) on N points
    for ``steps`` steps, on the reference machine (a busy machine takes longer)."""
    width, n_points, steps, runs = (v.nonnegative_int(n, x) for n, x in
                                    (("width", width), ("n_points", n_points), ("steps", steps), ("runs", runs)))
    v.choice("dtype", dtype, STEP_SECONDS)
    return runs * (CALL_SECONDS + STEP_SECONDS[dtype] * 2 * width * n_points * steps)


@functools.lru_cache(maxsize=None)
def merged_apply(apply: Callable) -> Callable:
    """(θ, frozen, x) ↦ apply(merge(θ, frozen), x), one object per ``apply``: jitted probes keyed
    on it compile once per shape for every network sharing a module-level ``apply``."""
    return lambda theta, frozen, x: apply(merge(theta, frozen), x)


@in_dtype
def train(network: Network, params, x, *, y, eta: float, times, optimizer=None,
          dtype: str = "float64", chunk: int = 200, progress: bool | str = True,
          patience: int = 50, weights=None, regime: bool | int = True, x_test=None,
          residual=None) -> TrainResult:
    """Full-batch training of ``network`` from ``params`` on (x, y), snapshots of the error
    u = f(x) − y at the flow times ``times`` (each a multiple of η; t = η · step).

    optimizer: None for plain gradient descent with step η on the mean loss (1/2N) Σ (f − y)²
    (docs/theory.md's time convention), or any optax ``GradientTransformation`` (e.g.
    ``optax.adam(1e-3)``; then η only labels time, t = η · step, and no PDE counterpart exists).
    dtype: "float32" or "float64" for parameters, data and every computation of the run (it runs
    in JAX's 32- or 64-bit mode accordingly, whatever the caller's: :mod:`ntk_freq._precision`;
    the errors ``u`` come back in float64 NumPy). chunk: at most this many steps per
    compiled call (the progress bar moves after each; ``progress`` may be the bar's label, False hides it).
    Only ``network.trainable`` entries move.

    Before training: refuses a working set that would not fit in memory and, for gradient
    descent, η ≥ 2/λ_max of the network's own NTK (:func:`network_lambda_max`: exact from the
    Gram matrix for FF networks, else by power iteration). During
    training: stops with :class:`TrainingDiverged` at a non-finite loss, a loss above 10× the
    initial one, or ``patience`` consecutive increases.

    weights: None (the mean loss) or per-point weights q_i ≥ 0 summing to 1, for the weighted
    loss ½ Σ q_i (f(x_i) − y_i)² of data laid out with a density (:mod:`ntk_freq.data`); the
    kernel-regime map is then u ↦ (I − η Θ diag(q)) u.

    regime: record the kernel-regime diagnostics (:mod:`ntk_freq.regime`: NTK change, parameter
    distance, linearisation gap) at every snapshot, the NTK change on ``regime`` inputs (True:
    64 divided by the number of outputs, at least 16); a run that leaves the kernel regime warns with
    :class:`ntk_freq.training.LazyRegimeWarning`. False skips them.

    x_test: points apart from the training points (the same dimension) at which the network's
    outputs are recorded at every snapshot (``TrainResult.f_test``, ``test_error``); one run gives
    the test error at every time.

    residual: None (the loss on the values f(x) − y), or an operator loss laid out on its points
    (:class:`ntk_freq.losses.ResidualData`, from :func:`ntk_freq.losses.residual_data`): the
    network is trained on ½ Σ q (R − s)² over its stacked residuals R = [L_1 f(X); …; f(X_B)]
    (derivatives of the network by forward-mode autodiff, inside the compiled step), η is checked
    against 2/λ_max of that loss's NTK, and ``u``, ``loss`` and ``f_test`` report as before: the
    error f(x) − y on (x, y), the operator loss per step, the outputs at ``x_test``."""
    if not isinstance(network, Network):
        raise TypeError(f"network must be an ntk_freq.networks.Network, got {type(network).__name__}")
    v.choice("dtype", dtype, DTYPES)
    regime_points = regime_option(regime)
    chunk, patience = v.positive_int("chunk", chunk), v.positive_int("patience", patience)
    steps = snapshot_steps(times, eta)
    eta = float(eta)
    jdt = DTYPES[dtype]
    x = jnp.asarray(check_representable("x", v.finite_array("x", x), dtype), dtype=jdt)
    x = x[:, None] if x.ndim == 1 else x
    y = jnp.asarray(check_representable("y", v.finite_array("y", y), dtype), dtype=jdt).reshape(-1)
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"y has {y.shape[0]} values but x has {x.shape[0]} points")
    params = jax.tree_util.tree_map(lambda a: jnp.asarray(a, dtype=jdt), params)
    if x_test is not None:
        x_test = jnp.asarray(check_representable("x_test", v.finite_array("x_test", x_test), dtype), dtype=jdt)
        x_test = x_test[:, None] if x_test.ndim == 1 else x_test
        if x_test.ndim != 2 or x_test.shape[1] != x.shape[1]:
            raise ValueError(f"x_test must be points of dimension {x.shape[1]} like x, got shape {x_test.shape}")
    if residual is not None and weights is not None:
        raise ValueError("weights are the operator loss's own (ResidualData.q) when residual is given")
    if residual is not None:
        check_smoothness(network, residual)
    q = None
    if weights is not None:
        q = v.finite_array("weights", weights).reshape(-1)
        if q.shape != y.shape or np.any(q < 0) or abs(q.sum() - 1) > 1e-9:
            raise ValueError(f"weights must be {y.shape[0]} numbers >= 0 summing to 1, got shape "
                             f"{q.shape}, min {q.min() if q.size else 0:.3g}, sum {q.sum():.10g}")
        q = jnp.asarray(q, dtype=jdt)
    theta, frozen = split(params, network.trainable)
    gd = optimizer is None
    if not gd and not isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(f"optimizer must be None (gradient descent) or an optax GradientTransformation "
                        f"such as optax.adam(1e-3), got {optimizer!r}")
    opt_state = () if gd else optimizer.init(theta)
    fit_net, fit_x, fit_y, fit_q = network, x, y, q
    if residual is not None:  # the loss reads the stacked residuals of the network
        from ntk_freq.losses._operator import residual_apply

        fit_net = Network(network.init, residual_apply(network, residual.blocks), network.trainable)
        fit_x = jnp.asarray(residual.points, dtype=jdt)
        fit_y = jnp.asarray(check_representable("the sources s", residual.s, dtype), dtype=jdt)
        fit_q = jnp.asarray(residual.q, dtype=jdt)
    static = dict(apply=fit_net.apply, loss_and_grad=fit_net.loss_and_grad,
                  optimizer=None if gd else optimizer, chunk=chunk)
    dynamic = (frozen, fit_x, fit_y, fit_q, jnp.asarray(eta, dtype=jdt))
    _check_memory(_steps.lower(theta, opt_state, *dynamic, 1, **static).compile(), fit_x.shape[0],
                  f"{_n_params(params)} parameters")
    check_training_cost(f"training {int(steps[-1])} steps", _n_params(params), fit_x.shape[0],
                        steps=int(steps[-1]), hint="use fewer steps (later snapshot times) or a smaller network")

    max_eta = float("nan")
    if gd:
        max_eta = 2.0 / network_lambda_max(fit_net, params, fit_x, weights=fit_q)
        if eta >= max_eta:
            raise ValueError(
                f"eta = {eta!r} is above the gradient-descent stability limit 2/λ_max(Θ(X, X)/N) "
                f"= {max_eta:.6g} of this network's NTK on these {x.shape[0]} points; use "
                f"eta < {max_eta:.6g} (well below it to follow the gradient flow closely)"
            )

    probe = None if regime_points is None else regime_probe(
        merged_apply(network.apply), theta, x, aux=frozen, **regime_points)  # the values' NTK
    rows = []
    u = np.empty((len(steps), x.shape[0]))
    f_test = None if x_test is None else np.empty((len(steps), x_test.shape[0]))
    losses = []
    done, loss0 = 0, None
    label = progress if isinstance(progress, str) else "training"
    with tqdm(total=int(steps[-1]), desc=label, disable=not progress, leave=False, unit="step") as bar:
        for i, target in enumerate(steps):
            while done < target:
                length = int(min(chunk, target - done))
                theta, opt_state, ls = _steps(theta, opt_state, *dynamic, length, **static)
                ls = np.asarray(ls, dtype=np.float64)[:length]
                loss0 = ls[0] if loss0 is None else loss0
                losses.append(ls)
                bad = _diverged_at(np.concatenate(losses), loss0, patience)
                if bad is not None:
                    raise TrainingDiverged(_divergence_message(bad, eta, max_eta, gd))
                done += length
                bar.update(length)
            u[i] = np.asarray(_residual(merge(theta, frozen), x, y, network.apply), dtype=np.float64)
            if f_test is not None:
                f_test[i] = np.asarray(_outputs(merge(theta, frozen), x_test, network.apply), dtype=np.float64)
            rows += [] if probe is None else [probe(theta)]
    r = u[-1] if residual is None else np.asarray(
        _residual(merge(theta, frozen), fit_x, fit_y, fit_net.apply), dtype=np.float64)
    final = 0.5 * float(np.mean(r**2) if fit_q is None else np.sum(np.asarray(fit_q) * r**2))
    all_losses = np.concatenate(losses + [np.array([final])])
    return TrainResult(
        times=np.asarray(times, dtype=np.float64).reshape(-1), steps=steps, u=u, loss=all_losses,
        params=merge(theta, frozen), eta=eta, max_stable_eta=max_eta,
        regime=None if probe is None else regime_trace(rows, probe, what=label), f_test=f_test,
    )


def check_smoothness(network: Network, residual) -> None:
    """Refuse an operator whose order exceeds the derivatives the network's activation has
    (ReLU: second derivatives vanish almost everywhere, so autodiff would train on zeros)."""
    orders = [L.order for _, L in residual.blocks if hasattr(L, "order")]
    if orders and max(orders) > network.smoothness:
        raise ValueError(
            f"residual: an operator of order {max(orders)} on a network whose activation has "
            f"derivatives up to order {network.smoothness:g} almost everywhere (ReLU and |z|: the "
            "second derivative is 0 a.e., a kink's δ that autodiff does not see); use a smooth "
            "activation (erf, gelu, sin) or a FourierFeatures network")


def _n_params(params) -> int:
    return int(sum(np.size(a) for a in jax.tree_util.tree_leaves(params)))


def _divergence_message(step: int, eta: float, max_eta: float, gd: bool) -> str:
    limit = (
        f"the largest stable step of the network's NTK at initialisation is 2/λ_max = {max_eta:.6g}"
        if gd else "this optimiser has no kernel stability limit; lower its learning rate"
    )
    return (
        f"training diverged at step {step} (eta = {eta!r}): the loss became non-finite, rose above "
        f"10x its initial value or kept growing; {limit}. Use a smaller eta."
    )
