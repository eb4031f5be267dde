"""Results on disk, with provenance, never half-written.

- A results file is one ``.npz``: named float/complex arrays plus the entry ``meta``, a JSON
  string with the full spec, the seed, the metrics and the provenance (package versions, git
  revision, Python, platform, command line, UTC time). Written to a temporary name, then renamed.
- A run directory (figures, ``summary.json``, the results file) is filled under a hidden
  temporary name beside its final place and renamed when complete: it appears whole or not at
  all.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np

PACKAGES = ("ntk-freq", "jax", "jaxlib", "numpy", "scipy", "neural-tangents", "scikit-fem",
            "optax", "matplotlib")


def git_revision(path=None) -> str | None:
    """``git describe --always --dirty`` of the repository holding ``path`` (default: this
    package), or None outside a git checkout."""
    where = Path(path) if path is not None else Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=40"], cwd=where,
                             capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def provenance() -> dict:
    """Where and with what a result was computed (module docstring)."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "packages": versions,
        "git_revision": git_revision(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "command": sys.argv,
        "utc_time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def atomic_write(path, write) -> Path:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def write_json(path, obj) -> Path:
    """``obj`` as indented JSON, atomically."""
    text = json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n"
    return atomic_write(path, lambda f: f.write(text.encode()))


def write_results(path, arrays: dict, meta: dict) -> Path:
    """One results file: ``arrays`` (name → array) and ``meta`` (JSON-ready: spec, seed,
    metrics) with :func:`provenance` added under "provenance"; atomic."""
    if "meta" in arrays:
        raise ValueError("arrays may not use the reserved name 'meta'")
    text = json.dumps({**meta, "provenance": provenance()}, default=_json_default)
    return atomic_write(path, lambda f: np.savez_compressed(f, meta=np.array(text), **arrays))


def read_results(path) -> tuple[dict, dict]:
    """Inverse of :func:`write_results`: (arrays, meta)."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != "meta"}
        meta = json.loads(str(z["meta"]))
    return arrays, meta


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return repr(o)


def new_run_path(root, name: str) -> Path:
    """``root/name``, refusing a name that is empty, has a path separator or already exists
    (checked before any computation)."""
    if not name or "/" in name or os.sep in name or name.startswith("."):
        raise ValueError(f"run name {name!r} must be a plain, non-hidden directory name")
    path = Path(root) / name
    if path.exists():
        raise ValueError(f"run directory {str(path)!r} already exists; choose another --name")
    return path


@contextlib.contextmanager
def run_directory(path):
    """Yield a temporary directory beside ``path``; rename it to ``path`` when the block ends
    without error, delete it otherwise."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    tmp.chmod(0o755)
    try:
        yield tmp
        os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
