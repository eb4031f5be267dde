"""A sweep of compare (16 points, width 2048) on a 2-worker LocalCluster against the same points
run serially in one process, and the per-point overhead of the store and the scheduler.

    python benchmarks/bench_sweep.py [--points 16] [--width 2048] [--workers 2]

Three runs of the same 16-point sweep, each in a fresh Python process from an empty folder and
timed around ``run_sweep`` alone, so that every run pays its own JAX import and its own
compilations (the sweep's persistent compilation cache starts empty each time), as a user's
``ntk-freq sweep`` does:

- serial, multi-threaded: ``ntk-freq sweep --serial`` (XLA's default threads spread one point
  over every core);
- serial, single-threaded: the same, the process pinned to one core and under
  ``sweep.SINGLE_THREAD_ENV`` before JAX loads (exactly one worker's policy);
- LocalCluster: ``ntk-freq sweep`` with ``--workers`` single-threaded workers (the cluster's
  start and shutdown included).

Each run reports its wall time and, from the points' own ``seconds``, the steady-state time of a
point (the median). Per-point overhead, measured directly in this process: the point file's
bytes (worker), the atomic write (client), the Dask round trip of a task returning that many
bytes, and the point's share of combining the sweep, as fractions of the median point time.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RUN = """
import json, os, sys, time
from pathlib import Path
kind, cfg, out, workers = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
from ntk_freq import sweep
if kind == "single":
    os.environ.update(sweep.SINGLE_THREAD_ENV)
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
spec = sweep.parse_config(cfg)
t0 = time.perf_counter()
if kind != "cluster":
    sweep.use_compilation_cache(out)
result = sweep.run_sweep(spec, out, serial=kind != "cluster", n_workers=workers, progress=False)
wall = time.perf_counter() - t0
print(json.dumps({"wall": wall}))
"""


def config(n_points: int, width: int) -> dict:
    return {"experiment": "default", "fixed": {"rhos": ["gaussian:3"], "width": width},
            "grid": {"seed": list(range(n_points // 2)), "sigma_a": [0.5, 1.0]}}


def fresh_run(kind: str, cfg: dict, out: Path, workers: int) -> float:
    """Wall seconds of ``run_sweep`` in a fresh process (module docstring)."""
    done = subprocess.run([sys.executable, "-c", RUN, kind, json.dumps(cfg), str(out), str(workers)],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["wall"]


def payload(n: int) -> bytes:
    return bytes(n)


def mean_time(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.mean(times))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=16)
    parser.add_argument("--width", type=int, default=2048)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    from ntk_freq._util import store
    from ntk_freq.experiments import _sweep as sweep
    from ntk_freq.comparison._results import dataset_bytes, point_bytes

    cfg = config(args.points, args.width)
    spec = sweep.parse_config(cfg)
    loads, wall = [os.getloadavg()[0]], {}
    for kind in ("serial", "single", "cluster"):
        wall[kind] = fresh_run(kind, cfg, root / kind, args.workers)
        loads.append(os.getloadavg()[0])
    datasets = {kind: sweep.combine(spec, root / kind) for kind in wall}
    same = all(np.array_equal(datasets["serial"][name].values, datasets[kind][name].values,
                              equal_nan=True)
               for kind in ("single", "cluster") for name in ("u_hat", "remaining", "loss"))
    point = {kind: float(ds.seconds.sum(("rho", "route")).median()) for kind, ds in datasets.items()}

    ds = datasets["serial"].isel(seed=0, sigma_a=0)
    t_netcdf = mean_time(lambda: dataset_bytes(ds))
    data = point_bytes(ds)
    t_bytes = mean_time(lambda: point_bytes(ds))
    t_write = mean_time(lambda: store.atomic_write(root / "probe.npz", lambda f: f.write(data)))
    client = sweep.connect(None, args.workers, 5.0)
    client.submit(payload, len(data), pure=False).result()          # warm the workers
    t_trip = mean_time(lambda: client.submit(payload, len(data), pure=False).result(), 20)
    cluster = client.cluster
    client.close()
    cluster.close()
    t_combine = mean_time(lambda: sweep.combine(spec, root / "serial"), 2) / args.points

    n = args.points
    print(f"load average (1 min) during the runs: {min(loads):.1f} to {max(loads):.1f} on "
          f"{os.cpu_count()} cores; numbers identical in all three runs: {same}\n")
    print(f"{n} points, width {args.width}, each run in a fresh process (JAX import, "
          "compilations, cluster start and shutdown included):\n")
    print("| run | wall [s] | per point [s] | median point's routes [s] | cluster speed-up against it |")
    print("|---|---|---|---|---|")
    names = {"serial": "serial, multi-threaded (`ntk-freq sweep --serial`)",
             "single": "serial, single-threaded (one worker's policy, pinned to one core)",
             "cluster": f"LocalCluster, {args.workers} single-threaded workers (`ntk-freq sweep`)"}
    for kind, name in names.items():
        print(f"| {name} | {wall[kind]:.1f} | {wall[kind] / n:.2f} | {point[kind]:.2f} | "
              f"{wall[kind] / wall['cluster']:.2f}x |")
    print(f"\na point's file {len(data) / 2**20:.2f} MiB; as netCDF bytes through h5netcdf (the "
          f"former point format) {1e3 * t_netcdf:.1f} ms, {t_netcdf / point['serial']:.2%} of a point\n")
    print("| per-point overhead | [ms] | fraction of a point |\n|---|---|---|")
    rows = [("Dataset → point file bytes (.npz, worker)", t_bytes), ("atomic write (client)", t_write),
            ("Dask round trip of the bytes", t_trip), ("share of combining", t_combine)]
    for name, t in rows:
        print(f"| {name} | {1e3 * t:.1f} | {t / point['serial']:.2%} |")
    total = sum(t for _, t in rows)
    print(f"| **total** | **{1e3 * total:.1f}** | **{total / point['serial']:.2%}** |")


if __name__ == "__main__":
    main()
