"""Wall time of ``ntk-freq reproduce all`` (quick forms by default, ``--full`` for the paper
forms), then of a second run served from the cache.

    python benchmarks/bench_reproduce.py [--full]
"""

import argparse
import os
import tempfile
import time

from ntk_freq.experiments._reproduce import reproduce_all


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    out = tempfile.mkdtemp(prefix="bench-reproduce-")
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    t0 = time.perf_counter()
    rows = reproduce_all(out, quick=not args.full, progress=False)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = reproduce_all(out, quick=not args.full, progress=False)
    second = time.perf_counter() - t0
    assert all(r["cached"] for r in again)
    print(f"\n| experiment ({'full' if args.full else 'quick'}) | wall [s] |\n|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['seconds']:.1f} |")
    print(f"| **all** | **{first:.1f}** |")
    print(f"\nsecond run, every result from the cache: {1e3 * second:.1f} ms")


if __name__ == "__main__":
    main()
