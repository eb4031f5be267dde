"""Paper figures: the named experiments of ``ntk-freq reproduce`` beyond "default" (registered in
:mod:`ntk_freq.reproduce`), in one publication style.

- ``rho-gallery``: per-frequency learning times under five ρ_w (Gaussian, uniform, Laplace,
  Cauchy, a band-pass mixture) from the PDE (E3), the kernel flow and a trained FF-NN;
- ``sigma-a``: the effect of σ_a, the diffusion D = c 2π σ_a² ρ̄_w of (E3), on the learning
  curves (a sweep over σ_a; σ_a = 0 is docs/theory.md's exact special case 1);
- ``width-convergence``: the network-vs-kernel gap against width m (theory m^{−1/2});
- ``design``: an initialisation designed to reverse the spectral bias, against its baselines.

Each ``run(directory, quick, progress)`` writes its figures as PNG and PDF and the data behind
them (netCDF, :func:`ntk_freq.open_results`; npz/csv where a figure is not a comparison) and
returns a JSON-ready summary of headline numbers. Figures are in the package's one style
(:mod:`ntk_freq.plotting`: paper widths, 8-pt text, Okabe–Ito palette, caption line). Conventions (docs/theory.md): angular ξ, flow time
t = η · step, data density c = 1/|D|.

Learning time τ_ε(ξ): the first t with |û(ξ, t)| ≤ ε |û(ξ, 0)| (log-linear between snapshots,
:func:`ntk_freq.design.first_passage`); here ε = 1/2, the half-life, so that the slow Gaussian
frequencies are reached within the run; inf (not drawn; null in summaries) where not reached.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ntk_freq._util import store
from ntk_freq._util import validation as v
from ntk_freq._util.labels import kappa_key
from ntk_freq.comparison._results import write_dataset

LEVEL = 0.5
#: The routes a figure shows and a summary reports (kernel_gd is the kernel flow's twin).
ROUTES_SHOWN = ("pde", "kernel", "nn")


def learning_time(u_hat, times, level: float = LEVEL) -> np.ndarray:
    """τ(ξ) from spectra u_hat (T, K) at ``times``: the first t with |û(ξ, t)| ≤ level ·
    |û(ξ, 0)| (inf where not reached; NaN where û(ξ, 0) = 0)."""
    from ntk_freq.design._design import first_passage

    a = np.abs(np.asarray(u_hat))
    if a.ndim != 2:
        raise ValueError(f"u_hat must be spectra of shape (T, K), got shape {a.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        fractions = a / a[0]
    return np.where(a[0] > 0, first_passage(np.asarray(times), fractions, level), np.nan)


def _times_at(ds, route: str, rho: str, xi, level: float = LEVEL) -> np.ndarray:
    """Learning times of ``route`` for ``rho`` at the frequencies ``xi`` (nearest on the grid)."""
    sel = ds.u_hat.sel(rho=rho, route=route).sel(xi=xi, method="nearest")
    return learning_time(sel.values, ds.time.values, level)


# --- rho-gallery ---------------------------------------------------------------------------------

GALLERY_RHOS = ("gaussian:3", "uniform:10", "laplace:2", "cauchy:1",
                "0.5*gaussian:1@2+0.5*gaussian:1@7")
GALLERY = dict(target="windowed-sines:2,7;width=1.5", sigma_a=0.5, eta=0.5, half_width=10.0,
               n_points=160, seed=0, part="full", dtype="float32")
GALLERY_SIZES = {False: dict(width=4096, steps=800, n_snapshots=41, n_xi=121),
                 True: dict(width=256, steps=600, n_snapshots=21, n_xi=41)}


def gallery_settings(quick: bool = False) -> dict:
    return {"rhos": list(GALLERY_RHOS), **GALLERY, **GALLERY_SIZES[v.choice("quick", quick, GALLERY_SIZES)]}


def plot_half_lives(ds, directory: Path, stem: str = "half_lives", *, level: float = LEVEL) -> Path:
    """For a comparison's Dataset (:func:`ntk_freq.open_results` of any run): τ_level(ξ) over
    the target's band (where |û(ξ, 0)| ≥ 1 % of its peak), one panel per ρ_w, the three routes
    and the frozen-W reference ln(1/level)/(c 2π ρ̄_w(ξ)); PNG and PDF in ``directory``."""
    from ntk_freq.plotting import _style as plotting

    return plotting.styled(_draw_half_lives)(ds, Path(directory) / f"{stem}.png", level)


def _draw_half_lives(ds, path: Path, level: float) -> Path:
    from ntk_freq.plotting import _style as plotting
    from ntk_freq.distributions._spec import distribution

    c = 1.0 / (2 * float(ds.half_width))
    u0 = np.abs(ds.u_hat.isel(time=0).sel(route="kernel").values)
    fig, axes = plotting.figure(1, ds.sizes["rho"], width=plotting.FULL, height=2.6, sharey=True)
    for ax, rho, u0_rho in zip(axes[0], ds.rho.values, u0):
        xi = ds.xi.values[u0_rho >= 1e-2 * u0_rho.max()]
        for k, (route, style) in enumerate(plotting.ROUTE_STYLES.items()):
            ax.semilogy(xi, _times_at(ds, route, rho, xi, level), color=plotting.PALETTE[k],
                        **{**style, "markevery": None})
        frozen = np.log(1 / level) / (c * 2 * np.pi * distribution(str(rho), 1).pdf(xi))
        ax.semilogy(xi, frozen, color=plotting.REFERENCE, lw=0.8, ls=":",
                    label="frozen W, no diffusion")
        ax.set_title(plotting.rho_label(str(rho)).replace("+", "+\n"), fontsize=7)
        ax.set_xlabel("angular frequency ξ")
        ax.set_ylim(1, 3 * ds.time.values[-1])
    axes[0, 0].set_ylabel(rf"$\tau_{{{level:g}}}(\xi)$: first t with $|\hat u| \leq {level:g}|\hat u_0|$")
    axes[0, 0].legend(fontsize=6)
    plotting.caption(fig, f"t = η·step; σ_a = {float(ds.sigma_a):g}, m = {int(ds.width)}, "
                          f"c = 1/{2 * float(ds.half_width):g}, η = {float(ds.eta):g}")
    return plotting.save_figure(fig, path)


def half_lives_at_kappa(ds, rho: str, route: str, level: float = LEVEL) -> np.ndarray:
    """τ_level(κ) at the target's wave vectors κ themselves (not the nearest ξ node): the first
    passage of the remaining fraction |û(κ, t)|/|û(κ, 0)|, which every route computes at κ
    exactly; inf where not reached by the last time."""
    from ntk_freq.design._design import first_passage

    return first_passage(ds.time.values, ds.remaining.sel(rho=rho, route=route).values, level)


def rho_gallery(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """``rho-gallery``: τ_{1/2}(ξ) over the target's band for each ρ_w, three routes, with the
    frozen-W reference ln 2/(c 2π ρ̄_w(ξ)) (no diffusion); data in ``results.nc``. Summary:
    per ρ_w the half-lives at the target's frequencies κ per route (flow time t = η · step;
    null where not reached by ``t_max``) and the kernel's ratio τ(max κ)/τ(min κ)."""
    from ntk_freq.comparison._compare import compare_settings

    cmp = compare_settings(gallery_settings(quick), progress=progress)
    ds = cmp.to_dataset()
    write_dataset(directory / "results.nc", ds)
    plot_half_lives(ds, directory, "rho_gallery")
    summary = {}
    for rho in ds.rho.values:
        tau = {route: half_lives_at_kappa(ds, str(rho), route) for route in ROUTES_SHOWN}
        summary[str(rho)] = {
            "half_life": {route: {kappa_key(k): store.passage_time_json(t) for k, t in zip(cmp.kappa, times)}
                          for route, times in tau.items()},
            "half_life_ratio_kernel": store.passage_time_json(tau["kernel"][-1] / tau["kernel"][0]),
        }
    return {"level": LEVEL, "time_unit": "flow time t = eta * step", "t_max": float(ds.time[-1]),
            "rho": summary, "spec": cmp.spec}


# --- sigma-a -------------------------------------------------------------------------------------

SIGMA_A = (0.0, 0.5, 1.0, 1.5)


def sigma_a_config(quick: bool = False) -> dict:
    """The sweep over σ_a (a config of :func:`ntk_freq.experiments.parse_config`)."""
    sizes = dict(width=256, steps=700, n_snapshots=15, n_xi=41) if quick else \
        dict(width=4096, steps=1400, n_snapshots=29, n_xi=121)
    # η = 0.15 stays below the stability limit 2/λ_max(Θ/N) ≈ 0.28 at σ_a = 1.5 (and that of
    # a network of width 256, which fluctuates about it)
    return {"experiment": "default",
            "fixed": {"rhos": ["gaussian:3"], "eta": 0.15, **sizes},
            "grid": {"sigma_a": list(SIGMA_A)}}


def plot_remaining_along(ds, dim: str, directory: Path, *, stem: str) -> Path:
    """For a sweep's Dataset with one varied dimension ``dim`` (and one ρ_w): the remaining
    fraction |û(κ, t)|/|û(κ, 0)| against t, one panel per target frequency κ, one colour per
    value of ``dim``, the three routes; PNG and PDF in ``directory``."""
    from ntk_freq.plotting import _style as plotting

    return plotting.styled(_draw_remaining_along)(ds.isel(rho=0), dim, Path(directory) / f"{stem}.png")


def _draw_remaining_along(ds, dim: str, path: Path) -> Path:
    from ntk_freq.plotting import _style as plotting

    symbol = {"sigma_a": "σ_a", "width": "m", "eta": "η"}.get(dim, dim)
    fig, axes = plotting.figure(1, ds.sizes["kappa"], width=plotting.FULL, height=2.8, sharey=True)
    for ax, kappa in zip(axes[0], ds.kappa.values):
        for k, value in enumerate(ds[dim].values):
            for route, style in plotting.ROUTE_STYLES.items():
                ax.semilogy(ds.time, ds.remaining.sel({dim: value, "route": route, "kappa": kappa}),
                            color=plotting.PALETTE[k % len(plotting.PALETTE)],
                            **{**style, "label": f"{symbol} = {value:g}" if route == "kernel" else None})
        ax.set_title(f"κ = {kappa:g}, {plotting.rho_label(str(ds.rho.item()))}")
        ax.set_xlabel("flow time t = η · step")
    for route, style in plotting.ROUTE_STYLES.items():
        axes[0, -1].plot([], [], color="0.3", **style)
    axes[0, 0].set_ylabel(r"remaining $|\hat u(\kappa,t)|/|\hat u(\kappa,0)|$")
    axes[0, -1].legend(fontsize=6, ncol=2)
    plotting.caption(fig, f"m = {int(ds.width)}, η = {float(ds.eta):g}, c = "
                          f"1/{2 * float(ds.half_width):g}; colour = {symbol}")
    return plotting.save_figure(fig, path)


def sigma_a_effect(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """``sigma-a``: remaining fractions at the target frequencies against t for each σ_a (PDE,
    kernel flow, network), from a serial sweep stored in ``directory/sweep`` (its combined
    ``results.nc`` is the data). Summary: the remaining fractions at the final time."""
    from ntk_freq.experiments._sweep import parse_config, run_sweep

    result = run_sweep(parse_config(sigma_a_config(quick)), directory / "sweep", serial=True,
                       progress=progress)
    plot_remaining_along(result.dataset, "sigma_a", directory, stem="sigma_a")
    ds = result.dataset.isel(rho=0)
    final = ds.remaining.isel(time=-1)
    return {"rho": str(ds.rho.item()), "t_final": float(ds.time[-1]),
            "remaining_final": {f"sigma_a={s:g}": {route: {f"xi={k:g}": float(final.sel(
                sigma_a=s, route=route, kappa=k)) for k in ds.kappa.values}
                for route in ROUTES_SHOWN} for s in ds.sigma_a.values}}


# --- width-convergence ---------------------------------------------------------------------------

def width_settings(quick: bool = False) -> dict:
    if quick:
        return dict(rho="uniform:10", widths=(64, 256, 1024), seeds=(0, 1), steps=100)
    return dict(rho="uniform:10", widths=(100, 316, 1000, 3162, 10000), seeds=(0, 1, 2), steps=200)


def width_problem(settings: dict):
    """(the problem, widths, seeds) of :func:`width_settings`: FF-NN with σ_a = 0.5 trained in
    float64 by η = 0.25 on the default grid and target."""
    from ntk_freq.problem import Problem

    s = dict(settings)
    widths, seeds = s.pop("widths"), s.pop("seeds")
    return Problem.from_settings(**s, dtype="float64", n_snapshots=2), widths, seeds


def width_convergence(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """``width-convergence``: :func:`ntk_freq.comparison.width_study` (network vs the kernel's GD
    map after the same steps) with the fitted exponent; data in ``width_study.npz``."""
    from ntk_freq.comparison._compare import width_study
    from ntk_freq.experiments._run import WIDTH_STUDY_REFERENCE
    from ntk_freq.plotting._style import plot_width_study

    problem, widths, seeds = width_problem(width_settings(quick))
    study = width_study(problem, widths=widths, seeds=seeds, progress=progress)
    store.write_results(directory / "width_study.npz",
                        {"widths": study.widths, "nn_vs_kernel_gd_rel_l2": study.gaps,
                         "nn_vs_kernel_gd_rel_l2_rms": study.gap},
                        {"spec": study.spec, "exponent": study.exponent, "prefactor": study.prefactor})
    plot_width_study(study.widths, study.gaps, study.exponent, prefactor=study.prefactor,
                     path=directory / "width_convergence.png", title=study.rho,
                     note=f"network vs kernel GD map after {study.spec['steps']} steps")
    return {"rho": study.rho, "widths": study.widths.tolist(), "reference": WIDTH_STUDY_REFERENCE,
            "nn_vs_kernel_gd_rel_l2_rms": study.gap.tolist(),
            "exponent": study.exponent, "prefactor": study.prefactor}


# --- design --------------------------------------------------------------------------------------

def _baseline_scale(rho) -> float | None:
    """A baseline's scale parameter (Gaussian s, uniform half-width B), for the records."""
    for name in ("scale", "half_width", "radius"):
        if hasattr(rho, name):
            return float(getattr(rho, name))
    return None


def design_demo(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """``design``: ρ_w designed (under (E3), σ_a = 3, c = 1/20) for rates ∝ 1 + 3|ξ|/8 on
    |ξ| ≤ 8, which reverses the spectral bias, against a Gaussian and a uniform baseline; data
    in ``rho.npz`` and ``times.csv``."""
    from ntk_freq.design._design import RateProfile, design_rho
    from ntk_freq.plotting._style import plot_design

    d = design_rho(RateProfile(lambda k: 1 + 3 * k / 8, (0, 8), absolute=False), sigma_a=3.0,
                   density=1 / 20, n_points=301 if quick else 1001)
    d.save(directory / "rho.npz")
    table = d.table(d.xi.size)
    store.atomic_write(directory / "times.csv", lambda f: np.savetxt(
        f, table, delimiter=",", header="abs_xi,wanted,designed,gaussian,uniform", comments=""))
    plot_design(d, directory / "design.png", note="rates ∝ 1 + 3|ξ|/8 on |ξ| ≤ 8, σ_a = 3, c = 1/20")
    lo, hi = (d.xi.argmin(), d.xi.argmax())
    ratio = {name: store.passage_time_json(d.times[name][hi] / d.times[name][lo]) for name in d.times}
    return {"iterations": d.iterations, "residual": float(d.residual),
            "epsilon": float(d.epsilon), "wanted_rescaled_to_achieved": True,
            "baseline_scales": {name: _baseline_scale(b) for name, b in d.baselines.items()},
            "time_ratio_top_to_bottom": {**ratio, "wanted": float(d.wanted[hi] / d.wanted[lo])},
            "worst_time": {name: store.passage_time_json(d.worst_time(name)) for name in d.times}}

