"""Initialisation design through depth: the ρ_w whose deep FF-NN (W frozen) learns each frequency
at a wanted rate (docs/deep.md, "Design through depth"). d = 1.

With W frozen the deep NTK is κ(φ_w(x − x')), and (docs/deep.md) frequency ξ of the error decays
at the rate c 2π ρ_α(ξ), where the damping density is

    ρ_α = Σ_{n≥1} a_n ρ̄_w^{*n},     κ(c) = Σ_n a_n c^n  (a_n ≥ 0: a dual activation),

plus the atom κ(0) δ(ξ) (the constant mode, which no ρ_w removes). So the frozen-W design of
:mod:`ntk_freq.design` (ρ̄_w = ln(1/ε)/(c 2π τ)) becomes: find a probability density ρ_w with
ρ_α(ξ) = ρ_α*(ξ) := ln(1/ε)/(c 2π τ(ξ)) on the band. The map ρ_w ↦ ρ_α is non-linear but
monotone; its derivative is diagonal in z = x − x', multiplication by κ'(φ_w(z)).

Discretisation. ρ_w is piecewise linear on the uniform nodes ξ_j = j h, |j| ≤ n (h = R/n, the
allowed support [−R, R]), symmetric, possibly non-zero at ±R (a jump to 0 outside): exactly the
:class:`ntk_freq.distributions.Tabulated` density the design returns and the network samples.
Its characteristic function is exact, φ_w(z) = h sinc²(hz/2) Σ_{|j|<n} ρ_j cos(ξ_j z) + ρ_n E(z)
(E: the two half-hats at ±R), the cosine sum by one DCT. Then, as in
:func:`ntk_freq.kernels.effective_densities`, ρ_α = a_1 ρ̄_w + (1/π)∫_0^∞ [κ(φ_w) − κ(0) − a_1 φ_w]
cos(ξz) dz with the integral by the end-corrected trapezoid rule (a DCT) on a z grid that is 16
times finer than π/R and reaches 4 periods 2π/h of the cosine sum. The Jacobian ∂ρ_α(ξ_i)/∂ρ_j
is a_1 δ_ij + (h w_j/2)[M((i − j)h) + M((i + j)h)], M the cosine transform of
(κ'(φ_w) − a_1) sinc²(hz/2): Toeplitz plus Hankel, from one more DCT.

Algorithm. Gauss–Newton (scipy's bounded trust-region least squares) on the log-rates
log(ρ_α/ρ_α*) at the band nodes, over the node values v ≥ 0 with ρ = v/∫v (so ρ_w stays a
probability density: the mass of ρ_α, κ(1) − κ(0), is then fixed whatever ρ_w is). For a
shape-only objective the mean log-rate is free. Converged designs meet the wanted rates to
~1e-10; when the best ρ_w ≥ 0 still misses them by more than ``tol`` the objective is
unreachable for this network and the error says where and why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.optimize

from ntk_freq._util import validation as v
from ntk_freq.kernels._deep import (check_mlp, cosine_transform, effective_densities,
                                    mlp_on_embedding)
from ntk_freq.design._design import OBJECTIVES, Design, ReachByTime, band_measure, frozen_rho
from ntk_freq.distributions._families import Gaussian, Tabulated, Uniform

#: z grid: step π/(Z_OVERSAMPLE · R), reaching Z_PERIODS periods 2π/h of the cosine sum.
#: Measured (n_points = 401, band [0, 8], one hidden layer): against a brute-force transform the
#: z step of oversampling 8 leaves 7e-5 of ρ_α (the end correction's one-sided slope of a
#: sharply curved profile), 16 leaves 2e-6 (erf) to 1.5e-5 (relu; 32: 4e-7); doubling the
#: periods changes it by < 1e-5.
Z_OVERSAMPLE = 16
Z_PERIODS = 4
#: Step of the finite differences for κ'(0) and κ'(φ) (error O(δ²κ''')).
_DC = 1e-5
#: Most nodes of the designed ρ_w on [−R, R]: each Gauss–Newton step factorises a dense
#: (n/2)² Jacobian and the z grid has 32 n points.
MAX_DEEP_DESIGN_POINTS = 4001


class DampingMap:
    """ρ_w ↦ ρ_α for a deep FF-NN with W frozen, on the half grid ξ_j = j h, j = 0…n (module
    docstring). ``mlp``: the network keywords of :func:`ntk_freq.kernels.ff_mlp_ntk`.
    Attributes: ``xi`` the nodes, ``mu`` the trapezoid weights (∫ρ̄_w = mu·ρ over the full
    line), ``kappa0`` κ(0), ``a1`` κ'(0), ``mass`` κ(1) − κ(0) (the mass of ρ_α for every ρ_w)."""

    def __init__(self, h: float, n: int, mlp: dict):
        self.h, self.n, self.mlp = float(h), int(n), dict(mlp)
        self.xi = self.h * np.arange(n + 1)
        self.mu = np.full(n + 1, 2 * self.h)
        self.mu[0] = self.mu[n] = self.h
        N = Z_OVERSAMPLE * max(n, 1)
        self.N, self.dz = N, math.pi / (N * self.h)
        k = np.arange(2 * N * Z_PERIODS + 1)
        self.z = k * self.dz
        self.fold = np.minimum(k % (2 * N), 2 * N - k % (2 * N))
        self.envelope = self.h * np.sinc(self.h * self.z / (2 * math.pi)) ** 2
        self.edge = _edge_pair(self.z, n * self.h, self.h)
        p = self.kappa(np.array([-_DC, 0.0, _DC, 1.0]))
        self.kappa0, self.a1, self.mass = p[1], (p[2] - p[0]) / (2 * _DC), p[3] - p[1]
        self.on_nodes = 2 * Z_PERIODS * np.arange(n + 1)  # DCT output index of ξ_j

    def kappa(self, c) -> np.ndarray:
        """κ(c), the NTK profile with W frozen, at correlations c (any shape)."""
        c = np.asarray(c, dtype=np.float64)
        return mlp_on_embedding(c.reshape(1, -1), None, **self.mlp)[1].reshape(c.shape)

    def phi(self, rho) -> np.ndarray:
        """φ_w on the z grid for node values ``rho`` (exact for the piecewise-linear ρ_w)."""
        x = np.zeros(self.N + 1)
        x[:self.n] = rho[:self.n]
        return scipy.fft.dct(x, type=1)[self.fold] * self.envelope + rho[self.n] * self.edge

    def __call__(self, rho, jacobian: bool = False):
        """ρ_α at the nodes (and, with ``jacobian``, ∂ρ_α(ξ_i)/∂ρ_j, (n+1, n+1)) for node
        values ``rho`` of a normalised ρ_w."""
        phi = np.clip(self.phi(rho), -1.0, 1.0)
        if not jacobian:
            return self._alpha(rho, phi, self.kappa(phi))
        up, down = np.minimum(phi + _DC, 1.0), np.maximum(phi - _DC, -1.0)
        k = self.kappa(np.stack([phi, up, down]))
        slope = (k[1] - k[2]) / (up - down) - self.a1
        M = cosine_transform(slope * self.envelope / self.h, self.dz, np.zeros(1))[1][::2 * Z_PERIODS]
        i, j = np.arange(self.n + 1)[:, None], np.arange(self.n)[None, :]
        J = np.empty((self.n + 1, self.n + 1))
        J[:, :self.n] = self.mu[:self.n] / 2 * (M[np.abs(i - j)] + M[i + j])
        J[:, self.n] = cosine_transform(slope * self.edge, self.dz, np.zeros(1))[1][self.on_nodes]
        J[np.diag_indices(self.n + 1)] += self.a1
        return self._alpha(rho, phi, k[0]), J

    def _alpha(self, rho, phi, kappa) -> np.ndarray:
        rest = kappa - self.kappa0 - self.a1 * phi
        return self.a1 * rho + cosine_transform(rest, self.dz, np.zeros(1))[1][self.on_nodes]

    def floor_at_zero(self, radius: float) -> float:
        """A lower bound on ρ_α(0) for every ρ_w supported in [−radius, radius]:
        ρ̄_w^{*2k}(0) = ∫(ρ̄_w^{*k})² ≥ 1/(2k·radius) (Cauchy–Schwarz), so
        ρ_α(0) ≥ (1/radius) ∫_0^1 κ_e(c)/c dc with κ_e(c) = (κ(c) + κ(−c))/2 − κ(0) the even part
        (Gauss–Legendre, 64 nodes)."""
        t, w = np.polynomial.legendre.leggauss(64)
        c = 0.5 * (t + 1)
        even = 0.5 * (self.kappa(c) + self.kappa(-c)) - self.kappa0
        return float(0.5 * w @ (even / c)) / radius


def _edge_pair(z: np.ndarray, R: float, h: float) -> np.ndarray:
    """Cosine transform ∫ e(ξ) cos(ξz) dξ of the two half-hats e at ±R (1 at ±R, 0 at ±(R − h)):
    2 sin(Rz)/z − 4 sin((R − h/2)z) sin(hz/2)/(h z²), and h at z = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 2 * np.sin(R * z) / z - 4 * np.sin((R - h / 2) * z) * np.sin(h * z / 2) / (h * z**2)
    return np.where(z == 0, h, out)


@dataclass(frozen=True)
class DeepDesign(Design):
    """A :class:`ntk_freq.design.Design` for a deep FF-NN with W frozen (``sigma_a`` is 0: no
    diffusion). Adds ``network`` (the MLP keywords), ``atom`` (κ(0), the constant mode's weight,
    learned at ξ = 0 only), ``alpha_wanted`` and ``alpha`` (ρ_α* and the designed ρ_α at the
    report frequencies ``xi``, the latter by :func:`ntk_freq.kernels.effective_densities`, an
    independent route). ``times`` come from the deep frequency PDE, which with W frozen is solved
    exactly by û(ξ, t) = û₀ e^{−c 2π ρ_α(ξ) t}."""

    network: dict
    atom: float
    alpha_wanted: np.ndarray
    alpha: np.ndarray

    @property
    def label(self) -> str:
        return f"the deep PDE ({self.network['activation']}, L = {len(self.network['hidden']) + 1})"


def _grid(objective, n_points: int) -> tuple[float, int]:
    """Step h and node count n of the half grid on [0, R] (R: the support for absolute rates,
    else the band top), about (n_points − 1)/2 cells, with the band top hi a node."""
    lo, hi = objective.band
    R = objective.support if objective.absolute else hi
    h = hi / max(1, math.ceil((n_points - 1) / 2 * hi / R))
    return h, int(math.floor(R / h + 1e-9))


def _start(xi, band, alpha_wanted, mass, absolute) -> np.ndarray:
    """Initial node values: ρ_α*/A on the band (A = κ(1) − κ(0)), the rest of the unit mass
    spread evenly outside it (absolute rates with room), normalised later."""
    v0 = np.zeros(xi.size)
    v0[band] = alpha_wanted / mass
    outside = xi > xi[band].max()
    if absolute and outside.any():
        on_band = 2 * np.trapezoid(v0[band], xi[band])
        v0[outside] = max(1 - on_band, 0.05) / (2 * (xi[-1] - xi[band].max()))
    return np.maximum(v0, 1e-3 * v0.max())


def _check_reachable_before(objective, damping: DampingMap, alpha_wanted, xi_band, tau0, density):
    """Necessary conditions, exact for every ρ_w, checked before any iteration: the mass of ρ_α
    is κ(1) − κ(0) whatever ρ_w is, and (band reaching ξ = 0) ρ_α(0) has the floor of
    :meth:`DampingMap.floor_at_zero`. tau0: the wanted time at the band's first node."""
    A = damping.mass
    if isinstance(objective, ReachByTime):
        need = band_measure(objective.band) * float(frozen_rho(objective.T, objective.epsilon, density))
        if need > A:
            raise ValueError(
                f"infeasible: every frequency in |ξ| ∈ {objective.band} below epsilon="
                f"{objective.epsilon:g} by T={objective.T:g} needs damping mass {need:.4g} on the "
                f"band, but this network's ρ_α has mass κ(1) − κ(0) = {A:.4g} for every ρ_w; the "
                f"shortest reachable T is at least {objective.T * need / A:.4g}")
        return
    if not objective.absolute:
        return
    need = 2.0 * float(np.trapezoid(alpha_wanted, xi_band))
    if need > A:
        raise ValueError(
            f"infeasible: the rates r on |ξ| ∈ {objective.band} need damping mass {need:.4g} "
            f"(∫ρ_α* over the band), but this network's ρ_α has mass κ(1) − κ(0) = {A:.4g} for "
            f"every ρ_w; divide r by at least {need / A:.4g} or set absolute=False")
    if xi_band[0] == 0:
        floor = damping.floor_at_zero(objective.support)
        if alpha_wanted[0] < floor:
            raise ValueError(
                f"infeasible: the wanted rate at ξ = 0 needs ρ_α(0) = {alpha_wanted[0]:.4g}, but "
                f"the activation's even higher-order terms Σ a_2k ρ̄_w^{{*2k}} put at least "
                f"{floor:.4g} there for any ρ_w on [−{objective.support:g}, {objective.support:g}] "
                f"(so r(0) ≥ {floor / (alpha_wanted[0] * tau0):.4g}, not {1 / tau0:.4g}); "
                f"raise r near 0, widen support, or set absolute=False")


def _fit(damping: DampingMap, band, alpha_wanted, absolute: bool, v0, max_iter: int,
         jacobian_by: str = "analytic"):
    """Gauss–Newton on r = log(ρ_α/ρ_α*) over v ≥ 0, ρ = v/(mu·v) (module docstring); returns
    (ρ node values, r at the band nodes, number of evaluations). ``jacobian_by`` "analytic"
    (Toeplitz + Hankel) or "2-point" (scipy's finite differences: the benchmark's reference)."""
    from threadpoolctl import threadpool_limits

    mu = damping.mu

    def centred(a):
        return a if absolute else a - a.mean(axis=0)

    def residual(vals):
        alpha = damping(vals / (mu @ vals))[band]
        return centred(np.log(np.maximum(alpha, 1e-300) / alpha_wanted))

    def jacobian(vals):
        m = mu @ vals
        rho = vals / m
        alpha, J = damping(rho, jacobian=True)
        Jv = (J - np.outer(J @ rho, mu)) / m  # through the normalisation ρ = v/(mu·v)
        return centred(Jv[band] / np.maximum(alpha[band], 1e-300)[:, None])

    with threadpool_limits(1):  # small dense SVDs: threads only contend
        out = scipy.optimize.least_squares(residual, v0, bounds=(0.0, np.inf),
                                           jac=jacobian if jacobian_by == "analytic" else jacobian_by,
                                           method="trf", xtol=1e-14, ftol=1e-14, gtol=1e-14,
                                           max_nfev=max_iter)
    return out.x / (mu @ out.x), out.fun, out.nfev


def design_deep_rho(objective, *, density: float, hidden=(256,), activation: str = "relu",
                    w_std: float = 1.0, b_std: float = 0.0, n_points: int = 401,
                    tol: float = 0.01, max_iter: int = 100,
                    gaussian_scale: float | None = None) -> DeepDesign:
    """Design ρ_w for ``objective`` (:class:`ntk_freq.design.RateProfile` or
    :class:`ntk_freq.design.ReachByTime`) for the deep FF-NN
    :func:`ntk_freq._nn.models.ff_mlp_network` with W frozen (``train_frequencies=False``): the MLP
    keywords hidden, activation, w_std, b_std as there (only the number of hidden layers matters
    at infinite width).

    The wanted damping density is ρ_α* = ln(1/ε)/(c 2π τ(ξ)) on the band (τ the wanted times at
    level ε, c = ``density``); the design meets it within ``tol`` in max |t/τ − 1| or raises.
    Objectives as in :func:`ntk_freq.design.design_rho`: absolute rates use the allowed support
    [−S, S]; shape-only rates and ReachByTime put all of ρ_w on the band, ReachByTime then
    checks the worst time against T. n_points: nodes of the tabulated ρ_w on [−R, R];
    max_iter: Gauss–Newton evaluations; gaussian_scale: the Gaussian baseline's scale (default
    the band top; the uniform baseline spans [−R, R]).

    Raises ValueError before iterating when a necessary condition fails (the mass κ(1) − κ(0) of
    ρ_α is the same for every ρ_w; ρ_α(0) has a floor set by the activation's even part), and
    after it when the closest ρ_w ≥ 0 misses the wanted times by more than tol (where, by how
    much, and where ρ_w had to vanish). Returns a :class:`DeepDesign`."""
    if not isinstance(objective, OBJECTIVES):
        raise TypeError(f"objective must be a RateProfile or ReachByTime, got {objective!r}")
    density = v.scale("density", density)
    n_hidden, activation, w_std, b_std = check_mlp(hidden, activation, w_std, b_std)
    mlp = dict(hidden=(1,) * n_hidden, activation=activation, w_std=w_std, b_std=b_std)
    n_points = v.positive_int("n_points", n_points)
    if not 11 <= n_points <= MAX_DEEP_DESIGN_POINTS:
        raise ValueError(f"n_points must be in [11, {MAX_DEEP_DESIGN_POINTS}] (nodes of the tabulated "
                         f"ρ_w; each iteration factorises a dense Jacobian on them), got {n_points}")
    tol, max_iter = v.positive("tol", tol), v.positive_int("max_iter", max_iter)
    gaussian_scale = (objective.band[1] if gaussian_scale is None
                      else v.positive("gaussian_scale", gaussian_scale))
    h, n = _grid(objective, n_points)
    v.fits_in_memory("the deep design's z grid and Jacobian",
                     8.0 * (2 * Z_OVERSAMPLE * Z_PERIODS * n * 20 + 6 * (n + 1) ** 2))

    damping = DampingMap(h, n, mlp)
    xi = damping.xi
    lo, hi = objective.band
    band = (xi >= lo - 1e-12 * hi) & (xi <= hi * (1 + 1e-12))
    eps = objective.epsilon
    tau = objective.wanted_times(xi[band])
    alpha_wanted = frozen_rho(tau, eps, density)
    _check_reachable_before(objective, damping, alpha_wanted, xi[band], tau[0], density)

    v0 = _start(xi, band, alpha_wanted, damping.mass, objective.absolute)
    rho, r, evaluations = _fit(damping, band, alpha_wanted, objective.absolute, v0, max_iter)
    q = np.exp(-r)  # t/τ (shape-only: relative to the geometric mean)
    residual = float(np.max(np.abs(q - 1)))
    if residual > tol:
        _unreachable(objective, xi[band], q, rho, residual, tol, evaluations, max_iter, damping)
    level = 1.0 if objective.absolute else float(np.exp(np.mean(np.log(
        alpha_wanted / damping(rho)[band]))))
    designed = Tabulated(np.concatenate([-xi[:0:-1], xi]), np.concatenate([rho[:0:-1], rho]))
    baselines = {"gaussian": Gaussian(gaussian_scale), "uniform": Uniform(float(xi[-1]))}
    wanted = tau * level
    alphas = {name: _effective_alpha(r_w, xi[band], mlp) for name, r_w in
              {"designed": designed, **baselines}.items()}
    times = {name: frozen_time(a, eps, density) for name, a in alphas.items()}
    if isinstance(objective, ReachByTime) and times["designed"].max() > objective.T:
        raise ValueError(
            f"infeasible: the best worst-case time on |ξ| ∈ {objective.band} is "
            f"{times['designed'].max():.4g} > T={objective.T:g} (by a factor "
            f"{times['designed'].max() / objective.T:.4g}); raise T or epsilon, or narrow the band")
    curve_xi = np.linspace(max(lo, 0.0), hi, 5)
    curve_times = np.linspace(0.0, 4.0 * float(times["designed"].max()), 401)
    curves = {name: np.exp(-density * 2 * math.pi * np.interp(curve_xi, xi[band], a)[None, :]
                           * curve_times[:, None]) for name, a in alphas.items()}
    return DeepDesign(rho=designed, objective=objective, sigma_a=0.0, density=density,
                      xi=xi[band], wanted=wanted, epsilon=eps, times=times, baselines=baselines,
                      iterations=evaluations, residual=residual, tol=tol, curve_times=curve_times,
                      curve_xi=curve_xi, curves=curves, network=mlp, atom=float(damping.kappa0),
                      alpha_wanted=alpha_wanted / level, alpha=alphas["designed"])


def frozen_time(alpha, epsilon: float, density: float) -> np.ndarray:
    """Time for frequency ξ to reach the fraction ε under the frozen-W deep PDE,
    ln(1/ε)/(c 2π ρ_α(ξ)) (inf where ρ_α = 0)."""
    with np.errstate(divide="ignore"):
        return math.log(1.0 / epsilon) / (density * 2 * math.pi * np.asarray(alpha))


def _effective_alpha(rho, xi, mlp) -> np.ndarray:
    """ρ_α of ``rho`` at the band frequencies by :func:`ntk_freq.kernels.effective_densities`."""
    return effective_densities(rho, xi, train_frequencies=False, **mlp).alpha


def _unreachable(objective, xi, q, rho, residual, tol, evaluations, max_iter, damping):
    """The error for an objective the closest ρ_w ≥ 0 cannot meet."""
    worst = int(np.argmax(np.abs(q - 1)))
    zero = damping.xi[rho <= 1e-3 * rho.max()]
    where = (f"; ρ_w had to vanish on {zero.size} of {rho.size} nodes in |ξ| ∈ "
             f"[{zero.min():.3g}, {zero.max():.3g}]: the wanted rates there are below what the "
             f"higher-order terms Σ_{{n≥2}} a_n ρ̄_w^{{*n}} of the rest of ρ_w deposit"
             if zero.size else "")
    stalled = (f" (stopped at max_iter={max_iter} evaluations: raise it)"
               if evaluations >= max_iter else "")
    kind = "shape of the rates" if not objective.absolute else "rates"
    raise ValueError(
        f"unreachable: no ρ_w ≥ 0 gives this network the wanted {kind} on |ξ| ∈ {objective.band}"
        f"; the closest misses the wanted time by a factor {q[worst]:.4g} at |ξ| = "
        f"{xi[worst]:.4g} (max |t/τ − 1| = {residual:.3g} > tol = {tol:g}){where}{stalled}. "
        f"ρ_α = a_1 ρ̄_w + Σ_{{n≥2}} a_n ρ̄_w^{{*n}} with a_1 = {damping.a1:.4g} of the mass "
        f"{damping.mass:.4g}: ask for rates that vary less, a lower band, a wider support, or a "
        f"shallower or more linear network (erf)")
