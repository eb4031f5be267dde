"""What the input checks cost: (1) their share of a comparison run (cProfile: the time spent in
ntk_freq._validation, the cost checks and the output checks, over the whole run), and (2) how
long the API takes to refuse hostile input (the slowest of a set of refusals, each in a warm
process). Prints a markdown table.

    python benchmarks/bench_validation.py
"""

from __future__ import annotations

import cProfile
import pstats
import time

import numpy as np

import ntk_freq as nf
from ntk_freq._nn import models

CHECKS = ("_validation.py", "check_cost", "check_data_grid", "check_output", "check_representable")

REFUSALS = {
    "compare(n_points=10**8)": lambda: nf.compare(n_points=10**8, progress=False),
    "compare(steps=2**63)": lambda: nf.compare(steps=2**63, progress=False),
    "compare(width=10**12)": lambda: nf.compare(width=10**12, progress=False),
    "periodic_spectrum(kmax=10**7, d=3)": lambda: nf.periodic_spectrum(nf.Gaussian(1.0, 3), 6.28, 10**7),
    "sphere_spectrum(kmax=10**8)": lambda: nf.sphere_spectrum(lambda a, b: a @ b.T, 3, 10**8),
    "midpoint_grid(n=10**9)": lambda: nf.midpoint_grid(1.0, 10**9),
    "design_rho(n_points=10**8)": lambda: nf.design_rho(
        nf.RateProfile(lambda k: 1 + k, (0, 8), absolute=False), sigma_a=1.0, density=0.05,
        n_points=10**8),
    "ff_network(width=10**12)": lambda: models.ff_network(nf.Gaussian(1.0), 1.0, 10**12),
    "StudentT('3', 1)": lambda: nf.StudentT("3", 1.0),
    "solve_frequency_pde(mesh_size=1e-9)": lambda: nf.solve_frequency_pde(
        nf.Gaussian(3.0), 1.0, 0.05, u0_hat=nf.initial_error_hat(nf.WindowedSines([2.0])), times=[0.0, 1.0],
        mesh_size=1e-9),
}


def check_share() -> tuple[float, float]:
    profile = cProfile.Profile()
    t0 = time.perf_counter()
    profile.enable()
    nf.compare(width=512, steps=200, progress=False)
    profile.disable()
    total = time.perf_counter() - t0
    stats = pstats.Stats(profile).stats
    in_checks = sum(ct for (file, _, fn), (_, _, _, ct, _) in stats.items()
                    if file.endswith("_validation.py") or fn in CHECKS)
    return in_checks, total


def main() -> None:
    in_checks, total = check_share()
    print("| measurement | value |")
    print("|---|---|")
    print(f"| checks in `compare(width=512, steps=200)` | {in_checks:.3f} s of {total:.1f} s "
          f"({100 * in_checks / total:.2f} %) |")
    times = {}
    for name, call in REFUSALS.items():
        t0 = time.perf_counter()
        try:
            call()
        except (ValueError, TypeError, MemoryError) as error:
            times[name] = (time.perf_counter() - t0, type(error).__name__)
        else:
            raise AssertionError(f"{name} was not refused")
    worst = max(times, key=lambda k: times[k][0])
    for name, (seconds, kind) in times.items():
        print(f"| refusal: {name} | {seconds * 1e3:.1f} ms ({kind}) |")
    print(f"| slowest refusal | {worst}: {times[worst][0]:.2f} s |")


if __name__ == "__main__":
    main()
