"""The three-way comparison (:mod:`ntk_freq.compare`) for deep Fourier-feature networks, d = 1.

Routes, on compare's data grid and ξ grid and at the flow times t = η · step:

- ``pde``: (E3) with the effective densities ρ_α, ρ_D (:func:`ntk_freq.deep.effective_densities`,
  :func:`ntk_freq.deep.solve_deep_frequency_pde`) from û₀ = −ŷ;
- ``kernel`` / ``kernel_gd``: the exact flow and the GD map of the deep NTK
  (:func:`ntk_freq.deep.ff_mlp_ntk`) on the data;
- ``nn``: :func:`ntk_freq.models.ff_mlp_network` trained by full-batch gradient descent.

Returns compare's :class:`ntk_freq.compare.Comparison` (its ``spec`` adds the network).
"""

from __future__ import annotations

import time

import jax
import numpy as np

from . import _validation as v
from .compare import (COMPARE_PARTS, Comparison, RhoComparison, _gaps, _seed, _target_spec,
                      check_pde_options, comparison_grids, parse_rhos, parse_windowed_target,
                      rho_record)
from .deep import _check_mlp, effective_densities, ff_mlp_ntk, solve_deep_frequency_pde
from .fourier import remaining_fraction
from .models import ff_mlp_network
from .targets import initial_error_hat
from .training import DTYPES, KernelOperator, snapshot_steps, train

#: Effective densities are tabulated on [−XI_REACH·R, XI_REACH·R], R = ρ_w's radius at 1e-8.
XI_REACH = 6.0
N_XI_TABLE = 4001


def compare_deep(rho="gaussian:3", target="windowed-sines:2,7;width=1.5", hidden=(512,),
                 activation: str = "erf", w_std: float = 1.0, b_std: float = 0.0,
                 train_frequencies: bool = True, width: int = 512, eta: float = 0.25,
                 steps: int = 600, n_snapshots: int = 25, half_width: float = 10.0,
                 n_points: int = 160, xi_max: float | None = None, n_xi: int = 241,
                 seed: int = 0, dtype: str = "float32", routes=("pde", "kernel", "nn"),
                 pde_options: dict | None = None, progress: bool = True) -> Comparison:
    """PDE with effective densities vs the deep kernel flow vs a trained deep FF-NN.

    Network keywords as :func:`ntk_freq.models.ff_mlp_network` (``width`` m features, ``hidden``
    widths); the rest as :func:`ntk_freq.compare.compare`. ``routes``: which of "pde", "nn" to
    run besides the kernel (always run: it is the reference). Every input is checked, and η
    against 2/λ_max(Θ/N) of the deep kernel, before the PDE or any training."""
    (rho_1,), (name,) = parse_rhos([rho])
    y_fn = parse_windowed_target(target)
    n_hidden, activation, w_std, b_std = _check_mlp(hidden, activation, w_std, b_std)
    width, n_points = v.positive_int("width", width), v.positive_int("n_points", n_points)
    v.choice("dtype", dtype, DTYPES)
    seed = _seed("seed", seed)
    unknown = set(routes) - {"pde", "kernel", "nn"}
    if unknown:
        raise ValueError(f"routes must be among ['kernel', 'nn', 'pde'], got {sorted(unknown)}")
    pde_options = check_pde_options(pde_options)
    g = comparison_grids(y_fn, eta, steps, n_snapshots, half_width, n_points, xi_max, n_xi)
    times, x, y = g.times, g.x, g.y
    net_kw = dict(hidden=tuple(hidden), activation=activation, w_std=w_std, b_std=b_std,
                  train_frequencies=bool(train_frequencies))

    t0 = time.perf_counter()
    op = KernelOperator.from_gram(ff_mlp_ntk(x, x, rho_1, **net_kw))
    if eta >= op.stability_limit:
        raise ValueError(f"eta = {eta!r} is above the gradient-descent stability limit "
                         f"2/λ_max(Θ(X, X)/N) = {op.stability_limit:.6g} of the deep NTK; use "
                         f"eta < {op.stability_limit:.6g}")
    u_hat, remaining = {}, {}

    def spectra(route, u):
        u_hat[route], remaining[route] = g.spectra(u)

    spectra("kernel", op.flow(-y, times))
    spectra("kernel_gd", op.gd(-y, eta, snapshot_steps(times, eta)))
    seconds = {"kernel": time.perf_counter() - t0}
    extra = {}
    if "pde" in routes:
        t0 = time.perf_counter()
        reach = XI_REACH * rho_1.support_radius(1e-8)
        eff = effective_densities(rho_1, np.linspace(-reach, reach, N_XI_TABLE), **net_kw)
        sol = solve_deep_frequency_pde(eff, 1.0 / (2 * g.L), initial_error_hat(y_fn), times,
                                       **pde_options)
        u_hat["pde"] = sol(g.xi, times)
        at_kappa = sol(g.kappa, times)
        remaining["pde"] = remaining_fraction(at_kappa, at_kappa[0])
        seconds["pde"] = time.perf_counter() - t0
        extra = {"atom": eff.atom, "captured": eff.captured(), "density_error": eff.error}
    loss, regime = np.zeros(0), None
    if "nn" in routes:
        t0 = time.perf_counter()
        net = ff_mlp_network(rho_1, width, dtype=DTYPES[dtype], **net_kw)
        fit = train(net, net.init(jax.random.PRNGKey(seed)), x, y, eta, times, dtype=dtype,
                    progress=progress)
        spectra("nn", fit.u)
        loss, seconds["nn"], regime = fit.loss, time.perf_counter() - t0, fit.regime
    for route in ("pde", "nn"):  # a route not run is reported as NaN, never as a fake value
        if route not in u_hat:
            u_hat[route] = np.full_like(u_hat["kernel"], np.nan)
            remaining[route] = np.full_like(remaining["kernel"], np.nan)
    result = RhoComparison(rho=name, u_hat=u_hat, remaining=remaining, rel_l2=_gaps(u_hat),
                           loss=loss, max_stable_eta=float(op.stability_limit), seconds=seconds,
                           regime=regime)
    spec = {"rho": rho_record(rho), "target": _target_spec(y_fn), **net_kw, "width": width,
            "eta": float(eta), "steps": int(steps), "n_snapshots": int(n_snapshots),
            "half_width": g.L, "n_points": n_points, "xi_max": g.xi_max, "n_xi": int(n_xi),
            "seed": seed, "dtype": dtype, "routes": sorted(set(routes) | {"kernel"}),
            "pde_options": pde_options, "effective_densities": extra, "part": COMPARE_PARTS[0]
            if train_frequencies else COMPARE_PARTS[1], "n_hidden": n_hidden}
    return Comparison(spec=spec, xi=g.xi, times=times, kappa=g.kappa, x=x[:, 0], y=y,
                      results=(result,))
