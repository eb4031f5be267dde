"""Kernel eigenspectra (docs/theory.md, "Kernel eigenspectra").

Training in the kernel regime is ∂_t u = −T_K u with (T_K g)(x) = ∫ Θ(x, x') g(x') p(x') dx';
the eigenvalues of T_K are the per-mode learning rates. Four routes:

- :func:`gram_spectrum`: eigenvalues of Θ(X, X)/N on N data points (the discrete operator);
- :func:`nystrom_spectrum`: eigenvalues of W^{1/2} Θ(X, X) W^{1/2} for quadrature nodes X and
  weights W of the data density p (converges to T_K's spectrum); :func:`box_quadrature` gives
  Gauss–Legendre nodes and weights for a uniform density on a box;
- :func:`periodic_spectrum`: stationary kernels on a periodic box of side P, by Bochner's theorem
  λ_k = (2π/P)^d ρ̄_w(2πk/P) for the Fourier mode k ∈ Z^d (a cos/sin pair);
- :func:`sphere_spectrum`: dot-product kernels on S^{d−1} by Funk–Hecke quadrature.

:func:`fit_decay` fits the decay law of eigenvalue vs frequency.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import linalg, special

from ntk_freq._util import validation as v
from ntk_freq._util.quadrature import gauss_legendre
from ntk_freq._util.threads import blas_threads
from ntk_freq.distributions._families import FrequencyDistribution


@dataclass(frozen=True)
class Spectrum:
    """Eigenvalues against the frequency of their eigenfunctions.

    ``frequency``: angular frequency vectors ξ_k, shape (n, d); ``eigenvalue``: shape (n,);
    ``multiplicity``: how many eigenfunctions share each value (2 for a cos/sin pair);
    ``densities``: for a deep FF-NN (:func:`periodic_spectrum` with ``network``), the effective
    densities at the frequencies, {"rho_alpha": ρ_α(ξ_k), "rho_D": ρ_D(ξ_k), "atom": κ(0),
    "error": their estimated largest absolute errors}."""

    frequency: np.ndarray
    eigenvalue: np.ndarray
    multiplicity: np.ndarray
    densities: dict | None = None

    @property
    def radius(self) -> np.ndarray:
        """|ξ_k|, for plotting eigenvalue against frequency."""
        return np.linalg.norm(self.frequency, axis=-1)

    def expanded(self) -> np.ndarray:
        """All eigenvalues, each repeated by its multiplicity, in descending order."""
        return np.sort(np.repeat(self.eigenvalue, self.multiplicity))[::-1]


def gram_spectrum(theta_gram, vectors: bool = False):
    """Eigenvalues of Θ(X, X)/N in descending order (and the eigenvectors as columns if
    ``vectors``): the learning rates of gradient flow on the mean loss over the N points."""
    K = v.finite_array("theta_gram", theta_gram)
    if K.ndim != 2 or K.shape[0] != K.shape[1]:
        raise ValueError(f"theta_gram must be a square (N, N) matrix, got shape {K.shape}")
    if not np.allclose(K, K.T, rtol=1e-10, atol=1e-12 * np.abs(K).max()):
        raise ValueError("theta_gram is not symmetric; a kernel Gram matrix must be")
    with blas_threads():  # dense LAPACK: as many threads as idle cores (ntk_freq/_threads.py)
        lam, V = linalg.eigh(K / K.shape[0])
    order = np.argsort(lam)[::-1]
    return (lam[order], V[:, order]) if vectors else lam[order]


def box_quadrature(lower, upper, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Tensor Gauss–Legendre nodes (n per axis, shape (n^d, d)) and weights summing to 1: the
    quadrature of the uniform data density p = 1/|D| on the box D = Π [lower_i, upper_i]."""
    lo, hi = np.atleast_1d(v.finite_array("lower", lower)), np.atleast_1d(v.finite_array("upper", upper))
    if lo.shape != hi.shape or np.any(hi <= lo):
        raise ValueError(f"the box needs lower < upper on every axis, got {lo} and {hi}")
    n = v.positive_int("n", n)
    t, w = gauss_legendre(n, "the Gauss–Legendre rule of box_quadrature")
    axes = [0.5 * (a + b) + 0.5 * (b - a) * t for a, b in zip(lo, hi)]
    nodes = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, lo.size)
    weights = np.prod(np.stack(np.meshgrid(*[w / 2] * lo.size, indexing="ij"), -1), -1).ravel()
    return nodes, weights


def nystrom_spectrum(kernel_fn: Callable, nodes, weights, *, vectors: bool = False):
    """Nyström eigenvalues of T_K: those of W^{1/2} Θ(X, X) W^{1/2} for quadrature nodes X
    (shape (n, d)) and weights W of the data density (summing to 1 for a probability density),
    descending. With ``vectors``, also the eigenfunctions' values at the nodes, W^{-1/2} U."""
    X = v.finite_array("nodes", nodes)
    w = v.finite_array("weights", weights)
    if w.ndim != 1 or w.size != X.shape[0] or np.any(w <= 0):
        raise ValueError(f"weights must be {X.shape[0]} positive numbers, one per node")
    v.fits_in_memory("the Nyström matrix", 8.0 * 4 * w.size**2)
    sw = np.sqrt(w)
    with blas_threads():
        lam, U = linalg.eigh(sw[:, None] * np.asarray(kernel_fn(X, X)) * sw[None, :])
    order = np.argsort(lam)[::-1]
    return (lam[order], U[:, order] / sw[:, None]) if vectors else lam[order]


def half_lattice(kmax: int, dim: int) -> np.ndarray:
    """One representative of each pair ±k of Z^d with ‖k‖_∞ ≤ kmax (first nonzero entry > 0),
    k = 0 first, then by ‖k‖_1 and lexicographically descending: the index set of the real
    Fourier modes (cos, sin) of a periodic box."""
    count = (2 * kmax + 1) ** dim
    v.fits_in_memory(f"the {count:.3g} lattice modes of kmax = {kmax} in d = {dim}", 8.0 * count * (dim + 3))
    axis = np.arange(-kmax, kmax + 1)
    k = np.stack(np.meshgrid(*[axis] * dim, indexing="ij"), axis=-1).reshape(-1, dim)
    nonzero = k != 0
    first = np.argmax(nonzero, axis=1)
    keep = ~nonzero.any(axis=1) | (k[np.arange(len(k)), first] > 0)
    k = k[keep]
    order = np.lexsort(tuple((-k).T[::-1]) + (np.abs(k).sum(axis=1),))
    return k[order]


def periodic_spectrum(rho: FrequencyDistribution, period: float, kmax: int,
                      *, n_points: int | None = None, network: dict | None = None) -> Spectrum:
    """Bochner spectrum of the stationary kernel φ_w(x − x') on the periodic box [0, P)^d with the
    uniform density p = P^{−d}: mode k has frequency ξ_k = 2πk/P and eigenvalue

        λ_k = (2π/P)^d ρ̄_w(2πk/P)

    (the readout part of the FF-NN kernel, periodised). With ``n_points`` = n per axis, the
    eigenvalues of the Gram matrix Θ/N on the uniform n^d grid are returned instead: the aliased
    sum (2π/P)^d Σ_{j ∈ Z^d} ρ̄_w(2π(k + n j)/P), truncated where ρ_w's tail is below 1e-14 (or
    at 10⁵ images for heavy tails). k runs over :func:`half_lattice`, multiplicity 2 but for k=0
    (and for the Nyquist modes k_i = n/2, which are real).

    ``network``: a deep FF-NN (:func:`ntk_freq._nn.models.ff_mlp_network`), given by the keywords
    of :func:`ntk_freq.kernels.ff_mlp_ntk` (hidden, activation, w_std, b_std; d = 1, operator
    level only). Its NTK's stationary part κ(φ_w(x − x')) (all of it with W frozen) has, by
    Bochner, λ_k = (2π/P) ρ_α(ξ_k) = c 2π ρ_α(ξ_k) (c = 1/P) and, for k = 0, the atom κ(0)
    added; the result's ``densities`` holds ρ_α and ρ_D (the W-trained term's diffusion
    density, a non-stationary part that is not among these eigenvalues) at ξ_k
    (:func:`ntk_freq.kernels.effective_densities`)."""
    if not isinstance(rho, FrequencyDistribution):
        raise TypeError(f"rho must be a frequency distribution, got {rho!r}")
    P = v.scale("period", period)
    kmax = v.nonnegative_int("kmax", kmax)
    d = rho.dim
    if network is not None:
        return _deep_periodic_spectrum(rho, P, kmax, n_points, network)
    k = half_lattice(kmax, d)
    xi = 2 * np.pi * k / P
    if n_points is None:
        lam = (2 * np.pi / P) ** d * rho.symmetrised_pdf(xi)
        mult = np.where(np.any(k != 0, axis=1), 2, 1)
        return Spectrum(xi, lam, mult)
    n = v.positive_int("n_points", n_points)
    if 2 * kmax > n:
        raise ValueError(f"kmax = {kmax} exceeds the Nyquist index n_points/2 = {n / 2}")
    k = _distinct_grid_modes(k, n)
    xi = 2 * np.pi * k / P
    reach = rho.support_radius(1e-14) * P / (2 * np.pi * n)
    J = int(min(math.ceil(reach) + 1, max(1, int(1e5 ** (1 / d)))))
    v.affordable("the aliased Gram spectrum", len(k) * (2 * J + 1) ** d * 30,
                 "lower kmax or drop n_points for the operator spectrum")
    images = np.array(list(itertools.product(range(-J, J + 1), repeat=d)))  # (n_img, d)
    xi_images = 2 * np.pi * (k[:, None, :] + n * images[None, :, :]) / P  # (K, n_img, d)
    lam = (2 * np.pi / P) ** d * rho.symmetrised_pdf(xi_images.reshape(-1, d)).reshape(
        len(k), len(images)).sum(axis=1)
    real_modes = np.all((k == 0) | (2 * k == n), axis=1)
    return Spectrum(xi, lam, np.where(real_modes, 1, 2))


def _deep_periodic_spectrum(rho, P: float, kmax: int, n_points, network) -> Spectrum:
    """The deep branch of :func:`periodic_spectrum` (its docstring)."""
    from ntk_freq.kernels._deep import effective_densities

    if not isinstance(network, dict):
        raise TypeError(f"network must be a dict of ff_mlp_ntk keywords (hidden, activation, "
                        f"w_std, b_std), got {network!r}")
    unknown = set(network) - {"hidden", "activation", "w_std", "b_std"}
    if unknown:
        raise ValueError(f"network keys must be among ['activation', 'b_std', 'hidden', 'w_std'] "
                         f"(train_frequencies does not change the stationary part), got {sorted(unknown)}")
    if rho.dim != 1 or n_points is not None:
        raise ValueError(f"a deep network's periodic spectrum is for d = 1 at operator level "
                         f"(n_points=None); got d = {rho.dim}, n_points = {n_points!r}")
    xi = 2 * np.pi * np.arange(kmax + 1.0) / P
    eff = effective_densities(rho, xi, train_frequencies=True, **network)
    lam = (2 * np.pi / P) * eff.alpha
    lam[0] += eff.atom
    return Spectrum(xi[:, None], lam, np.where(xi > 0, 2, 1),
                    {"rho_alpha": eff.alpha, "rho_D": eff.D, "atom": eff.atom, "error": eff.error})


def _distinct_grid_modes(k: np.ndarray, n: int) -> np.ndarray:
    """Keep one k of each class {±k mod n}: on an n-point grid per axis, k and k + n j are the
    same mode, so at the Nyquist index (k_i = ±n/2) the half lattice names some modes twice."""
    plus, minus = k % n, -k % n
    differ = plus != minus
    first = np.argmax(differ, axis=1)  # the first axis where the two residues differ
    rows = np.arange(len(k))
    take_minus = differ.any(axis=1) & (minus[rows, first] < plus[rows, first])
    key = np.where(take_minus[:, None], minus, plus)  # the lexicographically smaller residue
    _, keep = np.unique(key, axis=0, return_index=True)
    return k[np.sort(keep)]


def sphere_multiplicity(dim: int, k) -> np.ndarray:
    """N(d, k): the number of degree-k spherical harmonics on S^{d−1} (1, then 2 on the circle)."""
    k = np.asarray(k, dtype=np.int64)
    if dim == 2:
        return np.where(k == 0, 1, 2)
    return np.array([math.comb(int(j) + dim - 1, dim - 1) - (math.comb(int(j) + dim - 3, dim - 1) if j >= 2 else 0)
                     for j in np.ravel(k)], dtype=np.int64).reshape(k.shape)


def sphere_spectrum(kernel_fn: Callable, dim: int, kmax: int, *, n_quad: int | None = None) -> np.ndarray:
    """Eigenvalues λ_0 … λ_kmax of a dot-product kernel κ(x·x') on the sphere S^{dim−1} with the
    uniform probability measure, one per degree k (multiplicity not repeated), by Funk–Hecke:

        λ_k = Γ(d/2)/(√π Γ((d−1)/2)) ∫_0^π κ(cos θ) P_k(cos θ) sin^{d−2}θ dθ,

    P_k the Gegenbauer polynomial C_k^{(d−2)/2} normalised to P_k(1) = 1 (cos kθ on the circle).
    Each λ_k belongs to the N(d, k) harmonics of degree k (:func:`sphere_multiplicity`).
    ``kernel_fn(x1, x2)`` takes point arrays (n, dim) and returns the (n1, n2) kernel matrix;
    the integral is Gauss–Legendre in θ with ``n_quad`` nodes (default 2·kmax + 200), which
    converges fast for kernels smooth in θ (the arc-cosine/ReLU kernels are)."""
    d = v.positive_int("dim", dim)
    if d < 2:
        raise ValueError(f"dim must be >= 2 (the circle S^1 is dim = 2), got {dim}")
    kmax = v.nonnegative_int("kmax", kmax)
    n = v.positive_int("n_quad", n_quad) if n_quad is not None else 2 * kmax + 200
    v.fits_in_memory("the Gegenbauer table of sphere_spectrum", 8.0 * 3 * (kmax + 1) * n)
    s, w = gauss_legendre(n, "the Funk–Hecke quadrature of sphere_spectrum")
    theta = 0.5 * np.pi * (s + 1)
    w = 0.5 * np.pi * w
    e1 = np.zeros((1, d))
    e1[0, 0] = 1.0
    pts = np.zeros((n, d))
    pts[:, 0], pts[:, 1] = np.cos(theta), np.sin(theta)
    kappa = np.asarray(kernel_fn(e1, pts), dtype=np.float64).reshape(-1)
    if kappa.shape != (n,) or not np.all(np.isfinite(kappa)):
        raise ValueError("kernel_fn(x1, x2) must return a finite (n1, n2) matrix")
    degrees = np.arange(kmax + 1)
    t = np.cos(theta)
    if d == 2:
        P = np.cos(np.outer(degrees, theta))
    else:
        alpha = (d - 2) / 2
        norm = np.exp(special.gammaln(degrees + 2 * alpha) - special.gammaln(2 * alpha)
                      - special.gammaln(degrees + 1))
        P = special.eval_gegenbauer(degrees[:, None], alpha, t[None, :]) / norm[:, None]
    c = math.exp(special.gammaln(d / 2) - special.gammaln((d - 1) / 2)) / math.sqrt(math.pi)
    return c * P @ (w * kappa * np.sin(theta) ** (d - 2))


@dataclass(frozen=True)
class DecayFit:
    """A fitted decay law of eigenvalue λ against frequency f (or degree k):

    "power":       λ ≈ C f^{exponent}        (exponent < 0 for decay)
    "exponential": λ ≈ C exp(−rate f^q)

    fitted by least squares on log λ over the modes with f ≥ ``f_min`` (the lowest frequency
    used); ``rms_log_residual`` says how well the law fits."""

    law: str
    prefactor: float
    exponent: float | None
    rate: float | None
    q: float
    rms_log_residual: float
    f_min: float = 0.0

    def __call__(self, f) -> np.ndarray:
        f = np.asarray(f, dtype=float)
        if self.law == "power":
            return self.prefactor * f**self.exponent
        return self.prefactor * np.exp(-self.rate * f**self.q)


DECAY_LAWS = ("power", "exponential", "auto")


def fit_decay(frequency, eigenvalue, law: str = "power", *, q: float = 1.0,
              rel_floor: float = 1e-12, f_min: float = 0.0) -> DecayFit:
    """Fit λ(f) by ``law`` ("power", "exponential" with power ``q``, or "auto": the best of
    power, exponential q = 1 and q = 2 by residual) over the points with f > max(0, f_min)
    and λ > rel_floor · max λ over all points (numerically zero eigenvalues, such as the ReLU
    kernel's odd degrees, are left out). Needs at least 3 such points."""
    f = v.finite_array("frequency", frequency).reshape(-1)
    lam = v.finite_array("eigenvalue", eigenvalue).reshape(-1)
    if f.shape != lam.shape:
        raise ValueError(f"frequency and eigenvalue differ in length: {f.size} vs {lam.size}")
    v.choice("law", law, DECAY_LAWS)
    q = v.positive("q", q)
    if law == "auto":
        fits = [fit_decay(f, lam, "power", q=1.0, rel_floor=rel_floor, f_min=f_min)]
        fits += [fit_decay(f, lam, "exponential", q=qq, rel_floor=rel_floor, f_min=f_min) for qq in (1.0, 2.0)]
        return min(fits, key=lambda fit: fit.rms_log_residual)
    keep = (f > max(0.0, f_min)) & (lam > rel_floor * np.max(np.abs(lam)))
    if keep.sum() < 3:
        raise ValueError(
            f"fit_decay needs >= 3 points with f > 0 and λ above {rel_floor:g}·max λ, got {keep.sum()}"
        )
    x = np.log(f[keep]) if law == "power" else f[keep] ** q
    slope, intercept = np.polyfit(x, np.log(lam[keep]), 1)
    resid = np.log(lam[keep]) - (slope * x + intercept)
    rms = float(np.sqrt(np.mean(resid**2)))
    lowest = float(f[keep].min())
    if law == "power":
        return DecayFit("power", math.exp(intercept), float(slope), None, q, rms, lowest)
    return DecayFit("exponential", math.exp(intercept), None, float(-slope), q, rms, lowest)


def dominant_frequency(vectors, x) -> np.ndarray:
    """The angular frequency at which each eigenvector (columns of ``vectors``, sampled on the
    uniform 1-D grid ``x``) has most of its Fourier amplitude: 2πk/L with L = N Δx."""
    x = v.finite_array("x", x).reshape(-1)
    V = v.finite_array("vectors", vectors)
    if V.ndim != 2 or x.size < 2 or V.shape[0] != x.size:
        raise ValueError(f"vectors must have shape (N, K) on x of N >= 2 points, got {V.shape} "
                         f"and {x.size} points")
    L = x.size * (x[1] - x[0])
    k = np.argmax(np.abs(np.fft.rfft(V, axis=0)), axis=0)
    return 2 * np.pi * k / L
