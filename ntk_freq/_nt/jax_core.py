"""``jax.core`` as neural-tangents 0.6.5 reads it.

Every attribute is looked up in ``jax.core`` first; names that JAX 0.6 moved out of it
(``Jaxpr``, ``JaxprEqn``, ``Literal``, ``Var``, ``Primitive``, ``ClosedJaxpr``) are taken from
their public new home ``jax.extend.core``. Nothing is added to either JAX module.
"""

import jax.core as _core
import jax.extend.core as _extend_core

MOVED_TO = "jax.extend.core"


def __getattr__(name: str):
    if hasattr(_core, name):
        return getattr(_core, name)
    if hasattr(_extend_core, name):
        return getattr(_extend_core, name)
    raise AttributeError(f"neither jax.core nor jax.extend.core has {name!r}")


def restored(name: str) -> bool:
    """True when ``name`` is served from ``jax.extend.core`` (it left ``jax.core``)."""
    return not hasattr(_core, name) and hasattr(_extend_core, name)
