"""The non-local frequency equation (E2) of docs/theory.md for any data density p, by finite elements
in ξ, in d = 1, 2, 3 (written below for d = 1; in d dimensions p̂′ G′ becomes ∇p̂·∇G and
x becomes x·ξ in every phase).

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
In d ≥ 2: ∂_t G(ξ) = −∫ ρ̄_w(η)[p̂(ξ − η) G(η) − σ_a² ∇p̂(ξ − η)·∇G(η)] dη, so C gains one
term iσ_a² diag(q x_j) Φ_j per axis (Φ_j = ∂φ/∂ξ_j at the quadrature points), the phases are
e^{−iξ_q·x_k}, and the rule of p is the point measure itself or, for a product density, the
tensor product of its factors' rules (r = Π r_j). Sizes: the mesh has n DOFs and Q quadrature
points (both ∝ (R/h)^d), and h must resolve the oscillation e^{−iξ·x} of G for the data's
extent X (h ≲ 1/X), so n grows like (RX)^d; :func:`e2_cost` estimates the bytes and operations
before anything is built, and a problem beyond the memory or the time limit is refused with
the estimate and what would fit.
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

from ntk_freq._util import validation as v
from ntk_freq.data._density import DataDensity, PointMeasure, ProductDensity, tensor_rule
from ntk_freq.distributions._families import FrequencyDistribution
from ntk_freq.pde import fem
from ntk_freq.pde import time as pde_time
from ntk_freq.pde.mesh import Domain, axis_nodes, breakpoints, build_mesh, estimated_dofs

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


#: Bytes of one block of the phase matrix e^{−iξ_q·x_k} built at once.
PHASE_BLOCK_BYTES = 2**27
#: Simplices per box cell of the tensor meshes (scikit-fem's init_tensor), for the size estimate.
_SIMPLICES_PER_CELL = {1: 1, 2: 2, 3: 6}
#: Largest DOF count of the automatic refinement, per d (memory decides beyond: e2_cost).
MAX_DOFS = {1: 60_000, 2: 40_000, 3: 60_000}
#: Rates of the reference 2-core machine (measured): BLAS flop/s (complex matrix products),
#: complex exponentials and elementwise products per second, sparse-times-dense flop/s.
RATES = {"blas": 3e10, "elementwise": 2e7, "sparse": 1e9}
#: Longest (E2) solve started: about ten minutes on the reference machine (e2_cost).
MAX_SECONDS = 600.0


def _outside(radius: float, dim: int):
    """The value of V outside Ω: not defined (the equation couples it to all of Ω)."""

    def fail(xi):
        raise ValueError(
            f"ξ outside the solved domain Ω = [−{radius:.6g}, {radius:.6g}]^{dim}: (E2) couples "
            "every frequency to Ω, so there is no closed value outside; pass domain=R covering "
            "the frequencies you evaluate")

    return fail


def x_rule(density: DataDensity, zeta_max: float, tol: float = RULE_TOL):
    """Nodes (r, d) and weights (r,) of a quadrature of p in x that reproduce p̂ and ∇p̂ on
    |ζ|_∞ ≤ ζ_max to ``tol`` (relative to max|p̂| = 1 and max|p̂′|; per factor of a product,
    whose tensor rule is then good to about d·tol); exact for a point measure. ValueError if
    ``MAX_RULE`` nodes (per axis) do not reach it."""
    if isinstance(density, PointMeasure):
        x, q = density.quadrature()
        return x.reshape(q.size, density.dim), q
    if isinstance(density, ProductDensity):
        return tensor_rule([x_rule(f, zeta_max, tol) for f in density.factors])
    zeta = np.linspace(-zeta_max, zeta_max, 1601)
    exact, exact_d = density.fourier(zeta), density.fourier_derivative(zeta)
    scale_d = max(1.0, float(np.abs(exact_d).max()))
    n = 8
    while n <= MAX_RULE:
        x, q = density.quadrature(n)
        phase = np.exp(-1j * np.outer(zeta, x))
        err = max(np.abs(phase @ q - exact).max(), np.abs(phase @ (-1j * q * x) - exact_d).max()
                  / scale_d)
        if err <= tol:
            return x[:, None], q
        n *= 2
    raise ValueError(f"no x-quadrature of {MAX_RULE} nodes reproduces the data density's p̂ on "
                     f"|ζ| ≤ {zeta_max:.4g} to {tol:g} (error {err:.2g}); use assembly='dense'")


def _basis_matrices(basis):
    """Φ and ∇Φ = [Φ_1, …, Φ_d]: basis values and partial derivatives at the Q quadrature
    points (sparse Q × n), the points ξ_q (Q, d) and the weights w_q (flattened element by
    element)."""
    ne, nq = basis.dx.shape
    d = basis.mesh.dim()
    rows = np.arange(ne * nq).reshape(ne, nq)
    cols, vals, ders = [], [], [[] for _ in range(d)]
    for i in range(basis.Nbfun):
        field = basis.basis[i][0]
        cols.append(np.repeat(basis.element_dofs[i][:, None], nq, axis=1))
        vals.append(np.asarray(field))
        for j in range(d):
            ders[j].append(field.grad[j])
    r = np.tile(rows.ravel(), basis.Nbfun)
    c = np.concatenate([a.ravel() for a in cols])
    shape = (ne * nq, basis.N)

    def matrix(parts):
        return sparse.csr_matrix((np.concatenate([a.ravel() for a in parts]), (r, c)), shape=shape)

    xi = fem.quadrature_points(basis).reshape(-1, d)
    return matrix(vals), [matrix(parts) for parts in ders], xi, basis.dx.reshape(-1)


def _terms(part: str, sigma_a: float):
    """Weights of the damping (p̂) and diffusion (∇p̂) terms for the trained part."""
    return (0.0 if part == "frequency" else 1.0), (0.0 if part == "readout" else sigma_a**2)


def _blocks(n_rows: int, n_cols: int):
    """Slices of ``n_cols`` columns so that an n_rows × block complex matrix takes at most
    ``PHASE_BLOCK_BYTES``."""
    step = max(1, PHASE_BLOCK_BYTES // (16 * max(1, n_rows)))
    return [slice(s, min(s + step, n_cols)) for s in range(0, n_cols, step)]


def assemble_factored(Phi, dPhi, xi, w, rho_q, x, q, sigma_a, part):
    """(B, C) with K = B C (module docstring); the Q × r phases are built a block of nodes at a
    time."""
    a, b = _terms(part, sigma_a)
    n, r = Phi.shape[1], q.size
    B = np.empty((n, r), dtype=complex)
    C = np.empty((r, n), dtype=complex)
    for cols in _blocks(xi.shape[0], r):
        E = np.exp(-1j * (xi @ x[cols].T))  # (Q, block)
        B[:, cols] = Phi.T @ (w[:, None] * E)
        Ec = np.conj(E, out=E)
        Ec *= (w * rho_q)[:, None]
        Cb = np.asarray(Phi.T @ Ec).T * (a * q[cols])[:, None]
        for j, dP in enumerate(dPhi):
            Cb += np.asarray(dP.T @ Ec).T * (1j * b * q[cols] * x[cols, j])[:, None]
        C[cols] = Cb
    return B, C


def assemble_dense(Phi, dPhi, xi, w, rho_q, density, sigma_a, part):
    """K from the closed forms of p̂ and ∇p̂ on all pairs of quadrature points."""
    a, b = _terms(part, sigma_a)
    zeta = xi[:, None, :] - xi[None, :, :]
    wr = sparse.diags(w * rho_q)
    inner = np.zeros((Phi.shape[1], xi.shape[0]), dtype=complex)  # (P diag(wρ̄) Φ)ᵀ, sparse first
    if a:
        inner += a * ((wr @ Phi).T @ _density_values(density, zeta).T)
    if b:
        grad = density.fourier_gradient(zeta)
        for j, dP in enumerate(dPhi):
            inner -= b * ((wr @ dP).T @ grad[..., j].T)
    return np.asarray(Phi.T @ (w[:, None] * inner.T))


def _density_values(density, zeta):
    """p̂ at differences ζ of shape (..., d) (a 1-D density takes them without the axis)."""
    return density.fourier(zeta[..., 0] if density.dim == 1 else zeta)


def quadrature_size(Omega: Domain, h: float, order: int, breaks) -> int:
    """Quadrature points Q of the mesh :func:`build_mesh` would make (elements × points per
    element of the rule of degree 2·order + 2), without building it."""
    from skfem.quadrature import get_quadrature

    cells = math.prod(axis_nodes(Omega.radius, h, b).size - 1 for b in breaks)
    element = fem._ELEMENTS[(Omega.dim, order)]()
    per_element = len(get_quadrature(element.refdom, 2 * order + 2)[1])
    return cells * _SIMPLICES_PER_CELL[Omega.dim] * per_element


def memory_estimate(n_dofs: int, n_quad: int, rank: int | None, n_times: int, scheme: str,
                    dim: int = 1) -> float:
    """Peak bytes: the basis at the quadrature points (values and d derivatives, for each of the
    element's functions), the dense Q × Q kernels (dense) or a block of the Q × r phases and
    the n × r factors B, M⁻¹B and C (factored), the n × n operator and its exponential or LU
    (expm, cn), and the stored solution."""
    basis_functions = {1: 3, 2: 6, 3: 10}[dim]
    nbytes = 16.0 * n_dofs * n_times * 2 + 8.0 * 3 * (dim + 1) * basis_functions * n_quad
    if rank is None:
        nbytes += 8.0 * (2 + 3 * dim) * n_quad**2 + 16.0 * 2 * n_quad * n_dofs
    else:
        nbytes += 2.0 * min(PHASE_BLOCK_BYTES, 16.0 * n_quad * rank) + 16.0 * 3 * n_dofs * rank
    if scheme in ("expm", "cn") or rank is None:
        nbytes += 16.0 * 6 * n_dofs**2
    else:
        nbytes += 16.0 * 8 * (rank + 1) ** 2
    return nbytes


def time_estimate(n_dofs: int, n_quad: int, rank: int | None, n_steps: int, scheme: str,
                  dim: int = 1) -> float:
    """Seconds, from the work of each stage at the rates ``RATES`` (measured on the reference
    2-core machine; benchmarks/bench_e2.py prints this estimate next to the measured time):
    the Q·r phases (elementwise) and their products with the sparse basis (factored) or the
    Q² kernels (dense); Z = C M⁻¹B (BLAS, 8 n r² flops); then per distinct step one (r + 1)-
    square exponential (lowrank, ~12 products of 8 (r+1)³ flops) or one n-square exponential
    (expm), or a dense LU and a solve per step (cn)."""
    basis_functions = {1: 3, 2: 6, 3: 10}[dim]
    if rank is None:
        elementwise = (2 + 2 * dim) * float(n_quad) ** 2
        sparse_ops = 8.0 * basis_functions * (dim + 1) * n_quad**2 + 8.0 * n_quad * n_dofs**2
        blas = 0.0
    else:
        elementwise = 4.0 * n_quad * rank
        sparse_ops = 8.0 * basis_functions * (dim + 2) * n_quad * rank
        blas = 8.0 * n_dofs * rank**2
    if scheme == "lowrank":
        blas += 96.0 * (rank + 1) ** 3 * n_steps + 8.0 * n_dofs * rank * n_steps
    elif scheme == "expm":
        blas += 8.0 * n_dofs**2 * (rank or 0) + 100.0 * n_dofs**3 * n_steps
    else:
        blas += 8.0 * n_dofs**2 * (rank or 0) + 12.0 * n_dofs**3 + 16.0 * n_dofs**2 * n_steps
    return (blas / RATES["blas"] + elementwise / RATES["elementwise"]
            + sparse_ops / RATES["sparse"])


def e2_cost(n_dofs: int, n_quad: int, rank: int | None, n_times: int, n_steps: int,
            scheme: str, dim: int) -> dict:
    """The estimates of a planned (E2) solve, {"bytes", "seconds"}, before anything is built:
    n DOFs, Q quadrature points, the x-rank r (None: dense assembly), n_times stored times,
    n_steps distinct exponentials (lowrank, expm) or Crank–Nicolson steps (cn)."""
    return {"bytes": memory_estimate(n_dofs, n_quad, rank, n_times, scheme, dim),
            "seconds": time_estimate(n_dofs, n_quad, rank, n_steps, scheme, dim)}


def _phase_apply(xi, x, vector):
    """Σ_k vector_k e^{−iξ_q·x_k} at the points ξ (Q, d), a block of points at a time."""
    out = np.empty(xi.shape[0], dtype=complex)
    for rows in _blocks(x.shape[0], xi.shape[0]):
        out[rows] = np.exp(-1j * (xi[rows] @ x.T)) @ vector
    return out


def _initial(Phi, xi, w, x, q, u0_x, M_solve):
    """Coefficients of the L² projection of G₀(ξ) = Σ_k q_k u₀(x_k) e^{−iξ·x_k} (complex, (n,))
    and G₀ at the quadrature points."""
    G0_q = _phase_apply(xi, x, q * u0_x)
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


def _distinct_steps(times, scheme, dt):
    """Exponentials (lowrank, expm: one per distinct step) or Crank–Nicolson steps (cn)."""
    steps = np.diff(times)
    if scheme == "cn":
        return int(sum(max(1, math.ceil(s / dt - 1e-9)) for s in steps))
    return max(1, np.unique(np.round(steps, 12)).size)


def _choose_scheme(scheme, rank, n):
    if scheme != "auto":
        return scheme
    return "lowrank" if rank and 2 * rank < n else "expm" if n <= EXPM_MAX_DOFS else "cn"


def _check_cost(what, n, n_quad, rank, times, scheme, dt, dim):
    """MemoryError, before anything is built, when the estimated working set of the planned
    solve does not fit in memory (half of what is free) or its estimated time exceeds
    ``MAX_SECONDS``; the message has both estimates and the largest rank and DOF count that
    would fit. Returns the estimates."""
    steps = _distinct_steps(times, scheme, dt)
    avail = 0.5 * v.available_memory_bytes()

    def fits(m, m_quad, r):
        cost = e2_cost(m, m_quad, r, times.size, steps, scheme, dim)
        return cost["bytes"] <= avail and cost["seconds"] <= MAX_SECONDS

    cost = e2_cost(n, n_quad, rank, times.size, steps, scheme, dim)
    if fits(n, n_quad, rank):
        return cost
    hints = []
    fit_rank = next((2**k for k in range(20, 0, -1) if fits(n, n_quad, 2**k)), None)
    if rank is not None and fit_rank is not None and fit_rank < rank:
        hints.append(f"at most about {fit_rank} x-quadrature nodes / training points at this mesh")
    fit_dofs = next((m for m in (int(1.25**k) for k in range(80, 0, -1))
                     if fits(m, int(m * n_quad / n), rank)), None)
    if fit_dofs is not None and fit_dofs < n:
        hints.append(f"at most about {fit_dofs} DOFs at this rank (a larger mesh_size, a smaller "
                     "domain, order=1, or data of smaller extent)")
    raise MemoryError(
        f"{what} needs about {cost['bytes'] / 2**30:.2f} GiB (available: {avail / 2**30:.2f} "
        f"GiB, half of the free memory) and about {cost['seconds']:.3g} s (limit "
        f"{MAX_SECONDS:g} s); what would fit: "
        + ("; ".join(hints) if hints else "nothing this size: fewer data points, a coarser mesh "
           "or a smaller domain"))


def solve_e2(rho: FrequencyDistribution, sigma_a: float, density: DataDensity, u0, times, *,
             part: str = "full", domain=None, support_tol: float = 1e-8, mass_tol: float = 1e-6,
             mesh_size: float | None = None, order: int = 2, resolution_tol: float = 1e-3,
             max_dofs: int | None = None, scheme: str = "auto", assembly: str = "auto",
             dt: float | None = None, rannacher: int = 2, progress: bool = False):
    """Solve (E2) (module docstring) for the data density ``density`` (on R^d, d = rho.dim ≤ 3)
    from the initial error u₀(x) (callable on points of shape (n, d), or an array of its values
    at a point measure's points); returns a :class:`ntk_freq.pde.FrequencySolution` with
    ``model`` "E2" holding V = F[u p]/c̄. Called by :func:`ntk_freq.solve_frequency_pde` (its
    options; ``domain`` R is Ω = [−R, R]^d, which must hold ρ_w's mass and the frequencies to be
    evaluated; ``max_dofs`` of the automatic refinement defaults to ``MAX_DOFS[d]``). The
    memory and operations of each planned mesh are estimated (:func:`e2_cost`) and refused with
    a MemoryError naming what would fit before it is built."""
    from ntk_freq.pde._solution import FrequencySolution, _domain

    d = rho.dim
    if d > 3:
        raise ValueError(f"(E2) is solved in d = 1, 2 or 3; rho lives in d = {d}")
    if density.dim != d:
        raise ValueError(f"the data density {density.spec} lives in d = {density.dim} but ρ_w "
                         f"in d = {d}; give them the same dimension")
    v.choice("assembly", assembly, ASSEMBLIES)
    v.choice("scheme", scheme, E2_SCHEMES)
    max_dofs = MAX_DOFS[d] if max_dofs is None else v.positive_int("max_dofs", max_dofs)
    times = v.increasing_times("times", times)
    if times[0] > 0:
        times = np.concatenate([[0.0], times])
    dt = times[-1] / 400 if dt is None else v.positive("dt", dt)
    Omega = _domain(rho, None, "box", support_tol)
    if domain is not None:
        R = domain.radius if isinstance(domain, Domain) else v.positive("domain", domain)
        Omega = Domain("box", R, d)
    R = Omega.radius
    breaks = breakpoints(rho)
    if domain is not None and rho.tail(R, "inf") > mass_tol:
        raise ValueError(f"domain: Ω = [−{R:.6g}, {R:.6g}]^{d} holds only {1 - rho.tail(R):.8f} "
                         f"of ρ_w's mass (mass_tol = {mass_tol:g}); widen it (domain=R with R >= "
                         f"rho.support_radius({mass_tol:g}) = {rho.support_radius(mass_tol):.4g})")
    x, q = x_rule(density, 2 * R)  # G₀ = F[u₀ p] by this rule, also for the dense assembly
    u0_x = _initial_values(density, u0, x)
    X = np.max(np.abs(x), axis=0)  # the data's extent per axis: G oscillates like e^{−iξ·X}
    h = min(R / _INITIAL_CELLS, 1.0 / max(float(X.max()), 1e-12)) if mesh_size is None else \
        v.positive("mesh_size", mesh_size)
    rank = None if assembly == "dense" else q.size
    needed = estimated_dofs(Omega, h, order, breaks)
    if mesh_size is None and needed > max_dofs:
        raise ValueError(
            f"max_dofs: (E2) in d = {d} needs about {needed} DOFs (P{order}, h = {h:.3g} ≤ 1/X) "
            f"to resolve the data's oscillation e^{{−iξ·x}} (extent X = {float(X.max()):.3g}) on "
            f"Ω = [−{R:.4g}, {R:.4g}]^{d}, above max_dofs = {max_dofs}; the mesh grows like "
            f"(4RX)^d: use data of smaller extent or a narrower ρ_w, or pass a larger max_dofs "
            "or a mesh_size (memory and time are then estimated, and refused beyond what fits)")

    def plan(h):
        n = estimated_dofs(Omega, h, order, breaks)
        n_quad = quadrature_size(Omega, h, order, breaks)
        sch = _choose_scheme(scheme, rank, n)
        _check_cost(f"(E2) in d = {d} with about {n} DOFs and {n_quad} quadrature points "
                    f"(mesh_size={h:.3g}, P{order}, {assembly} assembly, rank {rank}, scheme "
                    f"{sch!r})", n, n_quad, rank, times, sch, dt, d)
        return n

    def discretise(h):
        basis = fem.make_basis(build_mesh(Omega, h, breaks), order)
        Phi, dPhi, xi, w = _basis_matrices(basis)
        M = asm(fem.mass_form, basis).tocsr()
        solve_M = pde_time.linear_solver(M, "lu")
        G0, G0_q = _initial(Phi, xi, w, x, q, u0_x, solve_M)
        rho_q = rho.symmetrised_pdf(xi)
        probe = np.exp(-1j * (xi @ X))
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
            f"and the data's oscillation e^{{−iξ·X}} (X = {np.round(X, 3).tolist()}) to "
            f"{resolution}, above resolution_tol={resolution_tol:g}; pass a larger max_dofs or "
            "a smaller mesh_size",
            stacklevel=3)
    mass = float(np.sum(w * rho_q))
    scheme = _choose_scheme(scheme, rank, basis.N)
    if scheme == "lowrank" and rank is None:
        raise ValueError("scheme='lowrank' needs the factored assembly (assembly='factored')")
    _check_cost(f"(E2) in d = {d} with {basis.N} DOFs (scheme {scheme!r})", basis.N, xi.shape[0],
                rank, times, scheme, dt, d)
    from tqdm import tqdm

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
                             basis, times, U, _outside(R, d), scheme, resolution, mass, model="E2")


def _solve_complex(solve, Y):
    Y = np.asarray(Y)
    flat = Y.reshape(Y.shape[0], -1)
    out = solve(np.concatenate([flat.real, flat.imag], axis=1))
    k = flat.shape[1]
    return (out[:, :k] + 1j * out[:, k:]).reshape(Y.shape)


def _initial_values(density, u0, x):
    """u₀ at the rule's nodes x (r, d): a callable on points (r, d), or, for a point measure,
    the array of its values at the points."""
    if callable(u0):
        values = np.asarray(u0(x), dtype=float).reshape(-1)
    elif isinstance(density, PointMeasure):
        values = np.asarray(u0, dtype=float).reshape(-1)
    else:
        raise TypeError(f"u0 must be a callable x ↦ u₀(x) (points of shape (n, "
                        f"{density.dim})), got {u0!r}")
    if values.shape != (x.shape[0],):
        raise ValueError(f"u0 must give one value per point ({x.shape[0]}), got {values.size}")
    return v.finite_array("u0 values", values)
