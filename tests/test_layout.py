"""The package's shape: subpackage facades over private modules, layered from the bottom up
(no import circles, no module importing a higher layer, no private names across subpackages), a
small top level, and the 0.1 names and module paths still served with a DeprecationWarning."""

import ast
import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import ntk_freq

PACKAGE = Path(ntk_freq.__file__).parent
#: The layers from the bottom up; a module may import its own layer and those below it.
LAYERS = ["_util", "_nt", "plotting", "distributions", "data", "_nn", "losses", "kernels", "training",
          "pde", "networks", "problem", "generalisation", "diagnostics", "comparison", "design",
          "experiments", "cli", "__main__"]


def _modules() -> dict:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path):
    """(imported module, imported name) pairs of ntk_freq modules, absolute or relative."""
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] == "ntk_freq":
                for alias in node.names:
                    yield module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "ntk_freq":
                    yield alias.name, None


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 else -1


def test_no_module_imports_a_higher_layer_or_another_subpackages_private_names():
    modules = _modules()
    upward, private = [], []
    for name, path in modules.items():
        if name == "ntk_freq" or name.startswith("ntk_freq._util.deprecations"):
            continue
        for module, imported in _imports(name, path):
            target = f"{module}.{imported}" if f"{module}.{imported}" in modules else module
            if _layer(target) > _layer(name):
                upward.append(f"{name} imports {target}")
            if (imported and imported.startswith("_") and not imported.startswith("__")
                    and f"{module}.{imported}" not in modules
                    and target.split(".")[:2] != name.split(".")[:2]):
                private.append(f"{name} imports {module}.{imported}")
    assert not upward and not private, (upward, private)


def test_no_import_circles():
    modules = _modules()
    edges = {}
    for name, path in modules.items():
        for module, imported in _imports(name, path):
            target = f"{module}.{imported}" if f"{module}.{imported}" in modules else module
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target not in (name, "ntk_freq"):
                edges.setdefault(name, set()).add(target)
    # Tarjan's strongly connected components: a circle is a component of two or more
    index, low, stack, on, circles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in list(modules):
        if v not in index:
            visit(v)
    assert not circles


def test_the_top_level_is_small_and_every_subpackage_has_a_facade():
    assert len(ntk_freq.__all__) <= 25
    for name in ntk_freq.__all__:
        getattr(ntk_freq, name)
    for sub in ntk_freq.SUBPACKAGES:
        facade = importlib.import_module(f"ntk_freq.{sub}")
        assert facade.__all__, sub
        for name in facade.__all__:
            assert getattr(facade, name) is not None
    flat = [p.name for p in PACKAGE.glob("*.py")]
    assert sorted(flat) == ["__init__.py", "__main__.py", "cli.py", "problem.py"]


def test_moved_names_and_module_paths_still_work_with_a_deprecation_warning():
    from ntk_freq.comparison import _compare
    from ntk_freq._nn import models as _models

    with pytest.warns(DeprecationWarning, match="ntk_freq.Gaussian moved to ntk_freq.distributions"):
        assert ntk_freq.Gaussian is ntk_freq.distributions.Gaussian
    with pytest.warns(DeprecationWarning, match="ntk_freq.models.ff_network moved"):
        from ntk_freq.models import ff_network
    assert ff_network is _models.ff_network
    with pytest.warns(DeprecationWarning, match="ntk_freq.training.KernelOperator moved to "
                                                "ntk_freq.kernels._operator"):
        from ntk_freq.training import KernelOperator
    assert KernelOperator is ntk_freq.kernels.KernelOperator
    # the old module path is a window onto the new module: monkeypatching it patches the function
    old = sys.modules["ntk_freq.compare"]
    original = _compare.nn_route
    try:
        old.nn_route = "patched"
        assert _compare.nn_route == "patched"
    finally:
        old.nn_route = original
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert callable(ntk_freq.compare) and ntk_freq.compare is _compare.compare
    with pytest.raises(AttributeError):
        ntk_freq.no_such_name


def test_every_moved_name_resolves_to_its_new_home():
    from ntk_freq._util.moved import MOVED

    missing = []
    for old, table in MOVED.items():
        for name, new in table.items():
            module, _, attr = new.partition(":")
            if not hasattr(importlib.import_module(module), attr or name):
                missing.append(f"{old}.{name} -> {new}")
    assert not missing


def test_import_leaves_jax_alone_and_old_compare_path_does_not_shadow_the_function():
    code = ("import ntk_freq, sys; assert 'jax' not in sys.modules; "
            "import ntk_freq.compare; assert callable(ntk_freq.compare)")
    subprocess.run([sys.executable, "-W", "ignore::DeprecationWarning", "-c", code], check=True)
