"""Subpackage facades that load on first use (PEP 562), as the top level does: a facade names
its public objects and the private module each lives in, so ``import ntk_freq.experiments`` or
``ntk-freq --help`` imports neither JAX nor SciPy's heavy parts until a name is used."""

from __future__ import annotations

import importlib
import sys

from ntk_freq._util.deprecations import moved_names_getattr


def lazy_facade(module_name: str, homes: dict):
    """``(__getattr__, __dir__)`` for the facade ``module_name``: ``homes`` maps each public
    name to its private module; the facade's former names (before the 0.2 layout) are served
    with a DeprecationWarning (:func:`ntk_freq._util.deprecations.moved_names_getattr`)."""
    moved = moved_names_getattr(module_name)

    def __getattr__(name: str):
        if name in homes:
            value = getattr(importlib.import_module(homes[name]), name)
            setattr(sys.modules[module_name], name, value)
            return value
        return moved(name)

    def __dir__():
        return sorted(set(homes) | set(vars(sys.modules[module_name])))

    return __getattr__, __dir__
