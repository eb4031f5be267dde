"""Start-up cost of the stack: ``import ntk_freq`` as a ratio to ``import jax`` (the floor: the
package needs JAX), the first neural-tangents load through ntk_freq._nt, and ``ntk-freq --help``
(the whole command, interpreter start-up included), each in a fresh process, best of
``--repeats``. Prints a markdown table.

    python benchmarks/bench_stack.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys

CASES = {
    "import jax": "import jax",
    "import ntk_freq": "import ntk_freq",
    "import ntk_freq + load neural-tangents": "import ntk_freq; ntk_freq.neural_tangents_mode()",
}


def wall_time(code: str) -> float:
    """Seconds of one fresh interpreter running ``code`` (timed inside it, start-up excluded)."""
    timed = f"import time; t0 = time.perf_counter(); {code}; print(time.perf_counter() - t0)"
    out = subprocess.run([sys.executable, "-c", timed], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def command_time(args: list) -> float:
    """Wall seconds of a whole command, process start-up included."""
    import time

    t0 = time.perf_counter()
    subprocess.run(args, capture_output=True, check=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    best = {name: min(wall_time(code) for _ in range(args.repeats)) for name, code in CASES.items()}
    cli = [sys.executable, "-m", "ntk_freq.cli", "--help"]
    best["`ntk-freq --help` (whole process)"] = min(command_time(cli) for _ in range(args.repeats))
    best["`python -c pass` (whole process)"] = min(command_time([sys.executable, "-c", "pass"])
                                                   for _ in range(args.repeats))
    print("| what | best of %d [s] | ratio to `import jax` |" % args.repeats)
    print("|---|---|---|")
    for name, seconds in best.items():
        print(f"| {name} | {seconds:.2f} | {seconds / best['import jax']:.2f} |")


if __name__ == "__main__":
    main()
