"""The kernel-regime operator Θ(X, X) diag(q) on the training points, diagonalised once: the
exact kernel flow u(t) = exp(−tΘ/N) u₀, its gradient-descent twin u_{k+1} = (I − ηΘ/N) u_k and
the stability limit 2/λ_max(Θ/N)."""

from __future__ import annotations
from dataclasses import dataclass
import numpy as np
from ntk_freq._util import validation as v
from ntk_freq.kernels._spectra import gram_spectrum


@dataclass(frozen=True, eq=False)
class KernelOperator:
    """Θ(X, X)/N diagonalised once (:func:`ntk_freq.kernels.gram_spectrum`): eigenvalues ``lam``
    (rounding-level negatives set to 0; Θ is positive semi-definite) and eigenvectors ``V``.
    Every kernel-regime prediction on the data (flow, GD map, stability limit) reads these."""

    lam: np.ndarray
    V: np.ndarray
    scale: np.ndarray | None = None

    @classmethod
    def from_gram(cls, theta_gram, weights=None) -> "KernelOperator":
        """From Θ(X, X); with ``weights`` q_i (Σ q_i = 1; the weighted loss ½ Σ q_i (f − y)²)
        the operator is Θ diag(q), diagonalised through its symmetric twin
        S Θ S/N with S = diag(√(N q)) (u ↦ S u maps one onto the other)."""
        if weights is None:
            lam, V = gram_spectrum(theta_gram, vectors=True)
            return cls(np.clip(lam, 0.0, None), V)
        s = np.sqrt(len(weights) * np.asarray(weights, dtype=float))
        lam, V = gram_spectrum(s[:, None] * np.asarray(theta_gram) * s[None, :], vectors=True)
        return cls(np.clip(lam, 0.0, None), V, s)

    def _in(self, u0):
        return np.asarray(u0) if self.scale is None else self.scale * np.asarray(u0)

    def _out(self, u):
        return u if self.scale is None else u / self.scale

    @property
    def stability_limit(self) -> float:
        """The largest stable gradient-descent step 2/λ_max(Θ/N)."""
        return 2.0 / self.lam.max()

    def flow(self, u0, times) -> np.ndarray:
        """u(t) = exp(−t Θ/N) u₀ at each flow time t, shape (T, N)."""
        t = v.finite_array("times", times).reshape(-1)
        if np.any(t < 0):
            raise ValueError(f"times must be >= 0, got min {t.min()}")
        c = self.V.T @ self._in(u0)
        return self._out((np.exp(-np.outer(t, self.lam)) * c) @ self.V.T)

    def integral(self, u0, times) -> np.ndarray:
        """∫₀ᵗ u(s) ds of the flow from u₀ at each flow time t (∞: the ridgeless limit), shape
        (T, N): what the training error feeds into the prediction elsewhere,
        f(x, t) = f(x, 0) − Θ(x, X) diag(q) ∫₀ᵗ u ds (:func:`flow_integral_factor`)."""
        c = self.V.T @ self._in(u0)
        return self._out((flow_integral_factor(self.lam, times) * c) @ self.V.T)

    def gd_sum(self, u0, eta: float, steps) -> np.ndarray:
        """η Σ_{j<k} u_j of the gradient-descent map from u₀ at each k in ``steps``, shape
        (T, N): the discrete twin of :meth:`integral`, (1 − (1 − ηλ)^k)/λ per eigenvalue (ηk
        where λ = 0)."""
        eta = v.positive("eta", eta)
        k = np.asarray(steps, dtype=np.float64).reshape(-1, 1)
        c = self.V.T @ self._in(u0)
        return self._out((gd_sum_factor(self.lam, eta, k) * c) @ self.V.T)

    def gd(self, u0, eta: float, steps) -> np.ndarray:
        """u_k = (I − η Θ/N)^k u₀ at each k in ``steps``, shape (T, N)."""
        eta = v.positive("eta", eta)
        k = np.asarray(steps).reshape(-1)
        c = self.V.T @ self._in(u0)
        return self._out((np.power.outer(1.0 - eta * self.lam, k).T * c) @ self.V.T)


def flow_integral_factor(lam, times) -> np.ndarray:
    """(1 − e^{−tλ})/λ (t where λ = 0) for each time (rows) and eigenvalue (columns): the
    eigenvalue form of ∫₀ᵗ e^{−sλ} ds. At t = ∞ it is the pseudo-inverse 1/λ, with eigenvalues
    below N·ε₆₄·λ_max (rounding) as the null space (0): a prediction away from the data reads the
    null space through Θ(x, X), which vanishes on it, so t = ∞ gives ridgeless kernel regression."""
    t = np.asarray(times, dtype=np.float64).reshape(-1, 1)
    if np.any(np.isnan(t)) or np.any(t < 0):
        raise ValueError(f"times must be >= 0 (inf allowed), got {np.ravel(times).tolist()[:8]}")
    lam = np.asarray(lam, dtype=np.float64)
    resolved = lam > lam.size * np.finfo(np.float64).eps * max(float(lam.max(initial=0.0)), 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        finite = np.where(lam > 0, -np.expm1(-t * lam) / lam, t)
        converged = np.where(resolved, 1.0 / lam, 0.0)
    return np.where(np.isinf(t), converged, finite)


def gd_sum_factor(lam, eta: float, k) -> np.ndarray:
    """η Σ_{j<k} (1 − ηλ)^j = (1 − (1 − ηλ)^k)/λ for each step count k (rows) and eigenvalue λ
    (columns); ηk where λ = 0. Where 0 < ηλ < 1 it is −expm1(k log1p(−ηλ))/λ, accurate for
    small ηλ (no cancellation)."""
    lam = np.asarray(lam, dtype=np.float64)
    small = (lam > 0) & (eta * lam < 1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        accurate = -np.expm1(k * np.log1p(-eta * np.where(small, lam, 0.0))) / lam
        direct = (1.0 - np.power(1.0 - eta * lam, k)) / lam
    return np.where(lam <= 0, eta * k, np.where(small, accurate, direct))


def kernel_flow(theta_gram, u0, times) -> np.ndarray:
    """The error under gradient flow, u(t) = exp(−t Θ(X, X)/N) u₀, at each t in ``times``.

    theta_gram: Θ(X, X), shape (N, N); u0: shape (N,) (real or complex); times: flow times
    t = η · step, shape (T,). Returns shape (T, N). Exact: one eigendecomposition."""
    return KernelOperator.from_gram(theta_gram).flow(u0, times)


def kernel_gd(theta_gram, u0, eta: float, *, steps) -> np.ndarray:
    """The error after k steps of the linearised gradient descent u_{k+1} = (I − η Θ/N) u_k, at
    each k in ``steps`` (shape (T,)); returns shape (T, N). Its gap to :func:`kernel_flow` at
    t = η k is the time-discretisation error."""
    return KernelOperator.from_gram(theta_gram).gd(u0, eta, steps)


def stability_limit(theta_gram) -> float:
    """The largest stable gradient-descent step 2/λ_max(Θ(X, X)/N) for a Gram matrix Θ(X, X)."""
    return KernelOperator.from_gram(theta_gram).stability_limit


def snapshot_steps(times, eta: float) -> np.ndarray:
    """The gradient-descent steps k = t/η of the snapshot times t (sorted, ≥ 0, multiples of η).

    Raises ValueError naming the first time that is not a multiple of η (relative tolerance
    1e-9) and the nearest times that are."""
    eta = v.positive("eta", eta)
    t = v.finite_array("times", times).reshape(-1)
    if t.size == 0:
        raise ValueError("times must hold at least one snapshot time t = eta * step")
    if np.any(t < 0) or np.any(np.diff(t) < 0):
        raise ValueError(f"times must be >= 0 and sorted ascending, got {t.tolist()[:8]}")
    k = np.rint(t / eta)
    bad = np.abs(t / eta - k) > 1e-9 * np.maximum(1.0, k)
    if np.any(bad):
        t0 = float(t[bad][0])
        lo = np.floor(t0 / eta) * eta
        raise ValueError(
            f"times: t = {t0!r} is not a multiple of eta = {eta!r} (gradient-descent time is "
            f"t = eta * step); use e.g. {lo:.12g} or {lo + eta:.12g}, or eta * np.arange(...)"
        )
    return k.astype(np.int64)
