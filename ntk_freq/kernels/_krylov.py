"""Matrix functions f(B) v of a self-adjoint operator by Lanczos, for many f at once.

Used by the kernel flow on grids (:mod:`ntk_freq.structured`: B = Q^{1/2} Θ Q^{1/2}, f = e^{−tλ}
and (1 − ηλ)^k) and by the exact-in-time PDE integrator (:func:`ntk_freq.pde.time.lanczos_exact`:
B = M⁻¹A, self-adjoint in the M-inner product ⟨x, y⟩_M = xᵀ M y, f = e^{−tλ}).

One Krylov basis V_m of span{v, Bv, …, B^{m−1}v}, orthonormal in the chosen inner product (full
reorthogonalisation, twice), and the tridiagonal T_m = V_mᵀ M B V_m give
f(B) v ≈ ‖v‖ V_m f(T_m) e₁ for every f. The iteration stops when every f(T_m) e₁ moves by less
than ``tol`` (relative to ‖v‖) between checks, or when the Krylov space is invariant (then the
result is exact up to rounding).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import eigh_tridiagonal

from ntk_freq._util import validation as v

#: Lanczos stops when every f(T_m) e₁ changes by less than this fraction of ‖v‖.
LANCZOS_TOL = 1e-13
#: Lanczos steps between convergence checks.
LANCZOS_CHECK = 8


def lanczos_functions(apply, v0: np.ndarray, functions, *, tol: float = LANCZOS_TOL,
                      max_steps: int | None = None, inner=None, callback=None) -> np.ndarray:
    """f(B) v₀ for each f in ``functions`` (each maps an array of eigenvalues to values) of the
    operator ``apply`` (B), self-adjoint in the inner product ⟨x, y⟩ = xᵀ G y with
    G = ``inner`` (a callable x ↦ G x; None: the identity). Shape (len(functions), N).
    RuntimeError if ``max_steps`` (default min(N, 3000)) pass without convergence; MemoryError
    (with the estimate) when the growing basis would not fit. ``callback()`` after each step."""
    gram = (lambda x: x) if inner is None else inner
    n = v0.size
    beta0 = float(np.sqrt(max(v0 @ gram(v0), 0.0)))
    if beta0 == 0.0:
        return np.zeros((len(functions), n))
    max_steps = min(n, 3000) if max_steps is None else max_steps
    V = np.empty((min(max_steps, 64), n))
    V[0] = v0 / beta0
    alpha, beta = [], []
    previous = None
    for j in range(max_steps):
        w = apply(V[j])
        gw = gram(w)
        alpha.append(float(V[j] @ gw))
        basis = V[: j + 1]
        for _ in range(2):  # classical Gram–Schmidt twice is enough (Giraud et al. 2005)
            w -= basis.T @ (basis @ gw)
            gw = gram(w)
        b = float(np.sqrt(max(w @ gw, 0.0)))
        invariant = b <= 1e-14 * max(abs(a) for a in alpha)
        if callback is not None:
            callback()
        if invariant or (j + 1) % LANCZOS_CHECK == 0 or j + 1 == max_steps:
            coeffs = tridiagonal_functions(np.array(alpha), np.array(beta), functions)
            change = (np.inf if previous is None else np.max(np.abs(
                coeffs - np.pad(previous, ((0, 0), (0, j + 1 - previous.shape[1]))))))
            if invariant or change <= tol:
                return beta0 * coeffs @ V[: j + 1]
            if j + 1 == max_steps:
                raise RuntimeError(f"Lanczos did not converge in {max_steps} steps (last change "
                                   f"{change:.2g} of ‖v₀‖, tolerance {tol:g})")
            previous = coeffs
        beta.append(b)
        if j + 1 == V.shape[0]:
            v.fits_in_memory(f"the Lanczos basis ({2 * V.shape[0]} vectors of {n})",
                             16.0 * V.shape[0] * n)
            V = np.concatenate([V, np.empty_like(V)])
        V[j + 1] = w / b
    raise AssertionError("unreachable: the loop returns or raises at max_steps")


def decay(t: float, lam: np.ndarray) -> np.ndarray:
    """e^{−tλ} of eigenvalues λ of a positive semi-definite operator (rounding-level negatives
    count as 0): the flow's f for :func:`lanczos_functions` (bind t with functools.partial)."""
    return np.exp(-v.nonnegative("t", t) * np.clip(v.finite_array("lam", lam), 0.0, None))


def tridiagonal_functions(alpha: np.ndarray, beta: np.ndarray, functions) -> np.ndarray:
    """f(T) e₁ for the Lanczos tridiagonal T (diagonal alpha, off-diagonal beta), each f."""
    v.instance("alpha", alpha, np.ndarray, "a numpy array (the Lanczos diagonal)")
    theta, S = eigh_tridiagonal(alpha, beta) if alpha.size > 1 else (alpha, np.ones((1, 1)))
    return np.stack([S @ (f(theta) * S[0]) for f in functions])
