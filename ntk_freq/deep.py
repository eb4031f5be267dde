"""Infinite-width kernels of the multi-layer Fourier-feature network (docs/deep.md).

The network is :func:`ntk_freq.models.ff_mlp_network`: the embedding γ(x) = [cos(Wx), sin(Wx)]
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
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import _validation as v
from ._nt import load as _nt
from .distributions import FrequencyDistribution
from .models import ACTIVATIONS

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


def _check_mlp(hidden, activation, w_std, b_std) -> tuple:
    """Validated (number of hidden layers, activation, w_std, b_std); widths only need be ≥ 1
    (the kernel is their common infinite-width limit)."""
    if isinstance(hidden, (int, np.integer)) or not hasattr(hidden, "__iter__"):
        raise TypeError(f"hidden must be a tuple of layer widths such as (256, 256), got {hidden!r}")
    n_hidden = len(tuple(v.positive_int("hidden", h) for h in hidden))
    v.choice("activation", activation, ACTIVATIONS)
    return n_hidden, activation, v.positive("w_std", w_std), v.nonnegative("b_std", b_std)


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


def mlp_on_embedding(c, xx, hidden=(256,), activation: str = "relu", w_std: float = 1.0,
                     b_std: float = 0.0, same_points: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(NNGP, NTK) of the MLP on top of the Fourier-feature embedding, given the embedding
    correlations ``c`` = φ_w(x − x') (an (n1, n2) array in [−1, 1]) and the dot products
    ``xx`` = x·x' (same shape; None when W is frozen). The input ``Kernel`` handed to stax holds
    nngp = c/2, ntk = (c/2)·xx (or 0), diagonals ½; ``same_points`` tells stax that the two
    batches are the same points (it then treats the diagonal c = 1 exactly rather than clipping
    it, which matters to ~1e-9 for relu's √(1 − c²) terms)."""
    n_hidden, activation, w_std, b_std = _check_mlp(hidden, activation, w_std, b_std)
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


def ff_mlp_ntk(x1, x2, rho: FrequencyDistribution, hidden=(256,), activation: str = "relu",
               w_std: float = 1.0, b_std: float = 0.0, train_frequencies: bool = True,
               get: str = "ntk") -> np.ndarray:
    """Infinite-width kernel of :func:`ntk_freq.models.ff_mlp_network` (same keywords), any ρ_w:

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
    mlp = _check_mlp(hidden, activation, w_std, b_std)
    if not isinstance(train_frequencies, (bool, np.bool_)):
        raise TypeError(f"train_frequencies must be True or False, got {train_frequencies!r}")
    v.choice("get", get, GETS)
    v.fits_in_memory("the deep Fourier-feature kernel",
                     8.0 * len(x1) * len(x2) * (rho.dim + _ARRAYS_PER_ENTRY))
    c = rho.char_fn(x1[:, None, :] - x2[None, :, :], validate=False)
    xx = x1 @ x2.T if train_frequencies else None
    nngp, ntk = mlp_on_embedding(c, xx, (1,) * mlp[0], *mlp[1:],
                                 same_points=x1.shape == x2.shape and np.array_equal(x1, x2))
    return ntk if get == "ntk" else nngp


def profiles(c, hidden=(256,), activation: str = "relu", w_std: float = 1.0,
             b_std: float = 0.0) -> Profiles:
    """κ_Σ(c), κ(c), χ(c) at correlations c ∈ [−1, 1] (any shape → 1-D): the deep FF-NN
    kernels are these evaluated at c = φ_w(x − x') (module docstring). χ is read off as the
    NTK with x·x' = 1 minus the NTK with W frozen (the NTK is linear in x·x')."""
    c = v.finite_array("c", c).ravel()
    if c.size == 0 or np.any(np.abs(c) > 1):
        raise ValueError(f"c must be a non-empty list of correlations in [-1, 1], got {c[:8]}…")
    nngp, kappa = mlp_on_embedding(c[None, :], None, hidden, activation, w_std, b_std)
    _, full = mlp_on_embedding(c[None, :], np.ones((1, c.size)), hidden, activation, w_std, b_std)
    return Profiles(c, nngp[0], kappa[0], full[0] - kappa[0])
