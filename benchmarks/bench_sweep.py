"""A sweep of compare (16 points, width 2048) on a 2-worker LocalCluster against the same points
run serially in one process, and the per-point overhead of the store and the scheduler.

    python benchmarks/bench_sweep.py [--points 16] [--width 2048] [--workers 2]

Two serial baselines, so that like is compared with like: "serial, multi-threaded" (this
process: XLA and BLAS use every core for one point) and "serial, single-threaded" (a fresh
process under the workers' thread policy, sweep.SINGLE_THREAD_ENV: one core for one point, as
in each worker). Wall times: the points are split in two halves, each run by all three in the
order serial-MT, serial-1T, cluster, cluster, serial-1T, serial-MT (so that a load that drifts
during the run, on a shared machine, falls on all alike); every run starts from an empty folder
and uses the sweep's persistent compilation cache (``ntk-freq sweep`` does). The
single-threaded run is timed inside its process (its JAX import excluded). The cluster's start
is timed apart.
Per-point overhead, measured directly: turning a point's Dataset into netCDF bytes (in the
worker), writing them atomically (client), the Dask round trip of a task returning that many
bytes, and the point's share of combining the sweep; as a fraction of the mean point time.
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


def config(seeds, width: int) -> dict:
    return {"experiment": "default", "fixed": {"rhos": ["gaussian:3"], "width": width},
            "grid": {"seed": list(seeds), "sigma_a": [0.5, 1.0]}}


SINGLE = """
import json, sys, time
from pathlib import Path
from ntk_freq import sweep
spec = sweep.parse_config(json.loads(sys.argv[1]))
sweep.use_compilation_cache(Path(sys.argv[3]))
t0 = time.perf_counter()
sweep.run_sweep(spec, sys.argv[2], serial=True, progress=False)
print(time.perf_counter() - t0)
"""


def serial_single_thread(cfg: dict, out: Path, cache: Path) -> float:
    """Wall time of a serial sweep in a fresh process under the workers' thread policy."""
    from ntk_freq import sweep

    done = subprocess.run([sys.executable, "-c", SINGLE, json.dumps(cfg), str(out), str(cache)],
                          env={**os.environ, **sweep.SINGLE_THREAD_ENV}, check=True,
                          capture_output=True, text=True)
    return float(done.stdout.strip().splitlines()[-1])


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
    from ntk_freq import store, sweep
    from ntk_freq.results import dataset_bytes, point_bytes

    half = args.points // 4
    configs = [config(range(k * half, (k + 1) * half), args.width) for k in range(2)]
    specs = [sweep.parse_config(c) for c in configs]
    sweep.use_compilation_cache(root / "serial")      # before this process compiles anything
    loads = [os.getloadavg()[0]]
    wall = {"serial": 0.0, "single": 0.0, "cluster": 0.0}
    results = {}
    order = ((0, "serial"), (0, "single"), (0, "cluster"), (1, "cluster"), (1, "single"), (1, "serial"))
    for k, kind in order:
        t0 = time.perf_counter()
        if kind == "single":
            wall[kind] += serial_single_thread(configs[k], root / f"single{k}", root / "single")
        else:
            results[k, kind] = sweep.run_sweep(specs[k], root / f"{kind}{k}", serial=kind == "serial",
                                               n_workers=None if kind == "serial" else args.workers,
                                               progress=False)
            wall[kind] += time.perf_counter() - t0
        loads.append(os.getloadavg()[0])
    same = all(np.array_equal(results[k, "serial"].dataset[v].values,
                              results[k, "cluster"].dataset[v].values, equal_nan=True)
               for k in range(2) for v in ("u_hat", "remaining", "loss"))
    point = sum(float(np.nansum(results[k, "serial"].dataset.seconds)) for k in range(2)) / args.points

    t0 = time.perf_counter()
    client = sweep.connect(None, args.workers, 5.0)
    t_start = time.perf_counter() - t0
    ds = results[0, "serial"].dataset.isel(seed=0, sigma_a=0)
    t_netcdf = mean_time(lambda: dataset_bytes(ds))
    data = point_bytes(ds)
    t_bytes = mean_time(lambda: point_bytes(ds))
    t_write = mean_time(lambda: store.atomic_write(root / "probe.nc", lambda f: f.write(data)))
    client.submit(payload, len(data), pure=False).result()          # warm the workers
    t_trip = mean_time(lambda: client.submit(payload, len(data), pure=False).result(), 20)
    cluster = client.cluster
    client.close()
    cluster.close()
    t_combine = mean_time(lambda: sweep.combine(specs[0], root / "serial0"), 2) / (args.points // 2)

    n = args.points
    print(f"load average (1 min) during the runs: {min(loads):.1f} to {max(loads):.1f} on "
          f"{os.cpu_count()} cores; identical numbers serial vs cluster: {same}\n")
    print(f"{n} points, width {args.width}:\n")
    print("| run | wall [s] | per point [s] | cluster speed-up against it |")
    print("|---|---|---|---|")
    for kind, name in (("serial", "serial, one process, multi-threaded (XLA/BLAS default)"),
                       ("single", "serial, one process, single-threaded (the workers' policy)")):
        print(f"| {name} | {wall[kind]:.1f} | {wall[kind] / n:.2f} | {wall[kind] / wall['cluster']:.2f}x |")
    print(f"| LocalCluster, {args.workers} single-threaded workers (2 starts included) | "
          f"{wall['cluster']:.1f} | {wall['cluster'] / n:.2f} | 1 |")
    print(f"\ncluster start {t_start:.1f} s; mean point time (routes, serial) {point:.2f} s; "
          f"a point's file {len(data) / 2**20:.2f} MiB\n")
    print(f"(for comparison: the same Dataset as netCDF bytes through h5netcdf, the former point "
          f"format: {1e3 * t_netcdf:.1f} ms, {t_netcdf / point:.2%})\n")
    print("| per-point overhead | [ms] | fraction of a point |\n|---|---|---|")
    rows = [("Dataset → point file bytes (.npz, worker)", t_bytes), ("atomic write (client)", t_write),
            ("Dask round trip of the bytes", t_trip), ("share of combining", t_combine)]
    for name, t in rows:
        print(f"| {name} | {1e3 * t:.1f} | {t / point:.2%} |")
    total = sum(t for _, t in rows)
    print(f"| **total** | **{1e3 * total:.1f}** | **{total / point:.2%}** |")


if __name__ == "__main__":
    main()
