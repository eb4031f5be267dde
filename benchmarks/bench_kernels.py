"""Kernel and spectrum timings for benchmarks/README.md, each a ratio to a reference computed in
the same run (absolute times depend on the machine; the ratios are what we track).

    python benchmarks/bench_kernels.py [--n 4096] [--repeats 3]

1. Closed-form FF-NN Gram matrix (Gaussian ρ_w) vs neural-tangents' analytic kernel of the
   equivalent stax network (Dense → (Sin, Cos) → Dense), N points in d = 1: a uniform grid
   (φ_w once per lag) and sorted random points; and the floor of any dense float64 Gram
   matrix, allocating and writing N² numbers once (``np.empty((N, N)).fill``), as the
   reference of "write floor" (its "speed-up" column is ours / floor).
2. Closed-form FF kernel for a Laplace ρ_w vs a Monte-Carlo random-feature kernel
   (1/m) Σ_j cos(w_j·(x − x')) of matched accuracy: m = 1/ε² features for max error ≈ ε.
3. Bochner spectrum (aliased, exact for the periodic grid) vs dense eigh of the N × N Gram matrix.
"""

from __future__ import annotations

import argparse
import math
import time

import jax
import numpy as np

import ntk_freq as nf
from ntk_freq.kernels import _closed_form as kernels, _spectra as spectra


def best_time(fn, repeats: int) -> tuple[float, object]:
    """Minimum wall time over repeats (after one warm-up call) and the last result."""
    out = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def mc_kernel(x, rho, m, key, block=16_384):
    """Random-feature estimate of φ_w(x − x') with m frequencies, accumulated in blocks."""
    K = np.zeros((len(x), len(x)))
    for start in range(0, m, block):
        key, sub = jax.random.split(key)
        w = np.asarray(rho.sample(sub, min(block, m - start)))
        z = x @ w.T
        c, s = np.cos(z), np.sin(z)
        K += c @ c.T + s @ s.T
    return K / m


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=4096, help="points for the Gram/eigh comparisons")
    ap.add_argument("--n-mc", type=int, default=512, help="points for the Monte-Carlo comparison")
    ap.add_argument("--eps", type=float, default=2e-3, help="Monte-Carlo target accuracy")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rows = []

    # 1. closed form vs neural-tangents analytic kernel
    n, s = args.n, 3.0
    x = np.linspace(-2, 2, n)[:, None]
    stax = kernels._nt().stax
    _, _, kernel_fn = stax.serial(stax.Dense(1, W_std=s), stax.FanOut(2),
                                  stax.parallel(stax.Sin(), stax.Cos()), stax.FanInConcat(),
                                  stax.Dense(1, W_std=math.sqrt(2.0)))
    kernel_jit = jax.jit(lambda a: kernel_fn(a, a, "ntk"))
    t_nt, K_nt = best_time(lambda: np.asarray(kernel_jit(x)), args.repeats)
    rho = nf.Gaussian(s)
    t_ours, K = best_time(lambda: kernels.ff_ntk(x, x, rho, sigma_a=s), args.repeats)
    assert np.allclose(K, K_nt, rtol=1e-9, atol=1e-12), "kernels disagree"
    rows.append((f"FF Gram N={n}, Gaussian", "neural-tangents analytic (jit)", t_ours, t_nt))
    t_floor, _ = best_time(lambda: np.empty((n, n)).fill(1.0), args.repeats)
    rows.append((f"write floor N={n}", "ours against writing N² float64 once", t_floor, t_ours))
    xs = np.sort(np.random.default_rng(0).uniform(-2, 2, n))[:, None]
    t_nt_s, K_nt_s = best_time(lambda: np.asarray(kernel_jit(xs)), args.repeats)
    t_ours_s, K_s = best_time(lambda: kernels.ff_ntk(xs, xs, rho, sigma_a=s), args.repeats)
    assert np.allclose(K_s, K_nt_s, rtol=1e-9, atol=1e-12), "kernels disagree"
    rows.append((f"FF Gram N={n}, scattered", "neural-tangents analytic (jit)", t_ours_s, t_nt_s))

    # 2. closed form vs Monte-Carlo of matched accuracy (Laplace)
    xm = np.linspace(-2, 2, args.n_mc)[:, None]
    rho_l = nf.Laplace(2.0)
    m = int(math.ceil(1 / args.eps**2))
    t_mc, K_mc = best_time(lambda: mc_kernel(xm, rho_l, m, jax.random.PRNGKey(0)), 1)
    t_cf, K_cf = best_time(lambda: kernels.ff_ntk(xm, xm, rho_l, sigma_a=1.0, part="readout"), args.repeats)
    err = np.max(np.abs(K_mc - K_cf))
    rows.append((f"FF kernel N={args.n_mc}, Laplace", f"Monte Carlo m={m} (max err {err:.1e})", t_cf, t_mc))

    # 3. Bochner vs dense eigh
    P = 2 * math.pi
    t_b, spec = best_time(lambda: spectra.periodic_spectrum(rho, P, n // 2, n_points=n), args.repeats)
    xs = P * np.arange(n) / n
    zs = (xs[:, None] - xs[None, :])[..., None] + P * np.arange(-2, 3)
    K_per = rho.char_fn(zs[..., None]).sum(-1)
    t_e, lam = best_time(lambda: spectra.gram_spectrum(K_per), 1)
    assert np.allclose(lam, spec.expanded()[:n], atol=1e-10), "spectra disagree"
    rows.append((f"spectrum N={n}, Gaussian", "dense eigh of the Gram matrix", t_b, t_e))

    print(f"{'task':32s} {'reference':38s} {'ours [s]':>10s} {'ref [s]':>10s} {'speed-up':>9s}")
    for task, ref, t1, t2 in rows:
        print(f"{task:32s} {ref:38s} {t1:10.4f} {t2:10.4f} {t2 / t1:8.1f}x")


if __name__ == "__main__":
    with jax.enable_x64(True):  # as the package's theory (ntk_freq._precision): float64
        main()
