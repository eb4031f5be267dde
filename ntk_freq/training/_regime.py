"""Kernel-regime diagnostics of a training run, recorded at its snapshots (every
:func:`ntk_freq.training.train` and :func:`ntk_freq.training.fit` run carries them).

At each snapshot θ_t of the trained parameters (θ_0 the initial ones), over the training inputs
X = (x_1 … x_N):

- ``ntk_change``: δ_Θ(t) = ‖Θ_t − Θ_0‖_F / ‖Θ_0‖_F, with Θ_t(x, x') = Σ_θ ∂f(x)/∂θ ∂f(x')/∂θ
  the empirical NTK over the *trained* parameters (an output of C components: the trace over
  them divided by C, as in :func:`ntk_freq.kernels.empirical_ntk`);
- ``param_distance``: ‖θ_t − θ_0‖ / ‖θ_0‖ (Euclidean norm over every trained entry);
- ``linearisation_gap``: ‖f(θ_t) − f_lin(θ_t)‖ / ‖f(θ_t) − f(θ_0)‖ on all N inputs, where
  f_lin(θ) = f(θ_0) + J_0 (θ − θ_0) is the first-order Taylor model at the initialisation (the
  linearised network; 0 while nothing has moved).

Cost and estimator. The exact Θ on N points costs N·P memory for the Jacobian (P trained
parameters) and N²·P·C operations per snapshot. The NTK change is therefore measured on a fixed
random subset S of n = min(N, ``points``, 256 MiB/(P·bytes)) inputs (the same at every
snapshot; by default ``points`` = 64/C, at least 16, so that the cost n²·P·C does not grow with
the number C of outputs), with the unbiased U-statistic estimates of both squared Frobenius norms

    ‖A‖_F² ≈ (N/n) Σ_{i∈S} A_ii² + N(N−1)/(n(n−1)) Σ_{i≠j∈S} A_ij²     (A = Θ_t − Θ_0 and Θ_0),

so that the diagonal, which a plain sub-matrix would over-weight by N/n, counts as it does in the
full matrix. ``ntk_change_stderr`` is the jackknife standard error of the ratio over the n
points of S (leave one point out; O(n²), from the same matrices); it is 0 when S holds every
input (n = N: the value is exact). The linearisation gap costs one Jacobian-vector product on
all N inputs per snapshot and is exact.

Threshold. A run counts as lazy while max_t δ_Θ(t) stays at or below :data:`LAZY_THRESHOLD`
= 0.1. Why 0.1: by Weyl's inequality every eigenvalue of Θ_t/N lies within
‖Θ_t − Θ_0‖_2/N ≤ δ_Θ ‖Θ_0‖_F/N of its initial value; the modes that carry the target have
eigenvalues of the order of ‖Θ_0‖_F/N, so their rates λ_k, hence the learning times
t_k ∝ 1/λ_k that the kernel predicts, stay right to about 10 % (modes with much smaller
eigenvalues can move by more, relatively). Measured (ronen-sphere, quick form): δ_Θ = 0.005 where
the per-mode learning curves follow the kernel to 0.06, δ_Θ = 1.3 where they miss it by 0.9.
The other two are reported, not used in the decision: the parameter distance because a wide
network moves every parameter by little however much its kernel changes, the linearisation gap
because with ReLU it stays near 0.1 in runs that follow the kernel closely (neurons whose
pre-activation changes sign make f − f_lin first order in a small |θ_t − θ_0|: 0.12 in that
same lazy run). A run that exceeds the threshold emits :class:`LazyRegimeWarning`.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ntk_freq._util import validation as v

#: The largest δ_Θ for which a run counts as lazy (module docstring).
LAZY_THRESHOLD = 0.1
#: The default size n of the subset of inputs on which the NTK change is measured (divided by
#: the number of outputs C, down to :data:`MIN_POINTS`).
DEFAULT_POINTS = 64
MIN_POINTS = 16
#: The largest Jacobian block (n × P entries) the probe builds.
JACOBIAN_BYTES = 2**28


class LazyRegimeWarning(UserWarning):
    """A training run left the kernel regime: kernel-based predictions do not apply to it."""


@dataclass(frozen=True)
class RegimeTrace:
    """Kernel-regime diagnostics at each snapshot, shape (T,) each (module docstring):
    ``ntk_change`` δ_Θ and its jackknife ``ntk_change_stderr`` (0 when exact),
    ``param_distance``, ``linearisation_gap``; ``points`` n of ``n_inputs`` N inputs on which
    δ_Θ was measured; ``threshold``."""

    ntk_change: np.ndarray
    ntk_change_stderr: np.ndarray
    param_distance: np.ndarray
    linearisation_gap: np.ndarray
    points: int
    n_inputs: int
    threshold: float = LAZY_THRESHOLD

    @property
    def ntk_static(self) -> bool:
        """Whether δ_Θ, the NTK's change, stayed at or below the threshold (module docstring).
        It tests the kernel alone; :attr:`ntk_freq.diagnostics.KernelRegime.matches_kernel` also
        tests the run's gap to the kernel flow and its linearisation gap."""
        return bool(self.ntk_change.max() <= self.threshold)

    def summary(self) -> dict:
        """JSON-ready: the largest value of each diagnostic, the estimator and the verdict."""
        i = int(np.argmax(self.ntk_change))
        return {"ntk_change_max": float(self.ntk_change[i]),
                "ntk_change_stderr": float(self.ntk_change_stderr[i]),
                "param_distance_max": float(self.param_distance.max()),
                "linearisation_gap_max": float(self.linearisation_gap.max()),
                "ntk_points": self.points, "n_inputs": self.n_inputs,
                "threshold": self.threshold, "ntk_static": self.ntk_static,
                "ntk_static_margin": float(self.threshold - self.ntk_change[i])}

    def arrays(self, prefix: str = "regime.") -> dict:
        """The per-snapshot arrays, keyed ``prefix + name`` (for a results file)."""
        return {prefix + n: getattr(self, n) for n in
                ("ntk_change", "ntk_change_stderr", "param_distance", "linearisation_gap")}


def subsample(n_inputs: int, points: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of min(``n_inputs``, ``points``) inputs drawn without replacement."""
    if points >= n_inputs:
        return np.arange(n_inputs)
    return np.sort(np.random.default_rng(seed).choice(n_inputs, points, replace=False))


def frobenius_estimates(A: np.ndarray, n_inputs: int) -> tuple[float, np.ndarray]:
    """The U-statistic estimate of ‖A_full‖_F² from its n × n sub-matrix ``A`` on a uniform
    subset of ``n_inputs`` = N inputs (module docstring), and the n leave-one-point-out
    estimates (for the jackknife). With n = N the estimate is exact."""
    A = v.finite_array("A", A)
    n = A.shape[0] if A.ndim == 2 else 0
    if A.ndim != 2 or A.shape != (n, n) or not n <= v.positive_int("n_inputs", n_inputs):
        raise ValueError(f"A must be a square matrix on n <= n_inputs = {n_inputs} inputs, got shape {A.shape}")
    sq = A ** 2
    diag = np.diag(sq).copy()
    off_rows = sq.sum(axis=1) - diag
    d_sum, o_sum = diag.sum(), off_rows.sum()
    N = n_inputs

    def estimate(m, d, o):
        pairs = N * (N - 1) / (m * (m - 1)) if m > 1 else 0.0
        return (N / m) * d + pairs * o

    loo = estimate(n - 1, d_sum - diag, o_sum - 2 * off_rows) if n > 2 else np.full(n, np.nan)
    return float(estimate(n, d_sum, o_sum)), loo


def relative_change(theta_t: np.ndarray, theta_0: np.ndarray, n_inputs: int) -> tuple[float, float]:
    """δ_Θ = ‖Θ_t − Θ_0‖_F/‖Θ_0‖_F over N = ``n_inputs`` inputs from the two Gram matrices on a
    subset, and its jackknife standard error (0 when the subset is every input)."""
    theta_t, theta_0 = v.finite_array("theta_t", theta_t), v.finite_array("theta_0", theta_0)
    if theta_t.shape != theta_0.shape:
        raise ValueError(f"theta_t has shape {theta_t.shape} and theta_0 {theta_0.shape}; they must match")
    num, num_loo = frobenius_estimates(theta_t - theta_0, n_inputs)
    den, den_loo = frobenius_estimates(theta_0, n_inputs)
    if den <= 0:
        raise ValueError("the initial NTK vanishes on the inputs (Θ_0 = 0): its relative change "
                         "is undefined")
    ratio = math.sqrt(max(num, 0.0) / den)
    n = theta_0.shape[0]
    if n >= n_inputs or n <= 2:
        return ratio, 0.0 if n >= n_inputs else float("nan")
    r = np.sqrt(np.clip(num_loo, 0, None) / den_loo)
    return ratio, float(np.sqrt((n - 1) / n * np.sum((r - r.mean()) ** 2)))


def _flat(tree) -> jnp.ndarray:
    return jnp.concatenate([jnp.ravel(a) for a in jax.tree_util.tree_leaves(tree)])


@functools.partial(jax.jit, static_argnames=("f", "c"))
def _gram_c(f: Callable, theta, aux, xs, c: int):
    """J_c J_cᵀ of output c of f(θ, aux, x) over θ on the inputs xs (one Jacobian row per input).
    Module-level and jitted with ``f`` static, so one ``f`` compiles once per shape."""

    def one(th, z):
        return jnp.reshape(f(th, aux, z[None]), (-1,))[c]

    J = jax.vmap(lambda z: _flat(jax.grad(one)(theta, z)))(xs)
    return jnp.matmul(J, J.T, precision=jax.lax.Precision.HIGHEST)


@functools.partial(jax.jit, static_argnames=("f",))
def _moved(f: Callable, theta, theta0, aux, x):
    """(‖θ − θ₀‖, ‖f_θ − f_θ₀ − J(θ − θ₀)‖, ‖f_θ − f_θ₀‖) on the inputs x."""
    delta = jax.tree_util.tree_map(lambda a, b: a - b, theta, theta0)
    lin = jax.jvp(lambda th: f(th, aux, x), (theta0,), (delta,))[1]
    f0, f_t = f(theta0, aux, x), f(theta, aux, x)
    return jnp.linalg.norm(_flat(delta)), jnp.linalg.norm(f_t - f0 - lin), jnp.linalg.norm(f_t - f0)


def _ignore_aux(f: Callable) -> Callable:
    return lambda th, aux, z: f(th, z)


def ntk_gram_fn(f: Callable, n_out: int, aux=None) -> Callable:
    """θ, xs ↦ the empirical NTK over θ on the inputs xs, (1/C) Σ_c J_c J_cᵀ with J_c the (n, P)
    Jacobian of output c (C = ``n_out``; one Jacobian of n × P entries at a time), jitted;
    ``f(θ, x)`` returns (n,) or (n, C); with ``aux`` (a pytree), ``f(θ, aux, x)`` instead, and a
    module-level ``f`` then compiles once per shape across probes."""
    g = _ignore_aux(f) if aux is None else f

    def gram(theta, xs):
        return sum(np.asarray(_gram_c(g, theta, aux, xs, c), dtype=np.float64)
                   for c in range(n_out)) / n_out

    return gram


def regime_probe(f: Callable, theta0, x, *, points: int | None = None, seed: int = 0,
                 max_bytes: float = JACOBIAN_BYTES, aux=None) -> Callable:
    """A function θ_t ↦ (δ_Θ, its standard error, ‖θ_t − θ_0‖/‖θ_0‖, linearisation gap) for the
    model ``f(θ, x)`` (θ the trained parameters, a pytree; output (N,) or (N, C)) started at
    ``theta0`` and trained on the inputs ``x`` (N, d); module docstring. Computes Θ_0 on its
    subset of inputs now: n = min(N, ``points``, ``max_bytes``/(P · bytes per entry)), ``points``
    None meaning max(:data:`MIN_POINTS`, :data:`DEFAULT_POINTS`/C) (pass
    ``max_bytes=math.inf`` for the exact value on every input, memory allowing). With ``aux``
    the model is ``f(θ, aux, x)`` (e.g. the frozen parameters): a module-level ``f`` then
    compiles its programs once per shape, however many runs are probed."""
    g = _ignore_aux(f) if aux is None else f
    n_inputs = int(x.shape[0])
    out = jax.eval_shape(g, theta0, aux, x[:1])
    n_out = int(np.prod(out.shape[1:]))
    points = max(MIN_POINTS, DEFAULT_POINTS // n_out) if points is None else v.positive_int("points", points)
    leaves = jax.tree_util.tree_leaves(theta0)
    n_params = sum(int(np.size(a)) for a in leaves)
    itemsize = max(np.dtype(a.dtype).itemsize for a in leaves)
    n = int(max(2, min(n_inputs, points, max_bytes // max(n_params * itemsize, 1))))
    v.fits_in_memory(f"the Jacobian of the kernel-regime probe ({n} points x {n_params} "
                     "parameters)", 3.0 * n * n_params * itemsize)
    xs = x[jnp.asarray(subsample(n_inputs, n, seed))]
    gram = ntk_gram_fn(g, n_out, aux=() if aux is None else aux)
    theta_0_gram = gram(theta0, xs)
    norm0 = float(jnp.linalg.norm(_flat(theta0)))

    def probe(theta) -> tuple:
        change, stderr = relative_change(gram(theta, xs), theta_0_gram, n_inputs)
        dist, lin, moved_by = (float(a) for a in _moved(g, theta, theta0, aux, x))
        rel_dist = dist / norm0 if norm0 > 0 else (math.inf if dist > 0 else 0.0)
        return change, stderr, rel_dist, lin / moved_by if dist > 0 and moved_by > 0 else 0.0

    probe.points, probe.n_inputs, probe.theta_0_gram = n, n_inputs, theta_0_gram
    return probe


def regime_trace(rows, probe, threshold: float = LAZY_THRESHOLD, *, warn: bool = True,
                 what: str = "the run") -> RegimeTrace:
    """The probe's rows (one per snapshot) as a :class:`RegimeTrace`; emits
    :class:`LazyRegimeWarning` (if ``warn``) when ``what`` left the kernel regime, pointing at
    the caller of train/fit (past their precision scope's frame, :mod:`ntk_freq._precision`)."""
    a = np.array(rows, dtype=np.float64).reshape(-1, 4)
    trace = RegimeTrace(a[:, 0], a[:, 1], a[:, 2], a[:, 3], probe.points, probe.n_inputs,
                        float(threshold))
    if warn and not trace.ntk_static:
        s = trace.summary()
        warnings.warn(
            f"{what} left the kernel regime: max ‖Θ_t − Θ_0‖/‖Θ_0‖ = {s['ntk_change_max']:.3g} "
            f"(± {s['ntk_change_stderr']:.2g}, on {trace.points} of {trace.n_inputs} inputs), "
            f"linearisation gap {s['linearisation_gap_max']:.3g}, threshold {threshold:g}; "
            "kernel (NTK) predictions do not describe it (a smaller target amplitude or a wider "
            "network brings it back)", LazyRegimeWarning, stacklevel=4)
    return trace


def regime_option(regime) -> dict | None:
    """The ``regime`` keyword of :func:`ntk_freq.training.train` and :func:`ntk_freq.training.fit`:
    True (the probe's default subset, :func:`regime_probe`), False/None (no diagnostics) or the
    number of inputs n of the probe → the keywords of :func:`regime_probe`, or None (off)."""
    if regime is None or regime is False:
        return None
    if regime is True:
        return {}
    if isinstance(regime, (int, np.integer)) and not isinstance(regime, bool) and regime >= 2:
        return {"points": int(regime)}
    raise ValueError(f"regime must be True, False or a number of inputs >= 2 for the NTK-change "
                     f"estimate, got {regime!r}")
