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
import re
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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temporary_prefix(name: str) -> str:
    """``.NAME.<pid>.``: temporary files and folders carry their writer's process id, so a later
    run can tell the leftovers of a killed run (:func:`remove_stale`) from live ones."""
    return f".{name}.{os.getpid()}."


TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.(?P<random>\w+)\.tmp$")


def remove_stale(directory) -> list:
    """Delete this tool's temporary files and folders in ``directory`` (``.NAME.<pid>.*.tmp``)
    whose writing process no longer exists: what a killed run left. Returns their paths."""
    directory = Path(directory)
    removed = []
    if not directory.is_dir():
        return removed
    for entry in directory.iterdir():
        match = TEMPORARY.match(entry.name)
        if match and not _alive(int(match["pid"])):
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_output(path, nbytes: float = 0.0, kind: str = "output folder") -> Path:
    """Before any computation: ``path`` can be created (or is an existing folder) and written,
    and its file system has room for ``nbytes`` more (an estimate, doubled for safety).
    Removes stale temporaries of killed runs there. Raises ValueError saying what is wrong."""
    path = Path(path)
    if len(path.name.encode()) > 255:
        raise ValueError(f"{kind} name {path.name[:40]!r}… is longer than 255 bytes")
    existing = path
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise ValueError(f"{kind} {str(path)!r}: {str(existing)!r} is a file, not a folder")
    try:  # a real write, not os.access: root passes access checks on read-only file systems
        os.rmdir(tempfile.mkdtemp(dir=existing, prefix=_temporary_prefix("probe"), suffix=".tmp"))
    except OSError as error:
        raise ValueError(f"{kind} {str(path)!r}: cannot write in {str(existing)!r} ({error.strerror})") from None
    free = shutil.disk_usage(existing).free
    if 2 * nbytes > free:
        raise ValueError(f"{kind} {str(path)!r}: about {nbytes / 2**20:.0f} MiB of results need "
                         f"room, and only {free / 2**20:.0f} MiB are free there")
    remove_stale(path.parent if path.parent.exists() else existing)
    return path


def atomic_write(path, write) -> Path:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``
    (permissions as the umask allows, like any new file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temporary_prefix(path.name), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o666 & ~_umask())
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
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=_temporary_prefix(path.name), suffix=".tmp"))
    tmp.chmod(0o777 & ~_umask())
    try:
        yield tmp
        os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def holds_results(path) -> bool:
    """True for an existing folder with anything in it (an empty folder holds nothing)."""
    path = Path(path)
    return path.is_dir() and any(path.iterdir())


@contextlib.contextmanager
def replacing_directory(path, force: bool):
    """Like :func:`run_directory`, for a folder that may hold an earlier result: refused unless
    ``force`` (ValueError, before any work is done by the caller), and with ``force`` the earlier
    folder is replaced only once the new one is complete."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{str(path)!r} is a file, not a folder")
    if holds_results(path) and not force:
        raise ValueError(f"{str(path)!r} already holds results; choose another output folder or "
                         "pass force (--force) to replace them")
    if path.is_dir() and not holds_results(path):
        path.rmdir()
    staged = path.with_name(f"{path.name}.new") if path.exists() else path
    with run_directory(staged) as tmp:
        yield tmp
    if staged != path:
        old = path.with_name(_temporary_prefix(path.name) + "old.tmp")
        path.rename(old)
        staged.rename(path)
        shutil.rmtree(old)
