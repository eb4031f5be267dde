"""``jax.interpreters.ad`` as neural-tangents 0.6.5 reads it.

Attributes come from ``jax.interpreters.ad``. The one it reads that JAX 0.9 removed,
``zeros_like_p``, is a primitive that no longer exists, so no program traced by the current JAX
contains it: neural-tangents only registers structure and Jacobian rules for it (in
``_src/utils/rules.py``, for the STRUCTURED_DERIVATIVES implementation). Here it is a fresh
primitive of that name that nothing ever binds, so those registrations are inert, exactly as the
absent primitive makes them.
"""

import jax.extend.core as _extend_core
import jax.interpreters.ad as _ad

zeros_like_p_placeholder = _extend_core.Primitive("zeros_like")


def __getattr__(name: str):
    if hasattr(_ad, name):
        return getattr(_ad, name)
    if name == "zeros_like_p":
        return zeros_like_p_placeholder
    raise AttributeError(f"jax.interpreters.ad has no {name!r}")


def restored(name: str) -> bool:
    return name == "zeros_like_p" and not hasattr(_ad, name)
