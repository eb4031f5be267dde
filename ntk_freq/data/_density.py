"""Data densities p(x) of the training inputs (docs/theory.md, (E1)–(E2)): the 1-D families
below, their products in d ≥ 2 (:class:`ProductDensity`), and the point measure of training
points in any d.

Gradient flow on the population loss ½ ∫ u² p dx couples frequencies through the Fourier
transform of the data density, p̂(ζ) = ∫ p(x) e^{−iζx} dx (the convention of docs/theory.md; angular
ζ). Every density here offers

- ``pdf(x)``: p at points of shape (n,) or (n, 1), returned with shape (n,);
- ``fourier(zeta)``: p̂(ζ), complex, closed form; ``fourier_derivative(zeta)``: dp̂/dζ =
  −i ∫ x p(x) e^{−iζx} dx, closed form (the σ_a² term of (E2) needs it);
- ``sample(key, n)``: n draws, shape (n, 1); ``ppf(u)``: the quantile function, for laying
  points out with the density (x_i = P⁻¹((i + ½)/N));
- ``quadrature(n)``: nodes x_k and weights q_k ≥ 0 (Σ q_k = 1 up to a tail below 1e-15) with
  Σ_k q_k f(x_k) ≈ ∫ f p dx, exact for the point measure;
- ``support``: the interval [a, b] holding all the mass (±∞ for the Gaussian); ``level`` c̄:
  the reference density in which (E2)'s solutions are reported, V = F[u p]/c̄ (1/|D| for a
  density on D = [a, b], so V = F[u·1_D] for a uniform density or a uniform grid; ∫ p² dx for
  the Gaussian); ``spec``: the short spec it was parsed from.

Families and their specs (:func:`data_density`):

- ``box:L`` (uniform on [−L, L]) or ``box:A,B`` (uniform on [A, B]): :class:`Box`;
- ``gaussian:S`` or ``gaussian:S,M`` (N(M, S²)): :class:`GaussianData`;
- ``pieces:E0,E1,…,EK/M1,…,MK``: piecewise constant on the K intervals [E_{k−1}, E_k] (edges
  strictly increasing) holding the probability masses M_k ≥ 0 (Σ M_k = 1 within 1e-9), so the
  density on piece k is M_k/(E_k − E_{k−1}); e.g. ``pieces:-10,0,10/0.8,0.2`` is 4× denser on
  [−10, 0] than on [0, 10]: :class:`Cells`;
- ``grid:PATH``: a density tabulated at grid nodes (``.csv`` of ``x,density`` rows or ``.npz``
  with arrays ``x`` and ``density``), linearly interpolated, 0 outside; its integral (exact
  trapezoid) must be 1 within 1e-3 and is then rescaled to 1: :class:`Cells`;
- the discrete measure of training points Σ_i q_i δ(x − x_i) (q_i = 1/N unless given):
  :class:`PointMeasure` (no spec: it is built from the points), in any d;
- in d ≥ 2, products of 1-D densities (independent coordinates): ``box:10*gaussian:3``, or one
  spec used on every axis with ``data_density(spec, dim)``: :class:`ProductDensity`, with
  ``fourier_gradient(zeta)`` = ∇p̂ (shape (..., d)) for the σ_a² term. A density that is not a
  product is given by its weighted point measure on a grid (weights ∝ p(x_i)).

The piecewise-linear family :class:`Cells` (boxes and pieces are its special cases with flat
cells) has the exact transform per cell [m − h, m + h] with end values v_a, v_b:
e^{−iζm}[α · 2h j₀(hζ) − 2iβ h² j₁(hζ)], α = (v_a + v_b)/2, β = (v_b − v_a)/(2h), j_n the
spherical Bessel functions (stable at ζ → 0).
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from scipy import special, stats

from ntk_freq._util import validation as v
from ntk_freq._util.quadrature import gauss_legendre
from ntk_freq._util.precision import float64

#: How far a tabulated (grid) density's integral may be from 1 before it is refused.
GRID_MASS_TOL = 1e-3
#: How far the masses of ``pieces`` or the weights of a point measure may sum from 1.
MASS_TOL = 1e-9
#: A Gaussian data density is cut at M ± this many S for quadrature (mass outside < 1e-17).
GAUSSIAN_REACH = 9.0


def _xs(name: str, x, dim: int = 1) -> np.ndarray:
    """Points: in d = 1 scalars, shape (n,) or (n, 1) → float64 of shape (n,) (or ()); in
    d ≥ 2 a list of points (n, d) → float64 (n, d)."""
    if dim > 1:
        return v.point_list(name, x, dim)
    a = v.finite_array(name, x)
    if a.ndim >= 2:
        if a.shape[-1] != 1:
            raise ValueError(f"{name} has shape {a.shape}; data densities live in d = 1: pass "
                             "shape (n,) or (n, 1)")
        a = a[..., 0]
    return a


class DataDensity(abc.ABC):
    """A probability density (or measure) p of the training inputs on R^d (module docstring;
    d = ``dim``, 1 unless a :class:`ProductDensity` or a d-D :class:`PointMeasure`)."""

    dim = 1

    @abc.abstractmethod
    def _pdf(self, x: np.ndarray) -> np.ndarray: ...

    @abc.abstractmethod
    def _fourier(self, zeta: np.ndarray, derivative: bool) -> np.ndarray: ...

    @abc.abstractmethod
    def ppf(self, u) -> np.ndarray:
        """The quantile function P⁻¹(u) for u in (0, 1), shape of u."""

    @abc.abstractmethod
    def quadrature(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(nodes, weights) of a rule with about n nodes for ∫ f p dx (module docstring)."""

    @property
    @abc.abstractmethod
    def support(self) -> tuple[float, float]:
        """The interval [a, b] that holds all the mass."""

    @property
    @abc.abstractmethod
    def level(self) -> float:
        """The reference density c̄ (module docstring)."""

    @property
    def bounds(self) -> np.ndarray:
        """The box that holds all the mass, one row [a_j, b_j] per axis: shape (d, 2)."""
        return np.array([self.support], dtype=float)

    def pdf(self, x) -> np.ndarray:
        """p(x) at points of shape (n,) or (n, 1) (d = 1) or (n, d); returns shape (n,)."""
        return self._pdf(_xs("x", x, self.dim))

    def _zeta(self, zeta) -> np.ndarray:
        """ζ as float64: any shape in d = 1, shape (..., d) in d ≥ 2."""
        return v.finite_array("zeta", zeta) if self.dim == 1 else v.points("zeta", zeta, self.dim)

    def fourier(self, zeta) -> np.ndarray:
        """p̂(ζ) = ∫ p(x) e^{−iζ·x} dx (complex128) at angular frequencies ζ: any shape in d = 1,
        shape (..., d) in d ≥ 2 (returns shape (...))."""
        return self._fourier(self._zeta(zeta), False)

    def fourier_derivative(self, zeta) -> np.ndarray:
        """dp̂/dζ = −i ∫ x p(x) e^{−iζx} dx (complex128) at ζ (any shape); d = 1 only (in d ≥ 2:
        :meth:`fourier_gradient`)."""
        if self.dim != 1:
            raise ValueError(f"fourier_derivative is for d = 1; this density lives in d = "
                             f"{self.dim}: use fourier_gradient")
        return self._fourier(v.finite_array("zeta", zeta), True)

    def fourier_gradient(self, zeta) -> np.ndarray:
        """∇_ζ p̂ = −i ∫ x p(x) e^{−iζ·x} dx (complex128) at ζ of shape (..., d) (in d = 1 also
        (n,)); returns shape (..., d)."""
        zeta = v.points("zeta", zeta, self.dim)
        if self.dim == 1:
            return self._fourier(zeta[..., 0], True)[..., None]
        return self._fourier(zeta, True)

    @float64
    def sample(self, key: jax.Array, n: int) -> jax.Array:
        """n independent draws x ~ p, shape (n, 1), by inverse transform of uniform draws."""
        n = v.positive_int("n", n)
        u = jax.random.uniform(key, (n,), dtype=jnp.float64, minval=1e-16, maxval=1 - 1e-16)
        return jnp.asarray(self.ppf(np.asarray(u)))[:, None]

    def quantile_points(self, n: int) -> np.ndarray:
        """n points laid out with the density, x_i = P⁻¹((i + ½)/n), shape (n, 1), sorted."""
        n = v.positive_int("n", n)
        return np.asarray(self.ppf((np.arange(n) + 0.5) / n), dtype=float)[:, None]

    def outside(self, x) -> np.ndarray:
        """Mask of points where p(x) = 0 (outside the support, or a hole in it)."""
        x = _xs("x", x, self.dim)
        return _outside_box(x, self.bounds) | (self._pdf(x) <= 0)

    def require_inside(self, name: str, x) -> None:
        """ValueError naming the points of ``x`` where the density vanishes."""
        bad = self.outside(x)
        if bad.any():
            xs = _xs(name, x, self.dim)[bad]
            box_text = " × ".join(f"[{a:g}, {b:g}]" for a, b in self.bounds)
            raise ValueError(
                f"{name}: {int(bad.sum())} point(s) lie where the data density {self.spec} is 0 "
                f"(support {box_text}), e.g. x = {np.round(xs[0], 6).tolist()}; put the data "
                "inside the density's support"
            )


def _outside_box(x: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Mask of points x (any shape in d = 1, (n, d) in d ≥ 2) outside the box ``bounds`` (d, 2)."""
    if bounds.shape[0] == 1:
        return (x < bounds[0, 0]) | (x > bounds[0, 1])
    return np.any((x < bounds[:, 0]) | (x > bounds[:, 1]), axis=-1)


def _spherical_j(n: int, z: np.ndarray) -> np.ndarray:
    """j_n(z), n ≤ 2, with its Taylor series below |z| = 1e-4 (scipy returns NaN for
    subnormal z; the series' error there is below 1e-17)."""
    small = np.abs(z) < 1e-4
    series = (1 - z * z / 6, z / 3 - z**3 / 30, z * z / 15)[n]
    return np.where(small, series, special.spherical_jn(n, np.where(small, 1.0, z)))


@dataclass(frozen=True, eq=False)
class Cells(DataDensity):
    """A piecewise-linear density on the cells [e_k, e_{k+1}] of ``edges`` (strictly
    increasing), with values ``left[k]`` and ``right[k]`` at the two ends of cell k (flat cells
    have left = right; jumps between cells are allowed), 0 outside [e_0, e_K]. Must be ≥ 0 and
    integrate to 1 within ``MASS_TOL`` (exact integral Σ_k h_k (left + right)/2). Built by
    :func:`box`, :func:`pieces` and :func:`grid` (the usual entry points)."""

    edges: np.ndarray = field(repr=False)
    left: np.ndarray = field(repr=False)
    right: np.ndarray = field(repr=False)
    spec: str = "cells"

    def __post_init__(self):
        edges = v.finite_array("edges", self.edges)
        left, right = v.finite_array("left", self.left), v.finite_array("right", self.right)
        if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError(f"edges must be a strictly increasing list of 2 or more numbers, got "
                             f"{edges.tolist()[:8]}")
        if np.max(np.abs(edges)) > v.SCALE_RANGE[1] or np.min(np.diff(edges)) < v.SCALE_RANGE[0]:
            raise ValueError(f"the data density {self.spec} has edges beyond ±{v.SCALE_RANGE[1]:g} or "
                             f"cells narrower than {v.SCALE_RANGE[0]:g}: float64 cannot hold the "
                             "transforms they imply; rescale the data")
        if left.shape != (edges.size - 1,) or right.shape != left.shape:
            raise ValueError(f"one value per cell at each end: {edges.size - 1} cells, got "
                             f"{left.shape} and {right.shape}")
        if np.any(left < 0) or np.any(right < 0):
            raise ValueError(f"a data density must be >= 0, got min "
                             f"{min(left.min(), right.min()):.3g} ({self.spec})")
        mass = float(np.sum(np.diff(edges) * (left + right) / 2))
        if abs(mass - 1) > MASS_TOL:
            raise ValueError(f"the data density {self.spec} integrates to {mass:.10g}, not 1 "
                             f"(tolerance {MASS_TOL:g}); normalise it")
        for name, a in (("edges", edges), ("left", left), ("right", right)):
            object.__setattr__(self, name, a)

    @property
    def support(self):
        return float(self.edges[0]), float(self.edges[-1])

    @property
    def level(self) -> float:
        return 1.0 / (self.edges[-1] - self.edges[0])

    def _cell_of(self, x):
        return np.clip(np.searchsorted(self.edges, x, side="right") - 1, 0, self.left.size - 1)

    def _pdf(self, x):
        k = self._cell_of(x)
        t = (x - self.edges[k]) / np.diff(self.edges)[k]
        inside = (x >= self.edges[0]) & (x <= self.edges[-1])
        return np.where(inside, self.left[k] + t * (self.right[k] - self.left[k]), 0.0)

    def _fourier(self, zeta, derivative):
        """Σ over cells of e^{−iζm}[α I₀ + β I₁] (p̂) or −i e^{−iζm}[mα I₀ + (mβ + α) I₁ + β I₂]
        (dp̂/dζ), with I_k = ∫_{−h}^{h} s^k e^{−iζs} ds = 2h j₀, −2i h² j₁, (2h³/3)(j₀ − 2j₂)
        of z = hζ."""
        h = np.diff(self.edges) / 2
        m = self.edges[:-1] + h
        alpha, beta = (self.left + self.right) / 2, (self.right - self.left) / (2 * h)
        flat = zeta.reshape(-1)
        out = np.empty(flat.size, dtype=complex)
        block = max(1, 2**22 // max(1, h.size))
        for s in range(0, flat.size, block):
            z = flat[s:s + block, None] * h  # (b, K)
            j0, j1 = _spherical_j(0, z), _spherical_j(1, z)
            I0, I1 = 2 * h * j0, -2j * h**2 * j1
            phase = np.exp(-1j * flat[s:s + block, None] * m)
            if derivative:
                I2 = (2 * h**3 / 3) * (j0 - 2 * _spherical_j(2, z))
                terms = -1j * phase * (m * alpha * I0 + (m * beta + alpha) * I1 + beta * I2)
            else:
                terms = phase * (alpha * I0 + beta * I1)
            out[s:s + block] = terms.sum(axis=1)
        return out.reshape(zeta.shape)

    def _cell_masses(self):
        return np.diff(self.edges) * (self.left + self.right) / 2

    def ppf(self, u):
        """Exact inverse of the piecewise-quadratic CDF."""
        u = v.finite_array("u", u)
        if np.any((u < 0) | (u > 1)):
            raise ValueError("u must lie in [0, 1]")
        cdf = np.concatenate([[0.0], np.cumsum(self._cell_masses())])
        k = np.clip(np.searchsorted(cdf, u, side="right") - 1, 0, self.left.size - 1)
        w = np.diff(self.edges)[k]
        a, b = self.left[k], self.right[k]
        r = u - cdf[k]  # mass needed inside cell k: a t w + (b − a) t² w/2 = r, t ∈ [0, 1]
        slope = (b - a) * w / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            disc = np.sqrt(np.maximum((a * w) ** 2 + 4 * slope * r, 0.0))
            t_lin = np.where(a > 0, r / (a * w), 0.5)
            t = np.where(np.abs(slope) > 1e-14 * np.maximum(a * w, 1e-300),
                         2 * r / (a * w + disc), t_lin)
        return self.edges[k] + np.clip(t, 0.0, 1.0) * w

    def quadrature(self, n):
        """Gauss–Legendre per cell (≥ 2 nodes, the rest spread by width): exact for
        polynomials of degree < 2·nodes − 1 times the linear density."""
        n = v.positive_int("n", n)
        widths = np.diff(self.edges)
        per = np.maximum(2, np.ceil(n * widths / widths.sum())).astype(int)
        nodes, weights = [], []
        for k, nk in enumerate(per):
            t, w = gauss_legendre(int(nk), "the Gauss–Legendre rule of a data density")
            x = self.edges[k] + (t + 1) * widths[k] / 2
            dens = self.left[k] + (t + 1) / 2 * (self.right[k] - self.left[k])
            nodes.append(x)
            weights.append(w * widths[k] / 2 * dens)
        return np.concatenate(nodes), np.concatenate(weights)


def box(a: float, b: float | None = None) -> Cells:
    """Uniform on [−a, a] (one argument) or [a, b]."""
    lo, hi = (-v.positive("half_width", a), float(a)) if b is None else (float(a), float(b))
    if not hi > lo:
        raise ValueError(f"box: need A < B, got [{lo}, {hi}]")
    c = 1.0 / (hi - lo)
    spec = f"box:{a:g}" if b is None else f"box:{lo:g},{hi:g}"
    return Cells(np.array([lo, hi]), np.array([c]), np.array([c]), spec)


def pieces(edges, masses) -> Cells:
    """Piecewise constant: probability mass ``masses[k]`` spread evenly on [edges[k],
    edges[k+1]] (masses ≥ 0 summing to 1 within ``MASS_TOL``)."""
    edges, masses = v.finite_array("edges", edges), v.finite_array("masses", masses)
    if edges.ndim != 1 or masses.shape != (edges.size - 1,):
        raise ValueError(f"pieces: K + 1 edges need K masses, got {edges.size} edges and "
                         f"{masses.size} masses")
    if np.any(masses < 0):
        raise ValueError(f"pieces: masses must be >= 0, got {masses.tolist()}")
    if abs(masses.sum() - 1) > MASS_TOL:
        raise ValueError(f"pieces: the masses sum to {masses.sum():.10g}, not 1 (they are the "
                         "probability of each piece)")
    if np.any(np.diff(edges) <= 0):
        raise ValueError(f"pieces: edges must be strictly increasing, got {edges.tolist()}")
    level = masses / np.diff(edges)
    spec = ("pieces:" + ",".join(f"{e:g}" for e in edges) + "/"
            + ",".join(f"{m:g}" for m in masses))
    return Cells(edges, level, level, spec)


def grid(x, density, spec: str = "grid") -> Cells:
    """A density tabulated at increasing nodes ``x``, linearly interpolated (0 outside); its
    trapezoid integral must be 1 within ``GRID_MASS_TOL`` and is rescaled to 1."""
    x, p = v.finite_array("x", x), v.finite_array("density", density)
    if x.ndim != 1 or p.shape != x.shape or x.size < 2:
        raise ValueError(f"grid: x and density must be 1-D of the same length >= 2, got "
                         f"{x.shape} and {p.shape}")
    if np.any(p < 0):
        raise ValueError(f"grid: a density must be >= 0, got {int(np.sum(p < 0))} negative "
                         f"value(s) (min {p.min():.3g})")
    if np.any(np.diff(x) <= 0):
        raise ValueError("grid: x must be strictly increasing")
    mass = float(np.sum(np.diff(x) * (p[:-1] + p[1:]) / 2))
    if abs(mass - 1) > GRID_MASS_TOL:
        raise ValueError(f"grid: the density integrates to {mass:.6g}, not 1 (tolerance "
                         f"{GRID_MASS_TOL:g}); normalise it or widen the grid")
    return Cells(x, p[:-1] / mass, p[1:] / mass, spec)


def load_grid(path) -> Cells:
    """Read ``grid:PATH``: a ``.csv`` of ``x,density`` rows (header optional) or an ``.npz``
    with arrays ``x`` and ``density``. No pickled objects are read."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"grid density file {str(path)!r} does not exist")
    if path.suffix == ".csv":
        data = np.genfromtxt(path, delimiter=",", comments="#", names=None)
        data = data[~np.all(np.isnan(data), axis=1)] if data.ndim == 2 else data
        if data.ndim != 2 or data.shape[1] != 2:
            raise ValueError(f"{path}: a csv data density needs two columns x,density")
        return grid(data[:, 0], data[:, 1], f"grid:{path}")
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as f:
            if not {"x", "density"} <= set(f.files):
                raise ValueError(f"{path}: expected arrays 'x' and 'density'")
            return grid(f["x"], f["density"], f"grid:{path}")
    raise ValueError(f"{path}: grid densities are read from .csv or .npz files")


@dataclass(frozen=True, eq=False)
class GaussianData(DataDensity):
    """N(mean, scale²): p̂(ζ) = e^{−iζM − S²ζ²/2}; support ±∞; level c̄ = ∫ p² = 1/(2√π S)."""

    scale: float
    mean: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "scale", v.positive("scale", self.scale))
        object.__setattr__(self, "mean", float(v.finite_array("mean", self.mean)))

    @property
    def spec(self) -> str:
        return f"gaussian:{self.scale:g}" + (f",{self.mean:g}" if self.mean else "")

    @property
    def support(self):
        return -math.inf, math.inf

    @property
    def level(self) -> float:
        return 1.0 / (2 * math.sqrt(math.pi) * self.scale)

    def _pdf(self, x):
        return stats.norm.pdf(x, self.mean, self.scale)

    def _fourier(self, zeta, derivative):
        p = np.exp(-1j * zeta * self.mean - 0.5 * (self.scale * zeta) ** 2)
        return (-1j * self.mean - self.scale**2 * zeta) * p if derivative else p + 0j

    def ppf(self, u):
        return stats.norm.ppf(v.finite_array("u", u), self.mean, self.scale)

    def quadrature(self, n):
        """The trapezoid rule on M ± 9S (spectrally accurate for smooth decaying integrands;
        weights p(x_k)Δx, mass outside < 1e-17)."""
        n = max(3, v.positive_int("n", n))
        x = self.mean + self.scale * np.linspace(-GAUSSIAN_REACH, GAUSSIAN_REACH, n)
        return x, self._pdf(x) * (x[1] - x[0])


@dataclass(frozen=True, eq=False)
class PointMeasure(DataDensity):
    """The discrete measure Σ_i q_i δ(x − x_i) of training points: p̂(ζ) = Σ_i q_i e^{−iζ·x_i},
    exact. ``points`` (N,) or (N, 1) in d = 1, (N, d) in d ≥ 2 (kept as given: ``points`` is
    (N,) in d = 1 and (N, d) otherwise; ``coords`` is always (N, d)); ``weights`` q_i ≥ 0
    summing to 1 within ``MASS_TOL`` (None: 1/N each); ``level`` c̄ (None: 1/|D| with |D| the
    product over the axes of the span of the coordinates plus their mean spacing, = |D| exactly
    for the cell-centred grid of a box D). It has no density: ``pdf`` is the weight at a data
    point and 0 elsewhere."""

    points: np.ndarray = field(repr=False)
    weights: np.ndarray | None = field(default=None, repr=False)
    reference_level: float | None = None
    spec: str = "points"

    def __post_init__(self):
        raw = v.finite_array("points", self.points)
        dim = raw.shape[1] if raw.ndim == 2 and raw.shape[1] > 1 else 1
        x = v.point_list("points", raw, dim) if dim > 1 else _xs("points", raw).reshape(-1)
        if x.shape[0] < 1:
            raise ValueError("points: need at least one training point")
        n = x.shape[0]
        q = np.full(n, 1.0 / n) if self.weights is None else v.finite_array(
            "weights", self.weights).reshape(-1)
        if q.shape != (n,):
            raise ValueError(f"weights: one per point ({n}), got {q.size}")
        if np.any(q < 0):
            raise ValueError(f"weights must be >= 0, got min {q.min():.3g}")
        if abs(q.sum() - 1) > MASS_TOL:
            raise ValueError(f"weights sum to {q.sum():.10g}, not 1 (the data measure is a "
                             "probability)")
        object.__setattr__(self, "points", x)
        object.__setattr__(self, "weights", q)
        object.__setattr__(self, "dim", dim)
        if self.reference_level is None:
            coords = x.reshape(n, dim)
            counts = [n] if dim == 1 else [np.unique(c).size for c in coords.T]
            spans = [np.ptp(c) * (1 + 1 / max(1, k - 1)) for c, k in zip(coords.T, counts)]
            volume = math.prod(spans)
            object.__setattr__(self, "reference_level", 1.0 / volume if volume > 0 else 1.0)
        else:
            object.__setattr__(self, "reference_level", v.positive("level", self.reference_level))

    @property
    def n(self) -> int:
        return self.points.shape[0]

    @property
    def coords(self) -> np.ndarray:
        """The points as (N, d) in every d."""
        return self.points.reshape(self.n, self.dim)

    @property
    def support(self):
        """[min, max] in d = 1; in d ≥ 2 one such pair per axis."""
        lo, hi = self.coords.min(axis=0), self.coords.max(axis=0)
        pairs = tuple((float(a), float(b)) for a, b in zip(lo, hi))
        return pairs[0] if self.dim == 1 else pairs

    @property
    def bounds(self) -> np.ndarray:
        return np.stack([self.coords.min(axis=0), self.coords.max(axis=0)], axis=1)

    @property
    def level(self) -> float:
        return self.reference_level

    def _pdf(self, x):
        x = x.reshape(-1, self.dim) if self.dim > 1 else x
        if self.dim > 1:
            table = {}
            for point, q in zip(map(tuple, self.coords), self.weights):
                table[point] = table.get(point, 0.0) + q
            return np.array([table.get(tuple(p), 0.0) for p in x])
        order = np.argsort(self.points)
        sorted_x = self.points[order]
        j = np.clip(np.searchsorted(sorted_x, x), 0, self.n - 1)
        return np.where(sorted_x[j] == x, self.weights[order][j], 0.0)

    def outside(self, x):
        return _outside_box(_xs("x", x, self.dim), self.bounds)

    def _fourier(self, zeta, derivative):
        """p̂ = Σ_i q_i e^{−iζ·x_i}; derivative: ∇p̂ = Σ_i q_i (−i x_i) e^{−iζ·x_i} (d = 1: its
        only component, without the axis)."""
        d, X = self.dim, self.coords
        flat = zeta.reshape(-1, d)
        q = self.weights[:, None] * (-1j * X if derivative else np.ones((1, 1)))
        out = np.empty((flat.shape[0], q.shape[1]), dtype=complex)
        block = max(1, 2**22 // self.n)
        for s in range(0, flat.shape[0], block):
            out[s:s + block] = np.exp(-1j * (flat[s:s + block] @ X.T)) @ q
        if d == 1:
            return out[:, 0].reshape(zeta.shape)
        shape = zeta.shape[:-1]
        return out.reshape(shape + (d,)) if derivative else out[:, 0].reshape(shape)

    def ppf(self, u):
        """The quantile function of the coordinates (d = 1)."""
        if self.dim != 1:
            raise ValueError(f"ppf (a quantile function) is for d = 1; these points live in "
                             f"d = {self.dim}")
        u = v.finite_array("u", u)
        order = np.argsort(self.points)
        cdf = np.cumsum(self.weights[order])
        return self.points[order][np.clip(np.searchsorted(cdf, u), 0, self.n - 1)]

    @float64
    def sample(self, key: jax.Array, n: int) -> jax.Array:
        """n draws of the points with probabilities q_i, shape (n, d)."""
        if self.dim == 1:
            return super().sample(key, n)
        n = v.positive_int("n", n)
        idx = jax.random.choice(key, self.n, (n,), p=jnp.asarray(self.weights))
        return jnp.asarray(self.coords)[idx]

    def quadrature(self, n=None):
        """The points and their weights: exact (``n`` is ignored)."""
        return self.points.copy(), self.weights.copy()


@dataclass(frozen=True, eq=False)
class ProductDensity(DataDensity):
    """Independent coordinates, p(x) = Π_j p_j(x_j), from 1-D densities ``factors`` (d = their
    number): p̂(ζ) = Π_j p̂_j(ζ_j), ∂_j p̂ = p̂_j′(ζ_j) Π_{k≠j} p̂_k(ζ_k) (closed form where the
    factors have one); the box [−L, L]^d is the product of d boxes, the isotropic Gaussian
    N(M, S² I) the product of d Gaussians. Rules: the tensor product of the factors' rules;
    ``level`` c̄ = Π_j c̄_j (1/|D| for a box D); ``spec`` the factors' specs joined by ``*``."""

    factors: tuple

    def __post_init__(self):
        factors = tuple(self.factors)
        if not factors or not all(isinstance(f, DataDensity) and f.dim == 1 for f in factors):
            raise TypeError(f"factors must be one or more 1-D data densities, got {factors!r}")
        object.__setattr__(self, "factors", factors)

    @property
    def dim(self) -> int:
        return len(self.factors)

    @property
    def spec(self) -> str:
        return "*".join(f.spec for f in self.factors)

    @property
    def support(self):
        """One interval [a_j, b_j] per axis."""
        return tuple(f.support for f in self.factors)

    @property
    def bounds(self) -> np.ndarray:
        return np.array(self.support, dtype=float)

    @property
    def level(self) -> float:
        return math.prod(f.level for f in self.factors)

    def _pdf(self, x):
        return np.prod([f._pdf(x[:, j]) for j, f in enumerate(self.factors)], axis=0)

    def outside(self, x):
        x = _xs("x", x, self.dim)
        return np.any([f.outside(x[:, j]) for j, f in enumerate(self.factors)], axis=0)

    def _fourier(self, zeta, derivative):
        values = [f._fourier(zeta[..., j], False) for j, f in enumerate(self.factors)]
        if not derivative:
            return np.prod(values, axis=0)
        slopes = [f._fourier(zeta[..., j], True) for j, f in enumerate(self.factors)]
        return np.stack([np.prod([slopes[k] if k == j else values[k] for k in range(self.dim)],
                                 axis=0) for j in range(self.dim)], axis=-1)

    def ppf(self, u):
        raise ValueError(f"ppf (a quantile function) is for d = 1; {self.spec} lives in "
                         f"d = {self.dim}: use each factor's ppf (factors[j].ppf)")

    @float64
    def sample(self, key: jax.Array, n: int) -> jax.Array:
        """n draws, each coordinate from its factor independently, shape (n, d)."""
        n = v.positive_int("n", n)
        keys = jax.random.split(key, self.dim)
        return jnp.concatenate([f.sample(k, n) for k, f in zip(keys, self.factors)], axis=1)

    def quadrature(self, n):
        """The tensor product of the factors' rules with ⌈n^{1/d}⌉ nodes each: nodes (r, d)."""
        per = math.ceil(v.positive_int("n", n) ** (1 / self.dim) - 1e-9)
        return tensor_rule([f.quadrature(per) for f in self.factors])


def tensor_rule(rules) -> tuple[np.ndarray, np.ndarray]:
    """The tensor product of 1-D rules [(x_j, q_j), …]: nodes (Π r_j, d), C order (last axis
    fastest), weights Π_j q_j."""
    size = math.prod(q.size for _, q in rules)
    v.fits_in_memory(f"a tensor quadrature of {size} nodes in d = {len(rules)}",
                     8.0 * size * (len(rules) + 2))
    nodes = np.stack(np.meshgrid(*[np.ravel(x) for x, _ in rules], indexing="ij"),
                     axis=-1).reshape(size, len(rules))
    weights = rules[0][1]
    for _, q in rules[1:]:
        weights = np.multiply.outer(weights, q)
    return nodes, np.ravel(weights)


SPEC_HELP = (
    "a data density spec: 'box:L' (uniform on [−L, L]) or 'box:A,B'; 'gaussian:S' or "
    "'gaussian:S,M' (N(M, S²)); 'pieces:E0,E1,…,EK/M1,…,MK' (mass M_k spread evenly on "
    "[E_{k−1}, E_k], masses summing to 1); 'grid:PATH' (a .csv of x,density rows or an .npz "
    "with x and density). In d ≥ 2: one spec for every axis, or one per axis joined by '*' "
    "(independent coordinates). Examples: box:10, gaussian:3, pieces:-10,0,10/0.8,0.2, "
    "box:10*gaussian:3"
)


def data_density(spec, dim: int | None = None) -> DataDensity:
    """Parse a data-density spec (``SPEC_HELP``; module docstring) on R^dim; a
    :class:`DataDensity` is returned as it is (ValueError if it lives in another d). ``dim``
    None: d = the number of ``*``-joined factors; a single factor with dim ≥ 2 is used on every
    axis (``box:10`` in d = 2 is the square [−10, 10]², a :class:`ProductDensity`)."""
    if dim is not None:
        dim = v.positive_int("dim", dim)
    if isinstance(spec, DataDensity):
        if dim is not None and spec.dim != dim:
            raise ValueError(f"the data density {spec.spec} lives in d = {spec.dim}, not {dim}")
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"expected {SPEC_HELP}; got {spec!r}")
    factors = [_parse_factor(part) for part in spec.split("*")]
    if dim is not None and len(factors) == 1:
        factors = factors * dim
    if dim is not None and len(factors) != dim:
        raise ValueError(f"the data density {spec!r} has {len(factors)} factors, expected one "
                         f"or d = {dim}; {SPEC_HELP}")
    return factors[0] if len(factors) == 1 else ProductDensity(tuple(factors))


def _parse_factor(spec: str) -> DataDensity:
    """One 1-D density from its spec."""
    if not spec.strip():
        raise ValueError(f"empty factor in a data density spec; {SPEC_HELP}")
    name, _, args = spec.strip().partition(":")
    name = name.strip().lower()

    def numbers(text, what):
        return [v.parse_number(t.strip(), what, SPEC_HELP) for t in text.split(",") if t.strip()]

    if name == "box":
        vals = numbers(args, "box bound")
        if len(vals) not in (1, 2):
            raise ValueError(f"box takes L or A,B, got {args!r}; {SPEC_HELP}")
        return box(*vals)
    if name == "gaussian":
        vals = numbers(args, "gaussian parameter")
        if len(vals) not in (1, 2):
            raise ValueError(f"gaussian takes S or S,M, got {args!r}; {SPEC_HELP}")
        return GaussianData(*vals)
    if name == "pieces":
        edges, slash, masses = args.partition("/")
        if not slash:
            raise ValueError(f"pieces needs EDGES/MASSES, got {args!r}; {SPEC_HELP}")
        return pieces(numbers(edges, "piece edge"), numbers(masses, "piece mass"))
    if name == "grid":
        return load_grid(args.strip())
    raise ValueError(f"unknown data density {name!r}; {SPEC_HELP}")


# --------------------------------------------------------------------------------------------
# Training data laid out with a density, and their spectra
# --------------------------------------------------------------------------------------------

#: How training points follow a data density: "quantiles" (positions x_i = P⁻¹((i + ½)/N),
#: equal weights 1/N) or "weights" (the cell-centred grid of [−L, L] with quadrature weights
#: q_i ∝ p(x_i), and the loss Σ_i q_i (f(x_i) − y_i)²/2 weighted to match).
LAYOUTS = ("quantiles", "weights")


def training_measure(data, half_width: float, n_points: int, *, layout: str = "quantiles",
                     dim: int = 1) -> PointMeasure:
    """The discrete measure Σ_i q_i δ(x − x_i) of the training points: with ``data`` None the
    cell-centred grid of D = [−L, L]^d (``n_points`` per axis, N = n_points^d) with q_i = 1/N and
    level c̄ = 1/|D| (docs/theory.md's default); otherwise points following the data density
    (``LAYOUTS``; in d ≥ 2 "quantiles" is the tensor grid of each factor's quantile points, so
    the density must be a :class:`ProductDensity`) with its level c̄. ValueError for a
    "weights" grid point where the density vanishes (it would carry no weight)."""
    from ntk_freq.data._fourier import midpoint_grid

    v.choice("layout", layout, LAYOUTS)
    L, N = v.scale("half_width", half_width), v.positive_int("n_points", n_points)
    d = v.positive_int("dim", dim)

    def shaped(x):
        return x[:, 0] if d == 1 else x

    if data is None:
        x, _ = midpoint_grid(L, N, d)
        return PointMeasure(shaped(x), None, 1.0 / (2 * L) ** d,
                            f"grid:{N}^{d} points on [-{L:g}, {L:g}]^{d}" if d > 1
                            else f"grid:{N} points on [-{L:g}, {L:g}]")
    p = data_density(data, d)
    if layout == "quantiles":
        if d == 1:
            x = p.quantile_points(N)
        elif isinstance(p, ProductDensity):
            x = tensor_rule([(f.quantile_points(N), np.ones(N)) for f in p.factors])[0]
        else:
            raise ValueError(f"layout 'quantiles' in d = {d} needs independent coordinates (a "
                             f"product density such as box:10*gaussian:3), got {p.spec}; use "
                             "layout 'weights'")
        return PointMeasure(shaped(x), None, p.level, f"{p.spec} ({N} quantile points"
                            + (" per axis)" if d > 1 else ")"))
    x, _ = midpoint_grid(L, N, d)
    p.require_inside("the weighted data grid (half_width, n_points)", shaped(x))
    q = p.pdf(shaped(x))
    return PointMeasure(shaped(x), q / q.sum(), p.level, f"{p.spec} ({N} weighted grid points"
                        + (" per axis)" if d > 1 else ")"))


def measured_spectrum(u, measure: PointMeasure, xi) -> np.ndarray:
    """V(ξ) = Σ_i q_i u(x_i) e^{−iξ·x_i}/c̄ = F[u p]/c̄ of errors u at the measure's points
    (shape (..., N)), at frequencies ξ ((K,) in d = 1, (..., d)): for the uniform grid of D the
    quadrature transform Σ_i u(x_i) e^{−iξ·x_i} Δx^d of docs/theory.md. Returns complex
    (..., K) (u's batch shape, then ξ's)."""
    from ntk_freq.data._fourier import fourier_transform

    v.instance("measure", measure, PointMeasure, "a PointMeasure (ntk_freq.data.training_measure)")
    u = v.bounded("u", v.finite_array("u", u))
    N = measure.n
    return fourier_transform(u * (N * measure.weights), measure.coords, xi,
                             cell_volume=1.0 / (N * measure.level))
