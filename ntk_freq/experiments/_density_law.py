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
from matplotlib.ticker import NullFormatter

from ntk_freq._util import store
from ntk_freq.plotting import caption, figure, save_figure, styled
from ntk_freq.design import first_passage
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
    interpolation between snapshots (:func:`ntk_freq.design.first_passage`); inf where it is not
    reached by the last time (null in the summaries)."""
    return first_passage(np.asarray(times, dtype=float), np.asarray(remaining, dtype=float), math.exp(-1.0))


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
        "ratio": {route: store.passage_time_json(result["ratio"][route]) for route in ROUTE_LABELS},
        "ratio_at_highest_kappa": {route: store.passage_time_json(result["ratio"][route][-1])
                                   for route in ROUTE_LABELS},
        "ratio_mean_over_kappa": {route: store.passage_time_json(np.mean(result["ratio"][route]))
                                  for route in ROUTE_LABELS},
    }


# --- Basri et al. on the circle: two-layer ReLU, piecewise-constant density ------------------------

CIRCLE = {False: dict(ratios=(2.0, 4.0, 8.0), ks=(4, 6, 8, 12, 16), n_points=512),
          True: dict(ratios=(4.0,), ks=(4, 8, 12), n_points=256)}
#: Packet centres (dense half θ ∈ [0, π), sparse half [π, 2π)) and width (radians).
CIRCLE_CENTRES = {"dense": 0.5 * math.pi, "sparse": 1.5 * math.pi}
CIRCLE_WIDTH = 0.3


def circle_points(n: int, ratio: float) -> np.ndarray:
    """n angles at the quantiles of the density r/(π(r+1)) on [0, π) and 1/(π(r+1)) on [π, 2π)."""
    u = (np.arange(n) + 0.5) / n
    dense_mass = ratio / (ratio + 1)
    return np.where(u < dense_mass, math.pi * u / dense_mass,
                    math.pi + math.pi * (u - dense_mass) / (1 - dense_mass))


def circle_law(quick: bool = False, b_stds=(0.5, 0.0)) -> dict:
    """Local learning times on the circle under the exact kernel flow of the two-layer ReLU NTK
    (bias std 0.5 and 0) on n quantile points of a piecewise-constant density of ratio r (dense
    half θ ∈ [0, π), sparse half [π, 2π)). The target for each even k is a pair of wave packets
    e^{−(θ−θ_c)²/2w²} cos kθ (w = 0.3) at θ_c = π/2 (dense) and 3π/2 (sparse): antipodal, so a
    bias-free network can learn it too. Each region's e-folding time is that of the error's norm
    over |θ − θ_c| < 3w, fitted as t ∝ k^a p^(−b) (p the local density).

    Two laws: the local one, t ≈ 1/(2π p(θ) λ_k) (λ_k the uniform-circle eigenvalue by
    Funk–Hecke), which a bias makes hold (a ≈ 2, c ≈ −1); and without a bias, where the kernel is
    even under x → −x on even frequencies, the antipodal mean t ≈ 1/(π (p(θ) + p(θ+π)) λ_k): on
    this density p(θ) + p(θ+π) = 1/π everywhere, so both regions learn alike (c ≈ 0)."""
    from ntk_freq.diagnostics._classics import relu_sphere_spectrum
    from ntk_freq.kernels._closed_form import two_layer_ntk

    cfg = CIRCLE[quick]
    times = np.geomspace(1e-2, 1e7, 400)
    out = {}
    for b_std in b_stds:
        lam = relu_sphere_spectrum(max(cfg["ks"]), b_std)
        rows = []
        for r in cfg["ratios"]:
            theta = circle_points(cfg["n_points"], r)
            X = np.stack([np.cos(theta), np.sin(theta)], axis=-1)
            op = KernelOperator.from_gram(two_layer_ntk(X, X, "relu", b_std=b_std))
            density = {"dense": r / (math.pi * (r + 1)), "sparse": 1 / (math.pi * (r + 1))}
            gaps = {region: np.angle(np.exp(1j * (theta - c))) for region, c in CIRCLE_CENTRES.items()}
            for k in cfg["ks"]:
                y = sum(np.exp(-g**2 / (2 * CIRCLE_WIDTH**2)) for g in gaps.values()) * np.cos(k * theta)
                u = op.flow(-y, times)
                for region, g in gaps.items():
                    window = np.abs(g) < 3 * CIRCLE_WIDTH
                    remaining = np.linalg.norm(u[:, window], axis=1) / np.linalg.norm(y[window])
                    rows.append({"ratio": r, "region": region, "k": k, "p": density[region],
                                 "t_e": store.passage_time_json(e_folding_time(times, remaining[:, None])[0]),
                                 "t_local_law": 1.0 / (2 * math.pi * density[region] * lam[k]),
                                 "t_antipodal_law": 1.0 / (math.pi * sum(density.values()) * lam[k])})
        fit_rows = [row for row in rows if row["t_e"] is not None]
        A = np.stack([np.log([row["k"] for row in fit_rows]), -np.log([row["p"] for row in fit_rows]),
                      np.ones(len(fit_rows))], axis=-1)
        a, b, _ = np.linalg.lstsq(A, np.log([row["t_e"] for row in fit_rows]), rcond=None)[0]
        out[f"b_std={b_std:g}"] = {"rows": rows, "fit": {
            "law": "t ∝ k^k_exponent · p^p_exponent", "k_exponent": float(a), "p_exponent": float(-b)}}
    return out


def reproduce_basri_circle(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """Named experiment ``basri-circle`` (:func:`circle_law`): writes ``basri_circle.json`` and
    ``basri_circle.png`` (e-folding time against k per region and ratio, with the local law).
    Headline per bias: the fitted exponents of k and p, and the sparse/dense time ratios."""
    result = circle_law(quick)
    store.write_json(directory / "basri_circle.json", result)
    _plot_circle(result, directory / "basri_circle.png")
    summary = {}
    for bias, res in result.items():
        ratios = {}
        for row in res["rows"]:
            if row["region"] == "sparse":
                dense = next(d for d in res["rows"] if d["region"] == "dense" and d["k"] == row["k"]
                             and d["ratio"] == row["ratio"])
                ratios[f"r={row['ratio']:g},k={row['k']}"] = (
                    None if None in (row["t_e"], dense["t_e"]) else row["t_e"] / dense["t_e"])
        summary[bias] = {"fit": res["fit"], "sparse_over_dense": ratios}
    return summary


@styled
def _plot_circle(result, path):
    fig, axes = figure(1, len(result))
    for ax, (bias, res) in zip(axes[0], result.items()):
        ratios = sorted({row["ratio"] for row in res["rows"]})
        for i, r in enumerate(ratios):
            for region, marker in (("dense", "o"), ("sparse", "s")):
                rows = [row for row in res["rows"] if row["ratio"] == r and row["region"] == region]
                ks = [row["k"] for row in rows]
                ax.loglog(ks, [np.nan if row["t_e"] is None else row["t_e"] for row in rows], marker, color=f"C{i}", ms=3,
                          label=f"r = {r:g}, {region}: kernel flow")
                ax.loglog(ks, [row["t_local_law"] for row in rows], "-" if region == "dense" else "--",
                          color=f"C{i}", lw=0.8)
                if bias == "b_std=0":
                    ax.loglog(ks, [row["t_antipodal_law"] for row in rows], ":", color="0.3", lw=0.8)
        fit = res["fit"]
        ax.set(xlabel="frequency k", ylabel="e-folding time of the packet",
               title=f"two-layer ReLU NTK, {bias}: t ∝ k^{fit['k_exponent']:.2f} p^{fit['p_exponent']:.2f}")
        ks = sorted({row["k"] for row in res["rows"]})
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.legend(fontsize=5.5)
    caption(fig, "Lines: the local law 1/(2π p λ_k) (solid: dense, dashed: sparse); dotted: the antipodal "
                 "law 1/(π (p(θ) + p(θ+π)) λ_k) that holds without a bias (odd k ≥ 3 are then never learned).")
    return save_figure(fig, path)
