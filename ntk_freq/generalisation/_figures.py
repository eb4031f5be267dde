"""The learning-curve figure: theory lines, Monte-Carlo points with error bars, per band, and
the theory's ratio to Monte Carlo (where the approximation stops holding)."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import NullFormatter

from ntk_freq.plotting import caption, figure, save_figure, styled


def _log_bars(mean, se) -> np.ndarray:
    """±2 standard errors as (lower, upper) bar lengths, the lower one cut at 90 % of the mean
    (a log axis cannot show a bar through zero)."""
    mean, se = np.asarray(mean), np.asarray(se)
    return np.stack([np.minimum(2 * se, 0.9 * mean), 2 * se])


@styled
def plot_learning_curve(ds, path, *, time_index: int = -1, note: str = ""):
    """Three panels at one flow time (``time_index`` of ``ds.time``; −1: the last, t = ∞ by
    default): the test error against n (theory line; Monte Carlo mean ± 2 standard errors and its
    10–90 % band over draws), the error per frequency band, and theory / Monte Carlo.

    Args:
        ds: a :func:`ntk_freq.learning_curve` dataset.
        path: the PNG to write (a PDF beside it).

    Returns:
        The PNG's path.
    """
    at = ds.isel(time=time_index)
    n = at.n.values
    mc = "test_error_mc" in at
    fig, axes = figure(1, 3 if mc else 2)
    ax = axes[0, 0]
    ax.loglog(n, at.test_error_theory, "-", label="theory (eigenlearning)")
    if mc:
        ax.fill_between(n, at.test_error_mc_quantile.sel(quantile=0.1),
                        at.test_error_mc_quantile.sel(quantile=0.9), alpha=0.2, color="C1",
                        label="Monte Carlo 10–90 %")
        ax.errorbar(n, at.test_error_mc, yerr=_log_bars(at.test_error_mc, at.test_error_mc_se), fmt="o", ms=3, color="C1",
                    label=f"Monte Carlo mean ± 2 SE ({ds.attrs['draws']} draws)")
    ax.set(xlabel="samples n", ylabel="test error", title="test error")
    ax.legend(fontsize=6)
    ax = axes[0, 1]
    for b, band in enumerate(at.band.values):
        ax.loglog(n, at.band_error_theory.isel(band=b), "-", color=f"C{b}", label=f"{band} theory")
        if mc:
            ax.errorbar(n, at.band_error_mc.isel(band=b),
                        yerr=_log_bars(at.band_error_mc.isel(band=b), at.band_error_mc_se.isel(band=b)),
                        fmt="o", ms=3, color=f"C{b}", label=f"{band} Monte Carlo")
    ax.set(xlabel="samples n", ylabel="error in the band", title="per frequency band")
    ax.legend(fontsize=6)
    if mc:
        ax = axes[0, 2]
        ratio = at.test_error_theory / at.test_error_mc
        ax.loglog(n, ratio, "o-", ms=3)
        ax.axhline(1.0, color="0.5", lw=0.8)
        ax.fill_between(n, 0.9, 1.1, color="0.8", alpha=0.5, label="±10 %")
        ax.set(xlabel="samples n", ylabel="theory / Monte Carlo", title="where the theory holds")
        ax.legend(fontsize=6)
    for ax in axes.ravel():
        ax.set_xticks(n, [str(k) for k in n], minor=False)
        ax.xaxis.set_minor_formatter(NullFormatter())
    t = float(at.time)
    caption(fig, f"{ds.attrs['population']}; ridge δ = {ds.attrs['ridge']:g}, noise σ² = "
                 f"{ds.attrs['noise']:g}, flow time t = {'∞' if np.isinf(t) else f'{t:g}'}"
                 + (f". {note}" if note else ""))
    return save_figure(fig, path)
