"""``solve_frequency_pde``: the frequency-dynamics PDE (docs/theory.md, (E3)) end to end, and its
solution object. See :mod:`ntk_freq.pde.fem` for the weak form, :mod:`ntk_freq.pde.mesh` for
domains and meshes, :mod:`ntk_freq.pde.time` for the time integrators."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from skfem import Basis, asm

from ntk_freq._util import validation as v
from ntk_freq.data._density import DataDensity, data_density
from ntk_freq.distributions._families import FrequencyDistribution
from ntk_freq.pde import fem, time
from ntk_freq.pde.mesh import (MAX_RADIUS_PER_MEDIAN, breakpoints, build_mesh,
                               estimated_dofs, norm_of)
from ntk_freq.pde._solution import FrequencySolution, _domain, _evaluate_u0

#: Largest system solved exactly in time by the dense generalised eigenproblem when scheme="auto".
EIGEN_MAX_DOFS = 1000
#: Lanczos vectors budgeted by the memory estimate of scheme "lanczos" (80 suffice for the
#: default 3-D run, t_max λ_max(M⁻¹A) ≈ 200; the basis grows on demand, checked again).
_LANCZOS_VECTORS = 256
#: Crank–Nicolson steps over [0, max(times)] when dt is not given.
DEFAULT_STEPS = 400
#: Coarsest automatic mesh: 2R/h = 2 · this many cells across the box.
_INITIAL_CELLS = 16
#: Element-matrix entries per DOF (Nbfun² · elements / DOFs) of the simplex meshes: the COO
#: triplets of assembly; and measured nnz(L + U)/nnz(A) of the sparse LU (MMD on AᵀA + A).
_ENTRIES_PER_DOF = {(1, 1): 4, (1, 2): 4.5, (2, 1): 18, (2, 2): 18, (3, 1): 96, (3, 2): 75}
_LU_FILL = {1: 3, 2: 15, 3: 80}


def _evaluate_density(name: str, density, xi: np.ndarray) -> np.ndarray:
    """A user density at points (..., d), checked: shape (...), finite, ≥ 0."""
    values = np.asarray(density(xi), dtype=np.float64)
    if values.shape != xi.shape[:-1] or not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"{name}(xi) with xi of shape {xi.shape} must return finite values >= 0 "
                         f"of shape {xi.shape[:-1]}")
    return values


def memory_estimate(n_dofs: int, dim: int, order: int, *, n_times: int, scheme: str,
                    solver: str) -> float:
    """Rough peak bytes of a solve: assembly triplets, the stored solution, and the dense
    eigenproblem or the sparse LU factor."""
    entries = _ENTRIES_PER_DOF[(dim, order)] * v.positive_int("n_dofs", n_dofs)
    nbytes = 24.0 * entries + 16.0 * n_dofs * n_times
    if scheme == "eigen":
        return nbytes + 24.0 * n_dofs**2
    if scheme == "lanczos":
        nbytes += 8.0 * _LANCZOS_VECTORS * n_dofs
    return nbytes + (12.0 * _LU_FILL[dim] * entries if solver == "lu" else 0.0)


@dataclass(frozen=True)
class _Discretisation:
    """A mesh with its basis, ρ̄_w and û₀ at the quadrature points, M and û₀'s projection."""

    basis: Basis
    rho_q: np.ndarray
    M: object
    U0: np.ndarray
    resolution: dict


def _discretise(rho, domain, breaks, h, order, u0_hat, solver) -> _Discretisation:
    basis = fem.make_basis(build_mesh(domain, h, breaks), order)
    xi_q = fem.quadrature_points(basis)
    rho_q = rho.symmetrised_pdf(xi_q)
    u0_q = _evaluate_u0(u0_hat, xi_q)
    M = asm(fem.mass_form, basis).tocsr()
    mass_solve = time.linear_solver(M, solver)
    U0 = fem.l2_projection(basis, mass_solve, u0_q)
    rho_U = fem.l2_projection(basis, mass_solve, rho_q.astype(complex))
    resolution = {
        "u0_hat": fem.relative_projection_error(basis, U0, u0_q),
        "rho": fem.relative_projection_error(basis, rho_U, rho_q.astype(complex)),
    }
    return _Discretisation(basis, rho_q, M, U0, resolution)


def _check_memory(domain, h, order, breaks, n_times, scheme, solver) -> int:
    n = estimated_dofs(domain, h, order, breaks)
    v.fits_in_memory(
        f"the frequency PDE with about {n} DOFs (mesh_size={h:.3g}, order={order}, "
        f"scheme={scheme!r})",
        memory_estimate(n, domain.dim, order, n_times=n_times, scheme=scheme, solver=solver),
    )
    return n


#: An automatic mesh whose relative L² error of û₀ or ρ̄_w exceeds this is refused, not warned about: the
#: solution would be wrong in its first digit (ρ_w 10⁴ times wider than û₀'s features gave
#: |û(κ, t)| at 2 % of the exact value with only a warning).
UNRESOLVED = 0.1


def _refuse_unresolved(resolution: dict, Omega, h: float, dofs: int) -> None:
    """ValueError when the automatic mesh, capped by max_dofs, resolves û₀ or ρ̄_w worse than
    :data:`UNRESOLVED`, saying why."""
    worst = max(resolution, key=resolution.get)
    if resolution[worst] > UNRESOLVED:
        raise ValueError(
            f"the mesh (h = {h:.3g}, {dofs} DOFs) resolves {'û₀' if worst == 'u0_hat' else 'ρ̄_w'} "
            f"only to a relative L² error of {resolution[worst]:.2g}, so the solution would be "
            f"wrong by about as much: Ω of radius {Omega.radius:.4g} (ρ_w's support by default) is far "
            "wider than the features of û₀ and ρ̄_w that the mesh must follow. Pass domain=R, a "
            "radius that holds the error's band (zero flux at its edge), with mass_tol=1 (ρ_w's "
            "mass outside it is then left out knowingly), a smaller mesh_size or a larger "
            "max_dofs (`ntk-freq pde`: --mesh-size, --max-dofs)")


def solve_frequency_pde(rho: FrequencyDistribution, sigma_a: float, density, *, u0_hat=None,
                        times=None, part: str = "full", domain=None, shape: str = "box",
                        support_tol: float = 1e-8, mass_tol: float = 1e-6,
                        mesh_size: float | None = None, order: int = 2,
                        resolution_tol: float | None = None, max_dofs: int | None = None,
                        scheme: str = "auto", dt: float | None = None, rannacher: int = 2,
                        linear_solver: str | None = None, progress: bool = False,
                        diffusion=None, u0=None, assembly: str = "auto",
                        model: str | None = None, loss=None,
                        unresolved: str = "refuse") -> FrequencySolution:
    """Solve (E3), ∂_t û = c(2π)^d [σ_a² ∇·(ρ̄_w ∇û) − ρ̄_w û], û(·, 0) = û₀, by finite elements.

    rho: ρ_w (d = rho.dim ∈ {1, 2, 3}); sigma_a: std of the readout weights; density: the data
    density c = 1/|D| (mean loss over N points filling D); u0_hat: callable ξ (..., d) ↦ complex
    (...), e.g. :func:`ntk_freq.data.initial_error_hat`; times: flow times t = η · step,
    increasing, ≥ 0. Returns a :class:`FrequencySolution`.

    Options (automatic by default):
      part: "full", "readout" (W frozen: damping only), "frequency" (only W: diffusion only).
      domain / shape: Ω = [−R, R]^d ("box") or the disc |ξ| ≤ R ("ball", d = 2, isotropic ρ_w);
        R from ``rho.support_radius(support_tol)``, widened to ρ̄_w's jumps; ``domain`` a number
        R or a :class:`Domain`. ∫_Ω ρ̄_w below 1 − mass_tol (mesh quadrature) is an error.
      mesh_size h / order (1, 2): with h None, start at h = R/16 and halve h until the L²
        projections of û₀ and ρ̄_w have relative errors ≤ resolution_tol (or the mesh would
        exceed max_dofs: then a warning with the estimate); a given h that misses the tolerance
        only warns. Box meshes hold ρ̄_w's jumps as nodes.
      scheme: "eigen" (exact in time, dense, ≤ a few thousand DOFs), "krylov" (exact in time,
        expm_multiply), "lanczos" (exact in time, one Lanczos run on M⁻¹A for all times: its
        products grow like √(t_max λ_max), not with the steps), "cn" (Crank–Nicolson, step
        ≤ dt = max(times)/400 by default, with ``rannacher`` backward-Euler start-up steps),
        "auto" (eigen up to 1000 DOFs, else lanczos in d = 3 and cn in d ≤ 2).
      linear_solver: "lu" (sparse LU, factorised once; default in d ≤ 2) or "cg" (Jacobi CG,
        default in d = 3 where the LU fills in too much).
      progress: show a progress bar over the time steps.
      diffusion: None, or a callable ξ (..., d) ↦ ρ_D(ξ) ≥ 0 that replaces σ_a² ρ̄_w in the
        diffusion, D = c (2π)^d ρ_D (deep FF-NNs: :func:`ntk_freq.pde._deep.solve_deep_frequency_pde`);
        σ_a is then unused and ρ_w still sets the damping, the domain and the mesh.

    Non-uniform data, (E2): ``density`` a :class:`ntk_freq.data.DataDensity` or its spec
    (``"box:10"``, in d = 2 the square [−10, 10]²; ``"box:5*gaussian:2"``; a
    :class:`ntk_freq.data.PointMeasure` of the training points (N, d), …) solves the non-local
    equation of :mod:`ntk_freq.pde.e2` from the initial error in x, ``u0`` (callable on points
    (n, d), or for a point measure the array of its N values; u0_hat is not used), d = 1, 2, 3,
    box domains; ``assembly`` "factored" / "dense" / "auto", ``scheme`` "lowrank" / "expm" /
    "cn" / "auto"; defaults resolution_tol 1e-3 and max_dofs 60 000 / 40 000 / 60 000 in
    d = 1 / 2 / 3 (200 000 and 1e-6 for (E3)). Its memory and operations are estimated
    (:func:`ntk_freq.pde.e2.e2_cost`) and a MemoryError says what would fit. The result's
    ``model`` says which equation was solved.

    unresolved: what an automatic mesh that ``max_dofs`` keeps from resolving û₀ or ρ̄_w to
      10 % does: "refuse" (ValueError, the default: the solution would be wrong in its first
      digit) or "warn" (for callers that report ``solution.resolution`` beside the result and
      say that it is unresolved, as :func:`ntk_freq.design.pde_check` does).
    loss: None (the mean-squared loss) or an operator loss (:class:`ntk_freq.losses.OperatorLoss`,
      weight q(ξ) = Σ_k |P_k(ξ)|² on the error's spectrum): solves (E3_L),
      ∂_t û = c(2π)^d [σ_a² ∇·(ρ̄_w ∇(qû)) − ρ̄_w qû], in the weak form a(qû, v) with
      ∇(qû) = q∇û + û∇q, so frequencies where q = 0 (Helmholtz's |ξ| = k) need no division;
      its matrix is not symmetric, so the schemes are "cn" (default in d ≤ 2) and "krylov". The data
      model is (E3)'s: the data fill R^d at density c.

    model: which equation, said by the caller: "E3" (``density`` a constant c) or "E2"
    (``density`` a data density, its spec or a point measure). None is "E3" for a number; for a
    data density it still means "E2" for one release, with a FutureWarning (the type of
    ``density`` does not choose the equation silently).

    Raises ValueError / TypeError (naming the parameter) before any solve: bad scalars or
    options, negative or unsorted times, a domain that loses ρ_w's mass, NaN from u0_hat, and
    MemoryError when the estimated working set does not fit."""
    if not isinstance(rho, FrequencyDistribution):
        raise TypeError(f"rho must be a frequency distribution (ntk_freq.distribution), got {rho!r}")
    if rho.dim > 3:
        raise ValueError(f"the frequency PDE is solved in d = 1, 2 or 3; rho lives in d = {rho.dim}")
    sigma_a = v.std("sigma_a", sigma_a)
    if times is None:
        raise TypeError("times (the flow times t = η · step to solve for) is required")
    model = _check_model(model, isinstance(density, (str, DataDensity)))
    if loss is not None and not hasattr(loss, "q_gradient"):
        raise TypeError(f"loss must be None or an operator loss (ntk_freq.losses.OperatorLoss), got {loss!r}")
    if loss is not None and model == "E2":
        raise ValueError("an operator loss's frequency PDE is solved in its local form (E3_L): "
                         "use model='E3' (density a constant c)")
    if loss is not None and scheme in ("eigen", "lanczos"):
        raise ValueError(f"scheme={scheme!r} needs a symmetric operator; with an operator loss the "
                         "weak form is not symmetric: use scheme='krylov' or 'cn'")
    if model == "E2":
        if diffusion is not None:
            raise ValueError("diffusion (the deep FF-NN's ρ_D) is for the local equation (E3); "
                             "(E2) with a data density takes the two-layer σ_a² ρ̄_w")
        return _solve_e2(rho, sigma_a, density, u0_hat, u0, times, part, domain, shape,
                         support_tol, mass_tol, mesh_size, order, resolution_tol, max_dofs,
                         scheme, assembly, dt, rannacher, progress)
    resolution_tol = 1e-6 if resolution_tol is None else resolution_tol
    max_dofs = 200_000 if max_dofs is None else max_dofs
    density = v.scale("density", density)
    if not callable(u0_hat):
        raise TypeError(f"u0_hat must be a callable ξ ↦ û₀(ξ), got {u0_hat!r}")
    times = v.increasing_times("times", times)
    if times[0] > 0:
        times = np.concatenate([[0.0], times])
    v.choice("part", part, v.PARTS)
    v.choice("order", order, fem.ORDERS)
    v.choice("scheme", scheme, time.SCHEMES)
    solver = linear_solver or ("cg" if rho.dim == 3 else "lu")
    v.choice("linear_solver", solver, time.LINEAR_SOLVERS)
    for name, value in (("support_tol", support_tol), ("mass_tol", mass_tol),
                        ("resolution_tol", resolution_tol)):
        v.positive(name, value)
    max_dofs = v.positive_int("max_dofs", max_dofs)
    rannacher = int(v.nonnegative("rannacher", rannacher))
    dt = times[-1] / DEFAULT_STEPS if dt is None else v.positive("dt", dt)
    if diffusion is not None and not callable(diffusion):
        raise TypeError(f"diffusion must be None or a callable ξ ↦ ρ_D(ξ), got {diffusion!r}")

    Omega = _domain(rho, domain, shape, support_tol)
    breaks = breakpoints(rho) if Omega.shape == "box" else None
    h = Omega.radius / _INITIAL_CELLS if mesh_size is None else v.positive("mesh_size", mesh_size)
    for _ in range(40):  # max_dofs bounds the first mesh too: coarsen it to fit (it then warns)
        if mesh_size is not None or estimated_dofs(Omega, h, order, breaks) <= max_dofs:
            break
        h *= 1.25
    planned = scheme if scheme != "auto" else ("lanczos" if rho.dim == 3 else "cn")
    _check_memory(Omega, h, order, breaks, times.size, planned, solver)
    disc = _discretise(rho, Omega, breaks, h, order, u0_hat, solver)
    while mesh_size is None and max(disc.resolution.values()) > resolution_tol:
        if estimated_dofs(Omega, h / 2, order, breaks) > max_dofs:
            break
        h /= 2
        _check_memory(Omega, h, order, breaks, times.size, planned, solver)
        disc = _discretise(rho, Omega, breaks, h, order, u0_hat, solver)
    if max(disc.resolution.values()) > resolution_tol:
        warnings.warn(
            f"mesh too coarse: with mesh_size={h:.3g} ({disc.basis.N} DOFs, P{order}) the "
            f"relative L² error of û₀ is ~{disc.resolution['u0_hat']:.1e} and of ρ̄_w "
            f"~{disc.resolution['rho']:.1e}, above resolution_tol={resolution_tol:g}; the "
            "solution is no more accurate. Pass a smaller mesh_size or a larger max_dofs "
            "(`ntk-freq pde`: --mesh-size, --max-dofs).",
            stacklevel=2,
        )
    basis = disc.basis
    mass = float(fem.integral(basis, disc.rho_q))
    # the automatic domain may leave a heavy tail's mass outside knowingly (it warned)
    outside = rho.tail(Omega.radius, norm_of(Omega.shape)) if domain is None else 0.0
    if mass < 1 - outside - mass_tol:
        raise ValueError(_mass_message(rho, Omega, mass, 1 - outside - mass_tol, mass_tol,
                                       disc.resolution["rho"], resolution_tol, h))
    if mesh_size is None and v.choice("unresolved", unresolved, ("refuse", "warn")) == "refuse":
        _refuse_unresolved(disc.resolution, Omega, h, basis.N)  # a mesh the caller chose is theirs (it warned)
    if scheme == "auto":
        scheme = ("cn" if rho.dim < 3 else "krylov") if loss is not None else \
            "eigen" if basis.N <= EIGEN_MAX_DOFS else planned
    _check_memory(Omega, h, order, breaks, times.size, scheme, solver)
    if scheme == "cn":  # a step costs a few dozen sparse products of the DOFs (more with CG)
        v.affordable(f"{times[-1] / dt:.3g} Crank–Nicolson steps of {basis.N} DOFs",
                     times[-1] / dt * basis.N * 50, "use a larger dt, or scheme='eigen'/'krylov'")

    D, alpha = fem.coefficients_from_density(disc.rho_q, rho.dim, sigma_a, density, part)
    if diffusion is not None and part != "readout":
        D = fem.coefficients_from_density(
            _evaluate_density("diffusion", diffusion, fem.quadrature_points(basis)), rho.dim, 1.0,
            density, "frequency")[0]
    if loss is None:
        A = asm(fem.operator_form, basis, D=D, alpha=alpha).tocsr()
    else:
        xi_q = fem.quadrature_points(basis)
        A = asm(fem.weighted_operator_form, basis, D=D, alpha=alpha, q=loss.q(xi_q),
                dq=np.moveaxis(loss.q_gradient(xi_q), -1, 0)).tocsr()
    U = _integrate(disc.M, A, disc.U0, times, scheme, dt, rannacher, solver, progress)
    return FrequencySolution(rho, sigma_a, density, part, Omega, basis, times, U, u0_hat,
                             scheme, disc.resolution, mass)


MODELS = ("E2", "E3")


def _check_model(model, data: bool) -> str:
    """The equation to solve: ``model`` as said, checked against the kind of density
    (``data``: a data density or point measure, else a constant c)."""
    if model is None:
        if not data:
            return "E3"
        warnings.warn("solve_frequency_pde with a data density solves (E2): pass model='E2' "
                      "(choosing the equation from the type of density goes in the next "
                      "release)", FutureWarning, stacklevel=3)
        return "E2"
    model = v.choice("model", model, MODELS)
    if (model == "E2") != data:
        need = "a data density, its spec or a point measure" if model == "E2" else \
            "a constant data density c (a number)"
        got = "a data density" if data else "a number"
        raise ValueError(f"model={model!r} needs {need} as density, got {got}")
    return model


def _solve_e2(rho, sigma_a, density, u0_hat, u0, times, part, domain, shape, support_tol,
              mass_tol, mesh_size, order, resolution_tol, max_dofs, scheme, assembly, dt,
              rannacher, progress) -> FrequencySolution:
    """(E2) for a data density: checks what (E3) options do not apply, then
    :func:`ntk_freq.pde.e2.solve_e2`."""
    from ntk_freq.pde.e2 import solve_e2

    density = data_density(density, rho.dim)
    if u0 is None:
        raise TypeError("(E2) needs the initial error in x: pass u0=callable x ↦ u₀(x) (e.g. "
                        "lambda x: -y(x)); G₀ = F[u₀ p] is not determined by û₀"
                        + ("" if u0_hat is None else " (u0_hat is not used by (E2))"))
    if shape != "box":
        raise ValueError(f"(E2) is solved on box domains Ω = [−R, R]^d; got shape={shape!r}")
    v.choice("part", part, v.PARTS)
    v.choice("order", order, fem.ORDERS)
    for name, value in (("support_tol", support_tol), ("mass_tol", mass_tol)):
        v.positive(name, value)
    return solve_e2(rho, sigma_a, density, u0, times, part=part, domain=domain,
                    support_tol=support_tol, mass_tol=mass_tol, mesh_size=mesh_size, order=order,
                    resolution_tol=v.positive("resolution_tol", 1e-3 if resolution_tol is None
                                              else resolution_tol),
                    max_dofs=None if max_dofs is None else v.positive_int("max_dofs", max_dofs),
                    scheme=scheme, assembly=assembly, dt=dt, rannacher=rannacher,
                    progress=progress)


def _mass_message(rho, Omega, mass, required, mass_tol, rho_error, resolution_tol, h) -> str:
    """Why Ω's mesh quadrature misses ρ_w's mass, and what to pass instead."""
    norm = norm_of(Omega.shape)
    if rho_error > resolution_tol:
        R = MAX_RADIUS_PER_MEDIAN * rho.support_radius(0.5, norm)
        hint = (f"the mesh (mesh_size={h:.3g}) does not resolve ρ̄_w (relative L² error "
                f"~{rho_error:.1e}), so its quadrature misses the peak: pass a moderate domain=R, "
                f"e.g. domain={R:.4g} ({MAX_RADIUS_PER_MEDIAN:g} × ρ_w's median radius) with "
                f"mass_tol={1.1 * rho.tail(R, norm):.2g} (a little above the mass outside it), "
                "or a smaller mesh_size or a larger max_dofs")
    else:
        hint = (f"widen the domain (domain=R with R >= rho.support_radius({mass_tol:g}) = "
                f"{rho.support_radius(mass_tol, norm):.4g}) or raise mass_tol")
    return (f"domain: Ω = {Omega} holds only {mass:.8f} of ρ_w's mass by the mesh quadrature "
            f"(at least {required:.8f} needed, mass_tol = {mass_tol:g}); {hint}")


def _integrate(M, A, U0, times, scheme, dt, rannacher, solver, progress) -> np.ndarray:
    if scheme == "eigen":
        return time.eigen_exact(M, A, U0, times)
    from tqdm import tqdm

    total = (sum(max(1, math.ceil((b - a) / dt - 1e-9)) for a, b in zip(times[:-1], times[1:]))
             if scheme == "cn" else None if scheme == "lanczos" else times.size - 1)
    with tqdm(total=total, disable=not progress, desc=f"frequency PDE ({scheme})") as bar:
        if scheme == "krylov":
            return time.krylov_exact(M, A, U0, times, solver, callback=bar.update)
        if scheme == "lanczos":
            m_solve = time.linear_solver(M, solver)
            return time.lanczos_exact(M, A, U0, times, lambda x: m_solve(x[:, None])[:, 0],
                                      callback=bar.update)
        return time.crank_nicolson(M, A, U0, times, dt, rannacher, solver, callback=bar.update)
