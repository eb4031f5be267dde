"""Cost of the kernel-regime diagnostics that every training run records (ntk_freq.regime):
the same training with ``regime=True`` (NTK change on 64 inputs, parameter distance and
linearisation gap at every snapshot) and ``regime=False``, CPU time of this process (all
threads), best of ``--repeat`` runs each, alternated so that a drifting load falls on both.

    python benchmarks/bench_regime.py [--repeat 2]

Cases: the FF-NN of the default comparison (width 2048, 160 points, 300 gradient-descent steps,
31 snapshots, float64) and the xu-digits MLP (64→128→128→10, 1,797 images, 400 Adam steps, 41
snapshots, float32).
"""

import argparse
import time

import jax
import numpy as np
import optax


def cases():
    from ntk_freq.diagnostics import _classics as classics
    from ntk_freq.training import _fitting as fitting
    from ntk_freq.distributions._spec import distribution
    from ntk_freq._nn.models import ff_network
    from ntk_freq.training._train import train

    x = np.linspace(-1, 1, 160)[:, None]
    y = np.sin(3 * np.pi * x[:, 0]) + 0.5 * np.sin(9 * np.pi * x[:, 0])
    net = ff_network(distribution("gaussian:3", 1), 0.5, 2048, part="full")
    p0 = net.init(jax.random.PRNGKey(0))
    xd, labels = fitting.load_digits()
    yd = fitting.one_hot(labels, 10)
    mlp = classics._digits_mlp(128)
    q0 = mlp.init(jax.random.PRNGKey(0))
    steps = classics._log_steps(400, 40)
    return {
        "FF-NN m=2048, N=160, 300 GD steps, 31 snapshots":
            lambda r: train(net, p0, x, y=y, eta=0.1, times=0.1 * np.arange(0, 301, 10), progress=False, regime=r),
        "digits MLP 128x128, N=1797, 400 Adam steps, 41 snapshots":
            lambda r: fitting.fit(mlp, q0, xd, y=yd, optimizer=optax.adam(1e-3), snapshot_steps=steps, progress=False, regime=r),
    }


def cpu(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    import warnings

    warnings.simplefilter("ignore")
    print("| training | CPU without [s] | CPU with diagnostics [s] | overhead |")
    print("|---|---|---|---|")
    for name, run in cases().items():
        run(False), run(True)                                  # compile both
        off, on = [], []
        for _ in range(args.repeat):
            off.append(cpu(lambda: run(False)))
            on.append(cpu(lambda: run(True)))
        print(f"| {name} | {min(off):.2f} | {min(on):.2f} | {min(on) / min(off) - 1:+.1%} |", flush=True)


if __name__ == "__main__":
    main()
