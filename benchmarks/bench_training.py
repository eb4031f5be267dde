"""Training throughput against the machine's own sin/cos limit, and the main job by route.

    .venv/bin/python benchmarks/bench_training.py [--skip-main-job]

Throughput: full-batch gradient-descent steps per second of the FF-NN (d = 1) with width
m = 10⁴ (2m neurons after the doubling) on N = 1024 points, float32 and float64. Each step's
forward pass needs cos and sin of N · 2m phases, i.e. 2 · N · 2m evaluations; the sin/cos limit
is that count divided by the sin + cos throughput of this machine measured in the same run (a
jitted sum of cos and sin over 4·10⁶ numbers). ratio = achieved steps/s ÷ that limit.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import ntk_freq  # noqa: F401  (float64)
from ntk_freq import training
from ntk_freq.distributions import distribution
from ntk_freq.models import ff_network, split

WIDTH, N_POINTS, REPEATS = 10_000, 1024, 3


def best_seconds(fn, repeats=REPEATS) -> float:
    fn()  # compile
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def sincos_per_second(dtype, n=4_000_000) -> float:
    z = jnp.linspace(-50.0, 50.0, n, dtype=dtype)
    f = jax.jit(lambda z: jnp.sum(jnp.cos(z)) + jnp.sum(jnp.sin(z)))
    return 2 * n / best_seconds(lambda: f(z).block_until_ready())


def steps_per_second(dtype_name, steps=10) -> float:
    dtype = training.DTYPES[dtype_name]
    net = ff_network(distribution("gaussian:3"), 0.5, WIDTH, dtype=dtype)
    params = net.init(jax.random.PRNGKey(0))
    theta, frozen = split(params, net.trainable)
    x = jnp.linspace(-10, 10, N_POINTS, dtype=dtype)[:, None]
    y = jnp.sin(2 * x[:, 0]) * jnp.exp(-x[:, 0] ** 2 / 4)
    opt = optax.sgd(0.1)
    state = opt.init(theta)
    loss = training._loss_fn(net, frozen, x, y)

    def run():
        jax.block_until_ready(training._advance(theta, state, loss, opt, steps))

    return steps / best_seconds(run)


def throughput_table() -> None:
    print(f"training throughput: FF-NN d = 1, width m = {WIDTH} (2m neurons), N = {N_POINTS}")
    print(f"{'dtype':>8} {'steps/s':>9} {'sin+cos/s':>11} {'limit steps/s':>14} {'ratio':>7}")
    for name in ("float32", "float64"):
        before = sincos_per_second(training.DTYPES[name])
        sps = steps_per_second(name)
        rate = max(before, sincos_per_second(training.DTYPES[name]))  # best of before/after
        limit = rate / (2 * N_POINTS * 2 * WIDTH)
        print(f"{name:>8} {sps:9.3f} {rate:11.3e} {limit:14.3f} {sps / limit:7.1%}")


def main_job_table() -> None:
    from ntk_freq.experiments import experiment_settings, run_experiment

    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        run = run_experiment(experiment_settings("default"), out, "bench", progress=False)
        total = time.perf_counter() - t0
    print("\nmain job (ntk-freq run, default experiment): seconds by route")
    print(f"{'rho':>14} {'kernel':>8} {'pde':>8} {'nn':>8}")
    for rho, s in run.summary["rho"].items():
        sec = s["seconds"]
        print(f"{rho:>14} {sec['kernel']:8.2f} {sec['pde']:8.2f} {sec['nn']:8.2f}")
    routes = sum(sum(s["seconds"].values()) for s in run.summary["rho"].values())
    print(f"total {total:.1f} s (routes {routes:.1f} s; figures, files and set-up the rest)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-main-job", action="store_true")
    args = parser.parse_args()
    throughput_table()
    if not args.skip_main_job:
        main_job_table()
