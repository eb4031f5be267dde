"""Time integration of the semi-discrete frequency PDE M U' = −A U (M ≻ 0, A ⪰ 0 symmetric).

U has two columns, Re û and Im û, which evolve independently (real coefficients) and are
advanced together by every solve. Each integrator returns U at the requested ``times``
(t_0 = 0 included), shape (len(times), n_dofs, 2).

- :func:`crank_nicolson`: second order, A-stable, one sparse LU per distinct step size (one for
  evenly spaced output times). CN does not damp the stiffest modes (amplification → −1), so
  non-smooth data (û₀ or ρ̄_w with jumps) excite slowly decaying high-frequency oscillations; the
  Rannacher start-up replaces the first CN steps by two backward-Euler half steps each, which
  damp them and keep second order (Rannacher 1984; Luskin & Rannacher 1982). The half step's
  matrix M + (τ/2) A is CN's own, so the start-up costs no extra factorisation.
- :func:`eigen_exact`: exact in time through the generalised eigenproblem A v = λ M v (dense,
  for small systems): U(t) = V e^{−Λt} Vᵀ M U₀.
- :func:`krylov_exact`: exact in time to ~1e-15 through scipy's ``expm_multiply`` applied to
  the operator −M⁻¹A (one sparse LU of M), for large systems where a time step is unwanted.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg
from scipy.sparse.linalg import LinearOperator, expm_multiply

from .fem import factorise

SCHEMES = ("auto", "cn", "eigen", "krylov")


def crank_nicolson(M, A, U0: np.ndarray, times: np.ndarray, dt: float, rannacher: int = 2,
                   callback=None) -> np.ndarray:
    """Crank–Nicolson (M + τA/2) U^{k+1} = (M − τA/2) U^k with τ ≤ ``dt`` chosen per interval so
    that every output time is hit exactly; the first ``rannacher`` steps from t = 0 are each two
    backward-Euler steps of size τ/2. ``callback(n)`` is called after every n steps (progress)."""
    out = np.empty((times.size,) + U0.shape)
    out[0] = U = U0
    steppers = {}
    steps_done = 0
    for j in range(1, times.size):
        span = times[j] - times[j - 1]
        n = max(1, math.ceil(span / dt - 1e-9))
        tau = span / n
        key = float(f"{tau:.14e}")
        if key not in steppers:
            steppers[key] = (factorise(M + 0.5 * tau * A), (M - 0.5 * tau * A).tocsr())
        lu, explicit = steppers[key]
        for _ in range(n):
            if steps_done < rannacher:
                U = lu.solve(M @ lu.solve(M @ U))
            else:
                U = lu.solve(explicit @ U)
            steps_done += 1
        if callback is not None:
            callback(n)
        out[j] = U
    return out


def eigen_exact(M, A, U0: np.ndarray, times: np.ndarray) -> np.ndarray:
    """U(t) = V e^{−Λt} Vᵀ M U₀ from the dense generalised eigenproblem A V = M V Λ
    (Vᵀ M V = I). O(n³) once, then exact at any time."""
    lam, V = linalg.eigh(A.toarray(), M.toarray(), driver="gvd")
    lam = np.clip(lam, 0.0, None)  # A ⪰ 0: negative round-off is zero
    c = V.T @ (M @ U0)
    return np.einsum("ik,tkc->tic", V, np.exp(-np.outer(times, lam))[:, :, None] * c[None])


def krylov_exact(M, A, U0: np.ndarray, times: np.ndarray, callback=None) -> np.ndarray:
    """U(t_j) = exp(−(t_j − t_{j−1}) M⁻¹A) U(t_{j−1}) by ``expm_multiply`` (Al-Mohy & Higham),
    on the operator −M⁻¹A with one LU of M; its transpose −A M⁻¹ is also provided."""
    lu = factorise(M)
    n = M.shape[0]
    op = LinearOperator(
        (n, n),
        matvec=lambda x: -lu.solve(A @ x),
        matmat=lambda X: -lu.solve(A @ X),
        rmatvec=lambda x: -(A @ lu.solve(x)),
        rmatmat=lambda X: -(A @ lu.solve(X)),
        dtype=float,
    )
    trace = -float(np.sum(A.diagonal() / M.diagonal()))  # estimate, only a shift for scaling
    out = np.empty((times.size,) + U0.shape)
    out[0] = U = U0
    for j in range(1, times.size):
        U = expm_multiply((times[j] - times[j - 1]) * op, U, traceA=(times[j] - times[j - 1]) * trace)
        out[j] = U
        if callback is not None:
            callback(1)
    return out
