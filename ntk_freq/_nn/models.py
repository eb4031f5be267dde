"""Networks as pure JAX functions: ``init(key) -> params`` and ``apply(params, x) -> f(x)``.

Every network comes from the antisymmetric doubling of docs/theory.md: two copies of one network g
with identical parameters at initialisation, f(x) = (g(θ₊, x) − g(θ₋, x))/√2. So f₀ ≡ 0 and the
initial error is exactly −y, while the NTK is unchanged (its two halves are equal in law). For
the Fourier-feature network this is docs/theory.md's pairing of neurons (a, b, w) with (−a, −b, w)
under the prefactor 1/√(2m). Parameters are ``{"plus": P, "minus": P}`` with P a flat dict of
arrays; ``trainable`` names the entries of P that gradient descent moves (the rest are frozen).

Inputs x have shape (n, d); outputs have shape (n,). NTK parametrisation throughout: each layer
divides by the square root of its fan-in, weights are drawn with unit (or σ) scale.
"""

from __future__ import annotations

import math

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from ntk_freq._util import validation as v
from ntk_freq._nn import derivatives as ffd
from ntk_freq._util.precision import float64
from ntk_freq.distributions._families import FrequencyDistribution

#: The highest order of derivatives in x each activation's network has almost everywhere
#: (ReLU's and |z|'s second derivatives vanish a.e.: autodiff returns 0, not the kink's δ).
SMOOTHNESS = {"relu": 1, "abs": 1}

#: The trained parameters of each part (:data:`ntk_freq._util.validation.PARTS`).
TRAINED = {"full": ("a", "b", "W"), "readout": ("a", "b"), "frequency": ("W",)}

ACTIVATIONS: dict[str, Callable] = {
    "relu": jax.nn.relu,
    "erf": jax.scipy.special.erf,
    "sin": jnp.sin,
    "cos": jnp.cos,
    "gelu": lambda z: jax.nn.gelu(z, approximate=False),
    "abs": jnp.abs,
}


class Network(NamedTuple):
    """A network: ``init(key) -> params``, ``apply(params, x) -> (n,)`` outputs, and the names
    of the trainable parameter entries (see the module docstring). Networks with hand-written
    derivatives also carry ``loss_and_grad(theta, frozen, x, y, weights) -> (loss, grad)`` (the
    training loss of :func:`ntk_freq.training.train` and its gradient) and
    ``ntk_gram(params, x, trainable) -> J Jᵀ``; training uses them in place of autodiff and
    power iteration (see :mod:`ntk_freq.ff_derivatives`), and ``apply_operator(params, x, L) ->
    (L f)(x)`` in closed form (operator losses; otherwise autodiff of ``apply``). ``smoothness``:
    the highest derivative order in x that autodiff gets right almost everywhere (1 for ReLU and
    |z|, whose second derivatives vanish a.e.; ∞ for smooth activations)."""

    init: Callable
    apply: Callable
    trainable: tuple
    loss_and_grad: Callable | None = None
    ntk_gram: Callable | None = None
    apply_operator: Callable | None = None
    smoothness: float = math.inf


def doubled_init(init_g: Callable) -> Callable:
    """key ↦ {"plus": θ, "minus": θ} with θ = init_g(key): the two copies start equal. Drawn
    in JAX's 64-bit mode (:mod:`ntk_freq._precision`), so float64 draws rounded to the
    network's dtype whatever the caller's setting."""

    @float64
    def init(key):
        p = init_g(key)
        return {"plus": p, "minus": dict(p)}

    return init


def antisymmetric(init_g: Callable, apply: Callable, trainable: tuple, activation: str | None = None) -> Network:
    """The doubling f = (g(θ₊) − g(θ₋))/√2 with θ₋ = θ₊ at initialisation, so f₀ ≡ 0;
    ``apply`` is that f, from :func:`antisymmetric_apply`; its smoothness from ``activation``."""
    return Network(doubled_init(init_g), apply, tuple(trainable),
                   smoothness=SMOOTHNESS.get(activation, math.inf))


#: One apply function per network configuration (:func:`shared`).
_SHARED: dict = {}


def shared(config: tuple, build: Callable) -> Callable:
    """The function ``build()`` made once per hashable ``config`` and reused: JAX caches a
    compiled program by the function object, so networks of one configuration (activation,
    scales; the shapes come from the parameters) share their compilations across ``train()``
    calls and network objects. ``build`` must close over nothing but ``config``'s values."""
    if config not in _SHARED:
        _SHARED[config] = build()
    return _SHARED[config]


def antisymmetric_apply(apply_g: Callable) -> Callable:
    """(params, x) ↦ (g(θ₊, x) − g(θ₋, x))/√2 for params {"plus": θ₊, "minus": θ₋}."""

    def apply(params, x):
        return (apply_g(params["plus"], x) - apply_g(params["minus"], x)) / jnp.sqrt(2.0)

    return apply


def split(params: dict, trainable) -> tuple[dict, dict]:
    """Split doubled parameters into (trainable θ, frozen) parts, each ``{"plus":…, "minus":…}``."""
    theta = {s: {k: x for k, x in p.items() if k in trainable} for s, p in params.items()}
    frozen = {s: {k: x for k, x in p.items() if k not in trainable} for s, p in params.items()}
    return theta, frozen


def merge(theta: dict, frozen: dict) -> dict:
    """Inverse of :func:`split`."""
    return {s: {**frozen[s], **theta[s]} for s in theta}


def _fourier_features(W, x):
    """[cos(W x), sin(W x)] for W of shape (m, d) and x of shape (n, d): two (n, m) arrays."""
    z = x @ W.T
    return jnp.cos(z), jnp.sin(z)


def fourier_embedding(x, frequencies, amplitudes, xp=jnp):
    """The fixed Fourier embedding γ(x) = [a_j sin(2π b_j·x), a_j cos(2π b_j·x)]_j: the J sines,
    then the J cosines, shape (n, 2J), for points x (n, d), frequencies b_j (J, d) in cycles per
    unit and amplitudes a_j (J,) (normalised by the caller). ``xp``: jax.numpy (inside a network)
    or numpy (:class:`ntk_freq.networks.FourierEmbedding`): the one formula of both."""
    z = (2 * xp.pi) * (x @ frequencies.T)
    return xp.concatenate([amplitudes * xp.sin(z), amplitudes * xp.cos(z)], axis=1)


def _check_rho(rho) -> None:
    if not isinstance(rho, FrequencyDistribution):
        raise TypeError(f"rho must be a frequency distribution object (ntk_freq.distribution("
                        f"'gaussian:3') makes one from a spec), got {rho!r}")


def float_dtype(dtype):
    """A JAX floating dtype (float32 or float64); integer or complex dtypes are refused: they
    would round the frequencies or drop the imaginary part."""
    try:
        dt = jnp.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from None
    if dt not in (jnp.float32, jnp.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return dt


def ff_network(rho: FrequencyDistribution, sigma_a: float, width: int, *, part: str = "full",
               dtype=jnp.float64) -> Network:
    """The Fourier-feature network of docs/theory.md (before doubling, m = ``width`` neurons):

        g(x) = (1/√m) Σ_j [a_j cos(w_j·x) + b_j sin(w_j·x)],  w_j ~ ρ_w,  a_j, b_j ~ N(0, σ_a²).

    ``part`` picks what is trained: "full" (a, b, W), "readout" (a, b; W frozen: random
    features) or "frequency" (W only). The doubled network has 2m neurons in all."""
    _check_rho(rho)
    sigma_a = v.std("sigma_a", sigma_a)
    m = v.positive_int("width", width)
    v.choice("part", part, v.PARTS)
    dtype = float_dtype(dtype)
    v.fits_in_memory(f"the parameters of an FF-NN of width {m}", 8.0 * 2 * m * (rho.dim + 2) * 2)

    def init_g(key):
        k_w, k_a, k_b = jax.random.split(key, 3)
        return {
            "W": rho.sample(k_w, m).astype(dtype),
            "a": (sigma_a * jax.random.normal(k_a, (m,), dtype=jnp.float64)).astype(dtype),
            "b": (sigma_a * jax.random.normal(k_b, (m,), dtype=jnp.float64)).astype(dtype),
        }

    return Network(doubled_init(init_g), ffd.ff_apply, TRAINED[part], ffd.loss_and_grad,
                   ffd.ntk_gram, ffd.ff_apply_operator)


def mlp_layers(key, sizes) -> dict:
    """Unit-variance weights V_i (n_in, n_out) and biases c_i of an MLP with layer ``sizes``,
    drawn in float64 (the caller scales and rounds them to its dtype)."""
    layers = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        key, k_w, k_b = jax.random.split(key, 3)
        layers[f"V{i}"] = jax.random.normal(k_w, (n_in, n_out), dtype=jnp.float64)
        layers[f"c{i}"] = jax.random.normal(k_b, (n_out,), dtype=jnp.float64)
    return layers


def _mlp_init(key, sizes, dtype):
    """Unit-variance weights and biases of an NTK-parametrised MLP, in ``dtype``."""
    return {k: a.astype(dtype) for k, a in mlp_layers(key, sizes).items()}


def n_layers_of(p: dict) -> int:
    """The number of layers ``V0, V1, …`` in an MLP's parameters (static under jit)."""
    return sum(1 for k in p if k.startswith("V"))


def mlp_forward(p: dict, h, n_layers: int, act: Callable, scale_w, scale_b):
    """h ↦ the output of the MLP with layers ``V{l}``, ``c{l}`` in ``p``: z = scale_w(n_in) h V +
    scale_b c, ``act`` between layers, none on the output; shape (n, n_out). The one MLP of the
    package: the FF-MLP, the two-layer networks' readout and :func:`ntk_freq._nn.mlp.mlp_network`
    (the network of :class:`ntk_freq.networks.MLP`)."""
    for i in range(n_layers):
        V = p[f"V{i}"]
        h = scale_w(V.shape[0]) * (h @ V) + scale_b * p[f"c{i}"]
        if i < n_layers - 1:
            h = act(h)
    return h


def _mlp_apply(p, h, act, w_std, b_std):
    """NTK-parametrised MLP: h ← act((w_std/√n_in) h V + b_std c), no activation on the output."""
    return mlp_forward(p, h, n_layers_of(p), act, lambda n_in: w_std / jnp.sqrt(n_in), b_std)[:, 0]


def two_layer_network(dim: int, width: int, activation: str = "relu", *, w_std: float = 1.0,
                      b_std: float = 0.0, part: str = "full", dtype=jnp.float64) -> Network:
    """g(x) = (1/√m) Σ_j v_j σ((w_std/√d) u_j·x + b_std β_j), u, β, v ~ N(0, 1): the
    parametrisation of :func:`ntk_freq.kernels.two_layer_ntk` (neural-tangents' 'ntk' with a
    bias-free readout of W_std = 1). ``part``: "full" or "readout" (v only)."""
    dtype = float_dtype(dtype)
    dim, m = v.positive_int("dim", dim), v.positive_int("width", width)
    v.fits_in_memory(f"the parameters of a two-layer network of width {m}", 8.0 * 2 * 2 * m * (dim + 2))
    w_std, b_std = v.std("w_std", w_std, allow_zero=False), v.std("b_std", b_std)
    v.choice("activation", activation, ACTIVATIONS)
    trainable = {"full": ("U", "beta", "v"), "readout": ("v",)}[v.choice("part", part, ("full", "readout"))]

    def init_g(key):
        k_u, k_b, k_v = jax.random.split(key, 3)
        return {
            "U": jax.random.normal(k_u, (m, dim), dtype=jnp.float64).astype(dtype),
            "beta": jax.random.normal(k_b, (m,), dtype=jnp.float64).astype(dtype),
            "v": jax.random.normal(k_v, (m,), dtype=jnp.float64).astype(dtype),
        }

    return antisymmetric(init_g, shared(("two-layer", activation, w_std, b_std),
                                        lambda: _two_layer_apply(activation, w_std, b_std)), trainable,
                         activation)


def _two_layer_apply(activation: str, w_std: float, b_std: float) -> Callable:
    act = ACTIVATIONS[activation]

    def apply_g(p, x):
        m, dim = p["U"].shape
        h = act((w_std / jnp.sqrt(dim)) * (x @ p["U"].T) + b_std * p["beta"])
        return h @ p["v"] / jnp.sqrt(m)

    return antisymmetric_apply(apply_g)


def ff_mlp_network(rho: FrequencyDistribution, width: int, hidden: tuple = (256,),
                   *, activation: str = "relu", w_std: float = 1.0, b_std: float = 0.0,
                   train_frequencies: bool = True, dtype=jnp.float64) -> Network:
    """The multi-layer FF-NN: the embedding [cos(Wx), sin(Wx)] (w_j ~ ρ_w, m = ``width``
    features, 2m channels) followed by an NTK-parametrised MLP with ``hidden`` widths and a
    scalar output. ``train_frequencies`` False freezes W."""
    dtype = float_dtype(dtype)
    _check_rho(rho)
    m = v.positive_int("width", width)
    hidden = tuple(v.positive_int("hidden", h) for h in hidden)
    w_std, b_std = v.std("w_std", w_std, allow_zero=False), v.std("b_std", b_std)
    v.choice("activation", activation, ACTIVATIONS)
    sizes = (2 * m, *hidden, 1)
    v.fits_in_memory("the parameters of the FF-MLP", 8.0 * 2 * 2 * (m * rho.dim + sum(
        a * b for a, b in zip(sizes[:-1], sizes[1:]))))
    n_layers = len(sizes) - 1
    mlp_keys = tuple(f"{n}{i}" for i in range(n_layers) for n in ("V", "c"))

    def init_g(key):
        k_w, k_mlp = jax.random.split(key)
        return {"W": rho.sample(k_w, m).astype(dtype), **_mlp_init(k_mlp, sizes, dtype)}

    apply = shared(("ff-mlp", activation, w_std, b_std), lambda: _ff_mlp_apply(activation, w_std, b_std))
    return antisymmetric(init_g, apply, mlp_keys + (("W",) if train_frequencies else ()), activation)


def _ff_mlp_apply(activation: str, w_std: float, b_std: float) -> Callable:
    act = ACTIVATIONS[activation]

    def apply_g(p, x):
        c, s = _fourier_features(p["W"], x)
        return _mlp_apply(p, jnp.concatenate([c, s], axis=1), act, w_std, b_std)

    return antisymmetric_apply(apply_g)
