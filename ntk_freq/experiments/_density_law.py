"""Basri et al. (2020), "Frequency bias in neural networks for input of non-uniform density", in
the Fourier-feature setting: a frequency is learned at a rate proportional to the local data
density. The named experiment ``basri-density`` (``ntk-freq reproduce basri-density``).

Data: N points laid out with the piecewise-constant density ``pieces:-10,0,10/0.8,0.2`` (4× denser
on [−10, 0] than on [0, 10]; quantile positions, equal weights, the mean loss). Two targets, one
wave packet per region, y_r(x) = Σ_κ e^{−(x − x_r)²/(2w²)} sin(κx) with x_r = −5 (dense) and +5
(sparse), w = 1.5, κ = 1, 3, …, 9 (each packet holds all the frequencies; Δκ = 2 keeps their
spectra apart by e^{−(Δκ w)²/2} ≈ 1 %). Uniform ρ_w on [−12, 12] covers every κ at the same
ρ̄_w, so the frequencies differ only through the data. For each region and κ, the time t_e(κ)
at which |V(κ, t)|/|V(κ, 0)| first falls to e^{−1} (V = F[u p]/c̄ over the training measure,
log-linear interpolation between snapshots) from three routes: (E2) on the training points'
measure, the exact kernel flow and a trained FF-NN (all parameters trained). The density law
predicts t_e(sparse)/t_e(dense) = p(−5)/p(+5) = 4 once the packet and the kernel's range
(~1/B) are small against the regions; the measured ratio against κ is the headline.
"""

from __future__ import annotations

import math
from pathlib import Path

import jax
import numpy as np

from ntk_freq._util import store
from ntk_freq.data._density import data_density, measured_spectrum, training_measure
from ntk_freq.distributions._spec import distribution
from ntk_freq.kernels._closed_form import ff_ntk
from ntk_freq.pde import solve_frequency_pde
from ntk_freq.networks import FourierFeatures
from ntk_freq.kernels._operator import KernelOperator, snapshot_steps
from ntk_freq.training._train import train

DATA = "pieces:-10,0,10/0.8,0.2"
RHO = "uniform:12"
CENTRES = {"dense": -5.0, "sparse": 5.0}
KAPPAS = (1.0, 3.0, 5.0, 7.0, 9.0)
SETTINGS = {
    False: dict(n_points=240, width=4096, eta=0.5, t_max=60.0, n_snapshots=121, sigma_a=0.5),
    True: dict(n_points=200, width=1024, eta=0.5, t_max=60.0, n_snapshots=61, sigma_a=0.5),
}
ROUTE_LABELS = {"e2": "PDE (E2)", "kernel": "kernel flow", "nn": "trained FF-NN"}


def packet(centre: float, width: float = 1.5, kappas=KAPPAS):
    """x ↦ Σ_κ e^{−(x − centre)²/(2w²)} sin(κx) on points (n, 1) or (n,); returns (n,)."""
    def y(x):
        x = np.asarray(x, dtype=float).reshape(-1)
        return np.exp(-((x - centre) ** 2) / (2 * width**2)) * np.sin(np.outer(x, kappas)).sum(1)
    return y


def e_folding_time(times, remaining) -> np.ndarray:
    """First time each column of ``remaining`` (T, K) reaches e^{−1}, by log-linear
    interpolation between snapshots; NaN where it never does."""
    out = np.full(remaining.shape[1], np.nan)
    log_r = np.log(np.maximum(remaining, 1e-300))
    for k in range(remaining.shape[1]):
        below = np.flatnonzero(log_r[:, k] <= -1.0)
        if below.size and below[0] > 0:
            j = below[0]
            a, b = log_r[j - 1, k], log_r[j, k]
            out[k] = times[j - 1] + (times[j] - times[j - 1]) * (a + 1.0) / (a - b)
    return out


def density_law(quick: bool = False, progress: bool = True, seed: int = 0) -> dict:
    """Run the experiment (module docstring): returns times, per route and region the remaining
    fractions (T, K), the e-folding times and their ratio sparse/dense per κ."""
    s = SETTINGS[quick]
    p = data_density(DATA)
    rho = distribution(RHO)
    measure = training_measure(DATA, 10.0, s["n_points"], layout="quantiles")
    x = measure.points[:, None]
    op = KernelOperator.from_gram(ff_ntk(x, x, rho, sigma_a=s["sigma_a"], part="full"))
    if s["eta"] >= op.stability_limit:
        raise ValueError(f"eta = {s['eta']} is above the stability limit {op.stability_limit:.4g}")
    times = s["eta"] * np.unique(np.rint(np.linspace(0, s["t_max"] / s["eta"], s["n_snapshots"])))
    snapshot_steps(times, s["eta"])
    kappa = np.asarray(KAPPAS)
    remaining = {route: {} for route in ROUTE_LABELS}
    net = FourierFeatures(sigma_a=s["sigma_a"], width=s["width"]).finite(rho)
    for i, (region, centre) in enumerate(CENTRES.items()):
        y = packet(centre)(x)

        def fraction(u):
            V = measured_spectrum(u, measure, kappa)
            return np.abs(V) / np.abs(V[0])

        remaining["kernel"][region] = fraction(op.flow(-y, times))
        sol = solve_frequency_pde(rho, s["sigma_a"], measure, times=times, u0=-y, model="E2")
        V = sol(kappa, times)
        remaining["e2"][region] = np.abs(V) / np.abs(V[0])
        key = jax.random.fold_in(jax.random.PRNGKey(seed), i)
        fit = train(net, net.init(key), x, y=y, eta=s["eta"], times=times, dtype="float32",
                    progress=f"training FF-NN m={s['width']}, ρ_w = {rho!r}" if progress else False)
        remaining["nn"][region] = fraction(fit.u)
    t_e = {route: {r: e_folding_time(times, remaining[route][r]) for r in CENTRES}
           for route in ROUTE_LABELS}
    ratio = {route: t_e[route]["sparse"] / t_e[route]["dense"] for route in ROUTE_LABELS}
    density_ratio = float(p.pdf(np.array([CENTRES["dense"]]))[0]
                          / p.pdf(np.array([CENTRES["sparse"]]))[0])
    return dict(times=times, kappa=kappa, remaining=remaining, t_e=t_e, ratio=ratio,
                density_ratio=density_ratio, settings=s, eta_limit=op.stability_limit)


def plot_density_law(result: dict, directory: Path) -> list:
    """Left: remaining fraction at each κ against t, dense (solid) and sparse (dashed) regions,
    kernel flow (lines) and trained FF-NN (markers). Right: t_e(sparse)/t_e(dense) against κ
    from the three routes, with the density ratio. Written as PNG and PDF."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times, kappa = result["times"], result["kappa"]
    colors = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9"]  # Okabe–Ito
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
    for k, kap in enumerate(kappa):
        for region, ls in (("dense", "-"), ("sparse", "--")):
            ax.semilogy(times, result["remaining"]["kernel"][region][:, k], ls=ls,
                        color=colors[k % 6], label=f"κ = {kap:g}, {region}" if region == "dense"
                        or k == 0 else None)
            ax.semilogy(times[::8], result["remaining"]["nn"][region][::8, k], ls="none",
                        marker="o" if region == "dense" else "s", ms=3, color=colors[k % 6])
    ax.axhline(math.exp(-1), color="grey", lw=0.8)
    ax.set_xlabel("flow time t = η · step")
    ax.set_ylabel("remaining fraction |V(κ,t)| / |V(κ,0)|")
    ax.set_title("dense x ∈ [−10, 0] (solid) vs sparse [0, 10] (dashed);\nlines: kernel flow, "
                 "markers: trained FF-NN", fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(True, which="both", alpha=0.3)
    for (route, label), marker, c in zip(ROUTE_LABELS.items(), ("-", "--", "o"), colors):
        style = dict(ls="none", marker="o", ms=6) if route == "nn" else dict(ls=marker, lw=2)
        bx.plot(kappa, result["ratio"][route], color=c, label=label, **style)
    bx.axhline(result["density_ratio"], color="grey", ls=":", label="density ratio p(−5)/p(5)")
    bx.set_xlabel("angular frequency κ")
    bx.set_ylabel("t_e(sparse) / t_e(dense)")
    bx.set_ylim(0, 1.5 * result["density_ratio"])
    bx.set_title("learning-time ratio (e^{−1} of the error at κ)", fontsize=9)
    bx.legend(fontsize=8)
    bx.grid(True, alpha=0.3)
    fig.tight_layout()
    paths = []
    for suffix in ("png", "pdf"):
        path = Path(directory) / f"density_law.{suffix}"
        store.atomic_write(path, lambda f: fig.savefig(f, format=suffix, dpi=130,
                                                       bbox_inches="tight"))
        paths.append(path)
    plt.close(fig)
    return paths


def reproduce_basri_density(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """The registered experiment "basri-density": figure ``density_law.png``/``.pdf`` and
    ``density_law.npz`` in ``directory``; returns the e-folding-time ratios per route and κ,
    the density ratio, and the ratios at the highest κ and averaged over κ (the headline)."""
    result = density_law(quick=quick, progress=progress)
    plot_density_law(result, directory)
    arrays = {"times": result["times"], "kappa": result["kappa"]}
    for route in ROUTE_LABELS:
        arrays[f"ratio.{route}"] = result["ratio"][route]
        for region in CENTRES:
            arrays[f"remaining.{route}.{region}"] = result["remaining"][route][region]
            arrays[f"t_e.{route}.{region}"] = result["t_e"][route][region]
    store.write_results(Path(directory) / "density_law.npz", arrays,
                        {"settings": result["settings"], "data": DATA, "rho": RHO})
    return {
        "data": DATA, "rho": RHO, "settings": result["settings"],
        "density_ratio": result["density_ratio"], "kappa": result["kappa"].tolist(),
        "ratio": {route: result["ratio"][route].tolist() for route in ROUTE_LABELS},
        "ratio_at_highest_kappa": {route: float(result["ratio"][route][-1])
                                   for route in ROUTE_LABELS},
        "ratio_mean_over_kappa": {route: float(np.nanmean(result["ratio"][route]))
                                  for route in ROUTE_LABELS},
    }
