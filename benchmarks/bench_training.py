"""Training throughput against the machine's own sin/cos limit, and the main job by route.

    .venv/bin/python benchmarks/bench_training.py [--skip-main-job]

Throughput: full-batch gradient-descent steps per second of the FF-NN (d = 1) with width
m = 10⁴ (2m neurons after the doubling) on N = 1024 points, float32 and float64, with the
network's hand-written gradient (the default) and with autodiff. Each step needs cos and sin of
N · 2m phases, i.e. 2 · N · 2m evaluations; the sin/cos limit is that count divided by the
sin + cos throughput of this machine measured in the same run, on the step's own phases and, as
earlier versions did, on 4·10⁶ sorted numbers in [−50, 50] (about 2–3× faster: sorted inputs
let the range reduction's branches be predicted). ratio = achieved steps/s ÷ that limit.
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


SINCOS = (jax.jit(lambda z: jnp.sum(jnp.cos(z)) + jnp.sum(jnp.sin(z))),  # reduced
          jax.jit(lambda z: (jnp.cos(z), jnp.sin(z))))  # written out


def sincos_per_second(z) -> float:
    """sin + cos evaluations per second on the numbers ``z``: the faster of a jitted sum of cos
    and sin and a jitted elementwise cos, sin (XLA-CPU is faster at one or the other by shape)."""
    return max(2 * z.size / best_seconds(lambda: jax.block_until_ready(f(z))) for f in SINCOS)


def problem(dtype_name, width=WIDTH, n_points=N_POINTS):
    """The benchmark's network, parameters and data."""
    dtype = training.DTYPES[dtype_name]
    net = ff_network(distribution("gaussian:3"), 0.5, width, dtype=dtype)
    params = net.init(jax.random.PRNGKey(0))
    x = jnp.linspace(-10, 10, n_points, dtype=dtype)[:, None]
    y = jnp.sin(2 * x[:, 0]) * jnp.exp(-x[:, 0] ** 2 / 4)
    return net, params, x, y


def limits(dtype_name, width=WIDTH, n_points=N_POINTS) -> dict:
    """sin + cos per second on (a) 4·10⁶ sorted numbers in [−50, 50] (the measure of earlier
    versions: sorted inputs let the range reduction's branches be predicted, which the step's
    phases do not) and (b) the step's own phases z = w_kj·x_i, shape (2, N, m)."""
    net, params, x, _ = problem(dtype_name, width, n_points)
    W = jnp.stack([params["plus"]["W"], params["minus"]["W"]])
    return {"sorted": sincos_per_second(jnp.linspace(-50.0, 50.0, 4_000_000, dtype=x.dtype)),
            "phases": sincos_per_second(jnp.einsum("nd,kmd->knm", x, W))}


def steps_per_second(dtype_name, hand_written=True, steps=10) -> float:
    """Gradient-descent steps per second through training's compiled step, with the network's
    hand-written gradient or with autodiff of its forward pass."""
    net, params, x, y = problem(dtype_name)
    theta, frozen = split(params, net.trainable)
    static = dict(apply=net.apply, loss_and_grad=net.loss_and_grad if hand_written else None,
                  optimizer=None, chunk=steps)
    eta = jnp.asarray(0.1, x.dtype)

    def run():
        jax.block_until_ready(training._steps(theta, (), frozen, x, y, None, eta, steps, **static))

    return steps / best_seconds(run)


def throughput_table() -> None:
    evaluations = 2 * N_POINTS * 2 * WIDTH
    print(f"training throughput: FF-NN d = 1, width m = {WIDTH} (2m neurons), N = {N_POINTS}; "
          f"limit = (sin+cos per second)/{evaluations:.3g}")
    print("| dtype | gradient | steps/s | limit, step's phases [steps/s] | ratio | "
          "limit, sorted [−50, 50] [steps/s] | ratio |")
    print("|---|---|---|---|---|---|---|")
    for name in ("float32", "float64"):
        before = limits(name)
        rates = {g: steps_per_second(name, g == "hand-written") for g in ("hand-written", "autodiff")}
        after = limits(name)
        lim = {k: max(before[k], after[k]) / evaluations for k in before}  # best of before/after
        for g, sps in rates.items():
            print(f"| {name} | {g} | {sps:.3f} | {lim['phases']:.3f} | {sps / lim['phases']:.0%} | "
                  f"{lim['sorted']:.3f} | {sps / lim['sorted']:.0%} |")


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
