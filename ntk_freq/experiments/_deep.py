"""The named experiment ``depth-profile`` (``ntk-freq reproduce depth-profile``): how depth and
activation reshape the frequency profile of a Fourier-feature network with W frozen.

For each ρ_w, activation and depth L (Dense layers after the embedding; L = 1 is the two-layer
FF-NN), the damping density ρ_α(ξ) of :func:`ntk_freq.kernels.effective_densities` gives the rate
c(2π)ρ_α(ξ) at which frequency ξ of the error decays (frozen W: exactly, (E3) case 1). The
headline number per curve is the **bias ratio** ρ_α(ξ_lo)/ρ_α(ξ_hi) = t(ξ_hi)/t(ξ_lo), how many
times longer the high frequency takes than the low one; depth amplifies the low-frequency bias
where the ratio grows with L. Also reported: the median |ξ| of the continuous part of ρ_α and
the atom's share κ(0)/κ(1) (the constant part of the kernel, learned at ξ = 0 only).

Trained networks on top (:func:`trained_times`): deep FF-NNs (W frozen, :func:`ntk_freq.comparison.compare`)
trained by full-batch gradient descent on windowed sines at the frequencies ``KAPPA``; the time
each frequency's error takes to fall to 1/e, read as the damping density it implies,
ρ_α = 1/(c 2π t), sits on the ρ_α(ξ) curves (the exact deep kernel flow on the same data beside
it). Their bias ratio t(ξ_hi')/t(ξ_lo') (ξ' the trained frequencies) is reported next to the
predicted one.
"""

from __future__ import annotations

from pathlib import Path

import math

import numpy as np

from ntk_freq._util import store
from ntk_freq._util import validation as v
from ntk_freq.kernels._deep import effective_densities
from ntk_freq.distributions._spec import distribution

RHOS = ("gaussian:3", "uniform:8", "laplace:2")
ACTIVATIONS = ("relu", "erf", "gelu")
DEPTHS = (1, 2, 3, 4)
#: The default comparison's target frequencies: the bias ratio compares their rates.
XI_LO, XI_HI = 2.0, 7.0
W_STD, B_STD = 1.0, 0.0
#: Trained networks: target frequencies (learned within a few hundred steps for every curve
#: here), data grid (N_DATA points on [−10, 10], so c = 1/20; Nyquist π N/20 = 15 ≫ κ), width
#: (features and hidden: the experiment's budget TRAINED_OPERATIONS allows m = 128 at depth 4
#: over ~400 steps),
#: gradient-descent step (below the stability limit 2/λ_max(Θ/N) ≥ 2/κ(1) ≥ 2.04 of every
#: network here; the GD map's times differ from the flow's by ~λη/2 ≈ 2 %).
KAPPA = (1.5, 2.5, 3.5)
C_DATA = 1 / 20
N_DATA = 96
WIDTH = 128
#: Operations (10 per parameter, point and step, as ntk_freq.training counts them) one trained
#: curve may take: about a minute of training, so the full form (36 curves) stays within an hour.
TRAINED_OPERATIONS = 5e10
ETA = 1.5
#: Okabe–Ito colours (colour-blind safe), one per depth.
COLOURS = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#CC79A7")


def _median(xi: np.ndarray, rho: np.ndarray) -> float:
    """Median of |ξ| under a symmetric density on an ascending grid symmetric about 0."""
    half = xi >= 0
    x, r = xi[half], rho[half]
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (r[1:] + r[:-1]) * np.diff(x))])
    return float(np.interp(0.5 * cdf[-1], cdf, x))


def profile_table(rhos=RHOS, activations=ACTIVATIONS, depths=DEPTHS, *, n_xi: int = 1201,
                  n_z: int = 2**15, progress: bool = True) -> dict:
    """ρ_α on ξ ∈ [−Ξ, Ξ] (Ξ = 4 × ρ_w's radius at 1e-6) for every (ρ_w, activation, depth), with
    the bias ratio, the median |ξ| and the atom share of each. Returns arrays and a summary."""
    from tqdm.auto import tqdm

    cases = [(r, a, L) for r in rhos for a in activations for L in depths]
    table, summary = {}, {}
    for r, a, L in tqdm(cases, desc="depth-profile: effective densities", disable=not progress):
        rho = distribution(r)
        reach = 4 * rho.support_radius(1e-6)
        xi = np.linspace(-reach, reach, n_xi)
        eff = effective_densities(rho, np.union1d(xi, [-XI_HI, -XI_LO, XI_LO, XI_HI]),
                                  hidden=(1,) * (L - 1), activation=a, w_std=W_STD, b_std=B_STD,
                                  train_frequencies=False, n_z=n_z)
        at = dict(zip(eff.xi, eff.alpha))
        table[(r, a, L)] = (eff.xi, eff.alpha, eff.mass["alpha"])
        summary.setdefault(r, {}).setdefault(a, {})[f"L={L}"] = {
            "rho_alpha_lo_over_hi": float(at[XI_LO] / at[XI_HI]),  # ρ_α(xi_lo)/ρ_α(xi_hi)
            "median_xi": _median(eff.xi, eff.alpha),
            "atom_share": float(eff.atom / (eff.atom + eff.mass["alpha"])),
            "density_error": eff.error["alpha"],
        }
    return {"table": table, "summary": summary}


def affordable_width(width: int, depth: int, steps: int) -> int:
    """``width`` halved until training ``steps`` steps on N_DATA points fits the experiment's
    budget :data:`TRAINED_OPERATIONS` (the estimate of :func:`ntk_freq.training.train`:
    10 · steps · parameters · N, the doubled network's parameters m + Σ_layers (fan_in · fan_out
    + fan_out), twice); at least 16."""
    width, depth, steps = (v.positive_int(n, x) for n, x in (("width", width), ("depth", depth), ("steps", steps)))
    def cost(m):
        sizes = (2 * m, *(m,) * (depth - 1), 1)
        params = 2 * (m + sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])))
        return 10.0 * steps * params * N_DATA

    while width > 16 and cost(width) > 0.95 * TRAINED_OPERATIONS:
        width //= 2
    return width


def trained_times(rho: str, activation: str, depth: int, *, width: int, seed: int = 0,
                  progress: bool = True) -> dict:
    """Per-frequency e-folding times at ``KAPPA`` of a deep FF-NN (W frozen, ``depth`` Dense
    layers after the embedding, hidden widths = ``width`` = features m) trained by gradient
    descent (step ETA) on windowed sines at KAPPA ("nn"), of the deep kernel's GD map on the same
    data and steps ("kernel_gd", like for like) and predicted by (E3) with ρ_α, 1/(c 2π ρ_α(κ))
    ("predicted"); the run lasts 1.5 × the longest prediction, and the width is reduced where
    that many steps would exceed the experiment's budget (:func:`affordable_width`; the width
    used is returned)."""
    from ntk_freq.comparison._compare import compare
    from ntk_freq.design._design import first_passage
    from ntk_freq.networks import DeepFourierFeatures
    from ntk_freq.problem import Problem, Schedule

    kw = dict(hidden=(width,) * (depth - 1), activation=activation, w_std=W_STD, b_std=B_STD)
    alpha = effective_densities(distribution(rho), np.array(KAPPA), train_frequencies=False,
                                **kw).alpha
    predicted = 1.0 / (C_DATA * 2 * math.pi * alpha)
    steps = math.ceil(1.5 * predicted.max() / ETA)
    width = affordable_width(width, depth, steps)
    kw["hidden"] = (width,) * (depth - 1)
    target = "windowed-sines:" + ",".join(f"{k:g}" for k in KAPPA) + ";width=1.5"
    network = DeepFourierFeatures(width=width, train_frequencies=False, **kw)
    problem = Problem(rho=rho, network=network, target=target, half_width=0.5 / C_DATA,
                      n_points=N_DATA, n_xi=241,
                      schedule=Schedule(eta=ETA, steps=steps, n_snapshots=min(120, steps + 1)))
    c = compare(problem, routes=("kernel", "kernel_gd", "nn"), model="E3", seed=seed,
                progress=progress)
    remaining = c.results[0].remaining
    measured = {route: first_passage(c.times, remaining[name], math.exp(-1.0))
                for route, name in (("nn", "nn"), ("kernel_gd", "kernel_gd"))}
    return {"kappa": list(KAPPA), "predicted": predicted.tolist(),
            **{route: store.passage_time_json(t) for route, t in measured.items()},
            # learning times at the last κ over the first (κ = KAPPA), not ρ_α's ratio above
            "time_ratio_last_over_first_predicted": float(predicted[-1] / predicted[0]),
            "time_ratio_last_over_first_nn": store.passage_time_json(measured["nn"][-1] / measured["nn"][0]),
            "time_unit": "flow time t = eta * step", "t_max": float(c.times[-1]),
            "width": width, "steps": steps, "eta": ETA}


def _draw_curves(ax, table, trained, r, a, depths, xi_max=None) -> None:
    """ρ_α(ξ)/∫ρ_α of every depth on ``ax`` (ξ ≥ 0, up to ``xi_max``), with the trained nets'
    (circles) and the kernel GD map's (crosses) times as the density 1/(c 2π t ∫ρ_α) they imply."""
    for k, L in enumerate(depths):
        xi, alpha, mass = table[(r, a, L)]
        keep = (xi >= 0) & (alpha > 1e-12 * alpha.max()) & (xi <= (xi_max or np.inf))
        colour = COLOURS[k % len(COLOURS)]
        ax.semilogy(xi[keep], alpha[keep] / mass, color=colour,
                    label=f"L = {L}" + (" (two-layer)" if L == 1 else ""))
        for route, marker in (("nn", "o"), ("kernel_gd", "x")):
            if trained and (r, a, L) in trained:
                t = np.asarray(trained[(r, a, L)][route], dtype=float)  # null (not reached): NaN
                ax.semilogy(KAPPA, 1.0 / (C_DATA * 2 * math.pi * t * mass), marker, color=colour,
                            ms=5, mfc="none" if marker == "o" else None)


def plot_depth_profile(table: dict, rhos, activations, *, depths, path, trained=None) -> None:
    """One panel per (activation, ρ_w): ρ_α(ξ)/∫ρ_α against ξ ≥ 0 on a log scale, one curve per
    depth, the target frequencies ξ_lo, ξ_hi marked; ``trained`` {(ρ, act, L): trained_times}
    adds, in an inset over the trained frequencies, the trained networks' (circles) and the
    kernel GD map's (crosses) times as the density 1/(c 2π t ∫ρ_α) they imply."""
    import matplotlib.pyplot as plt

    from ntk_freq.plotting._style import save_figure

    height = 3 * len(activations) + 0.5  # 0.5 in for the two-line title
    fig, axes = plt.subplots(len(activations), len(rhos), figsize=(4 * len(rhos), height),
                             squeeze=False, sharex="col")
    for i, a in enumerate(activations):
        for j, r in enumerate(rhos):
            ax = axes[i, j]
            _draw_curves(ax, table, None, r, a, depths)
            if trained and any((r, a, L) in trained for L in depths):
                inset = ax.inset_axes([0.55, 0.52, 0.42, 0.42])
                _draw_curves(inset, table, trained, r, a, depths, xi_max=1.3 * max(KAPPA))
                inset.tick_params(labelsize=6, which="both")
                inset.yaxis.set_minor_formatter(plt.NullFormatter())
                inset.set_title("trained nets, ξ ≤ 4.5", fontsize=6)
            for x0 in (XI_LO, XI_HI):
                ax.axvline(x0, color="0.6", lw=0.8, ls=":")
            ax.set_title(f"ρ_w = {r}, σ = {a}", fontsize=9)
            ax.grid(True, which="both", alpha=0.3)
            if i == len(activations) - 1:
                ax.set_xlabel("angular frequency ξ")
            if j == 0:
                ax.set_ylabel("ρ_α(ξ) / ∫ρ_α  (rate ∝ ρ_α)")
    if trained:
        axes[0, 0].plot([], [], "o", color="0.3", mfc="none", label="trained net, 1/(c2π t ∫ρ_α)")
        axes[0, 0].plot([], [], "x", color="0.3", label="deep kernel, same GD steps")
    axes[0, 0].legend(fontsize=7, loc="lower left")
    fig.suptitle("Damping density of deep FF-NNs (W frozen, w_std = 1, no bias); dotted: ξ = 2, 7;\n"
                 "markers: e-folding times t of trained nets (c = 1/20)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / height))
    store.atomic_write(Path(path).with_suffix(".pdf"),
                       lambda f: fig.savefig(f, format="pdf", bbox_inches="tight"))
    save_figure(fig, Path(path).with_suffix(".png"))  # closes the figure


def depth_profile(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """The registered experiment: :func:`profile_table` (quick: depths 1 and 3, relu only, a
    coarser z grid), trained networks of width WIDTH at KAPPA (quick: Gaussian ρ_w only; full:
    every curve), the figure ``depth_profile.png/.pdf``, the arrays in
    ``depth_profile.npz`` and the times in ``trained_times.json``; returns the per-curve numbers
    and, per (ρ_w, activation), whether the bias ratio grows with depth."""
    from tqdm.auto import tqdm

    activations, depths = (("relu",), (1, 3)) if quick else (ACTIVATIONS, DEPTHS)
    out = profile_table(RHOS, activations, depths, n_xi=401 if quick else 1201,
                        n_z=2**13 if quick else 2**15, progress=progress)
    table, summary = out["table"], out["summary"]
    cases = [(r, a, L) for r in (RHOS[:1] if quick else RHOS) for a in activations for L in depths]
    trained = {case: trained_times(*case, width=WIDTH, progress=False)
               for case in tqdm(cases, desc="depth-profile: trained networks", disable=not progress)}
    plot_depth_profile(table, RHOS, activations, depths=depths, path=Path(directory) / "depth_profile", trained=trained)
    arrays = {}
    for (r, a, L), (xi, alpha, mass) in table.items():
        arrays[f"{r}|{a}|L={L}|xi"] = xi
        arrays[f"{r}|{a}|L={L}|rho_alpha"] = alpha
    store.atomic_write(Path(directory) / "depth_profile.npz", lambda f: np.savez(f, **arrays))
    store.write_json(Path(directory) / "trained_times.json",
                     {f"{r}|{a}|L={L}": t for (r, a, L), t in trained.items()})
    for (r, a, L), t in trained.items():
        summary[r][a][f"L={L}"]["trained"] = {k: t[k] for k in (
            "time_ratio_last_over_first_predicted", "time_ratio_last_over_first_nn", "kappa",
            "predicted", "nn", "kernel_gd")}
    amplifies = {r: {a: bool(np.all(np.diff([summary[r][a][f"L={L}"]["rho_alpha_lo_over_hi"]
                                             for L in depths]) > 0)) for a in activations}
                 for r in RHOS}
    return {"xi_lo": XI_LO, "xi_hi": XI_HI, "w_std": W_STD, "b_std": B_STD,
            "depths": list(depths), "activations": list(activations), "curves": summary,
            "depth_amplifies_low_frequency_bias": amplifies}
