"""Operator-applied NTKs of the Fourier-feature network, for any ρ_w (docs/operator-losses.md).

The FF-NN's NTK is an expectation over the frequencies, Θ(x, x') = E_w Re[Φ(x, w)·conj Φ(x', w)]
with the feature channels Φ₀ = e^{iw·x} (readout a, b) and Φ_j = σ_a x_j e^{iw·x} (frequency w_j),
j = 1…d. A real constant-coefficient operator L with symbol P (L e^{iw·x} = P(w) e^{iw·x}) acts
on them in closed form, by Leibniz's rule (x_j e^{iw·x} = −i ∂_{w_j} e^{iw·x}):

    L Φ₀ = P(w) e^{iw·x},        L Φ_j = σ_a (x_j P(w) − i ∂_j P(w)) e^{iw·x},

so for operators L_a at x and L_b at x'

    L_a,x L_b,x' Θ(x, x') = E_w Re[ Σ_c (L_a Φ_c)(x, w) · conj (L_b Φ_c)(x', w) ],

with the identity (P = 1) for plain values. Because P(−w) = conj P(w), the real part is the same
under ρ_w and its symmetrisation ρ̄_w. The expectation is a quadrature over w: Gauss–Legendre
panels split at ρ̄_w's jumps and kinks, on the box of ρ_w's support (tensor rule in d ≥ 2), with
enough nodes for the oscillation e^{iw·(x − x')} over the points' spread. Its error is estimated
against the closed form (identity operators, :func:`ntk_freq.kernels.ff_ntk`) and the rule is
refined until that error is below ``tol``; the moments E|w|^{2·order} must be finite
(Cauchy ρ_w has none; Student-t only below ν).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ntk_freq._util import validation as v
from ntk_freq._util.quadrature import gauss_legendre
from ntk_freq.distributions._families import (Cauchy, Empirical, FrequencyDistribution, Mixture,
                                              Product, Shift, StudentT, Tabulated, breakpoints)

#: Relative error of the quadrature (against the closed-form NTK) the rule is refined to.
RULE_TOL = 1e-9
#: ρ_w's mass left outside the quadrature box.
SUPPORT_TOL = 1e-15


class FrequencyRule(NamedTuple):
    """A quadrature over ρ_w: nodes w (K, d) and weights ω (K,) with Σ_k ω_k g(w_k) ≈ E_w g(w);
    ``error``: its relative error on the closed-form NTK (an estimate)."""

    w: np.ndarray
    omega: np.ndarray
    error: float


def moment_limit(rho: FrequencyDistribution) -> float:
    """The order p above which E|w|^p is infinite (math.inf for light tails): 0 for Cauchy, ν
    for Student-t; mixtures and products take their components' least."""
    if not isinstance(rho, FrequencyDistribution):
        raise TypeError(f"rho must be a frequency distribution (ntk_freq.distribution), got {rho!r}")
    if isinstance(rho, Cauchy):
        return 0.0
    if isinstance(rho, StudentT):
        return rho.nu
    if isinstance(rho, Mixture):
        return min(moment_limit(c) for c in rho.components)
    if isinstance(rho, Product):
        return min(moment_limit(f) for f in rho.factors)
    if isinstance(rho, Shift):
        return moment_limit(rho.base)
    return math.inf


def check_moments(rho: FrequencyDistribution, order: int) -> None:
    """ValueError unless E|w|^{2·order + 2} is finite: the operator-applied NTK of an order-k
    operator holds moments of order 2k of ρ_w (and 2k + 2 with W trained, through x_j P)."""
    need = 2 * order + 2
    if order and moment_limit(rho) <= need:
        raise ValueError(
            f"rho = {rho!r} has no finite moment E|w|^{need}, which the NTK of an operator of "
            f"order {order} needs (its symbol squared weighs ρ_w by |w|^{2 * order}): use a "
            f"lighter-tailed ρ_w (Gaussian, Laplace, uniform, Student-t with ν > {need})")


def _axis_rule(rho, axis: int, radius: float, spread: float, density: float):
    """Gauss–Legendre panels on [−R, R] along one axis, split at ρ̄_w's breakpoints (every node
    of a tabulated ρ_w, which is piecewise linear); each panel of length ℓ gets
    ⌈density·ℓ·spread/2⌉ + 12 nodes (e^{iwδ} turns ℓ·spread radians over it)."""
    kinks = [rho.axes[axis], -rho.axes[axis]] if isinstance(rho, Tabulated) else []
    cuts = np.unique(np.concatenate([[-radius, radius], breakpoints(rho)[axis], *kinks]))
    cuts = cuts[(cuts >= -radius) & (cuts <= radius)]
    nodes, weights = [], []
    for a, b in zip(cuts[:-1], cuts[1:]):
        n = int(math.ceil(density * (b - a) * spread / 2)) + 12
        t, wt = gauss_legendre(n, "the frequency quadrature of the operator NTK")
        nodes.append(0.5 * (b - a) * t + 0.5 * (a + b))
        weights.append(0.5 * (b - a) * wt)
    return np.concatenate(nodes), np.concatenate(weights)


def _tensor_rule(rho, spread: np.ndarray, density: float, n_points: int):
    if isinstance(rho, Empirical) and rho.bandwidth == 0:
        w = rho.samples
        return w, np.full(len(w), 1.0 / len(w))
    radius = rho.support_radius(SUPPORT_TOL)
    axes = [_axis_rule(rho, j, radius, float(spread[j]), density) for j in range(rho.dim)]
    size = math.prod(len(a[0]) for a in axes)
    v.fits_in_memory(f"the frequency quadrature of {size} nodes (tensor rule in d = {rho.dim}) "
                     f"for {n_points} points", 16.0 * (rho.dim + 2) * size * (n_points + 2))
    w = np.stack(np.meshgrid(*(a[0] for a in axes), indexing="ij"), axis=-1).reshape(-1, rho.dim)
    weight = np.prod(np.stack(np.meshgrid(*(a[1] for a in axes), indexing="ij"), axis=-1)
                     .reshape(-1, rho.dim), axis=-1)
    omega = weight * rho.pdf(w)
    keep = omega > 0
    return w[keep], omega[keep]


class KernelRules(NamedTuple):
    """A kernel as expectations over frequencies (module docstring): ``readout`` integrates the
    channel e^{iw·x} (None: absent), ``frequency`` the channels x_j e^{iw·x} with its weights
    holding their scale (σ_a² ρ̄_w for the FF network; None: absent), ``atom`` the mass of a
    constant part of the kernel (an atom of the readout at w = 0: the deep network's κ(0))."""

    readout: FrequencyRule | None
    frequency: FrequencyRule | None
    atom: float = 0.0

    @property
    def nodes(self) -> int:
        return sum(len(r.w) for r in (self.readout, self.frequency) if r is not None)


def ff_rules(rule: FrequencyRule, *, sigma_a: float, part: str) -> KernelRules:
    """The FF network's channels on one rule over ρ_w: readout unless only W trains, frequency
    (weights × σ_a²) unless W is frozen."""
    return KernelRules(None if part == "frequency" else rule,
                       None if part == "readout" else rule._replace(omega=sigma_a**2 * rule.omega))


def checked_rules(build, exact, x, *, what: str, tol: float) -> KernelRules:
    """``build(density)`` → :class:`KernelRules`, refined (density ×1.5, up to five times) until
    its plain kernel on up to 64 of the points ``x`` is within ``tol`` (relative to the largest
    entry) of ``exact(probe, probe)``; ValueError when it never gets there. The error reached is
    in each rule's ``error``."""
    probe = x[np.unique(np.linspace(0, len(x) - 1, min(len(x), 64)).astype(int))]
    want = exact(probe, probe)
    scale = max(float(np.abs(want).max()), np.finfo(float).tiny)
    density, error = 1.0, math.inf
    for _ in range(6):
        rules = build(density)
        error = float(np.abs(operator_gram(rules, [(probe, None)], [(probe, None)]) - want).max()) / scale
        if error <= tol:
            return KernelRules(*(r if r is None else r._replace(error=error) for r in rules[:2]), rules.atom)
        density *= 1.5
    raise ValueError(f"the frequency quadrature of {what} reaches a relative error of only "
                     f"{error:.2g} on its closed-form kernel (tolerance {tol:g}); the density may "
                     "be too rough or too wide for a quadrature")


def frequency_rule(rho: FrequencyDistribution, x, *, tol: float = RULE_TOL) -> FrequencyRule:
    """The quadrature over ρ_w for kernels among the points ``x`` (n, d) (module docstring),
    refined (nodes ×1.5 per panel) until it reproduces φ_w(x − x') (the readout NTK, closed
    form) to ``tol`` relative (:func:`checked_rules`)."""
    if not isinstance(rho, FrequencyDistribution):
        raise TypeError(f"rho must be a frequency distribution (ntk_freq.distribution), got {rho!r}")
    from ntk_freq.kernels._closed_form import ff_ntk

    x = v.point_list("x", x, rho.dim)
    spread = np.maximum(np.ptp(x, axis=0), 1e-12)

    def build(density):
        return KernelRules(FrequencyRule(*_tensor_rule(rho, spread, density, len(x)), 0.0), None)

    return checked_rules(build, lambda a, b: ff_ntk(a, b, rho, sigma_a=0.0, part="readout"), x,
                         what=f"rho = {rho!r}", tol=tol).readout


def tabulated_rule(xi: np.ndarray, values: np.ndarray, spread: float, density: float) -> FrequencyRule:
    """The quadrature of ∫ g(w) f(w) dw for a density f tabulated (piecewise linear) on the 1-D
    grid ``xi``: Gauss–Legendre on every cell (f is linear there), ⌈density·ℓ·spread/2⌉ + 3
    nodes on a cell of length ℓ (e^{iwδ} turns up to ℓ·spread radians over it); weights f(w)
    times the cell rule."""
    values = np.clip(np.asarray(values, float), 0.0, None)
    length = np.diff(xi)
    n = int(math.ceil(density * float(length.max()) * spread / 2)) + 3
    t, wt = gauss_legendre(n, "the quadrature of a tabulated density")
    w = (0.5 * length[:, None] * t[None, :] + 0.5 * (xi[1:] + xi[:-1])[:, None]).ravel()
    weight = (0.5 * length[:, None] * wt[None, :]).ravel()
    keep = np.interp(w, xi, values) > 0
    return FrequencyRule(w[keep, None], (weight * np.interp(w, xi, values))[keep], 0.0)


def _features(rule: FrequencyRule, x: np.ndarray, L, channel: str) -> np.ndarray:
    """(L Φ_c)(x_i, w_k), shape (C, n, K), complex: channel "readout" is P(w) e^{iw·x} (C = 1),
    "frequency" the d channels (x_j P(w) − i ∂_j P(w)) e^{iw·x}."""
    phase = np.exp(1j * (x @ rule.w.T))  # (n, K)
    P = np.ones(len(rule.w), complex) if L is None else L.symbol(rule.w)
    if channel == "readout":
        return (P[None, :] * phase)[None]
    dP = np.zeros(rule.w.shape, complex) if L is None else L.symbol_gradient(rule.w)
    return np.stack([(x[:, j:j + 1] * P[None, :] - 1j * dP[None, :, j]) * phase
                     for j in range(x.shape[1])])


#: Nodes per chunk of the quadrature sum (bounds the feature arrays' memory).
CHUNK = 2048


def operator_gram(rules: KernelRules, blocks_a, blocks_b) -> np.ndarray:
    """[L_a,x L_b,x' Θ(x, x')] for the row blocks ``blocks_a`` and column blocks ``blocks_b``,
    each a list of (points (n, d), operator or None for the identity), for the kernel ``rules``
    (:class:`KernelRules`: :func:`ff_rules` for the FF network); rows and columns stacked in
    block order, float64."""
    xa = [np.asarray(x, float) for x, _ in blocks_a]
    xb = [np.asarray(x, float) for x, _ in blocks_b]
    na, nb = sum(map(len, xa)), sum(map(len, xb))
    v.affordable(f"an operator-applied NTK of {na} × {nb} entries over {rules.nodes} frequency "
                 f"nodes", 8.0 * na * nb * rules.nodes * (1 + xa[0].shape[1]), "use fewer points")
    out = np.zeros((na, nb))
    if rules.atom:  # a constant kernel part: L_a L_b' applied to 1 is P_a(0) conj P_b(0)
        zero = np.zeros((1, xa[0].shape[1]))
        P0 = [np.full(len(x), 1.0 + 0j if L is None else L.symbol(zero)[0]) for x, (_, L) in zip(xa, blocks_a)]
        Q0 = [np.full(len(x), 1.0 + 0j if L is None else L.symbol(zero)[0]) for x, (_, L) in zip(xb, blocks_b)]
        out += rules.atom * np.real(np.outer(np.concatenate(P0), np.conj(np.concatenate(Q0))))
    for channel, rule in (("readout", rules.readout), ("frequency", rules.frequency)):
        if rule is None:
            continue
        for k0 in range(0, len(rule.w), CHUNK):
            chunk = FrequencyRule(rule.w[k0:k0 + CHUNK], rule.omega[k0:k0 + CHUNK], rule.error)
            Fa = np.concatenate([_features(chunk, x, L, channel) for x, (_, L) in zip(xa, blocks_a)], axis=1)
            Fb = np.concatenate([_features(chunk, x, L, channel) for x, (_, L) in zip(xb, blocks_b)], axis=1)
            out += np.einsum("cik,k,cjk->ij", Fa, chunk.omega, Fb.conj(), optimize=True).real
    return out


# --- the kernel flow of an operator loss -------------------------------------------------------

class ResidualFlow:
    """The exact kernel-regime dynamics of an operator loss on its points (docs/theory.md):
    the stacked residuals R = [L_1 u(X); …; L_K u(X); u(X_B)] follow the block kernel flow

        R(t) = exp(−t Θ_R diag(q)) R(0),   Θ_R = [L_a L_b Θ(X_a, X_b)],

    q = 1/N on each operator block and λ_B/N_B on the boundary block (the loss is ½ Σ q R²), and
    the error anywhere follows from it, u(x, t) = u(x, 0) − Σ_j L_j' Θ(x, X_j) q_j ∫₀ᵗ R_j ds.
    Gradient descent with step η is the discrete twin R_{k+1} = (I − η Θ_R diag(q)) R_k.

    Args:
        gram: (blocks_a, blocks_b) ↦ the operator-applied NTK between blocks (points, operator
            or None), e.g. :meth:`ntk_freq.FourierFeatures.operator_ntk` with ρ_w bound.
        blocks: the residual blocks [(X, L_1), …, (X, L_K), (X_B, None)].
        q: the loss weight of each residual, shape (Σ n_block,).
        r0: R(0), shape (Σ n_block,).
        x_eval: points (n, d) where the error u is reported; u0: u(x_eval, 0).
    """

    def __init__(self, gram, blocks, q, r0, x_eval, u0):
        from ntk_freq.kernels._operator import KernelOperator

        self.q, self.r0, self.u0 = np.asarray(q, float), np.asarray(r0, float), np.asarray(u0, float)
        self.op = KernelOperator.from_gram(gram(blocks, blocks), self.q)  # Θ_R diag(q)
        self.cross = gram([(x_eval, None)], blocks) * self.q[None, :]  # L_j' Θ(x, X_j) q_j

    @property
    def stability_limit(self) -> float:
        """The largest stable gradient-descent step 2/λ_max(Θ_R diag(q))."""
        return self.op.stability_limit

    def residual(self, times) -> np.ndarray:
        """R(t) at each flow time, shape (T, Σ n_block)."""
        return self.op.flow(self.r0, times)

    def flow(self, times) -> np.ndarray:
        """u(x_eval, t) at each flow time, shape (T, n)."""
        return self.u0[None, :] - self.op.integral(self.r0, times) @ self.cross.T

    def gd(self, eta: float, steps) -> np.ndarray:
        """u(x_eval) after each number of gradient-descent steps in ``steps``, shape (T, n)."""
        return self.u0[None, :] - self.op.gd_sum(self.r0, eta, steps) @ self.cross.T


def operator_flow(network, rho, loss, *, x, target, weights=None, x_boundary=None,
                  x_eval=None) -> ResidualFlow:
    """The :class:`ResidualFlow` of an operator loss (:class:`ntk_freq.losses.OperatorLoss`) on
    the training points x (n, d) with loss weights ``weights`` (None: 1/N each) and, for a
    boundary term, the points ``x_boundary``; the error is reported at ``x_eval`` (default x).
    The network starts at f₀ ≡ 0, so R(0) = −s (:func:`ntk_freq.losses.residual_data`) and
    u(x, 0) = −u*(x)."""
    from ntk_freq.losses._operator import residual_data

    x = np.asarray(x, float)
    x_eval = x if x_eval is None else np.asarray(x_eval, float)
    data = residual_data(loss, x=x, target=target, weights=weights, x_boundary=x_boundary)
    return ResidualFlow(lambda a, b: network.operator_ntk(rho, a, b), data.blocks, data.q,
                        -data.s, x_eval, -target(x_eval))
