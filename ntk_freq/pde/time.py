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
- :func:`lanczos_exact`: exact in time through one Lanczos run on M⁻¹A in the M-inner product
  (:mod:`ntk_freq.krylov`) per column, every output time at once; its cost grows like
  √(t_max λ_max(M⁻¹A)) products, not like the number of steps (the 3-D default: 17× less CPU
  than Crank–Nicolson with Jacobi CG, benchmarks/bench_pde3d.py).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg
from scipy.sparse.linalg import LinearOperator, expm_multiply, splu

SCHEMES = ("auto", "cn", "eigen", "krylov", "lanczos")
LINEAR_SOLVERS = ("lu", "cg")


def factorise(S):
    """solve(B, guess) ↦ S⁻¹B by one sparse LU of the SPD matrix S (SuperLU with the
    symmetric minimum-degree ordering on Sᵀ + S and no pivoting, fine for SPD; a factor of ~10
    less fill than the default COLAMD on finite-element matrices). ``guess`` is ignored."""
    lu = splu(S.tocsc(), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
              options={"SymmetricMode": True})
    return lambda B, guess=None: lu.solve(B)


def jacobi_cg(S, rtol: float = 1e-12, maxiter: int = 10_000):
    """solve(B, guess) ↦ S⁻¹B by conjugate gradients with Jacobi preconditioning, all columns of
    B at once (each with its own step lengths), started from ``guess``. For the mass-dominated
    matrices M + (τ/2)A of a time step in 3-D, where a sparse LU fills in too much; the
    relative residual reaches ``rtol`` per column (RuntimeError otherwise)."""
    S = S.tocsr()
    d_inv = 1.0 / S.diagonal()

    def solve(B, guess=None):
        X = np.zeros_like(B) if guess is None else guess.copy()
        R = B - S @ X
        Z = d_inv[:, None] * R
        P = Z.copy()
        rz = np.sum(R * Z, axis=0)
        target = rtol * np.linalg.norm(B, axis=0)
        for _ in range(maxiter):
            active = np.linalg.norm(R, axis=0) > target
            if not active.any():
                return X
            Q = S @ P
            a = np.where(active, rz / np.where(active, np.sum(P * Q, axis=0), 1.0), 0.0)
            X += a * P
            R -= a * Q
            Z = d_inv[:, None] * R
            rz_new = np.sum(R * Z, axis=0)
            P = Z + np.where(active, rz_new / np.where(active, rz, 1.0), 0.0) * P
            rz = rz_new
        raise RuntimeError(f"conjugate gradients did not reach rtol={rtol} in {maxiter} steps")

    return solve


def linear_solver(S, kind: str):
    """A solver for the SPD matrix S: "lu" (:func:`factorise`) or "cg" (:func:`jacobi_cg`)."""
    return factorise(S) if kind == "lu" else jacobi_cg(S)


def crank_nicolson(M, A, U0: np.ndarray, times: np.ndarray, dt: float, rannacher: int = 2,
                   solver: str = "lu", callback=None, factorise_with=None) -> np.ndarray:
    """Crank–Nicolson (M + τA/2) U^{k+1} = (M − τA/2) U^k with τ ≤ ``dt`` chosen per interval so
    that every output time is hit exactly; the first ``rannacher`` steps from t = 0 are each two
    backward-Euler steps of size τ/2. ``solver``: "lu" (factorised once per step size) or "cg"
    (warm-started from the previous step). ``callback(n)`` is called after every n steps.
    ``factorise_with``: another S ↦ solve(B, guess) for M + τA/2 (e.g. a dense LU for the
    non-symmetric, dense operator of (E2)); M and A may then be dense and U0 complex."""
    out = np.empty((times.size,) + U0.shape, dtype=np.result_type(U0, float))
    out[0] = U = U0
    steppers = {}
    steps_done = 0
    for j in range(1, times.size):
        span = times[j] - times[j - 1]
        n = max(1, math.ceil(span / dt - 1e-9))
        tau = span / n
        key = float(f"{tau:.14e}")
        if key not in steppers:
            explicit = M - 0.5 * tau * A
            steppers[key] = ((factorise_with or (lambda S: linear_solver(S, solver)))(
                M + 0.5 * tau * A), explicit.tocsr() if hasattr(explicit, "tocsr") else explicit)
        solve, explicit = steppers[key]
        for _ in range(n):
            if steps_done < rannacher:
                U = solve(M @ solve(M @ U, U), U)
            else:
                U = solve(explicit @ U, U)
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


def krylov_exact(M, A, U0: np.ndarray, times: np.ndarray, solver: str = "lu",
                 callback=None) -> np.ndarray:
    """U(t_j) = exp(−(t_j − t_{j−1}) M⁻¹A) U(t_{j−1}) by ``expm_multiply`` (Al-Mohy & Higham),
    on the operator −M⁻¹A with one solver for M; its transpose −A M⁻¹ is also provided."""
    m_solve = linear_solver(M, solver)
    n = M.shape[0]

    def minv(X):
        return m_solve(X.reshape(n, -1)).reshape(X.shape)

    op = LinearOperator(
        (n, n),
        matvec=lambda x: -minv(A @ x),
        matmat=lambda X: -minv(A @ X),
        rmatvec=lambda x: -(A @ minv(x)),
        rmatmat=lambda X: -(A @ minv(X)),
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


def lanczos_exact(M, A, U0: np.ndarray, times: np.ndarray, m_solve, callback=None) -> np.ndarray:
    """U(t) = exp(−t M⁻¹A) U₀ at every time, by Lanczos on M⁻¹A, which is self-adjoint and
    ⪰ 0 in ⟨x, y⟩_M = xᵀ M y (:func:`ntk_freq.kernels.lanczos_functions`, tolerance 1e-13 of
    ‖U₀‖_M per column); ``m_solve`` applies M⁻¹. ``callback(1)`` after each Lanczos step."""
    from functools import partial

    from ntk_freq.kernels._krylov import decay, lanczos_functions

    functions = [partial(decay, t) for t in times]
    step = None if callback is None else (lambda: callback(1))
    out = np.empty((times.size,) + U0.shape)
    for c in range(U0.shape[1]):
        out[:, :, c] = lanczos_functions(lambda x: m_solve(A @ x), U0[:, c], functions,
                                         inner=lambda x: M @ x, callback=step)
    return out
