"""The non-local frequency equation (E2) of docs/theory.md for any data density p, by finite elements
in ξ (d = 1).

With g = u·p the error weighted by the data, (E1) reads in Fourier space
∂_t û = −2π[ρ̄_w ĝ − σ_a² ∂_ξ(ρ̄_w ∂_ξ ĝ)], ĝ = (2π)^{-1} û ∗ p̂. Multiplying by p̂(ξ − η)/(2π) and
integrating over η (by parts in the σ_a² term, with no boundary terms: the integral runs over
all of R) gives a closed equation for G = ĝ = F[u p] alone:

    ∂_t G(ξ) = −∫ ρ̄_w(η) [ p̂(ξ − η) G(η) − σ_a² p̂′(ξ − η) G′(η) ] dη,      G(·, 0) = F[u₀ p].

Only η in the support of ρ̄_w enters, so the equation is closed on any interval Ω ⊇ supp ρ̄_w
(truncated like (E3)) and needs no boundary condition. For p = c·1_D, G = c·F[u·1_D]; for the
point measure (1/N) Σ δ(x − x_i) of the training points, G(ξ) = (1/N) Σ_i u(x_i) e^{−iξx_i},
which makes (E2) exact for the N-point kernel flow; p̂ → 2πc δ gives (E3). Solutions are
reported as V = G/c̄ (c̄ = ``density.level``), = F[u·1_D] for a uniform density or grid on D.

Galerkin (P1/P2 Lagrange on a mesh of Ω holding ρ̄_w's jumps): M G′ = −K G with

    K_jk = ∫∫ φ_j(ξ) ρ̄_w(η) [p̂(ξ − η) φ_k(η) − σ_a² p̂′(ξ − η) φ_k′(η)] dη dξ,

both integrals by the mesh quadrature (points ξ_q, weights w_q). Two assemblies of the
convolution:
- "dense": the closed forms p̂(ξ_q − η_r), p̂′(ξ_q − η_r) on all Q² pairs of quadrature points;
- "factored": a quadrature of p in x (nodes x_k, weights q_k, exact for a point measure),
  p̂(ξ − η) = Σ_k q_k e^{−iξx_k} e^{iηx_k}, so K = B C with B = Φᵀ W E (n × r) and
  C = Eᴴ W ρ̄ (diag(q) Φ + iσ_a² diag(q x) Φ′) (r × n), E_qk = e^{−iξ_q x_k}. The rule's size r
  is doubled until it reproduces p̂ and p̂′ on |ζ| ≤ 2R to 1e-12.
Time: "lowrank" (factored, r < n) is exact: G(t) = G₀ − M⁻¹B s(t) with s′ = C G₀ − (C M⁻¹ B) s,
s(0) = 0, by the matrix exponential of the (r + 1)-square augmented system; "expm" is exact
through the dense exponential of −M⁻¹K; "cn" is Crank–Nicolson with a dense LU (and the
Rannacher start-up), for large systems.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import linalg, sparse
from skfem import asm

from .. import _validation as v
from ..data import DataDensity, PointMeasure
from ..distributions import FrequencyDistribution
from . import fem
from . import time as pde_time
from .mesh import Domain, breakpoints, build_mesh, estimated_dofs

ASSEMBLIES = ("auto", "factored", "dense")
E2_SCHEMES = ("auto", "lowrank", "expm", "cn")
#: Largest system integrated by the dense exponential when scheme="auto" (above: "cn").
EXPM_MAX_DOFS = 1500
#: Accuracy of the x-quadrature of p, checked on p̂ and p̂′ over |ζ| ≤ 2R.
RULE_TOL = 1e-12
#: Largest x-quadrature tried for the factored assembly.
MAX_RULE = 2**14
#: Coarsest automatic mesh: R/this.
_INITIAL_CELLS = 16


def _outside(radius: float):
    """The value of V outside Ω: not defined (the equation couples it to all of Ω)."""

    def fail(xi):
        raise ValueError(
            f"ξ outside the solved domain Ω = [−{radius:.6g}, {radius:.6g}]: (E2) couples every "
            "frequency to Ω, so there is no closed value outside; pass domain=R covering the "
            "frequencies you evaluate")

    return fail


def x_rule(density: DataDensity, zeta_max: float, tol: float = RULE_TOL):
    """Nodes and weights of a quadrature of p in x that reproduce p̂ and p̂′ on |ζ| ≤ ζ_max to
    ``tol`` (relative to max|p̂| = 1 and max|p̂′|); exact for a point measure. ValueError if
    ``MAX_RULE`` nodes do not reach it."""
    if isinstance(density, PointMeasure):
        return density.quadrature()
    zeta = np.linspace(-zeta_max, zeta_max, 1601)
    exact, exact_d = density.fourier(zeta), density.fourier_derivative(zeta)
    scale_d = max(1.0, float(np.abs(exact_d).max()))
    n = 64
    while n <= MAX_RULE:
        x, q = density.quadrature(n)
        phase = np.exp(-1j * np.outer(zeta, x))
        err = max(np.abs(phase @ q - exact).max(), np.abs(phase @ (-1j * q * x) - exact_d).max()
                  / scale_d)
        if err <= tol:
            return x, q
        n *= 2
    raise ValueError(f"no x-quadrature of {MAX_RULE} nodes reproduces the data density's p̂ on "
                     f"|ζ| ≤ {zeta_max:.4g} to {tol:g} (error {err:.2g}); use assembly='dense'")


def _basis_matrices(basis):
    """Φ and Φ′: basis values and derivatives at the Q quadrature points (sparse Q × n), the
    points ξ_q and the weights w_q (flattened element by element)."""
    ne, nq = basis.dx.shape
    rows = np.arange(ne * nq).reshape(ne, nq)
    cols, vals, ders = [], [], []
    for i in range(basis.Nbfun):
        field = basis.basis[i][0]
        cols.append(np.repeat(basis.element_dofs[i][:, None], nq, axis=1))
        vals.append(np.asarray(field))
        ders.append(field.grad[0])
    r = np.tile(rows.ravel(), basis.Nbfun)
    c = np.concatenate([a.ravel() for a in cols])
    shape = (ne * nq, basis.N)
    Phi = sparse.csr_matrix((np.concatenate([a.ravel() for a in vals]), (r, c)), shape=shape)
    dPhi = sparse.csr_matrix((np.concatenate([a.ravel() for a in ders]), (r, c)), shape=shape)
    xi = fem.quadrature_points(basis).reshape(-1)
    return Phi, dPhi, xi, basis.dx.reshape(-1)


def _terms(part: str, sigma_a: float):
    """Weights of the damping (p̂) and diffusion (p̂′) terms for the trained part."""
    return (0.0 if part == "frequency" else 1.0), (0.0 if part == "readout" else sigma_a**2)


def assemble_factored(Phi, dPhi, xi, w, rho_q, x, q, sigma_a, part):
    """(B, C) with K = B C (module docstring)."""
    a, b = _terms(part, sigma_a)
    E = np.exp(-1j * np.outer(xi, x))  # (Q, r)
    B = np.asarray(Phi.T @ (w[:, None] * E))
    Ec = np.conj(E) * (w * rho_q)[:, None]
    C = (np.asarray(Phi.T @ Ec).T * (a * q)[:, None]
         + np.asarray(dPhi.T @ Ec).T * (1j * b * q * x)[:, None])
    return B, C


def assemble_dense(Phi, dPhi, xi, w, rho_q, density, sigma_a, part):
    """K from the closed forms of p̂ and p̂′ on all pairs of quadrature points."""
    a, b = _terms(part, sigma_a)
    zeta = xi[:, None] - xi[None, :]
    wr = sparse.diags(w * rho_q)
    inner = np.zeros((Phi.shape[1], xi.size), dtype=complex)  # (P diag(wρ̄) Φ)ᵀ, sparse first
    if a:
        inner += a * ((wr @ Phi).T @ density.fourier(zeta).T)
    if b:
        inner -= b * ((wr @ dPhi).T @ density.fourier_derivative(zeta).T)
    return np.asarray(Phi.T @ (w[:, None] * inner.T))


def memory_estimate(n_dofs: int, n_quad: int, rank: int | None, n_times: int, scheme: str) -> float:
    """Peak bytes: the dense Q × Q kernels (dense) or the Q × r and n × r factors (factored),
    the n × n operator and its exponential or LU (expm, cn), and the stored solution."""
    nbytes = 16.0 * n_dofs * n_times * 2
    if rank is None:
        nbytes += 16.0 * 3 * n_quad**2 + 16.0 * 2 * n_quad * n_dofs
    else:
        nbytes += 16.0 * 3 * n_quad * rank + 16.0 * 2 * n_dofs * rank
    if scheme in ("expm", "cn") or rank is None:
        nbytes += 16.0 * 6 * n_dofs**2
    else:
        nbytes += 16.0 * 8 * (rank + 1) ** 2
    return nbytes


def _initial(Phi, xi, w, x, q, u0_x, M_solve):
    """Coefficients of the L² projection of G₀(ξ) = Σ_k q_k u₀(x_k) e^{−iξx_k} (complex, (n,))
    and G₀ at the quadrature points."""
    G0_q = np.exp(-1j * np.outer(xi, x)) @ (q * u0_x)
    return _project(Phi, w, G0_q, M_solve), G0_q


def _relative_projection_error(Phi, w, coeffs, f_q):
    norm = math.sqrt(np.sum(w * np.abs(f_q) ** 2))
    return math.sqrt(np.sum(w * np.abs(Phi @ coeffs - f_q) ** 2)) / norm if norm > 0 else math.inf


def _project(Phi, w, f_q, M_solve):
    b = Phi.T @ (w * f_q)
    return M_solve(np.column_stack([b.real, b.imag])) @ np.array([1, 1j])


def integrate_lowrank(M, B, C, G0, times, solve_M):
    """Exact: G(t) = G₀ − M⁻¹B s(t), d/dt [s; 1] = [[−Z, C G₀], [0, 0]] [s; 1], Z = C M⁻¹ B."""
    MB = solve_M(B)
    Z = C @ MB
    r = Z.shape[0]
    aug = np.zeros((r + 1, r + 1), dtype=complex)
    aug[:r, :r] = -Z
    aug[:r, r] = C @ G0
    state = np.zeros(r + 1, dtype=complex)
    state[r] = 1.0
    out = np.empty((times.size, G0.size), dtype=complex)
    out[0] = G0
    cache = {}
    for j in range(1, times.size):
        dt = times[j] - times[j - 1]
        key = float(f"{dt:.14e}")
        if key not in cache:
            cache[key] = linalg.expm(dt * aug)
        state = cache[key] @ state
        out[j] = G0 - MB @ state[:r]
    return out


def integrate_dense(M, K, G0, times, scheme, dt_max, rannacher):
    """M G′ = −K G by the dense exponential ("expm", exact) or Crank–Nicolson ("cn")."""
    Md = M.toarray()
    out = np.empty((times.size, G0.size), dtype=complex)
    out[0] = G = G0
    if scheme == "expm":
        A = linalg.solve(Md, K)
        cache = {}
        for j in range(1, times.size):
            dt = times[j] - times[j - 1]
            key = float(f"{dt:.14e}")
            if key not in cache:
                cache[key] = linalg.expm(-dt * A)
            out[j] = G = cache[key] @ G
        return out
    return pde_time.crank_nicolson(Md, K, G0, times, dt_max, rannacher,
                                   factorise_with=_dense_lu)


def _dense_lu(S):
    """solve(B, guess) ↦ S⁻¹B by one dense LU with partial pivoting (S non-symmetric)."""
    lu = linalg.lu_factor(S)
    return lambda B, guess=None: linalg.lu_solve(lu, B)


def solve_e2(rho: FrequencyDistribution, sigma_a: float, density: DataDensity, u0, times, *,
             part: str = "full", domain=None, support_tol: float = 1e-8, mass_tol: float = 1e-6,
             mesh_size: float | None = None, order: int = 2, resolution_tol: float = 1e-3,
             max_dofs: int = 6000, scheme: str = "auto", assembly: str = "auto",
             dt: float | None = None, rannacher: int = 2, progress: bool = False):
    """Solve (E2) (module docstring) for the data density ``density`` from the initial error
    u₀(x) (callable on points of shape (n, 1), or an array of its values at a point measure's
    points); returns a :class:`ntk_freq.pde.FrequencySolution` with ``model`` "E2" holding
    V = F[u p]/c̄. Called by :func:`ntk_freq.solve_frequency_pde` (its options; ``domain`` R is
    Ω = [−R, R], which must hold ρ_w's mass and the frequencies to be evaluated)."""
    from .solve import FrequencySolution, _domain

    if rho.dim != 1:
        raise ValueError(f"(E2) is solved in d = 1 (its dense convolution operator grows like "
                         f"the square of the mesh); rho lives in d = {rho.dim}: use a constant "
                         "density (E3)")
    v.choice("assembly", assembly, ASSEMBLIES)
    v.choice("scheme", scheme, E2_SCHEMES)
    times = v.increasing_times("times", times)
    if times[0] > 0:
        times = np.concatenate([[0.0], times])
    dt = times[-1] / 400 if dt is None else v.positive("dt", dt)
    Omega = _domain(rho, None, "box", support_tol)
    if domain is not None:
        R = domain.radius if isinstance(domain, Domain) else v.positive("domain", domain)
        Omega = Domain("box", R, 1)
    R = Omega.radius
    breaks = breakpoints(rho)
    if domain is not None and rho.tail(R, "inf") > mass_tol:
        raise ValueError(f"domain: Ω = [−{R:.6g}, {R:.6g}] holds only {1 - rho.tail(R):.8f} of "
                         f"ρ_w's mass (mass_tol = {mass_tol:g}); widen it (domain=R with R >= "
                         f"rho.support_radius({mass_tol:g}) = {rho.support_radius(mass_tol):.4g})")
    x, q = x_rule(density, 2 * R)  # G₀ = F[u₀ p] by this rule, also for the dense assembly
    u0_x = _initial_values(density, u0, x)
    X = float(np.max(np.abs(x)))
    h = min(R / _INITIAL_CELLS, 1.0 / max(X, 1e-12)) if mesh_size is None else v.positive(
        "mesh_size", mesh_size)

    def plan(h):
        n = estimated_dofs(Omega, h, order, breaks)
        n_quad = (n // order) * (order + 2)
        rank = None if assembly == "dense" else q.size
        sch = scheme if scheme != "auto" else ("lowrank" if rank and 2 * rank < n else
                                              "expm" if n <= EXPM_MAX_DOFS else "cn")
        v.fits_in_memory(f"(E2) with about {n} DOFs (mesh_size={h:.3g}, order={order}, "
                         f"{assembly} assembly, rank {rank}, scheme {sch!r})",
                         memory_estimate(n, n_quad, rank, times.size, sch))
        return n

    def discretise(h):
        basis = fem.make_basis(build_mesh(Omega, h, breaks), order)
        Phi, dPhi, xi, w = _basis_matrices(basis)
        M = asm(fem.mass_form, basis).tocsr()
        solve_M = pde_time.linear_solver(M, "lu")
        G0, G0_q = _initial(Phi, xi, w, x, q, u0_x, solve_M)
        rho_q = rho.symmetrised_pdf(xi)
        probe = np.exp(-1j * X * xi)
        resolution = {
            "u0_hat": _relative_projection_error(Phi, w, G0, G0_q),
            "p_hat": _relative_projection_error(Phi, w, _project(Phi, w, probe, solve_M), probe),
        }
        return basis, Phi, dPhi, xi, w, M, solve_M, G0, rho_q, resolution

    plan(h)
    disc = discretise(h)
    while mesh_size is None and max(disc[-1].values()) > resolution_tol:
        if estimated_dofs(Omega, h / 2, order, breaks) > max_dofs:
            break
        h /= 2
        plan(h)
        disc = discretise(h)
    basis, Phi, dPhi, xi, w, M, solve_M, G0, rho_q, resolution = disc
    if max(resolution.values()) > resolution_tol:
        warnings.warn(
            f"(E2) mesh too coarse: mesh_size={h:.3g} ({basis.N} DOFs, P{order}) resolves G₀ "
            f"and the data's oscillation e^{{−iξX}} (X = {X:.3g}) to {resolution}, above "
            f"resolution_tol={resolution_tol:g}; pass a larger max_dofs or a smaller mesh_size",
            stacklevel=3)
    mass = float(np.sum(w * rho_q))
    rank = None if assembly == "dense" else q.size
    if scheme == "auto":
        scheme = ("lowrank" if rank and 2 * rank < basis.N else
                  "expm" if basis.N <= EXPM_MAX_DOFS else "cn")
    if scheme == "lowrank" and rank is None:
        raise ValueError("scheme='lowrank' needs the factored assembly (assembly='factored')")
    from tqdm.auto import tqdm

    with tqdm(total=times.size - 1, disable=not progress, desc=f"(E2) {scheme}") as bar:
        if rank is not None:
            B, C = assemble_factored(Phi, dPhi, xi, w, rho_q, x, q, sigma_a, part)
        if scheme == "lowrank":
            G = integrate_lowrank(M, B, C, G0, times, lambda Y: _solve_complex(solve_M, Y))
            bar.update(times.size - 1)
        else:
            K = B @ C if rank is not None else assemble_dense(Phi, dPhi, xi, w, rho_q,
                                                              density, sigma_a, part)
            G = integrate_dense(M, K, G0, times, scheme, dt, rannacher)
            bar.update(times.size - 1)
    V = G / density.level
    U = np.stack([V.real, V.imag], axis=-1)
    return FrequencySolution(rho, v.nonnegative("sigma_a", sigma_a), density, part, Omega,
                             basis, times, U, _outside(R), scheme, resolution, mass, model="E2")


def _solve_complex(solve, Y):
    Y = np.asarray(Y)
    flat = Y.reshape(Y.shape[0], -1)
    out = solve(np.concatenate([flat.real, flat.imag], axis=1))
    k = flat.shape[1]
    return (out[:, :k] + 1j * out[:, k:]).reshape(Y.shape)


def _initial_values(density, u0, x):
    """u₀ at the rule's nodes: a callable on points (n, 1), or, for a point measure, the array
    of its values at the points."""
    if callable(u0):
        values = np.asarray(u0(x[:, None]), dtype=float).reshape(-1)
    elif isinstance(density, PointMeasure):
        values = np.asarray(u0, dtype=float).reshape(-1)
    else:
        raise TypeError(f"u0 must be a callable x ↦ u₀(x) (points of shape (n, 1)), got {u0!r}")
    if values.shape != x.shape:
        raise ValueError(f"u0 must give one value per point ({x.size}), got {values.size}")
    return v.finite_array("u0 values", values)
