"""Deep Fourier-feature kernel timings for benchmarks/README.md, as ratios to references computed
in the same run.

    python benchmarks/bench_deep.py [--n 4096] [--n-mc 256] [--repeats 3]

1. Deep FF-NN Gram matrix (ntk_freq.deep.ff_mlp_ntk: depth L = 3, relu, Laplace ρ_w, W trained)
   on N points vs the two-layer closed form ff_ntk on the same points.
2. The same deep kernel vs its Monte-Carlo estimate, the mean empirical NTK (autodiff,
   neural-tangents) of ``draws`` networks of width m, on N_mc points: the Monte-Carlo error
   (relative RMS over the Gram entries, measured against the analytic kernel) is what the
   Monte-Carlo time buys; the analytic kernel is exact to rounding.
"""

from __future__ import annotations

import argparse
import time

import jax
import numpy as np

import ntk_freq as nf
from ntk_freq import deep, kernels, models

KW = dict(hidden=(1, 1), activation="relu", w_std=1.0, b_std=0.1)


def best_time(fn, repeats: int) -> tuple[float, object]:
    """Minimum wall time over repeats (after one warm-up call) and the last result."""
    out = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--n-mc", type=int, default=256)
    ap.add_argument("--width", type=int, default=256, help="Monte-Carlo network width m (and hidden)")
    ap.add_argument("--draws", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rho = nf.distribution("laplace:2")
    rows = []

    x = np.linspace(-2, 2, args.n)[:, None]
    t_deep, _ = best_time(lambda: deep.ff_mlp_ntk(x, x, rho, **KW), args.repeats)
    t_two, _ = best_time(lambda: kernels.ff_ntk(x, x, rho, 1.0), args.repeats)
    rows.append((f"deep Gram, N = {args.n}, L = 3 relu, Laplace ρ_w", "two-layer closed form ff_ntk",
                 t_deep, t_two, f"{t_deep / t_two:.1f}× slower"))

    xm = np.linspace(-2, 2, args.n_mc)[:, None]
    t_exact, exact = best_time(lambda: deep.ff_mlp_ntk(xm, xm, rho, **KW), args.repeats)
    m = args.width
    net = models.ff_mlp_network(rho, m, hidden=(m, m), activation=KW["activation"],
                                w_std=KW["w_std"], b_std=KW["b_std"])

    def monte_carlo():
        return np.mean([kernels.empirical_ntk(net, net.init(jax.random.PRNGKey(s)), xm, xm)
                        for s in range(args.draws)], axis=0)

    t0 = time.perf_counter()
    mc = monte_carlo()
    t_mc = time.perf_counter() - t0
    err = float(np.sqrt(np.mean((mc - exact) ** 2) / np.mean(exact**2)))
    rows.append((f"deep kernel, N = {args.n_mc}", f"Monte Carlo: {args.draws} nets of width {m} "
                 f"(relative RMS error {err:.1e})", t_exact, t_mc, f"{t_mc / t_exact:.0f}× faster"))

    print("| task | reference | ours [s] | reference [s] | ratio |\n|---|---|---|---|---|")
    for task, ref, ours, theirs, ratio in rows:
        print(f"| {task} | {ref} | {ours:.3g} | {theirs:.3g} | {ratio} |")


if __name__ == "__main__":
    main()
