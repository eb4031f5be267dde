"""Figures, in one style for the whole package (matplotlib, Agg backend: no display needed).

The style: widths of a two-column paper (:data:`COLUMN` 3.4 in, :data:`FULL` 7.0 in), 8-pt
text, the Okabe–Ito colour-blind-safe palette (:data:`PALETTE`), shared axes wherever panels are
compared, logarithmic colour scales for decaying fields, symbols typeset as in docs/theory.md,
and a caption line under every figure with the parameters that produced it. Figures that compare
routes draw the reference (the exact kernel flow) once and the other routes' differences from
it. :func:`save_figure` writes PNG and PDF side by side, atomically.

Each ``plot_*`` function takes result arrays, draws one figure and returns the PNG's path.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

#: Figure widths in inches: one column and the full page of a two-column paper.
COLUMN, FULL = 3.4, 7.0
#: Okabe & Ito's colour-blind-safe palette (black last: it is the reference colour).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
REFERENCE = "#000000"
#: How many decades below its maximum a decaying field is drawn on a log colour scale.
DECADES = 6

STYLE = {
    "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 7,
    "xtick.labelsize": 7, "ytick.labelsize": 7, "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "axes.grid": True, "grid.alpha": 0.3, "grid.linewidth": 0.5, "lines.linewidth": 1.3,
    "legend.frameon": False, "figure.dpi": 150, "savefig.dpi": 200, "image.cmap": "viridis",
    "mathtext.fontset": "dejavusans", "pdf.fonttype": 42,
}

#: Routes of a comparison: the kernel flow is the reference; the others are drawn against it.
ROUTE_STYLES = {
    "kernel": dict(ls="-", lw=1.4, label="kernel flow (E1), exact"),
    "pde": dict(ls=(0, (4, 2)), lw=1.0, marker="+", ms=6, markevery=(2, 4), label="frequency PDE"),
    "nn": dict(ls="none", marker="o", ms=3.5, mfc="none", label="trained FF-NN"),
}
GAP_COLOURS = (PALETTE[4], PALETTE[5], PALETTE[3], PALETTE[1])
GAP_LABELS = {
    "pde_vs_kernel": "PDE − kernel flow",
    "nn_vs_kernel": "FF-NN − kernel flow (finite width)",
    "kernel_gd_vs_kernel": "GD map − kernel flow (finite η)",
    "pde_e3_vs_kernel": "local PDE (E3) − kernel flow",
}


def styled(plot):
    """Draw ``plot`` under the package style (an ``rc_context``: nothing global changes)."""
    import functools

    @functools.wraps(plot)
    def draw(*args, **kwargs):
        with plt.rc_context(STYLE):
            return plot(*args, **kwargs)

    return draw


def figure(nrows: int = 1, ncols: int = 1, width: float = FULL, *, height: float | None = None, **kw):
    """A figure for a :func:`styled` plot: ``plt.subplots`` with ``width`` in inches (:data:`COLUMN`
    or :data:`FULL`) and a height of 2.2 in per row unless given; constrained layout."""
    return plt.subplots(nrows, ncols, figsize=(width, height or 2.2 * nrows + 0.5),
                        layout="constrained", squeeze=False, **kw)


def caption(fig, text: str) -> None:
    """The parameter line under a figure (small, grey, wrapped to the figure's width)."""
    import textwrap

    chars = int(fig.get_figwidth() * 17)
    fig.supxlabel("\n".join(textwrap.wrap(text, chars)), fontsize=6.5, color="0.35", ha="center")


def save_figure(fig, path) -> Path:
    """Write ``fig`` as ``path`` (a .png) and the same name with .pdf, each through a temporary
    name (never a half-written file); close it. Returns the PNG's path."""
    from ntk_freq._util.store import atomic_write

    path = Path(path).with_suffix(".png")
    try:
        for target in (path, path.with_suffix(".pdf")):
            atomic_write(target, lambda f, fmt=target.suffix[1:]: fig.savefig(
                f, format=fmt, bbox_inches="tight"))
    finally:
        plt.close(fig)
    return path


def rho_label(spec) -> str:
    """A reader's name for a ρ_w spec: 'gaussian:3' → 'Gaussian ρ_w, s = 3'."""
    if not isinstance(spec, str):
        return spec.get("class", "ρ_w") + " ρ_w (object)" if isinstance(spec, dict) else str(spec)
    name, _, args = spec.partition(":")
    forms = {
        "gaussian": "Gaussian ρ_w, s = {}", "uniform": "uniform ρ_w on |w| ≤ {}",
        "laplace": "Laplace ρ_w, s = {}", "cauchy": "Cauchy ρ_w, γ = {}",
        "student": "Student-t ρ_w, (ν, s) = ({})",
    }
    if name in forms and args and not any(c in spec for c in "+*@"):
        return forms[name].format(args)
    return f"ρ_w = {spec}"


def _log_floor(values, decades: int = DECADES) -> float:
    top = float(np.max(values))
    return top * 10.0**-decades if top > 0 else 1e-300


# --- spectra -------------------------------------------------------------------------------------

@styled
def plot_spectrum(frequency, eigenvalue, fit, *, path, xlabel: str = "angular frequency |ξ|",
                  title: str = "", note: str = ""):
    """Eigenvalue against frequency with the fitted decay law (a
    :class:`ntk_freq.kernels.DecayFit`, or None): log–log axes for a power law (the zero mode
    is then listed in the legend with its value), semi-log axes for an exponential law (every
    mode drawn). Modes below 1e-12 of the largest are counted in the legend, not drawn."""
    f, lam = np.asarray(frequency, float), np.asarray(eigenvalue, float)
    power = fit is None or fit.law == "power"
    fig, axes = figure(width=COLUMN, height=2.8)
    ax = axes[0, 0]
    shown = lam > 1e-12 * lam.max()
    drawn = shown & (f > 0) if power else shown
    ax.plot(f[drawn], lam[drawn], "o", ms=3, color=PALETTE[0], label="eigenvalues λ")
    ax.set_yscale("log")
    if power:
        ax.set_xscale("log")
        for f0, l0 in zip(f[(f == 0) & shown], lam[(f == 0) & shown]):
            ax.plot([], [], " ", label=f"zero mode λ = {l0:.3g} (not on log axis)")
    if np.any(~shown):
        ax.plot([], [], " ", label=f"{np.sum(~shown)} modes numerically zero (not drawn)")
    if fit is not None:
        lo = fit.f_min if fit.f_min > 0 or not power else f[drawn].min()
        grid = (np.geomspace if power else np.linspace)(max(lo, f[drawn].min()), f[drawn].max(), 200)
        law = (rf"$\lambda \propto f^{{{fit.exponent:.2f}}}$" if fit.law == "power"
               else rf"$\lambda \propto e^{{-{fit.rate:.3g} f^{{{fit.q:g}}}}}$")
        ax.plot(grid, fit(grid), "-", color=PALETTE[1], label=f"fit on f ≥ {lo:.3g}: {law}")
    ax.set(xlabel=xlabel, ylabel="eigenvalue λ (learning rate)", title=title)
    ax.legend()
    if note:
        caption(fig, note)
    return save_figure(fig, path)


# --- trained networks against theory (compare, experiments) --------------------------------------

@styled
def plot_learning_curves(times, kappa, panels, *, path, xi=None, rho_bars=None, note: str = ""):
    """Per-frequency learning, one column per ρ_w, rows sharing their y-axes:

    - top (when ``rho_bars`` is given): ρ̄_w(ξ) on the grid ``xi`` with the target frequencies κ
      marked: the prior mass that sets each frequency's rate;
    - middle: the remaining fraction |û(κ, t)|/|û(κ, 0)| from the kernel flow (solid, the
      reference), the PDE (dashed) and the trained network (circles); colour = κ;
    - bottom: each route's relative L² gap over ξ to the kernel flow.

    ``panels``: (name, remaining, rel_l2) per ρ_w, remaining[route] (T, n_κ), rel_l2[gap] (T,)."""
    n = len(panels)
    with_rho = rho_bars is not None
    rows = 3 if with_rho else 2
    fig, axes = figure(rows, n, width=FULL if n > 1 else COLUMN + 0.6, height=1.9 * rows + 0.9,
                       sharey="row", sharex="none",
                       gridspec_kw={"height_ratios": ([0.8] if with_rho else []) + [2, 1]})
    for j, (name, remaining, rel_l2) in enumerate(panels):
        col = axes[:, j]
        if with_rho:
            ax = col[0]
            ax.plot(xi, rho_bars[j], color=REFERENCE, lw=1.2)
            for k, kap in enumerate(kappa):
                ax.axvline(kap, color=PALETTE[k % 7], lw=1, ls=":")
            ax.set(title=rho_label(name), xlabel="angular frequency ξ", ylim=(0, None))
            if j == 0:
                ax.set_ylabel(r"$\bar\rho_w(\xi)$")
        ax = col[-2]
        for k, kap in enumerate(kappa):
            for route, style in ROUTE_STYLES.items():
                ax.semilogy(times, remaining[route][:, k], color=PALETTE[k % 7],
                            **{**style, "label": None}, zorder=3 if route == "pde" else 2)
        if not with_rho:
            ax.set_title(rho_label(name))
        if j == 0:
            ax.set_ylabel(r"remaining $|\hat u(\kappa,t)|/|\hat u(\kappa,0)|$")
        ax = col[-1]
        for g, (gap, values) in enumerate(rel_l2.items()):
            ax.semilogy(times[1:], np.maximum(values[1:], 1e-16), color=GAP_COLOURS[g % len(GAP_COLOURS)],
                        label=GAP_LABELS.get(gap, gap))
        ax.set_xlabel("flow time t = η · step")
        if j == 0:
            ax.set_ylabel("relative L² gap over ξ")
    handles = [plt.Line2D([], [], color="0.3", **{k: v for k, v in s.items() if k != "label"},
                          label=s["label"]) for s in ROUTE_STYLES.values()]
    from ntk_freq._util.labels import vector_text

    handles += [plt.Line2D([], [], color=PALETTE[k % 7], lw=4, label=f"κ = {vector_text(kap)}")
                for k, kap in enumerate(kappa)]
    axes[-2, -1].legend(handles=handles, loc="lower left", fontsize=6.5)
    axes[-1, -1].legend(loc="best", fontsize=6.5)
    if note:
        caption(fig, note)
    return save_figure(fig, path)


@styled
def plot_spectrum_heatmaps(times, xi, rows, *, path, reference="kernel", others=("pde", "nn"),
                           note: str = ""):
    """|û(ξ, t)| of the reference route (the exact kernel flow) and the other routes'
    differences |û_route − û_reference|, on one logarithmic colour scale per ρ_w spanning
    :data:`DECADES` decades below the reference's maximum. One row per ρ_w; all panels share
    their axes. ``rows``: (name, u_hat) with u_hat[route] of shape (T, K) on the grid ``xi``."""
    cols = 1 + len(others)
    fig, axes = figure(len(rows), cols, width=FULL, height=2.0 * len(rows) + 0.8,
                       sharex=True, sharey=True)
    for i, (name, u_hat) in enumerate(rows):
        ref = np.abs(u_hat[reference])
        norm = LogNorm(vmin=_log_floor(ref), vmax=float(ref.max()))
        fields = [(ref, ROUTE_STYLES[reference]["label"])]
        fields += [(np.abs(u_hat[r] - u_hat[reference]), f"|{ROUTE_STYLES[r]['label']} − kernel flow|")
                   for r in others]
        for j, (field, label) in enumerate(fields):
            ax = axes[i, j]
            mesh = ax.pcolormesh(xi, times, np.clip(field, norm.vmin, None), norm=norm,
                                 shading="gouraud", rasterized=True)
            ax.grid(False)
            ax.set_title(f"{label}\n{rho_label(name)}" if j == 0 else label, fontsize=7)
            if i == len(rows) - 1:
                ax.set_xlabel("angular frequency ξ")
            if j == 0:
                ax.set_ylabel("flow time t = η · step")
        fig.colorbar(mesh, ax=axes[i, :].tolist(), label=r"$|\hat u(\xi,t)|$", shrink=0.9)
    if note:
        caption(fig, note)
    return save_figure(fig, path)


@styled
def plot_width_study(widths, gaps, exponent, *, prefactor, path, title="", note: str = ""):
    """Network-vs-kernel gap against width m (one dot per seed, their rms joined) with the
    fitted law prefactor · m^exponent and the theoretical slope −1/2."""
    widths, gaps = np.asarray(widths, float), np.asarray(gaps, float)
    rms = np.sqrt(np.mean(gaps**2, axis=1))
    fig, axes = figure(width=COLUMN, height=2.8)
    ax = axes[0, 0]
    ax.loglog(np.repeat(widths, gaps.shape[1]), gaps.ravel(), "o", alpha=0.4, ms=3, label="one seed")
    ax.loglog(widths, rms, "s-", ms=3, label="rms over seeds")
    ax.loglog(widths, prefactor * widths**exponent, "--", label=f"fit: m^{exponent:.2f}")
    ax.loglog(widths, rms[0] * (widths / widths[0]) ** -0.5, ":", color=REFERENCE,
              label=r"theory: $m^{-1/2}$")
    ax.set(xlabel="width m (neurons before doubling)", ylabel="relative L² gap, FF-NN vs kernel GD map",
           title=rho_label(title) if title else "")
    ax.legend()
    if note:
        caption(fig, note)
    return save_figure(fig, path)


# --- initialisation design -----------------------------------------------------------------------

DESIGN_STYLES = {"designed": dict(ls="-", lw=1.8, color=PALETTE[0]),
                 "gaussian": dict(ls="--", lw=1.3, color=PALETTE[1]),
                 "uniform": dict(ls="-.", lw=1.3, color=PALETTE[2], marker="^", ms=3, markevery=0.1)}


def epsilon_label(epsilon: float) -> str:
    """ε as a reader knows it: 1/e for the e-folding level, else its value."""
    return "1/e" if math.isclose(epsilon, math.exp(-1.0), rel_tol=1e-12) else f"{epsilon:.3g}"


@styled
def plot_design(design, path, note: str = ""):
    """A :class:`ntk_freq.design.Design`: the designed ρ_w against its baselines (left), the
    per-frequency learning times under (E3) with the wanted ones (middle), and the remaining
    fraction |û(ξ,t)|/|û₀| at a few band frequencies (right; colour = ρ_w, one line style per
    frequency)."""
    fig, axes = figure(1, 3, width=FULL, height=2.8)
    ax_rho, ax_time, ax_curve = axes[0]
    d = design.rho.dim
    grid = np.linspace(-design.xi.max() * 1.25, design.xi.max() * 1.25, 801)
    along = np.outer(grid, np.eye(d)[0])  # the ξ₁ axis: ρ_w(ξ₁, 0, …) of an isotropic design
    rhos = {"designed": design.rho, **design.baselines}
    eps = epsilon_label(design.epsilon)
    for name, rho in rhos.items():
        ax_rho.plot(grid, rho.pdf(along), label=name, **DESIGN_STYLES[name])
        ax_time.semilogy(design.xi, design.times[name], label=name, **DESIGN_STYLES[name])
    ax_time.semilogy(design.xi, design.wanted, color=REFERENCE, lw=0.8, ls=":", label="wanted")
    ax_rho.set(xlabel="angular frequency ξ" if d == 1 else "ξ₁ (ξ = (ξ₁, 0, …); isotropic ρ_w)",
               ylabel=r"$\rho_w(\xi)$", title="frequency density" + (f" in d = {d}" if d > 1 else ""))
    ax_time.set(xlabel="|ξ| in the band", ylabel=f"time to reach ε = {eps} (t = η·step)",
                title=f"learning times under {design.label}")
    dashes = ["-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1))]
    for k, xi in enumerate(design.curve_xi):
        for name in rhos:
            ax_curve.semilogy(design.curve_times, np.maximum(design.curves[name][:, k], 1e-16),
                              color=DESIGN_STYLES[name]["color"], ls=dashes[k % 5], lw=1.1)
        ax_curve.plot([], [], color="0.3", ls=dashes[k % 5], label=f"|ξ| = {xi:.3g}")
    ax_curve.axhline(design.epsilon, color="0.5", lw=0.8)
    ax_curve.set(xlabel="flow time t = η · step", ylabel=r"$|\hat u(\xi,t)|/|\hat u(\xi,0)|$",
                 title="learning curves (colour = ρ_w)", ylim=(min(design.epsilon, 1) / 10, 1.1))
    for ax in (ax_rho, ax_time, ax_curve):
        ax.legend()
    caption(fig, note or f"white initial error û₀ ≡ 1; data density c = {design.density:g}; d = {d}; "
                         f"band {design.xi.min():g} ≤ |ξ| ≤ {design.xi.max():g}; ε = {eps}; "
                         f"residual max|t/τ − 1| = {design.residual:.2g}")
    return save_figure(fig, path)
