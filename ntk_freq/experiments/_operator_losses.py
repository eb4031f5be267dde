"""Named experiments of operator losses (docs/operator-losses.md): the screened-Poisson bias
reversal and its designed correction, and Helmholtz resonance. Each runs the three routes of
:func:`ntk_freq.compare` (the PDE (E3_L), the exact residual kernel flow, trained FF-PINNs) and
writes the comparison's figures and files beside its summary."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ntk_freq.comparison._compare import compare
from ntk_freq.experiments._run import _write_comparison
from ntk_freq.problem import Problem

#: The PINN problem of both experiments: windowed sines (w = 1.5) on 160 points of [−10, 10],
#: σ_a = 0.5, gradient descent to t = 1. Quick: a narrower network, fewer snapshots.
PINN = dict(target="windowed-sines:2,7;width=1.5", sigma_a=0.5, eta=0.002, steps=500,
            n_snapshots=21, half_width=10.0, n_points=160, n_xi=241, dtype="float32")
QUICK = dict(width=512, n_snapshots=11, n_xi=121)


def _settings(quick: bool, **changes) -> dict:
    return {**PINN, "width": 4096, **(QUICK if quick else {}), **changes}


def _rates(summary: dict, pairs: tuple) -> dict:
    """Per ρ_w (summary key), the ratio of the rates at the κ pair (fast candidate over slow),
    W frozen (closed form) and per route (effective, −ln(remaining)/t at the final time)."""
    hi, lo = (f"xi={k:g}" for k in pairs)
    return {rho: {"frozen": s["frozen_rate"][hi] / s["frozen_rate"][lo],
                  **{route: s["effective_rate"][route][hi] / s["effective_rate"][route][lo]
                     for route in ("pde", "kernel", "nn")}}
            for rho, s in summary.items()}


def pinn_reversal(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """Screened Poisson −u'' + u with a Gaussian ρ_w (s = 3): the residual loss learns κ = 7
    faster than κ = 2 (8.2× with W frozen), the plain loss's bias reversed; the ρ_w designed for
    a flat profile under (E3_L) (:func:`ntk_freq.design_rho` with the loss, band |ξ| ≤ 8) brings
    the two together. Writes the comparison of both ρ_w; returns its summary with the rate ratio
    κ = 7 over κ = 2 per ρ_w (frozen, and per route at t = 1)."""
    from ntk_freq.design import RateProfile, design_rho

    base = Problem.from_settings(rho="gaussian:3", loss="screened-poisson:1", **_settings(quick))
    design = design_rho(RateProfile(1.0, (0.0, 8.0), absolute=False), problem=base, n_points=201)
    cmp = compare([base, base.replace(rho=design.rho)], progress=progress)
    summary = cmp.summary()
    _write_comparison(cmp, directory, summary)
    names = dict(zip(summary, ("gaussian:3", "designed (flat under (E3_L))")))
    return {"spec": cmp.spec, "design": {"band": [0.0, 8.0], "iterations": design.iterations,
                                         "residual": design.residual},
            "rate_ratio_xi7_over_xi2": {names[k]: r for k, r in _rates(summary, (7, 2)).items()},
            "rho": {names[k]: s for k, s in summary.items()}}


def helmholtz_resonance(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """Helmholtz −u'' − 9u (k = 3) on windowed sines at κ = 2, 3, 5: q = (ξ² − 9)² vanishes at
    |ξ| = 3, so with W frozen the resonant frequency is not learned while 2 and 5 are; with W
    trained the σ_a² transport reaches it slowly. Writes one comparison per part
    (``readout/``, ``full/``); returns the remaining fractions at t = 1 per part and route."""
    out = {}
    for part in ("readout", "full"):
        problem = Problem.from_settings(rho="gaussian:3", loss="helmholtz:3", part=part,
                                        **_settings(quick, target="windowed-sines:2,3,5;width=1.5"))
        cmp = compare(problem, progress=progress)
        summary = cmp.summary()
        (directory / part).mkdir(parents=True, exist_ok=True)
        _write_comparison(cmp, directory / part, summary)
        s = summary["gaussian:3"]
        out[part] = {"remaining_fraction": s["remaining_fraction"], "frozen_rate": s["frozen_rate"],
                     "pde_vs_kernel_rel_l2": s["pde_vs_kernel_rel_l2"],
                     "nn_vs_kernel_rel_l2": s["nn_vs_kernel_rel_l2"]}
    return {"t": PINN["eta"] * PINN["steps"], "part": out}


#: Sobolev experiment on the circle: N uniform points θ_i, the target's degrees, the orders s.
CIRCLE_POINTS = 64
SOBOLEV_DEGREES = (1, 2, 3, 4, 6, 8, 12)
SOBOLEV_ORDERS = (-1, 0, 1)
#: Exponents are fitted from this degree on (λ_k reaches its k^{−2} law from about k = 3).
FIT_FROM = 3


def fourier_basis(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The real orthonormal Fourier basis of n uniform points on the circle (rows: the constant,
    then √2 cos kθ and √2 sin kθ for k = 1 … n/2 − 1, and cos(nθ/2)), divided by √n, with the
    degree k of each row."""
    theta = 2 * np.pi * np.arange(n) / n
    rows, degree = [np.ones(n)], [0]
    for k in range(1, n // 2):
        rows += [np.sqrt(2) * np.cos(k * theta), np.sqrt(2) * np.sin(k * theta)]
        degree += [k, k]
    rows.append(np.cos(n // 2 * theta))
    degree.append(n // 2)
    return np.array(rows) / np.sqrt(n), np.array(degree)


def sobolev_circle(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """Yu, Yang and Townsend's Sobolev training on the circle: the H^s loss ½ Σ_k (1 + k²)^s |r̂_k|²
    (Fourier coefficients of the residual on N uniform points) multiplies the kernel rate λ_k of
    degree k by (1 + k²)^s. A two-layer ReLU network with biases has λ_k ~ k^{−2} (Funk–Hecke),
    so the rates go as k^{2s−2}: k^{−4}, k^{−2}, k^0 for s = −1, 0, 1. Routes: the theory
    λ_k (1 + k²)^s from the continuous spectrum; the exact kernel flow on the N points (the
    circulant Gram's eigenvalue of degree k times (1 + k²)^s); networks of width m trained by
    gradient descent on that loss, their rate −ln(|r̂_k(t)|/|r̂_k(0)|)/t at the time the fastest
    target degree has fallen by about e (step η = 1/λ_max of the loss's kernel). Writes
    sobolev_circle.png; returns the fitted exponents and the rates per route."""
    import jax

    from ntk_freq.distributions import distribution
    from ntk_freq.kernels._spectra import sphere_spectrum
    from ntk_freq.losses._operator import ResidualData
    from ntk_freq.networks import MLP
    from ntk_freq.training._train import train

    width = 1024 if quick else 8192
    mlp = MLP(hidden=(width,), activation="relu", b_std=1.0, dtype="float64")
    n = CIRCLE_POINTS
    theta = 2 * np.pi * np.arange(n)[:, None] / n
    x = np.hstack([np.cos(theta), np.sin(theta)])
    basis, degree = fourier_basis(n)
    ks = np.array(SOBOLEV_DEGREES)
    lam_theory = sphere_spectrum(lambda a, b: mlp.ntk(a, b, None), 2, int(ks.max()))[ks]
    gram = mlp.ntk(x, x, None)
    lam_points = np.array([basis[degree == k][0] @ gram @ basis[degree == k][0] / n for k in ks])
    y = np.sin(ks[None, :] * theta).sum(axis=1)  # every degree at amplitude 1
    finite = mlp.finite(distribution("gaussian:1", 2))  # only its dimension d = 2 is read
    on_circle = finite._replace(apply=lambda params, th: finite.apply(params, jnp_circle(th)),
                                loss_and_grad=None, ntk_gram=None, apply_operator=None)
    rows = {}
    for s in SOBOLEV_ORDERS:
        q = (1.0 + degree.astype(float) ** 2) ** s
        M = np.sqrt(q)[:, None] * basis
        rate_max = float(np.max(np.linalg.eigvalsh(M @ gram @ M.T))) / n
        eta = 0.5 * 2.0 / rate_max
        kernel = lam_points * (1 + ks**2.0) ** s
        t = eta * max(1, round(1.0 / (eta * kernel.max())))  # the fastest target degree falls by ~e
        residual = ResidualData(((theta, M),), M @ y, np.full(n, 1.0 / n))
        fit = train(on_circle, finite.init(jax.random.PRNGKey(0)), theta, y=y, eta=eta,
                    times=np.array([0.0, t]), residual=residual, progress=progress and f"s = {s}",
                    dtype="float64", regime=False)
        coeff = np.abs(np.array([[basis[degree == k][1] @ u for k in ks] for u in fit.u]))
        rows[s] = {"theory": lam_theory * (1 + ks**2.0) ** s, "kernel": kernel,
                   "nn": -np.log(coeff[1] / coeff[0]) / t}
    tail = ks >= FIT_FROM
    exponents = {s: {route: _exponent(ks[tail], r[tail]) for route, r in row.items()}
                 for s, row in rows.items()}
    _plot_sobolev(ks, rows, directory / "sobolev_circle.png")
    return {"degrees": ks.tolist(), "width": width, "points": n, "fit_from_degree": FIT_FROM,
            "exponent": {f"s={s}": e for s, e in exponents.items()},
            "expected_exponent": {f"s={s}": 2 * s - 2 for s in rows},
            "rate": {f"s={s}": {route: r.tolist() for route, r in row.items()} for s, row in rows.items()}}


def _exponent(k, rate) -> float | None:
    """The least-squares slope of log rate against log k over the positive rates (None with
    fewer than three: a trained network's slow modes may not have moved above its noise)."""
    ok = rate > 0
    return float(np.polyfit(np.log(k[ok]), np.log(rate[ok]), 1)[0]) if ok.sum() >= 3 else None


def jnp_circle(theta):
    """θ (n, 1) ↦ the points (cos θ, sin θ) (n, 2), traceable."""
    import jax.numpy as jnp

    return jnp.concatenate([jnp.cos(theta), jnp.sin(theta)], axis=1)


def _plot_sobolev(ks, rows: dict, path: Path) -> None:
    from ntk_freq.plotting._style import COLUMN, figure, save_figure, styled

    styled(_draw_sobolev)(ks, rows, path, figure, save_figure, COLUMN)


def _draw_sobolev(ks, rows, path, figure, save_figure, width) -> None:
    fig, axes = figure(width=width, height=2.6)
    ax = axes[0, 0]
    for s, row in rows.items():
        line, = ax.loglog(ks, row["theory"], "-", label=f"s = {s}: theory λ_k(1+k²)^s")
        ax.loglog(ks, row["kernel"], "o", color=line.get_color(), mfc="none", label="kernel flow")
        ax.loglog(ks, row["nn"], "x", color=line.get_color(), label="trained")
    ax.set_xlabel("degree k")
    ax.set_ylabel("rate (1/t)")
    ax.legend(fontsize=6)
    save_figure(fig, path)


def spectral_preconditioner(gram: np.ndarray, epsilon: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Geifman et al.'s spectral preconditioner for Θ(X, X)/N = V diag(λ) Vᵀ:
    g(λ) = (λ_max + ε)/(λ + ε), which keeps the top rate (so the stability limit) and lifts every
    mode with λ ≫ ε towards it. Returns (λ, g(λ), M = V diag(√g) Vᵀ): the loss ½/N ‖M(f − y)‖²
    has the gradient Jᵀ g(Θ/N)(f − y)/N, so each mode's rate λ becomes g(λ)λ."""
    n = len(gram)
    lam, V = np.linalg.eigh(gram / n)
    lam = np.clip(lam, 0.0, None)
    g = (lam.max() + epsilon) / (lam + epsilon)
    return lam, g, (V * np.sqrt(g)) @ V.T


def preconditioning(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """Spectral preconditioning of gradient descent (Geifman et al.): with W frozen (random
    features, Gaussian ρ_w s = 3, the default data and target) each kernel mode's rate λ becomes
    g(λ)λ with g(λ) = (λ_max + ε)/(λ + ε), ε = 10⁻³ λ_max. Routes: the theory (the W-frozen rate
    λ(κ) = c 2π ρ̄_w(κ) and g(λ(κ))λ(κ)), the exact kernel flow on the points, and networks of
    width m trained on the loss ½/N ‖M(f − y)‖², M = g(Θ/N)^{1/2} from the closed-form Gram.
    Returns the times to learn each κ to 10 % (first passage; theory ln 10 / rate) and the
    speed-ups, plain over preconditioned; writes the comparison's remaining fractions as a figure."""
    import jax

    from ntk_freq.data._density import measured_spectrum
    from ntk_freq.data._fourier import remaining_fraction
    from ntk_freq.design import first_passage
    from ntk_freq.kernels._operator import snapshot_steps
    from ntk_freq.losses._operator import ResidualData
    from ntk_freq.training._train import train

    problem = Problem.from_settings(rho="gaussian:3", part="readout", eta=0.5, steps=2000,
                                    n_snapshots=401, width=1024 if quick else 8192, dtype="float32",
                                    sigma_a=0.5)
    x, y, rho, kappa = problem.measure.coords, problem.target_fn, problem.rho_w, problem.kappa
    times, eta = problem.times, problem.schedule.eta
    gram = problem.network.ntk(x, x, rho)
    lam, g, M = spectral_preconditioner(gram, 1e-3 * float(np.linalg.eigvalsh(gram / len(x)).max()))
    V = np.linalg.eigh(gram / len(x))[1]
    c = problem.measure.level
    rate = c * 2 * np.pi * rho.symmetrised_pdf(np.asarray(kappa, float).reshape(-1, 1))
    g_kappa = (lam.max() + 1e-3 * lam.max()) / (rate + 1e-3 * lam.max())
    at_kappa = lambda u: measured_spectrum(u, xi=kappa, measure=problem.measure)  # noqa: E731
    net = problem.network.finite(rho)
    out, curves = {}, {}
    for name, gain in (("plain", np.ones_like(g)), ("preconditioned", g)):
        flow = (np.exp(-np.outer(times, lam * gain)) * (V.T @ -y(x))) @ V.T
        residual = None if name == "plain" else ResidualData(((x, M),), M @ y(x), np.full(len(x), 1.0 / len(x)))
        fit = train(net, net.init(jax.random.PRNGKey(0)), x, y=y(x), eta=eta, times=times, residual=residual,
                    progress=progress and f"{name} gradient descent", dtype="float32", regime=False)
        theory = np.log(10.0) / (rate * (1.0 if name == "plain" else g_kappa))
        routes = {}
        for route, u in (("kernel", flow), ("nn", fit.u)):
            f = remaining_fraction(at_kappa(u), at_kappa(u)[0])
            curves[(name, route)] = f
            routes[route] = first_passage(times, f, 0.1)
        out[name] = {"theory": theory, **routes}
    speed_up = {route: out["plain"][route] / out["preconditioned"][route] for route in ("theory", "kernel", "nn")}
    _plot_preconditioning(times, kappa, curves, directory / "preconditioning.png")
    return {"kappa": np.asarray(kappa).tolist(), "t_max": float(times[-1]), "steps": int(snapshot_steps(times, eta)[-1]),
            "time_to_10_percent": {k: {r: v.tolist() for r, v in d.items()} for k, d in out.items()},
            "speed_up": {r: v.tolist() for r, v in speed_up.items()},
            "note": "inf: not reached by t_max (the theory gives the time the rate implies)"}


def _plot_preconditioning(times, kappa, curves: dict, path: Path) -> None:
    from ntk_freq.plotting._style import COLUMN, figure, save_figure, styled

    def draw():
        fig, axes = figure(width=COLUMN, height=2.6)
        ax = axes[0, 0]
        for (name, route), f in curves.items():
            for j, k in enumerate(np.ravel(kappa)):
                ax.semilogy(times, np.abs(f[:, j]), "-" if route == "kernel" else ":",
                            color=f"C{2 * (name == 'preconditioned') + j}",
                            label=f"{name} {route} κ = {k:g}")
        ax.set_xlabel("t = η·step")
        ax.set_ylabel("remaining |û(κ,t)|/|û(κ,0)|")
        ax.legend(fontsize=5)
        save_figure(fig, path)

    styled(draw)()
