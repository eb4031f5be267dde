"""Infinite-width kernels of the multi-layer Fourier-feature network (docs/deep.md).

The network is :func:`ntk_freq._nn.models.ff_mlp_network`: the embedding γ(x) = [cos(Wx), sin(Wx)]
(w_j ~ ρ_w, m features, 2m channels) followed by an NTK-parametrised MLP with L = len(hidden) + 1
Dense layers h ← (w_std/√n_in) h V + b_std c, the activation σ between them, none on the output.

Embedding kernel. The channel covariance of γ is (1/2m) Σ_ch γ_ch(x) γ_ch(x') → ½ φ_w(x − x'),
with constant diagonal ½ (φ_w(0) = 1). When W is trained, the channels' own tangent kernel is
(1/2m) Σ_j [sin sin' + cos cos'] (x·x') → ½ φ_w(x − x') (x·x'): the cos/sin pair of one w_j is
correlated, but the next Dense layer's independent weights average those cross terms away.

MLP. neural-tangents' ``stax`` kernel_fn maps an input ``Kernel`` (nngp, ntk, diagonals) to the
output's; we hand it ours. Because the diagonal is the constant ½, every layer's NNGP depends on
x, x' only through c = φ_w(x − x'), and the NTK recursion Θ_{l+1} = Σ_{l+1} + w_std² Σ̇_l Θ_l is
linear in the input tangent kernel, so

    Θ(x, x') = κ(φ_w(x − x')) + (x·x') χ(φ_w(x − x')),     χ(c) = c κ_Σ'(c),

with κ_Σ(c) the output NNGP profile (the GP covariance of the network's output before doubling),
κ(c) the NTK profile with W frozen, and χ the W-trained term: the chain rule through the layers
multiplies the input tangent kernel ½ c (x·x') by ∂κ_Σ/∂K₀ = 2 κ_Σ'(c) (K₀ = c/2 is the input
NNGP). So ψ(z) = χ(φ_w(z)) is itself a function of φ_w. With no hidden layer (L = 1),
κ_Σ(c) = w_std² c/2 + b_std² and Θ = (w_std²/2) φ_w (1 + x·x') + b_std²: the two-layer kernel
:func:`ntk_freq.kernels.ff_ntk` with σ_a = 1, scaled by w_std²/2, plus the output bias.

Frequency content (d = 1): :func:`effective_densities` Fourier-transforms the profiles into the
damping and diffusion densities ρ_α, ρ_D of the deep frequency PDE
∂_t û = c(2π)[∂_ξ(ρ_D ∂_ξ û) − ρ_α û], which :func:`solve_deep_frequency_pde` solves.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.fft

from ntk_freq._util import validation as v
from ntk_freq._nt import load as _nt
from ntk_freq._util.precision import float64
from ntk_freq.distributions._families import FrequencyDistribution, Tabulated, piecewise_linear_char_fn  # noqa: F401 (re-exported)
from ntk_freq._nn.models import ACTIVATIONS

#: Elementwise (n1, n2) float64 arrays alive at once while stax runs a layer (measured order).
_ARRAYS_PER_ENTRY = 12
GETS = ("ntk", "nngp")


class Profiles(NamedTuple):
    """The scalar profiles of the deep FF-NN kernels at embedding correlations c = φ_w(z):
    ``nngp`` κ_Σ(c), ``kappa`` κ(c) (NTK with W frozen), ``chi`` χ(c) (coefficient of x·x')."""

    c: np.ndarray
    nngp: np.ndarray
    kappa: np.ndarray
    chi: np.ndarray


def check_mlp(hidden, activation, w_std, b_std) -> tuple:
    """Validated (number of hidden layers, activation, w_std, b_std); widths only need be ≥ 1
    (the kernel is their common infinite-width limit)."""
    if isinstance(hidden, (int, np.integer)) or not hasattr(hidden, "__iter__"):
        raise TypeError(f"hidden must be a tuple of layer widths such as (256, 256), got {hidden!r}")
    n_hidden = len(tuple(v.positive_int("hidden", h) for h in hidden))
    v.choice("activation", activation, ACTIVATIONS)
    return n_hidden, activation, v.std("w_std", w_std, allow_zero=False), v.std("b_std", b_std)


@functools.lru_cache(maxsize=64)
def _mlp_kernel_fn(n_hidden: int, activation: str, w_std: float, b_std: float):
    """The jitted ``stax`` kernel_fn of the MLP part (Dense → σ → … → Dense, 'ntk' parametrisation)."""
    stax = _nt().stax
    act = {"relu": stax.Relu, "erf": stax.Erf, "sin": stax.Sin, "cos": stax.Cos,
           "gelu": functools.partial(stax.Gelu, approximate=False), "abs": stax.Abs}[activation]

    def dense():
        return stax.Dense(1, W_std=w_std, b_std=b_std if b_std > 0 else None, parameterization="ntk")

    layers = [layer for _ in range(n_hidden) for layer in (dense(), act())] + [dense()]
    kernel_fn = stax.serial(*layers)[2]
    return jax.jit(lambda k: kernel_fn(k, None, None))


@float64
def mlp_on_embedding(c, xx, hidden=(256,), *, activation: str = "relu", w_std: float = 1.0,
                     b_std: float = 0.0, same_points: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(NNGP, NTK) of the MLP on top of the Fourier-feature embedding, given the embedding
    correlations ``c`` = φ_w(x − x') (an (n1, n2) array in [−1, 1]) and the dot products
    ``xx`` = x·x' (same shape; None when W is frozen). The input ``Kernel`` handed to stax holds
    nngp = c/2, ntk = (c/2)·xx (or 0), diagonals ½; ``same_points`` tells stax that the two
    batches are the same points (it then treats the diagonal c = 1 exactly rather than clipping
    it, which matters to ~1e-9 for relu's √(1 − c²) terms)."""
    n_hidden, activation, w_std, b_std = check_mlp(hidden, activation, w_std, b_std)
    c = jnp.asarray(c, dtype=jnp.float64)
    if c.ndim != 2:
        raise ValueError(f"c must be an (n1, n2) array of correlations, got shape {c.shape}")
    n1, n2 = c.shape
    template = _nt().stax.Identity()[2](jnp.zeros((n1, 1)), jnp.zeros((n2, 1)), None)
    ntk0 = jnp.zeros_like(c) if xx is None else 0.5 * c * jnp.asarray(xx, dtype=jnp.float64)
    k0 = template.replace(nngp=0.5 * c, ntk=ntk0, cov1=jnp.full((n1,), 0.5),
                          cov2=jnp.full((n2,), 0.5), x1_is_x2=jnp.asarray(bool(same_points)))
    out = _mlp_kernel_fn(n_hidden, activation, w_std, b_std)(k0)
    return np.asarray(out.nngp, dtype=np.float64), np.asarray(out.ntk, dtype=np.float64)


def ff_mlp_ntk(x1, x2, rho: FrequencyDistribution, *, hidden=(256,), activation: str = "relu",
               w_std: float = 1.0, b_std: float = 0.0, train_frequencies: bool = True,
               get: str = "ntk") -> np.ndarray:
    """Infinite-width kernel of :func:`ntk_freq._nn.models.ff_mlp_network` (same keywords), any ρ_w:

        NTK   Θ(x, x') = κ(φ_w(x − x')) + (x·x') χ(φ_w(x − x'))   (χ term only if W trained)
        NNGP  K(x, x') = κ_Σ(φ_w(x − x'))                          (output covariance of one copy)

    with the profiles of the module docstring (:func:`profiles` evaluates them). x1, x2: points
    of shape (n, d) (or (n,) in d = 1), d = ``rho.dim``; ``hidden``: the MLP's hidden widths
    (only their number L − 1 matters at infinite width; () gives one Dense readout); activation
    one of :data:`ntk_freq.models.ACTIVATIONS`; w_std > 0, b_std ≥ 0 the Dense layers' scales
    ('ntk' parametrisation); train_frequencies: W trained (True) or frozen; get "ntk" or "nngp".
    Returns an (n1, n2) float64 array. Doubling does not change the NTK (models docstring)."""
    if not isinstance(rho, FrequencyDistribution):
        raise TypeError(f"rho must be a frequency distribution (ntk_freq.distribution), got {rho!r}")
    x1, x2 = v.point_list("x1", x1, rho.dim), v.point_list("x2", x2, rho.dim)
    mlp = check_mlp(hidden, activation, w_std, b_std)
    if not isinstance(train_frequencies, (bool, np.bool_)):
        raise TypeError(f"train_frequencies must be True or False, got {train_frequencies!r}")
    v.choice("get", get, GETS)
    v.fits_in_memory("the deep Fourier-feature kernel",
                     8.0 * len(x1) * len(x2) * (rho.dim + _ARRAYS_PER_ENTRY))
    c = rho.char_fn(x1[:, None, :] - x2[None, :, :], validate=False)
    xx = x1 @ x2.T if train_frequencies else None
    nngp, ntk = mlp_on_embedding(c, xx, (1,) * mlp[0], activation=mlp[1], w_std=mlp[2],
                                 b_std=mlp[3],
                                 same_points=x1.shape == x2.shape and np.array_equal(x1, x2))
    return ntk if get == "ntk" else nngp


def profiles(c, hidden=(256,), activation: str = "relu", *, w_std: float = 1.0,
             b_std: float = 0.0) -> Profiles:
    """κ_Σ(c), κ(c), χ(c) at correlations c ∈ [−1, 1] (any shape → 1-D): the deep FF-NN
    kernels are these evaluated at c = φ_w(x − x') (module docstring). χ is read off as the
    NTK with x·x' = 1 minus the NTK with W frozen (the NTK is linear in x·x')."""
    c = v.finite_array("c", c).ravel()
    if c.size == 0 or np.any(np.abs(c) > 1):
        raise ValueError(f"c must be a non-empty list of correlations in [-1, 1], got {c[:8]}…")
    nngp, kappa = mlp_on_embedding(c[None, :], None, hidden, activation=activation, w_std=w_std, b_std=b_std)
    _, full = mlp_on_embedding(c[None, :], np.ones((1, c.size)), hidden, activation=activation, w_std=w_std, b_std=b_std)
    return Profiles(c, nngp[0], kappa[0], full[0] - kappa[0])


# ---------------------------------------------------------------------------------------------
# Effective densities: the deep kernel's frequency content (docs/deep.md, "Frequency equation")

#: Step of the central difference for κ'(0), χ'(0) (error O(h² κ''') ≈ 1e-8 relative).
_SLOPE_STEP = 1e-4
#: Default z grid: z_max = this many median radii⁻¹ of ρ_w, n_z cells.
Z_MAX_PER_MEDIAN = 400.0
N_Z = 2**15
#: ρ_w must have a density: |φ_w| on the last tenth of the z grid stays below this.
PHI_TAIL_TOL = 0.05


@dataclass(frozen=True, eq=False)
class EffectiveDensities:
    """ρ_α, ρ_D of a deep FF-NN in d = 1 on a grid ``xi`` (ascending), in the convention of
    (E3): α(ξ) = c (2π) ρ_α(ξ), D(ξ) = c (2π) ρ_D(ξ). ``alpha``, ``D``: the continuous parts;
    ``atom``: the mass κ(0) of ρ_α at ξ = 0 (a constant part of the kernel; ρ_D has none since
    χ(0) = 0); ``mass``: the Bochner masses ∫ρ_α = κ(1) − κ(0), ∫ρ_D = χ(1) of the continuous
    parts; ``error``: an estimate of the largest absolute error of each (discretisation: the
    change when Δz doubles; truncation: (1/π)·z_max·|residual(z_max)|; interpolation from the
    DCT's ξ grid: max |second difference|/8); ``spec``: the network."""

    xi: np.ndarray
    alpha: np.ndarray
    D: np.ndarray
    atom: float
    mass: dict
    error: dict
    spec: dict

    def captured(self) -> dict:
        """Trapezoid mass of ``alpha``/``D`` on the ξ grid over the Bochner mass (≈ 1 when the
        grid holds the densities)."""
        return {name: float(np.trapezoid(values, self.xi) / self.mass[name]) if self.mass[name] > 0
                else 1.0 for name, values in (("alpha", self.alpha), ("D", self.D))}

    def damping_distribution(self):
        """ρ_α normalised on the grid, as a :class:`ntk_freq.distributions.Tabulated` density
        (negative rounding-level values set to 0), and its grid mass A: ρ_α = A · pdf."""
        values = np.clip(self.alpha, 0.0, None)
        mass = float(np.trapezoid(values, self.xi))
        return Tabulated(self.xi, values / mass), mass

    def rho_D(self, xi) -> np.ndarray:
        """ρ_D at points ξ of shape (..., 1), linear interpolation, 0 off the grid."""
        xi = np.asarray(xi, dtype=np.float64)[..., 0]
        return np.interp(xi, self.xi, np.clip(self.D, 0.0, None), left=0.0, right=0.0)


def cosine_transform(g, dz: float, xi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(1/π) ∫_0^{z_max} g(z) cos(ξ z) dz, the density of the even function g(|z|) in the
    convention F[g] = 2π ρ, for each ξ; returns (values at ``xi``, values on the DCT grid).

    Trapezoid rule on z_j = j·dz (j = 0…n) with the Euler–Maclaurin end correction
    (dz²/12)·g'(0⁺)/π: a profile with a kink at z = 0 (relu's √(1 − c) singularity) has
    g'(0⁺) ≠ 0, and the correction keeps the rule O(dz⁴) (g'(z_max) ≈ 0 by truncation). A
    type-I DCT gives the sum exactly at ξ_k = πk/z_max; linear interpolation takes it to ``xi``;
    0 beyond the grid's Nyquist frequency πn/z_max."""
    n = g.size - 1
    slope0 = (-3 * g[0] + 4 * g[1] - g[2]) / (2 * dz)
    values = dz / (2 * math.pi) * scipy.fft.dct(g, type=1) + dz**2 * slope0 / (12 * math.pi)
    return np.interp(np.abs(xi), math.pi / (n * dz) * np.arange(n + 1), values, right=0.0), values


def _interpolation_error(values: np.ndarray) -> float:
    """Bound on linear interpolation's error between grid values: max |second difference| / 8."""
    return float(np.abs(np.diff(values, 2)).max() / 8) if values.size > 2 else 0.0


def effective_densities(rho: FrequencyDistribution, xi, hidden=(256,), *, activation: str = "relu",
                        w_std: float = 1.0, b_std: float = 0.0, train_frequencies: bool = True,
                        z_max: float | None = None, n_z: int = N_Z) -> EffectiveDensities:
    """The damping and diffusion densities of the deep FF-NN (same keywords as
    :func:`ff_mlp_ntk`) in d = 1, at the frequencies ``xi``:

        κ(φ_w(z)) = κ(0) + ∫ ρ_α(ξ) e^{iξz} dξ,   χ(φ_w(z)) = ∫ ρ_D(ξ) e^{iξz} dξ

    (Bochner: both profiles are positive definite, so ρ_α, ρ_D ≥ 0, with total masses κ(1) − κ(0)
    and χ(1)); ρ_D = 0 when W is frozen. For the two-layer net (hidden = ()) ρ_α = (w_std²/2) ρ̄_w
    and ρ_D = (w_std²/2) ρ̄_w, plus the atom b_std² at 0.

    Method: the slopes κ'(0), χ'(0) (central difference) give the exact first-order part
    κ'(0) ρ̄_w(ξ); the rest, κ(φ_w) − κ(0) − κ'(0) φ_w = O(φ_w²), is cosine-transformed by the
    trapezoid rule on z ∈ [0, z_max] with n_z cells (default z_max = 400 / median |w|). A 1-D
    :class:`Tabulated` ρ_w enters through the exact φ_w of its piecewise-linear density
    (:func:`piecewise_linear_char_fn`), not its trapezoid sum, which does not decay. The error
    estimate is returned in ``error`` (module :class:`EffectiveDensities`). ρ_w must have a
    density (φ_w → 0); ValueError otherwise."""
    if not isinstance(rho, FrequencyDistribution):
        raise TypeError(f"rho must be a frequency distribution (ntk_freq.distribution), got {rho!r}")
    if rho.dim != 1:
        raise ValueError(f"effective_densities is implemented in d = 1; rho lives in d = {rho.dim}")
    xi = v.finite_array("xi", xi).ravel()
    if xi.size == 0 or np.any(np.diff(xi) <= 0):
        raise ValueError("xi must be a non-empty, strictly increasing list of frequencies")
    mlp = dict(zip(("hidden", "activation", "w_std", "b_std"),
                   ((1,) * check_mlp(hidden, activation, w_std, b_std)[0], activation,
                    float(w_std), float(b_std))))
    n_z = v.positive_int("n_z", n_z)
    z_max = (Z_MAX_PER_MEDIAN / rho.support_radius(0.5) if z_max is None
             else v.positive("z_max", z_max))
    v.fits_in_memory("the effective densities' profiles", 8.0 * (n_z + 1) * (_ARRAYS_PER_ENTRY + 4))
    z = np.linspace(0.0, z_max, n_z + 1)
    phi = rho.char_fn(z[:, None], validate=False)  # exact for a tabulated (piecewise-linear) ρ_w
    tail = np.abs(phi[-(n_z // 10 + 1):]).max()
    if tail > PHI_TAIL_TOL:
        raise ValueError(
            f"φ_w(z) of {rho!r} does not decay on z ≤ z_max = {z_max:.4g} (|φ_w| up to {tail:.3g} "
            "on the last tenth): ρ_w needs a density, or pass a larger z_max")
    p0 = profiles(np.array([-_SLOPE_STEP, 0.0, _SLOPE_STEP, 1.0]), **mlp)
    p = profiles(np.clip(phi, -1.0, 1.0), **mlp)
    rho_bar = rho.symmetrised_pdf(xi[:, None])
    out, error, mass = {}, {}, {}
    for name, values, at in (("alpha", p.kappa, p0.kappa), ("D", p.chi, p0.chi)):
        if name == "D" and not train_frequencies:
            out[name], error[name], mass[name] = np.zeros_like(xi), 0.0, 0.0
            continue
        slope = (at[2] - at[0]) / (2 * _SLOPE_STEP)
        residual = values - at[1] - slope * phi
        fine, on_grid = cosine_transform(residual, z_max / n_z, xi)
        coarse = cosine_transform(residual[::2], 2 * z_max / n_z, xi)[0] if n_z % 2 == 0 else fine
        out[name] = slope * rho_bar + fine
        error[name] = float(np.abs(fine - coarse).max() + z_max * abs(residual[-1]) / math.pi
                            + _interpolation_error(on_grid))
        mass[name] = float(at[3] - at[1])
    spec = {"rho": repr(rho), **mlp, "train_frequencies": bool(train_frequencies),
            "z_max": float(z_max), "n_z": n_z}
    return EffectiveDensities(xi, out["alpha"], out["D"], float(p0.kappa[1]), mass, error, spec)


