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
import hashlib
import inspect
import math
import time
import warnings
from typing import NamedTuple

import jax
import numpy as np

from . import _validation as v
from .data import PointMeasure, data_density, measured_spectrum, training_measure
from .distributions import FrequencyDistribution, distribution
from .fourier import fourier_transform, frequency_grid, midpoint_grid, relative_l2, remaining_fraction
from .models import ff_network
from .targets import WindowedSines, initial_error_hat, target as parse_target
from .structured import kernel_operator
from .training import DTYPES, snapshot_steps, train

ROUTES = ("pde", "kernel", "kernel_gd", "nn")
COMPARE_PARTS = ("full", "readout", "frequency")
#: The PDE the "pde" route solves: (E2) on the training points' own measure (exact for the
#: kernel flow up to the finite elements) or the local (E3) with c = c̄.
PDE_MODELS = ("E2", "E3")
#: The (E3) gap to the exact kernel flow above which asking for (E3) warns that its assumption fails.
E3_WARN_GAP = 1e-2
#: Nodes per axis of the common ξ grid by dimension (d = 1: [0, ξ_max]; d ≥ 2: [−ξ_max, ξ_max]^d).
DEFAULT_N_XI = {1: 241, 2: 49, 3: 21}
DIMS = (1, 2, 3)


@dataclasses.dataclass(frozen=True)
class RhoComparison:
    """The routes for one ρ_w. u_hat[route]: (T, *ξ grid shape) complex spectra on the common ξ grid;
    remaining[route]: (T, n_κ) remaining fractions at the target frequencies; rel_l2[name]:
    (T,) gaps ("pde_vs_kernel", "nn_vs_kernel", "kernel_gd_vs_kernel"); loss: the network's
    training loss per step; max_stable_eta: 2/λ_max(Θ(X, X)/N) of the closed-form kernel;
    seconds[route]: wall time of each route; regime: the network's kernel-regime diagnostics
    (:class:`ntk_freq.regime.RegimeTrace`) or None."""

    rho: str
    u_hat: dict
    remaining: dict
    rel_l2: dict
    loss: np.ndarray
    max_stable_eta: float
    seconds: dict
    regime: object = None


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
        route (keyed "xi=κ"), the largest stable η, and the wall time per route."""
        out = {}
        for r in self.results:
            out[r.rho] = {
                "pde_vs_kernel_rel_l2": float(r.rel_l2["pde_vs_kernel"][-1]),
                "pde_model": self.spec.get("model") or "E3",
                **({"pde_e3_vs_kernel_rel_l2": float(r.rel_l2["pde_e3_vs_kernel"][-1])}
                   if "pde_e3_vs_kernel" in r.rel_l2 else {}),
                "nn_vs_kernel_rel_l2": float(r.rel_l2["nn_vs_kernel"][-1]),
                "kernel_gd_vs_kernel_rel_l2": float(r.rel_l2["kernel_gd_vs_kernel"][-1]),
                "remaining_fraction": {
                    route: {kappa_key(k): float(f) for k, f in zip(self.kappa, r.remaining[route][-1])}
                    for route in ROUTES
                },
                "max_stable_eta": r.max_stable_eta,
                "seconds": dict(r.seconds),
                **({"regime": r.regime.summary()} if r.regime is not None else {}),
            }
        return out

    def to_dataset(self):
        """The comparison as a labelled xarray Dataset (:func:`ntk_freq.results.comparison_dataset`)."""
        from .results import comparison_dataset

        return comparison_dataset(self)


def _rho_items(rhos) -> list:
    """One spec/distribution or a list of them → a list."""
    return [rhos] if isinstance(rhos, (str, FrequencyDistribution)) else list(rhos)


def check_dim(dim) -> int:
    """The input dimension d of a comparison: 1, 2 or 3."""
    dim = v.positive_int("dim", dim)
    if dim not in DIMS:
        raise ValueError(f"dim must be 1, 2 or 3 (the PDE's finite elements), got {dim}")
    return dim


def vector_text(k) -> str:
    """A frequency or wave vector as text: "2" or "(2, 0)"."""
    k = np.atleast_1d(k)
    return f"{k[0]:g}" if k.size == 1 else "(" + ", ".join(f"{c:g}" for c in k) + ")"


def kappa_key(k) -> str:
    """The summary's label of a target wave vector: "xi=2" in d = 1, "xi=(2,0)" in d ≥ 2."""
    return "xi=" + vector_text(k).replace(" ", "")


def parse_rhos(rhos, dim: int = 1) -> tuple[tuple, tuple]:
    """One spec/distribution or a list of them → (distributions on R^dim, their names: the spec
    as written, or the repr of a distribution object)."""
    items = _rho_items(rhos)
    if not items:
        raise ValueError("rhos must name at least one frequency distribution, e.g. 'gaussian:3'")
    names = tuple(r.strip() if isinstance(r, str) else repr(r) for r in items)
    return tuple(distribution(r, dim) for r in items), names


def rho_record(rho) -> str | dict:
    """ρ_w as a run's spec records it: a spec string as written; a distribution object as its
    class, repr and the SHA-256 of its fields, arrays included (a repr omits a Tabulated ρ_w's
    values and an Empirical one's samples), so the spec identifies it."""
    if isinstance(rho, str):
        return rho.strip()
    digest = hashlib.sha256()
    _hash_into(digest, rho)
    return {"class": type(rho).__name__, "repr": repr(rho), "sha256": digest.hexdigest()}


def _hash_into(digest, obj) -> None:
    """Feed ``obj`` to ``digest``: dataclass fields by name, arrays by dtype, shape and bytes,
    sequences item by item, anything else by its repr."""
    if dataclasses.is_dataclass(obj):
        digest.update(type(obj).__name__.encode())
        for f in dataclasses.fields(obj):
            digest.update(f.name.encode())
            _hash_into(digest, getattr(obj, f.name))
    elif isinstance(obj, np.ndarray):
        digest.update(f"{obj.dtype.str}{obj.shape}".encode())
        digest.update(np.ascontiguousarray(obj).tobytes())
    elif isinstance(obj, (tuple, list)):
        digest.update(f"sequence of {len(obj)}".encode())
        for item in obj:
            _hash_into(digest, item)
    else:
        digest.update(repr(obj).encode())


def parse_windowed_target(y, dim: int = 1) -> WindowedSines:
    """A windowed-sines target on R^dim (spec string or object): the comparison needs its
    wave vectors."""
    y = parse_target(y, dim) if isinstance(y, str) else y
    if not isinstance(y, WindowedSines) or y.dim != dim:
        example = "windowed-sines:2,7;width=1.5" if dim == 1 else "windowed-sines:2/0,0/2;width=1.5"
        raise TypeError(
            f"target must be a {dim}-D windowed-sines target (e.g. {example!r}), whose wave "
            f"vectors κ_k the comparison reports, got {y!r}"
        )
    return y


def wave_vectors(y: WindowedSines) -> np.ndarray:
    """The target's κ_k: |κ_k| (n_κ,) in d = 1, the vectors (n_κ, d) in d ≥ 2."""
    kappa = np.asarray(y.frequencies, float)
    return np.abs(kappa[:, 0]) if y.dim == 1 else kappa


def xi_grid(xi_max: float, n_xi: int, dim: int) -> np.ndarray:
    """The common ξ grid of a comparison: [0, ξ_max] (n_xi nodes) in d = 1; the box
    [−ξ_max, ξ_max]^d with n_xi nodes per axis, shape (n_xi, …, n_xi, d), in d ≥ 2."""
    n_xi = v.positive_int("n_xi", n_xi)
    return np.linspace(0.0, xi_max, n_xi) if dim == 1 else frequency_grid(xi_max, n_xi, dim)


#: A windowed-sines target is negligible (e^{−12.5} ≈ 4e-6) beyond |x| = 5w and, in ξ, beyond
#: 5/w from its frequencies ±κ_k.
WINDOW_REACH = 5.0


def default_xi_max(y: WindowedSines) -> float:
    """The top of the target's spectrum and of the common ξ grid, per axis: max_k ‖κ_k‖_∞ + 5/w."""
    return float(np.abs(np.asarray(y.frequencies)).max() + WINDOW_REACH / y.width)


def check_data_grid(y: WindowedSines, half_width: float, n_points: int, xi_max: float) -> None:
    """The cell-centred grid of n points per axis on [−L, L]^d (Δx = 2L/n) resolves angular
    frequencies below its Nyquist limit π/Δx in every axis: ValueError when ``xi_max`` or the
    target's spectrum (up to max κ + 5/w in any axis) goes beyond it (aliasing would fold them
    back onto the target's band); a warning when the target's window reaches beyond the data
    domain (|x_i| = 5w > L)."""
    nyquist = math.pi * n_points / (2 * half_width)
    axis = " (in some axis)" if y.dim > 1 else ""
    for what, top in ((f"the target's spectrum max κ + 5/w{axis}", default_xi_max(y)),
                      ("xi_max", xi_max)):
        if top > nyquist:
            raise ValueError(
                f"{what} = {top:.4g} is above the Nyquist limit π/Δx = π·n_points/(2·half_width) "
                f"= {nyquist:.4g} of the data grid (half_width = {half_width:g}, n_points = "
                f"{n_points}), which would alias it; use n_points >= "
                f"{math.ceil(2 * half_width * top / math.pi) + 1} or lower frequencies"
            )
    reach = WINDOW_REACH * y.width
    if reach > half_width:
        warnings.warn(
            f"the target's window (width w = {y.width:g}) reaches |x| = 5w = {reach:g}, beyond the "
            f"data domain [−{half_width:g}, {half_width:g}]: the data cut the target off, which the "
            f"PDE (over all x) does not see; use half_width >= {reach:g} or a narrower window",
            stacklevel=3,
        )


def check_data_cover(y: WindowedSines, p, measure, xi_max: float) -> None:
    """Non-uniform data: ValueError when the target's window (|x_i| ≤ 5w) reaches beyond the
    data density's support in some axis, or when ``xi_max`` or the target's spectrum is above
    the Nyquist limit π/max Δx of the widest gap between the training points' coordinates along
    an axis (aliasing in the sparse region)."""
    reach = WINDOW_REACH * y.width
    for a, b in p.bounds:
        if -reach < a or reach > b:
            raise ValueError(
                f"the data density {p.spec} (support [{a:g}, {b:g}]) does not cover the target, "
                f"whose window reaches |x| = 5w = {reach:g}; use data that cover "
                f"[−{reach:g}, {reach:g}]" + (" in every axis" if p.dim > 1 else ""))
    gap = max((float(np.max(np.diff(np.unique(c)))) if np.unique(c).size > 1 else math.inf)
              for c in measure.coords.T)
    nyquist = math.pi / gap
    for what, top in (("the target's spectrum max κ + 5/w", default_xi_max(y)), ("xi_max", xi_max)):
        if top > nyquist:
            raise ValueError(
                f"{what} = {top:.4g} is above the Nyquist limit π/max Δx = {nyquist:.4g} of the "
                f"widest gap ({gap:.4g}) between the {measure.n} training points of {p.spec}; use "
                "more points or lower frequencies")


def warn_e3_gap(rho, e3, kernel, dim: int) -> None:
    """Warn when (E3), asked for, misses the exact kernel flow on the training data by more
    than ``E3_WARN_GAP`` (relative L² over ξ at the final time)."""
    gap = relative_l2(e3, kernel)
    if gap > E3_WARN_GAP:
        e2 = "; use model='E2'" if dim == 1 else ""
        warnings.warn(
            f"model='E3' assumes data of constant density filling R^{dim}, and for rho = {rho!r} "
            f"it misses the exact kernel flow on the training data by {gap:.2g} (relative L² over "
            f"ξ at the final time): the error leaves the data domain or the data are not "
            f"uniform{e2}", stacklevel=3)


def snapshot_times(eta: float, steps: int, n_snapshots: int) -> np.ndarray:
    """n_snapshots flow times t = η·k, k evenly spread over 0…steps (integers, so multiples of η)."""
    eta, steps = v.positive("eta", eta), v.positive_int("steps", steps)
    if steps > 2**53:
        raise ValueError(f"steps must be at most 2**53 (exact in float64), got {steps}")
    n = v.positive_int("n_snapshots", n_snapshots)
    return eta * np.unique(np.rint(np.linspace(0, steps, max(n, 2)))).astype(np.int64)


@dataclasses.dataclass(frozen=True)
class ComparisonGrids:
    """The grids every route of a comparison shares: flow ``times``, the data grid ``x`` (cell
    size ``dx``) of D = [−L, L] with the target values ``y``, the ξ grid ``xi`` on [0, xi_max] and
    the target frequencies ``kappa``."""

    times: np.ndarray
    L: float
    kappa: np.ndarray
    xi_max: float
    xi: np.ndarray
    x: np.ndarray
    dx: float
    y: np.ndarray

    def spectra(self, u) -> tuple[np.ndarray, np.ndarray]:
        """(û on the ξ grid, remaining fractions at κ) of errors u on the data grid, shape (T, N)."""
        at_kappa = fourier_transform(u, self.x, self.kappa, cell_volume=self.dx)
        return (fourier_transform(u, self.x, self.xi, cell_volume=self.dx),
                remaining_fraction(at_kappa, at_kappa[0]))


def frequency_setup(y_fn: WindowedSines, xi_max, n_xi, dim: int) -> tuple:
    """(κ, ξ_max, ξ grid) of a comparison: the target's wave vectors, ξ_max (None: the
    target's spectrum top, max κ + 5/w) and :func:`xi_grid` with n_xi nodes per axis (None:
    ``DEFAULT_N_XI[d]``)."""
    xi_max = default_xi_max(y_fn) if xi_max is None else v.positive("xi_max", xi_max)
    return wave_vectors(y_fn), xi_max, xi_grid(xi_max, DEFAULT_N_XI[dim] if n_xi is None else n_xi, dim)


def comparison_grids(y_fn: WindowedSines, eta, steps, n_snapshots, half_width, n_points,
                     xi_max, n_xi) -> ComparisonGrids:
    """Checked :class:`ComparisonGrids` from :func:`compare`'s arguments (xi_max None: the
    target's spectrum top, max κ + 5/w)."""
    times = snapshot_times(eta, steps, n_snapshots)
    L = v.positive("half_width", half_width)
    n_points = v.positive_int("n_points", n_points)
    kappa, xi_max, xi = frequency_setup(y_fn, xi_max, n_xi, 1)
    check_data_grid(y_fn, L, n_points, xi_max)
    x, dx = midpoint_grid(L, n_points, 1)
    return ComparisonGrids(times, L, kappa, xi_max, xi, x, dx, y_fn(x))


def kernel_route(rho, sigma_a, part, x, u0, eta, times, check_eta: bool = True, weights=None):
    """Exact flow, discrete GD map and the stability limit 2/λ_max(Θ(X, X)/N) from the
    closed-form NTK (Θ diag(q) with loss ``weights`` q); with ``check_eta`` refuses η at or
    above that limit before any flow."""
    op = kernel_operator(rho, sigma_a, part, x, weights)  # FFT + Lanczos on a uniform grid
    max_eta = op.stability_limit
    if check_eta and eta >= max_eta:
        raise ValueError(
            f"eta = {eta!r} is above the gradient-descent stability limit 2/λ_max(Θ(X, X)/N) = "
            f"{max_eta:.6g} of the NTK for rho = {rho!r} on {len(x)} points (sigma_a = "
            f"{sigma_a}); use eta < {max_eta:.6g}"
        )
    return op.flow(u0, times), op.gd(u0, eta, snapshot_steps(times, eta)), max_eta


def nn_route(rho, sigma_a, width, part, x, y, eta, times, key, dtype, optimizer, progress,
             weights=None):
    """Train the FF-NN of width m from its doubling initialisation (f₀ ≡ 0)."""
    net = ff_network(rho, sigma_a, width, part, dtype=DTYPES[dtype])
    label = f"training FF-NN m={width}, ρ_w = {rho!r}"
    return train(net, net.init(key), x, y, eta, times, optimizer=optimizer, dtype=dtype,
                 progress=label if progress else False, weights=weights)


def check_pde_options(options) -> dict:
    """The options passed on to :func:`ntk_freq.pde.solve_frequency_pde`: a dict (or None) of
    its keyword options, except ``part`` and ``u0``, which the comparison sets."""
    from .pde import solve_frequency_pde

    if options is None:
        return {}
    if not isinstance(options, dict):
        raise TypeError(f"pde_options must be a dict of solve_frequency_pde options, got {options!r}")
    allowed = [p.name for p in inspect.signature(solve_frequency_pde).parameters.values()
               if p.kind is p.KEYWORD_ONLY and p.name not in ("part", "u0")]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"pde_options: unknown option(s) {unknown}; allowed: {allowed}")
    return dict(options)


def pde_route(rho, sigma_a, part, density, y, times, options, xi_max: float = 0.0):
    """The solution of (E3) with û₀ = −ŷ (closed form) for a constant ``density`` c, or of (E2)
    from u₀ = −y for a data measure (e.g. the training points'
    :class:`ntk_freq.data.PointMeasure`): a callable ξ ↦ û(ξ, t) (V for (E2)), shape (T, K).
    (E2)'s domain Ω covers ρ_w's support and ξ ≤ ``xi_max`` (it has no value outside Ω)."""
    from .pde import solve_frequency_pde
    from .pde.mesh import default_domain

    if isinstance(density, PointMeasure):
        # the (E3) default domain (a heavy tail truncated, with a warning), widened to ξ_max
        R = options.get("domain") or default_domain(rho, options.get("support_tol", 1e-8)).radius
        if R < 1.02 * xi_max:
            options = {**options, "domain": 1.02 * xi_max}
        sol = solve_frequency_pde(rho, sigma_a, density, times=times, part=part,
                                  u0=-y(density.coords), **options)
    else:
        sol = solve_frequency_pde(rho, sigma_a, density, initial_error_hat(y), times, part=part,
                                  **options)
    return lambda xi: sol(xi, times)


def _gaps(u_hat: dict) -> dict:
    ref = u_hat["kernel"]
    return {
        f"{route}_vs_kernel": np.array([relative_l2(a, b) for a, b in zip(u_hat[route], ref)])
        for route in ("pde", "nn", "kernel_gd", "pde_e3") if route in u_hat
    }


class ComparisonSetup(NamedTuple):
    """The validated settings of a comparison and what they determine (no route has run)."""

    dim: int
    rhos: tuple
    rho_list: list
    names: list
    y_fn: object
    sigma_a: float
    width: int
    n_points: int
    model: str
    seed: int
    pde_options: dict
    times: np.ndarray
    L: float
    kappa: np.ndarray
    xi_max: float
    xi: np.ndarray
    measure: object


def comparison_setup(rhos, target, sigma_a, width, eta, steps, n_snapshots, half_width,
                     n_points, xi_max, n_xi, seed, part, dtype, pde_options, data, data_layout,
                     model, dim) -> ComparisonSetup:
    """Every check :func:`compare` makes before its first route (arguments as there): ValueError,
    TypeError or MemoryError on a bad value, else the parsed settings. Cheap (no kernel, PDE or
    network), so a sweep checks all its points with it first."""
    dim = check_dim(dim)
    rhos = _rho_items(rhos)
    rho_list, names = parse_rhos(rhos, dim)
    y_fn = parse_windowed_target(target, dim)
    sigma_a = v.std("sigma_a", sigma_a)
    width, n_points = v.positive_int("width", width), v.positive_int("n_points", n_points)
    v.choice("part", part, COMPARE_PARTS)
    v.choice("dtype", dtype, DTYPES)
    model = v.choice("model", model or ("E2" if dim == 1 else "E3"), PDE_MODELS)
    seed = _seed("seed", seed)
    pde_options = check_pde_options(pde_options)
    check_cost(width, n_points**dim, v.positive_int("steps", steps), dim)
    times = snapshot_times(eta, steps, n_snapshots)
    L = v.positive("half_width", half_width)
    kappa, xi_max, xi = frequency_setup(y_fn, xi_max, n_xi, dim)
    measure = training_measure(data, L, n_points, data_layout, dim)
    if data is None:
        check_data_grid(y_fn, L, n_points, xi_max)
    else:
        check_data_cover(y_fn, data_density(data, dim), measure, xi_max)
    return ComparisonSetup(dim, rhos, rho_list, names, y_fn, sigma_a, width, n_points, model,
                           seed, pde_options, times, L, kappa, xi_max, xi, measure)


def compare(rhos=("gaussian:3", "uniform:10"), target="windowed-sines:2,7;width=1.5",
            sigma_a: float = 0.5, width: int = 4096, eta: float = 0.25, steps: int = 600,
            n_snapshots: int = 25, half_width: float = 10.0, n_points: int = 160,
            xi_max: float | None = None, n_xi: int | None = None, seed: int = 0,
            part: str = "full", dtype: str = "float32", optimizer=None,
            pde_options: dict | None = None, progress: bool = True, data=None,
            data_layout: str = "quantiles", model: str | None = None, dim: int = 1) -> Comparison:
    """Run the PDE, the kernel flow (and its GD map) and a trained FF-NN for each ρ_w.

    rhos: spec(s) or distribution(s) on R^d (e.g. "gaussian:3", or "gaussian:3/1" for an
    anisotropic product in d = 2); target: a windowed-sines spec or object on R^d (wave vectors
    written 2/0 in d = 2); sigma_a: readout std σ_a; width: m neurons before doubling (2m in
    all); eta, steps: gradient descent, flow time t = η · step up to η · steps; n_snapshots:
    times compared; half_width L, n_points n: the data grid of D = [−L, L]^d, n points per axis
    (N = n^d); xi_max (default max κ + 5/w per axis), n_xi (nodes per axis; default
    ``DEFAULT_N_XI[d]``): the ξ grid (module docstring); seed: the network's PRNG seed (ρ_w
    number i uses fold_in(seed, i)); part: "full", "readout" or "frequency"; dtype of
    training; optimizer: None (gradient descent) or an optax transformation; pde_options:
    passed to :func:`ntk_freq.pde.solve_frequency_pde`; dim: the input dimension d ∈ {1, 2, 3}.

    data: None (the cell-centred grid of D = [−L, L]^d) or a data density (spec such as
    "pieces:-10,0,10/0.8,0.2", "box:10*gaussian:3" in d = 2, or a
    :class:`ntk_freq.data.DataDensity`) that the points follow by ``data_layout`` "quantiles"
    (positions; per axis for a product density) or "weights" (the grid of D with weights
    q_i ∝ p(x_i) and the weighted loss, the kernel flow exp(−tΘ diag(q)) to match); see
    :func:`ntk_freq.data.training_measure`. Spectra of every route are V = F[u p]/c̄ over the
    training measure (:func:`ntk_freq.data.measured_spectrum`). model: "E2" (the PDE route
    solves (E2) on the training measure; the default in d = 1; in d ≥ 2 its cost is estimated
    and refused beyond memory or ~10 minutes) or "E3" (the local equation with c = c̄; the
    default in d ≥ 2; warns when its gap to the kernel flow exceeds ``E3_WARN_GAP``). (E3) is
    always solved too: route "pde_e3".

    Validates everything, checks η against 2/λ_max(Θ(X, X)/N) and runs the kernel and PDE
    routes (so every PDE option and every ρ_w the PDE refuses is checked) for every ρ_w before
    the first network is trained. Returns a :class:`Comparison`."""
    setup = comparison_setup(rhos, target, sigma_a, width, eta, steps, n_snapshots, half_width,
                             n_points, xi_max, n_xi, seed, part, dtype, pde_options, data,
                             data_layout, model, dim)
    (dim, rhos, rho_list, names, y_fn, sigma_a, width, n_points, model, seed, pde_options, times,
     L, kappa, xi_max, xi, measure) = setup
    x, level = measure.coords, measure.level
    transform = functools.partial(measured_spectrum, measure=measure)
    weights = None if data is None or data_layout == "quantiles" else measure.weights
    y = y_fn(x)

    def spectra(u_hat, remaining, route, u):
        u_hat[route] = transform(u, xi=xi)
        at_kappa = transform(u, xi=kappa)
        remaining[route] = remaining_fraction(at_kappa, at_kappa[0])

    def pde_spectra(u_hat, remaining, route, pde):
        at_kappa = pde(kappa)
        u_hat[route], remaining[route] = pde(xi), remaining_fraction(at_kappa, at_kappa[0])

    # every ρ_w's kernel and PDE routes (so all their input checks) before any network trains
    routes = []
    for rho in rho_list:
        t0 = time.perf_counter()
        u_ker, u_gd, max_eta = kernel_route(rho, sigma_a, part, x, -y, eta, times,
                                            check_eta=optimizer is None, weights=weights)
        seconds = {"kernel": time.perf_counter() - t0}
        u_hat, remaining = {}, {}
        spectra(u_hat, remaining, "kernel", u_ker)
        spectra(u_hat, remaining, "kernel_gd", u_gd)
        t0 = time.perf_counter()
        e3 = pde_route(rho, sigma_a, part, level, y_fn, times, pde_options)
        seconds["pde_e3"] = time.perf_counter() - t0
        pde_spectra(u_hat, remaining, "pde_e3", e3)
        if model == "E2":
            t0 = time.perf_counter()
            e2 = pde_route(rho, sigma_a, part, measure, y_fn, times, pde_options, xi_max)
            seconds["pde"] = seconds["pde_e2"] = time.perf_counter() - t0
            pde_spectra(u_hat, remaining, "pde", e2)
        else:
            u_hat["pde"], remaining["pde"] = u_hat["pde_e3"], remaining["pde_e3"]
            seconds["pde"] = seconds["pde_e3"]
            warn_e3_gap(rho, u_hat["pde"][-1], u_hat["kernel"][-1], dim)
        routes.append((u_hat, remaining, max_eta, seconds))

    key = jax.random.PRNGKey(seed)
    results = []
    for i, (rho, (u_hat, remaining, max_eta, seconds)) in enumerate(zip(rho_list, routes)):
        t0 = time.perf_counter()
        fit = nn_route(rho, sigma_a, width, part, x, y, eta, times, jax.random.fold_in(key, i),
                       dtype, optimizer, progress, weights)
        seconds["nn"] = time.perf_counter() - t0
        spectra(u_hat, remaining, "nn", fit.u)
        results.append(RhoComparison(
            rho=names[i], u_hat=u_hat, remaining=remaining, rel_l2=_gaps(u_hat),
            loss=fit.loss, max_stable_eta=float(max_eta), seconds=seconds,
            regime=getattr(fit, "regime", None),
        ))

    spec = {
        "rhos": [rho_record(r) for r in rhos], "target": _target_spec(y_fn), "sigma_a": sigma_a,
        "width": width, "eta": float(eta), "steps": int(steps), "n_snapshots": int(n_snapshots),
        "half_width": L, "n_points": n_points, "xi_max": xi_max, "n_xi": int(xi.shape[0]),
        "seed": int(seed), "part": part, "dtype": dtype,
        "optimizer": None if optimizer is None else repr(optimizer), "pde_options": pde_options,
        "data": None if data is None else data_density(data, dim).spec, "data_layout": data_layout,
        "model": model, "dim": dim,
    }
    return Comparison(spec=spec, xi=xi, times=times, kappa=kappa,
                      x=x[:, 0] if dim == 1 else x, y=y, results=tuple(results))


def check_cost(width: int, n_points: int, steps: int, dim: int = 1) -> None:
    """Refuse, before any work, a comparison whose network (N × 2m features) would not fit in
    memory, or whose training exceeds the training budget
    (:func:`ntk_freq.training.check_training_cost`, the same estimate as ``train``'s: the
    doubled network's 2m(d + 2) parameters). (The kernel flow's own estimate, O(N) on a
    uniform grid and O(N²) for scattered points, is made by
    :func:`ntk_freq.structured.kernel_operator` before it builds anything.)"""
    from .training import check_training_cost

    v.fits_in_memory(f"training width m = {width} on N = {n_points} points (features and their "
                     "gradients)", 8.0 * 6 * 2 * float(width) * n_points)
    check_training_cost(f"training {steps} steps of width {width} on {n_points} points",
                        2 * width * (dim + 2), n_points, steps,
                        "use fewer steps, a smaller width or fewer points")


def _seed(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < 2**32:
        raise ValueError(f"{name} must be an integer in [0, 2**32), got {value!r}")
    return int(value)


def _target_spec(y: WindowedSines) -> dict:
    return {"frequencies": [list(k) for k in y.frequencies], "width": y.width,
            "amplitudes": list(y.amplitudes), "phases": list(y.phases)}


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


def width_study(rho="gaussian:3", target="windowed-sines:2,7;width=1.5",
                widths=(100, 316, 1000, 3162, 10000), seeds=(0, 1, 2), sigma_a: float = 0.5,
                eta: float = 0.25, steps: int = 200, half_width: float = 10.0,
                n_points: int = 160, n_xi: int | None = None, part: str = "full",
                dtype: str = "float64", progress: bool = True, dim: int = 1) -> WidthStudy:
    """Train FF-NNs of each width (one per seed) and compare them with their infinite-width
    twin, the kernel's gradient-descent map u_{k+1} = (I − η Θ/N) u_k (like for like: no
    time-discretisation gap), on the same data after ``steps`` steps; return the relative L²
    gaps over the ξ grid up to max κ + 5/w (:func:`xi_grid`) and the fitted exponent.
    Arguments as in :func:`compare` (n_points per axis in d ≥ 2)."""
    dim = check_dim(dim)
    items = _rho_items(rho)
    (rho,), (name,) = parse_rhos(items, dim)
    record = rho_record(items[0])
    y_fn = parse_windowed_target(target, dim)
    sigma_a = v.std("sigma_a", sigma_a)
    widths = np.array([v.positive_int("widths", w) for w in widths])
    seeds = [_seed("seeds", s) for s in seeds]
    if len(widths) < 2:
        raise ValueError(f"widths needs at least two widths to fit an exponent, got {widths.tolist()}")
    if not seeds:
        raise ValueError("seeds must hold at least one PRNG seed (an integer >= 0), got none")
    v.choice("part", part, COMPARE_PARTS)
    v.choice("dtype", dtype, DTYPES)
    times = snapshot_times(eta, steps, 2)
    L, n_points = v.positive("half_width", half_width), v.positive_int("n_points", n_points)
    _, xi_max, xi = frequency_setup(y_fn, None, n_xi, dim)
    check_data_grid(y_fn, L, n_points, xi_max)
    check_cost(int(widths.max()), n_points**dim, int(steps) * len(widths) * len(seeds), dim)
    x, dx = midpoint_grid(L, n_points, dim)
    y = y_fn(x)
    _, u_gd, _ = kernel_route(rho, sigma_a, part, x, -y, eta, times)
    ref = fourier_transform(u_gd[-1], x, xi, cell_volume=dx)
    gaps = np.empty((len(widths), len(seeds)))
    for i, m in enumerate(widths):
        for j, s in enumerate(seeds):
            fit = nn_route(rho, sigma_a, int(m), part, x, y, eta, times, jax.random.PRNGKey(s),
                           dtype, None, progress)
            gaps[i, j] = relative_l2(fourier_transform(fit.u[-1], x, xi, cell_volume=dx), ref)
    gap = np.sqrt(np.mean(gaps**2, axis=1))
    exponent, prefactor = fit_power_law(widths, gap)
    spec = {"rho": record, "target": _target_spec(y_fn), "widths": widths.tolist(),
            "seeds": seeds, "sigma_a": sigma_a, "eta": float(eta), "steps": int(steps),
            "half_width": L, "n_points": n_points, "n_xi": xi.shape[0], "part": part, "dtype": dtype,
            "dim": dim}
    return WidthStudy(rho=name, spec=spec, widths=widths, gaps=gaps, gap=gap, exponent=exponent,
                      prefactor=prefactor)
