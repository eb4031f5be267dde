"""Isotropic frequency distributions given by a radial profile: ρ_w(ξ) = g(|ξ|) on R^d.

g is piecewise linear between nodes 0 = r_0 < r_1 < … < r_K and 0 beyond r_K; it is normalised
so that ∫ ρ_w dξ = |S^{d−1}| ∫_0^{r_K} g(r) r^{d−1} dr = 1, with |S^{d−1}| = 2π^{d/2}/Γ(d/2)
(2, 2π, 4π for d = 1, 2, 3). Integrals over r use Gauss–Legendre rules on each segment: exact
for the mass (a polynomial of degree d on a segment); for the characteristic function

    φ_w(z) = |S^{d−1}| ∫ g(r) Ω_d(r|z|) r^{d−1} dr,   Ω_d(s) = Γ(d/2) (2/s)^{d/2−1} J_{d/2−1}(s)

(Ω_1 = cos, Ω_2 = J₀, Ω_3 = sin(s)/s), accurate while a segment spans well under one period
2π/|z| (``CHAR_POINTS`` nodes per segment resolve ~|z| · max segment ≲ 10).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from scipy import special

from ntk_freq._util import validation as v
from ntk_freq._util.quadrature import gauss_legendre
from ntk_freq._util.precision import float64
from ntk_freq.distributions._families import TABULATED_MASS_TOL, FrequencyDistribution, _draws

#: Gauss–Legendre nodes per segment for φ_w (the mass needs 2).
CHAR_POINTS = 8
#: Sub-intervals per segment of the inverse-CDF table used for sampling the radius.
SAMPLE_REFINE = 64


def sphere_area(dim: int) -> float:
    """|S^{d−1}| = 2π^{d/2}/Γ(d/2): the measure of directions (2 in d = 1: the two signs)."""
    dim = v.positive_int("dim", dim)
    return 2 * math.pi ** (dim / 2) / math.gamma(dim / 2)


def radial_mass(r: np.ndarray, g: np.ndarray, dim: int) -> float:
    """|S^{d−1}| ∫ g(s) s^{d−1} ds of the piecewise-linear profile (r, g), exactly."""
    s, w, gs = _segment_rule(r, g, 2)
    return sphere_area(dim) * float(np.sum(w * gs * s ** (dim - 1)))


def _segment_rule(r, g, n):
    """n-point Gauss–Legendre nodes s, weights w and the profile's values g(s), all segments."""
    x, wx = gauss_legendre(n, "the radial quadrature")
    a, h = r[:-1, None], np.diff(r)[:, None]
    s = a + 0.5 * h * (x + 1)
    gs = g[:-1, None] + (g[1:, None] - g[:-1, None]) * (s - a) / h
    return s.ravel(), (0.5 * h * wx).ravel(), gs.ravel()


def omega(s: np.ndarray, dim: int) -> np.ndarray:
    """Ω_d(s) = E[cos(s u₁)] for u uniform on S^{d−1}: cos, J₀ and sin(s)/s in d = 1, 2, 3."""
    s, dim = v.finite_array("s", s), v.positive_int("dim", dim)
    if dim == 1:
        return np.cos(s)
    if dim == 3:
        return np.sinc(s / math.pi)
    nu = dim / 2 - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        out = math.gamma(dim / 2) * (2 / s) ** nu * special.jv(nu, s)
    return np.where(s == 0, 1.0, out)


@dataclass(frozen=True, eq=False)
class Radial(FrequencyDistribution):
    """ρ_w(ξ) = g(|ξ|) (module docstring). ``radius``: nodes 0 = r_0 < … < r_K; ``values``:
    g ≥ 0 at the nodes, normalised on construction (a mass off 1 by more than
    ``TABULATED_MASS_TOL`` is refused); ``dim``: d ≥ 1."""

    radius: np.ndarray
    values: np.ndarray
    dim: int = 2

    def __post_init__(self):
        r, g = v.finite_array("radius", self.radius), v.finite_array("values", self.values)
        d = v.positive_int("dim", self.dim)
        if r.ndim != 1 or r.size < 2 or r[0] != 0 or np.any(np.diff(r) <= 0):
            raise ValueError("radius must be increasing nodes 0 = r_0 < r_1 < … (at least two)")
        if g.shape != r.shape:
            raise ValueError(f"values has shape {g.shape}, radius has {r.shape}")
        if np.any(g < 0):
            raise ValueError(f"a density must be >= 0, got min {g.min():.3g}")
        mass = radial_mass(r, g, d)
        if abs(mass - 1) > TABULATED_MASS_TOL:
            raise ValueError(f"the radial density integrates to {mass:.6g}, not 1 (tolerance "
                             f"{TABULATED_MASS_TOL}); normalise it (|S^{{d−1}}| ∫ g r^{{d−1}} dr)")
        object.__setattr__(self, "radius", r)
        object.__setattr__(self, "values", g / mass)
        object.__setattr__(self, "dim", d)

    def _pdf(self, xi):
        return np.interp(np.linalg.norm(xi, axis=-1), self.radius, self.values, right=0.0)

    def _char_fn(self, z):
        s, w, gs = _segment_rule(self.radius, self.values, CHAR_POINTS)
        weights = sphere_area(self.dim) * w * gs * s ** (self.dim - 1)
        rz = np.linalg.norm(z, axis=-1).reshape(-1)
        out = np.empty(rz.size)
        block = max(1, 2**22 // s.size)
        for i in range(0, rz.size, block):
            out[i:i + block] = omega(np.outer(rz[i:i + block], s), self.dim) @ weights
        return out.reshape(z.shape[:-1])

    def _radius_cdf(self):
        """The CDF of |w| on a table refined ``SAMPLE_REFINE`` times per segment."""
        fine = np.concatenate([np.linspace(a, b, SAMPLE_REFINE, endpoint=False)
                               for a, b in zip(self.radius[:-1], self.radius[1:])]
                              + [self.radius[-1:]])
        g = np.interp(fine, self.radius, self.values)
        s, w, gs = _segment_rule(fine, g, 2)
        pieces = (w * gs * s ** (self.dim - 1)).reshape(-1, 2).sum(axis=1)
        cdf = np.concatenate([[0.0], np.cumsum(pieces)]) * sphere_area(self.dim)
        return fine, cdf / cdf[-1]

    @float64
    def sample(self, key, n):
        """|w| by the inverse of the tabulated radial CDF (linear between table nodes), the
        direction uniform on S^{d−1} (a normalised Gaussian vector)."""
        n = _draws(n, self.dim)
        k_r, k_u = jax.random.split(key)
        fine, cdf = self._radius_cdf()
        r = jnp.interp(jax.random.uniform(k_r, (n,), dtype=jnp.float64), jnp.asarray(cdf),
                       jnp.asarray(fine))
        u = jax.random.normal(k_u, (n, self.dim), dtype=jnp.float64)
        return r[:, None] * u / jnp.linalg.norm(u, axis=1, keepdims=True)

    def _tail(self, r, norm):
        """P(|w|₂ > r) from the radial CDF (exact to the table); for "inf" the same, an upper
        bound since ‖w‖_∞ ≤ |w|₂."""
        fine, cdf = self._radius_cdf()
        t = 1.0 - np.interp(r, fine, cdf)
        return t if np.ndim(t) else float(t)

    def save(self, path) -> Path:
        """Write ``radius``, ``values`` and ``dim`` as an ``.npz``, atomically
        (:meth:`load` reads it back; ``distribution("file:PATH", d)`` too)."""
        from ntk_freq._util.store import atomic_write

        path = Path(path)
        if path.suffix != ".npz":
            raise ValueError(f"{path}: a radial density is saved as .npz")
        return atomic_write(path, lambda f: np.savez(f, radius=self.radius, values=self.values,
                                                     dim=np.int64(self.dim)))

    @classmethod
    def load(cls, path) -> "Radial":
        with np.load(path, allow_pickle=False) as f:
            if not {"radius", "values", "dim"} <= set(f.files):
                raise ValueError(f"{path}: expected arrays 'radius', 'values' and 'dim'")
            return cls(f["radius"], f["values"], int(f["dim"]))


def uniform_ball(radius: float, dim: int) -> Radial:
    """The uniform density on the ball |ξ| ≤ R (the isotropic counterpart of a uniform box)."""
    R = v.positive("radius", radius)
    return Radial(np.array([0.0, R]), np.ones(2) / (sphere_area(dim) * R**dim / dim), dim)
