"""Monte-Carlo kernel regression: the exact test error of kernel regression on many independent
training sets, the reference the eigenlearning theory is measured against.

For each sample size n and draw: X ~ p (n points), y = f*(X) + ε with ε ~ N(0, σ²), and the
predictor after flow time t on the ridge-regularised mean loss (1/2n)‖f(X) − y‖² + (δ/2n)‖f‖²_Θ,

    f_t(x) = Θ(x, X) g_t(Θ(X, X)) y,   g_t(μ) = (1 − e^{−t(μ + δ)/n})/(μ + δ),

so t = ∞ is ridge regression f = Θ(x, X)(Θ(X, X) + δI)⁻¹ y (δ in Gram units) and δ = 0 the
kernel flow of docs/theory.md (t = η · step on the mean loss) started from f₀ = 0, stopped early.
Ridgeless interpolation (δ = 0, t = ∞) takes the pseudo-inverse, with Gram eigenvalues below
``RANK_RTOL`` · n · μ_max as its numerical null space. The test error is measured on the
population's quadrature against noisy test labels: E = ∫ (f − f*)² p dx + σ², the theory's convention.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import linalg
from tqdm.auto import tqdm

from ntk_freq._util import validation as v
from ntk_freq._util.threads import blas_threads
from ntk_freq.generalisation._eigenlearning import RANK_RTOL
from ntk_freq.generalisation._population import Population

#: Work budget (elementary operations) of one Monte-Carlo call, and its memory share.
MC_OPERATIONS = 2e13


@dataclass(frozen=True)
class MonteCarlo:
    """Test errors of kernel regression over independent draws.

    Attributes:
        n: (S,) sample sizes; times: (T,) flow times (∞ for the converged regression).
        test_error: (S, D, T) E per draw (against noisy test labels, module docstring).
        train_error: (S, D, T) (1/n) Σ_j (f(x_j) − y_j)² on the draw's own noisy labels.
        mode_error: (S, D, T, K) ⟨φ_i, f − f*⟩_p² per eigenspace (None without a basis).
        band_error: (S, D, T, B) the power of f − f* in each frequency band
            (:meth:`Population.band_power`; one band, the clean error, without ``bands``).
    """

    n: np.ndarray
    times: np.ndarray
    test_error: np.ndarray
    train_error: np.ndarray
    mode_error: np.ndarray | None
    band_error: np.ndarray


def sample_sizes(n) -> np.ndarray:
    """Sample sizes as a sorted array of distinct integers >= 1 (ValueError otherwise)."""
    ns = np.atleast_1d(np.asarray(n))
    if ns.ndim != 1 or ns.size == 0 or not np.issubdtype(ns.dtype, np.integer) and not (
            np.issubdtype(ns.dtype, np.floating) and np.all(np.isfinite(ns)) and np.all(ns == np.round(ns))):
        raise ValueError(f"n must be sample sizes (integers >= 1), got {n!r}")
    ns = ns.astype(np.int64)
    if np.any(ns < 1):
        raise ValueError(f"n must be sample sizes >= 1, got {n!r}")
    if np.unique(ns).size != ns.size:
        raise ValueError(f"n has repeated sample sizes: {n!r}")
    return np.sort(ns)


def flow_times(times) -> np.ndarray:
    """Flow times t > 0 (∞ allowed: the converged regression), strictly increasing."""
    t = np.atleast_1d(np.asarray(times, dtype=np.float64)).reshape(-1)
    if t.size == 0 or np.any(np.isnan(t)) or np.any(t <= 0) or np.any(np.diff(t) <= 0):
        raise ValueError(f"times must be increasing flow times t > 0 (inf for the converged "
                         f"regression), got {times!r}")
    return t


def check_cost(population: Population, ns: np.ndarray, draws: int, n_times: int) -> None:
    """Refuse, before any draw, Monte Carlo beyond the memory or time budget (the estimate and
    what to reduce in the message)."""
    M, K = population.x.shape[0], 0 if population.basis is None else population.basis.shape[1]
    n_max = int(ns.max())
    v.fits_in_memory(f"Monte-Carlo kernel regression at n = {n_max} (Gram {n_max}², test block "
                     f"{M} × {n_max}, per-mode errors {ns.size} × {draws} × {n_times} × {K})",
                     8.0 * (3 * n_max**2 + 2 * M * n_max + ns.size * draws * n_times * (K + 2)))
    operations = draws * float(np.sum(10.0 * ns.astype(float) ** 3 + 4.0 * M * ns * (n_times + 1)
                                      + 2.0 * M * K * n_times))
    v.affordable(f"Monte-Carlo kernel regression ({draws} draws × {ns.size} sample sizes up to "
                 f"n = {n_max})", operations, "use fewer draws or smaller n", budget=MC_OPERATIONS)


def _filters(mu: np.ndarray, n: int, ridge: float, times: np.ndarray) -> np.ndarray:
    """g_t(μ) (T, n) of the module docstring; the ridgeless limit at t = ∞ is the pseudo-inverse."""
    shifted = mu + ridge
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        converged = np.where(shifted > 0, 1.0 / shifted, 0.0)
        early = -np.expm1(-np.outer(times, shifted) / n) / shifted
        early = np.where(shifted > 0, early, times[:, None] / n)
    return np.where(np.isinf(times)[:, None], converged, early)


def _coefficients(K: np.ndarray, y: np.ndarray, ridge: float, times: np.ndarray) -> np.ndarray:
    """c_t = g_t(K) y, (T, n): a Cholesky solve for ridge regression alone, else through eigh."""
    n = K.shape[0]
    if ridge > 0 and np.all(np.isinf(times)):
        try:
            return linalg.cho_solve(linalg.cho_factor(K + ridge * np.eye(n), lower=True), y)[None, :]
        except linalg.LinAlgError:
            pass  # not positive definite in rounding (δ below K's error): eigh below
    mu, V = linalg.eigh(K)
    mu = np.where(mu < RANK_RTOL * n * max(mu[-1], 0.0), 0.0, mu)
    return (_filters(mu, n, ridge, times) * (V.T @ y)[None, :]) @ V.T


def training_set(population: Population, n: int, k: int, *, seed: int, noise: float) -> tuple:
    """Draw k of size n: (X, y) with X ~ p (n points) and y = f*(X) + ε, ε ~ N(0, σ²), from the
    NumPy generator seeded (seed, n, k) (every route sees the same training sets)."""
    rng = np.random.default_rng([seed, int(n), int(k)])
    X = population.sample(rng, int(n))
    return X, population.target(X) + math.sqrt(noise) * rng.standard_normal(int(n))


def test_set(population: Population, n: int, k: int, *, seed: int) -> tuple:
    """The test points and f* there for draw k of size n: the population's quadrature, or a
    fresh set of the same size (seeded (seed, n, k, 1)) when ``population.fresh_test``."""
    if not population.fresh_test:
        return population.x, population.y
    x = population.sample(np.random.default_rng([seed, int(n), int(k), 1]), population.x.shape[0])
    return x, population.target(x)


def kernel_regression(population: Population, n, *, draws: int, ridge: float = 0.0,
                      noise: float = 0.0, times=(math.inf,), bands=(0.0, math.inf), seed: int = 0,
                      progress: bool = True) -> MonteCarlo:
    """Monte-Carlo kernel regression on ``draws`` independent training sets of each size n.

    Args:
        population: the data density, kernel and target (:func:`problem_population`,
            :func:`nystrom`).
        n: sample sizes (integers ≥ 1).
        draws: independent training sets per sample size (≥ 1).
        ridge: δ ≥ 0 in Gram units. noise: σ² ≥ 0, the label noise's variance.
        times: flow times t (module docstring), ∞ for the converged regression.
        bands: edges in |ξ| of the frequency bands of ``band_error``.
        seed: draw k of size n uses the NumPy generator seeded (seed, n, k): results do not
            depend on which other sizes or how many draws are asked for.
        progress: show a progress bar over the draws.

    Returns:
        :class:`MonteCarlo`.
    """
    v.instance("population", population, Population, "a Population (problem_population, nystrom, sphere_population)")
    ns = sample_sizes(n)
    draws = v.positive_int("draws", draws)
    ridge, sigma2 = v.nonnegative("ridge", ridge), v.nonnegative("noise", noise)
    t = flow_times(times)
    seed = v.nonnegative_int("seed", seed)
    check_cost(population, ns, draws, t.size)
    band_power = population.band_power(bands)
    sw = np.sqrt(population.w)
    K_modes = None if population.basis is None else population.basis.shape[1]
    test = np.empty((ns.size, draws, t.size))
    train = np.empty_like(test)
    modes = None if K_modes is None else np.empty((ns.size, draws, t.size, K_modes))
    per_band = np.empty((ns.size, draws, t.size, len(bands) - 1))
    with tqdm(total=ns.size * draws, desc="kernel regression", disable=not progress,
              leave=False, unit="draw") as bar, blas_threads():
        for s, size in enumerate(ns):
            for k in range(draws):
                X, y = training_set(population, size, k, seed=seed, noise=sigma2)
                K = np.asarray(population.kernel(X, X), dtype=np.float64)
                c = _coefficients(K, y, ridge, t)                     # (T, n)
                x_test, y_test = test_set(population, size, k, seed=seed)
                residual = (np.asarray(population.kernel(x_test, X)) @ c.T).T - y_test  # (T, M)
                test[s, k] = residual**2 @ population.w + sigma2
                train[s, k] = np.mean((c @ K - y[None, :]) ** 2, axis=1)
                if modes is not None:
                    modes[s, k] = ((residual * sw) @ population.basis) ** 2
                per_band[s, k] = band_power(residual, x_test)
                bar.update()
    return MonteCarlo(n=ns, times=t, test_error=test, train_error=train, mode_error=modes,
                      band_error=per_band)
