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
import importlib
import resource
import subprocess
import sys
import tempfile
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ntk_freq.training import _train as training
from ntk_freq._util.precision import precision
from ntk_freq.distributions._spec import distribution
from ntk_freq._nn.models import ff_network, split

WIDTH, N_POINTS, REPEATS = 10_000, 1024, 3


def best_seconds(fn, repeats=REPEATS, clock=time.perf_counter) -> float:
    """Best of ``repeats`` calls after a warm-up one, by ``clock`` (wall, or process_time for
    CPU seconds of all threads)."""
    fn()  # compile
    best = np.inf
    for _ in range(repeats):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best


SINCOS = (jax.jit(lambda z: jnp.sum(jnp.cos(z)) + jnp.sum(jnp.sin(z))),  # reduced
          jax.jit(lambda z: (jnp.cos(z), jnp.sin(z))))  # written out


def sincos_per_second(z, clock=time.perf_counter) -> float:
    """sin + cos evaluations per second on the numbers ``z``: the faster of a jitted sum of cos
    and sin and a jitted elementwise cos, sin (XLA-CPU is faster at one or the other by shape)."""
    return max(2 * z.size / best_seconds(lambda: jax.block_until_ready(f(z)), clock=clock)
               for f in SINCOS)


def problem(dtype_name, width=WIDTH, n_points=N_POINTS):
    """The benchmark's network, parameters and data (call it, and time with them, under
    ``precision(dtype_name)``: JAX's 64-bit mode for float64, as training runs)."""
    dtype = training.DTYPES[dtype_name]
    net = ff_network(distribution("gaussian:3"), 0.5, width, dtype=dtype)
    params = net.init(jax.random.PRNGKey(0))
    x = jnp.linspace(-10, 10, n_points, dtype=dtype)[:, None]
    y = jnp.sin(2 * x[:, 0]) * jnp.exp(-x[:, 0] ** 2 / 4)
    return net, params, x, y


def limits(dtype_name, width=WIDTH, n_points=N_POINTS, clock=time.perf_counter) -> dict:
    """sin + cos per second on (a) 4·10⁶ sorted numbers in [−50, 50] (the measure of earlier
    versions: sorted inputs let the range reduction's branches be predicted, which the step's
    phases do not) and (b) the step's own phases z = w_kj·x_i, shape (2, N, m)."""
    net, params, x, _ = problem(dtype_name, width, n_points)
    W = jnp.stack([params["plus"]["W"], params["minus"]["W"]])
    return {"sorted": sincos_per_second(jnp.linspace(-50.0, 50.0, 4_000_000, dtype=x.dtype), clock),
            "phases": sincos_per_second(jnp.einsum("nd,kmd->knm", x, W), clock)}


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
        with precision(name):  # the mode train() runs this dtype in
            before = limits(name)
            rates = {g: steps_per_second(name, g == "hand-written") for g in ("hand-written", "autodiff")}
            after = limits(name)
        lim = {k: max(before[k], after[k]) / evaluations for k in before}  # best of before/after
        for g, sps in rates.items():
            print(f"| {name} | {g} | {sps:.3f} | {lim['phases']:.3f} | {sps / lim['phases']:.0%} | "
                  f"{lim['sorted']:.3f} | {sps / lim['sorted']:.0%} |")


def cpu_of_command(args: list) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of a whole command, all its threads, start-up included."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(args, capture_output=True, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime), wall


def checks_table() -> None:
    """The checks before training (memory, stability λ_max) against a 300-step run, main-job
    size (m = 4096, N = 160, float32), each cold (compilation included), in this process."""
    from ntk_freq.experiments._run import experiment_settings

    s = experiment_settings("default")
    with precision(s["dtype"]):  # the mode train() runs this dtype in
        net, params, x, y = problem(s["dtype"], s["width"], s["n_points"])
        t0 = time.process_time()
        lam = training.network_lambda_max(net, params, x)
        check = time.process_time() - t0
    t0 = time.process_time()
    training.train(net, params, x, y=y, eta=0.5 * 2 / lam, times=0.5 * 2 / lam * np.arange(0, s["steps"] + 1, 10),
                   dtype=s["dtype"], progress=False)
    run = time.process_time() - t0
    print(f"\nchecks before training, m = {s['width']}, N = {s['n_points']}, {s['dtype']} (CPU s): "
          f"stability λ_max {check:.3f}; a whole {s['steps']}-step train() {run:.2f} "
          f"(checks included): {check / run:.1%}")


def main_job_table() -> None:
    """`ntk-freq run` (default experiment) as a command, against its floor in CPU seconds:
    import (ntk_freq and JAX), the theory routes (kernel flow, PDE) and the figures and files as
    measured in an in-process run, plus 600 training steps at the sin/cos limit (CPU seconds
    per evaluation) of the main job's own phases (and at the sorted-range limit)."""
    from ntk_freq.experiments._run import experiment_settings, run_experiment

    cmp_module = importlib.import_module("ntk_freq.comparison._compare")  # the module, not the function

    s = experiment_settings("default")
    with tempfile.TemporaryDirectory() as out:
        cpu_cmd, wall_cmd = cpu_of_command([sys.executable, "-m", "ntk_freq.cli", "run", "--out", out,
                                            "--name", "bench", "--quiet"])
    cpu_import, _ = cpu_of_command([sys.executable, "-c", "import ntk_freq, jax"])
    exp_module = importlib.import_module("ntk_freq.experiments._run")
    wrapped = {(cmp_module, "nn_route"): "training", (cmp_module, "kernel_route"): "theory",
               (cmp_module, "pde_route"): "theory", (exp_module, "_write_comparison"): "figures"}
    cpu = {"training": 0.0, "theory": 0.0, "figures": 0.0}

    def timed(fn, kind):
        def call(*args, **kwargs):
            t0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                cpu[kind] += time.process_time() - t0
        return call

    originals = {key: getattr(*key) for key in wrapped}
    for (module, name), kind in wrapped.items():
        setattr(module, name, timed(originals[(module, name)], kind))
    try:
        with tempfile.TemporaryDirectory() as out:
            t0 = time.process_time()
            run_experiment(s, out, "bench", progress=False)
            cpu_run = time.process_time() - t0
    finally:
        for (module, name), fn in originals.items():
            setattr(module, name, fn)
    steps = s["steps"] * len(s["rhos"])
    evaluations = 2 * s["n_points"] * 2 * s["width"]
    with precision(s["dtype"]):
        rate = limits(s["dtype"], s["width"], s["n_points"], clock=time.process_time)
    fixed = cpu_import + cpu["theory"] + cpu["figures"]
    floor = {k: fixed + steps * evaluations / r for k, r in rate.items()}
    print(f"\nmain job: `ntk-freq run` (default: m = {s['width']}, N = {s['n_points']}, {steps} steps "
          f"in all, {s['dtype']}), CPU seconds of all threads")
    print("| what | CPU s |")
    print("|---|---|")
    print(f"| `ntk-freq run` (wall {wall_cmd:.1f} s) | {cpu_cmd:.1f} |")
    print(f"| in-process run: training {cpu['training']:.1f}, theory routes {cpu['theory']:.1f}, "
          f"figures and files {cpu['figures']:.1f}, the rest {cpu_run - sum(cpu.values()):.1f} | "
          f"{cpu_run:.1f} |")
    print(f"| floor: import (ntk_freq, jax) {cpu_import:.2f} + theory routes {cpu['theory']:.2f} + "
          f"figures and files {cpu['figures']:.2f} + {steps} steps at the limit on the step's "
          f"phases {steps * evaluations / rate['phases']:.2f} | {floor['phases']:.1f} |")
    print(f"| **ratio `ntk-freq run` / floor** | **{cpu_cmd / floor['phases']:.2f}** |")
    print(f"| (floor with the sorted-range limit {floor['sorted']:.1f}: ratio "
          f"{cpu_cmd / floor['sorted']:.2f}) | |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-main-job", action="store_true")
    args = parser.parse_args()
    throughput_table()
    if not args.skip_main_job:
        checks_table()
        main_job_table()
