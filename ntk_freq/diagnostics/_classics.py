"""The classic spectral-bias experiments, reproduced with :mod:`ntk_freq.diagnostics` (named
experiments of :mod:`ntk_freq.reproduce`; each ``run(directory, quick, progress) -> dict`` writes
its figures (PNG and PDF) and data into ``directory`` and returns its headline numbers):

- ``rahaman-sines`` (Rahaman et al. 2019): a deep ReLU MLP fits a sum of equal-amplitude sines;
  Δ_F at each frequency shows the lower ones learned first;
- ``ronen-sphere`` (Ronen et al. 2019): two-layer ReLU networks on uniform data on the circle;
  the time to learn frequency k grows like k², from the kernel's Funk–Hecke spectrum and from
  trained networks in the kernel regime, and not at O(1) target amplitude;
- ``xu-digits`` (Xu et al.): the F-principle on the 8×8 digits by the filtering method;
- ``fridovich-digits`` (Fridovich-Keil et al. 2022): interpolation spectra of digit classifiers
  trained on clean and on noisy labels;
- ``lazy-map``: where the kernel regime holds, over target amplitude × width.
"""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ntk_freq.diagnostics import _spectral_bias as dg
from ntk_freq.kernels import empirical_ntk
from ntk_freq._util import store
from ntk_freq._util import validation as v
from ntk_freq.training._fitting import Fit, fit, load_digits, noisy_labels, one_hot
from ntk_freq._nn.mlp import mlp_network
from ntk_freq._nn.models import Network
from ntk_freq.plotting._style import PALETTE, save_figure


def _save(fig, directory: Path, stem: str) -> list:
    """Write ``fig`` as ``stem``.pdf and ``stem``.png (each atomically) and close it."""
    png = save_figure(fig, directory / f"{stem}.png")
    return [png.with_suffix(".pdf"), png]


def _log_steps(n_steps: int, n_snapshots: int) -> np.ndarray:
    """0 and about ``n_snapshots`` distinct, log-spaced integer steps up to ``n_steps``."""
    s = np.unique(np.round(np.geomspace(1, n_steps, n_snapshots)).astype(int))
    return np.concatenate([[0], s])


# --- rahaman-sines ---------------------------------------------------------------------------


def rahaman_sines(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """Rahaman et al. (2019), Fig. 1: y(x) = Σ_k sin(2πkx + φ_k) on N = 200 points of [0, 1]
    (equal amplitudes, random phases), a 4-hidden-layer ReLU MLP (width 256; 64 in the quick
    form; standard parametrisation, doubled so f₀ ≡ 0) fed z = 2x − 1 ∈ [−1, 1], trained by
    full-batch Adam (learning rate 3·10⁻³) on the mean squared error. Δ_F(2πk, t) at each k; the learning time of k is the first step with
    Δ_F ≤ 0.1. Headline: the learning times and whether they increase with k."""
    ks = np.array([2, 4, 6]) if quick else np.array([5, 10, 15, 20])
    width, n_steps = (64, 600) if quick else (256, 6000)
    x = (np.arange(200) + 0.5) / 200
    phases = np.random.default_rng(0).uniform(0, 2 * np.pi, ks.size)
    y = np.sin(2 * np.pi * np.outer(x, ks) + phases).sum(axis=1)
    net = mlp_network(1, (width,) * 4, "relu", w_std=np.sqrt(2), b_std=0.1,
                      parameterization="standard")
    steps = _log_steps(n_steps, 60)
    res = fit(net, net.init(jax.random.PRNGKey(0)), 2 * x[:, None] - 1, y=y, optimizer=optax.adam(3e-3),
              snapshot_steps=steps, progress=progress, desc="rahaman-sines")
    delta = dg.delta_f(res.outputs, y, x, xi=2 * np.pi * ks)
    t_learn = dg.learning_time(steps, delta, 0.1)
    summary = {"k_cycles": ks.tolist(), "learning_step": store.passage_time_json(t_learn),
               "increasing": bool(np.all(np.diff(t_learn) > 0)), "width": width, "steps": n_steps,
               "regime": res.regime.summary()}
    store.write_results(directory / "rahaman_sines.npz",
                        {"steps": steps, "k": ks, "delta_f": delta, "x": x, "y": y,
                         "outputs": res.outputs, **res.regime.arrays()}, {"summary": summary})
    _plot_rahaman(steps, ks, delta, t_learn, directory)
    return summary


def _plot_rahaman(steps, ks, delta, t_learn, directory):
    from ntk_freq.plotting._style import plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.8))
    for i, k in enumerate(ks):
        ax.semilogy(steps[1:], delta[1:, i], color=PALETTE[i % 8], label=f"k = {k}")
    ax.axhline(0.1, color="gray", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("Adam step")
    ax.set_ylabel(r"$\Delta_F(2\pi k)$ = |ĥ − ŷ|/|ŷ|")
    ax.legend(fontsize=8)
    im = bx.imshow(delta.T, aspect="auto", origin="lower", cmap="viridis", vmin=0, vmax=1,
                   extent=(0, len(steps), -0.5, len(ks) - 0.5), interpolation="nearest")
    bx.set_yticks(range(len(ks)), [str(k) for k in ks])
    bx.set_xlabel("snapshot (log-spaced steps)")
    bx.set_ylabel("frequency k (cycles on [0, 1])")
    fig.colorbar(im, ax=bx, label=r"$\Delta_F$")
    fig.suptitle("Rahaman et al.: lower frequencies first (learning steps "
                 + ", ".join(f"{t:.0f}" for t in t_learn) + ")", fontsize=9)
    _save(fig, directory, "rahaman_sines")


# --- ronen-sphere ----------------------------------------------------------------------------


def _circle(n: int):
    theta = 2 * np.pi * (np.arange(n) + 0.5) / n
    return theta, np.c_[np.cos(theta), np.sin(theta)]


def relu_sphere_spectrum(kmax: int, b_std: float, dim: int = 2) -> np.ndarray:
    """λ_0 … λ_kmax of the two-layer ReLU NTK (bias std ``b_std``) on S^{dim−1} (dim = 2: the
    circle), uniform measure (:func:`ntk_freq.kernels.sphere_spectrum` by Funk–Hecke)."""
    from ntk_freq.kernels._closed_form import two_layer_ntk
    from ntk_freq.kernels._spectra import sphere_spectrum

    return sphere_spectrum(lambda a, b: two_layer_ntk(a, b, "relu", b_std=b_std), dim=dim, kmax=kmax)


def train_on_circle(ks, amplitude: float, width: int, *, n_points: int, b_std: float, t_max: float,
                    n_snapshots: int = 40, seed: int = 0, eta_fraction: float = 0.5,
                    progress: bool = True, desc: str = "circle"):
    """A two-layer ReLU network (NTK parametrisation, bias std ``b_std``, doubled so f₀ ≡ 0),
    trained by gradient descent on the mean loss to the target A Σ_k cos(kθ) on ``n_points``
    equispaced points of the circle, up to flow time ``t_max`` with the step
    η = ``eta_fraction`` × 2/λ_max(Θ(X, X)/N) of the analytic kernel (well below the limit, so
    that a kernel growing during training does not make gradient descent unstable). Returns
    (theta, X, y, times, fit, network)."""
    from ntk_freq.kernels._closed_form import two_layer_ntk
    from ntk_freq._nn.models import two_layer_network
    from ntk_freq.kernels._operator import stability_limit

    theta, X = _circle(n_points)
    y = amplitude * np.cos(np.outer(theta, ks)).sum(axis=1)
    eta = eta_fraction * stability_limit(two_layer_ntk(X, X, "relu", b_std=b_std))
    n_steps = int(np.ceil(t_max / eta))
    steps = _log_steps(n_steps, n_snapshots)
    net = two_layer_network(2, width, "relu", b_std=b_std)
    res = fit(net, net.init(jax.random.PRNGKey(seed)), X, y=y, optimizer=optax.sgd(eta), snapshot_steps=steps,
              dtype="float64", progress=progress, desc=desc)
    return theta, X, y, eta * steps, res, net


def ronen_sphere(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """Ronen et al. (2019): two-layer ReLU networks without bias on N = 256 equispaced points of
    the circle S¹ learn A Σ_k cos(kθ) over even k; mode k needs a time ∝ 1/λ_k ∝ k² (k^d on
    S^{d−1}). Without bias λ_k = 0 for odd k ≥ 3 (never learned), hence even k; a bias would
    add a large constant mode λ_0 that forces a smaller gradient-descent step.

    Theory: the exponent of 1/λ_k from the Funk–Hecke spectrum on even k = 8…32 (where the
    k^{−2} asymptotics holds), and on the sphere S² (k^{−3}; theory only). Trained (width 2048; 1024 in the quick form): the time at which
    Δ_F(k) (over the angle θ) reaches 1/2, for A = 0.01 (kernel regime) and A = 1 (the papers'
    O(1) amplitude), fitted as t ∝ k^p; each run's kernel-regime diagnostics say whether the
    kernel describes it."""
    b_std = 0.0
    ks = np.array([8, 16, 24]) if quick else np.array([8, 12, 16, 24, 32])
    width, n_points, span = (1024, 256, 2.0) if quick else (2048, 256, 3.0)
    lam = relu_sphere_spectrum(64, b_std)
    k_fit = np.arange(8, 33, 2)
    p_theory = dg.fit_exponent(k_fit, 1 / lam[k_fit])
    p_theory_ks = dg.fit_exponent(ks, 1 / lam[ks])
    lam_s2 = relu_sphere_spectrum(32, b_std, dim=3)
    p_theory_s2 = dg.fit_exponent(k_fit, 1 / lam_s2[k_fit])
    t_max = span * np.log(2) / lam[ks.max()]
    runs = {}
    for amplitude in (0.01, 1.0):
        theta, X, y, times, res, net = train_on_circle(
            ks, amplitude, width, n_points=n_points, b_std=b_std, t_max=t_max, progress=progress,
            desc=f"ronen-sphere A={amplitude:g}")
        delta = dg.delta_f(res.outputs, y, theta, xi=ks)
        t_k = dg.learning_time(times, delta, 0.5)
        pick = [0, len(res.params) // 2, len(res.params) - 1]
        regime = dg.kernel_regime(net.apply, [res.params[i] for i in pick], X, y=y,
                                  times=times[pick], warn=False)
        runs[amplitude] = dict(times=times, delta=delta, t_k=t_k, regime=regime,
                               modes=mode_study(net, res, X, y=y, times=times, n_modes=2 * len(ks)),
                               loss_ratio=float(res.loss[-1] / res.loss[0]),
                               regime_trace=res.regime.summary(),
                               exponent=dg.fit_exponent(ks, t_k) if np.all(np.isfinite(t_k)) else None)
    t_kernel = np.log(2) / lam[ks]
    summary = {
        "k": ks.tolist(), "width": width, "n_points": n_points, "b_std": b_std,
        "exponent_theory_k8_32": p_theory, "exponent_theory_on_k": p_theory_ks,
        "exponent_theory_s2_k8_32": p_theory_s2,
        "time_unit": "flow time t = eta * step",
        "t_max": max(float(r["times"][-1]) for r in runs.values()),
        "learning_time_kernel": t_kernel.tolist(),
        **{f"A={a:g}": {"learning_time": store.passage_time_json(r["t_k"]), "exponent": r["exponent"],
                        "slowdown_vs_kernel": store.passage_time_json(r["t_k"] / t_kernel),
                        "ntk_change": float(r["regime"].ntk_change[-1]),
                        "flow_gap": float(r["regime"].flow_gap.max()),
                        "linearisation_gap": float(r["regime"].linearisation_gap.max()),
                        "mode_curve_gap": r["modes"]["gap"],
                        "target_energy_on_modes": r["modes"]["energy"],
                        "regime_during_training": r["regime_trace"],
                        "loss_final_over_initial": r["loss_ratio"],
                        "matches_kernel": r["regime"].matches_kernel,
                        "matches_kernel_margin": r["regime"].threshold - r["regime"].worst}
                       for a, r in runs.items()},
    }
    store.write_results(directory / "ronen_sphere.npz",
                        {"k": ks, "lambda": lam, **{f"A{a:g}.{n}": r[n] for a, r in runs.items()
                                                   for n in ("times", "delta", "t_k")},
                         **{f"A{a:g}.modes.{n}": r["modes"][n] for a, r in runs.items()
                            for n in ("lam0", "lamT", "projection", "chosen", "measured", "predicted")}},
                        {"summary": summary})
    _plot_ronen(ks, lam, p_theory, t_kernel, runs, directory)
    _plot_modes(runs, directory)
    return summary


def mode_study(net, res, X, *, y, times, n_modes: int) -> dict:
    """The empirical NTK's eigenmodes for a run of :func:`train_on_circle`: the spectra of
    Θ_0/N and Θ_T/N (at initialisation and after training), the target's energy fraction on each
    eigenvector of Θ_0 and, for the ``n_modes`` eigenvectors that carry most of it, the measured
    |c_k(t)|/|c_k(0)| of the error u_t = f_t − y against the kernel's gradient-descent prediction
    (1 − ηλ_k)^{t/η}. ``gap``: the largest |measured − predicted| over those modes and times;
    ``energy``: the target's energy fraction on them."""
    v.instance("net", net, Network, "a Network (the net train_on_circle returns)")
    v.instance("res", res, Fit, "a Fit (the training result train_on_circle returns)")
    theta0 = empirical_ntk(net.apply, res.params[0], X)
    thetaT = empirical_ntk(net.apply, res.params[-1], X)
    modes = dg.ntk_modes(theta0, y)
    chosen = np.sort(np.argsort(modes.projection)[::-1][:n_modes])
    eta = float(times[-1] / res.steps[-1])
    curves = dg.mode_learning_curves(theta0, res.outputs - y, times, eta=eta)
    measured = curves.remaining_measured[:, chosen]
    predicted = curves.remaining_predicted[:, chosen]
    return {"lam0": modes.lam, "lamT": np.sort(np.linalg.eigvalsh(thetaT / X.shape[0]))[::-1],
            "projection": modes.projection, "chosen": chosen, "times": times,
            "measured": measured, "predicted": predicted,
            "gap": float(np.max(np.abs(measured - predicted))),
            "energy": float(modes.projection[chosen].sum())}


def _plot_modes(runs, directory):
    from ntk_freq.plotting._style import plt

    fig, (ax, bx, cx) = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
    for i, (a, r) in enumerate(runs.items()):
        m = r["modes"]
        idx = np.arange(1, m["lam0"].size + 1)
        if i == 0:
            ax.loglog(idx, np.clip(m["lam0"], 1e-16, None), color="black", lw=1.2,
                      label=r"$\Theta_0/N$ (initialisation)")
        ax.loglog(idx, np.clip(m["lamT"], 1e-16, None), color=PALETTE[i], ls="--",
                  label=rf"$\Theta_T/N$ after training, A = {a:g}")
        if i == 0:
            bx.semilogy(idx, np.clip(m["projection"], 1e-16, None), ".", color="black", ms=3)
            bx.semilogy(m["chosen"] + 1, m["projection"][m["chosen"]], "o", mfc="none",
                        color=PALETTE[2], label="modes followed on the right")
        for j, k in enumerate(m["chosen"]):
            cx.semilogy(r["times"][1:], np.clip(m["measured"][1:, j], 1e-6, None),
                        color=PALETTE[i], ls="-", lw=1.2,
                        label=f"measured, A = {a:g}" if j == 0 else None)
            cx.semilogy(r["times"][1:], np.clip(m["predicted"][1:, j], 1e-6, None),
                        color=PALETTE[i], ls=":", lw=1.5,
                        label=f"kernel prediction, A = {a:g}" if j == 0 else None)
    ax.set_ylim(1e-10, None)
    bx.set_ylim(1e-8, 1.5)
    cx.set_ylim(1e-3, 1.5)
    ax.set_xlabel("eigenvalue index k (descending)")
    ax.set_ylabel(r"eigenvalue $\lambda_k$ of $\Theta(X, X)/N$")
    ax.legend(fontsize=7)
    bx.set_xscale("log")
    bx.set_xlabel("eigenvalue index k of $\\Theta_0$")
    bx.set_ylabel(r"target energy $(v_k^\top y)^2/\|y\|^2$")
    bx.legend(fontsize=7)
    cx.set_xscale("log")
    cx.set_xlabel("flow time t = η·step")
    cx.set_ylabel(r"remaining $|c_k(t)|/|c_k(0)|$ on $\Theta_0$'s eigenvectors")
    cx.legend(fontsize=7)
    fig.suptitle("Empirical NTK of the two-layer ReLU network on S¹: spectrum, target projection "
                 "and per-mode learning curves, measured vs kernel", fontsize=9)
    _save(fig, directory, "ronen_sphere_modes")


def _plot_ronen(ks, lam, p_theory, t_kernel, runs, directory):
    from ntk_freq.plotting._style import plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 4))
    k_all = np.arange(1, lam.size)
    even = k_all[lam[1:] > 1e-12 * lam.max()]
    ax.loglog(even, 1 / lam[even], ".", color="gray", ms=4, label=r"$1/\lambda_k$ (Funk–Hecke)")
    kk = np.arange(8, 33, 2)
    ax.loglog(kk, (1 / lam[8]) * (kk / 8.0) ** p_theory, "-", color="black", lw=1,
              label=rf"fit even k = 8…32: $k^{{{p_theory:.3f}}}$")
    ax.loglog(ks, t_kernel / np.log(2), "s", mfc="none", color=PALETTE[2], label="kernel: t/ln 2")
    for i, (a, r) in enumerate(runs.items()):
        lab = f"trained, A = {a:g}" + (f": $k^{{{r['exponent']:.2f}}}$" if r["exponent"] else "")
        ax.loglog(ks, r["t_k"] / np.log(2), "o", color=PALETTE[i], label=lab)
        for j, k in enumerate(ks):
            bx.semilogy(r["times"][1:], r["delta"][1:, j], color=PALETTE[j % 8],
                        ls="-" if i == 0 else "--", lw=1.2,
                        label=f"k = {k}" if i == 0 else None)
    ax.set_xlabel("frequency k on the circle")
    ax.set_ylabel("time to learn (flow time t = η·step)")
    ax.legend(fontsize=7)
    bx.set_xscale("log")
    bx.set_xlabel("flow time t = η·step")
    bx.set_ylabel(r"$\Delta_F(k)$   (solid A = 0.01, dashed A = 1)")
    bx.axhline(0.5, color="gray", lw=0.8, ls=":")
    bx.legend(fontsize=7)
    fig.suptitle("Ronen et al.: two-layer ReLU on S¹, time to learn k ∝ k² in the kernel regime",
                 fontsize=9)
    _save(fig, directory, "ronen_sphere")


# --- lazy-map --------------------------------------------------------------------------------


def lazy_map(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """Where does the kernel regime hold? Two-layer ReLU networks (no bias) learn A cos(6θ) on
    64 equispaced points of the circle, for target amplitudes A × widths m, by gradient descent up
    to six times the kernel's time to halve the error. Per run: ‖Θ_t − Θ_0‖/‖Θ_0‖ and the gap to the
    kernel flow of Θ_0 at the end, and the slowdown t_nn/t_kernel of learning k = 6 (Δ_F = 1/2).
    Headline: the largest NTK change and gap in each corner of the map."""
    amplitudes = np.array([0.01, 1.0]) if quick else np.array([0.01, 0.1, 0.3, 1.0, 3.0])
    widths = np.array([64, 1024]) if quick else np.array([64, 256, 1024, 4096])
    k, b_std, n_points = 6, 0.0, 64
    lam = relu_sphere_spectrum(k, b_std)
    t_half = np.log(2) / lam[k]
    shape = (amplitudes.size, widths.size)
    ntk_change, flow_gap, slowdown = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for i, a in enumerate(amplitudes):
        for j, m in enumerate(widths):
            theta, X, y, times, res, net = train_on_circle(
                np.array([k]), float(a), int(m), n_points=n_points, b_std=b_std, t_max=6 * t_half, n_snapshots=30,
                progress=progress, desc=f"lazy-map A={a:g} m={m}")
            reg = dg.kernel_regime(net.apply, [res.params[0], res.params[-1]], X, y=y,
                                   times=times[[0, -1]], warn=False)
            ntk_change[i, j], flow_gap[i, j] = reg.ntk_change[-1], reg.flow_gap[-1]
            delta = dg.delta_f(res.outputs, y, theta, xi=[float(k)])[:, 0]
            slowdown[i, j] = dg.learning_time(times, delta, 0.5) / t_half
    summary = {"amplitudes": amplitudes.tolist(), "widths": widths.tolist(), "k": k,
               "ntk_change": ntk_change.tolist(), "flow_gap": flow_gap.tolist(),
               "slowdown_vs_kernel": store.passage_time_json(slowdown),
               "final_ntk_change_and_flow_gap_le_0.1": (np.maximum(ntk_change, flow_gap) <= 0.1).tolist()}
    store.write_results(directory / "lazy_map.npz",
                        {"amplitudes": amplitudes, "widths": widths, "ntk_change": ntk_change,
                         "flow_gap": flow_gap, "slowdown": slowdown}, {"summary": summary})
    _plot_lazy(amplitudes, widths, {"‖Θ_t − Θ_0‖/‖Θ_0‖": ntk_change,
                                    "gap to the kernel flow": flow_gap,
                                    "t_learn / t_kernel (k = 6)": slowdown}, directory)
    return summary


def _plot_lazy(amplitudes, widths, maps, directory):
    from matplotlib.colors import LogNorm

    from ntk_freq.plotting._style import plt

    fig, axes = plt.subplots(1, len(maps), figsize=(5.0 * len(maps), 3.8), layout="constrained")
    for ax, (title, z) in zip(axes, maps.items()):
        pos = np.where(np.isfinite(z) & (z > 0), z, np.nan)
        lo, hi = (np.nanmin(pos), np.nanmax(pos)) if np.isfinite(pos).any() else (1.0, 1.0)
        im = ax.imshow(pos, origin="lower", aspect="auto", cmap="viridis",
                       norm=LogNorm(vmin=lo, vmax=max(hi, lo * 1.001)))
        for (i, j), val in np.ndenumerate(z):
            dark = np.isfinite(val) and val > 0 and im.norm(val) < 0.6
            ax.text(j, i, f"{val:.2g}" if np.isfinite(val) else "not\nlearned", ha="center",
                    va="center", fontsize=7, color="white" if dark else "black")
        ax.set_xticks(range(widths.size), [str(w) for w in widths])
        ax.set_yticks(range(amplitudes.size), [f"{a:g}" for a in amplitudes])
        ax.set_xlabel("width m")
        ax.set_ylabel("target amplitude A")
        ax.set_title(title, fontsize=9)
        fig.colorbar(im, ax=ax)
    fig.suptitle("Kernel-regime map: two-layer ReLU on S¹ learning A cos 6θ (lazy where ≤ 0.1)",
                 fontsize=9)
    _save(fig, directory, "lazy_map")


# --- digits: xu-digits and fridovich-digits ----------------------------------------------------


def _digits_mlp(width: int, out_dim: int = 10, doubling: bool = True):
    """The digits network: 64 → width → width → out_dim, ReLU, standard parametrisation (He
    initialisation, zero biases), doubled so f₀ ≡ 0 unless ``doubling`` is False (a plain
    network: half the cost)."""
    return mlp_network(64, (width, width), "relu", w_std=np.sqrt(2), b_std=1.0, bias_init="zero",
                       parameterization="standard", out_dim=out_dim, doubling=doubling)


def xu_digits(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """Xu et al.'s F-principle on the 8×8 digits by the filtering method: an MLP 64→128→128→10
    (ReLU) fits the one-hot labels (mean squared error, full-batch Adam); the errors of the low-
    and high-frequency parts (Gaussian filter over the samples of width δ = 1, 1.5, 2 times the
    median nearest-neighbour distance) are tracked over training. Headline: for each δ the first
    step at which e_low and e_high fall to 0.1, and whether the low part converges first."""
    n_per_class, n_steps = (40, 400) if quick else (None, 3000)
    x, labels = load_digits(n_per_class)
    y = one_hot(labels, 10)
    net = _digits_mlp(128)
    steps = _log_steps(n_steps, 40)
    res = fit(net, net.init(jax.random.PRNGKey(0)), x, y=y, optimizer=optax.adam(1e-3), snapshot_steps=steps,
              progress=progress, desc="xu-digits")
    nn, _ = dg.data_scale(x)
    curves = {}
    for factor in (1.0, 1.5, 2.0):
        fe = dg.filtered_errors(res.outputs, y, x, delta=factor * nn)
        curves[factor] = (fe, dg.learning_time(steps, fe.e_low, 0.1), dg.learning_time(steps, fe.e_high, 0.1))
    summary = {"n_images": int(x.shape[0]), "steps": n_steps, "median_nn_distance": nn,
               "delta": {f"{f:g}x": {"delta": c[0].delta, "high_fraction": c[0].high_fraction,
                                      "step_low": store.passage_time_json(c[1]),
                                      "step_high": store.passage_time_json(c[2]),
                                      "low_first": bool(c[1] < c[2])} for f, c in curves.items()},
               "regime": res.regime.summary()}
    store.write_results(directory / "xu_digits.npz",
                        {"steps": steps, **{f"e_low.{f:g}": c[0].e_low for f, c in curves.items()},
                         **{f"e_high.{f:g}": c[0].e_high for f, c in curves.items()},
                         **res.regime.arrays()},
                        {"summary": summary})
    from ntk_freq.plotting._style import plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for i, (f, c) in enumerate(curves.items()):
        ax.loglog(steps[1:], c[0].e_low[1:], color=PALETTE[i], label=f"low, δ = {c[0].delta:.2f}")
        ax.loglog(steps[1:], c[0].e_high[1:], color=PALETTE[i], ls="--", label=f"high, δ = {c[0].delta:.2f}")
    ax.axhline(0.1, color="gray", lw=0.8, ls=":")
    ax.set_xlabel("Adam step")
    ax.set_ylabel("relative error of the part")
    ax.set_title("Xu et al.: F-principle on 8×8 digits (filtering method)", fontsize=9)
    ax.legend(fontsize=7)
    _save(fig, directory, "xu_digits")
    return summary


def fridovich_digits(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """Fridovich-Keil et al. (2022) on the 8×8 digits: the same MLP classifier (64→256→256→10,
    ReLU, He initialisation, not doubled: a plain classifier as in the paper, and half the cost
    of a doubled one; cross-entropy, Adam) trained on clean labels and on labels with 30 % noise, each to
    fit its training set; interpolation spectra of its softmax output along straight paths
    between training images (within and across classes; bands of 1–4, 4–16, 16–64 cycles per
    path). Headline: the high-band power ratio noisy/clean for each kind of path."""
    n_per_class, n_steps, n_pairs = (30, 600, 60) if quick else (None, 2000, 300)
    x, labels = load_digits(n_per_class)
    net = _digits_mlp(128 if quick else 256, doubling=False)
    p0 = net.init(jax.random.PRNGKey(0))

    def probabilities(params, z):
        return jax.nn.softmax(net.apply(params, z), axis=-1)

    spectra, accuracy, regime = {}, {}, {}
    for name, lab in (("clean", labels), ("noisy", noisy_labels(labels, 10, 0.3, seed=1))):
        res = fit(net, p0, x, y=one_hot(lab, 10), optimizer=optax.adam(1e-3), snapshot_steps=np.array([n_steps]),
                  loss="xent", progress=progress, desc=f"fridovich-digits {name}")
        accuracy[name] = float(np.mean(np.argmax(res.outputs[-1], axis=1) == lab))
        regime[name] = res.regime.summary()
        params = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), res.params[-1])
        # paths join images by their true labels: the question is how the function varies between them
        spectra[name] = dg.interpolation_spectra(probabilities, params, x, labels=labels, n_pairs=n_pairs,
                                                 n_points=129, bands=((1, 4), (4, 16), (16, 65)))
    ratio = {kind: (spectra["noisy"].band_power[kind] / spectra["clean"].band_power[kind]).tolist()
             for kind in ("within", "across")}
    summary = {"n_images": int(x.shape[0]), "steps": n_steps, "train_accuracy": accuracy,
               "bands": [list(b) for b in spectra["clean"].bands],
               "band_power": {n: {k: s.band_power[k].tolist() for k in ("within", "across")}
                              for n, s in spectra.items()},
               "noisy_over_clean": ratio,
               "high_band_ratio": {kind: r[-1] for kind, r in ratio.items()},
               "regime": regime}
    store.write_results(directory / "fridovich_digits.npz",
                        {"k": spectra["clean"].k, **{f"{n}.{kind}": getattr(s, kind)
                                                     for n, s in spectra.items()
                                                     for kind in ("within", "across")}},
                        {"summary": summary})
    from ntk_freq.plotting._style import plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, kind in zip(axes, ("within", "across")):
        for i, (n, s) in enumerate(spectra.items()):
            ax.loglog(s.k[1:], getattr(s, kind)[1:], color=PALETTE[i],
                      label=f"{n} labels (train acc. {accuracy[n]:.2f})")
        for lo, _ in spectra["clean"].bands[1:]:
            ax.axvline(lo, color="gray", lw=0.6, ls=":")
        ax.set_xlabel("frequency along the path (cycles per path)")
        ax.set_title(f"{kind}-class paths", fontsize=9)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("mean power of softmax output")
    fig.suptitle("Fridovich-Keil et al.: interpolation spectra of digit classifiers", fontsize=9)
    _save(fig, directory, "fridovich_digits")
    return summary
