"""The solution of the frequency PDE on its mesh, and the rule for its domain: shared by the
(E3) and (E2) solvers."""

from __future__ import annotations
from dataclasses import dataclass, field
import numpy as np
from skfem import Basis
from ntk_freq._util import validation as v
from ntk_freq.distributions._families import FrequencyDistribution, is_isotropic
from ntk_freq.pde import fem
from ntk_freq.pde.mesh import SHAPES, Domain, default_domain, locate


#: Points located per block when evaluating a solution.
_EVAL_BLOCK = 20_000


@dataclass(frozen=True, eq=False)
class FrequencySolution:
    """û(ξ, t) of the frequency PDE as a finite-element field at each solved time.

    Call ``sol(xi, t)`` for complex û at points ξ of shape (..., d) and a solved time t (a
    scalar: shape (...); a list of solved times: shape (len(t), ...)). Inside Ω the value is the
    finite-element field (located element, its shape functions); outside Ω the truncated model
    leaves û at its initial value û₀(ξ), exact where ρ̄_w = 0 (beyond a compact support) and
    otherwise off by at most c(2π)^d ρ̄_w(ξ) t |û₀(ξ)| (ρ̄_w is below the truncation tolerance).

    Fields: the problem (``rho``, ``sigma_a``, ``density`` c, ``part``), the ``domain`` Ω, the
    scikit-fem ``basis`` (mesh and element), ``times`` (t = 0 first), ``U`` the coefficients,
    shape (n_times, n_dofs, 2) with columns (Re û, Im û), ``u0_hat``, the time ``scheme``,
    ``resolution`` (estimated relative L² errors of the mesh for û₀ and ρ̄_w) and ``mass``
    (∫_Ω ρ̄_w by the mesh quadrature), ``model``: "E3" (constant density c, the field is û) or
    "E2" (``density`` a :class:`ntk_freq.data.DataDensity`, the field is V = F[u p]/c̄; see
    :mod:`ntk_freq.pde.e2`)."""

    rho: FrequencyDistribution
    sigma_a: float
    density: object
    part: str
    domain: Domain
    basis: Basis = field(repr=False)
    times: np.ndarray = field(repr=False)
    U: np.ndarray = field(repr=False)
    u0_hat: object = field(repr=False)
    scheme: str = "cn"
    resolution: dict = field(default_factory=dict)
    mass: float = 1.0
    model: str = "E3"

    @property
    def n_dofs(self) -> int:
        return self.basis.N

    @property
    def mesh(self):
        return self.basis.mesh

    def time_index(self, t) -> np.ndarray:
        """Indices of the solved times closest to t (scalar or list); ValueError if t was not
        solved."""
        t = np.atleast_1d(v.finite_array("t", t))
        idx = np.abs(self.times[None, :] - t[:, None]).argmin(axis=1)
        bad = np.abs(self.times[idx] - t) > 1e-9 * max(1.0, self.times[-1])
        if bad.any():
            raise ValueError(
                f"t = {t[bad].tolist()} was not solved; solved times are {self.times.tolist()} "
                "(pass the times you need to solve_frequency_pde)"
            )
        return idx

    def __call__(self, xi, t) -> np.ndarray:
        xi = v.points("xi", xi, self.rho.dim)
        idx = self.time_index(t)
        flat = xi.reshape(-1, self.rho.dim)
        out = np.empty((idx.size, flat.shape[0]), dtype=complex)
        U = self.U[idx]
        for start in range(0, flat.shape[0], _EVAL_BLOCK):
            block = slice(start, start + _EVAL_BLOCK)
            cells, X = locate(self.mesh, self.basis.mapping, flat[block].T)
            inside = cells >= 0
            values = _field_values(self.basis, U, cells[inside], X[:, inside])
            chunk = np.empty((idx.size, cells.size), dtype=complex)
            chunk[:, inside] = values[..., 0] + 1j * values[..., 1]
            if not inside.all():
                chunk[:, ~inside] = _evaluate_u0(self.u0_hat, flat[block][~inside])
            out[:, block] = chunk
        shape = xi.shape[:-1]
        return out.reshape(shape) if np.ndim(t) == 0 else out.reshape((idx.size,) + shape)

    def integral(self, t) -> complex:
        """∫_Ω û(ξ, t) dξ by the mesh quadrature (docs/theory.md: = (2π)^d u(0, t) for the full line)."""
        U = self.U[self.time_index(t)[0]]
        values = [np.asarray(self.basis.interpolate(U[:, c])) for c in (0, 1)]
        return complex(fem.integral(self.basis, values[0] + 1j * values[1]))


def _field_values(basis: Basis, U: np.ndarray, cells: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Σ_k U[dof_k(cell)] φ_k(X): the field at reference points X (d, m) of ``cells``, for each
    time in U (n_t, n_dofs, 2); returns (n_t, m, 2)."""
    phi = np.stack([basis.elem.lbasis(X, k)[0] for k in range(basis.Nbfun)])  # (Nbfun, m)
    dofs = basis.element_dofs[:, cells]  # (Nbfun, m)
    return np.einsum("km,tkmc->tmc", phi, U[:, dofs, :])


def _evaluate_u0(u0_hat, xi: np.ndarray) -> np.ndarray:
    """û₀ at points (..., d), checked: shape (...), complex, no NaN or infinity."""
    values = np.asarray(u0_hat(xi), dtype=complex)
    if values.shape != xi.shape[:-1]:
        raise ValueError(
            f"u0_hat(xi) with xi of shape {xi.shape} must return shape {xi.shape[:-1]}, got "
            f"{values.shape}"
        )
    bad = ~np.isfinite(values)
    if bad.any():
        where = xi[bad][0]
        raise ValueError(
            f"u0_hat returned {int(bad.sum())} NaN or infinite value(s), e.g. at xi = "
            f"{where.tolist()}; the initial spectrum must be finite on the whole domain"
        )
    return values


def _domain(rho, domain, shape: str, support_tol: float) -> Domain:
    v.choice("shape", shape, SHAPES)
    if shape == "ball" and not is_isotropic(rho):
        raise ValueError(f"shape='ball' needs an isotropic ρ_w, and {rho!r} is not; use 'box'")
    if domain is None:
        return default_domain(rho, support_tol, shape)
    if isinstance(domain, Domain):
        if domain.dim != rho.dim:
            raise ValueError(f"domain is {domain.dim}-D but ρ_w lives in d = {rho.dim}")
        return domain
    return Domain(shape, v.positive("domain", domain), rho.dim)
