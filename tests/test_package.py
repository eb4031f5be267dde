"""The package's front: every public name resolves, and importing it stays light."""

import json
import os
import subprocess
import sys

import ntk_freq


def test_every_public_name_resolves():
    for name in ntk_freq.__all__:
        assert getattr(ntk_freq, name) is not None, name
    assert set(ntk_freq.__all__) <= set(dir(ntk_freq))


def test_import_pulls_nothing_heavy():
    """`import ntk_freq` and its subpackage facades import neither JAX (so the user's float32
    default stays: x64 off after JAX is imported) nor SciPy's heavy parts, scikit-fem,
    matplotlib, optax or neural-tangents: each public name loads its module on use."""
    code = ("import sys, json, ntk_freq\n"
            "for sub in ntk_freq.SUBPACKAGES:\n"
            "    if sub != 'pde': __import__(f'ntk_freq.{sub}')\n"
            "jax_before = 'jax' in sys.modules\n"
            "import jax\n"
            "print(json.dumps([jax_before, jax.config.jax_enable_x64, sorted({m.split('.')[0] if not m.startswith('scipy') "
            "else '.'.join(m.split('.')[:2]) for m in sys.modules})]))")
    env = {k: val for k, val in os.environ.items() if k != "JAX_ENABLE_X64"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=env)
    jax_before, x64, modules = json.loads(out.stdout)
    assert not jax_before and x64 is False
    heavy = {"scipy.sparse", "scipy.stats", "scipy.linalg", "skfem", "matplotlib", "optax", "tqdm"}
    assert not heavy & set(modules), heavy & set(modules)


# --- an installable, citable package: one version, LICENSE, CITATION.cff, py.typed, python -m ---

from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_python_m_ntk_freq_is_the_cli():
    from ntk_freq.cli import main

    out = subprocess.run([sys.executable, "-m", "ntk_freq", "--help"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Usage: python -m ntk_freq "), out.stdout[:200]
    commands = set(main.commands)
    assert {"run", "pde", "spectrum", "design", "reproduce", "sweep"} <= commands
    listed = out.stdout.split("Commands:", 1)[1].split()
    assert commands <= set(listed), commands - set(listed)
    version = subprocess.run([sys.executable, "-m", "ntk_freq", "--version"], capture_output=True,
                             text=True, timeout=120, check=True)
    assert version.stdout.strip() == f"ntk-freq, version {ntk_freq.__version__}"


def test_version_has_one_source():
    """pyproject.toml holds the one literal; __version__ is the installed metadata's (a stale
    install, made before the version changed, fails here: reinstall)."""
    import importlib.metadata

    assert ntk_freq.__version__ == importlib.metadata.version("ntk-freq") == _pyproject()["project"]["version"]


def test_citation_cff_names_this_version():
    import re

    text = (ROOT / "CITATION.cff").read_text()
    fields = dict(re.findall(r'^([a-z-]+):[ \t]*"?([^"\n]*?)"?[ \t]*$', text, re.M))
    assert fields["cff-version"] == "1.2.0"
    assert fields["title"] == "ntk-freq"
    assert fields["license"] == _pyproject()["project"]["license"] == "MIT"
    assert fields["version"] == ntk_freq.__version__


def test_license_is_mit_and_ships():
    project = _pyproject()["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 The ntk-freq developers" in text
    assert "Permission is hereby granted, free of charge, to any person obtaining a copy" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text


def test_py_typed_ships():
    """PEP 561 marker: present in the package and declared as package data (so in the wheel)."""
    import importlib.resources

    marker = importlib.resources.files("ntk_freq").joinpath("py.typed")
    assert marker.is_file() and marker.read_bytes() == b""
    assert "py.typed" in _pyproject()["tool"]["setuptools"]["package-data"]["ntk_freq"]
