"""Initialisation design: from the per-frequency learning profile a user wants to the ρ_w that
gives it under the full frequency PDE (docs/theory.md, (E3)), diffusion included, in d = 1 and,
for isotropic designs ρ_w(ξ) = g(|ξ|), in d = 2 and 3.

Conventions (docs/theory.md): angular frequencies ξ; flow time t = η · step; data density
c = 1/|D| (``density``). The designed ρ_w is symmetric, so ρ_w = ρ̄_w; bands are given in |ξ|.

Learning time. The initial error is white, û₀ ≡ 1 on the frequency domain (every frequency
starts with the same error), and the learning time of frequency ξ at level ε is the first t with
|û(ξ, t)| ≤ ε |û₀(ξ)|, from (E3) solved by P1 finite elements on the design grid (the nodes of
the tabulated ρ_w). With W frozen (docs/theory.md special case 1) it is ln(1/ε)/(c 2π ρ̄_w(ξ)); the
wanted rate r(ξ) of a :class:`RateProfile` is met when the time at level 1/e is 1/r(ξ).

Algorithm. Start from the frozen-W solution ρ̄ = ln(1/ε)/(c 2π τ(ξ)) for the wanted times τ on
the band, then correct for diffusion by the multiplicative fixed point

    ρ ← ρ · (t_PDE(ξ) / τ(ξ))^γ   on the band,

renormalised (all of ρ_w's mass on the band, or the spare mass spread evenly over the rest of the
allowed support), with one sparse LU per iteration (Crank–Nicolson, uniform step). It stops when
max_ξ |t_PDE/τ − 1| ≤ ``tol`` (relative times; for a shape-only profile after dividing out the
geometric mean of t_PDE/τ, the overall speed being fixed by the mass).

Since (E3) is linear in ρ̄_w (D and α both ∝ ρ̄_w), scaling ρ_w by λ divides every learning time
by λ exactly: the feasibility checks below are exact for the frozen-W start and are re-checked
on the converged design.

Isotropic designs in d ≥ 2. Bands, rates and times are in |ξ|. For ρ̄_w(ξ) = g(|ξ|) and the
radial white start, (E3) keeps û radial, û(ξ, t) = U(|ξ|, t), and reduces exactly to the 1-D
equation in r = |ξ| with the weight r^{d−1}:

    r^{d−1} ∂_t U = ∂_r(r^{d−1} D ∂_r U) − r^{d−1} α U,   D = c(2π)^d σ_a² g, α = c(2π)^d g,

zero flux at r = R (and, by symmetry, at r = 0), solved by P1 elements on the nodes of g with
the weighted mass and operator matrices. The frozen-W start is g = ln(1/ε)/(c(2π)^d τ); masses
are |S^{d−1}| ∫ g r^{d−1} dr; the design is a :class:`ntk_freq.distributions.Radial` ρ_w, and
:func:`pde_check` verifies it with the full d-D finite elements of
:func:`ntk_freq.pde.solve_frequency_pde`. The baselines are the isotropic Gaussian and the
uniform density on the ball |ξ| ≤ R.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import numpy as np
from skfem import MeshLine

from ntk_freq._util import validation as v
from skfem import asm

from ntk_freq.distributions._families import (FrequencyDistribution, Gaussian, Product, Tabulated,
                                              Uniform, save_tabulated)
from ntk_freq.pde.fem import (coefficients_from_density, make_basis, operator_form, quadrature_points,
                              weighted_operator_form)
from ntk_freq.pde.mesh import axis_nodes
from ntk_freq.pde.time import crank_nicolson
from ntk_freq.distributions._radial import Radial, radial_mass, sphere_area, uniform_ball

#: Most nodes a design grid may have: every fixed-point iteration solves (E3) on it over a few
#: hundred time steps, so 10⁵ nodes already take minutes.
MAX_DESIGN_POINTS = 100_000

#: Level of the learning time that defines a rate: the e-folding time 1/r.
E_FOLD = math.exp(-1.0)


def _band(band) -> tuple[float, float]:
    """A band lo ≤ |ξ| ≤ hi given as (lo, hi) with 0 ≤ lo < hi finite (angular frequencies)."""
    try:
        lo, hi = (v.real("band", b, "a pair (lo, hi) of |ξ| bounds") for b in band)
    except ValueError:
        raise TypeError(f"band must be a pair (lo, hi) of |ξ| bounds, got {band!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi):
        raise ValueError(f"band must satisfy 0 <= lo < hi (bounds on |ξ|), got {band!r}")
    return lo, hi


def _support(support, band) -> float:
    """Half-width S of the allowed support [−S, S] of ρ_w (default: the band's top)."""
    if support is None:
        return band[1]
    S = v.positive("support", support)
    if S < band[1]:
        raise ValueError(
            f"band {band} lies outside the allowed support [−{S:g}, {S:g}] by {band[1] - S:.4g}: "
            f"widen support to >= {band[1]:g} or narrow the band"
        )
    return S


@dataclass(frozen=True)
class RateProfile:
    """Learn frequency ξ at the wanted rate r(|ξ|) (1/time) for lo ≤ |ξ| ≤ hi.

    r: a positive number (flat profile) or a callable on arrays of |ξ|; band: (lo, hi);
    support: half-width S ≥ hi of the allowed support of ρ_w (default hi); absolute: True to
    meet r as given (ρ_w's spare mass goes evenly to the support outside the band, which must
    have room for it), False to meet r's shape only, as fast as a normalised ρ_w allows (all of
    its mass on the band)."""

    r: Callable | float
    band: tuple
    support: float | None = None
    absolute: bool = True

    def __post_init__(self):
        band = _band(self.band)
        object.__setattr__(self, "band", band)
        object.__setattr__(self, "support", _support(self.support, band))
        if not callable(self.r):
            v.positive("r", self.r)
        if not isinstance(self.absolute, bool):
            raise TypeError(f"absolute must be True or False, got {self.absolute!r}")

    epsilon = E_FOLD

    def wanted_times(self, xi_abs: np.ndarray) -> np.ndarray:
        """τ(ξ) = 1/r(|ξ|), the e-folding times; raises where r is not finite and > 0."""
        r = np.broadcast_to(self.r(xi_abs) if callable(self.r) else float(self.r), xi_abs.shape)
        r = np.asarray(r, dtype=float)
        bad = ~(np.isfinite(r) & (r > 0))
        if np.any(bad):
            raise ValueError(
                f"r must be finite and > 0 on the band {self.band}, got r({xi_abs[bad][0]:g}) = "
                f"{float(r[bad][0])!r} ({int(bad.sum())} bad grid points)"
            )
        return 1.0 / r


@dataclass(frozen=True)
class ReachByTime:
    """Every frequency with lo ≤ |ξ| ≤ hi keeps at most the fraction ``epsilon`` of its initial
    error at time ``T`` (flow time). The design equalises the learning times over the band with
    all of ρ_w's mass there (the smallest worst-case time a normalised ρ_w can give) and checks
    it against T. support: half-width S ≥ hi of the allowed support (default hi)."""

    band: tuple
    epsilon: float
    T: float
    support: float | None = None

    def __post_init__(self):
        band = _band(self.band)
        object.__setattr__(self, "band", band)
        object.__setattr__(self, "support", _support(self.support, band))
        eps = v.positive("epsilon", self.epsilon)
        if eps >= 1:
            raise ValueError(f"epsilon must be in (0, 1) (a remaining fraction), got {eps!r}")
        v.positive("T", self.T)

    absolute = False

    def wanted_times(self, xi_abs: np.ndarray) -> np.ndarray:
        """Equal times over the band (their level is set by the mass and checked against T)."""
        return np.full(xi_abs.shape, float(self.T))


OBJECTIVES = (RateProfile, ReachByTime)
PROFILES = ("flat", "rising", "reach")


def make_objective(kind: str, band, support=None, *, rate=None, slope: float = 1.0,
                   epsilon=None, T=None):
    """The objectives of the CLI: "flat" (r constant), "rising" (r ∝ 1 + slope·|ξ|/hi, reversing
    the spectral bias), each absolute when ``rate`` (the rate at |ξ| = lo, 1/time) is given and
    shape-only otherwise; "reach" (:class:`ReachByTime` with ``epsilon`` and ``T``)."""
    v.choice("kind", kind, PROFILES)
    lo, hi = _band(band)
    if kind == "reach":
        if epsilon is None or T is None:
            raise ValueError("the 'reach' objective needs epsilon and T")
        return ReachByTime((lo, hi), epsilon, T, support)
    if kind == "flat":
        shape = 1.0
    else:
        slope = v.positive("slope", slope)
        shape = functools.partial(_linear_rise, slope / hi)
    if rate is None:
        return RateProfile(shape, (lo, hi), support, absolute=False)
    rate = v.positive("rate", rate)
    r = rate if kind == "flat" else functools.partial(_linear_rise, slope / hi, scale=rate / (
        1 + slope * lo / hi))
    return RateProfile(r, (lo, hi), support)


def _linear_rise(a: float, xi_abs, scale: float = 1.0):
    """scale · (1 + a |ξ|)."""
    return scale * (1 + a * np.asarray(xi_abs))


def frozen_rho(tau, epsilon: float, density: float, *, dim: int = 1, q=1.0) -> np.ndarray:
    """docs/theory.md special case 1 solved for ρ̄: ρ̄(ξ) = ln(1/ε)/(c (2π)^d q(ξ) τ(ξ)) learns ξ
    to the fraction ε by time τ(ξ) with W frozen; q(ξ) is an operator loss's weight
    (docs/operator-losses.md; 1 for the mean-squared loss)."""
    tau = np.asarray(tau, dtype=np.float64)
    if np.any(np.isnan(tau)) or np.any(tau <= 0):  # τ = ∞ (never) is ρ̄ = 0
        raise ValueError(f"tau must be times > 0 (inf: never), got {tau.ravel()[:8].tolist()}")
    epsilon = v.positive("epsilon", epsilon)
    if epsilon >= 1:
        raise ValueError(f"epsilon must be a fraction in (0, 1), got {epsilon!r}")
    scale = v.positive("density", density) * (2 * math.pi) ** v.positive_int("dim", dim)
    return math.log(1.0 / epsilon) / (scale * q * tau)


def band_measure(band, dim: int = 1) -> float:
    """|{ξ ∈ R^d : lo ≤ |ξ| ≤ hi}| = |S^{d−1}| (hi^d − lo^d)/d (2 (hi − lo) in d = 1)."""
    return sphere_area(dim) * (band[1] ** dim - band[0] ** dim) / dim


def check_feasible(objective, density: float, tau_band=None, *, xi_band=None, dim: int = 1,
                   loss=None) -> float:
    """The frozen-W mass the objective needs on its band; raises ValueError when no normalised
    ρ_w on the allowed support can meet it, saying which constraint fails and by how much.

    ReachByTime: mass ≥ |band| · ln(1/ε)/(c (2π)^d T). RateProfile (absolute): mass =
    ∫_band r/(c (2π)^d) must be ≤ 1, and = 1 when the support has no room outside the band
    (|S^{d−1}| ∫ · r^{d−1} d|ξ| of the piecewise-linear profile on the band nodes |ξ| =
    ``xi_band`` ≥ 0 with wanted times ``tau_band``)."""
    v.instance("objective", objective, OBJECTIVES, "a RateProfile or ReachByTime (ntk_freq.design)")
    q_band = _loss_weight(loss, xi_band, dim, objective.band)
    if isinstance(objective, ReachByTime):
        need = (band_measure(objective.band, dim) * float(frozen_rho(objective.T, objective.epsilon, density, dim=dim))
                if loss is None else radial_mass(xi_band, frozen_rho(objective.T, objective.epsilon, density,
                                                                     dim=dim, q=q_band), dim))
        if need > 1:
            t_min = objective.T * need
            raise ValueError(
                f"infeasible: every frequency in |ξ| ∈ {objective.band} below epsilon="
                f"{objective.epsilon:g} by T={objective.T:g} needs ρ_w mass {need:.4g} on the band "
                f"(> 1 by {need - 1:.4g}); the shortest reachable T is {t_min:.4g} "
                f"(or raise epsilon, narrow the band, or raise density c)"
            )
        return need
    if not objective.absolute:
        return 1.0
    rho = frozen_rho(tau_band, objective.epsilon, density, dim=dim, q=q_band)
    need = radial_mass(xi_band, rho, dim)
    if need > 1 + 1e-9:
        raise ValueError(
            f"infeasible: the rates r on |ξ| ∈ {objective.band} need ρ_w mass {need:.4g} (> 1 by "
            f"{need - 1:.4g}); divide r by at least {need:.4g} or set absolute=False"
        )
    if objective.support - objective.band[1] <= 0 and objective.band[0] == 0 and need < 1 - 1e-3:
        raise ValueError(
            f"the rates r need only ρ_w mass {need:.4g} on the band and the support "
            f"|ξ| ≤ {objective.support:g} leaves no room for the other "
            f"{1 - need:.4g}: widen support, multiply r by {1 / need:.4g}, or set absolute=False"
        )
    return need


# --------------------------------------------------------------------------------------------
# Learning times under the PDE on a fixed 1-D mesh
# --------------------------------------------------------------------------------------------


def _loss_weight(loss, xi_abs, dim: int, band) -> np.ndarray | float:
    """q at the band radii |ξ| (along e₁) of an isotropic operator loss, 1.0 for none;
    ValueError where q vanishes in the band (nothing learns there with W frozen)."""
    if loss is None or xi_abs is None:
        return 1.0
    q = loss.q(np.outer(np.asarray(xi_abs, float), np.eye(dim)[0]))
    if np.any(q <= 0):
        zero = float(np.asarray(xi_abs)[np.argmin(q)])
        raise ValueError(f"infeasible: loss {loss.spec!r} has q = 0 at |ξ| = {zero:.4g} in the band "
                         f"{band}: no ρ_w learns that frequency with W frozen; move the band")
    return q


def _design_loss(loss, dim: int):
    """None or an operator loss whose q is radial in d ≥ 2 (the design is isotropic there)."""
    if loss is None:
        return None
    from ntk_freq.losses import MeanSquared, OperatorLoss, loss as parse_loss

    loss = parse_loss(loss)
    if isinstance(loss, MeanSquared):
        return None
    if not isinstance(loss, OperatorLoss):
        raise TypeError(f"loss must be None, 'mse' or an operator loss, got {loss!r}")
    if dim > 1:
        e = np.eye(dim)
        turned = loss.q(np.array([2.0 * e[0], 2.0 * e[-1], np.sqrt(2.0) * (e[0] + e[-1])]))
        if not np.allclose(turned, turned[0], rtol=1e-12):
            raise ValueError(f"loss {loss.spec!r} weighs directions differently (q is not radial): "
                             f"design_rho designs isotropic ρ_w in d = {dim}")
    return loss


def remaining_fractions(rho: FrequencyDistribution, sigma_a: float, density: float,
                        *, xi: np.ndarray, t_max: float, n_steps: int, loss=None) -> tuple:
    """|û(ξ_j, t_k)|/|û₀| for the white start û₀ ≡ 1, from (E3) by P1 finite elements on the
    mesh with nodes ``xi`` (sorted; zero flux at its ends) and Crank–Nicolson with the uniform
    step t_max/n_steps (one LU). In d = 1 the nodes are frequencies ξ; in d ≥ 2 they are radii
    r = |ξ| ≥ 0 of an isotropic ρ_w, solved in the radial form with the weight r^{d−1} (module
    docstring). Returns (t (n_steps + 1,), fractions (n_steps + 1, len(xi)))."""
    v.instance("rho", rho, FrequencyDistribution, "a FrequencyDistribution (ntk_freq.distributions)")
    sigma_a, density, t_max = v.std("sigma_a", sigma_a), v.scale("density", density), v.positive("t_max", t_max)
    n_steps = v.positive_int("n_steps", n_steps)
    xi = v.finite_array("xi", xi)
    if xi.ndim != 1 or xi.size < 2 or np.any(np.diff(xi) <= 0):
        raise ValueError(f"xi must be at least two increasing mesh nodes, got shape {xi.shape}")
    v.affordable(f"{n_steps} Crank–Nicolson steps on {xi.size} nodes", 50.0 * n_steps * xi.size,
                 "use fewer steps or nodes")
    d = rho.dim
    basis = make_basis(MeshLine(xi), 1)
    r = quadrature_points(basis)  # (elements, points, 1)
    along = np.concatenate([r, np.zeros(r.shape[:-1] + (d - 1,))], axis=-1)
    D, alpha = coefficients_from_density(rho.symmetrised_pdf(along), d, sigma_a, density)
    weight = np.abs(r[..., 0]) ** (d - 1)
    M = asm(operator_form, basis, D=np.zeros_like(weight), alpha=weight).tocsr()
    if loss is None:
        A = asm(operator_form, basis, D=D * weight, alpha=alpha * weight).tocsr()
    else:  # (E3_L): the operator acts on q û (docs/operator-losses.md), q radial along e₁
        A = asm(weighted_operator_form, basis, D=D * weight, alpha=alpha * weight, q=loss.q(along),
                dq=loss.q_gradient(along)[None, ..., 0]).tocsr()
    t = np.linspace(0.0, t_max, n_steps + 1)
    U = crank_nicolson(M, A, np.ones((M.shape[0], 1)), t, t_max / n_steps)
    return t, np.abs(U[:, basis.nodal_dofs[0], 0])


def first_passage(t: np.ndarray, fractions: np.ndarray, epsilon: float) -> np.ndarray:
    """Per column, the first time the fraction reaches ε, interpolating ln(fraction) linearly in
    t between the bracketing outputs; inf where it is not reached by t[-1] (or the column is NaN)."""
    t, epsilon = v.increasing_times("t", t), v.positive("epsilon", epsilon)
    fractions = np.asarray(fractions, dtype=float)
    if fractions.ndim != 2 or fractions.shape[0] != t.size:
        raise ValueError(f"fractions must have shape (T, K) with T = {t.size} times, got {fractions.shape}")
    below = fractions <= epsilon
    k = np.argmax(below, axis=0)
    reached = below[k, np.arange(fractions.shape[1])]
    k = np.maximum(k, 1)
    cols = np.arange(fractions.shape[1])
    with np.errstate(divide="ignore"):
        f0, f1 = np.log(fractions[k - 1, cols]), np.log(fractions[k, cols])
    le = math.log(epsilon)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(f0 > f1, (f0 - le) / (f0 - f1), 1.0)
    return np.where(reached, t[k - 1] + np.clip(s, 0, 1) * (t[k] - t[k - 1]), np.inf)


def learning_times(rho: FrequencyDistribution, sigma_a: float, density: float, *, xi: np.ndarray,
                   epsilon: float, t_max: float, n_steps: int = 800, loss=None) -> np.ndarray:
    """Time for each node ξ_j of the mesh ``xi`` to reach the fraction ε of its white initial
    error under (E3) ((E3_L) with an operator ``loss``; module docstring); inf where later than
    t_max."""
    t, fractions = remaining_fractions(rho, sigma_a, density, xi=xi, t_max=t_max, n_steps=n_steps,
                                       loss=loss)
    return first_passage(t, fractions, epsilon)


# --------------------------------------------------------------------------------------------
# The design loop
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Design:
    """A designed ρ_w and its check.

    rho: the design (a :class:`Tabulated` ρ_w, usable everywhere a ρ_w is); objective, sigma_a,
    density: the inputs; xi: the band frequencies ξ ≥ 0 where times are reported; wanted: the
    wanted times there (shape-only objectives and ReachByTime: at the speed ρ_w's unit mass
    gives, the geometric mean of the achieved ones; ReachByTime checks them against T);
    epsilon: the level of the times; times[name]: learning times under (E3) for "designed",
    "gaussian" and "uniform"; baselines[name]: those ρ_w; iterations, residual, tol: the fixed
    point (residual max |t/τ − 1| on the band); curve_times, curve_xi, curves[name]: remaining
    fraction (len(curve_times), len(curve_xi)) for the figure."""

    rho: Tabulated
    objective: object
    sigma_a: float
    density: float
    xi: np.ndarray
    wanted: np.ndarray
    epsilon: float
    times: dict
    baselines: dict
    iterations: int
    residual: float
    tol: float
    curve_times: np.ndarray = field(repr=False)
    curve_xi: np.ndarray = field(repr=False)
    curves: dict = field(repr=False)
    loss: object = field(default=None, kw_only=True)

    @property
    def label(self) -> str:
        """The equation the times come from, for figure titles."""
        return f"(E3), σ_a = {self.sigma_a:g}" if self.loss is None else \
            f"(E3_L), loss {self.loss.spec}, σ_a = {self.sigma_a:g}"

    def worst_time(self, name: str = "designed") -> float:
        """The largest learning time over the band for one ρ_w."""
        return float(np.max(self.times[name]))

    def table(self, n_rows: int = 9) -> np.ndarray:
        """Rows (|ξ|, wanted, designed, gaussian, uniform) at ``n_rows`` evenly spread band
        frequencies (times under (E3), inf where not reached within the solve's horizon)."""
        idx = np.unique(np.linspace(0, self.xi.size - 1, v.positive_int("n_rows", n_rows)).astype(int))
        return np.column_stack([self.xi[idx], self.wanted[idx]]
                               + [self.times[k][idx] for k in ("designed", "gaussian", "uniform")])

    @property
    def dim(self) -> int:
        return self.rho.dim

    @property
    def rho_radius(self) -> float:
        """The radius of the designed ρ_w's support (the top of its grid)."""
        return float(self.rho.radius[-1] if isinstance(self.rho, Radial) else self.rho.axes[0][-1])

    def sample(self, key, m: int):
        """m first-layer frequencies w_j ~ ρ_w (JAX key in, array (m, d) out)."""
        return self.rho.sample(key, m)

    def save(self, path):
        """Write ρ_w as a plain file, atomically: d = 1 the grid + density (``.npz`` or ``.csv``,
        read back by ``ntk_freq.Tabulated.load`` or any csv/npz reader); d ≥ 2 the radial
        profile (``.npz`` with radius, values, dim: :meth:`ntk_freq.distributions._radial.Radial.load`). Either
        loads with ``distribution("file:PATH", d)``."""
        return self.rho.save(path) if isinstance(self.rho, Radial) else save_tabulated(path, self.rho)


def _design_grid(objective, n_points: int, dim: int) -> np.ndarray:
    """Nodes of the tabulated ρ_w: the band's top (all mass on the band) or the allowed support
    (absolute rates with spare mass), about ``n_points`` of them, with ±lo and ±hi as nodes in
    d = 1; in d ≥ 2 the radii 0 … R with lo and hi as nodes."""
    lo, hi = objective.band
    R = objective.support if objective.absolute else hi
    if dim > 1:
        return np.unique(np.concatenate([np.linspace(0.0, R, n_points), [lo, hi]]))
    return axis_nodes(R, 2 * R / (n_points - 1), [-hi, -lo, lo, hi])


def _mass(values, xi, dim: int) -> float:
    """∫ ρ dξ of a profile on the design grid: the trapezoid rule on the line (d = 1), the
    radial mass |S^{d−1}| ∫ g r^{d−1} dr (d ≥ 2)."""
    return float(np.trapezoid(values, xi)) if dim == 1 else radial_mass(xi, values, dim)


def _tabulate(xi, values, dim: int) -> Tabulated | Radial:
    """Normalise values on the grid into a ρ_w: a symmetrised Tabulated on the line (d = 1) or
    a Radial profile (d ≥ 2)."""
    if dim > 1:
        return Radial(xi, values / _mass(values, xi, dim), dim)
    values = 0.5 * (values + np.interp(-xi, xi, values))
    return Tabulated(xi, values / np.trapezoid(values, xi))


def _refill(values, band, spare, xi, absolute, dim: int) -> np.ndarray:
    """Zero outside the band, then: shape-only, rescale to mass 1; absolute with room outside
    the band, put the spare mass 1 − m_band (at least 0) evenly there; absolute without room,
    leave the band as it is (its mass is checked at the end)."""
    out = np.where(band, values, 0.0)
    if not absolute:
        return out / _mass(out, xi, dim)
    if spare.any():
        level = max(1.0 - _mass(out, xi, dim), 0.0) / _mass(spare.astype(float), xi, dim)
        out = np.where(spare, level, out)
    return out


def design_rho(objective, *, sigma_a: float, density: float, dim: int = 1,
               n_points: int = 1001, tol: float = 0.03, gamma: float = 1.0,
               max_iter: int = 50, n_steps: int | None = None,
               gaussian_scale: float | None = None, loss=None) -> Design:
    """Design ρ_w for ``objective`` (:class:`RateProfile` or :class:`ReachByTime`) under (E3).

    sigma_a: readout std σ_a (diffusion D = c 2π σ_a² ρ̄_w); density: data density c = 1/|D|;
    dim: 1, or 2 and 3 for an isotropic ρ_w(ξ) = g(|ξ|) (module docstring; band, rates and
    support in |ξ|); n_points: nodes of the tabulated ρ_w (radii in d ≥ 2); tol: the
    stopping tolerance on max |t_PDE/τ − 1| over the band; gamma: exponent of the fixed-point
    update; max_iter: its cap (raises if not met); n_steps: Crank–Nicolson steps per solve
    (default: 40 per shortest wanted time, over twice the longest); gaussian_scale: the scale of
    the Gaussian baseline (default hi: the frozen-W optimum for the band edge); loss: None (the
    mean-squared loss) or an operator loss (:mod:`ntk_freq.losses`; isotropic in d ≥ 2): the
    design solves (E3_L), and its frozen-W start is ρ̄ ∝ ln(1/ε)/(c(2π)^d q τ).

    Raises ValueError before any PDE solve on an infeasible objective (module docstring) and
    after the loop if diffusion makes it infeasible. Returns a :class:`Design`."""
    if not isinstance(objective, OBJECTIVES):
        raise TypeError(f"objective must be a RateProfile or ReachByTime, got {objective!r}")
    sigma_a = v.std("sigma_a", sigma_a)
    density = v.scale("density", density)
    dim = v.positive_int("dim", dim)
    if dim > 3:
        raise ValueError(f"design_rho designs ρ_w in d = 1, 2 or 3 (the PDE's), got dim={dim}")
    n_points = v.positive_int("n_points", n_points)
    if not 11 <= n_points <= MAX_DESIGN_POINTS:
        raise ValueError(f"n_points must be in [11, {MAX_DESIGN_POINTS}] (nodes of the tabulated ρ_w; "
                         f"each iteration solves the PDE on them), got {n_points}")
    tol, gamma = v.positive("tol", tol), v.positive("gamma", gamma)
    max_iter = v.positive_int("max_iter", max_iter)
    loss = _design_loss(loss, dim)

    xi = _design_grid(objective, n_points, dim)
    lo, hi = objective.band
    band = (np.abs(xi) >= lo - 1e-12 * hi) & (np.abs(xi) <= hi * (1 + 1e-12))
    spare = ~band
    tau = np.where(band, objective.wanted_times(np.where(band, np.abs(xi), hi)), np.inf)
    check_feasible(objective, density, tau[band & (xi >= 0)], xi_band=xi[band & (xi >= 0)], dim=dim,
                   loss=loss)
    eps = objective.epsilon
    q_start = 1.0 if loss is None else _loss_weight(loss, np.where(band, np.abs(xi), hi), dim, objective.band)
    start = frozen_rho(tau, eps, density, dim=dim, q=q_start)
    values = _refill(start, band, spare, xi, objective.absolute, dim)

    # (E3) is linear in ρ̄_w: times of m·ρ_n are those of the normalised ρ_n divided by m.
    # Horizon and step from the frozen start's times (actual units).
    t_scale = tau[band] * (1.0 if objective.absolute else _mass(np.where(band, start, 0), xi, dim))
    t_max = 2.5 * float(np.max(t_scale))
    n_steps = n_steps or int(min(8000, math.ceil(40 * t_max / float(np.min(t_scale)))))
    for iterations in range(max_iter + 1):
        m = _mass(values, xi, dim)
        rho = _tabulate(xi, values, dim)
        t = learning_times(rho, sigma_a, density, xi=xi, epsilon=eps, t_max=t_max * m, n_steps=n_steps,
                           loss=loss)[band] / m
        q = t / tau[band]
        if not objective.absolute:
            q = q / math.exp(float(np.mean(np.log(q))))
        residual = float(np.max(np.abs(q - 1)))
        if residual <= tol:
            break
        if iterations == max_iter:
            raise ValueError(
                f"the design did not reach tol={tol:g} in max_iter={max_iter} iterations "
                f"(residual {residual:.3g}); raise n_points, max_iter or tol, or lower gamma"
            )
        values = values.copy()
        values[band] *= q**gamma
        values = _refill(values, band, spare, xi, objective.absolute, dim)
    _check_designed(objective, values, band, xi, t, dim)

    report = band & (xi >= 0)
    gaussian_scale = hi if gaussian_scale is None else v.positive("gaussian_scale", gaussian_scale)
    baselines = {"gaussian": Gaussian(gaussian_scale, dim),
                 "uniform": Uniform(float(xi[-1])) if dim == 1 else uniform_ball(float(xi[-1]), dim)}
    horizon = 4.0 * float(np.max(t))
    n_curve = n_steps * 2
    curve_xi = np.linspace(max(lo, 0.0), hi, 5)
    times, curves = {}, {}
    for name, r in {"designed": rho, **baselines}.items():
        grid = _baseline_grid(r, xi)
        tt, fr = remaining_fractions(r, sigma_a, density, xi=grid, t_max=horizon, n_steps=n_curve, loss=loss)
        times[name] = np.interp(xi[report], grid, first_passage(tt, fr, eps))
        curves[name] = np.column_stack([np.interp(curve_xi, grid, f) for f in fr]).T
    # shape-only objectives: the wanted times at the speed the mass gives (geometric mean)
    level = 1.0 if objective.absolute else math.exp(float(np.mean(np.log(t / tau[band]))))
    wanted = tau[report] * level
    return Design(rho=rho, objective=objective, sigma_a=sigma_a, density=density, xi=xi[report],
                  wanted=wanted, epsilon=eps, times=times, baselines=baselines,
                  iterations=iterations, residual=residual, tol=tol, curve_times=tt,
                  curve_xi=curve_xi, curves=curves, loss=loss)


class PDECheck(NamedTuple):
    """The full d-D PDE's learning times of a design (:func:`pde_check`) and whether the mesh
    resolved the problem: ``resolution`` is the solver's own estimate of its mesh error
    (the larger of û₀'s and ρ̄_w's relative L² errors), ``dofs`` the mesh's degrees of freedom;
    the times are a check only where ``trusted`` (resolution ≤ ``resolution_tol``)."""

    times: np.ndarray
    resolution: float
    resolution_tol: float
    dofs: int

    @property
    def trusted(self) -> bool:
        return bool(self.resolution <= self.resolution_tol)


def pde_check(design: Design, n_directions: int = 3, n_times: int = 401,
              *, resolution_tol: float = 1e-3, max_dofs: int | None = None,
              progress: bool = False) -> PDECheck:
    """The design's learning times from the full d-D frequency PDE, an independent route to
    the radial reduction of d ≥ 2 (module docstring): (E3) by :func:`ntk_freq.pde.solve_frequency_pde`
    (P2 elements on the disc |ξ| ≤ R of the design's support in d = 2, the box [−R', R']³ with
    R' = 1.05 R in d = 3; Crank–Nicolson; ρ_w's mass kept to ``resolution_tol``) from the white start
    û₀ ≡ 1, read along ``n_directions`` unit vectors spread over the first quadrant (octant)
    at the band radii ``design.xi``; first passage of ``design.epsilon`` on ``n_times`` outputs
    up to 3× the design's worst time, on a mesh refined until its estimated error is below
    ``resolution_tol`` or it would exceed ``max_dofs`` (the solver's default: 60 000 in d = 3).
    Returns a :class:`PDECheck`: the times (n_directions, len(design.xi)) (in d = 1 the
    directions are ±1) with the mesh error it reached — an unresolved check is not a check."""
    from ntk_freq.pde import solve_frequency_pde

    v.instance("design", design, Design, "a Design (ntk_freq.design.design_rho)")
    d = design.dim
    n, n_times = v.positive_int("n_directions", n_directions), v.positive_int("n_times", n_times)
    v.fits_in_memory(f"the check's {n} directions × {design.xi.size} radii × {n_times} times",
                     8.0 * 4 * n * design.xi.size * n_times)
    t = np.linspace(0.0, 3.0 * design.worst_time(), n_times)
    sol = solve_frequency_pde(design.rho, design.sigma_a, design.density,
                              u0_hat=lambda xi: np.ones(xi.shape[:-1], complex), times=t, part="full",
                              shape="ball" if d == 2 else "box",
                              domain=float(design.rho_radius) * (1.0 if d == 2 else 1.05),
                              resolution_tol=resolution_tol, mass_tol=resolution_tol,
                              max_dofs=max_dofs, progress=progress, unresolved="warn")
    u = unit_directions(n, d)
    points = design.xi[None, :, None] * u[:, None, :]
    values = np.abs(sol(points, t)).reshape(t.size, -1)
    return PDECheck(first_passage(t, values, design.epsilon).reshape(n, design.xi.size),
                    float(max(sol.resolution.values())), resolution_tol, int(sol.basis.N))


@dataclass(frozen=True)
class ProductDesign:
    """A product ρ_w(ξ) = Π_i ρ_i(ξ_i) designed axis by axis (:func:`design_product_rho`).

    rho: the design (a :class:`ntk_freq.distributions.Product` of 1-D :class:`Tabulated`
    factors); objectives: one shape-only :class:`RateProfile` per axis; xi[i]: the band nodes
    |ξ_i| ≥ 0 of axis i; wanted[i]: the wanted times there (at the common speed the masses
    give); ``times[name][i]``: learning times along the axis ξ = s e_i under the d-D (E3) for
    "designed", "gaussian" (isotropic, the scale of the widest band) and "uniform" (the product
    of the bands' uniform laws); iterations, residual (max over axes of |t/τ − 1|), tol."""

    rho: Product
    objectives: tuple
    sigma_a: float
    density: float
    epsilon: float
    xi: tuple
    wanted: tuple
    times: dict
    baselines: dict
    iterations: int
    residual: float
    tol: float

    @property
    def dim(self) -> int:
        return self.rho.dim

    def sample(self, key, m: int):
        """m first-layer frequencies w_j ~ ρ_w (JAX key in, array (m, d) out)."""
        return self.rho.sample(key, m)

    def save(self, path):
        """Write ρ_w on the tensor grid of its factors' nodes as ``.npz`` (``axis0``, …,
        ``density``), atomically; it loads as a d-D :class:`Tabulated` (``Tabulated.load`` or
        ``distribution("file:PATH", d)``)."""
        axes = tuple(f.axes[0] for f in self.rho.factors)
        values = functools.reduce(np.multiply.outer, [f.values for f in self.rho.factors])
        return save_tabulated(path, Tabulated(axes, values))


def design_product_rho(objectives, *, sigma_a: float, density: float, n_points: int = 201,
                       tol: float = 0.03, gamma: float = 1.0, max_iter: int = 30,
                       n_times: int = 201, cells: int = 24) -> ProductDesign:
    """Design a product ρ_w(ξ) = Π_i ρ_i(ξ_i) in d = len(objectives) ∈ {2, 3} whose learning
    rate along each axis ξ = s e_i follows the shape of ``objectives[i]`` (shape-only
    :class:`RateProfile` with band lo = 0), under the d-D (E3) with diffusion.

    With W frozen the rate along axis i is c(2π)^d ρ_i(s) Π_{j≠i} ρ_j(0), so the factors are the
    normalised wanted rates ρ_i ∝ r_i and the axes share one speed: the rates are met in shape,
    each normalised to r_i(0) at s = 0, at the common level the masses give. Diffusion couples
    the axes, so the multiplicative fixed point ρ_i ← ρ_i (t_i/τ_i)^γ (renormalised, all mass on
    the band) runs on times from the full d-D finite elements
    (:func:`ntk_freq.pde.solve_frequency_pde`, one solve per iteration, white start û₀ ≡ 1,
    ``n_times`` Crank–Nicolson outputs, P2 elements of size (smallest band top)/``cells``).
    Stops when max |t/τ − 1| ≤ ``tol`` over all axes; raises after
    ``max_iter``. Each iteration is one d-D solve: a few seconds at the default 2-D mesh; pass
    a larger ``cells`` to check the mesh error (the test halves h and finds ~1e-3)."""
    objectives = tuple(objectives)
    d = len(objectives)
    if d not in (2, 3):
        raise ValueError(f"a product design needs one objective per axis in d = 2 or 3, got {d}")
    for i, obj in enumerate(objectives):
        if not isinstance(obj, RateProfile) or obj.absolute or obj.band[0] != 0:
            raise ValueError(
                f"objectives[{i}] must be a shape-only RateProfile(r, (0, hi), absolute=False): "
                "the axes of a product share one speed (the rate at ξ = 0), so only the shape "
                f"of each axis's profile can be designed; got {obj!r}")
    sigma_a, density = v.std("sigma_a", sigma_a), v.scale("density", density)
    tol, gamma = v.positive("tol", tol), v.positive("gamma", gamma)
    max_iter = v.positive_int("max_iter", max_iter)
    h_mesh = min(obj.band[1] for obj in objectives) / v.positive_int("cells", cells)
    grids = [_design_grid(obj, v.positive_int("n_points", n_points), 1) for obj in objectives]
    half = [x >= 0 for x in grids]
    tau = [obj.wanted_times(np.abs(x)) for obj, x in zip(objectives, grids)]
    tau = [t * float(obj.wanted_times(np.zeros(1))[0]) ** -1 for t, obj in zip(tau, objectives)]
    values = [_refill(1.0 / t, np.ones_like(t, bool), np.zeros_like(t, bool), x, False, 1)
              for t, x in zip(tau, grids)]
    # frozen W: the rate at ξ = 0 is c(2π)^d Π_j ρ_j(0), the unit of the dimensionless τ_i
    t_max = 4.0 * max(float(np.max(t)) for t in tau) / (density * (2 * math.pi) ** d * float(
        np.prod([np.interp(0.0, x, f) for x, f in zip(grids, values)])))
    for iterations in range(max_iter + 1):
        rho = Product(tuple(_tabulate(x, f, 1) for x, f in zip(grids, values)))
        t = _axis_times(rho, sigma_a, density, [x[k] for x, k in zip(grids, half)],
                        E_FOLD, t_max, n_times, h_mesh)
        ratios = [ti / ta[h] for ti, ta, h in zip(t, tau, half)]
        level = math.exp(float(np.mean(np.log(np.concatenate(ratios)))))
        residual = max(float(np.max(np.abs(q / level - 1))) for q in ratios)
        if residual <= tol:
            break
        if iterations == max_iter:
            raise ValueError(f"the product design did not reach tol={tol:g} in max_iter="
                             f"{max_iter} iterations (residual {residual:.3g}); raise max_iter or "
                             "tol, or lower gamma")
        values = [_refill(f * np.interp(np.abs(x), x[h], q / level) ** gamma, np.ones_like(f, bool),
                          np.zeros_like(f, bool), x, False, 1)
                  for f, x, h, q in zip(values, grids, half, ratios)]
        t_max = 4.0 * level * max(float(np.max(ta)) for ta in tau)
    top = max(obj.band[1] for obj in objectives)
    baselines = {"gaussian": Gaussian(top, d),
                 "uniform": Product(tuple(Uniform(obj.band[1]) for obj in objectives))}
    times = {"designed": tuple(t)}
    # each baseline on as many cells per domain radius as the design: a Gaussian baseline's
    # support (~34 for scale 6) at the design's element size would take ~3·10⁵ P2 DOFs and GBs
    radius = rho.support_radius(1e-8)
    for name, b in baselines.items():
        h_b = h_mesh * max(1.0, b.support_radius(1e-8) / radius)
        times[name] = tuple(_axis_times(b, sigma_a, density, [x[k] for x, k in zip(grids, half)],
                                        E_FOLD, 4 * t_max, n_times, h_b))
    return ProductDesign(rho=rho, objectives=objectives, sigma_a=sigma_a, density=density,
                         epsilon=E_FOLD, xi=tuple(x[h] for x, h in zip(grids, half)),
                         wanted=tuple(ta[h] * level for ta, h in zip(tau, half)), times=times,
                         baselines=baselines, iterations=iterations, residual=residual, tol=tol)


def _axis_times(rho, sigma_a, density, radii, epsilon, t_max, n_times, mesh_size):
    """First passage of ε along each axis ξ = s e_i (s = radii[i]) under the d-D (E3) from the
    white start, by :func:`ntk_freq.pde.solve_frequency_pde` (P2, the given mesh size,
    Crank–Nicolson) on the box holding ρ_w."""
    from ntk_freq.pde import solve_frequency_pde

    d = rho.dim
    t = np.linspace(0.0, t_max, n_times)
    with warnings.catch_warnings():  # the mesh is the caller's choice, its error measured
        warnings.filterwarnings("ignore", message="mesh too coarse")
        sol = solve_frequency_pde(rho, sigma_a, density, u0_hat=lambda xi: np.ones(xi.shape[:-1], complex),
                                  times=t, part="full", mesh_size=mesh_size, mass_tol=1e-3)
    out = []
    for i, s in enumerate(radii):
        values = np.abs(sol(np.outer(s, np.eye(d)[i]), t))
        out.append(first_passage(t, values, epsilon))
    return out


def unit_directions(n: int, dim: int) -> np.ndarray:
    """n unit vectors: ±1 in d = 1; angles spread over [0, π/2] in d = 2; in d = 3 from e₁ over
    the diagonal (1, 1, 1)/√3 to e₃."""
    if dim == 1:
        return np.resize(np.array([[1.0], [-1.0]]), (n, 1))
    if dim == 2:
        theta = np.linspace(0.0, math.pi / 2, n)
        return np.column_stack([np.cos(theta), np.sin(theta)])
    s = np.linspace(0.0, 1.0, n)[:, None]
    ends = np.where(s <= 0.5, (1 - 2 * s) * [1.0, 0, 0] + 2 * s * np.ones(3) / math.sqrt(3),
                    (2 - 2 * s) * np.ones(3) / math.sqrt(3) + (2 * s - 1) * [0, 0, 1.0])
    return ends / np.linalg.norm(ends, axis=1, keepdims=True)


def _baseline_grid(rho, xi) -> np.ndarray:
    """The design grid, widened with the same spacing to hold all but 1e-8 of ρ_w's mass (in
    |ξ| for the radial grids of d ≥ 2)."""
    h = float(xi[1] - xi[0])
    R = max(float(xi[-1]), rho.support_radius(1e-8, "2"))
    if R == xi[-1]:
        return xi
    if rho.dim > 1:
        return np.concatenate([xi, xi[-1] + h * np.arange(1, math.ceil((R - xi[-1]) / h) + 1)])
    return axis_nodes(R, h, xi[[0, -1]])


def _check_designed(objective, values, band, xi, t_band, dim: int) -> None:
    """After the loop: the absolute band mass must be ≤ 1 (≈ 1 without spare room), and a
    ReachByTime design must reach ε by T everywhere on the band."""
    if isinstance(objective, ReachByTime):
        worst = float(np.max(t_band))
        if worst > objective.T:
            raise ValueError(
                f"infeasible under the PDE: the best worst-case time on |ξ| ∈ {objective.band} "
                f"is {worst:.4g} > T={objective.T:g} (by a factor {worst / objective.T:.4g}); "
                f"raise T or epsilon, or narrow the band"
            )
        return
    m_band = _mass(np.where(band, values, 0.0), xi, dim)
    if m_band > 1 + 1e-3:
        raise ValueError(
            f"infeasible under the PDE: with diffusion the rates r need ρ_w mass {m_band:.4g} "
            f"on the band (> 1 by {m_band - 1:.4g}); divide r by at least {m_band:.4g}"
        )
    m = _mass(values, xi, dim)
    if abs(m - 1) > 1e-3:
        raise ValueError(
            f"with diffusion the rates r need ρ_w mass {m_band:.4g} on the band and the support "
            f"leaves no room for the other {1 - m_band:.4g}: widen support, multiply r by "
            f"{1 / m_band:.4g}, or set absolute=False"
        )


# --------------------------------------------------------------------------------------------
# Measured times from trained networks (ntk_freq.compare)
# --------------------------------------------------------------------------------------------


def trained_times(design: Design, kappa=None, *, window: float = 1.5, horizon: float = 3.0,
                  eta: float | None = None, **compare_options) -> tuple:
    """Learning times at the frequencies κ from networks trained with the designed ρ_w and its
    baselines, through :func:`ntk_freq.comparison.compare` (data domain [−L, L]^d with
    L = c^{−1/d}/2, so the data density is the design's c, and by default n = ⌈4 L ξ_top/π⌉
    points per axis; in d ≥ 2 the wave vectors are κ e₁, the design being isotropic;
    so the grid's Nyquist limit π N/(2L) is twice the target's spectrum top ξ_top = max κ + 5/w;
    target: sines at κ in a Gaussian window of width ``window``; gradient descent with step η
    up to ``horizon`` × the design's worst time). Returns (κ, {name: {route: times (n_κ,)}}) for names "designed", "gaussian", "uniform"
    and routes "nn", "kernel", "pde", each the first time |û(κ, t)|/|û(κ, 0)| reaches the
    design's ε (log-linear between snapshots; inf if not reached). κ: default three band
    frequencies. Note the target's initial error is not white, so these times differ from
    ``design.times`` by the diffusion of that error; the routes are compared like for like.
    A design for an operator loss trains on that loss (FF-PINNs); η None is 0.25 for the
    mean-squared loss and half the smallest stability limit 2/λ_max of the three ρ_w's residual
    kernels for an operator loss."""
    from ntk_freq.comparison._compare import compare_settings
    from ntk_freq.problem import default_xi_max
    from ntk_freq.data._targets import WindowedSines

    lo, hi = design.objective.band
    kappa = (lo + (hi - lo) * np.array([0.25, 0.55, 0.85]) if kappa is None
             else np.atleast_1d(v.finite_array("kappa", kappa)))
    if np.any((np.abs(kappa) < lo) | (np.abs(kappa) > hi)):
        raise ValueError(f"kappa must lie in the band {lo:g} <= |κ| <= {hi:g}, got {kappa.tolist()}")
    names, d = ("designed", "gaussian", "uniform"), design.dim
    y = WindowedSines(np.outer(kappa, np.eye(d)[0]), width=window, dim=d)
    L = 0.5 * design.density ** (-1.0 / d)
    compare_options = {"n_points": math.ceil(4 * L * default_xi_max(y) / math.pi), **compare_options}
    if design.loss is not None:
        compare_options["loss"] = design.loss
    rhos = [design.rho, *(design.baselines[k] for k in names[1:])]
    if eta is None:
        eta = 0.25 if design.loss is None else 0.5 * min(
            _stability_limit(r, y, design.sigma_a, L, d, compare_options) for r in rhos)
    steps = math.ceil(v.positive("horizon", horizon) * design.worst_time() / v.positive("eta", eta))
    result = compare_settings(dict(rhos=rhos, target=y, sigma_a=design.sigma_a, eta=eta, steps=steps,
                                   half_width=L, dim=d, **compare_options))
    return kappa, {name: {route: first_passage(result.times, r.remaining[route], design.epsilon)
                          for route in ("nn", "kernel", "pde")}
                   for name, r in zip(names, result.results)}


def _stability_limit(rho, y, sigma_a: float, half_width: float, dim: int, options: dict) -> float:
    """2/λ_max of the kernel a comparison of ``rho`` on these data would train on."""
    from ntk_freq.comparison._compare import kernel_flows
    from ntk_freq.problem import Problem

    problem = Problem.from_settings(rho=rho, target=y, sigma_a=sigma_a, half_width=half_width, dim=dim,
                                    **{k: val for k, val in options.items() if k in ("loss", "n_points")},
                                    eta=1e-9, steps=1, n_snapshots=2)
    return kernel_flows(problem, problem.rho_w, check_eta=False).max_eta
