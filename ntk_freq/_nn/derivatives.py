"""Hand-written derivatives of the doubled Fourier-feature network (docs/training-speed.md).

The doubling f = (g(θ₊) − g(θ₋))/√2 of :func:`ntk_freq._nn.models.ff_network` is evaluated as one
network of 2m neurons: the two copies are stacked on a leading axis k ∈ {+, −}, so

    f(x_i) = (1/√(2m)) Σ_k s_k Σ_j [a_kj C_kij + b_kj S_kij],   C = cos(z), S = sin(z),
    z_kij = w_kj · x_i,   s₊ = 1, s₋ = −1.

One training step needs the 2 · N · 2m evaluations of cos and sin and a handful of passes over
the (2, N, m) arrays C and S. With the error e_i = ∂L/∂f(x_i) (r_i/N for the mean loss
(1/2N) Σ r², q_i r_i for the weighted loss ½ Σ q_i r², r = f − y) the gradient is

    ∂L/∂a_kj = (s_k/√(2m)) Σ_i e_i C_kij,        ∂L/∂b_kj = (s_k/√(2m)) Σ_i e_i S_kij,
    ∂L/∂w_kj = (s_k/√(2m)) Σ_i e_i x_i (b_kj C_kij − a_kj S_kij),

i.e. matrix-vector products of Cᵀ and Sᵀ with e and with e x_l for each coordinate l: no
(N, 2m) array is formed beyond C and S themselves. (Matrix-vector products are measured faster
on XLA-CPU than one product with the (N, 1 + d) matrix [e, e x], and than autodiff, which forms
the (2, N, m) cotangent of the phases: benchmarks/README.md.) The same features give the network's finite-width NTK Gram matrix
J Jᵀ exactly (:func:`ntk_gram`), from which the gradient-descent stability limit follows.
These functions are module-level (hashable, equal across networks), so a compiled training step
is reused by every FF network of the same shapes.

Every function takes the doubled parameters ``{"plus": P, "minus": P}`` (P = {"W": (m, d),
"a": (m,), "b": (m,)}) and points x of shape (N, d).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

SIDES = ("plus", "minus")


def stacked(params: dict) -> tuple:
    """(W, a, b) of the two copies stacked on a leading axis: shapes (2, m, d), (2, m), (2, m)."""
    return tuple(jnp.stack([params[s][k] for s in SIDES]) for k in ("W", "a", "b"))


def features(W, x) -> tuple:
    """C = cos(z), S = sin(z) of the phases z_kij = w_kj · x_i, each of shape (2, N, m)."""
    z = jnp.einsum("nd,kmd->knm", x, W)
    return jnp.cos(z), jnp.sin(z)


def _halves(C, S, a, b):
    """h_ki = Σ_j a_kj C_kij + b_kj S_kij, shape (2, N): each copy's unscaled output."""
    return jnp.einsum("knm,km->kn", C, a) + jnp.einsum("knm,km->kn", S, b)


def ff_apply(params: dict, x):
    """f(x) = (g(θ₊, x) − g(θ₋, x))/√2, shape (N,). At initialisation (θ₊ = θ₋) both halves are
    the same arithmetic on the same numbers, so f₀ ≡ 0 exactly."""
    W, a, b = stacked(params)
    h = _halves(*features(W, x), a, b)
    return (h[0] - h[1]) / jnp.sqrt(2.0 * W.shape[1])


def ff_apply_operator(params: dict, x, L):
    """(L f)(x), shape (N,), in closed form: L cos(z) = Re(P e^{iz}) = Re P cos z − Im P sin z and
    L sin(z) = Im(P e^{iz}) = Im P cos z + Re P sin z with z = w·x and P = P(w) the symbol of the
    real-coefficient operator ``L`` (:class:`ntk_freq.losses.DifferentialOperator`) at each
    neuron's frequency; no derivative of the network is taken."""
    W, a, b = stacked(params)
    C, S = features(W, x)
    re, im = L.symbol_parts(W, jnp)  # (2, m) each
    h = (jnp.einsum("knm,km->kn", C, a * re + b * im)
         + jnp.einsum("knm,km->kn", S, b * re - a * im))
    return (h[0] - h[1]) / jnp.sqrt(2.0 * W.shape[1])


def loss_and_grad(theta: dict, frozen: dict, x, y, weights=None) -> tuple:
    """The loss L = (1/2N) Σ r_i² (or ½ Σ q_i r_i² with ``weights`` q), r = f(x) − y, and its
    gradient with respect to the trainable entries ``theta`` (same structure), by the formulas
    of the module docstring."""
    params = {s: {**frozen[s], **theta[s]} for s in SIDES}
    W, a, b = stacked(params)
    C, S = features(W, x)
    scale = jnp.array([1.0, -1.0], dtype=W.dtype) / jnp.sqrt(2.0 * W.shape[1])
    h = _halves(C, S, a, b)
    r = (h[0] - h[1]) * scale[0] - y
    e = r / r.shape[0] if weights is None else weights * r
    loss = 0.5 * jnp.sum(e * r)
    keys = set(theta["plus"])
    ek = scale[:, None] * e[None, :]  # (2, N): s_k e_i/√(2m)
    transposed = lambda F, v: jnp.einsum("knm,kn->km", F, v)  # noqa: E731  Σ_i F_kij v_ki
    grad = {}
    if keys & {"a", "b"}:
        grad["a"], grad["b"] = transposed(C, ek), transposed(S, ek)
    if "W" in keys:  # one pair of matrix-vector products per coordinate of x
        grad["W"] = jnp.stack([b * transposed(C, ek * x[:, l]) - a * transposed(S, ek * x[:, l])
                               for l in range(x.shape[1])], axis=-1)
    return loss, {s: {k: grad[k][i] for k in theta[s]} for i, s in enumerate(SIDES)}


def ntk_gram(params: dict, x, trainable) -> np.ndarray:
    """The finite-width NTK Gram matrix J Jᵀ over the ``trainable`` entries (J = ∂f(X)/∂θ),
    shape (N, N), exactly, in numpy float64 (no compilation: it runs once per training):

        a, b:  (1/2m) Σ_kj [C_kij C_kij' + S_kij S_kij']
        W:     (x_i · x_i') (1/2m) Σ_kj D_kij D_kij',   D = b C − a S."""
    W, a, b = (np.stack([np.asarray(params[s][k], np.float64) for s in SIDES]) for k in ("W", "a", "b"))
    x = np.asarray(x, np.float64)
    z = np.einsum("nd,kmd->knm", x, W)
    C, S = np.cos(z), np.sin(z)
    gram = np.zeros((len(x), len(x)))
    if "a" in trainable:
        gram += _pair_gram(C)
    if "b" in trainable:
        gram += _pair_gram(S)
    if "W" in trainable:
        gram += (x @ x.T) * _pair_gram(b[:, None, :] * C - a[:, None, :] * S)
    return gram / (2.0 * W.shape[1])


def _pair_gram(F: np.ndarray) -> np.ndarray:
    """Σ_kj F_kij F_kij' for F of shape (2, N, m): two BLAS products."""
    return F[0] @ F[0].T + F[1] @ F[1].T
