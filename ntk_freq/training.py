"""Training in the kernel regime: the exact kernel flow on the data, and its discrete twin.

Convention (THEORY.md): gradient descent with step η on the mean loss (1/2N) Σ_i (f(x_i) − y_i)²
is, in the kernel regime, the linear map u_{k+1} = (I − η Θ(X, X)/N) u_k on the error u = f − y
at the N training points; gradient-flow time is t = η · step and the flow is u(t) = exp(−t Θ/N) u₀.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from . import _validation as v


def _eig(theta_gram: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenpairs (λ ascending, V) of the symmetric operator Θ(X, X)/N."""
    K = v.finite_array("theta_gram", theta_gram)
    if K.ndim != 2 or K.shape[0] != K.shape[1]:
        raise ValueError(f"theta_gram must be a square (N, N) Gram matrix, got shape {K.shape}")
    lam, V = linalg.eigh(0.5 * (K + K.T) / K.shape[0])
    return np.clip(lam, 0.0, None), V


def kernel_flow(theta_gram, u0, times) -> np.ndarray:
    """The error under gradient flow, u(t) = exp(−t Θ(X, X)/N) u₀, at each t in ``times``.

    theta_gram: Θ(X, X), shape (N, N); u0: shape (N,) (real or complex); times: flow times
    t = η · step, shape (T,). Returns shape (T, N). Exact: one eigendecomposition."""
    lam, V = _eig(theta_gram)
    t = v.finite_array("times", times).reshape(-1)
    if np.any(t < 0):
        raise ValueError(f"times must be >= 0, got min {t.min()}")
    c = V.T @ np.asarray(u0)
    return (np.exp(-np.outer(t, lam)) * c) @ V.T


def kernel_gd(theta_gram, u0, eta: float, steps) -> np.ndarray:
    """The error after k steps of the linearised gradient descent u_{k+1} = (I − η Θ/N) u_k, at
    each k in ``steps`` (shape (T,)); returns shape (T, N). Its gap to :func:`kernel_flow` at
    t = η k is the time-discretisation error."""
    lam, V = _eig(theta_gram)
    eta = v.positive("eta", eta)
    k = np.asarray(steps).reshape(-1)
    c = V.T @ np.asarray(u0)
    return (np.power.outer(1.0 - eta * lam, k).T * c) @ V.T
