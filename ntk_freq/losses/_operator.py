"""Operator losses: physics-informed (PINN) residuals and Sobolev weights (docs/operator-losses.md).

An operator loss trains the network on linear operators of it, not on its values:

    loss = Σ_k (1/2N) Σ_i (L_k f(x_i) − s_k(x_i))²  +  (λ_B/2N_B) Σ_b (f(x_b) − u*(x_b))²,

with s_k = L_k u* (u* the target), the error u = f − u* and the residuals r_k = L_k u. Each
L = Σ_α c_α ∂^α has real constant coefficients c_α and the symbol P(ξ) = Σ_α c_α (iξ)^α, so
that L e^{iξ·x} = P(ξ) e^{iξ·x} and P(−ξ) = conj P(ξ). The loss weighs the error's spectrum by

    q(ξ) = Σ_k |P_k(ξ)|²,

the per-frequency factor of the rates: q(ξ)·ρ̄_w(ξ) with W frozen (docs/theory.md). The
optional boundary term (weight λ_B on N_B points of ∂D) pins the values of f on the edge of
the data domain; λ_B = 0 (the default) leaves it out.

Named losses (spec → operator, symbol):

- ``poisson``: −Δ, P = |ξ|²;
- ``screened-poisson:μ``: −Δ + μ², P = |ξ|² + μ²;
- ``helmholtz:k``: −Δ − k², P = |ξ|² − k² (q = 0 on the sphere |ξ| = k: those frequencies
  are not learned with W frozen);
- ``advection:a`` (``a1/a2`` in d = 2): a·∇, P = i a·ξ;
- ``heat`` or ``heat:ν``: ∂_τ − ν Δ_x on space-time inputs (x, τ), τ the last coordinate
  (d ≥ 2), P = iω + ν|ξ_x|²;
- ``sobolev:s`` (integer s ≥ 0): the H^s loss Σ_{|β|≤s} (s!/(s−|β|)! β!) ‖∂^β (f − u*)‖²,
  q = (1 + |ξ|²)^s (s = 0 is the mean-squared loss).

Any of them takes ``;boundary=λ_B`` (``"poisson;boundary=10"``). :class:`Residual` takes any
real-coefficient operator by its terms.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import NamedTuple

import numpy as np

from ntk_freq._util import validation as v
from ntk_freq.losses._mse import Loss


# --- the differential operator ------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class DifferentialOperator:
    """L = Σ_α c_α ∂^α on R^d with real constant coefficients, symbol P(ξ) = Σ_α c_α (iξ)^α.

    Args:
        terms: pairs (α, c_α): α a tuple of d non-negative integers (the derivative orders per
            coordinate), c_α a real number. Repeated α are summed.

    Examples:
        >>> from ntk_freq.losses import DifferentialOperator
        >>> L = DifferentialOperator((((2,), -1.0), ((0,), 1.0)))   # −d²/dx² + 1
        >>> L.symbol([[3.0]]).tolist(), L.order
        ([(10+0j)], 2)
    """

    terms: tuple

    def __post_init__(self):
        if isinstance(self.terms, (str, bytes)) or not hasattr(self.terms, "__iter__"):
            raise TypeError(f"terms must be pairs (alpha, c), got {self.terms!r}")
        merged: dict = {}
        for item in self.terms:
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                raise TypeError(f"terms must be pairs (alpha, c) such as ((2,), -1.0), got {item!r}")
            alpha, c = item
            alpha = _multi_index(alpha)
            if np.iscomplexobj(c) and np.imag(c) != 0:
                raise ValueError(f"the coefficient of ∂^{alpha} must be real (a real-coefficient "
                                 f"operator, so P(−ξ) = conj P(ξ)), got {c!r}")
            c = v.real(f"the coefficient of ∂^{alpha}", np.real(c) if np.iscomplexobj(c) else c)
            if not math.isfinite(c):
                raise ValueError(f"the coefficient of ∂^{alpha} must be finite, got {c!r}")
            merged[alpha] = merged.get(alpha, 0.0) + c
        dims = {len(a) for a in merged}
        if len(dims) != 1:
            raise ValueError(f"terms must all have one dimension d (len(alpha)), got {sorted(dims)}")
        kept = tuple(sorted((a, c) for a, c in merged.items() if c != 0.0))
        if not kept:
            raise ValueError(f"the operator is zero (every coefficient vanishes): {self.terms!r}")
        object.__setattr__(self, "terms", kept)

    @property
    def dim(self) -> int:
        """The input dimension d."""
        return len(self.terms[0][0])

    @property
    def order(self) -> int:
        """The highest derivative order max |α|."""
        return max(sum(a) for a, _ in self.terms)

    def symbol(self, xi) -> np.ndarray:
        """P(ξ) at frequencies of shape (..., d) (angular); complex, shape (...)."""
        re, im = self.symbol_parts(_frequencies(xi, self.dim), np)
        return re + 1j * im

    def symbol_parts(self, xi, xp):
        """(Re P(ξ), Im P(ξ)) at ξ (..., d) in the array namespace ``xp`` (numpy or jax.numpy,
        traceable): c_α (iξ)^α is real for even |α| (sign (−1)^{|α|/2}), imaginary for odd."""
        re = im = xp.zeros(xi.shape[:-1], dtype=xi.dtype)
        for a, c in self.terms:
            term = c * (-1.0) ** (sum(a) // 2) * _monomial(xi, a, xp)
            if sum(a) % 2:
                im = im + term
            else:
                re = re + term
        return re, im

    def symbol_gradient(self, xi) -> np.ndarray:
        """∇_ξ P(ξ), complex, shape (..., d): ∂P/∂ξ_j = Σ_α c_α i α_j (iξ)^{α − e_j}."""
        xi = _frequencies(xi, self.dim)
        out = np.zeros(xi.shape, dtype=complex)
        for a, c in self.terms:
            for j in range(self.dim):
                if a[j]:
                    lower = tuple(aj - (i == j) for i, aj in enumerate(a))
                    out[..., j] += c * 1j * a[j] * _monomial(1j * xi, lower)
        return out

    def apply(self, g):
        """x ↦ (L g)(x) for a JAX-traceable scalar function g of one point x (d,): the
        derivatives ∂^α g by nested forward-mode differentiation (``jax.jvp``)."""
        import jax.numpy as jnp

        parts = [(_derivative(g, a), c) for a, c in self.terms]
        return lambda x: sum(c * dg(x) for dg, c in parts) + jnp.zeros((), x.dtype)


def _multi_index(alpha) -> tuple:
    alpha = (alpha,) if isinstance(alpha, (int, np.integer)) and not isinstance(alpha, bool) else alpha
    if not isinstance(alpha, (tuple, list)) or not alpha or not all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) and a >= 0 for a in alpha):
        raise ValueError(f"alpha must be a tuple of d >= 1 non-negative integers (derivative "
                         f"orders per coordinate), got {alpha!r}")
    return tuple(int(a) for a in alpha)


def _frequencies(xi, dim: int) -> np.ndarray:
    xi = np.asarray(xi, dtype=np.float64)
    if dim == 1 and (xi.ndim == 0 or xi.shape[-1] != 1):
        xi = xi[..., None]
    if xi.shape[-1] != dim:
        raise ValueError(f"xi must have shape (..., {dim}), got {xi.shape}")
    return xi


def _monomial(z, alpha: tuple, xp=np):
    """Π_j z_j^{α_j} over the last axis."""
    out = xp.ones(z.shape[:-1], dtype=z.dtype)
    for j, a in enumerate(alpha):
        if a:
            out = out * z[..., j] ** a
    return out


def _derivative(g, alpha: tuple):
    """∂^α g by ``jax.jvp`` along the unit vectors, α_j times along e_j."""
    import jax
    import jax.numpy as jnp

    def along(h, j):
        def dh(x):
            return jax.jvp(h, (x,), (jnp.zeros_like(x).at[j].set(1.0),))[1]
        return dh

    for j, a in enumerate(alpha):
        for _ in range(a):
            g = along(g, j)
    return g


# --- the losses ----------------------------------------------------------------------------------

class OperatorLoss(Loss):
    """Base of the operator losses: ``operators(dim)`` gives the L_k on R^d, ``boundary`` the
    weight λ_B ≥ 0 of the boundary term (0: none). The weight on the error's spectrum is
    q(ξ) = Σ_k |P_k(ξ)|² (module docstring)."""

    boundary: float

    def operators(self, dim: int) -> tuple:  # pragma: no cover - every operator loss defines it
        raise NotImplementedError

    def order(self, dim: int) -> int:
        """The highest derivative order of its operators."""
        return max(L.order for L in self.operators(dim))

    def q(self, xi) -> np.ndarray:
        """q(ξ) = Σ_k |P_k(ξ)|² at ξ of shape (..., d), or (K,) frequencies in d = 1."""
        xi = _points(xi)
        return sum(np.abs(L.symbol(xi)) ** 2 for L in self.operators(xi.shape[-1]))

    def q_gradient(self, xi) -> np.ndarray:
        """∇_ξ q = 2 Σ_k Re(conj P_k ∇P_k), shape (..., d) ((K, 1) for (K,) frequencies)."""
        xi = _points(xi)
        return sum(2 * np.real(np.conj(L.symbol(xi))[..., None] * L.symbol_gradient(xi))
                   for L in self.operators(xi.shape[-1]))

    def _check_boundary(self):
        object.__setattr__(self, "boundary", v.nonnegative("boundary", self.boundary))

    @property
    def spec(self) -> str:
        args = self._spec_args()
        text = self.name + (f":{args}" if args else "")
        return text + (f";boundary={self.boundary:g}" if self.boundary else "")

    def _spec_args(self) -> str:
        return ""


def _points(xi) -> np.ndarray:
    """ξ as points (..., d): a scalar or a 1-D array of frequencies becomes (K, 1)."""
    xi = np.asarray(xi, dtype=np.float64)
    return xi.reshape(-1, 1) if xi.ndim <= 1 else xi


def _number(value) -> str:
    return f"{value:g}"


@dataclasses.dataclass(frozen=True)
class ScreenedPoisson(OperatorLoss):
    """The screened-Poisson residual −Δf + μ²f − s: P(ξ) = |ξ|² + μ² (μ = 0: Poisson).

    Examples:
        >>> from ntk_freq.losses import ScreenedPoisson
        >>> ScreenedPoisson(mu=1.0).q([2.0, 7.0]).tolist()
        [25.0, 2500.0]
    """

    mu: float = 1.0
    boundary: float = 0.0
    name = "screened-poisson"

    def __post_init__(self):
        object.__setattr__(self, "mu", v.nonnegative("mu", self.mu))
        self._check_boundary()

    def operators(self, dim: int) -> tuple:
        return (_laplacian(dim, shift=self.mu**2),)

    def _spec_args(self) -> str:
        return _number(self.mu)


@dataclasses.dataclass(frozen=True)
class Poisson(OperatorLoss):
    """The Poisson residual −Δf − s: P(ξ) = |ξ|² (constants and linear functions have zero
    residual: the loss does not see them)."""

    boundary: float = 0.0
    name = "poisson"

    def __post_init__(self):
        self._check_boundary()

    def operators(self, dim: int) -> tuple:
        return (_laplacian(dim, shift=0.0),)


@dataclasses.dataclass(frozen=True)
class Helmholtz(OperatorLoss):
    """The Helmholtz residual −Δf − k²f − s: P(ξ) = |ξ|² − k², zero on |ξ| = k (resonance)."""

    k: float = 1.0
    boundary: float = 0.0
    name = "helmholtz"

    def __post_init__(self):
        object.__setattr__(self, "k", v.nonnegative("k", self.k))
        self._check_boundary()

    def operators(self, dim: int) -> tuple:
        return (_laplacian(dim, shift=-self.k**2),)

    def _spec_args(self) -> str:
        return _number(self.k)


@dataclasses.dataclass(frozen=True)
class Advection(OperatorLoss):
    """The advection residual a·∇f − s: P(ξ) = i a·ξ (frequencies ⊥ a are not seen).

    Args:
        a: the velocity, one number per input dimension (a tuple, or a number in d = 1)."""

    a: tuple = (1.0,)
    boundary: float = 0.0
    name = "advection"

    def __post_init__(self):
        a = np.atleast_1d(v.finite_array("a", self.a))
        if a.ndim != 1 or not np.any(a != 0):
            raise ValueError(f"a must be a non-zero velocity (one number per dimension), got {self.a!r}")
        object.__setattr__(self, "a", tuple(a.tolist()))
        self._check_boundary()

    def operators(self, dim: int) -> tuple:
        if len(self.a) != dim:
            raise ValueError(f"advection velocity a = {self.a} has {len(self.a)} components; the "
                             f"inputs have d = {dim} (write a1/a2 in the spec)")
        return (DifferentialOperator(tuple((_unit(dim, j), c) for j, c in enumerate(self.a))),)

    def _spec_args(self) -> str:
        return "/".join(_number(c) for c in self.a)


@dataclasses.dataclass(frozen=True)
class Heat(OperatorLoss):
    """The heat residual ∂_τ f − ν Δ_x f − s on space-time inputs (x, τ), τ the last of the d ≥ 2
    coordinates: P(ξ, ω) = iω + ν|ξ|²."""

    nu: float = 1.0
    boundary: float = 0.0
    name = "heat"

    def __post_init__(self):
        object.__setattr__(self, "nu", v.positive("nu", self.nu))
        self._check_boundary()

    def operators(self, dim: int) -> tuple:
        if dim < 2:
            raise ValueError("the heat operator acts on space-time inputs (x, τ): it needs d >= 2 "
                             f"(space dimensions plus time), got d = {dim}")
        space = [(_unit(dim, j, 2), -self.nu) for j in range(dim - 1)]
        return (DifferentialOperator(((_unit(dim, dim - 1), 1.0), *space)),)

    def _spec_args(self) -> str:
        return "" if self.nu == 1.0 else _number(self.nu)


@dataclasses.dataclass(frozen=True)
class Sobolev(OperatorLoss):
    """The H^s loss, s a non-negative integer: Σ_{|β| ≤ s} s!/((s − |β|)! β!) ‖∂^β(f − u*)‖²
    on the data, so q(ξ) = (1 + |ξ|²)^s (the multinomial expansion; Yu, Yang and Townsend's
    Sobolev training). s = 0 is the mean-squared loss."""

    s: int = 1
    boundary: float = 0.0
    name = "sobolev"

    def __post_init__(self):
        if isinstance(self.s, float) and self.s.is_integer():
            object.__setattr__(self, "s", int(self.s))
        if isinstance(self.s, bool) or not isinstance(self.s, (int, np.integer)) or self.s < 0:
            raise ValueError(f"s must be an integer >= 0 (the H^s loss is a sum of squared "
                             f"derivatives up to order s), got {self.s!r}")
        object.__setattr__(self, "s", int(self.s))
        self._check_boundary()

    def operators(self, dim: int) -> tuple:
        s = self.s
        out = []
        for beta in itertools.product(range(s + 1), repeat=dim):
            if sum(beta) <= s:
                weight = math.factorial(s) / (math.factorial(s - sum(beta))
                                              * math.prod(math.factorial(b) for b in beta))
                out.append(DifferentialOperator(((beta, math.sqrt(weight)),)))
        return tuple(out)

    def _spec_args(self) -> str:
        return str(self.s)


@dataclasses.dataclass(frozen=True)
class Residual(OperatorLoss):
    """Any real-coefficient operator residual L f − s, L given by its terms (α, c_α) on R^d
    (:class:`DifferentialOperator`), e.g. ``Residual((((2,), -1.0), ((1,), 0.5)))`` for
    −f'' + f'/2."""

    terms: tuple = (((2,), -1.0),)
    boundary: float = 0.0
    name = "residual"

    def __post_init__(self):
        object.__setattr__(self, "terms", DifferentialOperator(self.terms).terms)
        self._check_boundary()

    def operators(self, dim: int) -> tuple:
        L = DifferentialOperator(self.terms)
        if L.dim != dim:
            raise ValueError(f"the operator acts on R^{L.dim}; the inputs have d = {dim}")
        return (L,)

    @property
    def spec(self) -> str:
        return "residual(" + ",".join(f"{a}:{c:g}" for a, c in self.terms) + ")" + (
            f";boundary={self.boundary:g}" if self.boundary else "")


def _unit(dim: int, j: int, times: int = 1) -> tuple:
    return tuple(times if i == j else 0 for i in range(dim))


def _laplacian(dim: int, *, shift: float) -> DifferentialOperator:
    """−Δ + shift (P = |ξ|² + shift)."""
    terms = tuple((_unit(dim, j, 2), -1.0) for j in range(dim))
    return DifferentialOperator(terms + ((((0,) * dim), shift),) if shift else terms)


#: Operator losses by their spec names, with their parameter (None: none).
OPERATOR_LOSSES = {"poisson": (Poisson, None), "screened-poisson": (ScreenedPoisson, "mu"),
                   "helmholtz": (Helmholtz, "k"), "advection": (Advection, "a"),
                   "heat": (Heat, "nu"), "sobolev": (Sobolev, "s")}


def parse_operator_loss(spec: str) -> OperatorLoss:
    """An operator loss from its spec: ``name[:parameter][;boundary=λ_B]`` (module docstring)."""
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a loss spec string such as 'screened-poisson:1', got {spec!r}")
    head, *options = [part.strip() for part in spec.split(";")]
    name, _, arg = (s.strip() for s in head.partition(":"))
    allowed = sorted(OPERATOR_LOSSES) + ["mse"]
    if name not in OPERATOR_LOSSES:
        raise ValueError(f"loss must be one of {allowed} (e.g. 'screened-poisson:1', "
                         f"'sobolev:1', 'poisson;boundary=10'), got {spec!r}")
    cls, parameter = OPERATOR_LOSSES[name]
    kwargs = {}
    if arg:
        if parameter is None:
            raise ValueError(f"loss {name!r} takes no parameter, got {spec!r}")
        if parameter == "a":
            kwargs["a"] = tuple(v.parse_number(c, f"loss {spec!r}: advection velocity") for c in arg.split("/"))
        else:
            kwargs[parameter] = v.parse_number(arg, f"loss {spec!r}: {parameter}")
    for option in options:
        key, sep, value = (s.strip() for s in option.partition("="))
        if key != "boundary" or not sep:
            raise ValueError(f"loss options are ';boundary=<weight>', got {option!r} in {spec!r}")
        kwargs["boundary"] = v.parse_number(value, f"loss {spec!r}: boundary weight")
    return cls(**kwargs)


def apply_operator(L: DifferentialOperator, g, x):
    """(L g)(x_i) at points x (n, d), for g a JAX-traceable function of a batch of points
    (n, d) ↦ (n,) (a network's ``apply`` with its parameters bound, a target's ``traced``):
    the derivatives by forward-mode autodiff of g at one point, vectorised over the points."""
    import jax

    if not isinstance(L, DifferentialOperator):
        raise TypeError(f"L must be a ntk_freq.losses.DifferentialOperator, got {L!r}")
    return jax.vmap(L.apply(lambda p: g(p[None, :])[0]))(x)


def boundary_points(half_width: float, n_points: int, dim: int) -> np.ndarray:
    """Points on the boundary of D = [−L, L]^d for the boundary term: the two ends ±L in d = 1;
    on each of the 2d faces, the cell-centred grid of n points per axis of the others
    (2d·n^{d−1} points)."""
    half_width, n_points, dim = (v.scale("half_width", half_width), v.positive_int("n_points", n_points),
                                 v.positive_int("dim", dim))
    if dim == 1:
        return np.array([[-half_width], [half_width]])
    axis = -half_width + (np.arange(n_points) + 0.5) * (2 * half_width / n_points)
    face = np.stack(np.meshgrid(*([axis] * (dim - 1)), indexing="ij"), axis=-1).reshape(-1, dim - 1)
    out = []
    for j in range(dim):
        for side in (-half_width, half_width):
            out.append(np.insert(face, j, side, axis=1))
    return np.concatenate(out)


class ResidualData(NamedTuple):
    """An operator loss laid out on its points: the residual blocks ((points (n, d), L), …) with
    L a :class:`DifferentialOperator`, None for the values, or a matrix M (r, n) for a linear
    map of the values at the block's points (a spectral weight such as a Fourier-space Sobolev
    norm; then the block has r residuals); the targets s of the stacked residuals (the sources
    L_k u* on the training points, then u* on the boundary points) and their loss weights q (the
    loss is ½ Σ q (R − s)² over the stacked residuals R of the network)."""

    blocks: tuple
    s: np.ndarray
    q: np.ndarray

    @property
    def points(self) -> np.ndarray:
        """The blocks' points stacked, shape (Σ n, d)."""
        return np.concatenate([x for x, _ in self.blocks])



def residual_data(loss: OperatorLoss, *, x, target, weights=None, x_boundary=None) -> ResidualData:
    """:class:`ResidualData` of ``loss`` on the training points x (n, d) with loss weights
    ``weights`` (None: 1/N each; the same for every operator) and, when the loss has a boundary
    term, its points ``x_boundary`` (weight λ_B/N_B each). The sources s_k = L_k u* come from the
    target's JAX form (``target.traced``) by autodiff in float64."""
    import jax

    if not isinstance(loss, OperatorLoss):
        raise TypeError(f"loss must be an operator loss (ntk_freq.losses.OperatorLoss), got {loss!r}")
    if not callable(getattr(target, "traced", None)):
        raise TypeError(f"target must have a JAX form target.traced (a ntk_freq.data.WindowedSines), "
                        f"got {target!r}")
    x = v.bounded("x", v.finite_array("x", x))
    x = x[:, None] if x.ndim == 1 else x
    if x.ndim != 2 or not len(x):
        raise ValueError(f"x must be points of shape (n, d), got shape {x.shape}")
    loss.operators(x.shape[1])  # the operators exist in d
    q_point = np.full(len(x), 1.0 / len(x)) if weights is None else np.asarray(weights, float)
    if q_point.shape != (len(x),) or not np.all(np.isfinite(q_point)) or np.any(q_point < 0):
        raise ValueError(f"weights must be {len(x)} finite numbers >= 0, got {weights!r}")
    blocks, s, q = [], [], []
    with jax.enable_x64(True):
        for L in loss.operators(x.shape[1]):
            blocks.append((x, L))
            s.append(np.asarray(apply_operator(L, target.traced, x), dtype=np.float64))
            q.append(q_point)
    if loss.boundary:
        if x_boundary is None:
            raise ValueError(f"loss {loss.spec!r} has a boundary term: pass x_boundary")
        xb = v.point_list("x_boundary", x_boundary, x.shape[1])
        blocks.append((xb, None))
        s.append(np.asarray(target(xb), dtype=np.float64))
        q.append(np.full(len(xb), loss.boundary / len(xb)))
    return ResidualData(tuple(blocks), np.concatenate(s), np.concatenate(q))


def residual_apply(network, blocks: tuple):
    """(params, points) ↦ the stacked residuals [L_1 f(X); …; f(X_B)] of ``network`` (a
    :class:`ntk_freq.networks.Network`), ``points`` the blocks' points stacked
    (:attr:`ResidualData.points`), the operators read from ``blocks`` (their points are not
    used: the function is traced once per shape). L f comes from the network's closed form
    ``apply_operator(params, x, L)`` where it has one (Fourier features: L acts through the
    symbol P(w)), else from forward-mode autodiff of ``apply``."""
    import jax.numpy as jnp

    sizes = [len(x) for x, _ in blocks]
    ops = [L for _, L in blocks]
    edges = np.cumsum([0, *sizes])
    closed = getattr(network, "apply_operator", None)

    def applied(params, L, x):
        if L is None:
            return network.apply(params, x)
        if isinstance(L, np.ndarray):  # a linear map of the values (a spectral weight)
            return jnp.asarray(L, dtype=x.dtype) @ network.apply(params, x)
        if closed is not None:
            return closed(params, x, L)
        return apply_operator(L, lambda z: network.apply(params, z), x)

    def residuals(params, points):
        return jnp.concatenate([applied(params, L, points[a:b])
                                for L, a, b in zip(ops, edges[:-1], edges[1:])])

    return residuals
