"""Learning curves: the eigenlearning theory against Monte-Carlo kernel regression, and the
packaged Monte-Carlo route against a plain NumPy loop, in one run.

    python benchmarks/bench_generalisation.py [--quick] [--draws D]

The problem is the default 1-D one with a Fourier-feature network,
``ntk_freq.Problem(network=ntk_freq.FourierFeatures(sigma_a=0.5, width=1024))``: data uniform on
[−10, 10], Gaussian ρ_w (s = 3), target windowed sines at ξ = 2 and 7, no label noise. Sample
sizes: 15 log-spaced from 10 to 1000; 50 draws each (``--quick``: 5). For each ridge, δ = 1e-6
(the Cholesky path) and δ = 0 (ridgeless, the eigh pseudo-inverse), the script times:

- ``theory``: ``learning_curve(..., draws=0)``: population build (Nyström quadrature, its dense
  eigh and the dominant frequency of each eigenfunction) + eigenlearning at every n + the per-band
  theory; and its two parts alone (``problem_population``, ``Population.theory``);
- the same theory call inside ``blas_threads()``: every BLAS call limited to the package's thread
  policy (the Gauss–Legendre nodes' eigenproblem, ``numpy.polynomial.legendre.leggauss``, and
  the theory's products otherwise run with OpenBLAS's default threads);
- ``learning_curve MC``: ``learning_curve(..., draws=D)``: all of the above plus Monte Carlo with
  its per-mode and per-band (ξ < 4.5, ξ ≥ 4.5) projections: the issue's figure (aim < 1 min);
- ``kernel_regression``: the packaged Monte Carlo alone on the population built beforehand (one
  band, the per-mode projections still on);
- ``plain NumPy``: the same draws (same seeds, same population) in a loop that a user would
  write: ``np.linalg.solve(K + δI, y)`` per draw for δ > 0; for δ = 0 one ``np.linalg.eigh`` per
  draw and the pseudo-inverse with the package's cut-off (eigenvalues ≤ RANK_RTOL · n · μ_max
  dropped); the test error ∫ (f − f*)² p on the same quadrature, nothing else. It runs with the
  BLAS thread count of the package's policy (``ntk_freq._util.threads.blas_threads``), as the
  packaged route does, so the ratio compares the code; one more row (δ > 0) runs it with
  OpenBLAS's default thread count, as a user's loop would.

The agreement is max over n of |mean_packaged − mean_plain| / mean_plain, and the same absolute
difference relative to ∫ f*² p. Then, at the largest n, the time of each step of one draw summed
over the D draws (kernel evaluations, solves, the rest), with the policy's BLAS threads. Wall
seconds (``time.perf_counter``) and CPU seconds (``time.process_time``, all threads). The theory
rows are medians of 5 calls; the Monte-Carlo rows are single calls. The first population build
of the process (imports, first calls) is timed separately and excluded from the other rows.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import numpy as np

import ntk_freq
from ntk_freq._util.threads import blas_thread_count, blas_threads
from ntk_freq.generalisation import kernel_regression, problem_population
from ntk_freq.generalisation._eigenlearning import RANK_RTOL
from ntk_freq.generalisation._monte_carlo import _coefficients

RIDGES = (1e-6, 0.0)
SEED = 0
REPEATS = 5


class Clock:
    """Wall and CPU seconds of a block (accumulates over repeated entries)."""

    def __init__(self, wall: float = 0.0, cpu: float = 0.0):
        self.wall, self.cpu = wall, cpu

    def __enter__(self):
        self._w, self._c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall += time.perf_counter() - self._w
        self.cpu += time.process_time() - self._c


def timed(fn, *args, **kwargs):
    with Clock() as c:
        out = fn(*args, **kwargs)
    return out, c


def median_of(repeats: int, fn, *args, **kwargs):
    """The last result and the median wall and CPU seconds of ``repeats`` calls."""
    runs = [timed(fn, *args, **kwargs) for _ in range(repeats)]
    return runs[-1][0], Clock(statistics.median(c.wall for _, c in runs),
                              statistics.median(c.cpu for _, c in runs))


def theory_policy(problem, ns, ridge: float):
    """``learning_curve(draws=0)`` with every BLAS call (the quadrature's own eigenproblem
    included) limited to the package's thread policy."""
    with blas_threads():
        return ntk_freq.learning_curve(problem, ns, ridge=ridge, draws=0, progress=False)


def plain_solve(K: np.ndarray, y: np.ndarray, ridge: float) -> np.ndarray:
    n = K.shape[0]
    if ridge > 0:
        return np.linalg.solve(K + ridge * np.eye(n), y)
    mu, V = np.linalg.eigh(K)
    keep = mu > RANK_RTOL * n * mu[-1]
    return V[:, keep] @ ((V[:, keep].T @ y) / mu[keep])


def plain_draw(pop, n: int, k: int, ridge: float) -> float:
    """One draw, written plainly (tests/test_generalisation.py ``_plain_krr``)."""
    rng = np.random.default_rng([SEED, n, k])
    X = pop.sample(rng, n)
    y = pop.target(X)
    alpha = plain_solve(pop.kernel(X, X), y, ridge)
    f = pop.kernel(pop.x, X) @ alpha
    return float(np.sum(pop.w * (f - pop.y) ** 2))


def plain_krr(pop, ns, draws: int, ridge: float) -> np.ndarray:
    return np.array([[plain_draw(pop, int(n), k, ridge) for k in range(draws)] for n in ns])


def plain_krr_policy(pop, ns, draws: int, ridge: float) -> np.ndarray:
    with blas_threads():
        return plain_krr(pop, ns, draws, ridge)


def breakdown(pop, n: int, draws: int, ridge: float) -> dict:
    """Per-step clocks of one draw at size n, summed over the draws, both routes' solves."""
    clocks = {name: Clock() for name in ("draw X, f*(X)", "kernel K(X, X)", "kernel K(x_pop, X)",
                                         "packaged solve", "plain solve", "predict + error")}
    with blas_threads():
        for k in range(draws):
            with clocks["draw X, f*(X)"]:
                rng = np.random.default_rng([SEED, n, k])
                X = pop.sample(rng, n)
                y = pop.target(X)
            with clocks["kernel K(X, X)"]:
                K = np.asarray(pop.kernel(X, X), dtype=np.float64)
            with clocks["kernel K(x_pop, X)"]:
                Kt = np.asarray(pop.kernel(pop.x, X))
            with clocks["packaged solve"]:
                c = _coefficients(K, y, ridge, np.array([math.inf]))
            with clocks["plain solve"]:
                plain_solve(K, y, ridge)
            with clocks["predict + error"]:
                np.sum(pop.w * ((Kt @ c[0]) - pop.y) ** 2)
    return clocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 draws instead of 50 (a smoke run)")
    parser.add_argument("--draws", type=int, default=None, help="draws per sample size")
    args = parser.parse_args()
    draws = args.draws or (5 if args.quick else 50)
    ns = np.unique(np.round(np.logspace(1, 3, 15)).astype(int))
    assert ns.size == 15
    problem = ntk_freq.Problem(network=ntk_freq.FourierFeatures(sigma_a=0.5, width=1024))

    print(f"{os.cpu_count()} CPUs; load average (1 min) before: {os.getloadavg()[0]:.2f}; "
          f"BLAS threads by the package's policy now: {blas_thread_count()}")
    print(f"sample sizes ({ns.size}): {ns.tolist()}; draws per size: {draws}\n")

    cold_pop, cold = timed(problem_population, problem)
    print(f"first population build in this process (imports, first calls): {cold.wall:.2f} s wall, "
          f"{cold.cpu:.2f} s CPU; {cold_pop.x.shape[0]} quadrature nodes, "
          f"∫ f*² p = {cold_pop.target_norm:.4g}\n", flush=True)

    rows, agree, splits = [], {}, {}
    for ridge in RIDGES:
        pop, c_pop = median_of(REPEATS, problem_population, problem)
        _, c_th = median_of(REPEATS, pop.theory, ns, ridge=ridge)
        _, c_lc0 = median_of(REPEATS, ntk_freq.learning_curve, problem, ns, ridge=ridge, draws=0,
                             progress=False)
        _, c_lc0_policy = median_of(REPEATS, theory_policy, problem, ns, ridge)
        ds, c_lc = timed(ntk_freq.learning_curve, problem, ns, ridge=ridge, draws=draws, progress=False)
        mc, c_kr = timed(kernel_regression, pop, ns, draws=draws, ridge=ridge, seed=SEED, progress=False)
        plain, c_pl = timed(plain_krr_policy, pop, ns, draws, ridge)
        c_default = timed(plain_krr, pop, ns, draws, ridge)[1] if ridge > 0 else None
        packaged, reference = mc.test_error[:, :, 0].mean(axis=1), plain.mean(axis=1)
        relative = np.abs(packaged - reference) / reference
        worst = int(np.argmax(relative))
        agree[ridge] = {
            "rel": relative[worst], "at": int(ns[worst]), "packaged": packaged[worst],
            "plain": reference[worst],
            "absolute": float(np.max(np.abs(packaged - reference)) / pop.target_norm),
            "curve": float(np.max(np.abs(ds.test_error_mc.values[:, 0] - reference) / reference)),
            "large": float(np.max(relative[reference > 1e-6 * pop.target_norm])),
            "error_top": reference[-1]}
        rows.append((ridge, c_pop, c_th, c_lc0, c_lc0_policy, c_lc, c_kr, c_pl, c_default))
        splits[ridge] = breakdown(pop, int(ns[-1]), draws, ridge)
        print(f"done ridge {ridge:g} (load {os.getloadavg()[0]:.2f})", flush=True)

    print()
    print("| ridge δ (path) | what | wall [s] | CPU [s] | ratio (wall) | ratio (CPU) |")
    print("|---|---|---|---|---|---|")
    for ridge, c_pop, c_th, c_lc0, c_lc0_policy, c_lc, c_kr, c_pl, c_default in rows:
        path = f"{ridge:g} ({'Cholesky' if ridge > 0 else 'eigh'})"

        def line(what, c, ref=None, label="", path=path):
            r = ("—", "—") if ref is None else (f"{c.wall / ref.wall:.3g}{label}", f"{c.cpu / ref.cpu:.3g}{label}")
            print(f"| {path} | {what} | {c.wall:.3g} | {c.cpu:.3g} | {r[0]} | {r[1]} |")

        line("population build alone (median of 5)", c_pop)
        line(f"eigenlearning alone, {ns.size} sizes (`Population.theory`, median of 5)", c_th)
        line("theory: `learning_curve(draws=0)` (median of 5)", c_lc0)
        line("the same inside `blas_threads()` (the policy's BLAS threads; median of 5)", c_lc0_policy,
             c_lc0, " × theory")
        print(f"| {path} | Monte Carlo: `learning_curve(draws={draws})` (aim < 60 s) | {c_lc.wall:.3g} | "
              f"{c_lc.cpu:.3g} | {c_lc.wall / c_lc0.wall:.3g} × theory, {c_lc.wall / c_lc0_policy.wall:.3g} × "
              f"theory in `blas_threads()` | {c_lc.cpu / c_lc0.cpu:.3g} × theory, "
              f"{c_lc.cpu / c_lc0_policy.cpu:.3g} × theory in `blas_threads()` |")
        line(f"packaged MC alone: `kernel_regression`, {ns.size} × {draws} draws", c_kr, c_pl, " × plain")
        line("plain NumPy loop, same draws, policy's BLAS threads", c_pl)
        if c_default is not None:
            line("plain NumPy loop, same draws, OpenBLAS default threads", c_default, c_pl,
                 " × plain (policy)")
    print()
    print("| ridge δ | max rel. diff of mean errors, kernel_regression vs plain (all n) | at n: packaged / plain "
          "| same, where error > 1e-6 ∫ f*² p | max abs. diff / ∫ f*² p | learning_curve MC vs plain "
          "| plain mean error at n = 1000 |")
    print("|---|---|---|---|---|---|---|")
    for ridge, a in agree.items():
        print(f"| {ridge:g} | {a['rel']:.1e} | {a['at']}: {a['packaged']:.3e} / {a['plain']:.3e} | "
              f"{a['large']:.1e} | {a['absolute']:.1e} | {a['curve']:.1e} | {a['error_top']:.2e} |")
    print()
    n = int(ns[-1])
    print(f"Where the time goes at n = {n}, {draws} draws (one step at a time, summed over the draws):\n")
    print("| ridge δ | step | wall [s] | CPU [s] | share of a packaged draw (wall) | share of a plain draw (wall) |")
    print("|---|---|---|---|---|---|")
    for ridge, clocks in splits.items():
        common = [name for name in clocks if not name.endswith("solve")]
        packaged = sum(clocks[s].wall for s in common) + clocks["packaged solve"].wall
        plain = sum(clocks[s].wall for s in common) + clocks["plain solve"].wall
        for step, c in clocks.items():
            sp = "—" if step == "plain solve" else f"{c.wall / packaged:.0%}"
            spl = "—" if step == "packaged solve" else f"{c.wall / plain:.0%}"
            print(f"| {ridge:g} | {step} | {c.wall:.3g} | {c.cpu:.3g} | {sp} | {spl} |")
    print(f"\nload average (1 min) after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
