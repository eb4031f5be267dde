"""Trained networks against theory: the three-way comparison of docs/theory.md ("Comparing theory with
trained networks"), in d = 1, 2, 3.

For each ρ_w, on the cell-centred data grid x_i of D = [−L, L]^d (n points per axis, N = n^d,
Δx = 2L/n, data density c = 1/|D|) with target y and doubling initialisation (u₀ = −y):

- ``pde``: the frequency PDE by finite elements: (E2) on the training points' own measure from
  u₀ = −y (exact for the kernel flow up to the elements; default ``model="E2"``), or the local
  (E3) from û₀ = −ŷ; ``pde_e3``: (E3) always, so the summary shows what the local model costs;
- ``kernel``: the exact kernel flow u(t) = exp(−t Θ(X, X)/N) u₀ with the closed-form NTK;
- ``kernel_gd``: the discrete map u_{k+1} = (I − η Θ/N) u_k (gradient descent's kernel twin);
- ``nn``: a finite-width FF-NN trained by full-batch gradient descent (or an optax optimiser).

Non-uniform data (``data``, ``data_layout``; :mod:`ntk_freq.data`): the points follow a data
density, by position or by loss weights q_i (then every flow is with Θ diag(q)), and every
spectrum is V(ξ) = Σ_i q_i u(x_i) e^{−iξx_i}/c̄, which is the transform below on the grid.

Errors on the grid are transformed by the quadrature û(ξ) ≈ Σ_i u(x_i) e^{−iξ·x_i} Δx^d on a
common grid (d = 1: ξ ∈ [0, ξ_max], as u is real and |û(−ξ)| = |û(ξ)|; d ≥ 2: the box
[−ξ_max, ξ_max]^d with n_xi nodes per axis) at the times t = η · step. Metrics: the relative L²
gap over that ξ grid at each time, ‖û_route(·, t) − û_kernel(·, t)‖/‖û_kernel(·, t)‖, and the
remaining fraction |û(κ_k, t)|/|û(κ_k, 0)| at the target's wave vectors κ_k.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import time
import warnings
from typing import NamedTuple

import jax
import numpy as np

from ntk_freq._util import validation as v
from ntk_freq.data._density import PointMeasure, data_density, measured_spectrum
from ntk_freq.distributions._families import FrequencyDistribution
from ntk_freq.distributions._spec import distribution
from ntk_freq.data._fourier import fourier_transform, relative_l2, remaining_fraction
from ntk_freq.losses import OperatorLoss, residual_data
from ntk_freq.kernels._operator_kernels import operator_flow
from ntk_freq.networks import NETWORKS, FourierFeatures
from ntk_freq.problem import (Problem, check_seed, rho_record, target_record)
from ntk_freq.kernels._structured import StructuredKernelOperator, kernel_operator
from ntk_freq.data._targets import initial_error_hat
from ntk_freq.kernels._operator import KernelOperator, snapshot_steps
from ntk_freq.training._train import train
from ntk_freq._util.labels import kappa_key
from ntk_freq.comparison._results import ROUTES

#: The PDE the "pde" route solves: (E2) on the training points' own measure (exact for the
#: kernel flow up to the finite elements) or the local (E3) with c = c̄.
PDE_MODELS = ("E2", "E3")
#: The (E3) gap to the exact kernel flow above which asking for (E3) warns that its assumption fails.
E3_WARN_GAP = 1e-2


@dataclasses.dataclass(frozen=True)
class RhoComparison:
    """The routes for one ρ_w. u_hat[route]: (T, *ξ grid shape) complex spectra on the common ξ grid;
    remaining[route]: (T, n_κ) remaining fractions at the target frequencies; rel_l2[name]:
    (T,) gaps ("pde_vs_kernel", "nn_vs_kernel", "kernel_gd_vs_kernel"); loss: the network's
    training loss per step; max_stable_eta: 2/λ_max(Θ(X, X)/N) of the closed-form kernel;
    seconds[route]: wall time of each route; regime: the network's kernel-regime diagnostics
    (:class:`ntk_freq.training.RegimeTrace`) or None; test_error[route]: (T,) the test error
    Σ_j w_j (f(x_j, t) − y_j)² on the problem's test points of the kernel flow and the trained
    network ("kernel", "nn"; empty without test points); train_error[route]: (T,) Σ_i q_i u_i²
    on the training points beside it; frozen_rate: (n_κ,) the W-frozen rate c(2π)^d q ρ_α at
    the target's wave vectors (:func:`frozen_rate`), against which the summary's effective rates
    −ln(remaining)/t are read."""

    rho: str
    u_hat: dict
    remaining: dict
    rel_l2: dict
    loss: np.ndarray
    max_stable_eta: float
    seconds: dict
    regime: object = None
    test_error: dict = dataclasses.field(default_factory=dict)
    train_error: dict = dataclasses.field(default_factory=dict)
    frozen_rate: np.ndarray | None = None


def frozen_rate(problem, rho) -> np.ndarray | None:
    """The per-frequency rate of the damping alone, c(2π)^d q(κ) ρ_α(κ) at the target's wave
    vectors (1/time, t = η·step), ρ_α the network's damping density (ρ̄_w for the FF network, its
    effective ρ_α for the deep one, 0 when only W trains): exact with W frozen and data filling
    R^d, and the reference the trained rates are read against (q ≡ 1 for the mean-squared
    loss). None for a network without a frequency PDE."""
    if not problem.network.pde_models:
        return None
    kappa = np.asarray(problem.kappa, float).reshape(len(problem.kappa), problem.dim)
    alpha = problem.network.pde_coefficients(rho, kappa).alpha
    return problem.measure.level * (2 * np.pi) ** problem.dim * problem.loss.q(kappa) * alpha


def effective_rates(remaining: np.ndarray, t: float) -> np.ndarray:
    """−ln(remaining fraction)/t: the one-exponential rate that would leave the remaining
    fraction at time t (a trained FF-NN's decay is not one exponential; this is its average)."""
    with np.errstate(divide="ignore"):
        return -np.log(np.abs(remaining)) / t


@dataclasses.dataclass(frozen=True)
class Comparison:
    """The three-way comparison for one or several ρ_w (module docstring). ``spec`` holds every
    input (JSON-ready; ρ_w objects by :func:`rho_record`), ``xi`` the common frequency grid ((K,)
    in d = 1, (n, …, n, d) in d ≥ 2), ``times`` (T,) the flow times t = η · step, ``kappa`` the
    target wave vectors ((n_κ,) |κ| in d = 1, (n_κ, d) in d ≥ 2), ``x``/``y`` the data ((N,) or
    (N, d) points)."""

    spec: dict
    xi: np.ndarray
    times: np.ndarray
    kappa: np.ndarray
    x: np.ndarray
    y: np.ndarray
    results: tuple = dataclasses.field(default_factory=tuple)

    @property
    def dim(self) -> int:
        """The input dimension d."""
        return 1 if np.ndim(self.x) == 1 else self.x.shape[1]

    def summary(self) -> dict:
        """Per ρ_w: the gaps at the final time, the remaining fractions at the final time per
        route (keyed "xi=κ"), the W-frozen rate c(2π)^d q ρ̄_w and each route's effective rate
        −ln(remaining)/t at the final time (so a trained network's rate is read beside the frozen
        one, never in its place), the largest stable η, and the wall time per route."""
        out = {}
        for r in self.results:
            out[r.rho] = {
                "pde_vs_kernel_rel_l2": float(r.rel_l2["pde_vs_kernel"][-1]),
                "pde_model": (self.spec.get("model") or "E3") if "pde" in self.spec.get("routes", ["pde"]) else None,
                **({"pde_e3_vs_kernel_rel_l2": float(r.rel_l2["pde_e3_vs_kernel"][-1])}
                   if "pde_e3_vs_kernel" in r.rel_l2 else {}),
                "nn_vs_kernel_rel_l2": float(r.rel_l2["nn_vs_kernel"][-1]),
                "kernel_gd_vs_kernel_rel_l2": float(r.rel_l2["kernel_gd_vs_kernel"][-1]),
                "remaining_fraction": {
                    route: {kappa_key(k): float(f) for k, f in zip(self.kappa, r.remaining[route][-1])}
                    for route in ROUTES
                },
                **({"frozen_rate": {kappa_key(k): float(f) for k, f in zip(self.kappa, r.frozen_rate)},
                    "effective_rate": {
                        route: {kappa_key(k): float(f) for k, f in
                                zip(self.kappa, effective_rates(r.remaining[route][-1], self.times[-1]))}
                        for route in ROUTES},
                    "rate_unit": "1/t (t = eta * step)"}
                   if r.frozen_rate is not None and self.times[-1] > 0 else {}),
                "max_stable_eta": r.max_stable_eta,
                **({"test_error": {route: float(e[-1]) for route, e in r.test_error.items()},
                    "train_error": {route: float(e[-1]) for route, e in r.train_error.items()}}
                   if r.test_error else {}),
                "seconds": dict(r.seconds),
                **({"regime": r.regime.summary()} if r.regime is not None else {}),
            }
        return out

    def to_dataset(self):
        """The comparison as a labelled xarray Dataset (:func:`ntk_freq.comparison.comparison_dataset`)."""
        from ntk_freq.comparison._results import comparison_dataset

        return comparison_dataset(self)


def _rho_items(rhos) -> list:
    """One spec/distribution or a list of them → a list."""
    return [rhos] if isinstance(rhos, (str, FrequencyDistribution)) else list(rhos)


def parse_rhos(rhos, dim: int = 1) -> tuple[tuple, tuple]:
    """One spec/distribution or a list of them → (distributions on R^dim, their names: the spec
    as written, or the repr of a distribution object)."""
    items = _rho_items(rhos)
    if not items:
        raise ValueError("rhos must name at least one frequency distribution, e.g. 'gaussian:3'")
    names = tuple(r.strip() if isinstance(r, str) else repr(r) for r in items)
    return tuple(distribution(r, dim) for r in items), names


def warn_e3_gap(rho, e3, kernel, *, dim: int, has_e2: bool = True) -> None:
    """Warn when (E3), asked for, misses the exact kernel flow on the training data by more
    than ``E3_WARN_GAP`` (relative L² over ξ at the final time); ``has_e2``: whether the
    network has (E2) to suggest."""
    gap = relative_l2(e3, kernel)
    if gap > E3_WARN_GAP:
        e2 = "; use model='E2'" if dim == 1 and has_e2 else ""
        warnings.warn(
            f"model='E3' assumes data of constant density filling R^{dim}, and for rho = {rho!r} "
            f"it misses the exact kernel flow on the training data by {gap:.2g} (relative L² over "
            f"ξ at the final time): the error leaves the data domain or the data are not "
            f"uniform{e2}", stacklevel=3)


def stable_flows(op, u0, eta, *, times, check_eta: bool, what: str):
    """Exact flow, discrete GD map and the stability limit 2/λ_max(Θ(X, X)/N) of a kernel
    operator; with ``check_eta`` refuses η at or above that limit before any flow."""
    v.instance("op", op, (KernelOperator, StructuredKernelOperator),
               "a kernel operator (a network's kernel_operator, ntk_freq.kernels.kernel_operator)")
    max_eta = op.stability_limit
    check_stable(eta, max_eta, check_eta, what)
    return op.flow(u0, times), op.gd(u0, eta, snapshot_steps(times, eta)), max_eta


def check_stable(eta: float, max_eta: float, check_eta: bool, what: str) -> None:
    """With ``check_eta``, refuse η at or above the stability limit 2/λ_max of ``what``."""
    if check_eta and eta >= max_eta:
        raise ValueError(
            f"eta = {eta!r} is above the gradient-descent stability limit 2/λ_max = "
            f"{max_eta:.6g} of {what}; use eta < {max_eta:.6g}"
        )


def kernel_route(rho, sigma_a, part, *, x, u0, eta, times, check_eta: bool = True, weights=None):
    """Exact flow, discrete GD map and the stability limit 2/λ_max(Θ(X, X)/N) from the
    closed-form FF-NN NTK (Θ diag(q) with loss ``weights`` q); with ``check_eta`` refuses η at
    or above that limit before any flow."""
    op = kernel_operator(rho, sigma_a, part, x=x, weights=weights)  # FFT + Lanczos on a uniform grid
    return stable_flows(op, u0, eta, times=times, check_eta=check_eta,
                        what=f"the NTK for rho = {rho!r} on {len(x)} points (sigma_a = {sigma_a})")


def nn_route(problem, key, progress):
    """Train the problem's finite network from its doubling initialisation (f₀ ≡ 0) on the
    problem's loss (an operator loss through its residuals, :func:`residual_of`)."""
    v.instance("problem", problem, Problem, "a Problem (ntk_freq.Problem)")
    net = problem.network.finite(problem.rho_w)
    x = problem.measure.coords
    rho = problem.rho if isinstance(problem.rho, str) else type(problem.rho).__name__
    label = f"training {type(problem.network).__name__} m={problem.network.width}, ρ_w = {rho}"
    residual = residual_of(problem)
    return train(net, net.init(key), x, y=problem.target_fn(x), eta=problem.schedule.eta, times=problem.times,
                 optimizer=problem.schedule.optimizer, dtype=problem.network.dtype,
                 progress=label if progress else False,
                 weights=problem.weights if residual is None else None, residual=residual,
                 x_test=None if problem.test_points is None else problem.test_points[0])


def residual_of(problem):
    """An operator loss laid out on the problem's points (:func:`ntk_freq.losses.residual_data`),
    or None for the mean-squared loss."""
    if not isinstance(problem.loss, OperatorLoss):
        return None
    return residual_data(problem.loss, x=problem.measure.coords, target=problem.target_fn,
                         weights=problem.weights, x_boundary=problem.boundary_points)


class Flows(NamedTuple):
    """A problem's kernel route for one ρ_w: the errors on the training points under the exact
    flow and the GD map ((T, N) each), the stability limit of the loss's kernel, and the network's
    outputs at the test points under the flow ((T, M), or None without test points)."""

    u: np.ndarray
    u_gd: np.ndarray
    max_eta: float
    f_test: np.ndarray | None


def kernel_flows(problem, rho, *, check_eta: bool) -> Flows:
    """The exact kernel flow and its GD map on the problem's training points for ρ_w ``rho``:
    Θ diag(q) on the values for the mean-squared loss (FFT + Lanczos on a uniform grid), the
    block residual flow for an operator loss (:class:`ntk_freq.kernels.ResidualFlow`); η is
    refused at or above the stability limit when ``check_eta``."""
    network, x, y_fn = problem.network, problem.measure.coords, problem.target_fn
    eta, times = problem.schedule.eta, problem.times
    what = f"the NTK of {type(network).__name__} for rho = {rho!r} on {len(x)} points"
    x_test = None if problem.test_points is None else problem.test_points[0]
    if isinstance(problem.loss, OperatorLoss):
        x_eval = x if x_test is None else np.concatenate([x, x_test])
        flow = operator_flow(network, rho, problem.loss, x=x, target=y_fn, weights=problem.weights,
                             x_boundary=problem.boundary_points, x_eval=x_eval)
        check_stable(eta, flow.stability_limit, check_eta, f"the operator loss {problem.loss.spec!r} ({what})")
        u = flow.flow(times)
        f_test = None if x_test is None else u[:, len(x):] + y_fn(x_test)
        return Flows(u[:, :len(x)], flow.gd(eta, snapshot_steps(times, eta))[:, :len(x)],
                     flow.stability_limit, f_test)
    op = network.kernel_operator(rho, x, problem.weights)
    u, u_gd, max_eta = stable_flows(op, -y_fn(x), eta, times=times, check_eta=check_eta, what=what)
    f_test = None
    if x_test is not None:
        q = np.full(len(x), 1.0 / len(x)) if problem.weights is None else np.asarray(problem.weights)
        f_test = -(network.ntk(x_test, x, rho) @ (q * op.integral(-y_fn(x), times)).T).T  # (T, M)
    return Flows(u, u_gd, max_eta, f_test)


def check_pde_options(options) -> dict:
    """The options passed on to :func:`ntk_freq.pde.solve_frequency_pde`: a dict (or None) of
    its keyword options, except those the comparison sets (part, u0, u0_hat, times, model)."""
    from ntk_freq.pde import solve_frequency_pde

    if options is None:
        return {}
    if not isinstance(options, dict):
        raise TypeError(f"pde_options must be a dict of solve_frequency_pde options, got {options!r}")
    allowed = [p.name for p in inspect.signature(solve_frequency_pde).parameters.values()
               if p.kind is p.KEYWORD_ONLY
               and p.name not in ("part", "u0", "u0_hat", "times", "model", "loss")]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"pde_options: unknown option(s) {unknown}; allowed: {allowed}")
    return dict(options)


def network_pde(network, rho, density, *, y, times, options, xi_max: float = 0.0):
    """The solution of the network's frequency PDE: (E3) with û₀ = −ŷ for a constant
    ``density`` c, or (E2) from u₀ = −y for a data measure (e.g. the training points'
    :class:`ntk_freq.data.PointMeasure`). Returns (ξ ↦ û(ξ, t) (V for (E2)) of shape (T, K),
    the network's info dict). (E2)'s domain Ω covers ρ_w's support and ξ ≤ ``xi_max`` (it has
    no value outside Ω)."""
    from ntk_freq.pde.mesh import default_domain

    v.instance("network", network, tuple(NETWORKS.values()), f"one of {sorted(NETWORKS)} (ntk_freq.networks)")
    if isinstance(density, PointMeasure):
        # the (E3) default domain (a heavy tail truncated, with a warning), widened to ξ_max
        R = options.get("domain") or default_domain(rho, options.get("support_tol", 1e-8)).radius
        if R < 1.02 * xi_max:
            options = {**options, "domain": 1.02 * xi_max}
        sol, info = network.solve_pde(rho, density, model="E2", times=times,
                                      u0=-y(density.coords), **options)
    else:
        sol, info = network.solve_pde(rho, density, initial_error_hat(y), model="E3", times=times,
                                      **options)
    return (lambda xi: sol(xi, times)), info


def pde_route(rho, sigma_a, part, *, density, y, times, options, xi_max: float = 0.0):
    """:func:`network_pde` of the FF-NN with readout std ``sigma_a`` and trained ``part``."""
    network = FourierFeatures(sigma_a=sigma_a, width=1, part=part)
    return network_pde(network, rho, density, y=y, times=times, options=options, xi_max=xi_max)[0]


def _gaps(u_hat: dict) -> dict:
    ref = u_hat["kernel"]
    return {
        f"{route}_vs_kernel": np.array([relative_l2(a, b) for a, b in zip(u_hat[route], ref)])
        for route in ("pde", "nn", "kernel_gd", "pde_e3") if route in u_hat
    }


class ComparisonSetup(NamedTuple):
    """The validated problems of a comparison and compare's options (no route has run)."""

    problems: tuple
    routes: tuple
    model: str
    pde_options: dict
    seed: int


def _as_problems(problems) -> tuple:
    items = (problems,) if isinstance(problems, Problem) else tuple(problems)
    if not items or not all(isinstance(p, Problem) for p in items):
        raise TypeError(f"compare takes a ntk_freq.Problem or a list of them, got {problems!r}")
    first = {k: val for k, val in items[0].record().items() if k != "rho"}
    for p in items[1:]:
        other = {k: val for k, val in p.record().items() if k != "rho"}
        if other != first:
            diff = sorted(k for k in first if first[k] != other[k])
            raise ValueError(f"the problems of one comparison may differ in rho only (they share "
                             f"the data, ξ grid and times); these differ in {diff}")
    return items


def comparison_setup(problems, *, routes=ROUTES, model=None, pde_options=None,
                     seed=0) -> ComparisonSetup:
    """Every check :func:`compare` makes before its first route: the problems (which checked
    themselves when made) share all but ρ_w, the options are valid, and the training fits the
    budget. ValueError, TypeError or MemoryError on a bad value. Cheap (no kernel, PDE or
    network), so a sweep checks all its points with it first.

    ``model`` None is (E2) where the network has it and d = 1, else (E3). A network without a
    frequency PDE (``pde_models`` empty, e.g. :class:`ntk_freq.networks.MLP`) runs without the
    "pde" route (reported as NaN) unless ``model`` asks for one."""
    problems = _as_problems(problems)
    p = problems[0]
    routes = tuple(routes)
    unknown = sorted(set(routes) - set(ROUTES))
    if unknown or "kernel" not in routes:
        raise ValueError(f"routes must be among {list(ROUTES)} and hold 'kernel' (the "
                         f"reference), got {list(routes)}")
    operator = isinstance(p.loss, OperatorLoss)
    if not p.network.pde_models and model is None:
        routes = tuple(r for r in routes if r != "pde")
    elif model is None:
        model = "E2" if p.dim == 1 and "E2" in p.network.pde_models and not operator else "E3"
    if model is not None:
        model = v.choice("model", model, p.network.pde_models)
    if operator and model == "E2":
        raise ValueError(f"loss {p.loss.spec!r}: the frequency PDE of an operator loss is its local "
                         "form (E3_L); use model='E3' (or None)")
    seed = check_seed("seed", seed)
    pde_options = check_pde_options(pde_options)
    if "nn" in routes:
        check_cost(p.network, p.n_points**p.dim, p.schedule.steps, dim=p.dim)
    return ComparisonSetup(problems, routes, model, pde_options, seed)


def compare(problems=None, *, routes=ROUTES, model: str | None = None,
            pde_options: dict | None = None, seed: int = 0, progress: bool = True,
            **old_keywords) -> Comparison:
    """Run the PDE, the kernel flow (and its GD map) and the trained network of each problem.

    Args:
        problems: a :class:`ntk_freq.Problem` or a list of problems that differ in ρ_w only
            (they share the data, the ξ grid and the times).
        routes: the routes to run besides the kernel flow (always run: the reference); a route
            not run is NaN in the result.
        model: the PDE of the "pde" route: "E2" (on the training points' own measure, exact for
            the kernel flow up to the finite elements; in d ≥ 2 its cost is estimated and refused
            beyond memory or ~10 minutes) or "E3" (the local equation with c = c̄; warns when its
            gap to the kernel flow exceeds ``E3_WARN_GAP``); None: "E2" in d = 1 where the
            network has it, else "E3". The FF-NN's (E3) is always solved too: route "pde_e3".
        pde_options: options passed on to :func:`ntk_freq.pde.solve_frequency_pde`.
        seed: the networks' PRNG seed (problem i uses fold_in(seed, i)).
        progress: show a progress bar while training.

    Returns:
        A :class:`Comparison`. Every problem's kernel and PDE routes run (so every PDE option
        and every ρ_w the PDE refuses is checked, and η against 2/λ_max(Θ(X, X)/N)) before
        the first network is trained.

    The keywords of the former signature (``rhos``, ``target``, ``sigma_a``, ``width``,
    ``eta``, …) still work for one release: they build the problems, with a FutureWarning.

    Examples:
        >>> import ntk_freq as nf
        >>> p = nf.Problem(rho="gaussian:3", network=nf.FourierFeatures(width=32),
        ...                schedule=nf.Schedule(eta=0.5, steps=20, n_snapshots=2))
        >>> c = nf.compare([p, p.replace(rho="uniform:10")], routes=("pde", "kernel"), progress=False)
        >>> [r.rho for r in c.results]
        ['gaussian:3', 'uniform:10']

    References:
        docs/theory.md, "Comparing theory with trained networks".
    """
    if old_keywords or problems is None or not _is_problems(problems):
        problems, options = _problems_from_old_call(problems, old_keywords)
        warnings.warn("compare(rhos=..., sigma_a=..., ...) is deprecated: pass a ntk_freq.Problem "
                      "(or a list of them, one per ρ_w), e.g. compare([Problem(rho='gaussian:3'), "
                      "...]); the old keywords go in the next release", FutureWarning, stacklevel=2)
        model = options.pop("model", model)
        pde_options = options.pop("pde_options", pde_options)
        seed = options.pop("seed", seed)
    setup = comparison_setup(problems, routes=routes, model=model, pde_options=pde_options,
                             seed=seed)
    return _run(setup, progress)


def _is_problems(problems) -> bool:
    return isinstance(problems, Problem) or (
        isinstance(problems, (list, tuple)) and bool(problems)
        and all(isinstance(p, Problem) for p in problems))


#: compare's own options among the flat settings (the rest describe the problem).
OPTIONS = ("seed", "model", "pde_options")


def problems_from_settings(settings: dict) -> tuple[tuple, dict]:
    """Flat settings (``rhos`` a list of ρ_w, the fields of :data:`ntk_freq.problem.SETTINGS`,
    and compare's :data:`OPTIONS`) → (one problem per ρ_w, compare's options)."""
    settings = dict(settings)
    options = {k: settings.pop(k) for k in OPTIONS if k in settings}
    settings.pop("progress", None)
    rhos = settings.pop("rhos", ("gaussian:3", "uniform:10"))
    if "optimizer" in settings and settings["optimizer"] is None:
        settings.pop("optimizer")
    base = Problem.from_settings(**settings, rho=_rho_items(rhos)[0] if _rho_items(rhos) else "")
    return tuple(base.replace(rho=r) for r in _rho_items(rhos)), options


def compare_settings(settings: dict, *, progress: bool = True) -> Comparison:
    """:func:`compare` on flat settings (:func:`problems_from_settings`), as the CLI, TOML
    configs, named experiments and sweeps give them."""
    problems, options = problems_from_settings(settings)
    return compare(problems, **options, progress=progress)


def _problems_from_old_call(rhos, keywords: dict) -> tuple[tuple, dict]:
    settings = dict(keywords)
    if rhos is not None:
        settings["rhos"] = rhos
    if not _rho_items(settings.get("rhos", ("gaussian:3",))):
        raise ValueError("rhos must name at least one frequency distribution, e.g. 'gaussian:3'")
    if settings.get("model") is None:
        settings.pop("model", None)
    return problems_from_settings(settings)


def settings_record(problem: Problem) -> dict:
    """The problem as flat settings (JSON-ready): its own fields, its network's and its
    schedule's, the network named by class, ρ_w by :func:`rho_record`, the target by
    :func:`ntk_freq.problem.target_record`."""
    v.instance("problem", problem, Problem, "a Problem (ntk_freq.Problem)")
    network = {k: val for k, val in problem.network.record().items() if k != "class"}
    data = None if problem.data is None else data_density(problem.data, problem.dim).spec
    return {"target": target_record(problem.target_fn), **network,
            "part": problem.network.part, "network": type(problem.network).__name__,
            "loss": problem.loss.spec, **problem.schedule.record(), "half_width": problem.half_width,
            "n_points": problem.n_points, "data": data, "data_layout": problem.data_layout,
            "xi_max": problem.xi_top, "n_xi": int(problem.xi.shape[0]), "dim": problem.dim,
            **({"test": problem.record()["test"]} if problem.test is not None else {})}


def _run(setup: ComparisonSetup, progress: bool) -> Comparison:
    problems, routes, model, pde_options, seed = setup
    p = problems[0]
    measure, network, dim = p.measure, p.network, p.dim
    x, level, xi, kappa, times, y_fn = measure.coords, measure.level, p.xi, p.kappa, p.times, p.target_fn
    transform = functools.partial(measured_spectrum, measure=measure)
    y = y_fn(x)
    operator = isinstance(p.loss, OperatorLoss)

    def spectra(u_hat, remaining, route, u):
        u_hat[route] = transform(u, xi=xi)
        at_kappa = transform(u, xi=kappa)
        remaining[route] = remaining_fraction(at_kappa, at_kappa[0])

    def pde_spectra(u_hat, remaining, route, pde):
        at_kappa = pde(kappa)
        u_hat[route], remaining[route] = pde(xi), remaining_fraction(at_kappa, at_kappa[0])

    # every ρ_w's kernel and PDE routes (so all their input checks) before any network trains
    theory, pde_info = [], {}
    for problem in problems:
        rho = problem.rho_w
        t0 = time.perf_counter()
        u_ker, u_gd, max_eta, f_test = kernel_flows(problem, rho, check_eta=p.schedule.optimizer is None)
        seconds = {"kernel": time.perf_counter() - t0}
        u_hat, remaining = {}, {}
        errors = {"train": {}, "test": {}}
        if problem.test_points is not None:
            x_test, w_test = problem.test_points
            q = np.full(len(x), 1.0 / len(x)) if p.weights is None else np.asarray(p.weights)
            errors["test"]["kernel"] = (f_test - y_fn(x_test)) ** 2 @ w_test
            errors["train"]["kernel"] = u_ker**2 @ q
        spectra(u_hat, remaining, "kernel", u_ker)
        spectra(u_hat, remaining, "kernel_gd", u_gd)
        if "pde" in routes:
            t0 = time.perf_counter()
            e3, info = network_pde(network, rho, level, y=y_fn, times=times,
                                   options={**pde_options, "loss": p.loss} if operator else pde_options)
            seconds["pde_e3"] = time.perf_counter() - t0
            pde_info[problem.rho_name] = info
            pde_spectra(u_hat, remaining, "pde_e3", e3)
            if model == "E2":
                t0 = time.perf_counter()
                e2, _ = network_pde(network, rho, measure, y=y_fn, times=times, options=pde_options, xi_max=p.xi_top)
                seconds["pde"] = seconds["pde_e2"] = time.perf_counter() - t0
                pde_spectra(u_hat, remaining, "pde", e2)
            else:
                u_hat["pde"], remaining["pde"] = u_hat["pde_e3"], remaining["pde_e3"]
                seconds["pde"] = seconds["pde_e3"]
                warn_e3_gap(rho, u_hat["pde"][-1], u_hat["kernel"][-1], dim=dim,
                            has_e2="E2" in network.pde_models and not operator)
        theory.append((u_hat, remaining, max_eta, seconds, errors))

    key = jax.random.PRNGKey(seed)
    results = []
    for i, (problem, (u_hat, remaining, max_eta, seconds, errors)) in enumerate(zip(problems, theory)):
        loss, regime = np.zeros(0), None
        if "nn" in routes:
            t0 = time.perf_counter()
            fit = nn_route(problem, jax.random.fold_in(key, i), progress)
            seconds["nn"] = time.perf_counter() - t0
            spectra(u_hat, remaining, "nn", fit.u)
            loss, regime = fit.loss, getattr(fit, "regime", None)
            if problem.test_points is not None and getattr(fit, "f_test", None) is not None:
                x_test, w_test = problem.test_points
                q = np.full(len(x), 1.0 / len(x)) if p.weights is None else np.asarray(p.weights)
                errors["test"]["nn"] = (fit.f_test - y_fn(x_test)) ** 2 @ w_test
                errors["train"]["nn"] = fit.u**2 @ q
        for route in ("pde", "nn"):  # a route not run is reported as NaN, never as a fake value
            if route not in u_hat:
                u_hat[route] = np.full_like(u_hat["kernel"], np.nan)
                remaining[route] = np.full_like(remaining["kernel"], np.nan)
        results.append(RhoComparison(
            rho=problem.rho_name, u_hat=u_hat, remaining=remaining, rel_l2=_gaps(u_hat),
            loss=loss, max_stable_eta=float(max_eta), seconds=seconds, regime=regime,
            test_error=errors["test"], train_error=errors["train"],
            frozen_rate=frozen_rate(problem, problem.rho_w),
        ))

    spec = {
        "rhos": [rho_record(q.rho) for q in problems], **settings_record(p), "seed": int(seed),
        "pde_options": pde_options, "model": model, "routes": list(routes),
        **({"pde_info": pde_info} if any(pde_info.values()) else {}),
    }
    return Comparison(spec=spec, xi=xi, times=times, kappa=kappa,
                      x=x[:, 0] if dim == 1 else x, y=y, results=tuple(results))


def check_cost(network, n_points: int, steps: int, *, dim: int = 1) -> None:
    """Refuse, before any work, a comparison whose network (N × 2m features) would not fit in
    memory, or whose training exceeds the training budget
    (:func:`ntk_freq.training.check_training_cost`, the same estimate as ``train``'s, from the
    doubled network's parameters). ``network``: a network object, or the width m of a FF-NN.
    (The kernel flow's own estimate, O(N) on a uniform grid and O(N²) for scattered points, is
    made by :func:`ntk_freq.kernels.kernel_operator` before it builds anything.)"""
    from ntk_freq.training._train import check_training_cost

    if not hasattr(network, "n_params"):
        network = FourierFeatures(width=network)
    width = network.width
    v.fits_in_memory(f"training width m = {width} on N = {n_points} points (features and their "
                     "gradients)", 8.0 * 6 * 2 * float(width) * n_points)
    check_training_cost(f"training {steps} steps of width {width} on {n_points} points",
                        network.n_params(dim), n_points, steps=steps,
                        hint="use fewer steps, a smaller width or fewer points")


@dataclasses.dataclass(frozen=True)
class WidthStudy:
    """The network-vs-kernel gap against width. rho: ρ_w's name (as in :func:`parse_rhos`);
    widths: (n_w,) m; gaps: (n_w, n_seeds) relative L² gaps over ξ to the kernel's
    gradient-descent map at the final time; gap: (n_w,) their root mean square; exponent,
    prefactor: the least-squares fit gap ≈ prefactor · m^exponent (theory: exponent −1/2)."""

    rho: str
    spec: dict
    widths: np.ndarray
    gaps: np.ndarray
    gap: np.ndarray
    exponent: float
    prefactor: float


def fit_power_law(m, gap) -> tuple[float, float]:
    """Least-squares line through (log m, log gap): returns (exponent, prefactor)."""
    slope, intercept = np.polyfit(np.log(np.asarray(m, float)), np.log(np.asarray(gap, float)), 1)
    return float(slope), float(np.exp(intercept))


#: The former defaults of :func:`width_study`'s keywords (used when it is called the old way).
WIDTH_STUDY_OLD_DEFAULTS = dict(rho="gaussian:3", target="windowed-sines:2,7;width=1.5",
                                sigma_a=0.5, eta=0.25, steps=200, half_width=10.0, n_points=160,
                                n_xi=None, part="full", dtype="float64", dim=1)


def width_study(problem=None, *, widths=(100, 316, 1000, 3162, 10000), seeds=(0, 1, 2),
                progress: bool = True, **old_keywords) -> WidthStudy:
    """Train networks of each width (one per seed) and compare them with their infinite-width
    twin, the kernel's gradient-descent map u_{k+1} = (I − η Θ/N) u_k (like for like: no
    time-discretisation gap), on the problem's data after its schedule's steps.

    Args:
        problem: a :class:`ntk_freq.Problem` (its network's width is replaced by each of
            ``widths``; its ``n_snapshots`` is not used).
        widths: at least two widths m.
        seeds: the PRNG seeds, one network per seed and width.
        progress: show a progress bar while training.

    Returns:
        A :class:`WidthStudy`: the relative L² gaps over the ξ grid up to max κ + 5/w and the
        fitted exponent (theory: −1/2). The former keywords (``rho``, ``sigma_a``, ``steps``,
        …, with steps 200 and float64 training by default) still work for one release, with a
        FutureWarning.
    """
    if old_keywords or problem is None or not isinstance(problem, Problem):
        if problem is not None:
            old_keywords["rho"] = problem
        settings = {**WIDTH_STUDY_OLD_DEFAULTS, **old_keywords}
        warnings.warn("width_study(rho=..., sigma_a=..., ...) is deprecated: pass a "
                      "ntk_freq.Problem, e.g. width_study(Problem(rho='gaussian:3', "
                      "schedule=Schedule(steps=200)), widths=...)", FutureWarning, stacklevel=2)
        rho = settings.pop("rho")
        items = _rho_items(rho)
        if len(items) != 1:
            raise ValueError(f"width_study takes one ρ_w, got {rho!r}")
        problem = Problem.from_settings(**settings, rho=items[0], n_snapshots=2)
    widths = np.array([v.positive_int("widths", w) for w in widths])
    seeds = [check_seed("seeds", s) for s in seeds]
    if len(widths) < 2:
        raise ValueError(f"widths needs at least two widths to fit an exponent, got {widths.tolist()}")
    if not seeds:
        raise ValueError("seeds must hold at least one PRNG seed (an integer >= 0), got none")
    problem = problem.replace(n_snapshots=2)
    if problem.data is not None:
        raise ValueError("width_study runs on the grid of D (data=None)")
    networks = [problem.network.__class__(**{**_fields(problem.network), "width": int(m)})
                for m in widths]
    steps, eta = problem.schedule.steps, problem.schedule.eta
    check_cost(networks[int(np.argmax(widths))], problem.measure.n, steps * len(widths) * len(seeds),
               dim=problem.dim)
    x = problem.measure.coords
    dx = (2 * problem.half_width / problem.n_points) ** problem.dim
    y = problem.target_fn(x)
    op = problem.network.kernel_operator(problem.rho_w, x)
    _, u_gd, _ = stable_flows(op, -y, eta, times=problem.times, check_eta=True,
                              what=f"the NTK for rho = {problem.rho_w!r} on {len(x)} points")
    xi = problem.xi
    ref = fourier_transform(u_gd[-1], x, xi, cell_volume=dx)
    gaps = np.empty((len(widths), len(seeds)))
    for i, net in enumerate(networks):
        for j, s in enumerate(seeds):
            fit = nn_route(problem.replace(network=net), jax.random.PRNGKey(s), progress)
            gaps[i, j] = relative_l2(fourier_transform(fit.u[-1], x, xi, cell_volume=dx), ref)
    gap = np.sqrt(np.mean(gaps**2, axis=1))
    exponent, prefactor = fit_power_law(widths, gap)
    record = settings_record(problem)
    spec = {"rho": rho_record(problem.rho), "target": record["target"], "widths": widths.tolist(),
            "seeds": seeds, **{k: record[k] for k in ("sigma_a", "eta", "steps", "half_width",
                                                      "n_points", "n_xi", "part", "dtype", "dim")
                               if k in record},
            "network": record["network"], "problem": problem.record()}
    return WidthStudy(rho=problem.rho_name, spec=spec, widths=widths, gaps=gaps, gap=gap,
                      exponent=exponent, prefactor=prefactor)


def _fields(obj) -> dict:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
