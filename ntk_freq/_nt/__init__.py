"""The one way into neural-tangents: version 0.6.5 on the current JAX, without TensorFlow.

neural-tangents 0.6.5 (its last release) cannot be imported on a current JAX: its package
``__init__`` imports ``experimental``, which needs TensorFlow and tf2jax, and its modules read
names that JAX has since moved or removed. The modules this project uses (``stax``,
``_src.empirical``, ``_src.monte_carlo`` and what they import) compute correctly once those names
resolve. This loader therefore

1. finds the installed neural_tangents package *without* running its ``__init__`` (so neither
   ``experimental`` nor TensorFlow is ever imported);
2. loads the modules it needs under a private package name, ``ntk_freq._nt.neural_tangents``, so
   a ``neural_tangents`` the user imports natively is untouched (and vice versa);
3. reads each module's source and rewrites, in its syntax tree, the imports of three JAX modules
   to stand-ins that forward to them (``jax_core``, ``jax_util``, ``jax_ad`` beside this file):
   names with a public new home come from there (``jax.extend.core``), the two helpers of the
   removed ``jax.util`` are small re-implementations pinned by a test, and the removed primitive
   ``zeros_like_p`` becomes an inert placeholder. Nothing else in the source changes, no JAX
   module is modified, and no bytecode is cached (the rewritten code never reaches
   neural-tangents' own ``__pycache__``).

:func:`mode` reports what was done; :func:`load` returns the pieces the project uses, or raises
:class:`NeuralTangentsUnavailable` naming the problem and the fix.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import sys
import types
from pathlib import Path

NT_VERSION = "0.6.5"
JAX_FLOOR = (0, 5, 3)
ALIAS = __name__ + ".neural_tangents"
MODULES = ("stax", "_src.empirical", "_src.monte_carlo", "_src.utils.kernel")
SHIMS = {
    "jax.core": __name__ + ".jax_core",
    "jax.util": __name__ + ".jax_util",
    "jax.interpreters.ad": __name__ + ".jax_ad",
}
INSTALL_HINT = (
    f"install it without its TensorFlow dependency with "
    f"`pip install --no-deps neural-tangents=={NT_VERSION}` (or `pip install \"ntk-freq[nt]\"` "
    "if TensorFlow on disk is acceptable; ntk-freq never imports it)"
)


class NeuralTangentsUnavailable(ImportError):
    """neural-tangents is missing, of another version, or cannot be loaded on this JAX."""


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split(".")[:3]:
        digits = "".join(c for c in piece if c.isdigit()) or "0"
        parts.append(int(digits))
    return tuple(parts)


class _ShimRewriter(ast.NodeTransformer):
    """Points a module's uses of the JAX modules in :data:`SHIMS` at their stand-ins and records
    every (module, name) it redirected."""

    def __init__(self):
        self.used: set[tuple[str, str]] = set()
        self.attribute_shims: dict[str, str] = {}

    def visit_ImportFrom(self, node: ast.ImportFrom):
        if node.level:
            return node
        if node.module in SHIMS:
            self.used.update((node.module, a.name) for a in node.names)
            return ast.copy_location(
                ast.ImportFrom(module=SHIMS[node.module], names=node.names, level=0), node
            )
        redirected = [a for a in node.names if f"{node.module}.{a.name}" in SHIMS]
        if not redirected:
            return node
        kept = [a for a in node.names if a not in redirected]
        new = [ast.ImportFrom(module=node.module, names=kept, level=0)] if kept else []
        new += [
            ast.Import(names=[ast.alias(name=SHIMS[f"{node.module}.{a.name}"], asname=a.asname or a.name)])
            for a in redirected
        ]
        return [ast.copy_location(n, node) for n in new]

    def visit_Attribute(self, node: ast.Attribute):
        chain = _dotted(node)
        for module, shim in SHIMS.items():
            if chain is not None and chain.startswith(module + ".") and chain.count(".") == module.count(".") + 1:
                local = "_ntk_freq_" + shim.rsplit(".", 1)[1]
                self.attribute_shims[local] = shim
                self.used.add((module, node.attr))
                return ast.copy_location(
                    ast.Attribute(value=ast.Name(id=local, ctx=ast.Load()), attr=node.attr, ctx=node.ctx), node
                )
        return self.generic_visit(node)

    def rewrite(self, tree: ast.Module) -> ast.Module:
        tree = self.visit(tree)
        if self.attribute_shims:
            body = tree.body
            at = 0
            while at < len(body) and (_is_docstring(body[at]) or _is_future(body[at])):
                at += 1
            imports = [ast.Import(names=[ast.alias(name=shim, asname=local)])
                       for local, shim in sorted(self.attribute_shims.items())]
            tree.body = body[:at] + imports + body[at:]
        return ast.fix_missing_locations(tree)


def _dotted(node: ast.AST) -> str | None:
    """'a.b.c' for an attribute chain on a plain name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _is_future(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"


class _RewritingLoader(importlib.machinery.SourceFileLoader):
    """Compiles a neural-tangents source file through :class:`_ShimRewriter`; never reads or
    writes bytecode caches."""

    redirected: set[tuple[str, str]] = set()

    def get_code(self, fullname):
        path = self.get_filename(fullname)
        rewriter = _ShimRewriter()
        tree = rewriter.rewrite(ast.parse(self.get_data(path), filename=path))
        _RewritingLoader.redirected |= rewriter.used
        return compile(tree, path, "exec", dont_inherit=True)


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Answers only for ``ntk_freq._nt.neural_tangents.*``: the modules under ``root``."""

    def __init__(self, root: Path):
        self.root = root

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(ALIAS + "."):
            return None
        where = self.root.joinpath(*fullname[len(ALIAS) + 1:].split("."))
        if (where / "__init__.py").is_file():
            file, locations = where / "__init__.py", [str(where)]
        elif where.with_suffix(".py").is_file():
            file, locations = where.with_suffix(".py"), None
        else:
            return None
        return importlib.util.spec_from_file_location(
            fullname, file, loader=_RewritingLoader(fullname, str(file)), submodule_search_locations=locations
        )


def _installed_root() -> Path:
    """The neural_tangents package folder, found without importing it; refuses other versions."""
    try:
        version = importlib.metadata.version("neural-tangents")
    except importlib.metadata.PackageNotFoundError:
        raise NeuralTangentsUnavailable(
            f"neural-tangents is not installed; this function needs neural-tangents {NT_VERSION}: {INSTALL_HINT}"
        ) from None
    if version != NT_VERSION:
        raise NeuralTangentsUnavailable(
            f"neural-tangents {version} is installed; ntk-freq's loader knows version {NT_VERSION} only: "
            f"{INSTALL_HINT}"
        )
    spec = importlib.util.find_spec("neural_tangents")
    if spec is None or not spec.submodule_search_locations:
        raise NeuralTangentsUnavailable(f"neural-tangents {version} is registered but its files are missing: {INSTALL_HINT}")
    return Path(list(spec.submodule_search_locations)[0])


def _check_jax() -> str:
    import jax

    if _version_tuple(jax.__version__) < JAX_FLOOR:
        floor = ".".join(map(str, JAX_FLOOR))
        raise NeuralTangentsUnavailable(
            f"jax {jax.__version__} is older than ntk-freq supports (>= {floor}); "
            f"upgrade with `pip install -U \"jax[cpu]>={floor}\"`"
        )
    return jax.__version__


def _import_alias(root: Path) -> dict[str, types.ModuleType]:
    package = importlib.util.module_from_spec(
        importlib.machinery.ModuleSpec(ALIAS, None, is_package=True)
    )
    package.__path__ = [str(root)]
    package.__version__ = NT_VERSION
    sys.modules[ALIAS] = package
    sys.meta_path.insert(0, _AliasFinder(root))  # ahead of PathFinder, which would load the files unchanged
    return {name: importlib.import_module(f"{ALIAS}.{name}") for name in MODULES}


def _forget_alias() -> None:
    """Remove every half-loaded alias module and the finder: nothing is left behind on failure."""
    for name in [n for n in sys.modules if n == ALIAS or n.startswith(ALIAS + ".")]:
        del sys.modules[name]
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _AliasFinder)]


@functools.lru_cache(maxsize=1)
def _load_cached() -> types.SimpleNamespace:
    jax_version = _check_jax()
    root = _installed_root()
    try:
        modules = _import_alias(root)
    except Exception as error:  # any failure of a future JAX: one clear message, nothing left behind
        _forget_alias()
        raise NeuralTangentsUnavailable(
            f"neural-tangents {NT_VERSION} could not be loaded on jax {jax_version} "
            f"({type(error).__name__}: {error}); this JAX moved a name the loader does not know. "
            f"Use a JAX that ntk-freq's tests pass on (see README, 'The stack') or report the error."
        ) from error
    empirical, monte_carlo = modules["_src.empirical"], modules["_src.monte_carlo"]
    return types.SimpleNamespace(
        stax=modules["stax"],
        Kernel=modules["_src.utils.kernel"].Kernel,
        empirical_ntk_fn=empirical.empirical_ntk_fn,
        empirical_nngp_fn=empirical.empirical_nngp_fn,
        empirical_kernel_fn=empirical.empirical_kernel_fn,
        NtkImplementation=empirical.NtkImplementation,
        linearize=empirical.linearize,
        monte_carlo_kernel_fn=monte_carlo.monte_carlo_kernel_fn,
        __version__=NT_VERSION,
    )


def load() -> types.SimpleNamespace:
    """neural-tangents' ``stax``, ``empirical_ntk_fn``, ``NtkImplementation``, ``Kernel``,
    ``monte_carlo_kernel_fn``, ``linearize`` and ``empirical_kernel_fn`` on the current JAX (loaded
    once). Raises :class:`NeuralTangentsUnavailable` with the reason and the fix."""
    return _load_cached()


def mode() -> dict:
    """How neural-tangents is reached in this process (loads it if it is not yet):

    ``available`` (bool), ``neural_tangents`` and ``jax`` versions, ``how`` (a sentence),
    ``modules`` (the neural-tangents modules loaded), ``restored`` (each JAX name served by a
    stand-in, with where it comes from), ``tensorflow_imported`` (bool) and ``error`` (the
    reason it is unavailable, or None)."""
    import jax

    report = {
        "available": False, "neural_tangents": None, "jax": jax.__version__, "how": None,
        "modules": [], "restored": [], "error": None,
    }
    try:
        load()
    except NeuralTangentsUnavailable as error:
        report["error"] = str(error)
    else:
        shims = {m: importlib.import_module(s) for m, s in SHIMS.items()}
        report.update(
            available=True,
            neural_tangents=NT_VERSION,
            how=(f"compatibility loader: modules loaded as {ALIAS} without the package __init__ "
                 "(no TensorFlow); imports of jax.core, jax.util and jax.interpreters.ad rewritten "
                 "to forwarding stand-ins"),
            modules=sorted(n[len(ALIAS) + 1:] for n in sys.modules if n.startswith(ALIAS + ".")),
            restored=sorted(
                f"{module}.{name} <- {_origin(module, name)}"
                for module, name in _RewritingLoader.redirected if shims[module].restored(name)
            ),
        )
    report["tensorflow_imported"] = "tensorflow" in sys.modules
    return report


def _origin(module: str, name: str) -> str:
    return {
        "jax.core": f"jax.extend.core.{name}",
        "jax.util": f"re-implemented in {SHIMS['jax.util']}",
        "jax.interpreters.ad": "an inert placeholder primitive (removed from JAX)",
    }[module]
