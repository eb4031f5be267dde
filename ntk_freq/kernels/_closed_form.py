"""Neural tangent kernels (docs/theory.md, "Its neural tangent kernel, for any ρ_w").

- :func:`ff_ntk`: the closed-form infinite-width NTK of the Fourier-feature network for any ρ_w,
  Θ(x, x') = φ_w(x − x') · (1 + σ_a² x·x'), in numpy float64.
- :func:`two_layer_ntk`: analytic NTKs of two-layer networks through neural-tangents' ``stax``.
- :func:`empirical_ntk` / :func:`monte_carlo_ntk`: finite-width kernels of any
  :class:`ntk_freq.networks.Network` through ``nt.empirical_ntk_fn``, one draw or averaged.

neural-tangents is reached only through :mod:`ntk_freq._nt` (loaded at first use, never with
TensorFlow); every function here checks its arguments before that load, so a missing
neural-tangents is reported only for calls that are otherwise valid.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ntk_freq._util import validation as v
from ntk_freq._nt import load as _nt
from ntk_freq._util.precision import float64
from ntk_freq._util.threads import map_blocks
from ntk_freq.distributions._families import FrequencyDistribution
from ntk_freq._nn.models import Network, merge, split

TWO_LAYER_ACTIVATIONS = ("relu", "erf", "sin", "cos", "gelu", "abs")


def _gram_memory(n1: int, n2: int, dim: int, what: str) -> None:
    """A pairwise kernel holds about (d + 3) float64 arrays of shape (n1, n2)."""
    v.fits_in_memory(what, 8.0 * n1 * n2 * (dim + 3))


def ff_ntk(x1, x2, rho: FrequencyDistribution, *, sigma_a: float, part: str = "full") -> np.ndarray:
    """Closed-form NTK of the Fourier-feature network, any ρ_w, shape (n1, n2), float64:

        full:      Θ(x, x') = φ_w(x − x') (1 + σ_a² x·x')
        readout:   φ_w(x − x')              (W frozen: random features)
        frequency: σ_a² (x·x') φ_w(x − x')  (only W trained)

    x1, x2: points of shape (n, d) (or (n,) in d = 1) with d = ``rho.dim``; σ_a is the std of
    the readout weights a, b."""
    if not isinstance(rho, FrequencyDistribution):
        raise TypeError(f"rho must be a frequency distribution (ntk_freq.distribution), got {rho!r}")
    x1, x2 = v.point_list("x1", x1, rho.dim), v.point_list("x2", x2, rho.dim)
    sigma_a = v.std("sigma_a", sigma_a)
    v.choice("part", part, v.PARTS)
    _gram_memory(len(x1), len(x2), rho.dim, "the Fourier-feature NTK")
    phi_rows = _phi_rows(x1, x2, rho)
    theta = np.empty((len(x1), len(x2)))
    rows = max(1, BLOCK // max(len(x2), 1))

    def fill(r0: int) -> None:  # one block of rows, small enough to stay in cache
        block = theta[r0:r0 + rows]
        if part == "readout":
            block[:] = phi_rows(r0, r0 + rows)
            return
        if x1.shape[1] == 1:  # σ_a² x·x' (+ 1), times φ_w
            np.multiply.outer(sigma_a**2 * x1[r0:r0 + rows, 0], x2[:, 0], out=block)
        else:
            np.matmul(sigma_a**2 * x1[r0:r0 + rows], x2.T, out=block)
        if part == "full":
            block += 1.0
        block *= phi_rows(r0, r0 + rows)

    map_blocks(fill, range(0, len(x1), rows))  # in as many threads as idle cores
    return theta


#: Entries of a kernel block computed at once (1 MB in float64: the temporaries stay in cache).
BLOCK = 1 << 17


def uniform_spacing(x: np.ndarray) -> float | None:
    """The spacing h of a 1-D uniform grid x_i = x_0 + i h (shape (n, 1), n ≥ 2, equal steps to
    1e-12 of the grid's extent), else None."""
    v.instance("x", x, np.ndarray, "a numpy array of points of shape (n, d)")
    if x.ndim != 2 or x.shape[1] != 1 or len(x) < 2:
        return None
    h = (x[-1, 0] - x[0, 0]) / (len(x) - 1)
    scale = max(abs(x[0, 0]), abs(x[-1, 0]), abs(h) * len(x))
    return h if h != 0 and np.all(np.abs(np.diff(x[:, 0]) - h) <= 1e-12 * scale) else None


def _phi_rows(x1: np.ndarray, x2: np.ndarray, rho: FrequencyDistribution):
    """(r0, r1) ↦ φ_w(x1_i − x2_j) for rows i in [r0, r1). When x1 and x2 are 1-D uniform grids
    of one spacing h, x1_i − x2_j = (x1_0 − x2_0) + (i − j) h takes only n1 + n2 − 1 values:
    φ_w is evaluated there once and the rows are read off that vector (Toeplitz structure);
    otherwise each block evaluates φ_w on its differences."""
    h1, h2 = uniform_spacing(x1), uniform_spacing(x2)
    if h1 is None or h2 is None or abs(h1 - h2) > 1e-12 * abs(h1):
        return lambda r0, r1: rho.char_fn(x1[r0:r1, None, :] - x2[None, :, :], validate=False)
    n1, n2 = len(x1), len(x2)
    # φ_w is even, so φ(x1_i − x2_j) = u_t with u_t = φ(x2_0 − x1_0 + (t − n1 + 1) h),
    # t = j − i + n1 − 1: row i is the contiguous window u[n1 − 1 − i : n1 − 1 − i + n2]
    u = rho.char_fn(((x2[0, 0] - x1[0, 0]) + h1 * np.arange(-(n1 - 1), n2))[:, None], validate=False)
    toeplitz = np.lib.stride_tricks.sliding_window_view(u, n2)[::-1]
    return lambda r0, r1: toeplitz[r0:r1]


def two_layer_stax(activation: str = "relu", w_std: float = 1.0, b_std: float = 0.0,
                   *, parameterization: str = "ntk"):
    """neural-tangents' ``stax`` triple of the two-layer network

        f(x) = (1/√m) Σ_j v_j σ((w_std/√d) u_j·x + b_std β_j),   u, β, v ~ N(0, 1)

    (``Dense(W_std=w_std, b_std=b_std)`` → σ → ``Dense(W_std=1)`` without bias); this is
    :func:`ntk_freq._nn.models.two_layer_network`."""
    w_std, b_std = v.std("w_std", w_std, allow_zero=False), v.std("b_std", b_std)
    v.choice("activation", activation, TWO_LAYER_ACTIVATIONS)
    v.choice("parameterization", parameterization, ("ntk", "standard"))
    stax = _nt().stax
    act = {
        "relu": stax.Relu, "erf": stax.Erf, "sin": stax.Sin, "cos": stax.Cos,
        "gelu": stax.Gelu, "abs": stax.Abs,
    }[activation]
    return stax.serial(
        stax.Dense(1, W_std=w_std, b_std=b_std if b_std > 0 else None, parameterization=parameterization),
        act(),
        stax.Dense(1, W_std=1.0, b_std=None, parameterization=parameterization),
    )


@float64
def two_layer_ntk(x1, x2, activation: str = "relu", *, w_std: float = 1.0, b_std: float = 0.0,
                  part: str = "full") -> np.ndarray:
    """Analytic infinite-width NTK of the two-layer network of :func:`two_layer_stax` ('ntk'
    parametrisation), shape (n1, n2), float64; x1, x2 of shape (n, d), or (n,) in d = 1. ``part``: "full" (both layers trained) or
    "readout" (only v trained: the NNGP kernel E[σ(h)σ(h')])."""
    dim = np.shape(x1)[-1] if np.ndim(x1) == 2 else 1
    x1, x2 = v.point_list("x1", x1, dim), v.point_list("x2", x2, dim)
    get = {"full": "ntk", "readout": "nngp"}[v.choice("part", part, ("full", "readout"))]
    _gram_memory(len(x1), len(x2), x1.shape[-1], "the two-layer NTK")
    _, _, kernel_fn = two_layer_stax(activation, w_std, b_std)
    return np.asarray(kernel_fn(jnp.asarray(x1), jnp.asarray(x2), get), dtype=np.float64)


@float64
def empirical_ntk(network, params, x1, *, x2=None) -> np.ndarray:
    """The finite-width NTK Θ(x, x') = Σ_θ ∂f(x)/∂θ ∂f(x')/∂θ at ``params``, by
    neural-tangents' ``empirical_ntk_fn`` (Jacobian contraction), shape (n1, n2), float64.

    ``network``: a :class:`ntk_freq.networks.Network` (θ: its trainable entries; the frozen ones
    are held fixed) or any apply function ``(params, x) -> f(x)`` (θ: every leaf of
    ``params``; to train only part of it, close the function over the frozen part). Inputs x1,
    x2 (x2 None: x1) of shape (n, d), or (n,) for scalar inputs. For an output of shape (n, C)
    the kernel is averaged over the C outputs (the trace over the output axis divided by C: the
    kernel of each output when, as at infinite width, the outputs decouple)."""
    if isinstance(network, Network):
        theta, frozen = split(v.instance("params", params, dict, "a dict of parameters (network.init)"),
                              network.trainable)

        def f(theta, x):
            return network.apply(merge(theta, frozen), x)
    elif callable(network):
        f, theta = network, params
    else:
        raise TypeError(f"network must be an ntk_freq.networks.Network or an apply function "
                        f"(params, x) -> f(x), got {network!r}")
    x1 = _inputs("x1", x1)
    x2 = x1 if x2 is None else _inputs("x2", x2)
    n_params = sum(int(np.size(a)) for a in jax.tree_util.tree_leaves(theta))
    v.fits_in_memory("the empirical NTK (Jacobians of both point sets and their contraction)",
                     8.0 * (2 * (x1.shape[0] + x2.shape[0]) * n_params + x1.shape[0] * x2.shape[0]))
    out = jax.eval_shape(f, theta, x1[:1])
    n_out = int(np.prod(out.shape[1:])) if len(out.shape) > 1 else 1
    nt = _nt()
    kernel = nt.empirical_ntk_fn(f, trace_axes=tuple(range(1, len(out.shape))), vmap_axes=0,
                                 implementation=nt.NtkImplementation.JACOBIAN_CONTRACTION)
    return np.asarray(kernel(x1, x2, theta), dtype=np.float64) / n_out


def _inputs(name: str, x):
    """Inputs as a (n, d) array; (n,) is read as n scalar inputs."""
    x = jnp.asarray(v.bounded(name, v.finite_array(name, x)))
    x = x[:, None] if x.ndim == 1 else x
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"{name} must be inputs of shape (n, d) (or (n,) in 1-D), got shape {x.shape}")
    return x


@float64
def monte_carlo_ntk(network: Network, x1, x2, *, key: jax.Array, n_draws: int) -> np.ndarray:
    """Mean of the empirical NTK over ``n_draws`` independent initialisations of ``network``
    (any initialisation law): an unbiased Monte-Carlo estimate of the infinite-width kernel
    whose error falls like 1/√(n_draws · width)."""
    v.instance("network", network, Network, "an ntk_freq.networks.Network")
    n_draws = v.positive_int("n_draws", n_draws)
    keys = jax.random.split(key, n_draws)
    return sum(empirical_ntk(network, network.init(k), x1, x2=x2) for k in keys) / n_draws
