"""Training any :class:`ntk_freq.networks.Network` with optax, keeping snapshots of its parameters
and of its outputs at the training inputs: the raw material of :mod:`ntk_freq.diagnostics`.

Unlike :func:`ntk_freq.training.train` (scalar regression by gradient descent, the theory's time
convention) this takes vector outputs (classifiers), cross-entropy, weight decay and any optax
optimiser. Losses, over the N training points and the C outputs:

    "mse":  (1/2N) Σ_i ‖f(x_i) − y_i‖²             (docs/theory.md's mean loss for C = 1)
    "xent": (1/N) Σ_i −log softmax(f(x_i))_{y_i}   (y one-hot or soft labels, shape (N, C))

plus (λ/2)‖θ‖² over the trained parameters θ for ``weight_decay`` λ.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from ntk_freq._util import validation as v
from ntk_freq._util.precision import in_dtype
from ntk_freq._nn.models import Network, merge, split
from ntk_freq.training._regime import RegimeTrace, regime_option, regime_probe, regime_trace
from ntk_freq.training._train import DTYPES, _advance

LOSSES = ("mse", "xent")


@dataclass(frozen=True)
class Fit:
    """A training run: ``steps`` (T,) of the snapshots, ``outputs`` (T, N) or (T, N, C) at the
    training inputs, ``params`` (T parameter pytrees, the first the initial one) and ``loss``
    (steps[-1],), the training loss before each step; ``regime`` the kernel-regime diagnostics
    at each snapshot (:mod:`ntk_freq.regime`) or None."""

    steps: np.ndarray
    outputs: np.ndarray
    params: list
    loss: np.ndarray
    regime: RegimeTrace | None = None


def _loss_fn(network: Network, frozen, x, y, loss: str, weight_decay: float):
    def value(theta):
        f = network.apply(merge(theta, frozen), x)
        if loss == "mse":
            data = 0.5 * jnp.sum((f - y) ** 2) / x.shape[0]
        else:
            data = -jnp.mean(jnp.sum(y * jax.nn.log_softmax(f, axis=-1), axis=-1))
        if weight_decay == 0:
            return data
        return data + 0.5 * weight_decay * sum(jnp.sum(a * a) for a in jax.tree_util.tree_leaves(theta))

    return value


@in_dtype
def fit(network: Network, params, x, *, y, optimizer, snapshot_steps, loss: str = "mse",
        weight_decay: float = 0.0, dtype: str = "float32", chunk: int = 256,
        progress: bool = True, desc: str = "training", regime: bool | int = True) -> Fit:
    """Full-batch training of ``network`` from ``params`` on (x, y) with an optax ``optimizer``,
    snapshots at the (sorted, distinct, ≥ 0) step numbers ``snapshot_steps``; only
    ``network.trainable`` entries move. x: (N, d); y: (N,) or (N, C) (one-hot for "xent");
    ``dtype``: "float32" (the default; as fast again as float64 on CPU) or "float64" for the
    parameters, data and every computation of the run (in JAX's 32- or 64-bit mode
    accordingly, whatever the caller's: :mod:`ntk_freq._precision`; outputs are returned in
    float64 NumPy).
    Raises :class:`ntk_freq.training.TrainingDiverged` on a non-finite loss. ``regime``: record
    the kernel-regime diagnostics at each snapshot as :func:`ntk_freq.training.train` does
    (warning with :class:`ntk_freq.training.LazyRegimeWarning` when the run leaves the regime)."""
    from ntk_freq.training._train import TrainingDiverged

    if not isinstance(network, Network):
        raise TypeError(f"network must be an ntk_freq.networks.Network, got {type(network).__name__}")
    v.instance("params", params, dict, "a dict of parameters (network.init)")
    v.choice("loss", loss, LOSSES)
    weight_decay = v.nonnegative("weight_decay", weight_decay)
    chunk = v.positive_int("chunk", chunk)
    regime_points = regime_option(regime)
    steps = np.asarray(snapshot_steps)
    if steps.ndim != 1 or steps.size == 0 or not np.issubdtype(steps.dtype, np.integer) \
            or steps[0] < 0 or np.any(np.diff(steps) <= 0):
        raise ValueError(f"snapshot_steps must be increasing integers >= 0, got {steps.tolist()[:8]}")
    jdt = DTYPES[v.choice("dtype", dtype, DTYPES)]
    x = jnp.asarray(v.finite_array("x", x), dtype=jdt)
    y = jnp.asarray(v.finite_array("y", y), dtype=jdt)
    params = jax.tree_util.tree_map(lambda a: jnp.asarray(a, dtype=jdt), params)
    if x.ndim != 2 or y.shape[0] != x.shape[0]:
        raise ValueError(f"x must be (N, d) and y (N,) or (N, C) with the same N; got {x.shape}, {y.shape}")
    if loss == "xent" and y.ndim != 2:
        raise ValueError("loss 'xent' needs y of shape (N, C): one-hot or soft labels")
    theta, frozen = split(params, network.trainable)
    opt_state = optimizer.init(theta)
    value = _loss_fn(network, frozen, x, y, loss, weight_decay)
    probe = None if regime_points is None else regime_probe(
        lambda th, z: network.apply(merge(th, frozen), z), theta, x, **regime_points)
    rows = []
    outputs, snaps, losses, done = [], [], [], 0
    with tqdm(total=int(steps[-1]), desc=desc, disable=not progress, leave=False) as bar:
        for target in steps:
            while done < target:
                n = _chunk_length(int(target - done), chunk)
                theta, opt_state, ls = _advance(theta, opt_state, value, optimizer, n)
                ls = np.asarray(ls, dtype=np.float64)
                if not np.all(np.isfinite(ls)):
                    raise TrainingDiverged(f"{desc}: the loss became non-finite near step "
                                           f"{done + int(np.argmin(np.isfinite(ls)))}; lower the learning rate")
                losses.append(ls)
                done += n
                bar.update(n)
            p = merge(theta, frozen)
            snaps.append(p)
            rows += [] if probe is None else [probe(theta)]
            outputs.append(np.asarray(network.apply(p, x), dtype=np.float64))
    return Fit(steps, np.stack(outputs), snaps,
               np.concatenate(losses) if losses else np.zeros(0),
               None if probe is None else regime_trace(rows, probe, what=desc))


def _chunk_length(remaining: int, chunk: int) -> int:
    """The next scan length: ``chunk``, or the largest power of two ≤ what remains, so that at
    most log2(chunk) + 2 lengths are ever compiled however the snapshots are spaced."""
    return chunk if remaining >= chunk else 1 << (remaining.bit_length() - 1)


def noisy_labels(labels, n_classes: int, fraction: float, *, seed: int = 0) -> np.ndarray:
    """A copy of integer ``labels`` with a ``fraction`` of them (chosen at random) replaced by a
    different class drawn uniformly: label noise as in Fridovich-Keil et al."""
    labels = _class_labels(labels, n_classes).copy()
    fraction = v.nonnegative("fraction", fraction)
    if fraction > 1:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    rng = np.random.default_rng(seed)
    idx = rng.choice(labels.size, int(round(fraction * labels.size)), replace=False)
    labels[idx] = (labels[idx] + rng.integers(1, n_classes, idx.size)) % n_classes
    return labels


def one_hot(labels, n_classes: int) -> np.ndarray:
    """Integer labels (N,) as one-hot rows (N, n_classes), float64."""
    return np.eye(n_classes)[_class_labels(labels, n_classes)]


def _class_labels(labels, n_classes: int) -> np.ndarray:
    """Labels as a non-empty 1-D integer array with values in [0, n_classes)."""
    a = np.asarray(labels) if not isinstance(labels, (str, bytes)) else np.asarray([labels])
    if a.dtype.kind not in "iu":
        raise TypeError(f"labels must be integers, got {a.dtype} ({labels!r:.80})")
    n_classes = v.positive_int("n_classes", n_classes)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"labels must be a non-empty 1-D array, got shape {a.shape}")
    if a.min() < 0 or a.max() >= n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes}), got {a.min()}…{a.max()}")
    return a


def load_digits(n_per_class: int | None = None, classes=tuple(range(10)), seed: int = 0):
    """scikit-learn's 8×8 handwritten digits (1,797 images shipped with the package: no download):
    inputs x of shape (N, 64) scaled to [0, 1] (pixel value / 16), integer labels (N,) renumbered
    0…len(classes)−1 in the order of ``classes``. ``n_per_class`` keeps that many images of each
    class, chosen at random with ``seed``."""
    from sklearn.datasets import load_digits as sk_load

    data = sk_load()
    classes = tuple(int(c) for c in classes)
    if len(classes) < 2 or len(set(classes)) != len(classes) or not set(classes) <= set(range(10)):
        raise ValueError(f"classes must be >= 2 distinct digits 0…9, got {classes}")
    rng = np.random.default_rng(seed)
    keep = []
    for c in classes:
        idx = np.flatnonzero(data.target == c)
        if n_per_class is not None:
            n = v.positive_int("n_per_class", n_per_class)
            if n > idx.size:
                raise ValueError(f"n_per_class = {n} exceeds the {idx.size} images of digit {c}")
            idx = np.sort(rng.choice(idx, n, replace=False))
        keep.append(idx)
    keep = np.concatenate(keep)
    relabel = {c: i for i, c in enumerate(classes)}
    return data.data[keep] / 16.0, np.array([relabel[c] for c in data.target[keep]])
