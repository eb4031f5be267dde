"""Figures (matplotlib, Agg backend: no display needed). Each function takes result arrays,
draws one figure and writes it atomically with :func:`save_figure`."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def save_figure(fig, path) -> Path:
    """Write ``fig`` to ``path`` through a temporary name (never a half-written file), close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    fig.savefig(tmp, dpi=130, bbox_inches="tight")
    plt.close(fig)
    tmp.replace(path)
    return path


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
