"""The figure of a frequency-PDE solution: a heat map of |û(ξ, t)| along the first frequency
axis (other coordinates 0) and the decay curves |û(ξ_k, t)| at probe frequencies."""

from __future__ import annotations

import numpy as np

from ..plotting import plt, save_figure
from .solve import FrequencySolution


def probe_table(sol: FrequencySolution, probes) -> np.ndarray:
    """|û(ξ_k, t)| at probe frequencies ξ_k = k e₁ (scalars k), every solved time: (n_t, K)."""
    xi = np.zeros((len(probes), sol.rho.dim))
    xi[:, 0] = probes
    return np.abs(sol(xi, sol.times))


def plot_frequency_pde(sol: FrequencySolution, probes, path, n_xi: int = 401):
    """Two panels, written atomically to ``path``: |û(ξ₁ e₁, t)| over (ξ₁, t) on the domain,
    and |û(ξ_k, t)| against t at the ``probes`` (log scale)."""
    xi1 = np.linspace(-sol.domain.radius, sol.domain.radius, n_xi)
    xi = np.zeros((n_xi, sol.rho.dim))
    xi[:, 0] = xi1
    amplitude = np.abs(sol(xi, sol.times))
    fig, (ax_map, ax_curves) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    fig.get_layout_engine().set(wspace=0.12)
    mesh = ax_map.pcolormesh(xi1, sol.times, amplitude, shading="nearest", cmap="viridis")
    fig.colorbar(mesh, ax=ax_map, label="|û(ξ, t)|")
    ax_map.set(xlabel="angular frequency ξ₁", ylabel="flow time t = η·step",
               title="error spectrum |û(ξ, t)|")
    for k, column in zip(probes, probe_table(sol, probes).T):
        ax_curves.semilogy(sol.times, np.maximum(column, 1e-300), label=f"ξ₁ = {k:g}")
    ax_curves.set(xlabel="flow time t = η·step", ylabel="|û(ξ, t)|", title="per-frequency decay")
    ax_curves.legend()
    return save_figure(fig, path)
