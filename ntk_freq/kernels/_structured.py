"""The kernel flow on a uniform grid without forming Θ(X, X): FFT mat-vecs and Lanczos.

On a uniform tensor grid x_i = a + h ⊙ i (i ∈ Π_k {0, …, n_k − 1}) the closed-form NTK of the
Fourier-feature network (docs/theory.md; :func:`ntk_freq.kernels.ff_ntk`) splits as

    Θ(x, x') = φ_w(x − x') (1 + σ_a² x·x')   ⇒   Θ = T + σ_a² Σ_k X_k T X_k,

with T_{ij} = φ_w(x_i − x_j) (block-)Toeplitz, because x_i − x_j = h ⊙ (i − j) depends on i − j
only, and X_k = diag(x_{i,k}) the k-th coordinate. The "readout" part is T, the "frequency"
part σ_a² Σ_k X_k T X_k. T u is a discrete convolution: embed φ_w at the lags
h ⊙ j, |j_k| ≤ n_k − 1, in a circulant of size ≥ 2n_k − 1 per axis and multiply by FFTs,
O(N log N) time and O(N) memory instead of the dense route's O(N²) memory and O(N³) time.

With loss weights q_i (Σ q_i = 1; q_i = 1/N is the mean loss) the kernel-regime operator is
K = Θ diag(q), similar to the symmetric B = Q^{1/2} Θ Q^{1/2} (Q = diag(q)) through
u ↦ Q^{1/2} u. Everything is computed from B:

- the flow u(t) = exp(−tK) u₀ = Q^{−1/2} exp(−tB) Q^{1/2} u₀ and the gradient-descent map
  u_k = (I − ηK)^k u₀ = Q^{−1/2} (I − ηB)^k Q^{1/2} u₀: one Lanczos run from v = Q^{1/2} u₀
  (full reorthogonalisation) gives f(B) v ≈ ‖v‖ V_m f(T_m) e₁ for every snapshot at once; it
  stops when, for every snapshot, the coefficients change by less than ``tol``·‖v‖ between
  checks (or the Krylov space is invariant: then it is exact);
- λ_max(B) by ARPACK's Lanczos (``eigsh``) from a fixed random start (not from u₀, which may be
  orthogonal to the top eigenvector: an even target on a symmetric grid never sees odd modes),
  hence the stability limit 2/λ_max of gradient descent.

:func:`kernel_operator` picks this route for a uniform tensor grid with at least
``STRUCTURED_MIN_POINTS`` points, and the dense eigendecomposition
(:class:`ntk_freq.kernels.KernelOperator`) otherwise (scattered points, small grids).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import scipy.fft
from scipy.sparse.linalg import LinearOperator, eigsh

from ntk_freq._util import validation as v
from ntk_freq.distributions._families import FrequencyDistribution
from ntk_freq.kernels._closed_form import ff_ntk
from ntk_freq.kernels._krylov import decay, lanczos_functions
from ntk_freq.kernels._operator import flow_integral_factor

#: Below this many points the dense eigendecomposition is as fast and exact; at and above it a
#: uniform grid takes the FFT route (benchmarks/bench_flow.py, one BLAS thread: dense 1.7×
#: faster at N = 160, structured 2.9× faster at N = 500).
STRUCTURED_MIN_POINTS = 256
#: Relative tolerance on a grid's coordinates (of the grid's extent): a point set within it of
#: a uniform tensor grid is treated as that grid.
GRID_RTOL = 1e-12


@dataclass(frozen=True)
class UniformGrid:
    """A point set that is a uniform tensor grid: ``origin`` a (d,), ``step`` h (d,), ``shape``
    n (d,), ``index`` (N,) the position of each point in the C-order flattening of the grid."""

    origin: np.ndarray
    step: np.ndarray
    shape: tuple
    index: np.ndarray


def uniform_grid(x, rtol: float = GRID_RTOL) -> UniformGrid | None:
    """The uniform tensor grid the points x (shape (N, d)) fill exactly once each, in any
    order, or None. Coordinates may deviate from a + h ⊙ i by ``rtol`` times the extent."""
    x = np.asarray(x, dtype=np.float64)
    n_points, dim = x.shape
    origin, step, shape, idx = np.empty(dim), np.ones(dim), [], np.empty((n_points, dim), np.int64)
    for k in range(dim):
        c = x[:, k]
        lo, hi = float(c.min()), float(c.max())
        n = np.unique(c).size
        tol = rtol * max(hi - lo, abs(lo), abs(hi), 1e-300)
        if n > 1:
            step[k] = (hi - lo) / (n - 1)
        origin[k] = lo
        i = np.rint((c - lo) / step[k])
        if np.max(np.abs(lo + step[k] * i - c)) > tol:
            return None
        shape.append(n)
        idx[:, k] = i
    if math.prod(shape) != n_points:
        return None
    flat = np.ravel_multi_index(idx.T, shape)
    if np.unique(flat).size != n_points:
        return None
    return UniformGrid(origin, step, tuple(shape), flat)


def _circulant_symbol(rho: FrequencyDistribution, grid: UniformGrid) -> tuple[np.ndarray, tuple]:
    """rfftn of φ_w at the lags h ⊙ j embedded in a circulant (size ≥ 2n_k − 1 per axis, lag j
    at position j mod L_k, unused positions 0). Real: φ_w(−z) = φ_w(z)."""
    sizes = tuple(scipy.fft.next_fast_len(2 * n - 1, real=True) for n in grid.shape)
    axes = []
    for n, size, h in zip(grid.shape, sizes, grid.step):
        j = np.arange(size)
        lag = np.where(j < n, j, j - size)  # positions n … size − n are unused
        axes.append((lag * h, np.abs(lag) <= n - 1))
    z = np.stack(np.meshgrid(*[a for a, _ in axes], indexing="ij"), axis=-1)
    d = len(axes)
    used = functools.reduce(np.logical_and, [m.reshape([-1 if i == k else 1 for i in range(d)])
                                             for k, (_, m) in enumerate(axes)])
    phi = np.where(used, rho.char_fn(z, validate=False), 0.0)
    return scipy.fft.rfftn(phi).real, sizes


class ToeplitzNTK:
    """Θ(X, X) (or one of its parts) on a uniform grid as an FFT mat-vec (module docstring).
    ``matvec(u)`` takes u of shape (N,) in the order of the original points."""

    def __init__(self, rho: FrequencyDistribution, sigma_a: float, part: str, x: np.ndarray,
                 grid: UniformGrid):
        v.instance("rho", rho, FrequencyDistribution, "a FrequencyDistribution (ntk_freq.distributions)")
        x = v.points("x", x, rho.dim)
        v.instance("grid", grid, UniformGrid, "a UniformGrid (ntk_freq.kernels.uniform_grid)")
        if len(grid.index) != x.shape[0] or len(grid.shape) != x.shape[1]:
            raise ValueError(f"grid (shape {grid.shape}) is not the grid of the {x.shape[0]} points x "
                             f"in d = {x.shape[1]}: pass uniform_grid(x)")
        self.grid, self.part, self.sigma_a = grid, part, sigma_a
        self.n = x.shape[0]
        self.symbol, self.sizes = _circulant_symbol(rho, grid)
        coords = np.empty_like(x)
        coords[grid.index] = x  # grid (C) order
        self.coords = coords.T.reshape((x.shape[1],) + grid.shape)

    def _toeplitz(self, u_grid: np.ndarray) -> np.ndarray:
        """T applied to a stack of grid arrays (..., *shape)."""
        d = len(self.grid.shape)
        axes = tuple(range(-d, 0))
        spec = scipy.fft.rfftn(u_grid, s=self.sizes, axes=axes) * self.symbol
        out = scipy.fft.irfftn(spec, s=self.sizes, axes=axes)
        return out[(...,) + tuple(slice(0, n) for n in self.grid.shape)]

    def matvec(self, u: np.ndarray) -> np.ndarray:
        g = np.empty(self.n)
        g[self.grid.index] = u
        g = g.reshape(self.grid.shape)
        if self.part == "readout":
            out = self._toeplitz(g)
        else:
            stack = self.coords * g if self.part == "frequency" else np.concatenate(
                [g[None], self.coords * g])
            t = self._toeplitz(stack)
            s2 = self.sigma_a**2
            frequency = s2 * np.sum(self.coords * t[-len(self.coords):], axis=0)
            out = frequency if self.part == "frequency" else t[0] + frequency
        return out.reshape(-1)[self.grid.index]


class StructuredKernelOperator:
    """The kernel-regime operator K = Θ(X, X) diag(q) on a uniform grid, with the interface of
    :class:`ntk_freq.kernels.KernelOperator` (``flow``, ``gd``, ``stability_limit``), computed
    by FFT mat-vecs and Lanczos (module docstring); q = 1/N without weights."""

    def __init__(self, theta: ToeplitzNTK, weights: np.ndarray | None = None):
        self.theta = v.instance("theta", theta, ToeplitzNTK, "a ToeplitzNTK (ntk_freq.kernels.ToeplitzNTK)")
        n = theta.n
        self.root_q = np.full(n, 1.0 / math.sqrt(n)) if weights is None else np.sqrt(weights)

    def apply(self, v: np.ndarray) -> np.ndarray:
        """B v = Q^{1/2} Θ Q^{1/2} v (symmetric, ⪰ 0)."""
        return self.root_q * self.theta.matvec(self.root_q * v)

    @functools.cached_property
    def lambda_max(self) -> float:
        """λ_max(B) = λ_max(Θ diag(q)) by ARPACK (relative accuracy ~1e-12)."""
        n = self.theta.n
        op = LinearOperator((n, n), matvec=self.apply, dtype=np.float64)
        start = np.random.default_rng(0).standard_normal(n)
        return float(eigsh(op, k=1, which="LA", v0=start, tol=1e-13,
                           ncv=min(n, 32))[0][0])

    @property
    def stability_limit(self) -> float:
        """The largest stable gradient-descent step 2/λ_max(Θ diag(q)) (2/λ_max(Θ/N))."""
        return 2.0 / self.lambda_max

    def _map(self, u0, functions) -> np.ndarray:
        """Q^{−1/2} f(B) Q^{1/2} u₀ for each f; complex u₀ by its real and imaginary parts."""
        u0 = np.asarray(u0)
        if u0.shape != (self.theta.n,):
            raise ValueError(f"u0 must have shape ({self.theta.n},) (one value per point), got {u0.shape}")
        parts = [u0.real] + ([u0.imag] if np.iscomplexobj(u0) else [])
        out = [lanczos_functions(self.apply, self.root_q * p, functions) / self.root_q for p in parts]
        return out[0] if len(out) == 1 else out[0] + 1j * out[1]

    def flow(self, u0, times) -> np.ndarray:
        """u(t) = exp(−tΘ diag(q)) u₀ at each flow time t, shape (T, N)."""
        t = v.finite_array("times", times).reshape(-1)
        if np.any(t < 0):
            raise ValueError(f"times must be >= 0, got min {t.min()}")
        return self._map(u0, [functools.partial(decay, s) for s in t])

    def integral(self, u0, times) -> np.ndarray:
        """∫₀ᵗ u(s) ds of the flow from u₀ at each flow time t, shape (T, N)
        (:meth:`ntk_freq.kernels.KernelOperator.integral`)."""
        t = np.asarray(times, dtype=np.float64).reshape(-1)
        return self._map(u0, [functools.partial(_integral_factor, s) for s in t])

    def gd(self, u0, eta: float, steps) -> np.ndarray:
        """u_k = (I − ηΘ diag(q))^k u₀ at each k in ``steps``, shape (T, N)."""
        eta = v.positive("eta", eta)
        k = np.asarray(steps).reshape(-1)
        if k.size and (np.any(k < 0) or np.any(k != np.rint(k))):
            raise ValueError(f"steps must be integers >= 0, got {k.tolist()[:8]}")
        return self._map(u0, [functools.partial(_gd_power, eta, int(s)) for s in k])


def _integral_factor(t: float, lam: np.ndarray) -> np.ndarray:
    """(1 − e^{−tλ})/λ of one time t (:func:`ntk_freq.kernels._operator.flow_integral_factor`)."""
    return flow_integral_factor(lam, [t])[0]


def _gd_power(eta: float, k: int, lam: np.ndarray) -> np.ndarray:
    return (1.0 - eta * np.clip(lam, 0.0, None)) ** k


def check_weights(weights, n: int) -> np.ndarray | None:
    """Loss weights q: None, or n finite numbers > 0 summing to 1 (the flow runs through
    Q^{±1/2}, as the dense route does)."""
    if weights is None:
        return None
    q = v.finite_array("weights", weights).reshape(-1)
    if q.shape != (n,) or np.any(q <= 0) or abs(q.sum() - 1) > 1e-9:
        raise ValueError(f"weights must be {n} numbers > 0 summing to 1, got shape {q.shape}, "
                         f"min {q.min() if q.size else 0:.3g}, sum {q.sum():.10g}")
    return q


def dense_bytes(n_points: int, dim: int) -> float:
    """Peak memory of the dense route: the pairwise kernel's work arrays ((d + 3) N² float64)
    and the eigendecomposition (Gram matrix, eigenvectors, LAPACK work: ~4 N²)."""
    n_points, dim = v.nonnegative_int("n_points", n_points), v.positive_int("dim", dim)
    return 8.0 * max(dim + 3, 4) * float(n_points) ** 2


def kernel_operator(rho: FrequencyDistribution, sigma_a: float, part: str, *, x, weights=None,
                    method: str = "auto"):
    """The kernel-regime operator Θ(X, X) diag(q) of the Fourier-feature NTK (``part`` "full",
    "readout" or "frequency") on the points x (shape (N, d), or (N,) in d = 1), with loss
    ``weights`` q (None: q = 1/N, the mean loss): an object with ``flow(u0, times)``,
    ``gd(u0, eta, steps)`` and ``stability_limit``.

    method "auto": the structured route (:class:`StructuredKernelOperator`, O(N log N) per
    mat-vec) when x is a uniform tensor grid with at least ``STRUCTURED_MIN_POINTS`` points,
    else the dense eigendecomposition (:class:`ntk_freq.kernels.KernelOperator`); "structured"
    (ValueError if x is not a uniform grid) or "dense" force one. The dense route needs
    ``dense_bytes`` (≈ 8 (d + 3) N² bytes; N = 20 000 in 1-D: 13 GiB) and O(N³) time (N = 4 000:
    ~10 s on 2 cores); it refuses (MemoryError) what does not fit, before any work."""
    from ntk_freq.kernels._operator import KernelOperator

    if not isinstance(rho, FrequencyDistribution):
        raise TypeError(f"rho must be a frequency distribution (ntk_freq.distribution), got {rho!r}")
    sigma_a = v.std("sigma_a", sigma_a)
    v.choice("part", part, v.PARTS)
    v.choice("method", method, ("auto", "structured", "dense"))
    x = v.point_list("x", x, rho.dim)
    q = check_weights(weights, x.shape[0])
    grid = uniform_grid(x) if method != "dense" else None
    if method == "structured" and grid is None:
        raise ValueError(f"method='structured' needs x on a uniform tensor grid (each point once); "
                         f"these {x.shape[0]} points are not one; use method='auto' or 'dense'")
    if grid is not None and (method == "structured" or x.shape[0] >= STRUCTURED_MIN_POINTS):
        return StructuredKernelOperator(ToeplitzNTK(rho, sigma_a, part, x, grid), q)
    v.fits_in_memory(f"the dense kernel flow on N = {x.shape[0]} points (Θ(X, X), its "
                     "eigenvectors and work arrays)", dense_bytes(x.shape[0], rho.dim))
    return KernelOperator.from_gram(ff_ntk(x, x, rho, sigma_a=sigma_a, part=part), q)
