"""Figures of a comparison in d = 2 and 3, in the style of :mod:`ntk_freq.plotting`.

The common ξ grid of a d-D comparison is the box [−ξ_max, ξ_max]^d with an odd number n of
nodes per axis (:func:`ntk_freq.problem.xi_grid`), so the axes ξ = s e_i and, in 3-D, the plane
ξ₃ = 0 are grid lines. Fields are arrays of shape (T, n, …, n) over flow time and that grid.
"""

from __future__ import annotations

import numpy as np

from ntk_freq._util import validation as v
from ntk_freq.plotting._style import (FULL, PALETTE, ROUTE_STYLES, _log_floor, caption, figure,
                                      rho_label, save_figure, styled)

#: A ξ is drawn in a rate profile only where |û(ξ, 0)| is above this fraction of its maximum
#: (elsewhere the remaining fraction is a ratio of negligible numbers).
RATE_FLOOR = 1e-3
AXIS_NAMES = ("ξ₁", "ξ₂", "ξ₃")


def snapshot_indices(n_times: int, n: int = 4) -> np.ndarray:
    """``n`` snapshot indices spread evenly over 0 … n_times − 1, the ends included."""
    return np.unique(np.rint(np.linspace(0, n_times - 1, min(n, n_times))).astype(int))


def plane(field: np.ndarray, dim: int) -> np.ndarray:
    """The ξ₁ξ₂ plane of a field (…, n, …, n): itself in d = 2, the slice ξ₃ = 0 in d = 3."""
    return field if dim == 2 else field[..., field.shape[-1] // 2]


def axis_line(field: np.ndarray, axis: int, dim: int) -> np.ndarray:
    """The field along ξ = s e_axis, s ≥ 0 (other components 0): shape (…, n // 2 + 1)."""
    if not isinstance(field, np.ndarray) or not 0 <= axis < dim <= field.ndim:
        raise TypeError(f"field must be a numpy array (…, n, …, n) with dim grid axes and 0 <= axis < dim, "
                        f"got axis = {axis!r}, dim = {dim!r}, field = {field!r:.80}")
    n = field.shape[-1]
    index = [n // 2] * dim
    index[axis] = slice(n // 2, None)
    return field[(Ellipsis, *index)]


def effective_rate(u_hat: np.ndarray, t: float) -> np.ndarray:
    """r = −ln(|û(ξ, t)|/|û(ξ, 0)|)/t along the first axis of ``u_hat`` (time first), NaN
    where |û(ξ, 0)| is below ``RATE_FLOOR`` of its maximum: for an exponential decay
    e^{−r t} it is the rate r (docs/theory.md special case 1: r = c(2π)^d ρ̄_w(ξ) with W frozen)."""
    a0, at = np.abs(u_hat[0]), np.abs(u_hat[-1])
    keep = a0 >= RATE_FLOOR * a0.max()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(keep, -np.log(at / a0) / t, np.nan)


@styled
def plot_spectrum_panels(times, xi, rows, *, path, routes=("kernel", "pde", "nn"), n_times: int = 4,
                         note: str = ""):
    """|û(ξ₁, ξ₂, t)| per route (rows) at ``n_times`` flow times (columns), one block of rows per
    ρ_w, each block on one logarithmic colour scale spanning ``DECADES`` decades below its
    reference's maximum; in d = 3 the plane ξ₃ = 0. ``xi``: the (n, …, n, d) grid;
    ``rows``: (name, u_hat) with u_hat[route] of shape (T, n, …, n)."""
    dim = xi.shape[-1]
    ks = snapshot_indices(len(times), n_times)
    axis = plane(xi[..., 0], dim)[:, 0]
    n_rows = len(rows) * len(routes)
    fig, axes = figure(n_rows, len(ks), width=FULL, height=1.45 * n_rows + 0.9, sharex=True,
                       sharey=True)
    for b, (name, u_hat) in enumerate(rows):
        ref = np.abs(plane(u_hat["kernel"], dim))
        norm = _log_norm(ref)
        for r, route in enumerate(routes):
            field = np.abs(plane(u_hat[route], dim))
            for j, k in enumerate(ks):
                ax = axes[b * len(routes) + r, j]
                mesh = ax.pcolormesh(axis, axis, np.clip(field[k].T, norm.vmin, None), norm=norm,
                                     shading="gouraud", rasterized=True)
                ax.set_aspect("equal")
                ax.grid(False)
                if b == 0 and r == 0:
                    ax.set_title(f"t = {times[k]:g}")
                if j == 0:
                    ax.set_ylabel(f"{rho_label(name)}\n{ROUTE_STYLES[route]['label']}\nξ₂",
                                  fontsize=6.5)
        fig.colorbar(mesh, ax=axes[b * len(routes):(b + 1) * len(routes), :].ravel().tolist(),
                     label=r"$|\hat u(\xi,t)|$", shrink=0.9)
    for ax in axes[-1]:
        ax.set_xlabel("ξ₁" + (" (plane ξ₃ = 0)" if dim == 3 else ""))
    if note:
        caption(fig, note)
    return save_figure(fig, path)


def _log_norm(ref):
    from matplotlib.colors import LogNorm

    return LogNorm(vmin=_log_floor(ref), vmax=float(ref.max()))


@styled
def plot_direction_rates(times, xi, rows, *, path, note: str = ""):
    """Per-direction learning rates: along each axis ξ = s e_i the effective rate r(s) of each
    route (:func:`effective_rate` between t = 0 and the final time; kernel flow solid, PDE
    dashed, trained network circles; colour = axis) next to the frozen-W rate c(2π)^d ρ̄_w(s e_i)
    (thin grey), and for an isotropic ρ_w the kernel flow's average over shells |ξ| = s (black
    dots). One panel per ρ_w. ``rows``: (name, u_hat, frozen_rate, isotropic) with
    frozen_rate a callable ξ (…, d) ↦ rate or None."""
    dim, t = xi.shape[-1], float(times[-1])
    s = axis_line(xi[..., 0], 0, dim)
    fig, axes = figure(1, len(rows), width=FULL if len(rows) > 1 else 3.6, height=2.6,
                       sharey=True)
    for ax, (name, u_hat, frozen_rate, isotropic) in zip(axes[0], rows):
        for i in range(dim):
            colour = PALETTE[i]
            for route in ("kernel", "pde", "nn"):
                style = {**ROUTE_STYLES[route], "label": None}
                ax.plot(s, axis_line(effective_rate(u_hat[route], t), i, dim), color=colour, **style)
            if frozen_rate is not None:
                ax.plot(s, frozen_rate(np.outer(s, np.eye(dim)[i])), color="0.55", lw=0.8)
        if isotropic:
            shells, mean = shell_average(np.linalg.norm(xi, axis=-1),
                                         effective_rate(u_hat["kernel"], t), s)
            ax.plot(shells, mean, "k.", ms=3)
        ax.set(title=rho_label(name), xlabel="|ξ| along the axis", ylim=(0, None))
    axes[0, 0].set_ylabel(r"rate $-\ln(|\hat u(\xi,t)|/|\hat u(\xi,0)|)\,/\,t$")
    import matplotlib.pyplot as plt

    handles = [plt.Line2D([], [], color=PALETTE[i], lw=3, label=f"along {AXIS_NAMES[i]}")
               for i in range(dim)]
    handles += [plt.Line2D([], [], color="0.3", **{k: val for k, val in st.items() if k != "label"},
                           label=st["label"]) for st in ROUTE_STYLES.values()]
    handles += [plt.Line2D([], [], color="0.55", lw=0.8, label="frozen W: c(2π)^d ρ̄_w(ξ)"),
                plt.Line2D([], [], color="k", ls="none", marker=".", label="shell average (isotropic)")]
    axes[0, -1].legend(handles=handles, loc="best", fontsize=6)
    if note:
        caption(fig, note)
    return save_figure(fig, path)


def shell_average(radius: np.ndarray, values: np.ndarray, edges: np.ndarray):
    """Mean of the finite ``values`` over the shells edges[j] ≤ |ξ| < edges[j+1]: returns (shell
    centres, means) for the shells holding any."""
    radius, values = v.finite_array("radius", radius).ravel(), np.asarray(values).ravel()
    if radius.shape != values.shape:
        raise ValueError(f"radius and values must have the same size, got {radius.size} and {values.size}")
    ok = np.isfinite(values)
    j = np.digitize(radius[ok], edges) - 1
    inside = (j >= 0) & (j < len(edges) - 1)
    total = np.bincount(j[inside], values[ok][inside], minlength=len(edges) - 1)
    count = np.bincount(j[inside], minlength=len(edges) - 1)
    held = count > 0
    centres = 0.5 * (edges[1:] + edges[:-1])
    return centres[held], total[held] / count[held]
