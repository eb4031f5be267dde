"""Figures (matplotlib, Agg backend: no display needed). Each function takes result arrays,
draws one figure and writes it atomically with :func:`save_figure`."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def save_figure(fig, path) -> Path:
    """Write ``fig`` to ``path`` through a temporary name (never a half-written file), close it."""
    from .store import atomic_write

    path = Path(path)
    try:
        return atomic_write(path, lambda f: fig.savefig(f, format=path.suffix.lstrip("."),
                                                        dpi=130, bbox_inches="tight"))
    finally:
        plt.close(fig)


def plot_spectrum(frequency, eigenvalue, fit, path, xlabel: str = "angular frequency |ξ|",
                  title: str = ""):
    """Eigenvalue against frequency on log–log axes, with the fitted decay law (a
    :class:`ntk_freq.spectra.DecayFit`, or None) drawn over it."""
    import numpy as np

    f, lam = np.asarray(frequency, float), np.asarray(eigenvalue, float)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    pos = (f > 0) & (lam > 1e-12 * lam.max())
    ax.loglog(f[pos], lam[pos], "o", ms=4, label="eigenvalues")
    if np.any((f > 0) & ~pos):
        ax.plot([], [], " ", label=f"{np.sum((f > 0) & ~pos)} numerically zero (not shown)")
    if fit is not None:
        grid = np.geomspace(f[pos].min(), f[pos].max(), 200)
        law = (rf"$\lambda \propto f^{{{fit.exponent:.2f}}}$" if fit.law == "power"
               else rf"$\lambda \propto \exp(-{fit.rate:.3g}\, f^{{{fit.q:g}}})$")
        ax.loglog(grid, fit(grid), "-", lw=1.5, label=f"fit: {law}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("eigenvalue λ")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return save_figure(fig, path)


# --- trained networks against theory (compare, experiments) ----------------------------------

ROUTE_STYLES = {
    "kernel": dict(ls="-", lw=1.8, label="kernel flow"),
    "pde": dict(ls="--", lw=1.8, label="PDE"),
    "nn": dict(ls="none", marker="o", ms=4, label="trained FF-NN"),
}


def plot_learning_curves(times, kappa, panels, path):
    """Per-frequency learning curves: for each ρ_w (one column) the remaining fraction
    |û(κ, t)|/|û(κ, 0)| at each target frequency κ from every route (top), and the relative L²
    gaps over ξ to the kernel flow (bottom). ``panels``: (title, remaining, rel_l2) per ρ_w with
    remaining[route] of shape (T, n_κ) and rel_l2[name] of shape (T,)."""
    import numpy as np

    n = len(panels)
    fig, axes = plt.subplots(2, n, figsize=(5 * n, 6.5), squeeze=False, sharex=True,
                             gridspec_kw={"height_ratios": [2, 1]})
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for j, (title, remaining, rel_l2) in enumerate(panels):
        ax = axes[0, j]
        for k, kap in enumerate(kappa):
            for route, style in ROUTE_STYLES.items():
                label = f"{style['label']}, ξ = {kap:g}"
                ax.semilogy(times, remaining[route][:, k], color=colors[k % len(colors)],
                            **{**style, "label": label})
        ax.set_title(title, fontsize=9)
        ax.set_ylabel("remaining fraction |û(κ,t)| / |û(κ,0)|")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
        ax = axes[1, j]
        for name, gap in rel_l2.items():
            ax.semilogy(times[1:], np.maximum(gap[1:], 1e-16), label=name.replace("_", " "))
        ax.set_xlabel("flow time t = η · step")
        ax.set_ylabel("relative L² gap over ξ")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_spectrum_heatmaps(times, xi, rows, path, routes=("pde", "kernel", "nn")):
    """|û(ξ, t)| side by side: one row per ρ_w, one column per route, a shared colour scale per
    row. ``rows``: (title, u_hat) with u_hat[route] of shape (T, K) on the grid ``xi``."""
    import numpy as np

    fig, axes = plt.subplots(len(rows), len(routes), figsize=(4 * len(routes), 3.2 * len(rows)),
                             squeeze=False, sharex=True, sharey=True)
    extent = (float(xi[0]), float(xi[-1]), float(times[0]), float(times[-1]))
    for i, (title, u_hat) in enumerate(rows):
        vmax = max(float(np.abs(u_hat[r]).max()) for r in routes)
        for j, route in enumerate(routes):
            ax = axes[i, j]
            im = ax.imshow(np.abs(u_hat[route]), origin="lower", aspect="auto", extent=extent,
                           vmin=0, vmax=vmax, cmap="viridis", interpolation="nearest")
            ax.set_title(f"{ROUTE_STYLES[route]['label']}\n{title}", fontsize=8)
            if i == len(rows) - 1:
                ax.set_xlabel("angular frequency ξ")
            if j == 0:
                ax.set_ylabel("flow time t")
        fig.colorbar(im, ax=axes[i, :].tolist(), label="|û(ξ, t)|", shrink=0.9)
    return save_figure(fig, path)


def plot_width_study(widths, gaps, exponent, prefactor, path, title=""):
    """Network-vs-kernel gap against width m (one dot per seed, their rms joined) with the
    fitted law prefactor · m^exponent and the theoretical slope −1/2."""
    import numpy as np

    widths, gaps = np.asarray(widths, float), np.asarray(gaps, float)
    rms = np.sqrt(np.mean(gaps**2, axis=1))
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.loglog(np.repeat(widths, gaps.shape[1]), gaps.ravel(), "o", alpha=0.4, ms=4, label="seeds")
    ax.loglog(widths, rms, "s-", label="rms over seeds")
    ax.loglog(widths, prefactor * widths**exponent, "--", label=f"fit: m^{exponent:.2f}")
    ax.loglog(widths, rms[0] * (widths / widths[0]) ** -0.5, ":", color="gray", label="theory: m^-1/2")
    ax.set_xlabel("width m (neurons before doubling)")
    ax.set_ylabel("relative L² gap, network vs kernel GD map")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return save_figure(fig, path)


# --- initialisation design ---------------------------------------------------------------------

DESIGN_STYLES = {"designed": dict(ls="-", lw=2.0), "gaussian": dict(ls="--", lw=1.5),
                 "uniform": dict(ls=":", lw=1.5)}


def plot_design(design, path):
    """A :class:`ntk_freq.design.Design`: the designed ρ_w against its baselines (left), the
    per-frequency learning times under (E3) with the wanted ones (middle), and the remaining
    fraction |û(ξ,t)|/|û₀| at a few band frequencies (right; colour = frequency, line = ρ_w)."""
    import numpy as np

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    grid = np.linspace(-design.xi.max() * 1.25, design.xi.max() * 1.25, 801)
    rhos = {"designed": design.rho, **design.baselines}
    for name, rho in rhos.items():
        axes[0].plot(grid, rho.pdf(grid), label=name, **DESIGN_STYLES[name])
        axes[1].semilogy(design.xi, design.times[name], label=name, **DESIGN_STYLES[name])
    axes[1].semilogy(design.xi, design.wanted, "k", lw=0.8, alpha=0.6, label="wanted")
    axes[0].set(xlabel="angular frequency ξ", ylabel="ρ_w(ξ)", title="frequency density")
    axes[1].set(xlabel="|ξ| in the band", ylabel=f"time to reach ε = {design.epsilon:.3g}",
                title=f"learning times under (E3), σ_a = {design.sigma_a:g}")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, xi in enumerate(design.curve_xi):
        for name in rhos:
            axes[2].semilogy(design.curve_times, np.maximum(design.curves[name][:, k], 1e-16),
                             color=colors[k % len(colors)], **DESIGN_STYLES[name],
                             label=f"{name}, |ξ| = {xi:.3g}" if name == "designed" else None)
    axes[2].axhline(design.epsilon, color="gray", lw=0.8)
    axes[2].set(xlabel="flow time t = η · step", ylabel="|û(ξ,t)| / |û(ξ,0)|",
                title="learning curves (solid designed, -- Gaussian, : uniform)",
                ylim=(min(design.epsilon, 1) / 10, 1.1))
    for ax in axes:
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return save_figure(fig, path)
