"""Floating-point precision: float64 for the theory, scoped, and the user's JAX left alone.

The rule. Importing :mod:`ntk_freq` changes no JAX setting: ``jnp.ones(2).dtype`` is after the
import what it was before (float32 unless the user turned JAX's 64-bit mode on). Every function
of the package that computes with JAX enters JAX's 64-bit mode itself, as a context
(``jax.enable_x64``), for the duration of the call:

- theory (analytic and empirical NTKs, samples of ρ_w and of data densities, network
  initialisation, the diagnostics of :mod:`ntk_freq.diagnostics`, …) runs under
  :func:`float64`: inside the call float64 is JAX's default, so arrays made from Python or
  NumPy numbers are float64;
- training (:func:`ntk_freq.training.train`, :func:`ntk_freq.training.fit`) runs under
  :func:`precision` of the dtype it is asked for: float64 in 64-bit mode, float32 in 32-bit
  mode whatever the caller's setting, so that nothing in a float32 run is silently promoted
  to float64 (parameters, data, every intermediate and the returned parameters are float32).

Network initialisation draws in float64 and rounds to the network's dtype, so a float32 network
is the float64 one of the same key rounded (the same draws in either mode of the caller).

Plain JAX building blocks that take the caller's JAX arrays and are traced inside training
compute in the caller's mode, as any JAX function does: a network's ``apply`` and
``loss_and_grad`` (:mod:`ntk_freq.ff_derivatives`), :func:`ntk_freq.training.regime_probe`,
:func:`ntk_freq.training.empirical_lambda_max`, the ``stax`` triples of
:func:`ntk_freq.kernels.two_layer_stax` and :func:`ntk_freq._nn.mlp.mlp_stax`. Train and fit call
them in the mode of their dtype; to evaluate a float64 network yourself in a 32-bit process,
call it inside ``with jax.enable_x64(True):``.

What crosses the scope's edge. Decorated functions return NumPy arrays, Python numbers or JAX
arrays made inside the scope; a JAX array keeps its dtype outside the scope (a float64 array
stays float64), but arithmetic on it in a 32-bit process may round it to float32 (JAX warns
then), so theory results are NumPy wherever the functions return arrays of numbers, and JAX
arrays only where the API says so (draws, network parameters).

The scope is the calling thread's (JAX keeps these settings per thread): code that hands JAX
work to other threads must enter it there too (the package's threaded kernel fill,
:func:`ntk_freq._util.threads.map_blocks`, runs NumPy only). A jitted function compiles once per
mode: the 64-bit flag is part of JAX's compilation cache key, so the same function called in
and out of the scope traces twice and never mixes the two.
"""

from __future__ import annotations

import functools
import inspect
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)

#: The dtype names of training (:data:`ntk_freq.training.DTYPES`) and the 64-bit mode each runs in.
X64 = {"float32": False, "float64": True}


def x64(enabled: bool = True):
    """JAX's 64-bit mode on (or off) for the body of a ``with`` block, restored after it
    (``jax.enable_x64``; nests)."""
    import jax

    return jax.enable_x64(bool(enabled))


def precision(dtype: str):
    """The mode training in ``dtype`` ("float32" or "float64") runs in, as a context manager:
    64-bit for float64, 32-bit for float32 (whatever the caller's setting)."""
    if dtype not in X64:
        raise ValueError(f"dtype must be one of {sorted(X64)}, got {dtype!r}")
    return x64(X64[dtype])


def float64(fn: F) -> F:
    """Decorator: ``fn`` runs inside JAX's 64-bit mode (:func:`x64`), whatever the caller's
    setting, which is restored on return (module docstring)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with x64(True):
            return fn(*args, **kwargs)

    return wrapper


def in_dtype(fn: F) -> F:
    """Decorator for training functions with a ``dtype`` argument ("float32" or "float64"):
    ``fn`` runs under :func:`precision` of that dtype (module docstring). An unknown dtype is
    left to ``fn``'s own validation, which runs outside any scope."""
    signature = inspect.signature(fn)
    default = signature.parameters["dtype"].default

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            dtype = signature.bind(*args, **kwargs).arguments.get("dtype", default)
        except TypeError:  # wrong arguments: fn's own TypeError says which
            return fn(*args, **kwargs)
        if not isinstance(dtype, str) or dtype not in X64:
            return fn(*args, **kwargs)
        with precision(dtype):
            return fn(*args, **kwargs)

    return wrapper
