"""Results on disk, with provenance, never half-written, never trusted unchecked.

- A results file is one ``.npz``: named float/complex arrays plus the entry ``meta``, a JSON
  string with the full spec, the seed, the metrics, the provenance (package versions, git
  revision, Python, platform, command line, UTC time), the code identity and the checksum of
  its arrays. Written to a temporary name, then renamed.
- Every stored result is verified when it is read (:func:`digest`, :class:`CorruptResult`): a
  file that is truncated, garbage, edited or a copy of another result's file is reported, naming
  the file and what is wrong, and is recomputed (sweeps, ``reproduce``) or refused (readers).
  Declared sizes are checked against the memory before anything is materialised.
- Every cache key and record holds :func:`code_identity`: the package version, a hash of the
  package's source files and the git revision, so changed code never serves old results.
- A run directory (figures, ``summary.json``, the results file) is filled under a hidden
  temporary name beside its final place and renamed when complete: it appears whole or not at
  all.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
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


class CorruptResult(ValueError):
    """A stored result failed its check (unreadable, truncated, edited, or another result's
    file); the message names the file and what was wrong."""


class RecomputedWarning(UserWarning):
    """A stored result was not reused (it failed verification or came from other code) and is
    computed again."""


@functools.lru_cache(maxsize=1)
def code_identity() -> dict:
    """What computed a result: the installed version (package metadata), the SHA-256 of the
    package's source (every ``.py`` file under ``ntk_freq/``, by relative path and content; a
    local edit changes it) and the git revision where there is one."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    try:
        version = metadata.version("ntk-freq")
    except metadata.PackageNotFoundError:
        version = None
    return {"version": version, "source_sha256": h.hexdigest(), "git_revision": git_revision()}


def file_sha256(path) -> str:
    """SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _canonical(values) -> bytes:
    """An array's content as bytes independent of how a file format stores it: numbers as
    float64 (integers and booleans exactly up to 2⁵³), complex as float64 pairs, text as JSON."""
    a = np.asarray(values)
    if a.dtype.kind in "biuf":
        return np.ascontiguousarray(a, dtype=np.float64).tobytes()
    if a.dtype.kind == "c":
        return np.ascontiguousarray(a, dtype=np.complex128).tobytes()
    return json.dumps([str(x) for x in a.ravel().tolist()]).encode()


def digest(arrays) -> str:
    """SHA-256 of named arrays (name → array, or name → (dims, array)): names in sorted order,
    each with its shape (and dims) and canonical content (:func:`_canonical`)."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        item = arrays[name]
        dims, values = item if isinstance(item, tuple) else ((), item)
        a = np.asarray(values)
        h.update(json.dumps([name, list(dims), list(a.shape)]).encode())
        h.update(_canonical(a))
    return h.hexdigest()


def check_declared_size(path, nbytes: float, what: str = "results file") -> None:
    """MemoryError, before reading, for a file whose declared contents would not fit in memory
    (a kilobyte that declares gigabytes is refused, not materialised)."""
    from ntk_freq._util.validation import fits_in_memory

    fits_in_memory(f"reading the {what} {str(path)!r} (its declared contents)", float(nbytes))


def open_npz(path, what: str = "results file"):
    """``np.load`` of an ``.npz`` after checking that it is a readable archive whose declared
    uncompressed size fits in memory; CorruptResult naming the file otherwise."""
    import zipfile

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no {what} at {str(path)!r}")
    try:
        with zipfile.ZipFile(path) as z:
            declared = sum(info.file_size for info in z.infolist())
            bad = z.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        size = path.stat().st_size
        raise CorruptResult(f"{what} {str(path)!r} is not a readable .npz archive "
                            f"({'empty file' if size == 0 else f'{size} bytes; {error}'}): "
                            "truncated or not written by ntk-freq") from None
    if bad is not None:
        raise CorruptResult(f"{what} {str(path)!r}: member {bad!r} fails its CRC (a damaged or edited file)")
    check_declared_size(path, declared, what)
    return np.load(path, allow_pickle=False)


def load_npy(path, what: str = "array file") -> np.ndarray:
    """A user's ``.npy`` array (no pickles), its declared shape checked against the memory
    before reading; CorruptResult naming the file if it is not a readable .npy."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no {what} at {str(path)!r}")
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            header = {(1, 0): np.lib.format.read_array_header_1_0,
                      (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if header is None:
                raise ValueError(f".npy format version {version} is not supported")
            shape, _, dtype = header(f)
        check_declared_size(path, float(np.prod(shape, dtype=float)) * dtype.itemsize, what)
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        if isinstance(error, CorruptResult):
            raise
        raise CorruptResult(f"{what} {str(path)!r} is not a readable .npy array ({error})") from None


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
        "code": code_identity(),
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
    """``obj`` as indented, standard JSON (RFC 8259), atomically; non-finite numbers as
    :func:`finite_json` writes them (docs/formats.md, "Numbers that are not finite")."""
    text = json.dumps(finite_json(obj), indent=2, sort_keys=False, default=_json_default,
                      allow_nan=False) + "\n"
    return atomic_write(path, lambda f: f.write(text.encode()))


def write_results(path, arrays: dict, meta: dict) -> Path:
    """One results file: ``arrays`` (name → array) and ``meta`` (JSON-ready: spec, seed,
    metrics) with :func:`provenance` added under "provenance" and the arrays' :func:`digest`
    under "checksum"; atomic."""
    if "meta" in arrays:
        raise ValueError("arrays may not use the reserved name 'meta'")
    text = json.dumps({**meta, "provenance": provenance(), "checksum": digest(arrays)},
                      default=_json_default)
    return atomic_write(path, lambda f: np.savez_compressed(f, meta=np.array(text), **arrays))


def read_results(path) -> tuple[dict, dict]:
    """Inverse of :func:`write_results`: (arrays, meta), verified (module docstring):
    CorruptResult naming the file if it is unreadable or its arrays fail their checksum."""
    with open_npz(path) as z:
        try:
            arrays = {k: z[k] for k in z.files if k != "meta"}
            meta = json.loads(str(z["meta"]))
        except (KeyError, ValueError, OSError, EOFError) as error:
            raise CorruptResult(f"results file {str(path)!r} is damaged ({type(error).__name__}: {error})") from None
    verify(path, arrays, meta.get("checksum"))
    return arrays, meta


def verify(path, arrays, checksum: str | None) -> None:
    """CorruptResult unless ``arrays`` hash to ``checksum`` (a file without one predates the
    checksums: refused too, as unverifiable)."""
    if checksum is None:
        raise CorruptResult(f"{str(path)!r} holds no checksum (written before ntk-freq verified its "
                            "files, or not by ntk-freq): it cannot be verified; recompute it")
    if digest(arrays) != checksum:
        raise CorruptResult(f"{str(path)!r}: its numbers do not match the checksum stored with them "
                            "(the file was edited or damaged after it was written)")


def finite_json(obj):
    """``obj`` made standard JSON (RFC 8259 has no NaN or Infinity), in dicts, lists, tuples
    and arrays: NaN (not computed, undefined) becomes None (null) and ±inf the text "inf" /
    "-inf" (float() reads it back), so that no value is lost. Passage times are encoded before,
    by :func:`passage_time_json` (null where not reached)."""
    if isinstance(obj, dict):
        return {k: finite_json(x) for k, x in obj.items()}
    if isinstance(obj, np.ndarray):
        return finite_json(obj.tolist())
    if isinstance(obj, (list, tuple)):
        return [finite_json(x) for x in obj]
    if isinstance(obj, (float, np.floating)) and not np.isfinite(obj):
        return None if np.isnan(obj) else ("inf" if obj > 0 else "-inf")
    return obj


def passage_time_json(t):
    """Passage times for JSON (the first time a curve reaches its level: half-lives, e-folding
    and learning times), or ratios of them: each number as a float, and ``None`` (JSON null)
    where it is not finite — a time not reached within the simulated horizon (+inf in arrays
    and CSV files), or a ratio involving one. An array becomes a nested list. JSON has no
    Infinity: null is the one encoding of "not reached" in every summary (docs/formats.md)."""
    a = np.asarray(t, dtype=float)
    if a.ndim == 0:
        return float(a) if np.isfinite(a) else None
    return [passage_time_json(x) for x in a]


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
