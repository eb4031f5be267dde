"""The package's front: every public name resolves, and importing it stays light."""

import json
import subprocess
import sys

import ntk_freq


def test_every_public_name_resolves():
    for name in ntk_freq.__all__:
        assert getattr(ntk_freq, name) is not None, name
    assert set(ntk_freq.__all__) <= set(dir(ntk_freq))


def test_import_pulls_nothing_heavy():
    """`import ntk_freq` imports JAX (and turns on float64) but none of SciPy's heavy parts,
    scikit-fem, matplotlib, optax or neural-tangents: each public name loads its module on use."""
    code = ("import sys, json, ntk_freq, jax\n"
            "print(json.dumps([jax.config.jax_enable_x64, sorted({m.split('.')[0] if not m.startswith('scipy') "
            "else '.'.join(m.split('.')[:2]) for m in sys.modules})]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    x64, modules = json.loads(out.stdout)
    assert x64 is True
    heavy = {"scipy.sparse", "scipy.stats", "scipy.linalg", "skfem", "matplotlib", "optax", "tqdm"}
    assert not heavy & set(modules), heavy & set(modules)


def test_compare_is_the_function_even_after_its_module_is_imported():
    import importlib

    importlib.import_module("ntk_freq.experiments")  # imports the submodule ntk_freq.compare
    assert callable(ntk_freq.compare) and ntk_freq.compare.__name__ == "compare"
    from ntk_freq import compare

    assert compare is ntk_freq.compare
