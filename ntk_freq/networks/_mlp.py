"""Plain fully connected networks as :class:`ntk_freq.Problem` networks: :class:`MLP` on raw
inputs or on a fixed :class:`FourierEmbedding` (Tancik et al. 2020), in neural-tangents' "ntk"
or "standard" parameterisation, with the methods every route reads (``finite``, ``ntk``,
``kernel_operator``, ``record``, ``n_params``; module :mod:`ntk_freq.networks._fourier_features`).

Unlike the Fourier-feature networks these have no random frequencies: ρ_w plays no part in their
kernel (the ``rho`` argument of the methods is accepted for the common interface; only its
dimension d is read, where the input layer needs it) and they have no frequency PDE
(``pde_models`` is empty). Their spectral bias is that of the kernel Θ itself, which the kernel
route (``kernel_operator``) follows exactly.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import ClassVar

import numpy as np

from ntk_freq._util import validation as v
from ntk_freq._util.precision import X64, float64

#: Training precisions of the finite networks (as :data:`ntk_freq.networks.DTYPES`).
DTYPES = tuple(X64)
PARAMETERIZATIONS = ("ntk", "standard")
#: float64 arrays of shape (n1, n2) alive at once while neural-tangents runs a layer (as for the
#: deep FF-NN kernel, :mod:`ntk_freq.kernels._deep`).
_ARRAYS_PER_ENTRY = 12


def _json(value):
    """Tuples (nested too) as lists, records of nested objects by their ``record()``."""
    if isinstance(value, tuple):
        return [_json(x) for x in value]
    return value.record() if hasattr(value, "record") else value


@dataclasses.dataclass(frozen=True)
class FourierEmbedding:
    """A fixed (never trained) Fourier embedding of the inputs, in the convention of Tancik et al.
    (2020): frequencies b_j in cycles per unit (angular frequency 2π b_j), x in units,

        γ(x) = [a_1 sin(2π b_1·x), …, a_J sin(2π b_J·x), a_1 cos(2π b_1·x), …, a_J cos(2π b_J·x)] / ‖a‖

    (the J sines, then the J cosines: 2J features with ‖γ(x)‖ = 1), whose dot products are the
    stationary kernel

        γ(x)·γ(x') = Σ_j a_j² cos(2π b_j·(x − x')) / ‖a‖².

    Args:
        frequencies: b_j, shape (J,) in d = 1 or (J, d), finite (stored as a tuple of floats in
            d = 1, of d-tuples otherwise).
        amplitudes: a_j ≥ 0, shape (J,), not all 0 (None: all ones; stored as a tuple).

    Examples:
        >>> from ntk_freq.networks import FourierEmbedding
        >>> emb = FourierEmbedding.powers(4, p=1.0)
        >>> emb.frequencies, emb.amplitudes
        ((1.0, 2.0, 3.0, 4.0), (1.0, 0.5, 0.3333333333333333, 0.25))
        >>> emb([0.0, 0.25]).shape, round(float(emb.kernel([0.0], [0.0])[0, 0]), 12)
        ((2, 8), 1.0)

    References:
        Tancik et al. (2020), Fourier features let networks learn high frequency functions in
        low dimensional domains (γ and its kernel, eq. (1)–(3); the power-law amplitudes a_j =
        1/j^p of their Fig. 3).
    """

    frequencies: tuple
    amplitudes: tuple | None = None

    def __post_init__(self):
        b = v.bounded("frequencies", v.finite_array("frequencies", self.frequencies))
        if b.ndim not in (1, 2) or b.shape[0] == 0 or (b.ndim == 2 and b.shape[1] == 0):
            raise ValueError(f"frequencies must be J >= 1 frequencies of shape (J,) (d = 1) or "
                             f"(J, d), got shape {b.shape}")
        b = b[:, 0] if b.ndim == 2 and b.shape[1] == 1 else b
        a = (np.ones(b.shape[0]) if self.amplitudes is None
             else v.finite_array("amplitudes", self.amplitudes))
        if a.shape != (b.shape[0],):
            raise ValueError(f"amplitudes must have shape ({b.shape[0]},), one per frequency, got "
                             f"shape {a.shape}")
        if np.any(a < 0) or not np.any(a > 0):
            raise ValueError(f"amplitudes must be >= 0 and not all 0, got {a.tolist()[:8]}")
        object.__setattr__(self, "frequencies", tuple(float(x) for x in b) if b.ndim == 1
                           else tuple(tuple(float(x) for x in row) for row in b))
        object.__setattr__(self, "amplitudes", tuple(float(x) for x in a))

    @classmethod
    def powers(cls, n_frequencies: int, p: float, dim: int = 1) -> "FourierEmbedding":
        """The frequencies b = 1, 2, …, n (cycles per unit) with amplitudes a_j = b_j^(−p):
        p = 0 weights them all equally, a larger p favours the low ones, and p = ``math.inf``
        keeps only b = 1 (a_1 = 1, every other a_j = 0). In d = ``dim`` > 1 the frequencies are
        the axis-aligned j·e_i (j = 1…n, i = 1…d: J = n·d, the same a_j on each axis)."""
        n, dim = v.positive_int("n_frequencies", n_frequencies), v.positive_int("dim", dim)
        p = v.real("p", p, "a real number or math.inf")
        if math.isnan(p) or p == -math.inf:
            raise ValueError(f"p must be a real number or math.inf, got {p!r}")
        j = np.arange(1.0, n + 1.0)
        a = (j == 1).astype(float) if p == math.inf else j ** (-p)
        if dim == 1:
            return cls(j, a)
        return cls(np.concatenate([np.outer(j, np.eye(dim)[i]) for i in range(dim)]), np.tile(a, dim))

    @classmethod
    def from_record(cls, record: dict) -> "FourierEmbedding":
        """The embedding that :meth:`record` wrote (a dict, as read back from JSON)."""
        if not isinstance(record, dict) or record.get("class", cls.__name__) != cls.__name__:
            raise TypeError(f"record must be a FourierEmbedding record (a dict), got {record!r:.80}")
        return cls(record["frequencies"], record.get("amplitudes"))

    @property
    def dim(self) -> int:
        """The input dimension d of the frequencies."""
        return 1 if not isinstance(self.frequencies[0], tuple) else len(self.frequencies[0])

    @property
    def n_features(self) -> int:
        """2J, the embedding's output width."""
        return 2 * len(self.frequencies)

    @property
    def matrix(self) -> np.ndarray:
        """The frequencies as an array of shape (J, d)."""
        return np.asarray(self.frequencies, dtype=np.float64).reshape(len(self.frequencies), self.dim)

    @property
    def weights(self) -> np.ndarray:
        """a/‖a‖, shape (J,) (scaled by max a first, so no overflow or underflow)."""
        a = np.asarray(self.amplitudes, dtype=np.float64)
        a = a / a.max()
        return a / np.linalg.norm(a)

    def record(self) -> dict:
        """The embedding as JSON (class, frequencies and amplitudes as lists)."""
        return {"class": type(self).__name__, "frequencies": _json(self.frequencies),
                "amplitudes": _json(self.amplitudes)}

    def __call__(self, x) -> np.ndarray:
        """γ(x) for points x of shape (n, d) (or (n,) in d = 1): an (n, 2J) float64 array."""
        from ntk_freq._nn.models import fourier_embedding

        x = v.point_list("x", x, self.dim)
        return fourier_embedding(x, self.matrix, self.weights, xp=np)

    def kernel(self, x1, x2) -> np.ndarray:
        """γ(x1)·γ(x2)ᵀ = Σ_j a_j² cos(2π b_j·(x1 − x2))/‖a‖² in closed form, shape (n1, n2),
        float64 (the phases from the differences x1 − x2)."""
        x1, x2 = v.point_list("x1", x1, self.dim), v.point_list("x2", x2, self.dim)
        v.fits_in_memory("the Fourier-embedding kernel", 8.0 * len(x1) * len(x2) * (self.dim + 3))
        diff = x1[:, None, :] - x2[None, :, :]
        out = np.zeros((len(x1), len(x2)))
        for b, w in zip(self.matrix, self.weights):
            if w > 0:
                out += w**2 * np.cos(2 * np.pi * (diff @ b))
        return out


@functools.lru_cache(maxsize=32)
def _stax_kernel_fn(hidden: tuple, activation: str, w_std: float, b_std: float,
                    parameterization: str):
    """neural-tangents' ``kernel_fn`` of Dense(h_1) → σ → … → Dense(h_L) → σ → Dense(1), biases
    of std b_std (none when b_std = 0). The widths matter only to "standard"."""
    from ntk_freq._nt import load

    stax = load().stax
    act = {"relu": stax.Relu, "erf": stax.Erf, "sin": stax.Sin, "cos": stax.Cos,
           "gelu": functools.partial(stax.Gelu, approximate=False), "abs": stax.Abs}[activation]

    def dense(width: int):
        return stax.Dense(width, W_std=w_std, b_std=b_std if b_std > 0 else None,
                          parameterization=parameterization)

    layers = [layer for h in hidden for layer in (dense(h), act())] + [dense(1)]
    return stax.serial(*layers)[2]


@dataclasses.dataclass(frozen=True)
class MLP:
    """A fully connected network with scalar output, on the inputs x or on the features γ(x) of
    a fixed :class:`FourierEmbedding`, as neural-tangents' ``stax.Dense`` defines its two
    parameterisations. Layer l maps h (n_l = fan-in) to

        "ntk":       z = (σ_w/√n_l) h V_l + σ_b c_l,   V_l, c_l ~ N(0, 1)
        "standard":  z = h V_l + c_l,                  V_l ~ N(0, σ_w²/n_l), c_l ~ N(0, σ_b²)

    with the activation between layers and none on the output (σ_b = 0: no biases at all). The
    two agree at initialisation (same function law); their NTKs Θ = Σ_θ ∂f/∂θ ∂f/∂θ' (every
    parameter trained at the same rate) differ. With K_l = h·h'/n_l the covariance of layer l's
    input (K_0 = x·x'/d, or γ(x)·γ(x')/2J) and Θ_l its tangent kernel (Θ_0 = 0; the activation
    maps Θ to Σ̇·Θ), the layer's output has

        "ntk":       Θ_{l+1} = σ_w² K_l + σ_b² + σ_w² Θ_l
        "standard":  Θ_{l+1} = n_l K_l + 1[σ_b > 0] + σ_w² Θ_l,

    so Θ_standard grows linearly with the hidden widths and is not a multiple of Θ_ntk. ``ntk``
    is this infinite-width kernel, by neural-tangents' ``kernel_fn`` (given the widths in
    "standard"). With an embedding the first layer's fan-in is 2J and its input γ(x) has unit
    norm (so in "ntk" its pre-activations have variance σ_w²/(2J) + σ_b²).

    Training: gradient descent with step η on the mean loss ½·mean_i (f(x_i) − y_i)² follows,
    at large width and flow time t = η·step, the kernel flow du/dt = −Θ(X, X) u/N
    (``kernel_operator``); the network is doubled so that f₀ ≡ 0 and u₀ = −y. The stable step is
    2/λ_max(Θ/N), which in "standard" shrinks like 1/width.

    Args:
        hidden: the hidden layers' widths (at least one), e.g. (512,) or (1024, 1024).
        activation: "relu", "erf", "sin", "cos", "gelu" or "abs" (those with a closed-form
            neural-tangents kernel, :data:`ntk_freq.networks.ACTIVATIONS`).
        parameterization: "ntk" or "standard".
        w_std: σ_w > 0, the weights' scale (He initialisation for relu: √2).
        b_std: σ_b ≥ 0, the biases' scale; 0: no biases.
        embedding: None (the MLP reads x) or a :class:`FourierEmbedding` (it reads γ(x)).
        dtype: the finite network's training precision, "float32" or "float64" (the kernel is
            always float64).

    Examples:
        >>> import numpy as np
        >>> from ntk_freq.networks import MLP, FourierEmbedding
        >>> x = np.array([[0.5]])
        >>> round(float(MLP(hidden=(64,)).ntk(x, x, None)[0, 0]), 12)  # relu: Θ(x, x) = σ_w⁴|x|²/d
        0.25
        >>> round(float(MLP(hidden=(64,), parameterization="standard").ntk(x, x, None)[0, 0]), 12)
        8.125
        >>> net = MLP(hidden=(32,), embedding=FourierEmbedding.powers(8, p=1.0))
        >>> net.ntk(np.linspace(0, 1, 5), np.linspace(0, 1, 5), None).shape, net.n_params(1)
        ((5, 5), 1088)

        (8.125 = 64 · E[relu(z)²] + σ̇·x² = 64/8 + 1/8: the readout term grows with the width.)

    References:
        Jacot, Gabriel, Hongler (2018), Neural tangent kernel; Sohl-Dickstein et al. (2020), On
        the infinite width limit of neural networks with a standard parameterization; Novak
        et al. (2020), Neural Tangents (``stax.Dense``); Tancik et al. (2020) (the embedding).
    """

    hidden: tuple = (512,)
    activation: str = "relu"
    parameterization: str = "ntk"
    w_std: float = 1.0
    b_std: float = 0.0
    embedding: FourierEmbedding | None = None
    dtype: str = "float32"

    #: No frequency PDE: these networks have no random frequencies (the kernel route is exact).
    pde_models: ClassVar[tuple] = ()
    #: Input dimensions covered; an MLP on an embedding covers only the embedding's d (its
    #: instance attribute ``dims``).
    dims: ClassVar[tuple] = (1, 2, 3)

    def __post_init__(self):
        from ntk_freq.kernels._deep import check_mlp

        if hasattr(self.hidden, "__iter__") and not isinstance(self.hidden, (str, bytes, dict)):
            object.__setattr__(self, "hidden", tuple(self.hidden))
        _, _, w_std, b_std = check_mlp(self.hidden, self.activation, self.w_std, self.b_std)
        if not self.hidden:
            raise ValueError("hidden must name at least one hidden layer width, e.g. (512,)")
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        object.__setattr__(self, "w_std", w_std)
        object.__setattr__(self, "b_std", b_std)
        v.choice("parameterization", self.parameterization, PARAMETERIZATIONS)
        if self.embedding is not None and not isinstance(self.embedding, FourierEmbedding):
            raise TypeError(f"embedding must be None or a ntk_freq.networks.FourierEmbedding, got "
                            f"{self.embedding!r:.120}")
        v.choice("dtype", self.dtype, DTYPES)
        if self.embedding is not None:
            object.__setattr__(self, "dims", (self.embedding.dim,))

    @property
    def part(self) -> str:
        """"full": every layer trains."""
        return "full"

    @property
    def width(self) -> int:
        """The widest hidden layer (the width that labels and cost estimates report)."""
        return max(self.hidden)

    def record(self) -> dict:
        """The network as JSON: its class and fields (the embedding by its record)."""
        return {"class": type(self).__name__,
                **{f.name: _json(getattr(self, f.name)) for f in dataclasses.fields(self)}}

    def _fan_in(self, dim: int) -> int:
        return dim if self.embedding is None else self.embedding.n_features

    def n_params(self, dim: int) -> int:
        """Trained parameters of the doubled network: 2 Σ_l (n_l n_{l+1} + n_{l+1}), the biases
        only when σ_b > 0 (the embedding is fixed)."""
        sizes = (self._fan_in(v.positive_int("dim", dim)), *self.hidden, 1)
        bias = 1 if self.b_std > 0 else 0
        return 2 * sum(a * b + bias * b for a, b in zip(sizes[:-1], sizes[1:]))

    def _input_dim(self, rho, x=None) -> int:
        """d: the embedding's (ρ_w's, if given, must agree), else ρ_w's, else the points'."""
        from ntk_freq.distributions._families import FrequencyDistribution

        rho_dim = rho.dim if isinstance(rho, FrequencyDistribution) else None
        if self.embedding is not None:
            if rho_dim is not None and rho_dim != self.embedding.dim:
                raise ValueError(f"the embedding's frequencies are in d = {self.embedding.dim}, "
                                 f"rho lives in d = {rho_dim}")
            return self.embedding.dim
        if rho_dim is not None:
            return rho_dim
        if x is None:
            raise TypeError("the MLP on raw inputs needs the input dimension d: pass rho (a "
                            f"frequency distribution on R^d; only d is read), got {rho!r}")
        return np.shape(x)[-1] if np.ndim(x) == 2 else 1

    def finite(self, rho=None):
        """The finite network (:func:`ntk_freq._nn.mlp.mlp_network`), doubled so f₀ ≡ 0, whose
        empirical NTK converges to :meth:`ntk` as the hidden widths grow. ``rho``: only its
        dimension d is read (the input width; None is allowed on an embedding)."""
        from ntk_freq._nn.mlp import mlp_network
        from ntk_freq.training._train import DTYPES as JAX_DTYPES

        dim = self._input_dim(rho)
        sizes = (self._fan_in(dim), *self.hidden, 1)
        v.fits_in_memory("the parameters of the MLP (two copies, float64 draws)",
                         8.0 * 2 * 2 * sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])))
        emb = None if self.embedding is None else (self.embedding.matrix, self.embedding.weights)
        return mlp_network(dim, self.hidden, self.activation, w_std=self.w_std, b_std=self.b_std,
                           bias_init="gaussian" if self.b_std > 0 else "none",
                           parameterization=self.parameterization, embedding=emb,
                           dtype=JAX_DTYPES[self.dtype])

    @float64
    def ntk(self, x1, x2, rho=None) -> np.ndarray:
        """The exact infinite-width NTK Θ(x1, x2) by neural-tangents' ``stax`` (of the inputs,
        or of γ(x1), γ(x2) on an embedding), shape (n1, n2), float64; x1, x2 of shape (n, d)
        (or (n,) in d = 1). ``rho`` plays no part (no random Fourier features); when it is a
        frequency distribution its dimension must be the points'."""
        import jax.numpy as jnp

        dim = self._input_dim(rho, x1)
        x1, x2 = v.point_list("x1", x1, dim), v.point_list("x2", x2, dim)
        v.fits_in_memory("the MLP's NTK", 8.0 * len(x1) * len(x2) * _ARRAYS_PER_ENTRY)
        same = x1.shape == x2.shape and np.array_equal(x1, x2)
        if self.embedding is not None:
            x1, x2 = self.embedding(x1), self.embedding(x2)
        hidden = self.hidden if self.parameterization == "standard" else (1,) * len(self.hidden)
        kernel_fn = _stax_kernel_fn(hidden, self.activation, self.w_std, self.b_std,
                                    self.parameterization)
        out = kernel_fn(jnp.asarray(x1), None if same else jnp.asarray(x2), "ntk")
        return np.asarray(out, dtype=np.float64)

    def kernel_reach(self, rho, xi_top: float) -> float:
        """The largest angular frequency its kernel holds, at least ``xi_top``: twice the
        embedding's top angular frequency 2π max|b_j| (the MLP makes harmonics), or twice
        ``xi_top`` on raw inputs (a ReLU kernel has no band limit; the target sets the scale)."""
        if self.embedding is None:
            return 2 * xi_top
        top = 2 * np.pi * float(np.max(np.linalg.norm(np.atleast_2d(self.embedding.matrix), axis=-1)))
        return max(2 * top, xi_top)

    def kernel_operator(self, rho, x, weights=None):
        """Θ(X, X) diag(q) from the dense Gram matrix
        (:meth:`ntk_freq.kernels._operator.KernelOperator.from_gram`): the kernel flow, its
        gradient-descent twin and the stability limit."""
        from ntk_freq.kernels._operator import KernelOperator

        x = v.point_list("x", x, self._input_dim(rho, x))
        return KernelOperator.from_gram(self.ntk(x, x, rho), weights)

    def pde_coefficients(self, rho, xi):
        """Not defined: an MLP has no frequency PDE (``pde_models`` is empty)."""
        raise NotImplementedError(f"{type(self).__name__} has no frequency PDE (no random Fourier "
                                  "features); use the kernel route (kernel_operator)")

    def solve_pde(self, rho, density, u0_hat=None, *, model: str = "E3", times=None, **options):
        """Not defined: an MLP has no frequency PDE (``pde_models`` is empty)."""
        self.pde_coefficients(rho, None)
