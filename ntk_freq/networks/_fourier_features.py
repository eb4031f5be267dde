"""Network objects: one object gives the finite network, its exact NTK for any ρ_w and the
coefficients of its frequency PDE (as neural-tangents' ``stax`` gives ``init_fn``, ``apply_fn``
and ``kernel_fn`` from one description).

Every route of a :class:`ntk_freq.Problem` reads its network through these methods:

- ``finite(rho)``: the width-m network from its doubling initialisation (f₀ ≡ 0), a
  :class:`ntk_freq.networks.Network` with ``init(key)`` and ``apply(params, x)``;
- ``ntk(x1, x2, rho)``: the infinite-width NTK Θ(x1, x2), float64;
- ``kernel_operator(rho, x, weights)``: Θ(X, X) diag(q) with ``flow``, ``gd`` and
  ``stability_limit`` (the exact kernel flow and its gradient-descent twin);
- ``pde_coefficients(rho, xi)``: the damping and diffusion densities ρ_α(ξ), ρ_D(ξ) of the
  frequency PDE ∂_t û = c(2π)^d [∇·(ρ_D ∇û) − ρ_α û] (per unit c(2π)^d);
- ``solve_pde(rho, density, u0_hat, times, **options)``: that PDE by finite elements.

Adding a network is one new class with these methods, not a new pipeline (:class:`MLP`, in
:mod:`ntk_freq.networks._mlp`, has no frequency PDE: its ``pde_models`` is empty).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, NamedTuple

import numpy as np

from ntk_freq._util import validation as v
from ntk_freq.networks._mlp import MLP

#: Training precisions of the finite networks.
DTYPES = ("float32", "float64")


class PDECoefficients(NamedTuple):
    """The frequency PDE's coefficient densities on a ξ grid: damping ``alpha`` = ρ_α(ξ) and
    diffusion ``D`` = ρ_D(ξ), so that α(ξ) = c(2π)^d ρ_α and D(ξ) = c(2π)^d ρ_D."""

    xi: np.ndarray
    alpha: np.ndarray
    D: np.ndarray


def _record(network) -> dict:
    """A network as JSON: its class name and its fields."""
    return {"class": type(network).__name__, **dataclasses.asdict(network)}


@dataclasses.dataclass(frozen=True)
class FourierFeatures:
    """The two-layer Fourier-feature network (FF-NN) of docs/theory.md:

        f(x; θ) = (1/√m) Σ_j [a_j cos(w_j·x) + b_j sin(w_j·x)],  w_j ~ ρ_w,  a_j, b_j ~ N(0, σ_a²),

    with the antisymmetric doubling (2m neurons, f₀ ≡ 0) and the NTK
    Θ(x, x') = φ_w(x − x')(1 + σ_a² x·x') for any ρ_w; ``part`` picks the trained parameters
    (the readout term alone, the frequency term alone, or both).

    Args:
        sigma_a: the readout weights' standard deviation σ_a (≥ 0).
        width: m, neurons before doubling.
        part: "full", "readout" (W frozen) or "frequency" (only W trained).
        dtype: the finite network's training precision, "float32" or "float64" (the theory
            routes are always float64).

    Examples:
        >>> import numpy as np, ntk_freq as nf
        >>> net = nf.FourierFeatures(sigma_a=0.5, width=64)
        >>> theta = net.ntk(np.zeros((1, 1)), np.ones((1, 1)), nf.distribution("gaussian:1"))
        >>> round(float(theta[0, 0]), 12) == round(float(np.exp(-0.5)), 12)
        True

    References:
        Tancik et al. (2020), Fourier features let networks learn high frequency functions in
        low dimensional domains; Jacot, Gabriel, Hongler (2018), Neural tangent kernel.
        docs/theory.md, "The Fourier-feature network" and "Its neural tangent kernel".
    """

    sigma_a: float = 0.5
    width: int = 4096
    part: v.Part = "full"
    dtype: str = "float32"

    #: PDE models this network has: (E2) on the data measure and the local (E3).
    pde_models: ClassVar[tuple] = ("E2", "E3")
    dims: ClassVar[tuple] = (1, 2, 3)

    def __post_init__(self):
        object.__setattr__(self, "sigma_a", v.std("sigma_a", self.sigma_a))
        object.__setattr__(self, "width", v.positive_int("width", self.width))
        v.choice("part", self.part, v.PARTS)
        v.choice("dtype", self.dtype, DTYPES)

    def record(self) -> dict:
        """The network as JSON (class and fields)."""
        return _record(self)

    def n_params(self, dim: int) -> int:
        """Parameters of the doubled network: 2m(d + 2)."""
        return 2 * self.width * (dim + 2)

    def finite(self, rho):
        """The finite network of width m (:func:`ntk_freq._nn.models.ff_network`)."""
        from ntk_freq._nn.models import ff_network
        from ntk_freq.training._train import DTYPES as JAX_DTYPES

        return ff_network(rho, self.sigma_a, self.width, part=self.part, dtype=JAX_DTYPES[self.dtype])

    def ntk(self, x1, x2, rho) -> np.ndarray:
        """Θ(x1, x2) in closed form (:func:`ntk_freq.kernels.ff_ntk`)."""
        from ntk_freq.kernels._closed_form import ff_ntk

        return ff_ntk(x1, x2, rho, sigma_a=self.sigma_a, part=self.part)

    def kernel_operator(self, rho, x, weights=None):
        """Θ(X, X) diag(q) (:func:`ntk_freq.kernels.kernel_operator`: FFT + Lanczos on a
        uniform grid, dense elsewhere)."""
        from ntk_freq.kernels._structured import kernel_operator

        return kernel_operator(rho, self.sigma_a, self.part, x=x, weights=weights)

    def kernel_reach(self, rho, xi_top: float) -> float:
        """The largest angular frequency its kernel holds, at least ``xi_top``: ρ_w's radius at
        1e-8 (φ_w is ρ_w's transform)."""
        return max(rho.support_radius(1e-8), xi_top)

    def operator_ntk(self, rho, blocks_a, blocks_b) -> np.ndarray:
        """The operator-applied NTK [L_a,x L_b,x' Θ(x, x')] between blocks of (points (n, d),
        :class:`ntk_freq.losses.DifferentialOperator` or None for values), rows and columns
        stacked in block order (:func:`ntk_freq.kernels.operator_gram`: a quadrature over ρ_w
        refined against the closed form; any ρ_w with the moments the operators need)."""
        from ntk_freq.kernels._operator_kernels import (check_moments, ff_rules, frequency_rule,
                                                        operator_gram)

        order = max([L.order for _, L in (*blocks_a, *blocks_b) if L is not None] or [0])
        check_moments(rho, order)
        points = np.concatenate([v.point_list("points", x, rho.dim) for x, _ in (*blocks_a, *blocks_b)])
        rules = ff_rules(frequency_rule(rho, points), sigma_a=self.sigma_a, part=self.part)
        return operator_gram(rules, blocks_a, blocks_b)

    def pde_coefficients(self, rho, xi) -> PDECoefficients:
        """ρ_α = ρ̄_w (absent when only W trains) and ρ_D = σ_a² ρ̄_w (absent with W frozen)
        at ξ of shape (..., d)."""
        xi = np.asarray(xi, dtype=np.float64)
        rho_bar = rho.symmetrised_pdf(xi)
        alpha = rho_bar if self.part != "frequency" else np.zeros_like(rho_bar)
        D = self.sigma_a**2 * rho_bar if self.part != "readout" else np.zeros_like(rho_bar)
        return PDECoefficients(xi, alpha, D)

    def solve_pde(self, rho, density, u0_hat=None, *, model: str = "E3", times=None, **options):
        """The frequency PDE (:func:`ntk_freq.pde.solve_frequency_pde`): ``model`` "E3" for a
        constant data density c, "E2" for a data measure (pass ``u0``, the initial error on its
        points). Returns ``(solution, info)`` with ``info`` an empty dict (nothing beyond the
        solution)."""
        from ntk_freq.pde import solve_frequency_pde

        sol = solve_frequency_pde(rho, self.sigma_a, density, u0_hat=u0_hat, times=times,
                                  part=self.part, model=model, **options)
        return sol, {}


@dataclasses.dataclass(frozen=True)
class DeepFourierFeatures:
    """The multi-layer FF-NN (docs/deep.md): the embedding [cos(Wx), sin(Wx)] (w_j ~ ρ_w, m
    features) followed by an NTK-parametrised MLP with ``hidden`` widths and a scalar output,
    doubled so f₀ ≡ 0. Its NTK is κ(φ_w(x − x')) + (x·x') χ(φ_w(x − x')) (neural-tangents'
    ``stax`` for the MLP part) and its frequency PDE has the effective densities ρ_α, ρ_D of
    :func:`ntk_freq.kernels.effective_densities` (d = 1, the local model (E3)).

    Args:
        width: m Fourier features (2m channels).
        hidden: widths of the hidden layers, e.g. (512,).
        activation: "relu", "erf", "sin", "cos", "gelu" or "abs".
        w_std: the layers' weight scale.
        b_std: the layers' bias scale.
        train_frequencies: whether W trains (False: frozen embedding).
        dtype: the finite network's training precision.

    References:
        docs/deep.md (the kernel and the effective densities); Novak et al. (2020),
        Neural Tangents: fast and easy infinite neural networks in Python (the MLP's kernel).
    """

    width: int = 512
    hidden: tuple = (512,)
    activation: str = "erf"
    w_std: float = 1.0
    b_std: float = 0.0
    train_frequencies: bool = True
    dtype: str = "float32"

    pde_models: ClassVar[tuple] = ("E3",)
    dims: ClassVar[tuple] = (1,)
    #: Effective densities are tabulated on [−XI_REACH·R, XI_REACH·R], R = ρ_w's radius at 1e-8,
    #: with N_XI_TABLE nodes.
    XI_REACH: ClassVar[float] = 6.0
    N_XI_TABLE: ClassVar[int] = 4001
    #: Relative error of the operator kernel's quadrature against the closed-form deep NTK.
    DEEP_RULE_TOL: ClassVar[float] = 1e-4

    def __post_init__(self):
        from ntk_freq.kernels._deep import check_mlp

        object.__setattr__(self, "hidden", tuple(self.hidden) if hasattr(self.hidden, "__iter__")
                           and not isinstance(self.hidden, str) else self.hidden)
        _, _, w_std, b_std = check_mlp(self.hidden, self.activation, self.w_std, self.b_std)
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        object.__setattr__(self, "w_std", w_std)
        object.__setattr__(self, "b_std", b_std)
        object.__setattr__(self, "width", v.positive_int("width", self.width))
        if not isinstance(self.train_frequencies, (bool, np.bool_)):
            raise TypeError(f"train_frequencies must be True or False, got {self.train_frequencies!r}")
        object.__setattr__(self, "train_frequencies", bool(self.train_frequencies))
        v.choice("dtype", self.dtype, DTYPES)

    @property
    def part(self) -> str:
        """"full" when W trains, else "readout"."""
        return "full" if self.train_frequencies else "readout"

    @property
    def mlp(self) -> dict:
        """The MLP keywords of :func:`ntk_freq.kernels.ff_mlp_ntk` and the network builders."""
        return dict(hidden=self.hidden, activation=self.activation, w_std=self.w_std,
                    b_std=self.b_std, train_frequencies=self.train_frequencies)

    def record(self) -> dict:
        """The network as JSON (class and fields)."""
        return _record(self)

    def n_params(self, dim: int) -> int:
        """Parameters of the doubled network."""
        sizes = (2 * self.width, *self.hidden, 1)
        return 2 * (self.width * dim + sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])))

    def finite(self, rho):
        """The finite network (:func:`ntk_freq._nn.models.ff_mlp_network`)."""
        from ntk_freq._nn.models import ff_mlp_network
        from ntk_freq.training._train import DTYPES as JAX_DTYPES

        return ff_mlp_network(rho, self.width, dtype=JAX_DTYPES[self.dtype], **self.mlp)

    def ntk(self, x1, x2, rho) -> np.ndarray:
        """The deep NTK Θ(x1, x2) (:func:`ntk_freq.kernels.ff_mlp_ntk`)."""
        from ntk_freq.kernels._deep import ff_mlp_ntk

        return ff_mlp_ntk(x1, x2, rho, **self.mlp)

    def kernel_operator(self, rho, x, weights=None):
        """Θ(X, X) diag(q) from the dense Gram matrix
        (:meth:`ntk_freq.kernels._operator.KernelOperator.from_gram`)."""
        from ntk_freq.kernels._operator import KernelOperator

        x = v.point_list("x", x, rho.dim)
        return KernelOperator.from_gram(self.ntk(x, x, rho), weights)

    def kernel_reach(self, rho, xi_top: float) -> float:
        """The largest angular frequency its kernel holds, at least ``xi_top``: twice ρ_w's radius
        at 1e-8 (the MLP on the embedding makes harmonics of φ_w)."""
        return max(2 * rho.support_radius(1e-8), xi_top)

    def operator_ntk(self, rho, blocks_a, blocks_b) -> np.ndarray:
        """The operator-applied deep NTK [L_a,x L_b,x' Θ(x, x')] between blocks of (points,
        operator or None) (:meth:`FourierFeatures.operator_ntk`). The deep kernel is
        κ(φ_w) + (x·x') χ(φ_w) = κ(0) + E_{ρ_α}[e^{iξδ}] + (x·x') E_{ρ_D}[e^{iξδ}] with the
        effective densities ρ_α, ρ_D (:meth:`effective_densities`), so it is the two-layer form
        with ρ_α on the readout channel, ρ_D on the frequency channel and the atom κ(0):
        quadratures over the tabulated densities, checked against the closed-form deep NTK to
        :data:`DEEP_RULE_TOL` (the densities' own error bounds what the check can reach)."""
        from ntk_freq.kernels._operator_kernels import checked_rules, tabulated_rule

        eff = self.effective_densities(rho)
        points = np.concatenate([v.point_list("points", x, rho.dim) for x, _ in (*blocks_a, *blocks_b)])
        spread = float(np.ptp(points)) or 1e-12

        def build(density):
            from ntk_freq.kernels._operator_kernels import KernelRules

            return KernelRules(tabulated_rule(eff.xi, eff.alpha, spread, density),
                               tabulated_rule(eff.xi, eff.D, spread, density) if self.train_frequencies else None,
                               eff.atom)

        rules = checked_rules(build, lambda a, b: self.ntk(a, b, rho), points,
                              what=f"the deep FF network's effective densities for rho = {rho!r}",
                              tol=self.DEEP_RULE_TOL)
        from ntk_freq.kernels._operator_kernels import operator_gram

        return operator_gram(rules, blocks_a, blocks_b)

    def effective_densities(self, rho):
        """ρ_α, ρ_D on [−XI_REACH·R, XI_REACH·R] (:func:`ntk_freq.kernels.effective_densities`)."""
        from ntk_freq.kernels._deep import effective_densities

        reach = self.XI_REACH * rho.support_radius(1e-8)
        return effective_densities(rho, np.linspace(-reach, reach, self.N_XI_TABLE), **self.mlp)

    def pde_coefficients(self, rho, xi) -> PDECoefficients:
        """ρ_α (its continuous part) and ρ_D at ξ of shape (..., 1)
        (:func:`ntk_freq.kernels.effective_densities` at those frequencies)."""
        from ntk_freq.kernels._deep import effective_densities

        xi = np.asarray(xi, dtype=np.float64)
        nodes = np.unique(xi[..., 0])
        eff = effective_densities(rho, nodes, **self.mlp)
        at = np.searchsorted(nodes, xi[..., 0])
        return PDECoefficients(xi, eff.alpha[at], eff.D[at])

    def solve_pde(self, rho, density, u0_hat=None, *, model: str = "E3", times=None, **options):
        """(E3) with the effective densities (:func:`ntk_freq.pde._deep.solve_deep_frequency_pde`)
        for a constant data density c (``model`` must be "E3": the deep network has no (E2)).
        Returns ``(solution, info)``: ``info`` holds the atom κ(0) of ρ_α, the captured masses
        and the densities' error estimate."""
        v.choice("model", model, self.pde_models)
        from ntk_freq.pde._deep import solve_deep_frequency_pde

        eff = self.effective_densities(rho)
        sol = solve_deep_frequency_pde(eff, density, u0_hat, times, **options)
        return sol, {"atom": eff.atom, "captured": eff.captured(), "density_error": eff.error}


#: Network classes by the name the CLI and TOML configs use.
NETWORKS = {"fourier-features": FourierFeatures, "deep-fourier-features": DeepFourierFeatures,
            "mlp": MLP}
