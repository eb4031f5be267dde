"""Operator losses against their plain-loss counterparts, in one run (ratios, not absolute times).

    python benchmarks/bench_operator_losses.py [--quick]

Problem: the default 1-D data (N cell-centred points on [−10, 10]), Gaussian ρ_w (s = 3),
σ_a = 0.5, W trained, windowed sines at ξ = 2, 7; the operator loss is screened Poisson
−u'' + u (order 2).

- ``kernel``: the operator-applied NTK L_x L_x' Θ(X, X) of ``FourierFeatures.operator_ntk``
  (the ρ_w quadrature, refined against the closed form, and the feature sum) against the
  closed-form NTK Θ(X, X) (``ff_ntk``) on the same points; medians of 3 calls, N = 160 and 640.
- ``step``: one gradient-descent step of the FF-PINN (the residual L f at every point by
  forward-mode autodiff inside the compiled step) against one step of the plain loss (the
  network's hand-written gradient), width m = 1024 and 4096, float32, N = 160: the time of 210
  steps minus the time of 10 steps, over 200 (so compilation, the stability check and the set-up
  are excluded); the kernel-regime probe off.

Wall seconds (``time.perf_counter``). The machine's load average is printed with the table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import jax
import numpy as np

import ntk_freq as nf
from ntk_freq.kernels import ff_ntk
from ntk_freq.losses import ScreenedPoisson, residual_data


def grid(n: int) -> np.ndarray:
    return (-10.0 + (np.arange(n) + 0.5) * 20.0 / n)[:, None]


def median_seconds(call, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def kernel_rows(sizes) -> list:
    rho, net = nf.distribution("gaussian:3"), nf.FourierFeatures(sigma_a=0.5)
    L = ScreenedPoisson(mu=1.0).operators(1)[0]
    rows = []
    for n in sizes:
        x = grid(n)
        plain = median_seconds(lambda: ff_ntk(x, x, rho, sigma_a=0.5))
        operator = median_seconds(lambda: net.operator_ntk(rho, [(x, L)], [(x, L)]))
        rows.append((f"kernel N={n}", operator, plain))
    return rows


def train_seconds(net, params, x, y, steps: int, residual) -> float:
    t0 = time.perf_counter()
    nf.train(net, params, x, y=y, eta=0.002, times=0.002 * np.array([0, steps]), residual=residual,
             progress=False, dtype="float32", regime=False)
    return time.perf_counter() - t0


def step_rows(widths) -> list:
    rho = nf.distribution("gaussian:3")
    x = grid(160)
    target = nf.target("windowed-sines:2,7;width=1.5")
    residual = residual_data(ScreenedPoisson(mu=1.0), x=x, target=target)
    rows = []
    for m in widths:
        net = nf.FourierFeatures(sigma_a=0.5, width=m).finite(rho)
        params = net.init(jax.random.PRNGKey(0))
        per_step = {}
        for name, r in (("pinn", residual), ("plain", None)):
            short = train_seconds(net, params, x, target(x), 10, r)
            long = train_seconds(net, params, x, target(x), 210, r)
            per_step[name] = (long - short) / 200
        rows.append((f"step m={m}", per_step["pinn"], per_step["plain"]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 160 and m = 1024 only")
    quick = parser.parse_args().quick
    rows = kernel_rows((160,) if quick else (160, 640)) + step_rows((1024,) if quick else (1024, 4096))
    print(f"load average {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs")
    print(f"{'row':<16}{'operator loss s':>16}{'plain loss s':>14}{'ratio':>8}")
    for name, operator, plain in rows:
        print(f"{name:<16}{operator:>16.4g}{plain:>14.4g}{operator / plain:>8.1f}")


if __name__ == "__main__":
    main()
