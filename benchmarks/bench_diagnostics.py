"""Diagnostics and the digits experiments, timed against references measured in the same run.

    .venv/bin/python benchmarks/bench_diagnostics.py [--experiments]

Rows (2-core CPU):
- filtering method on all 1,797 digits (N × N Gaussian filter, 40 snapshots × 10 outputs),
  against the reference of one dense N × N matrix product of the same size;
- interpolation spectra (300 + 300 paths × 129 points through the digits MLP), against one
  forward pass of the MLP over the same number of points;
- an Adam step of the digits MLP (64→128→128→10, doubled) on all 1,797 images in float32,
  against the same step in float64;
- with ``--experiments``: the full forms of xu-digits and fridovich-digits, end to end, against
  the 5-minute budget of the issue.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import jax
import numpy as np
import optax

import ntk_freq  # noqa: F401
from bench_training import best_seconds  # the script's folder is on sys.path
from ntk_freq.diagnostics import _classics as classics, _spectral_bias as dg
from ntk_freq.training import _fitting as fitting



def main(experiments: bool) -> None:
    x, labels = fitting.load_digits()
    y = fitting.one_hot(labels, 10)
    n = x.shape[0]
    rows = []
    preds = np.random.default_rng(0).normal(size=(40, n, 10))
    nn, _ = dg.data_scale(x)
    a = np.random.default_rng(1).normal(size=(n, n))
    rows.append(("filtering method, N = 1797, 40 snapshots x 10 outputs",
                 "one N x N @ N x 400 product", best_seconds(lambda: dg.filtered_errors(preds, y, x, delta=nn)),
                 best_seconds(lambda: a @ preds.reshape(40, n, 10).transpose(1, 0, 2).reshape(n, 400))))
    net = classics._digits_mlp(128)
    params = net.init(jax.random.PRNGKey(0))
    flat = np.tile(x, (44, 1))[: 600 * 129]
    apply = jax.jit(net.apply)
    rows.append(("interpolation spectra, 2 x 300 paths x 129 points", "MLP forward on 77,400 points",
                 best_seconds(lambda: dg.interpolation_spectra(apply, params, x, labels=labels, n_pairs=300), 1),
                 best_seconds(lambda: np.asarray(apply(params, flat)), 1)))
    step = {dt: (lambda dt=dt: fitting.fit(net, params, x, y=y, optimizer=optax.adam(1e-3), snapshot_steps=np.array([100]),
                                           dtype=dt, progress=False)) for dt in ("float32", "float64")}
    rows.append(("100 Adam steps, digits MLP, float32", "same in float64",
                 best_seconds(step["float32"], 1), best_seconds(step["float64"], 1)))
    if experiments:
        for name, fn in (("xu-digits", classics.xu_digits), ("fridovich-digits", classics.fridovich_digits)):
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                fn(Path(tmp), quick=False, progress=False)
                rows.append((f"{name}, full form, end to end", "the 5-minute budget",
                             time.perf_counter() - t0, 300.0))
    print("| task | reference | ours [s] | reference [s] | ratio ours/reference |")
    print("|---|---|---|---|---|")
    for task, ref, ours, base in rows:
        print(f"| {task} | {ref} | {ours:.3g} | {base:.3g} | {ours / base:.3g} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--experiments", action="store_true")
    with jax.enable_x64(True):  # as the package's theory (ntk_freq._precision): float64
        main(parser.parse_args().experiments)
