"""Learning curves of a problem: the eigenlearning theory beside Monte-Carlo kernel regression
(and trained networks), over sample sizes, flow times, modes and frequency bands."""

from __future__ import annotations

import json
import math

import numpy as np

from ntk_freq._util import validation as v
from ntk_freq._util.threads import blas_threads
from ntk_freq.generalisation._monte_carlo import (flow_times, kernel_regression, sample_sizes,
                                                  training_set)
from ntk_freq.generalisation._population import Population, problem_density, problem_population

#: long_name and units of the learning curve's variables (errors are mean squares over the data
#: density, against noisy test labels: they tend to σ²; no factor ½).
UNITS = {
    "test_error_theory": ("eigenlearning test error E = E_0 (Σ (1 − L)² P + σ²)", "squared target units"),
    "train_error_theory": ("eigenlearning training error (δ/(nκ))² E", "squared target units"),
    "effective_ridge": ("κ, the eigenlearning effective ridge (Gram units)", "kernel units"),
    "e0": ("E_0 = n/(n − Σ m L²), the overfitting factor", "1"),
    "learnability": ("L_i = λ_i/(λ_i + κ)", "1"),
    "mode_error_theory": ("error in eigenspace i, (1 − L)² P + m L² E/n", "squared target units"),
    "band_error_theory": ("theory's error power in the frequency band", "squared target units"),
    "target_band_power": ("target's power in the frequency band", "squared target units"),
    "eigenvalue": ("λ_i per eigenfunction under the data density", "kernel units"),
    "multiplicity": ("m_i, eigenfunctions sharing λ_i", "1"),
    "mode_frequency": ("|ξ| where the eigenfunction has most amplitude (degree k on the sphere)",
                       "rad per unit of x (degree on the sphere)"),
    "target_power": ("P_i, the target's power in eigenspace i (summed over its m_i copies)",
                     "squared target units"),
    "test_error_mc": ("Monte-Carlo mean test error over draws", "squared target units"),
    "test_error_mc_se": ("standard error of that mean", "squared target units"),
    "test_error_mc_quantile": ("quantiles of the test error over draws", "squared target units"),
    "train_error_mc": ("Monte-Carlo mean training error (1/n) Σ (f(x_j) − y_j)²", "squared target units"),
    "theory_gap": ("theory / Monte Carlo − 1 (negative: the theory is optimistic)", "1"),
    "band_error_mc": ("Monte-Carlo error power in the band", "squared target units"),
    "band_error_mc_se": ("standard error of that mean", "squared target units"),
    "mode_error_mc": ("Monte-Carlo ⟨φ_i, f − f*⟩² mean", "squared target units"),
    "test_error_nn": ("trained networks' mean test error", "squared target units"),
    "test_error_nn_se": ("standard error of that mean", "squared target units"),
    "time": ("flow time t = η·step on the mean loss (∞: converged regression)", "1"),
}

#: Quantiles of the Monte-Carlo test error over draws.
QUANTILES = (0.1, 0.5, 0.9)


def default_bands(problem) -> np.ndarray:
    """Band edges in |ξ| that put each of the target's distinct frequencies |κ_k| in its own
    band: the midpoints between them, from 0 to ∞."""
    problem_density(problem)  # checks that it is a Problem
    radii = np.unique(np.round(np.linalg.norm(np.atleast_2d(problem.kappa).reshape(-1, problem.dim)
                                              if problem.dim > 1 else np.abs(problem.kappa)[:, None],
                                              axis=-1), 12))
    return np.concatenate([[0.0], 0.5 * (radii[1:] + radii[:-1]), [math.inf]])


def band_edges(bands) -> np.ndarray:
    """Band edges: increasing, from >= 0, at least two."""
    edges = np.asarray(bands, dtype=np.float64).reshape(-1)
    if edges.size < 2 or np.any(np.isnan(edges)) or edges[0] < 0 or np.any(np.diff(edges) <= 0):
        raise ValueError(f"bands must be increasing edges in |ξ| from >= 0 (at least two), got {bands!r}")
    return edges


def _theory(population: Population, ns: np.ndarray, t: np.ndarray, ridge: float, noise: float,
            edges: np.ndarray) -> dict:
    """Eigenlearning at every (n, t): at finite t the ridge δ + n/t (early stopping acts like a
    ridge of n/t in Gram units: mode μ of Θ(X, X) is learned once tμ/n ≳ 1). Per band, the
    theory's error f − f* has mean −Σ_i (1 − L_i) v_i φ_i and covariance Σ_i m_i L_i² (E/n) φ_i⊗φ_i,
    so its expected band power is P_b(mean) + Σ_i m_i L_i² (E/n) P_b(φ_i)."""
    with blas_threads():
        results = [[population.theory([size], ridge=ridge + (0.0 if math.isinf(time) else size / time),
                                      noise=noise) for time in t] for size in ns]

    def field(name):
        return np.array([[getattr(r, name)[0] for r in row] for row in results])

    out = {name: field(name) for name in ("kappa", "e0", "test_error", "train_error",
                                          "learnability", "mode_error")}
    if population.basis is None:  # modes with known frequencies (the sphere's degrees)
        k = population.frequency
        inside = [(k >= a) & (k < b) for a, b in zip(edges[:-1], edges[1:])]
        out["band_error"] = np.stack([out["mode_error"][..., m].sum(-1) for m in inside], -1)
        out["band_power"] = np.array([population.target_power[m].sum() for m in inside])
        return out
    power = population.band_power(edges)
    L, E = out["learnability"], out["test_error"]
    phi = (population.basis / np.sqrt(population.w)[:, None]).T           # (K, M): φ_i(x_j)
    signs = np.sign(population.coefficients(population.y))                  # v_i = ±√P_i
    v_i = signs * np.sqrt(population.target_power)
    mean = ((1 - L) * v_i) @ phi                                          # (S, T, M)
    variance = (population.multiplicity * L**2 * (E / ns[:, None])[..., None]) @ power(phi, population.x)
    out["band_error"] = power(mean, population.x) + variance
    out["band_power"] = power(population.y, population.x)
    return out


def _band_name(lower: float, upper: float, symbol: str = "|ξ|") -> str:
    """'|ξ| < 4.5', '4.5 ≤ |ξ| < 9', '|ξ| ≥ 9' (``symbol`` "k" for the sphere's degrees)."""
    if lower == 0:
        return f"all {symbol}" if math.isinf(upper) else f"{symbol} < {upper:g}"
    return f"{symbol} ≥ {lower:g}" if math.isinf(upper) else f"{lower:g} ≤ {symbol} < {upper:g}"


def network_route(problem, population: Population, ns: np.ndarray, t: np.ndarray, *, networks: int,
                  noise: float, seed: int, progress: bool) -> np.ndarray:
    """(S, networks, T) test errors of the problem's finite network trained by gradient descent
    (step η of its schedule, the mean loss, no ridge) on the first ``networks`` Monte-Carlo
    training sets of each size, recorded at every finite flow time (NaN at t = ∞) on the
    population's quadrature, against noisy test labels like the other routes."""
    import jax

    from ntk_freq.training import train

    finite = t[np.isfinite(t)]
    net = problem.network.finite(problem.rho_w)
    out = np.full((ns.size, networks, t.size), np.nan)
    for s, size in enumerate(ns):
        for k in range(networks):
            X, y = training_set(population, size, k, seed=seed, noise=noise)
            params = net.init(jax.random.fold_in(jax.random.PRNGKey(seed), 1000003 * int(size) + k))
            run = train(net, params, X, y=y, eta=problem.schedule.eta, times=finite, dtype=problem.network.dtype,
                        progress=f"network n={size} #{k}" if progress else False, regime=False,
                        x_test=population.x)
            out[s, k, np.isfinite(t)] = run.test_error(population.y, population.w) + noise
    return out


def _standard_error(per_draw: np.ndarray) -> np.ndarray:
    """The standard error of the mean over draws (axis 1); NaN from a single draw."""
    draws = per_draw.shape[1]
    if draws < 2:
        return np.full(per_draw.shape[:1] + per_draw.shape[2:], np.nan)
    return per_draw.std(axis=1, ddof=1) / math.sqrt(draws)


def learning_curve(problem, n, *, ridge: float = 0.0, noise: float = 0.0, draws: int = 0,
                   seed: int = 0, progress: bool = True, times=None, bands=None,
                   nodes: int | None = None, networks: int = 0):
    """The test error of a problem's kernel regression against the sample size n: the
    eigenlearning theory on the problem's own spectrum, and (``draws`` > 0) the exact answer by
    Monte-Carlo kernel regression, with the theory's gap to it.

    The population (:func:`problem_population`) is the problem's data density (``data``, or
    uniform on [−L, L]^d) as a quadrature, its network's NTK under ρ_w and its target; training
    sets are n independent draws from the density. docs/generalisation.md states the conventions.

    Args:
        problem: a :class:`ntk_freq.Problem`, or a :class:`Population` for a kernel of your own.
        n: sample sizes (distinct integers ≥ 1).
        ridge: δ ≥ 0 in Gram units, f = Θ(x, X)(Θ(X, X) + δI)⁻¹ y.
        noise: σ² ≥ 0, the variance of Gaussian label noise; test errors are against noisy test
            labels (they tend to σ²).
        draws: independent training sets per n for Monte Carlo (0: the theory alone).
        seed: the draws' seed (draw k of size n is seeded (seed, n, k)).
        progress: show a progress bar.
        times: flow times t of the kernel flow on the mean loss, stopped early (None: t = ∞
            alone, the converged regression). The theory's early-stopping form uses ridge δ + n/t.
        bands: edges in |ξ| of the frequency bands for per-band errors (None: one band per
            distinct target frequency, split at the midpoints; on the sphere, edges in the
            degree k, None: one band).
        nodes: quadrature nodes per axis of the population (None: enough for the kernel's reach).
        networks: train the problem's finite network on the first ``networks`` training sets of
            each n (gradient descent, step η of the problem's schedule, no ridge) and record its
            test error at every finite time in ``times`` (``test_error_nn``).

    Returns:
        xarray.Dataset over ``n``, ``time``, ``mode``, ``band`` (and ``quantile``) with
        ``test_error_theory``, ``train_error_theory``, ``effective_ridge`` (κ), ``e0``,
        ``learnability``, ``multiplicity``,
        ``mode_error_theory``, ``band_error_theory``, ``target_band_power`` (the target's power
        in each band), ``eigenvalue``, ``mode_frequency``,
        ``target_power`` and, with draws, ``test_error_mc``, ``test_error_mc_se``,
        ``test_error_mc_quantile``, ``train_error_mc``, ``band_error_mc``(``_se``) and
        ``theory_gap`` = theory/Monte Carlo − 1; with networks, ``test_error_nn``(``_se``).
        Attributes record the problem and settings.

    Raises:
        ValueError: n < 1, negative ridge or noise, bad times or bands; MemoryError: a
            population or Monte Carlo beyond memory or the time budget (estimated first).

    Examples:
        >>> import ntk_freq as nf
        >>> ds = nf.learning_curve(nf.Problem(), n=[20, 40], ridge=1e-6, draws=4, progress=False)
        >>> sorted(ds.sizes.items())[:3], bool((ds.test_error_mc > 0).all())
        ([('band', 2), ('mode', 239), ('n', 2)], True)
    """
    import xarray as xr

    ns = sample_sizes(n)
    ridge, noise = v.nonnegative("ridge", ridge), v.nonnegative("noise", noise)
    draws, seed = v.nonnegative_int("draws", draws), v.nonnegative_int("seed", seed)
    t = flow_times(math.inf if times is None else times)
    networks = v.nonnegative_int("networks", networks)
    if networks and (isinstance(problem, Population) or ridge > 0 or not np.any(np.isfinite(t))):
        raise ValueError("networks train a Problem's network by gradient descent without a ridge "
                         "to finite times: give a Problem, ridge=0 and finite times")
    if isinstance(problem, Population):
        population, record = problem, {"population": problem.description}
        edges = band_edges([0.0, math.inf] if bands is None else bands)
    else:  # problem_population checks that it is a Problem
        population, record = problem_population(problem, nodes=nodes), problem.record()
        edges = band_edges(default_bands(problem) if bands is None else bands)
    th = _theory(population, ns, t, ridge, noise, edges)
    dims = ("n", "time")
    data = {
        "test_error_theory": (dims, th["test_error"]),
        "train_error_theory": (dims, th["train_error"]),
        "effective_ridge": (dims, th["kappa"]),
        "e0": (dims, th["e0"]),
        "learnability": ((*dims, "mode"), th["learnability"]),
        "mode_error_theory": ((*dims, "mode"), th["mode_error"]),
        "band_error_theory": ((*dims, "band"), th["band_error"]),
        "target_band_power": (("band",), th["band_power"]),
        "eigenvalue": (("mode",), population.eigenvalues),
        "multiplicity": (("mode",), population.multiplicity),
        "mode_frequency": (("mode",), population.frequency),
        "target_power": (("mode",), population.target_power),
    }
    if draws:
        mc = kernel_regression(population, ns, draws=draws, ridge=ridge, noise=noise, times=t,
                               bands=edges, seed=seed, progress=progress)
        mean = mc.test_error.mean(axis=1)
        data |= {
            "test_error_mc": (dims, mean),
            "test_error_mc_se": (dims, _standard_error(mc.test_error)),
            "test_error_mc_quantile": ((*dims, "quantile"),
                                       np.moveaxis(np.quantile(mc.test_error, QUANTILES, axis=1), 0, -1)),
            "train_error_mc": (dims, mc.train_error.mean(axis=1)),
            "theory_gap": (dims, th["test_error"] / mean - 1.0),
        }
        data |= {"band_error_mc": ((*dims, "band"), mc.band_error.mean(axis=1)),
                 "band_error_mc_se": ((*dims, "band"), _standard_error(mc.band_error))}
        if mc.mode_error is not None:
            data["mode_error_mc"] = ((*dims, "mode"), mc.mode_error.mean(axis=1))
    if networks:
        nn = network_route(problem, population, ns, t, networks=networks, noise=noise, seed=seed,
                           progress=progress)
        data |= {"test_error_nn": (dims, nn.mean(axis=1)), "test_error_nn_se": (dims, _standard_error(nn))}
    coords = {"n": ns, "time": t, "mode": np.arange(population.eigenvalues.size),
              "band": [_band_name(a, b, "k" if population.degree_power else "|ξ|")
                       for a, b in zip(edges[:-1], edges[1:])],
              "band_lower": ("band", edges[:-1]), "band_upper": ("band", edges[1:])}
    if draws:
        coords["quantile"] = list(QUANTILES)
    ds = xr.Dataset(data, coords=coords, attrs={
        "problem": json.dumps(record), "population": population.description,
        "nodes": population.x.shape[0], "ridge": ridge, "noise": noise, "draws": draws, "seed": seed,
        "networks": networks,
        "trace": population.trace, "target_norm": population.target_norm,
        "conventions": "f = Θ(x,X)(Θ(X,X)+δI)^-1 y (ridge δ in Gram units); test errors against noisy "
                       "test labels (→ σ²); time t of the kernel flow on the mean loss from f0 = 0; "
                       "theory at finite t uses ridge δ + n/t (docs/generalisation.md)",
    })
    for name, (long_name, units) in UNITS.items():
        if name in ds.variables:
            ds[name].attrs.update(long_name=long_name, units=units)
    if population.degree_power is not None:
        ds["mode"].attrs.update(long_name="degree k of the spherical harmonics (multiplicity N(d, k) each)")
    return ds
