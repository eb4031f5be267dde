"""The thread policy (ntk_freq/_threads.py) measured: dense ``eigh`` with 1 and 2 BLAS threads
and with the policy's count, and an XLA training step (main-job size) with XLA's default thread
pool and with one intra-op thread, each in wall and CPU seconds (all threads), with the load
average of the machine at the time. Prints a markdown table.

    python benchmarks/bench_threads.py [--n 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np
from scipy import linalg
from threadpoolctl import threadpool_limits

from ntk_freq._util.threads import blas_thread_count

STEP = """
import time, jax, jax.numpy as jnp, numpy as np, ntk_freq
from ntk_freq import training
from ntk_freq.distributions import distribution
from ntk_freq.models import ff_network, split
net = ff_network(distribution("gaussian:3"), 0.5, 4096, dtype=jnp.float32)
p = net.init(jax.random.PRNGKey(0)); th, fr = split(p, net.trainable)
x = jnp.linspace(-10, 10, 160, dtype=jnp.float32)[:, None]; y = jnp.sin(2 * x[:, 0])
st = dict(apply=net.apply, loss_and_grad=net.loss_and_grad, optimizer=None, chunk=50)
run = lambda: jax.block_until_ready(training._steps(th, (), fr, x, y, None, jnp.float32(0.1), 50, **st))
run(); best = (9e9, 9e9)
for _ in range({repeats}):
    w, c = time.perf_counter(), time.process_time(); run()
    best = min(best, (time.perf_counter() - w, time.process_time() - c))
print(best[0] / 50, best[1] / 50)
"""


def timed(fn, repeats):
    """Best (wall, CPU) seconds of ``fn`` over ``repeats`` calls."""
    best = (np.inf, np.inf)
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        best = min(best, (time.perf_counter() - w, time.process_time() - c))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    A = np.random.default_rng(0).standard_normal((args.n, args.n))
    A = A + A.T
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| task | threads | wall [s] | CPU [s] | CPU / wall |")
    print("|---|---|---|---|---|")
    for label, count in (("1", 1), ("2", 2), (f"policy ({blas_thread_count()})", None)):
        with threadpool_limits(limits=count or blas_thread_count(), user_api="blas"):
            wall, cpu = timed(lambda: linalg.eigh(A), args.repeats)
        print(f"| eigh N = {args.n} | BLAS {label} | {wall:.2f} | {cpu:.2f} | {cpu / wall:.1f} |")
    for label, flags in (("XLA default", ""), ("XLA 1 intra-op",
                         "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")):
        env = {**os.environ, "XLA_FLAGS": flags}
        out = subprocess.run([sys.executable, "-c", STEP.format(repeats=args.repeats)], env=env,
                             capture_output=True, text=True, check=True).stdout.split()
        wall, cpu = float(out[-2]), float(out[-1])
        print(f"| FF-NN step m = 4096, N = 160, float32 | {label} | {wall:.4f} | {cpu:.4f} | "
              f"{cpu / wall:.1f} |")
    print(f"load average {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
