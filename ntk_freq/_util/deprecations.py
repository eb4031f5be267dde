"""Moved names keep working for one release, with a DeprecationWarning.

The modules of the 0.1 layout moved into subpackages (:data:`ntk_freq._util.moved.MOVED`, old
module → {name: new module}), as optax keeps a table of its moved names. An old module path that
is now a subpackage (``ntk_freq.data``) serves its former names through the facade's
``__getattr__`` (:func:`moved_names_getattr`); an old module path that is gone
(``ntk_freq.compare``, ``ntk_freq.models``) is a :class:`MovedModule` registered in
``sys.modules`` when the package is imported (no import of the new modules until a name is read),
which reads and writes its names on their new modules, so ``from ntk_freq.models import
ff_network`` and monkeypatching ``ntk_freq.comparison.nn_route`` still act on the real function.
"""

from __future__ import annotations

import importlib
import sys
import types
import warnings

from ntk_freq._util.moved import MOVED


def _resolve(old: str, name: str, new: str):
    """Warn that ``old.name`` moved to ``new`` ("module" or "module:attr") and return it."""
    module, _, attr = new.partition(":")
    attr = attr or name
    warnings.warn(f"{old}.{name} moved to {module}.{attr} (import it from there or from the "
                  f"subpackage); the old path goes in the next release", DeprecationWarning,
                  stacklevel=3)
    return getattr(importlib.import_module(module), attr)


def moved_names_getattr(module_name: str):
    """The ``__getattr__`` of a facade whose module path held other names before the move."""
    table = MOVED.get(module_name, {})

    def __getattr__(name: str):
        if name in table:
            return _resolve(module_name, name, table[name])
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    return __getattr__


class MovedModule(types.ModuleType):
    """A module path that is gone: its former names are read from, and written to, their new
    modules, each read with a DeprecationWarning."""

    def __init__(self, name: str, table: dict):
        homes = sorted({new.partition(":")[0] for new in table.values()})
        super().__init__(name, f"Moved: the names of {name} now live in {homes}.")
        self.__dict__["_moved"] = table

    def __getattr__(self, name: str):
        table = self.__dict__["_moved"]
        if name in table:
            return _resolve(self.__name__, name, table[name])
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")

    def __setattr__(self, name: str, value) -> None:
        table = self.__dict__["_moved"]
        if name in table:
            module, _, attr = table[name].partition(":")
            setattr(importlib.import_module(module), attr or name, value)
        else:
            super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        table = self.__dict__["_moved"]
        if name in table:
            module, _, attr = table[name].partition(":")
            delattr(importlib.import_module(module), attr or name)
        else:
            super().__delattr__(name)

    def __dir__(self):
        return sorted(self.__dict__["_moved"])


def install_moved_modules(package: str, subpackages) -> None:
    """Register a :class:`MovedModule` for each old module path of ``package`` that is neither a
    subpackage now nor imported already."""
    for old, table in MOVED.items():
        leaf = old[len(package) + 1:]
        if leaf not in subpackages and old not in sys.modules:
            sys.modules[old] = MovedModule(old, table)
