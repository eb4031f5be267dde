"""The plain deep networks of the classic spectral-bias papers, as :class:`ntk_freq.networks.Network`
objects: fully connected, any depth and activation, biases initialised at zero or Gaussian,
"ntk" or "standard" parametrisation, all layers trained or only the first (or only the last),
scalar or vector outputs; and their analytic infinite-width NTK through neural-tangents.

Layer l maps h ↦ act(z) with (``n_in`` the fan-in, V_l of shape (n_in, n_out), c_l of (n_out,))

    "ntk":       z = (σ_w/√n_in) h V_l + σ_b c_l,   V_l, c_l ~ N(0, 1)
    "standard":  z = h V_l + c_l,                   V_l ~ N(0, σ_w²/n_in), c_l ~ N(0, σ_b²)

(the two agree at initialisation and differ in how fast each layer trains); the output layer has
no activation. ``bias_init="zero"`` starts every c_l at 0 (PyTorch-style training still moves
it); ``bias_init="none"`` leaves the network without biases (every c_l held at 0, untrained:
neural-tangents' ``Dense(b_std=None)``). With ``embedding`` the first layer reads the fixed
Fourier features γ(x) of :func:`ntk_freq._nn.models.fourier_embedding` (2J inputs, never
trained) instead of x. With ``doubling`` (the default) the network is the antisymmetric pair of
:func:`ntk_freq._nn.models.antisymmetric`, so f₀ ≡ 0 and the initial error is −y.
"""

from __future__ import annotations

import math
from typing import Callable

import jax.numpy as jnp
import numpy as np

from ntk_freq._util import validation as v
from ntk_freq._util.precision import float64
from ntk_freq._nn.models import (ACTIVATIONS, SMOOTHNESS, Network, antisymmetric, antisymmetric_apply,
                                 fourier_embedding, mlp_forward, mlp_layers, n_layers_of, shared)

PARAMETERIZATIONS = ("ntk", "standard")
BIAS_INITS = ("gaussian", "zero", "none")
TRAIN = ("all", "first", "last")
#: Activations of :func:`mlp_network`: those of the two-layer networks and tanh.
MLP_ACTIVATIONS = {**ACTIVATIONS, "tanh": jnp.tanh}
STAX_ACTIVATIONS = ("relu", "erf", "sin", "cos", "gelu", "abs")


def mlp_network(dim: int, hidden=(256, 256), activation: str = "relu", *, w_std: float = 1.0,
                b_std: float = 0.0, bias_init: str = "gaussian", parameterization: str = "ntk",
                train: str = "all", out_dim: int = 1, doubling: bool = True,
                embedding=None, dtype=jnp.float64) -> Network:
    """A fully connected network R^dim → R^out_dim with ``hidden`` widths (module docstring).

    activation: a name of :data:`ntk_freq.models.ACTIVATIONS` or "tanh"; b_std = 0 with
    "ntk" parametrisation removes the biases' effect altogether; bias_init: "gaussian", "zero"
    or "none" (no biases: the c_l stay 0 and are not trained); train: "all" layers, only the
    "first" (V0, c0) or only the "last" (readout); embedding: None, or (frequencies b (J, dim),
    amplitudes a (J,)) of a fixed Fourier embedding γ(x) = [a sin(2π b·x), a cos(2π b·x)]/‖a‖
    that the first layer reads (2J inputs; b and a/‖a‖ are the frozen entries "B" and "a" of
    the parameters). The output has shape (n,) for out_dim = 1 and (n, out_dim) otherwise.
    Parameters: ``{"plus": P, "minus": P}`` with doubling, else ``{"net": P}``."""
    dim, out_dim = v.positive_int("dim", dim), v.positive_int("out_dim", out_dim)
    hidden = tuple(v.positive_int("hidden", h) for h in hidden)
    if not hidden:
        raise ValueError("hidden must name at least one hidden layer width")
    w_std, b_std = v.std("w_std", w_std, allow_zero=False), v.std("b_std", b_std)
    v.choice("activation", activation, MLP_ACTIVATIONS)
    v.choice("bias_init", bias_init, BIAS_INITS)
    v.choice("parameterization", parameterization, PARAMETERIZATIONS)
    v.choice("train", train, TRAIN)
    frequencies, amplitudes = _embedding(embedding, dim)
    sizes = (dim if frequencies is None else 2 * len(frequencies), *hidden, out_dim)
    n_layers = len(sizes) - 1
    ntk = parameterization == "ntk"

    def init_g(key):
        p = mlp_layers(key, sizes)
        for i, n_in in enumerate(sizes[:-1]):
            V, c = p[f"V{i}"], p[f"c{i}"]
            if bias_init != "gaussian":
                c = jnp.zeros_like(c)
            p[f"V{i}"] = (V if ntk else V * w_std / np.sqrt(n_in)).astype(dtype)
            p[f"c{i}"] = (c if ntk else c * b_std).astype(dtype)
        if frequencies is not None:
            p["B"], p["a"] = jnp.asarray(frequencies, dtype=dtype), jnp.asarray(amplitudes, dtype=dtype)
        return p

    last = n_layers - 1
    names = ("V",) if bias_init == "none" else ("V", "c")
    trainable = {"all": tuple(f"{n}{i}" for i in range(n_layers) for n in names),
                 "first": tuple(f"{n}0" for n in names),
                 "last": tuple(f"{n}{last}" for n in names)}[train]
    config = ("mlp", activation, w_std, b_std, parameterization, doubling)
    apply = shared(config, lambda: _mlp_apply(*config[1:]))
    if doubling:
        return antisymmetric(init_g, apply, trainable, activation)
    return Network(float64(lambda key: {"net": init_g(key)}), apply, trainable,
                   smoothness=SMOOTHNESS.get(activation, math.inf))


def _embedding(embedding, dim: int) -> tuple:
    """(frequencies (J, dim), amplitudes a/‖a‖ (J,)) as float64 arrays, or (None, None)."""
    if embedding is None:
        return None, None
    try:
        frequencies, amplitudes = embedding
    except (TypeError, ValueError):
        raise TypeError(f"embedding must be None or a pair (frequencies, amplitudes), got "
                        f"{embedding!r}") from None
    frequencies = v.finite_array("embedding frequencies", frequencies)
    frequencies = frequencies.reshape(-1, 1) if frequencies.ndim == 1 and dim == 1 else frequencies
    amplitudes = v.finite_array("embedding amplitudes", amplitudes)
    if frequencies.ndim != 2 or frequencies.shape[1] != dim or len(frequencies) == 0:
        raise ValueError(f"embedding frequencies must have shape (J, {dim}) (dim = {dim}), got "
                         f"shape {frequencies.shape}")
    if amplitudes.shape != (len(frequencies),) or np.any(amplitudes < 0) or not np.any(amplitudes > 0):
        raise ValueError(f"embedding amplitudes must be {len(frequencies)} numbers >= 0, not all "
                         f"0, got {amplitudes}")
    amplitudes = amplitudes / amplitudes.max()
    return frequencies, amplitudes / np.linalg.norm(amplitudes)


def _mlp_apply(activation: str, w_std: float, b_std: float, parameterization: str,
               doubling: bool) -> Callable:
    """The apply function of :func:`mlp_network` for one configuration (the layer count and
    widths come from the parameters; an embedding, from its frozen entries "B" and "a")."""
    act = MLP_ACTIVATIONS[activation]
    ntk = parameterization == "ntk"

    def scale_w(n_in):
        return w_std / np.sqrt(n_in) if ntk else 1.0

    def apply_g(p, x):
        if "B" in p:  # the fixed Fourier embedding (a static choice: the dict's keys)
            x = fourier_embedding(x, p["B"], p["a"])
        out = mlp_forward(p, x, n_layers_of(p), act, scale_w, b_std if ntk else 1.0)
        return out[:, 0] if out.shape[1] == 1 else out

    if doubling:
        return antisymmetric_apply(apply_g)
    return lambda params, x: apply_g(params["net"], x)


def mlp_stax(depth: int, activation: str = "relu", w_std: float = 1.0, b_std: float = 0.0,
             parameterization: str = "ntk"):
    """neural-tangents' ``stax`` triple of the MLP with ``depth`` − 1 hidden layers (Gaussian biases
    of std σ_b, none when σ_b = 0): the analytic kernels of :func:`mlp_network` with
    ``bias_init="gaussian"`` and ``train="all"``."""
    from ntk_freq._nt import load

    depth = v.positive_int("depth", depth)
    if depth < 2:
        raise ValueError(f"depth must be >= 2 (one hidden layer at least), got {depth}")
    if activation == "tanh":
        raise ValueError("activation 'tanh' has no closed-form kernel in neural-tangents; use 'erf' "
                         "(a close relative) for the analytic kernel, or the empirical NTK")
    v.choice("activation", activation, STAX_ACTIVATIONS)
    w_std, b_std = v.std("w_std", w_std, allow_zero=False), v.std("b_std", b_std)
    v.choice("parameterization", parameterization, PARAMETERIZATIONS)
    stax = load().stax
    act = {"relu": stax.Relu, "erf": stax.Erf, "sin": stax.Sin, "cos": stax.Cos,
           "gelu": stax.Gelu, "abs": stax.Abs}[activation]
    layers = []
    for _ in range(depth - 1):
        layers += [stax.Dense(1, W_std=w_std, b_std=b_std if b_std > 0 else None,
                              parameterization=parameterization), act()]
    layers.append(stax.Dense(1, W_std=w_std, b_std=b_std if b_std > 0 else None,
                             parameterization=parameterization))
    return stax.serial(*layers)


@float64
def mlp_ntk(x1, x2, depth: int, *, activation: str = "relu", w_std: float = 1.0, b_std: float = 0.0,
            get: str = "ntk") -> np.ndarray:
    """Analytic infinite-width kernel ("ntk" or "nngp") of :func:`mlp_stax`, shape (n1, n2),
    float64; x1, x2 of shape (n, d) (or (n,) in 1-D)."""
    dim = np.shape(x1)[-1] if np.ndim(x1) == 2 else 1
    x1, x2 = v.point_list("x1", x1, dim), v.point_list("x2", x2, dim)
    v.choice("get", get, ("ntk", "nngp"))
    v.fits_in_memory("the MLP kernel", 8.0 * 4 * x1.shape[0] * x2.shape[0])
    _, _, kernel_fn = mlp_stax(depth, activation, w_std, b_std)
    return np.asarray(kernel_fn(jnp.asarray(x1), jnp.asarray(x2), get), dtype=np.float64)
