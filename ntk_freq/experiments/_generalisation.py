"""Named generalisation experiments (``ntk-freq reproduce NAME``), each the eigenlearning theory
beside Monte-Carlo kernel regression (docs/generalisation.md):

- ``theory-gap``: where the theory holds: theory / Monte Carlo against n on boxes in d = 1, 2, the
  circle, S² and S⁹, for Gaussian and uniform ρ_w and the ReLU NTK;
- ``samples-per-frequency``: Gaussian vs uniform ρ_w, the samples each target frequency needs;
- ``tancik-1d``: Tancik et al.'s 1-D Fourier-feature sweep over a_j = b_j^(−p);
- ``bcp-sphere``: Bordelon, Canatar & Pehlevan's mode errors of a deep ReLU NTK on S⁹.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from pathlib import Path

import numpy as np

from ntk_freq._util import store
from ntk_freq.generalisation import learning_curve, sphere_population
from ntk_freq.networks import FourierFeatures
from ntk_freq.plotting import caption, figure, save_figure, styled
from ntk_freq.problem import Problem

#: Ridge δ (Gram units) of every gap measurement (docs/generalisation.md).
GAP_RIDGE = 1e-3
GAP_SIZES = {False: (5, 10, 20, 40, 80, 160, 320), True: (5, 20, 80)}
GAP_DRAWS = {False: 40, True: 8}


def _exp_kernel(a, b):
    """exp(2(x·x' − 1)): the smooth dot-product kernel of the sphere measurements
    (docs/generalisation.md)."""
    return np.exp(2.0 * (a @ b.T - 1.0))


def _relu_ntk(a, b):
    """The two-layer ReLU NTK with bias (b_std = 0.5): every degree learnable on the sphere."""
    from ntk_freq.kernels import two_layer_ntk

    return two_layer_ntk(a, b, "relu", b_std=0.5)


def _gaussian_ff(scale: float):
    """The FF-NN's readout kernel φ_w(x − x') of an isotropic Gaussian ρ_w on R²: a dot-product
    kernel on the circle, exp(−s²(1 − x·x'))."""
    return lambda a, b: np.exp(-scale**2 * (1.0 - a @ b.T))


def _uniform_ball_ff(radius: float):
    """The FF-NN's readout kernel φ_w(x − x') of ρ_w uniform on the ball |w| ≤ B in R³:
    3(sin z − z cos z)/z³ at z = B|x − x'| (1 at z = 0), a dot-product kernel on S²."""
    def kernel(a, b):
        z = radius * np.sqrt(np.clip(2.0 - 2.0 * (a @ b.T), 0.0, None))
        small = z < 1e-3
        zs = np.where(small, 1.0, z)
        return np.where(small, 1.0 - z**2 / 10, 3.0 * (np.sin(zs) - zs * np.cos(zs)) / zs**3)

    return kernel


def _polynomial_target(x):
    return x[:, 0] + 3.0 * x[:, 0] * x[:, 1]


def _polynomial_power(d: int, kmax: int) -> np.ndarray:
    """x₁ + 3x₁x₂ on S^{d−1}: power 1/d in degree 1, 9/(d(d+2)) in degree 2."""
    P = np.zeros(kmax + 1)
    P[1], P[2] = 1.0 / d, 9.0 / (d * (d + 2))
    return P


def _circle_target(x):
    """cos 2θ + cos 7θ on the unit circle (power ½ in degrees 2 and 7)."""
    theta = np.arctan2(x[:, 1], x[:, 0])
    return np.cos(2 * theta) + np.cos(7 * theta)


def _equispaced_circle(rng: np.random.Generator, n: int) -> np.ndarray:
    """n equispaced points of the unit circle at a uniformly random rotation."""
    theta = rng.uniform(0.0, 2 * np.pi) + 2 * np.pi * np.arange(n) / n
    return np.stack([np.cos(theta), np.sin(theta)], axis=-1)


def _circle_power(kmax: int) -> np.ndarray:
    P = np.zeros(kmax + 1)
    P[2] = P[7] = 0.5
    return P


def gap_cases(quick: bool) -> dict:
    """name → (population or problem, learning_curve keywords) of the theory-gap measurement."""
    ff = FourierFeatures(sigma_a=0.5, width=1024)
    box2 = dict(dim=2, half_width=5.0, n_points=32, target="windowed-sines:2/0,0/3;width=1")
    cases = {
        "interval, Gaussian ρ_w (s = 3)": Problem(rho="gaussian:3", network=ff),
        "interval, uniform ρ_w (B = 10)": Problem(rho="uniform:10", network=ff),
        "square, Gaussian ρ_w (s = 2)": Problem(rho="gaussian:2", network=ff, **box2),
        "square, uniform ρ_w (B = 5)": Problem(rho="uniform:5", network=ff, **box2),
        "circle, Gaussian ρ_w (s = 3)": sphere_population(_gaussian_ff(3.0), 2, _circle_target, kmax=200,
                                                          target_power=_circle_power(200)),
        "circle, Gaussian ρ_w, equispaced samples": dataclasses.replace(
            sphere_population(_gaussian_ff(3.0), 2, _circle_target, kmax=200,
                              target_power=_circle_power(200)), sample=_equispaced_circle),
        "circle, ReLU NTK": sphere_population(_relu_ntk, 2, _circle_target, kmax=200,
                                              target_power=_circle_power(200)),
        "S², exp(2(x·x'−1))": sphere_population(_exp_kernel, 3, _polynomial_target, kmax=100,
                                                target_power=_polynomial_power(3, 100)),
        "S², ReLU NTK": sphere_population(_relu_ntk, 3, _polynomial_target, kmax=100,
                                          target_power=_polynomial_power(3, 100)),
        "S², Gaussian ρ_w (s = 2)": sphere_population(_gaussian_ff(2.0), 3, _polynomial_target, kmax=100,
                                                      target_power=_polynomial_power(3, 100)),
        "S², uniform-ball ρ_w (B = 4)": sphere_population(_uniform_ball_ff(4.0), 3, _polynomial_target,
                                                          kmax=100, target_power=_polynomial_power(3, 100)),
        "S⁹, exp(2(x·x'−1))": sphere_population(_exp_kernel, 10, _polynomial_target, kmax=12,
                                                target_power=_polynomial_power(10, 12)),
        "S⁹, ReLU NTK": sphere_population(_relu_ntk, 10, _polynomial_target, kmax=12,
                                          target_power=_polynomial_power(10, 12)),
        "S⁹, Gaussian ρ_w (s = 1)": sphere_population(_gaussian_ff(1.0), 10, _polynomial_target, kmax=12,
                                                      target_power=_polynomial_power(10, 12)),
    }
    return {name: (case, dict(nodes=48) if "square" in name else {}) for name, case in cases.items()}


def theory_gap(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """theory / Monte Carlo of kernel ridge regression's test error (δ = 10⁻³, 40 draws; 8 in
    the quick form) against n for every case of :func:`gap_cases`; writes ``theory_gap.png``,
    ``theory_gap.csv`` and ``theory_gap.npz``. Headline: per case the ratio at each n and the
    standard error of the Monte-Carlo mean."""
    ns = GAP_SIZES[quick]
    rows, summary = [], {}
    for name, (case, options) in gap_cases(quick).items():
        ds = learning_curve(case, ns, ridge=GAP_RIDGE, draws=GAP_DRAWS[quick], progress=progress, **options)
        at = ds.isel(time=-1)
        ratio = (at.test_error_theory / at.test_error_mc).values
        rel_se = (at.test_error_mc_se / at.test_error_mc).values
        summary[name] = {"n": list(ns), "theory_over_mc": ratio.tolist(), "mc_relative_se": rel_se.tolist(),
                         "test_error_mc": at.test_error_mc.values.tolist()}
        rows.append((name, ratio, rel_se))
    _plot_gap(ns, rows, directory / "theory_gap.png")
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["case", *(f"theory_over_mc_n={n}" for n in ns)])
    writer.writerows([name, *(f"{r:.3g}" for r in ratio)] for name, ratio, _ in rows)
    store.atomic_write(directory / "theory_gap.csv", lambda f: f.write(text.getvalue().encode()))
    store.write_results(directory / "theory_gap.npz",
                        {"n": np.array(ns), "ratio": np.array([r for _, r, _ in rows]),
                         "relative_se": np.array([s for _, _, s in rows])},
                        {"cases": [name for name, _, _ in rows], "ridge": GAP_RIDGE,
                         "draws": GAP_DRAWS[quick]})
    return {"ridge": GAP_RIDGE, "draws": GAP_DRAWS[quick], "cases": summary}


@styled
def _plot_gap(ns, rows, path):
    fig, axes = figure(1, 1, height=3.2)
    ax = axes[0, 0]
    for i, (name, ratio, rel_se) in enumerate(rows):
        style = "o-" if name.startswith(("interval", "square")) else "s--" if name.startswith("circle") else "^:"
        ax.errorbar(ns, ratio, yerr=2 * rel_se * ratio, fmt=style, ms=3, color=f"C{i % 8}", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.axhline(1.0, color="0.4", lw=0.8)
    ax.fill_between([min(ns), max(ns)], 0.9, 1.1, color="0.85", label="±10 %")
    ax.set(xlabel="samples n", ylabel="theory / Monte Carlo (test error)",
           title="where the eigenlearning theory holds")
    ax.legend(fontsize=5.5, ncol=2)
    caption(fig, f"Kernel ridge regression, δ = {GAP_RIDGE:g} (Gram units); Monte Carlo over "
                 "independent draws (bars: ±2 standard errors of its mean).")
    return save_figure(fig, path)


# --- samples per frequency ------------------------------------------------------------------

SPF_RHOS = ("gaussian:3", "uniform:10")
SPF_SIZES = {False: tuple(int(n) for n in np.unique(np.round(np.geomspace(10, 640, 13)))),
             True: (10, 40, 160)}
#: A band counts as learned when its error is this fraction of the target's power in it.
LEARNED = 0.1


def samples_needed(n, band_error, band_power, fraction: float = LEARNED) -> np.ndarray:
    """The first n at which each band's error falls to ``fraction`` of its target power, by
    log-linear interpolation in (log n, log error); NaN where it never does. band_error (S, B)."""
    n = np.asarray(n, dtype=float)
    out = np.full(band_error.shape[1], np.nan)
    for b in range(band_error.shape[1]):
        level = np.log(fraction * band_power[b])
        e = np.log(np.maximum(band_error[:, b], 1e-300))
        below = np.flatnonzero(e <= level)
        if below.size == 0:
            continue
        j = below[0]
        if j == 0:
            out[b] = n[0]
            continue
        s = (level - e[j - 1]) / (e[j] - e[j - 1])
        out[b] = float(np.exp(np.log(n[j - 1]) + s * (np.log(n[j]) - np.log(n[j - 1]))))
    return out


SPF_KAPPAS = {False: (1.0, 2.0, 4.0, 7.0, 10.0), True: (2.0, 7.0)}


def samples_per_frequency(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """Gaussian (s = 3) vs uniform (B = 10) ρ_w: how many samples a target of one frequency κ
    needs. For each κ the target is one windowed sine e^{−x²/2w²} sin κx (w = 1.5) on [−10, 10]
    (FF-NN σ_a = 0.5), learned by ridge regression (δ = 10⁻⁶; 30 draws, 6 in the quick form);
    n(κ) is where the test error falls to 10 % of the target's power, by the theory and by Monte
    Carlo. The sample-size counterpart of "κ is learned at a rate ∝ ρ̄_w(κ)". Writes
    ``samples_per_frequency.png``."""
    ns, kappas = SPF_SIZES[quick], SPF_KAPPAS[quick]
    draws = 6 if quick else 30
    out, curves = {}, {}
    for rho in SPF_RHOS:
        needed = {"theory": [], "mc": []}
        for kappa in kappas:
            problem = Problem(rho=rho, network=FourierFeatures(sigma_a=0.5, width=1024),
                              target=f"windowed-sines:{kappa:g};width=1.5")
            at = learning_curve(problem, ns, ridge=1e-6, draws=draws, progress=progress).isel(time=-1)
            norm = float(at.target_band_power.sum())
            for route, name in (("theory", "test_error_theory"), ("mc", "test_error_mc")):
                needed[route].append(float(samples_needed(ns, at[name].values[:, None], [norm])[0]))
            curves[(rho, kappa)] = (at.test_error_theory.values / norm, at.test_error_mc.values / norm,
                                    at.test_error_mc_se.values / norm)
        out[rho] = {"kappa": list(kappas), "n_needed_theory": needed["theory"], "n_needed_mc": needed["mc"]}
    _plot_spf(ns, kappas, out, curves, directory / "samples_per_frequency.png")
    return {"learned_fraction": LEARNED, "draws": draws, "ridge": 1e-6, "rho": out}


@styled
def _plot_spf(ns, kappas, needed, curves, path):
    fig, axes = figure(1, 1 + len(SPF_RHOS))
    ax = axes[0, 0]
    for i, (rho, row) in enumerate(needed.items()):
        ax.plot(kappas, row["n_needed_theory"], "-", color=f"C{i}", label=f"{rho}: theory")
        ax.plot(kappas, row["n_needed_mc"], "o", color=f"C{i}", label=f"{rho}: Monte Carlo")
    ax.set(xlabel="target frequency κ", ylabel=f"samples to reach {LEARNED:.0%} error",
           title="samples per frequency", yscale="log")
    ax.legend(fontsize=6)
    for ax, rho in zip(axes[0, 1:], SPF_RHOS):
        for j, kappa in enumerate(kappas):
            theory, mc, se = curves[(rho, kappa)]
            ax.loglog(ns, theory, "-", color=f"C{j}", label=f"κ = {kappa:g}")
            ax.errorbar(ns, mc, yerr=np.stack([np.minimum(2 * se, 0.9 * mc), 2 * se]), fmt="o",
                        ms=2.5, color=f"C{j}")
        ax.axhline(LEARNED, color="0.5", lw=0.8, ls=":")
        ax.set(xlabel="samples n", ylabel="test error / target power", title=f"ρ_w = {rho}")
        ax.legend(fontsize=6)
    caption(fig, "One windowed sine e^{−x²/4.5} sin κx per curve on [−10, 10], FF-NN σ_a = 0.5, "
                 "ridge 10⁻⁶; lines: theory, points: Monte Carlo (±2 SE).")
    return save_figure(fig, path)


# --- Tancik et al.: Fourier features in 1-D ------------------------------------------------------

TANCIK_POWERS = (0.0, 0.5, 1.0, 1.5, 2.0, math.inf, None)  # None: no mapping (raw x)
TANCIK_POINTS, TANCIK_STRIDE, TANCIK_FEATURES = 256, 8, 16
#: The trained flow time (t = η · step on the mean loss) and the network.
TANCIK = {False: dict(t=100.0, hidden=(1024, 1024), targets=8),
          True: dict(t=100.0, hidden=(256, 256), targets=2)}


def tancik_target(seed: int, x: np.ndarray) -> np.ndarray:
    """A 1/f signal band-limited to N/4 = 64 cycles on [0, 1): Σ_{k ≤ 64} cos(2πkx + φ_k)/k with
    random phases φ_k (seeded), scaled to unit mean square on the 256-point grid."""
    k = np.arange(1, TANCIK_POINTS // 4 + 1)
    phases = np.random.default_rng([seed, 11]).uniform(0, 2 * np.pi, k.size)
    y = (np.cos(2 * np.pi * np.outer(x, k) + phases) / k).sum(axis=1)
    return y / np.sqrt(np.mean(y**2))


def tancik_network(p, hidden) -> "MLP":  # noqa: F821
    """The ReLU MLP (He initialisation σ_w = √2, σ_b = 0.1, NTK parameterisation) on the
    embedding b_j = 1…16, a_j = b_j^(−p) (p = ∞: b = 1 alone), or on raw x (p None)."""
    from ntk_freq.networks import MLP, FourierEmbedding

    embedding = None if p is None else FourierEmbedding.powers(TANCIK_FEATURES, p)
    return MLP(hidden=hidden, activation="relu", w_std=math.sqrt(2.0), b_std=0.1,
               embedding=embedding, dtype="float32")


def tancik_1d(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """Tancik et al. (2020), the 1-D sweep: 32 training points (every 8th of 256 on [0, 1)), the
    other 224 as test points, 1/f targets band-limited to 64 cycles (8 seeds; 2 in the quick
    form), a ReLU MLP (2 × 1024; 2 × 256 quick) on the Fourier embedding with a_j = b_j^(−p) for
    p = 0, ½, 1, 3/2, 2, ∞ and on raw x. Test MSE against p from three routes: the exact kernel
    flow at the trained time t = 100, kernel regression (t = ∞, ridgeless), and networks trained
    by gradient descent to t = 100 (one per target, test error recorded at the trained time).
    Headline: the p of the lowest error per route — a U-shape best near p = 1 at the trained
    time; at t → ∞ the large-p side flattens (every p ≥ 1 interpolates alike)."""
    import jax

    from ntk_freq.distributions import distribution
    from ntk_freq.kernels import KernelOperator
    from ntk_freq.training import train

    cfg = TANCIK[quick]
    x = np.arange(TANCIK_POINTS) / TANCIK_POINTS
    train_at = np.arange(0, TANCIK_POINTS, TANCIK_STRIDE)
    test_at = np.setdiff1d(np.arange(TANCIK_POINTS), train_at)
    X, X_test = x[train_at, None], x[test_at, None]
    targets = [tancik_target(s, x) for s in range(cfg["targets"])]
    t = np.array([cfg["t"], math.inf])
    rows = {}
    for p in TANCIK_POWERS:
        net = tancik_network(p, cfg["hidden"])
        K = net.ntk(x[:, None], x[:, None], None)
        op = KernelOperator.from_gram(K[np.ix_(train_at, train_at)])
        eta = min(1.0, 1.0 / (op.lam.max()))  # half the stability limit 2/λ_max(Θ/N) at most
        steps = int(math.ceil(cfg["t"] / eta))
        eta = cfg["t"] / steps
        kernel, nn = [], []
        finite = net.finite(distribution("gaussian:1"))
        for s, y in enumerate(targets):
            f = -(K[np.ix_(test_at, train_at)] @ (op.integral(-y[train_at], t).T / len(train_at))).T
            kernel.append(np.mean((f - y[test_at]) ** 2, axis=1))
            run = train(finite, finite.init(jax.random.PRNGKey(s)), X, y=y[train_at], eta=eta,
                        times=[cfg["t"]], dtype="float32", regime=False, x_test=X_test,
                        progress=f"tancik p={p}" if progress else False)
            nn.append(run.test_error(y[test_at])[-1])
        kernel, nn = np.array(kernel), np.array(nn)
        rows["none" if p is None else f"{p:g}"] = {
            "kernel_flow": float(kernel[:, 0].mean()), "kernel_regression": float(kernel[:, 1].mean()),
            "network": float(nn.mean()), "network_se": float(nn.std(ddof=1) / math.sqrt(nn.size)) if nn.size > 1 else math.nan,
            "eta": eta, "steps": steps}
    finite_ps = [k for k in rows if k != "none"]
    best = {route: min(finite_ps, key=lambda k: rows[k][route]) for route in ("kernel_flow", "kernel_regression", "network")}
    _plot_tancik(rows, cfg, directory / "tancik_1d.png")
    store.write_json(directory / "tancik_1d.json", rows)
    return {"t_trained": cfg["t"], "hidden": list(cfg["hidden"]), "targets": cfg["targets"],
            "test_mse": rows, "best_p": best}


@styled
def _plot_tancik(rows, cfg, path):
    fig, axes = figure(1, 1, height=3.0)
    ax = axes[0, 0]
    ps = [k for k in rows if k != "none"]
    pos = np.arange(len(ps))
    for route, style, label in (("kernel_flow", "o-", f"kernel flow at t = {cfg['t']:g}"),
                                ("network", "s", f"trained ReLU MLP {cfg['hidden']} at t = {cfg['t']:g}"),
                                ("kernel_regression", "^--", "kernel regression (t = ∞)")):
        values = [rows[k][route] for k in ps]
        if route == "network":
            ax.errorbar(pos, values, yerr=[2 * rows[k]["network_se"] for k in ps], fmt=style, ms=4, label=label)
        else:
            ax.plot(pos, values, style, ms=4, label=label)
        ax.axhline(rows["none"][route], ls=":", lw=0.8, color=ax.lines[-1].get_color())
    ax.set_xticks(pos, ["∞" if k == "inf" else k for k in ps])
    ax.set(xlabel="p (a_j = b_j^(−p), b_j = 1…16)", ylabel="test MSE (224 points)", yscale="log",
           title="Tancik et al. 1-D: Fourier features on 32 points")
    ax.legend(fontsize=6)
    caption(fig, "1/f targets band-limited to 64 cycles; dotted: no mapping (raw x) for each route.")
    return save_figure(fig, path)


# --- Bordelon, Canatar & Pehlevan: mode errors of a deep ReLU NTK on S⁹ ---------------------------

BCP_DIM, BCP_DEGREES, BCP_KMAX = 10, (1, 2, 3, 4), 12
BCP = {False: dict(sizes=(10, 20, 40, 80, 160, 320, 640), draws=30, test_points=1000),
       True: dict(sizes=(10, 40, 160), draws=6, test_points=400)}


def bcp_target(dim: int = BCP_DIM, degrees=BCP_DEGREES, seed: int = 0):
    """f*(x) = Σ_k c_k P_k(x·u_k): one zonal harmonic of each degree k (P_k the Gegenbauer
    polynomial with P_k(1) = 1, u_k random unit vectors), with c_k² = N(d, k)/len(degrees) so that
    each degree holds power 1/len(degrees) (∫ P_k(x·u)² dσ = 1/N(d, k)). Returns (f*, power per
    degree 0…kmax)."""
    from scipy import special

    from ntk_freq.generalisation import uniform_sphere
    from ntk_freq.kernels import sphere_multiplicity

    u = uniform_sphere(np.random.default_rng([seed, 5]), len(degrees), dim)
    alpha = (dim - 2) / 2
    c = np.sqrt(sphere_multiplicity(dim, np.array(degrees)) / len(degrees))

    def target(x):
        t = np.clip(x @ u.T, -1.0, 1.0)
        return sum(c[i] * special.eval_gegenbauer(k, alpha, t[:, i]) / special.eval_gegenbauer(k, alpha, 1.0)
                   for i, k in enumerate(degrees))

    power = np.zeros(BCP_KMAX + 1)
    power[list(degrees)] = 1.0 / len(degrees)
    return target, power


def bcp_sphere(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """Bordelon, Canatar & Pehlevan (2020): the mode errors E_k of kernel regression with the NTK
    of a deep ReLU network (3 hidden layers, σ_w = √2, σ_b = 0.1) on S⁹ against the number of
    samples P, for a target with equal power in degrees 1–4 (ridge 10⁻³; 30 draws, 6 quick).
    Theory (eigenlearning on the Funk–Hecke spectrum, degrees ≤ 12, the tail folded in as a ridge)
    against Monte Carlo (per-degree errors by unbiased U-statistics on fresh test points).
    Headline: E_k/P_k falls degree by degree (low k first), and theory / Monte Carlo per degree."""
    from ntk_freq.generalisation import learning_curve, sphere_population
    from ntk_freq.networks import MLP

    cfg = BCP[quick]
    net = MLP(hidden=(512, 512, 512), activation="relu", w_std=math.sqrt(2.0), b_std=0.1)
    target, power = bcp_target()
    pop = sphere_population(lambda a, b: net.ntk(a, b, None), BCP_DIM, target, kmax=BCP_KMAX,
                            test_points=cfg["test_points"], target_power=power)
    edges = [0, *(k + 1 for k in range(max(BCP_DEGREES) + 1)), math.inf]  # one band per degree ≤ 4
    ds = learning_curve(pop, cfg["sizes"], ridge=1e-3, draws=cfg["draws"], bands=edges,
                        progress=progress).isel(time=-1)
    degrees = list(BCP_DEGREES)
    theory = ds.band_error_theory.values[:, degrees] / power[degrees]
    mc = ds.band_error_mc.values[:, degrees] / power[degrees]
    se = ds.band_error_mc_se.values[:, degrees] / power[degrees]
    _plot_bcp(cfg["sizes"], degrees, theory, mc, se, directory / "bcp_sphere.png")
    store.write_results(directory / "bcp_sphere.npz",
                        {"P": np.array(cfg["sizes"]), "degree": np.array(degrees), "theory": theory,
                         "mc": mc, "mc_se": se, "test_error_theory": ds.test_error_theory.values,
                         "test_error_mc": ds.test_error_mc.values}, {"draws": cfg["draws"]})
    return {"P": list(cfg["sizes"]), "degrees": degrees, "relative_mode_error_theory": theory.tolist(),
            "relative_mode_error_mc": mc.tolist(),
            "theory_over_mc_total": (ds.test_error_theory / ds.test_error_mc).values.tolist()}


@styled
def _plot_bcp(sizes, degrees, theory, mc, se, path):
    fig, axes = figure(1, 1, height=3.0)
    ax = axes[0, 0]
    for j, k in enumerate(degrees):
        ax.loglog(sizes, theory[:, j], "-", color=f"C{j}", label=f"k = {k}: theory")
        ax.errorbar(sizes, mc[:, j], yerr=np.stack([np.minimum(2 * se[:, j], 0.9 * mc[:, j]), 2 * se[:, j]]),
                    fmt="o", ms=3, color=f"C{j}", label=f"k = {k}: Monte Carlo")
    ax.set(xlabel="samples P", ylabel="E_k / (target power in degree k)",
           title="mode errors, deep ReLU NTK on S⁹ (Bordelon, Canatar & Pehlevan)")
    ax.legend(fontsize=6, ncol=2)
    caption(fig, "3-hidden-layer ReLU NTK (σ_w = √2, σ_b = 0.1), equal power in degrees 1–4, ridge 10⁻³; "
                 "points: Monte Carlo ± 2 SE (per-degree U-statistics on fresh test points).")
    return save_figure(fig, path)
