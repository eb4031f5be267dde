"""The population a learning curve is about: the data density p as a quadrature, the kernel's
eigenpairs under p, the target's coefficients in them, and how to draw training sets.

The kernel's integral operator (T g)(x) = ∫ Θ(x, x') g(x') p(x') dx' is discretised by the
Nyström method on a quadrature (x_j, w_j) of p: the symmetric matrix A = W^{1/2} Θ(X, X) W^{1/2}
has eigenpairs (λ_i, u_i), λ_i → T's eigenvalues, and the eigenfunction φ_i (orthonormal in
L²(p)) takes the values φ_i(x_j) = u_i[j]/√w_j at the nodes. A function g is then expanded as
g_i = ⟨φ_i, g⟩_p = u_i · (√w g(x_j)), and ∫ g² p = Σ_i g_i² exactly on the nodes: the same
quadrature measures the test error of the Monte-Carlo route, so theory and Monte Carlo see one
population.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import linalg

from ntk_freq._util import validation as v
from ntk_freq._util.threads import blas_threads
from ntk_freq.generalisation._eigenlearning import RANK_RTOL, Eigenlearning, eigenlearning
from ntk_freq.kernels import sphere_multiplicity

#: At most this many quadrature nodes: the Nyström eigenproblem is a dense M × M eigh.
MAX_NODES = 8000
#: Nodes per axis for a box of half-width L and a kernel reaching |ξ| ≤ R: Gauss–Legendre
#: resolves e^{iξx} on [−L, L] from about ξL/2 nodes; the Nyström integrands reach 2R.
NODES_PER_REACH = 1.25
NODES_MARGIN = 24


@dataclass(frozen=True, eq=False)
class Population:
    """A data density with its kernel, target and spectrum (module docstring).

    Attributes:
        kernel: Θ(x1, x2) for points (n1, d), (n2, d) → (n1, n2).
        sample: ``sample(rng, n)`` → n independent draws x ~ p, (n, d), from a NumPy Generator.
        target: f*(x) for points (n, d) → (n,).
        x, w: the quadrature of p, nodes (M, d) and weights (M,) summing to 1: the test set.
        eigenvalues: (K,) λ_i descending (numerical null space set to 0).
        multiplicity: (K,) m_i.
        target_power: (K,) P_i, the target's power in each eigenspace.
        frequency: (K,) |ξ| of each mode, the angular frequency where its eigenfunction has the
            most amplitude (NaN where unknown).
        basis: (M, K) u_i (φ_i(x_j) = u_i[j]/√w_j), or None when the spectrum is known in
            closed form and not on the nodes (then no per-mode Monte Carlo).
        trace: ∫ Θ(x, x) p(x) dx by the quadrature; target_norm: ∫ f*² p dx.
        fresh_test: draw a new test set of the same size from p for every Monte-Carlo draw (an
            unbiased test error whose test-point noise averages out over draws), rather than
            the fixed quadrature (x, w).
        degree_power: on the sphere, ``degree_power(g, x)`` → the power of g in each degree
            0…kmax from its values at points x (None elsewhere).
        level: the reference density c̄ of the measured spectra (1/|D| for the uniform density
            on D; None: no per-frequency-band errors, :func:`ntk_freq.data.measured_spectrum`).
        description: what the population is, for records.
    """

    kernel: Callable
    sample: Callable
    target: Callable
    x: np.ndarray
    w: np.ndarray
    eigenvalues: np.ndarray
    multiplicity: np.ndarray
    target_power: np.ndarray
    frequency: np.ndarray
    basis: np.ndarray | None
    trace: float
    target_norm: float
    level: float | None = None
    description: str = ""
    fresh_test: bool = False
    degree_power: Callable | None = None

    @property
    def dim(self) -> int:
        return self.x.shape[1]

    @functools.cached_property
    def y(self) -> np.ndarray:
        """f* at the nodes (evaluated once: every Monte-Carlo draw reads it)."""
        return self.target(self.x)

    def coefficients(self, g) -> np.ndarray:
        """⟨φ_i, g⟩_p of functions given by their values at the nodes, (..., M) → (..., K)."""
        if self.basis is None:
            raise ValueError(f"{self.description}: its spectrum is not on the nodes (no basis)")
        return (np.asarray(g) * np.sqrt(self.w)) @ self.basis

    def band_power(self, edges) -> Callable:
        """``power(g, x)``: the power of functions g, given by their values (..., M) at test
        points x (M, d), in frequency bands |ξ| ∈ [e_b, e_{b+1}), (..., B); the bands sum to
        ∫ g² p dx as the test set measures it. On the sphere the frequency is the degree k and
        the bands are degree ranges (:func:`sphere_population`); on a quadrature they are
        Fourier bands (:func:`fourier_band_power`)."""
        edges = np.asarray(edges, dtype=np.float64)
        if edges.size == 2:
            return lambda g, x=None: (np.asarray(g) ** 2 @ self.w)[..., None]
        if self.degree_power is not None:
            return functools.partial(_degree_bands, edges=edges, degree_power=self.degree_power, w=self.w)
        if self.level is None:
            raise ValueError(f"{self.description}: per-band errors need the density's level c̄ "
                             "(nystrom(..., level=…)); use one band")
        return fourier_band_power(self.x, self.w, self.level, edges)

    def theory(self, n, *, ridge: float = 0.0, noise: float = 0.0) -> Eigenlearning:
        """:func:`ntk_freq.generalisation.eigenlearning` on this spectrum."""
        return eigenlearning(self.eigenvalues, self.target_power, n, multiplicity=self.multiplicity,
                             ridge=ridge, noise=noise, trace=self.trace, target_norm=self.target_norm)


def fourier_band_power(x: np.ndarray, w: np.ndarray, level: float, edges: np.ndarray) -> Callable:
    """The Fourier band powers on a fixed quadrature (x, w) of a density with level c̄:

        P_b(g) = (2π)^{−d} c̄⁻¹ ∫_{band b} |ĝ_p(ξ)|² dξ,   ĝ_p(ξ) = Σ_j w_j g(x_j) e^{−iξ·x_j},

    the band's share of ∫ g² p dx (Parseval, exact for a uniform density; for another density
    the split weighs x by p(x)/c̄, as :func:`ntk_freq.data.measured_spectrum` does). The last
    band (to ∞) is the rest of ∫ g² p dx, so the bands sum to it. The ξ integral is a
    trapezoid rule with step π/(4R), R the nodes' half-extent."""
    top, d = float(edges[-2]), x.shape[1]
    half = 0.5 * float(np.max(np.ptp(x, axis=0)))
    count = int(math.ceil(top / (np.pi / (4 * max(half, 1e-300))))) + 1
    axis = np.linspace(0.0, top, count)
    if d > 1:
        axis = np.concatenate([-axis[:0:-1], axis])
    xi = axis[:, None] if d == 1 else np.stack(np.meshgrid(*[axis] * d, indexing="ij"), -1).reshape(-1, d)
    v.fits_in_memory(f"the band transform ({xi.shape[0]} frequencies × {x.shape[0]} nodes)",
                     16.0 * xi.shape[0] * x.shape[0])
    trapezoid = np.full(axis.size, axis[1] - axis[0])
    trapezoid[[0, -1]] *= 0.5
    cell = trapezoid if d == 1 else np.prod(np.stack(np.meshgrid(*[trapezoid] * d, indexing="ij"), -1)
                                             .reshape(-1, d), axis=-1)
    radius = np.linalg.norm(xi, axis=-1)
    weight = cell * (2.0 if d == 1 else 1.0) / ((2 * np.pi) ** d * level)  # 1-D: ±ξ
    inside = np.stack([(radius >= a) & ((radius < b) | (b == top) & (radius <= b))
                       for a, b in zip(edges[:-2], edges[1:-1])], -1)
    B = weight[:, None] * inside  # (Ξ, B−1)
    E = np.exp(-1j * (xi @ x.T)) * w[None, :]  # (Ξ, M)

    def power(g, at=None):
        if at is not None and at is not x:
            raise ValueError("Fourier band powers are for the population's own quadrature nodes")
        g = np.asarray(g, dtype=np.float64)
        lower = np.abs(g @ E.T) ** 2 @ B
        return np.concatenate([lower, (g**2 @ w)[..., None] - lower.sum(-1, keepdims=True)], -1)

    return power


def _degree_bands(g, x, *, edges: np.ndarray, degree_power: Callable, w: np.ndarray) -> np.ndarray:
    """Band powers from per-degree powers (the last band is the rest of the mean square)."""
    g = np.asarray(g, dtype=np.float64)
    per_degree = degree_power(g, x)                       # (..., kmax + 1)
    k = np.arange(per_degree.shape[-1])
    lower = np.stack([per_degree[..., (k >= a) & (k < b)].sum(-1)
                      for a, b in zip(edges[:-2], edges[1:-1])], -1)
    return np.concatenate([lower, (g**2 @ w)[..., None] - lower.sum(-1, keepdims=True)], -1)


def _weighted_frequency(U: np.ndarray, x: np.ndarray, w: np.ndarray, reach: float) -> np.ndarray:
    """|ξ| maximising |Σ_j w_j φ_i(x_j) e^{−iξ·x_j}| over a grid of ξ up to ``reach`` (per axis
    in d ≥ 2): the dominant frequency of each eigenfunction on a non-uniform quadrature."""
    d = x.shape[1]
    per_axis = max(8, int(math.ceil(reach * np.ptp(x, axis=0).max() / np.pi)) * 2 + 1)
    axis = np.linspace(0.0 if d == 1 else -reach, reach, per_axis if d > 1 else 2 * per_axis)
    xi = axis[:, None] if d == 1 else np.stack(np.meshgrid(*[axis] * d, indexing="ij"), -1).reshape(-1, d)
    v.fits_in_memory("the dominant-frequency transform of the eigenfunctions",
                     16.0 * xi.shape[0] * (x.shape[0] + U.shape[1]))
    E = np.exp(-1j * (xi @ x.T)) * np.sqrt(w)[None, :]  # (Ξ, M): φ_i(x_j) w_j = u_i[j] √w_j
    with blas_threads():
        amplitude = np.abs(E @ U)
    return np.linalg.norm(xi[np.argmax(amplitude, axis=0)], axis=-1)


def nystrom(kernel: Callable, nodes, weights, *, sample: Callable, target: Callable,
            reach: float | None = None, level: float | None = None,
            description: str = "") -> Population:
    """The population of a kernel on a quadrature (nodes, weights) of the data density.

    Args:
        kernel: Θ(x1, x2), points (n, d) → Gram (n1, n2).
        nodes: (M, d) quadrature nodes of p (M ≤ ``MAX_NODES``); weights: (M,) ≥ 0, summing to 1.
        sample: ``sample(rng, n)`` → (n, d) draws from p (NumPy Generator).
        target: f*(x), (n, d) → (n,).
        reach: the largest angular frequency to look for in the eigenfunctions (None: no
            frequencies, NaN).
        level: the reference density c̄ for per-band errors (:class:`Population`).

    Returns:
        :class:`Population` with one mode per node (multiplicity 1); its trace is the sum of
        the eigenvalues (the discrete operator has no other modes: ∫ Θ(x, x) p by the quadrature,
        less the rounding-level modes counted as 0).
    """
    x = v.finite_array("nodes", nodes)
    x = x[:, None] if x.ndim == 1 else x
    w = v.finite_array("weights", weights).reshape(-1)
    if x.ndim != 2 or w.shape[0] != x.shape[0]:
        raise ValueError(f"nodes (M, d) and weights (M,) must agree, got {x.shape} and {w.shape}")
    if x.shape[0] > MAX_NODES:
        raise MemoryError(f"{x.shape[0]} quadrature nodes: the Nyström eigenproblem (dense, "
                          f"{8 * x.shape[0] ** 2 / 2**30:.1f} GiB) is capped at {MAX_NODES} nodes; "
                          "use fewer nodes")
    if np.any(w < 0) or abs(w.sum() - 1) > 1e-9:
        raise ValueError(f"weights must be >= 0 and sum to 1 (a probability quadrature), got sum {w.sum():.10g}")
    s = np.sqrt(w)
    K = np.asarray(kernel(x, x), dtype=np.float64)
    y = np.asarray(target(x), dtype=np.float64).reshape(-1)
    with blas_threads():
        lam, U = linalg.eigh(s[:, None] * K * s[None, :])
    lam, U = lam[::-1], U[:, ::-1]
    lam = np.where(lam < RANK_RTOL * lam.size * max(lam[0], 0.0), 0.0, lam)
    coefficients = (s * y) @ U
    frequency = np.full(lam.size, np.nan) if reach is None else _weighted_frequency(U, x, w, reach)
    return Population(kernel=kernel, sample=sample, target=target, x=x, w=w, eigenvalues=lam,
                      multiplicity=np.ones(lam.size, dtype=np.int64), target_power=coefficients**2,
                      frequency=frequency, basis=U, trace=float(lam.sum()),
                      target_norm=float(w @ y**2), level=level, description=description)


def _draws(p) -> Callable:
    """``sample(rng, n)`` for a data density: inverse transform of uniform draws per axis."""
    factors = getattr(p, "factors", (p,))

    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        u = rng.uniform(1e-16, 1 - 1e-16, size=(len(factors), n))
        return np.stack([np.asarray(f.ppf(ui), dtype=np.float64) for f, ui in zip(factors, u)], axis=-1)

    return sample


def kernel_reach(problem) -> float:
    """The largest angular frequency in the problem's kernel and target (the network's
    ``kernel_reach``)."""
    return problem.network.kernel_reach(problem.rho_w, problem.xi_top)


def default_nodes(problem) -> int:
    """Quadrature nodes per axis for a problem's population (``NODES_PER_REACH`` · R · L +
    ``NODES_MARGIN``, at least the problem's ``n_points``)."""
    p = problem_density(problem)
    half = 0.5 * float(np.max(np.diff(p.bounds, axis=1))) if np.all(np.isfinite(p.bounds)) \
        else problem.half_width
    return max(problem.n_points, int(math.ceil(NODES_PER_REACH * kernel_reach(problem) * half)) + NODES_MARGIN)


def problem_density(problem):
    """The problem's data density p: its ``data``, or the uniform density on [−L, L]^d."""
    from ntk_freq.data import data_density
    from ntk_freq.problem import Problem

    v.instance("problem", problem, Problem, "a Problem (ntk_freq.Problem)")

    return data_density(problem.data if problem.data is not None else f"box:{problem.half_width:.17g}",
                        problem.dim)


def problem_population(problem, *, nodes: int | None = None) -> Population:
    """The population of a :class:`ntk_freq.Problem`: its data density (``data``, or uniform on
    [−L, L]^d), its network's NTK under ρ_w and its target, on a quadrature of ``nodes`` per axis
    (None: :func:`default_nodes`, enough for the kernel's frequency reach).

    Examples:
        >>> import ntk_freq as nf
        >>> from ntk_freq.generalisation import problem_population
        >>> pop = problem_population(nf.Problem(), nodes=200)
        >>> pop.x.shape, round(float(pop.eigenvalues.sum() / pop.trace), 6)
        ((200, 1), 1.0)
    """
    p = problem_density(problem)
    per_axis = default_nodes(problem) if nodes is None else v.positive_int("nodes", nodes)
    total = per_axis**problem.dim
    if total > MAX_NODES:
        raise MemoryError(f"the population of this problem needs {per_axis} quadrature nodes per axis "
                          f"({total} in d = {problem.dim}), above the dense Nyström cap of {MAX_NODES}; "
                          "use a smaller domain, a narrower ρ_w or fewer nodes (nodes=…)")
    with blas_threads():  # Gauss–Legendre nodes come from an eigenproblem too
        x, w = p.quadrature(total)
    x = x[:, None] if x.ndim == 1 else x
    w = w / w.sum()
    rho, network = problem.rho_w, problem.network

    def kernel(x1, x2):
        return network.ntk(x1, x2, rho)

    def target(points):
        return problem.target_fn(points)

    return nystrom(kernel, x, w, sample=_draws(p), target=target, reach=kernel_reach(problem), level=p.level,
                   description=f"{p.spec} ({x.shape[0]} nodes), {type(network).__name__}, ρ_w = {problem.rho_name}")


#: Funk–Hecke eigenvalues below QUADRATURE_RTOL · κ(1) are the quadrature's rounding (a sum of a
#: few hundred terms of size κ(1)): set to 0, so that modes a kernel cannot learn (odd degrees ≥ 3
#: of a bias-free ReLU NTK) have λ = 0 exactly.
QUADRATURE_RTOL = 1e-13
#: Largest relative uncertainty (split-half) of an estimated target power before a warning.
POWER_RTOL = 0.01


class TargetPowerWarning(UserWarning):
    """The target's power per degree, estimated from the test points, is uncertain."""


def uniform_sphere(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    """n independent uniform points on S^{dim−1} (normalised Gaussians), (n, dim)."""
    v.instance("rng", rng, np.random.Generator, "a numpy Generator (np.random.default_rng)")
    z = rng.standard_normal((v.nonnegative_int("n", n), v.positive_int("dim", dim)))
    return z / np.linalg.norm(z, axis=1, keepdims=True)


def _degree_power(y: np.ndarray, x: np.ndarray, dim: int, kmax: int) -> np.ndarray:
    """The power of functions in each degree k ≤ kmax from their values y (..., M) at M uniform
    points x, by the unbiased U-statistic N(d,k)/(M(M−1)) Σ_{j≠l} y_j y_l P_k(x_j·x_l)
    (P_k(1) = 1); (..., kmax + 1). Unbiased, so single values may be slightly negative."""
    from scipy import special

    y = np.asarray(y, dtype=np.float64)
    M = y.shape[-1]
    t = np.clip(x @ x.T, -1.0, 1.0)
    np.fill_diagonal(t, np.nan)
    out = np.empty(y.shape[:-1] + (kmax + 1,))
    for k in range(kmax + 1):
        if dim == 2:
            P = np.cos(k * np.arccos(t))
        else:
            alpha = (dim - 2) / 2
            P = special.eval_gegenbauer(k, alpha, t) / special.eval_gegenbauer(k, alpha, 1.0)
        np.fill_diagonal(P, 0.0)
        out[..., k] = sphere_multiplicity(dim, k) * np.einsum("...j,jl,...l->...", y, P, y) / (M * (M - 1))
    return out


def sphere_population(kernel: Callable, dim: int, target: Callable, *, kmax: int,
                      test_points: int = 2000, target_power=None, seed: int = 0) -> Population:
    """The population of a dot-product kernel κ(x·x') on the sphere S^{dim−1} under the uniform
    density: eigenvalues per degree k by Funk–Hecke (:func:`ntk_freq.kernels.sphere_spectrum`)
    with multiplicity N(d, k), and ``test_points`` uniform points (seeded) as the test set.

    Args:
        kernel: κ as a kernel of points, (n1, dim), (n2, dim) → (n1, n2) (e.g. the ReLU NTK
            ``lambda a, b: ntk_freq.kernels.two_layer_ntk(a, b, "relu")``, or an FF kernel with an
            isotropic ρ_w, a function of x − x' and x·x' only).
        dim: d, the ambient dimension (2: the circle).
        target: f*(x), (n, dim) → (n,).
        kmax: the highest degree in the spectrum; the eigenvalue mass beyond it is reported
            (``missing_mass`` of the theory: κ(1) − Σ_k N(d,k) λ_k).
        test_points: M uniform test points, drawn afresh for each Monte-Carlo draw (the test
            error is their mean, unbiased for ∫ (f − f*)²; in high dimension one fixed set would
            bias every draw alike: its feature covariance is off by about √(modes/M)).
        target_power: P_k per degree 0…kmax if known exactly (e.g. a polynomial target), else
            estimated from the target's values at the test points (unbiased U-statistic; a
            :class:`TargetPowerWarning` when its split-half spread exceeds 1 % of the norm, as it
            does for M = 2000 points in d = 10: give it exactly there).
        seed: seed of the test points.

    Returns:
        :class:`Population` with ``frequency`` = the degree k of each mode and no basis (per-mode
        Monte Carlo is not available; one frequency band).
    """
    from ntk_freq.kernels import sphere_spectrum

    d = v.positive_int("dim", dim)
    if d < 2:
        raise ValueError(f"dim must be >= 2 (the circle is dim = 2), got {dim}")
    kmax = v.nonnegative_int("kmax", kmax)
    M = v.positive_int("test_points", test_points)
    if M < 2:
        raise ValueError("test_points must be >= 2")
    v.fits_in_memory(f"the sphere population's {M} test points", 8.0 * 3 * M * M)
    x = uniform_sphere(np.random.default_rng([v.nonnegative_int("seed", seed), 7]), M, d)
    e = np.zeros((1, d))
    e[0, 0] = 1.0
    trace = float(np.asarray(kernel(e, e)).reshape(-1)[0])
    lam = sphere_spectrum(kernel, d, kmax)
    lam = np.where(lam < QUADRATURE_RTOL * trace, 0.0, lam)  # Funk–Hecke's rounding: exact zeros
    y = np.asarray(target(x), dtype=np.float64).reshape(-1)
    if target_power is None:
        P = np.clip(_degree_power(y, x, d, kmax), 0.0, None)
        half = M // 2
        spread = np.abs(_degree_power(y[:half], x[:half], d, kmax) - _degree_power(y[half:], x[half:], d, kmax))
        norm = float(np.mean(y**2))
        if spread.sum() / 2 > POWER_RTOL * norm:
            warnings.warn(f"the target's power per degree, estimated from {M} points, is uncertain by "
                          f"about {spread.sum() / 2 / norm:.1%} of its norm (split-half); give "
                          "target_power exactly or more test_points", TargetPowerWarning, stacklevel=2)
    else:
        P = v.finite_array("target_power", target_power).reshape(-1)
        if P.shape != (kmax + 1,) or np.any(P < 0):
            raise ValueError(f"target_power must be kmax + 1 = {kmax + 1} numbers >= 0, got {P.shape}")
        norm = float(P.sum())

    def sample(rng, n):
        return uniform_sphere(rng, n, d)

    return Population(kernel=kernel, sample=sample, target=target, x=x, w=np.full(M, 1.0 / M),
                      eigenvalues=lam, multiplicity=sphere_multiplicity(d, np.arange(kmax + 1)),
                      target_power=P, frequency=np.arange(kmax + 1, dtype=float), basis=None,
                      trace=trace, target_norm=norm, fresh_test=True,
                      degree_power=functools.partial(_degree_power, dim=d, kmax=kmax),
                      description=f"uniform on S^{d - 1} ({M} fresh test points per draw), degrees ≤ {kmax}")
