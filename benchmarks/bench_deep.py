"""Deep Fourier-feature kernel timings for benchmarks/README.md, as ratios to references computed
in the same run.

    python benchmarks/bench_deep.py [--n 4096] [--n-mc 256] [--repeats 3]

1. Deep FF-NN Gram matrix (ntk_freq.deep.ff_mlp_ntk: depth L = 3, relu, Laplace ρ_w, W trained)
   on N points vs the two-layer closed form ff_ntk on the same points.
2. The same deep kernel vs its Monte-Carlo estimate, the mean empirical NTK (autodiff,
   neural-tangents, one jitted function compiled before the timing) of ``draws`` networks of
   width m, on N_mc points: the Monte-Carlo error
   (relative RMS over the Gram entries, measured against the analytic kernel) is what the
   Monte-Carlo time buys; the analytic kernel is exact to rounding.
"""

from __future__ import annotations

import argparse
import time

import jax
import numpy as np
from bench_kernels import best_time  # same folder: the scripts run as `python benchmarks/…`

import ntk_freq as nf
from ntk_freq.kernels import _deep as deep, _closed_form as kernels
from ntk_freq._nn import models
from ntk_freq._nt import load

KW = dict(hidden=(1, 1), activation="relu", w_std=1.0, b_std=0.1)


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
    t_two, _ = best_time(lambda: kernels.ff_ntk(x, x, rho, sigma_a=1.0), args.repeats)
    rows.append((f"deep Gram, N = {args.n}, L = 3 relu, Laplace ρ_w", "two-layer closed form ff_ntk",
                 t_deep, t_two, f"{t_deep / t_two:.1f}× slower"))

    xm = np.linspace(-2, 2, args.n_mc)[:, None]
    t_exact, exact = best_time(lambda: deep.ff_mlp_ntk(xm, xm, rho, **KW), args.repeats)
    m = args.width
    net = models.ff_mlp_network(rho, m, hidden=(m, m), activation=KW["activation"],
                                w_std=KW["w_std"], b_std=KW["b_std"])

    _, frozen = models.split(net.init(jax.random.PRNGKey(0)), net.trainable)
    nt = load()
    # one jitted empirical-NTK function for all draws (kernels.empirical_ntk builds a new one per
    # call, whose tracing would dominate a timing)
    ntk_fn = jax.jit(nt.empirical_ntk_fn(
        lambda theta, x: net.apply(models.merge(theta, frozen), x), trace_axes=(), vmap_axes=0,
        implementation=nt.NtkImplementation.JACOBIAN_CONTRACTION))

    def draw(seed):
        return np.asarray(ntk_fn(xm, xm, models.split(net.init(jax.random.PRNGKey(seed)),
                                                       net.trainable)[0]))

    draw(0)  # compile once, outside the timing
    t0 = time.perf_counter()
    mc = np.mean([draw(s) for s in range(args.draws)], axis=0)
    t_mc = time.perf_counter() - t0
    err = float(np.sqrt(np.mean((mc - exact) ** 2) / np.mean(exact**2)))
    rows.append((f"deep kernel, N = {args.n_mc}", f"Monte Carlo: {args.draws} nets of width {m} "
                 f"(relative RMS error {err:.1e})", t_exact, t_mc, f"{t_mc / t_exact:.0f}× faster"))

    print("| task | reference | ours [s] | reference [s] | ratio |\n|---|---|---|---|---|")
    for task, ref, ours, theirs, ratio in rows:
        print(f"| {task} | {ref} | {ours:.3g} | {theirs:.3g} | {ratio} |")


if __name__ == "__main__":
    with jax.enable_x64(True):  # as the package's theory (ntk_freq._precision): float64
        main()
