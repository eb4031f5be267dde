"""The figure of a frequency-PDE solution (|V| = |F[u p]|/c̄ for (E2)): a heat map of |û(ξ, t)| on a logarithmic colour
scale along a line of the first frequency axis, and the decay curves |û(ξ_k, t)| at the probe
frequencies (wave vectors)."""

from __future__ import annotations

import numpy as np

from ntk_freq.plotting._style import DECADES, FULL, LogNorm, caption, figure, save_figure, styled
from ntk_freq.pde._solution import FrequencySolution


def probe_table(sol: FrequencySolution, probes) -> np.ndarray:
    """|û(ξ_k, t)| at probe wave vectors ξ_k (shape (K, d); scalars k mean k e₁), every solved
    time: (n_t, K)."""
    return np.abs(sol(probe_vectors(probes, sol.rho.dim), sol.times))


def probe_vectors(probes, dim: int) -> np.ndarray:
    """Probes as wave vectors of shape (K, d): a scalar k is k e₁."""
    p = np.asarray(probes, dtype=float)
    if p.ndim == 1:
        xi = np.zeros((p.size, dim))
        xi[:, 0] = p
        return xi
    return p.reshape(-1, dim)


def _line(sol: FrequencySolution, through: np.ndarray, n_xi: int):
    """ξ₁ across the domain with the other coordinates of ``through``, cropped to where the
    solution ever exceeds 10^-DECADES of its maximum."""
    xi1 = np.linspace(-sol.domain.radius, sol.domain.radius, n_xi)
    xi = np.tile(through, (n_xi, 1))
    xi[:, 0] = xi1
    amplitude = np.abs(sol(xi, sol.times))
    seen = np.flatnonzero(amplitude.max(axis=0) > amplitude.max() * 10.0**-DECADES)
    lo, hi = (seen[0], seen[-1] + 1) if seen.size else (0, n_xi)
    return xi1[lo:hi], amplitude[:, lo:hi]


def _symbol(sol: FrequencySolution) -> str:
    """The plotted field: û for (E3); V = F[u p]/c̄ for (E2) (ntk_freq.pde.e2)."""
    return r"$|V(\xi,t)|$" if sol.model == "E2" else r"$|\hat u(\xi,t)|$"


@styled
def plot_frequency_pde(sol: FrequencySolution, probes, path, n_xi: int = 601, note: str = ""):
    """Two panels, written atomically to ``path`` (PNG and PDF): |û(ξ, t)| over (ξ₁, t) along
    the line through the first probe parallel to the first axis (in 1-D: all of ξ), and
    |û(ξ_k, t)| against t at the probes (log scale)."""
    vectors = probe_vectors(probes, sol.rho.dim)
    through = vectors[0] if len(vectors) else np.zeros(sol.rho.dim)
    xi1, amplitude = _line(sol, through, n_xi)
    fig, axes = figure(1, 2, width=FULL, height=2.9)
    ax_map, ax_curves = axes[0]
    norm = LogNorm(vmin=amplitude.max() * 10.0**-DECADES, vmax=amplitude.max())
    mesh = ax_map.pcolormesh(xi1, sol.times, np.clip(amplitude, norm.vmin, None), norm=norm,
                             shading="gouraud", rasterized=True)
    ax_map.grid(False)
    symbol = _symbol(sol)
    fig.colorbar(mesh, ax=ax_map, label=symbol)
    if sol.rho.dim == 1:
        xlabel = "angular frequency ξ"
    else:
        rest = ", ".join(f"ξ{'₂₃'[i]} = {c:g}" for i, c in enumerate(through[1:]))
        xlabel = f"angular frequency ξ₁ (line {rest})"
    ax_map.set(xlabel=xlabel, ylabel="flow time t = η·step", title="error spectrum")
    for vec, column in zip(vectors, probe_table(sol, vectors).T):
        label = f"ξ = {vec[0]:g}" if sol.rho.dim == 1 else "ξ = (" + ", ".join(f"{c:g}" for c in vec) + ")"
        ax_curves.semilogy(sol.times, np.maximum(column, 1e-300), label=label)
    ax_curves.set(xlabel="flow time t = η·step", ylabel=symbol, title="per-frequency decay")
    ax_curves.legend()
    caption(fig, note or f"{sol.n_dofs} DOFs, domain {sol.domain.shape} of radius "
                         f"{sol.domain.radius:.3g}, time scheme {sol.scheme}")
    return save_figure(fig, path)
