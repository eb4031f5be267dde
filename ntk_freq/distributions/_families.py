"""Frequency distributions ρ_w of the first layer (docs/theory.md, "Conventions").

Every distribution lives on R^d and offers

- ``pdf(xi)``: the density ρ_w at points ``xi`` of shape (..., d), returned with shape (...);
- ``symmetrised_pdf(xi)``: ρ̄_w(ξ) = ½(ρ_w(ξ) + ρ_w(−ξ)), the coefficient of the frequency PDE;
- ``char_fn(z)``: the real characteristic function φ_w(z) = E[cos(w·z)], shape (...);
- ``sample(key, n)``: n draws as a JAX array of shape (n, d) (explicit PRNG key);
- ``tail(r, norm)``: P(‖w‖ > r), exact or an upper bound (said in each docstring);
- ``support_radius(tol, norm)``: the smallest r with tail(r) ≤ tol, the half-width of the box
  (norm "inf") or the radius of the ball (norm "2") that truncates R^d for the PDE.

Frequencies are angular (a feature is cos(w·x)). In d = 1 a plain array of shape (n,) is read as
n scalar frequencies. Densities and characteristic functions are numpy float64; sampling is JAX.

``distribution("gaussian:4")`` parses the short specs used by the CLI and configs.
"""

from __future__ import annotations

import abc
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from scipy import special
from scipy.interpolate import RegularGridInterpolator

from ntk_freq._util import validation as v
from ntk_freq._util.precision import float64

NORMS = ("inf", "2")


def _f_sf(x: float, d1: float, d2: float) -> float:
    """P(F > x) for Fisher's F(d1, d2): the regularised incomplete beta I_{d2/(d2+d1 x)}(d2/2, d1/2)."""
    return float(special.betainc(d2 / 2, d1 / 2, d2 / (d2 + d1 * x)))

class FrequencyDistribution(abc.ABC):
    """A density ρ_w on R^d for the first-layer frequencies (see the module docstring)."""

    dim: int

    @abc.abstractmethod
    def _pdf(self, xi: np.ndarray) -> np.ndarray:
        """ρ_w at validated points of shape (..., d)."""

    @abc.abstractmethod
    def _char_fn(self, z: np.ndarray) -> np.ndarray:
        """E[cos(w·z)] at validated points of shape (..., d)."""

    @abc.abstractmethod
    def sample(self, key: jax.Array, n: int) -> jax.Array:
        """n independent draws w ~ ρ_w, shape (n, d), float64: implementations are decorated
        with :func:`ntk_freq._util.precision.float64` (they draw in JAX's 64-bit mode)."""

    @abc.abstractmethod
    def _tail(self, r, norm: str):
        """P(‖w‖ > r) for a checked radius r ≥ 0 (a float or an array) and norm."""

    def tail(self, r, norm: str = "inf"):
        """P(‖w‖ > r) in the given norm ("inf" or "2"), exact or an upper bound (each family's
        ``_tail`` says which); r ≥ 0, a number or an array of radii."""
        v.choice("norm", norm, NORMS)
        radii = v.finite_array("r", r)
        if np.any(radii < 0):
            raise ValueError(f"r must be >= 0 (a radius), got {r!r}")
        return self._tail(radii if radii.ndim else float(radii), norm)

    def pdf(self, xi) -> np.ndarray:
        """The density ρ_w(ξ) at points of shape (..., d); returns shape (...). ValueError when
        the density's peak lies outside float64's range (high dimension: (2B)^{−d} for a
        uniform box), rather than 0 or ∞ inside the support (:meth:`_check_representable`)."""
        self._check_representable()
        return self._pdf(v.points("xi", xi, self.dim))

    def symmetrised_pdf(self, xi) -> np.ndarray:
        """ρ̄_w(ξ) = ½(ρ_w(ξ) + ρ_w(−ξ)) at points of shape (..., d)."""
        self._check_representable()
        xi = v.points("xi", xi, self.dim)
        return 0.5 * (self._pdf(xi) + self._pdf(-xi))

    def _log_peak(self) -> float | None:
        """log max ρ_w, where a closed form gives it (None: not known)."""
        return None

    def _check_representable(self) -> None:
        """ValueError if the density's peak (:meth:`_log_peak`) is not a float64 number."""
        peak = self._log_peak()
        if peak is not None and not LOG_DENSITY_RANGE[0] <= peak <= LOG_DENSITY_RANGE[1]:
            raise ValueError(
                f"ρ_w = {self!r} has densities up to about 10^{peak / math.log(10):.0f}, outside "
                f"float64's range in d = {self.dim}: its density cannot be evaluated (it would read "
                "0 or ∞ inside the support). Its kernel (char_fn) and samples still work; the "
                "PDE routes and designs need the density (and d ≤ 3)")

    def char_fn(self, z, *, validate: bool = True) -> np.ndarray:
        """The real characteristic function φ_w(z) = E[cos(w·z)] at points of shape (..., d).

        ``validate=False`` skips the shape and finiteness checks, for callers on a hot path
        whose z is already a checked float64 array of shape (..., d)."""
        return self._char_fn(v.points("z", z, self.dim) if validate else z)

    def support_radius(self, tol: float = 1e-8, norm: str = "inf") -> float:
        """Smallest r with P(‖w‖ > r) ≤ tol: the truncation half-width (box) or radius (ball).

        Found by bisection on the monotone tail; where ``tail`` is an upper bound the radius is
        conservative (never too small)."""
        tol = v.positive("tol", tol)
        if tol >= 1:
            raise ValueError(f"tol must be in (0, 1), got {tol}")
        v.choice("norm", norm, NORMS)
        hi = 1.0
        while self.tail(hi, norm) > tol:
            hi *= 2.0
            if hi > 1e300:
                raise ValueError(f"{self!r} has no finite support radius at tol={tol}")
        lo = 0.0
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if self.tail(mid, norm) > tol:
                lo = mid
            else:
                hi = mid
            if hi - lo <= 1e-12 * hi:
                break
        return hi


def is_isotropic(rho: FrequencyDistribution, rtol: float = 1e-9) -> bool:
    """Whether ρ̄_w(Qξ) = ρ̄_w(ξ) for a fixed random rotation Q at 64 points of ρ_w's bulk
    (then φ_w depends on |z| only, and the FF kernel on a sphere is a dot-product kernel).
    Always True in d = 1, where ρ̄_w is even by construction."""
    v.instance("rho", rho, FrequencyDistribution, "a FrequencyDistribution (ntk_freq.distributions)")
    if rho.dim == 1:
        return True
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(rho.dim, rho.dim)))
    xi = rng.normal(size=(64, rho.dim)) * rho.support_radius(1e-2, "2") / 2
    return bool(np.allclose(rho.symmetrised_pdf(xi @ Q.T), rho.symmetrised_pdf(xi), rtol=rtol))


def _draws(n, dim: int) -> int:
    """The number of draws n ≥ 1, refused if the (n, d) sample and its work arrays would not fit
    in memory (XLA would abort the process rather than raise)."""
    n = v.positive_int("n", n)
    v.fits_in_memory(f"{n} draws of ρ_w in d = {dim}", 8.0 * 4 * n * dim)
    return n


def _check_dim(dim) -> int:
    return v.positive_int("dim", dim)


def _norm(x: np.ndarray, norm: str) -> np.ndarray:
    return np.max(np.abs(x), axis=-1) if norm == "inf" else np.linalg.norm(x, axis=-1)


# --------------------------------------------------------------------------------------------
# Separable families: ρ_w(ξ) = Π_i ρ_1(ξ_i), φ_w(z) = Π_i φ_1(z_i)
# --------------------------------------------------------------------------------------------


class _Separable(FrequencyDistribution):
    """A product of d copies of one 1-D law with one scale parameter (named by ``_scale``);
    subclasses give the 1-D pieces."""

    _scale = "scale"

    def __post_init__(self):
        object.__setattr__(self, self._scale, v.scale(self._scale, getattr(self, self._scale)))
        _check_dim(self.dim)

    @abc.abstractmethod
    def _pdf1(self, w: np.ndarray) -> np.ndarray: ...

    @abc.abstractmethod
    def _char1(self, z: np.ndarray) -> np.ndarray: ...

    @abc.abstractmethod
    def _sample1(self, key: jax.Array, shape: tuple) -> jax.Array: ...

    @abc.abstractmethod
    def _tail1(self, r: float) -> float:
        """P(|w_i| > r) for one coordinate."""

    def _pdf(self, xi):
        return np.prod(self._pdf1(xi), axis=-1)

    def _log_peak(self):
        return self.dim * math.log(float(self._pdf1(np.zeros(1))[0]))

    def _char_fn(self, z):
        return self._char1(z[..., 0]) if self.dim == 1 else np.prod(self._char1(z), axis=-1)

    @float64
    def sample(self, key, n):
        return self._sample1(key, (_draws(n, self.dim), self.dim))

    def _tail(self, r, norm):
        """Exact for "inf" (independent coordinates); for "2" the bound P(‖w‖_∞ > r/√d)."""
        if norm == "2":
            r = r / math.sqrt(self.dim)
        with np.errstate(divide="ignore"):  # t = 1 gives log1p(−1) = −inf, hence 1: exact
            t = -np.expm1(self.dim * np.log1p(-self._tail1(r)))  # 1 − (1 − t)^d, no cancellation
        return t if np.ndim(t) else float(t)


@dataclass(frozen=True)
class Gaussian(_Separable):
    """Isotropic Gaussian N(0, s² I): ρ(w) = e^{−|w|²/2s²}/(2πs²)^{d/2}, φ(z) = e^{−s²|z|²/2}."""

    scale: float
    dim: int = 1

    def _pdf1(self, w):
        return np.exp(-0.5 * (w / self.scale) ** 2) / (math.sqrt(2 * math.pi) * self.scale)

    def _char1(self, z):
        e = np.multiply(z, z, out=np.empty_like(z, dtype=np.float64))
        e *= -0.5 * self.scale**2
        return np.exp(e, out=e)

    def _sample1(self, key, shape):
        return self.scale * jax.random.normal(key, shape)

    def _tail1(self, r):
        return special.erfc(r / (self.scale * math.sqrt(2.0)))  # 2 P(N(0,1) > r/s)

    def _tail(self, r, norm):
        """Exact in both norms (|w|²/s² is χ²_d); r may be an array of radii."""
        if norm == "2":
            return special.gammaincc(self.dim / 2, (np.asarray(r) / self.scale) ** 2 / 2)  # P(χ²_d > r²/s²)
        return super()._tail(r, norm)


@dataclass(frozen=True)
class Uniform(_Separable):
    """Uniform on the box [−B, B]^d: ρ = (2B)^{−d} inside, φ(z) = Π sin(B z_i)/(B z_i)."""

    half_width: float
    dim: int = 1
    _scale = "half_width"

    def _pdf1(self, w):
        return np.where(np.abs(w) <= self.half_width, 0.5 / self.half_width, 0.0)

    def _char1(self, z):
        return np.sinc(self.half_width * z / np.pi)

    def _sample1(self, key, shape):
        return jax.random.uniform(
            key, shape, minval=-self.half_width, maxval=self.half_width, dtype=jnp.float64
        )

    def _tail1(self, r):
        return np.maximum(0.0, 1.0 - r / self.half_width)


@dataclass(frozen=True)
class Laplace(_Separable):
    """Product Laplace: ρ(w) = Π e^{−|w_i|/s}/(2s), φ(z) = Π 1/(1 + s² z_i²)."""

    scale: float
    dim: int = 1

    def _pdf1(self, w):
        return np.exp(-np.abs(w) / self.scale) / (2 * self.scale)

    def _char1(self, z):
        return 1.0 / (1.0 + (self.scale * z) ** 2)

    def _sample1(self, key, shape):
        return self.scale * jax.random.laplace(key, shape, dtype=jnp.float64)

    def _tail1(self, r):
        return math.exp(-r / self.scale)


# --------------------------------------------------------------------------------------------
# Isotropic heavy-tailed families
# --------------------------------------------------------------------------------------------


#: From this Bessel order ν/2 on, the Student-t φ uses the uniform (Debye) expansion of K_{ν/2}:
#: K_{ν/2}(u) itself overflows float64 near u = 0 from ν/2 ≈ 170, and the expansion's error,
#: O((ν/2)^-5) after four terms, is below 1e-10 here.
DEBYE_ORDER = 60.0
#: The natural logs of the densities float64 holds with room to spare (≈ ±690 is its edge).
LOG_DENSITY_RANGE = (math.log(1e-300), math.log(1e300))
#: u = √ν s|z| from which the Student-t φ (ν/2 < DEBYE_ORDER) is 0 in float64.
STUDENT_PHI_ZERO = 1e4

# DLMF 10.41.10: the polynomials u_1 … u_4 of the Debye expansion, coefficients of t^k.
_DEBYE_U = (
    np.polynomial.Polynomial([0, 3, 0, -5]) / 24,
    np.polynomial.Polynomial([0, 0, 81, 0, -462, 0, 385]) / 1152,
    np.polynomial.Polynomial([0, 0, 0, 30375, 0, -369603, 0, 765765, 0, -425425]) / 414720,
    np.polynomial.Polynomial([0, 0, 0, 0, 4465125, 0, -94121676, 0, 349922430, 0, -446185740, 0,
                              185910725]) / 39813120,
)


def _log_student_phi_debye(n: float, u: np.ndarray) -> np.ndarray:
    """log φ of the Student-t law with ν = 2n, log[2^{1−n}/Γ(n) · u^n K_n(u)], through the uniform
    expansion K_n(n x) ≈ √(π/(2n)) (1+x²)^{−1/4} e^{−nη} Σ_k (−1)^k u_k(t)/n^k, t = (1+x²)^{−1/2},
    η = √(1+x²) + log(x/(1+√(1+x²))). The log x of η cancels n log u exactly, so the form below
    is regular at u = 0 (where it gives log φ = 0 to the expansion's accuracy)."""
    x = np.asarray(u, dtype=np.float64) / n
    root = np.sqrt(1.0 + x * x)
    t = 1.0 / root
    series = 1.0 + sum((-1) ** (k + 1) * poly(t) * (1.0 / n) ** (k + 1) for k, poly in enumerate(_DEBYE_U))
    # The terms of size n (log Γ(n), n log n, n·root, n log(1 + root)) cancel to O(n x²): written
    # with Stirling's series S(n) = log Γ(n) − (n − ½) log n + n − ½ log 2π and
    # A = log((1 + root)/2) − (root − 1), each computed without cancellation, the same sum is
    # log φ = n A − S(n) − ½ log root + log(series), accurate for ν up to 10¹⁰⁰ (the direct form
    # lost 13 digits at ν = 10¹², giving φ(0) = 1.003).
    r = 1.0 / n
    stirling = r / 12 - r**3 / 360 + r**5 / 1260 - r**7 / 1680
    a = np.log1p(x * x / (2.0 * (1.0 + root))) - x * x / (1.0 + root)
    return n * a - stirling - 0.5 * np.log(root) + np.log(series)


@dataclass(frozen=True)
class StudentT(FrequencyDistribution):
    """Isotropic multivariate Student-t with ν degrees of freedom and scale s:

        ρ(w) = Γ((ν+d)/2) / (Γ(ν/2) (νπ)^{d/2} s^d) · (1 + |w|²/(ν s²))^{−(ν+d)/2},
        φ(z) = 2^{1−ν/2}/Γ(ν/2) · u^{ν/2} K_{ν/2}(u),   u = √ν s |z|  (K: modified Bessel).

    Each coordinate is a 1-D t_ν scaled by s; ν = 1 is the Cauchy law."""

    nu: float
    scale: float
    dim: int = 1

    def __post_init__(self):
        object.__setattr__(self, "nu", v.scale("nu", self.nu))
        object.__setattr__(self, "scale", v.scale("scale", self.scale))
        _check_dim(self.dim)

    def _log_peak(self):
        nu, s, d = self.nu, self.scale, self.dim
        return float(special.gammaln((nu + d) / 2) - special.gammaln(nu / 2)
                     - 0.5 * d * math.log(nu * math.pi) - d * math.log(s))

    def _pdf(self, xi):
        nu, s, d = self.nu, self.scale, self.dim
        r2 = np.sum(xi**2, axis=-1)
        return np.exp(self._log_peak() - 0.5 * (nu + d) * np.log1p(r2 / (nu * s * s)))

    def _char_fn(self, z):
        half_nu = 0.5 * self.nu
        u = math.sqrt(self.nu) * self.scale * np.linalg.norm(z, axis=-1)
        if half_nu >= DEBYE_ORDER:
            return np.exp(_log_student_phi_debye(half_nu, u))
        # beyond u = 10⁴ φ < e^{−9000} = 0 in float64 (ν/2 < 60 here), and scipy's kve returns
        # NaN for u ≳ 10¹⁶: the far tail is 0 exactly, never computed
        near = np.minimum(u, STUDENT_PHI_ZERO)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_phi = (
                (1 - half_nu) * math.log(2)
                - special.gammaln(half_nu)
                + half_nu * np.log(near)
                + np.log(special.kve(half_nu, near))
                - near
            )
        return np.where(u >= STUDENT_PHI_ZERO, 0.0, np.where(u > 0, np.exp(log_phi), 1.0))

    @float64
    def sample(self, key, n):
        n = _draws(n, self.dim)
        k_normal, k_gamma = jax.random.split(key)
        g = jax.random.normal(k_normal, (n, self.dim), dtype=jnp.float64)
        chi2 = 2.0 * jax.random.gamma(k_gamma, self.nu / 2, (n, 1), dtype=jnp.float64)
        return self.scale * g * jnp.sqrt(self.nu / chi2)

    def _tail(self, r, norm):
        """Exact for "2" (|w|²/(d s²) is F(d, ν)); for "inf" the bound P(‖w‖_2 > r)."""
        return _f_sf(r * r / (self.dim * self.scale**2), self.dim, self.nu)


@dataclass(frozen=True)
class Cauchy(FrequencyDistribution):
    """Isotropic multivariate Cauchy with scale γ:

        ρ(w) = Γ((d+1)/2)/π^{(d+1)/2} · γ/(γ² + |w|²)^{(d+1)/2},   φ(z) = e^{−γ|z|}.

    The same law as ``StudentT(1, γ)``, written with its own closed forms."""

    gamma: float
    dim: int = 1

    def __post_init__(self):
        object.__setattr__(self, "gamma", v.scale("gamma", self.gamma))
        _check_dim(self.dim)

    def _log_peak(self):
        d = self.dim
        return float(special.gammaln((d + 1) / 2) - (d + 1) / 2 * math.log(math.pi) - d * math.log(self.gamma))

    def _pdf(self, xi):
        d, g = self.dim, self.gamma
        return np.exp(self._log_peak() - (d + 1) / 2 * np.log1p(np.sum(xi**2, axis=-1) / (g * g)))

    def _char_fn(self, z):
        return np.exp(-self.gamma * np.linalg.norm(z, axis=-1))

    @float64
    def sample(self, key, n):
        n = _draws(n, self.dim)
        g = jax.random.normal(key, (n, self.dim + 1), dtype=jnp.float64)
        return self.gamma * g[:, 1:] / jnp.abs(g[:, :1])

    def _tail(self, r, norm):
        """Exact for "2"; for "inf" the bound P(‖w‖_2 > r)."""
        return _f_sf(r * r / (self.dim * self.gamma**2), self.dim, 1)


# --------------------------------------------------------------------------------------------
# Combinators
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mixture(FrequencyDistribution):
    """Σ_k π_k ρ_k with weights π_k > 0 summing to 1; φ = Σ_k π_k φ_k."""

    components: tuple
    weights: tuple

    def __post_init__(self):
        if isinstance(self.components, FrequencyDistribution) or np.ndim(self.weights) == 0:
            raise TypeError("Mixture takes a list of components and a list of weights, e.g. "
                            "Mixture([rho1, rho2], [0.5, 0.5]); got a single one")
        comps, w = tuple(self.components), np.asarray(self.weights, dtype=float)
        if len(comps) == 0 or len(comps) != w.size:
            raise ValueError(
                f"a mixture needs as many weights as components, got {len(comps)} components and "
                f"{w.size} weights"
            )
        for c in comps:
            if not isinstance(c, FrequencyDistribution):
                raise TypeError(f"mixture components must be distributions, got {c!r}")
        dims = {c.dim for c in comps}
        if len(dims) != 1:
            raise ValueError(f"mixture components live in different dimensions {sorted(dims)}")
        if np.any(~np.isfinite(w)) or np.any(w <= 0) or abs(w.sum() - 1) > 1e-9:
            raise ValueError(f"mixture weights must be > 0 and sum to 1, got {w.tolist()}")
        object.__setattr__(self, "components", comps)
        object.__setattr__(self, "weights", tuple(float(x) for x in w))

    @property
    def dim(self) -> int:
        return self.components[0].dim

    def _pdf(self, xi):
        return sum(p * c._pdf(xi) for p, c in zip(self.weights, self.components))

    def _char_fn(self, z):
        return sum(p * c._char_fn(z) for p, c in zip(self.weights, self.components))

    @float64
    def sample(self, key, n):
        n = _draws(n, self.dim)
        k_pick, *k_comp = jax.random.split(key, len(self.components) + 1)
        pick = jax.random.choice(k_pick, len(self.components), (n,), p=jnp.asarray(self.weights))
        draws = jnp.stack([c.sample(k, n) for c, k in zip(self.components, k_comp)])
        return draws[pick, jnp.arange(n)]

    def _tail(self, r, norm):
        """Σ π_k tail_k(r): exact where each component's is."""
        return sum(p * c.tail(r, norm) for p, c in zip(self.weights, self.components))


@dataclass(frozen=True)
class Shift(FrequencyDistribution):
    """The symmetric shift ½[ρ(w − μ) + ρ(w + μ)]; φ(z) = cos(μ·z) φ_ρ(z) for any base ρ."""

    base: FrequencyDistribution
    mu: tuple

    def __post_init__(self):
        if not isinstance(self.base, FrequencyDistribution):
            raise TypeError(f"base must be a distribution, got {self.base!r}")
        mu = np.atleast_1d(v.finite_array("mu", self.mu))
        if mu.shape != (self.base.dim,):
            raise ValueError(f"mu must have {self.base.dim} entries (the base's d), got {mu.shape}")
        object.__setattr__(self, "mu", tuple(float(x) for x in mu))

    @property
    def dim(self) -> int:
        return self.base.dim

    def _pdf(self, xi):
        mu = np.asarray(self.mu)
        return 0.5 * (self.base._pdf(xi - mu) + self.base._pdf(xi + mu))

    def _char_fn(self, z):
        return np.cos(z @ np.asarray(self.mu)) * self.base._char_fn(z)

    @float64
    def sample(self, key, n):
        k_base, k_sign = jax.random.split(key)
        sign = jax.random.rademacher(k_sign, (_draws(n, self.dim), 1), dtype=jnp.float64)
        return self.base.sample(k_base, n) + sign * jnp.asarray(self.mu)

    def _tail(self, r, norm):
        """The bound tail_ρ(r − ‖μ‖) (triangle inequality)."""
        shift = float(_norm(np.asarray(self.mu), norm))
        return self.base.tail(max(r - shift, 0.0), norm)


@dataclass(frozen=True)
class Product(FrequencyDistribution):
    """Independent coordinates with 1-D laws: ρ(ξ) = Π_i ρ_i(ξ_i), φ(z) = Π_i φ_i(z_i)."""

    factors: tuple

    def __post_init__(self):
        fs = tuple(self.factors)
        if not fs or any(not isinstance(f, FrequencyDistribution) or f.dim != 1 for f in fs):
            raise ValueError("Product needs one or more 1-D distributions as factors")
        object.__setattr__(self, "factors", fs)

    @property
    def dim(self) -> int:
        return len(self.factors)

    def _pdf(self, xi):
        return np.prod([f._pdf(xi[..., i : i + 1]) for i, f in enumerate(self.factors)], axis=0)

    def _char_fn(self, z):
        return np.prod([f._char_fn(z[..., i : i + 1]) for i, f in enumerate(self.factors)], axis=0)

    @float64
    def sample(self, key, n):
        keys = jax.random.split(key, self.dim)
        return jnp.concatenate([f.sample(k, n) for f, k in zip(self.factors, keys)], axis=1)

    def _tail(self, r, norm):
        """Exact for "inf" given exact factor tails; for "2" the bound at r/√d."""
        if norm == "2":
            r = r / math.sqrt(self.dim)
        return 1.0 - float(np.prod([1.0 - f.tail(r, "inf") for f in self.factors]))


# --------------------------------------------------------------------------------------------
# Data-given densities
# --------------------------------------------------------------------------------------------

#: How far a tabulated density's integral may be from 1 before it is refused (then rescaled).
TABULATED_MASS_TOL = 1e-3


@dataclass(frozen=True, eq=False)
class Tabulated(FrequencyDistribution):
    """A density given by its values on a tensor grid, interpolated (multi)linearly, 0 outside.

    ``axes``: one strictly increasing 1-D array per dimension (a single array in d = 1);
    ``values``: the density on the grid, shape (len(axes[0]), …). Its integral (exact for the
    multilinear interpolant: the tensor trapezoid rule) must be 1 within ``TABULATED_MASS_TOL``;
    it is then rescaled to 1 exactly. φ_w is computed by the same trapezoid rule
    (error O(h²|z|²) for grid step h); sampling is exact for the interpolant."""

    axes: tuple
    values: np.ndarray = field(repr=False)

    def __post_init__(self):
        axes = self.axes
        if isinstance(axes, np.ndarray) and axes.ndim == 1:
            axes = (axes,)
        axes = tuple(v.finite_array("axes", a) for a in axes)
        for i, a in enumerate(axes):
            if a.ndim != 1 or a.size < 2 or np.any(np.diff(a) <= 0):
                raise ValueError(
                    f"axes[{i}] must be a strictly increasing 1-D grid of 2 or more points"
                )
        values = v.finite_array("values", self.values)
        shape = tuple(a.size for a in axes)
        if values.shape != shape:
            raise ValueError(f"values has shape {values.shape}, the grid has shape {shape}")
        if np.any(values < 0):
            raise ValueError(
                f"a density must be >= 0, but values has {int(np.sum(values < 0))} negative "
                f"entries (min {values.min():.3g})"
            )
        mass = float(np.sum(values * _trapezoid_weights(axes)))
        if abs(mass - 1) > TABULATED_MASS_TOL:
            raise ValueError(
                f"the tabulated density integrates to {mass:.6g} over its grid, not 1 (tolerance "
                f"{TABULATED_MASS_TOL}); normalise it, or widen the grid to hold all its mass"
            )
        object.__setattr__(self, "axes", axes)
        object.__setattr__(self, "values", values / mass)

    @property
    def dim(self) -> int:
        return len(self.axes)

    def _pdf(self, xi):
        interp = RegularGridInterpolator(self.axes, self.values, bounds_error=False, fill_value=0.0)
        return interp(xi.reshape(-1, self.dim)).reshape(xi.shape[:-1])

    def _nodes_weights(self):
        grid = np.stack(np.meshgrid(*self.axes, indexing="ij"), axis=-1).reshape(-1, self.dim)
        return grid, (self.values * _trapezoid_weights(self.axes)).ravel()

    def _char_fn(self, z):
        """Exact for the piecewise-linear law it samples in d = 1 (:func:`piecewise_linear_char_fn`);
        the trapezoid sum over the grid nodes in d ≥ 2 (accurate for |z| ≪ π/h, h the grid step)."""
        if self.dim == 1:
            return piecewise_linear_char_fn(self, z[..., 0])
        nodes, mass = self._nodes_weights()
        flat = z.reshape(-1, self.dim)
        return (np.cos(flat @ nodes.T) @ mass).reshape(z.shape[:-1])

    @float64
    def sample(self, key, n):
        """Exact draws from the multilinear interpolant: a cell by its mass, then one of its 2^d
        corners with probability ∝ the corner value, then each coordinate from the tent ∝ t or
        ∝ (1 − t) on the cell (inverse CDF √u)."""
        n, d = _draws(n, self.dim), self.dim
        corners = np.array(np.meshgrid(*[[0, 1]] * d, indexing="ij")).reshape(d, -1).T  # (2^d, d)
        cell_shape = tuple(a.size - 1 for a in self.axes)
        cells = np.stack(np.meshgrid(*[np.arange(s) for s in cell_shape], indexing="ij"), -1)
        cells = cells.reshape(-1, d)  # (n_cells, d) lower-corner indices
        corner_vals = np.stack(
            [self.values[tuple((cells + c).T)] for c in corners], axis=1
        )  # (n_cells, 2^d)
        widths = np.stack([np.diff(a)[cells[:, i]] for i, a in enumerate(self.axes)], axis=1)
        cell_mass = np.prod(widths, axis=1) * corner_vals.mean(axis=1)
        k_cell, k_corner, k_u = jax.random.split(key, 3)
        cell = jax.random.choice(k_cell, cells.shape[0], (n,), p=jnp.asarray(cell_mass))
        probs = jnp.asarray(corner_vals)[cell]
        corner = jax.random.categorical(k_corner, jnp.log(probs), axis=-1)
        bits = jnp.asarray(corners)[corner]  # (n, d)
        s = jnp.sqrt(jax.random.uniform(k_u, (n, d), dtype=jnp.float64))
        t = jnp.where(bits == 1, s, 1.0 - s)
        lower = jnp.stack([jnp.asarray(a)[jnp.asarray(cells)[cell, i]] for i, a in enumerate(self.axes)], 1)
        return lower + t * jnp.asarray(widths)[cell]

    def _tail(self, r, norm):
        """Exact on the grid nodes (trapezoid mass of the nodes with ‖ξ‖ > r)."""
        nodes, mass = self._nodes_weights()
        return float(np.sum(mass[_norm(nodes, norm) > r]))

    @classmethod
    def load(cls, path) -> "Tabulated":
        """Read a density written by :func:`save_tabulated` (``.npz`` with ``axis0``…, ``density``;
        or a 1-D ``.csv`` of ``xi,density`` rows). No pickled objects are read."""
        path = Path(path)
        if not path.exists():
            raise ValueError(f"tabulated density file {str(path)!r} does not exist")
        if path.suffix == ".csv":
            with open(path) as f:
                header = not re.match(r"\s*[-+.0-9]", f.readline())
            data = np.loadtxt(path, delimiter=",", comments="#", ndmin=2, skiprows=int(header))
            if data.shape[1] != 2:
                raise ValueError(f"{path}: a csv density needs two columns xi,density")
            return cls(data[:, 0], data[:, 1])
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as f:
                keys = sorted(k for k in f.files if k.startswith("axis"))
                if "density" not in f.files or not keys:
                    raise ValueError(f"{path}: expected arrays 'axis0', … and 'density'")
                return cls(tuple(f[k] for k in keys), f["density"])
        raise ValueError(f"{path}: tabulated densities are read from .npz or .csv files")


def save_tabulated(path, rho: Tabulated) -> Path:
    """Write a tabulated density as ``.npz`` (arrays ``axis0``… and ``density``) or, in d = 1,
    ``.csv`` (header ``xi,density``), atomically (temporary name, then rename)."""
    v.instance("rho", rho, Tabulated, "a Tabulated distribution (ntk_freq.distributions.Tabulated)")
    from ntk_freq._util.store import atomic_write

    path = Path(path)
    if path.suffix == ".csv":
        if rho.dim != 1:
            raise ValueError("csv export is for d = 1; use .npz in higher dimensions")
        table = np.column_stack([rho.axes[0], rho.values])
        return atomic_write(path, lambda f: np.savetxt(f, table, delimiter=",",
                                                       header="xi,density", comments=""))
    if path.suffix == ".npz":
        arrays = {f"axis{i}": a for i, a in enumerate(rho.axes)}
        return atomic_write(path, lambda f: np.savez(f, density=rho.values, **arrays))
    raise ValueError(f"{path}: choose a .npz or .csv file name")


def breakpoints(rho: FrequencyDistribution) -> tuple:
    """Per axis, the coordinates where ρ̄_w jumps or has a kink (planes ξ_i = b), which mesh nodes
    must hold: uniform band edges ±B, Laplace's kink at 0, a tabulated grid's end points (the
    density drops to 0 there), shifted and mixed copies of these. Empty arrays where none."""
    v.instance("rho", rho, FrequencyDistribution, "a FrequencyDistribution (ntk_freq.distributions)")
    d = rho.dim
    if isinstance(rho, Uniform):
        return tuple(np.array([-rho.half_width, rho.half_width]) for _ in range(d))
    if isinstance(rho, Laplace):
        return tuple(np.zeros(1) for _ in range(d))
    if isinstance(rho, Tabulated):
        return tuple(np.array([a[0], a[-1], -a[0], -a[-1]]) for a in rho.axes)
    if isinstance(rho, Product):
        return tuple(breakpoints(f)[0] for f in rho.factors)
    if isinstance(rho, Shift):
        return tuple(np.concatenate([b - m, b + m, m - b, -m - b])
                     for b, m in zip(breakpoints(rho.base), rho.mu))
    if isinstance(rho, Mixture):
        per_component = [breakpoints(c) for c in rho.components]
        return tuple(np.concatenate([bp[i] for bp in per_component]) for i in range(d))
    return tuple(np.zeros(0) for _ in range(d))


def piecewise_linear_char_fn(rho: Tabulated, z: np.ndarray) -> np.ndarray:
    """φ_w(z) = ∫ ρ_w(ξ) cos(ξz) dξ exactly for the piecewise-linear density of a 1-D
    :class:`Tabulated` ρ_w (what it samples), at points z of any shape: per cell [a, b] with
    midpoint m, length L, mean value μ and rise δ = ρ(b) − ρ(a), u = Lz/2,
    L [μ sinc(u) cos(mz) − δ (sin u − u cos u)/(2u²) sin(mz)] (series for small u).
    (A trapezoid sum over the nodes would be periodic in z with period 2π/h and never decay:
    0.2 % off the sampled law's φ at |z| = 20 on a grid of step 0.08.)"""
    v.instance("rho", rho, Tabulated, "a Tabulated distribution (ntk_freq.distributions.Tabulated)")
    xi, f = rho.axes[0], rho.values
    L, m = np.diff(xi), 0.5 * (xi[1:] + xi[:-1])
    mu, delta = 0.5 * (f[1:] + f[:-1]), np.diff(f)
    z = v.bounded("z", v.finite_array("z", z))
    out = np.empty(z.size)
    for block in np.array_split(np.arange(z.size), max(1, z.size * L.size // 2**22)):
        zb = z.ravel()[block, None]
        u = 0.5 * L * zb
        small = np.abs(u) < 1e-3
        safe = np.where(small, 1.0, u)
        odd = np.where(small, u / 3 - u**3 / 30, (np.sin(safe) - safe * np.cos(safe)) / safe**2)
        out[block] = (L * (mu * np.sinc(u / np.pi) * np.cos(m * zb)
                           - 0.5 * delta * odd * np.sin(m * zb))).sum(axis=1)
    return out.reshape(z.shape)


def _trapezoid_weights(axes) -> np.ndarray:
    """Tensor-product trapezoid weights on a (possibly non-uniform) grid."""
    w1 = []
    for a in axes:
        h = np.diff(a)
        w = np.zeros_like(a)
        w[:-1] += h / 2
        w[1:] += h / 2
        w1.append(w)
    out = w1[0]
    for w in w1[1:]:
        out = np.multiply.outer(out, w)
    return out


@dataclass(frozen=True, eq=False)
class Empirical(FrequencyDistribution):
    """The law of given samples w_j, smoothed by a Gaussian kernel of bandwidth h (a KDE):

        ρ(ξ) = (1/n) Σ_j N(ξ; w_j, h² I),   φ(z) = (1/n) Σ_j cos(w_j·z) · e^{−h²|z|²/2}.

    Sampling draws a w_j and adds h·N(0, I), so all three describe the same law. ``bandwidth``
    None takes Scott's rule h = σ̂ n^{−1/(d+4)}; 0 keeps the discrete law (φ = sample mean of
    cos(w_j·z), no density)."""

    samples: np.ndarray = field(repr=False)
    bandwidth: float | None = None

    def __post_init__(self):
        w = v.finite_array("samples", self.samples)
        if w.ndim == 1:
            w = w[:, None]
        if w.ndim != 2 or w.shape[0] < 2:
            raise ValueError(f"samples must have shape (n, d) with n >= 2, got {np.shape(self.samples)}")
        h = self.bandwidth
        if h is None:
            h = float(np.mean(np.std(w, axis=0))) * w.shape[0] ** (-1.0 / (w.shape[1] + 4))
        h = v.nonnegative("bandwidth", h)
        object.__setattr__(self, "samples", w)
        object.__setattr__(self, "bandwidth", h if h == 0 else v.scale("bandwidth", h))

    @property
    def dim(self) -> int:
        return self.samples.shape[1]

    def _pdf(self, xi):
        h = self.bandwidth
        if h == 0:
            raise ValueError("an empirical law with bandwidth 0 is discrete and has no density")
        flat = xi.reshape(-1, self.dim)
        d2 = np.sum(((flat[:, None, :] - self.samples[None]) / h) ** 2, axis=-1)
        # log-space: a narrow kernel in high d would underflow/overflow the plain form
        log_dens = (special.logsumexp(-0.5 * d2, axis=1) - math.log(self.samples.shape[0])
                    - 0.5 * self.dim * math.log(2 * np.pi) - self.dim * math.log(h))
        return np.exp(log_dens).reshape(xi.shape[:-1])

    def _char_fn(self, z):
        flat = z.reshape(-1, self.dim)
        mean_cos = np.mean(np.cos(flat @ self.samples.T), axis=1)
        smooth = np.exp(-0.5 * self.bandwidth**2 * np.sum(flat**2, axis=1))
        return (mean_cos * smooth).reshape(z.shape[:-1])

    @float64
    def sample(self, key, n):
        n = _draws(n, self.dim)
        k_pick, k_noise = jax.random.split(key)
        idx = jax.random.randint(k_pick, (n,), 0, self.samples.shape[0])
        noise = jax.random.normal(k_noise, (n, self.dim), dtype=jnp.float64)
        return jnp.asarray(self.samples)[idx] + self.bandwidth * noise

    def _tail(self, r, norm):
        """Upper bound (1/n) Σ_j P(h‖g‖ > r − ‖w_j‖), g standard normal (h = 0: exact)."""
        gap = r - _norm(self.samples, norm)
        if self.bandwidth == 0:
            return float(np.mean(gap < 0))
        return float(np.mean(Gaussian(self.bandwidth, self.dim).tail(np.maximum(gap, 0.0), norm)))


# --------------------------------------------------------------------------------------------
# Short specs for the CLI and configs
# --------------------------------------------------------------------------------------------


