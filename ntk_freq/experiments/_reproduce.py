"""``ntk-freq reproduce``: run the named experiments of the one registry
(:mod:`ntk_freq.experiments._registry`), cached.

Each entry names a function ``run(directory: Path, quick: bool, progress: bool) -> dict`` by its
import path (``"module:function"``, imported only when that experiment runs, so listing is
instant). The function writes its figures (PDF and PNG) and the data behind them into
``directory`` and returns a JSON-ready summary (the headline numbers). :func:`reproduce` gives it
a temporary directory beside ``OUT/NAME`` (``OUT/NAME-quick`` for the reduced form) and renames
it when complete, with ``summary.json`` holding the summary, the experiment's name and the
provenance: a result appears whole or not at all.

Caching: a result is keyed by the SHA-256 of its full spec (the experiment's name, entry point,
quick or full form, its settings where the entry names a settings function, and the code
identity: ntk-freq's version, the hash of its source and the git revision), stored in
``summary.json`` with the SHA-256 of every file of the result. ``reproduce`` returns a stored
result only when its key matches and every file is there, unchanged, with nothing added; it
recomputes one whose key differs (other code or settings) or that fails that check (with a
:class:`ntk_freq._util.store.RecomputedWarning` naming the file and why), and recomputes anyway
with ``force``. Temporary folders a killed run left are removed on every call.
``ntk-freq reproduce --clear`` deletes the cached results.

Names carry the first author of the result they reproduce (``rahaman-…``, ``basri-…``), or say
what they show (``default``, ``depth-profile``).
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

from ntk_freq._util import store
from ntk_freq.experiments._registry import REGISTRY, NamedExperiment  # noqa: F401 (re-exported)


def listing() -> str:
    """One line per registered experiment: name and description."""
    width = max(len(n) for n in REGISTRY)
    return "\n".join(f"{e.name:<{width}}  {e.description}" for e in REGISTRY.values())


def reproduce(name: str, out="ntk-freq-results", quick: bool = False, *, force: bool = False,
              progress: bool = True) -> Path:
    """Run the named experiment into ``out/name`` (``out/name-quick`` when ``quick``) and return
    that path. An existing result with the same cache key (module docstring) is returned as it
    is unless ``force``; otherwise the experiment runs and replaces it only once the new one is
    complete."""
    experiment = _experiment(name)
    path = result_path(name, out, quick)
    key = experiment.cache_key(quick)
    if path.parent.is_dir():
        store.remove_stale(path.parent)
    if not force and cached(name, out, quick, warn=True):
        return path
    store.check_output(path)
    run = experiment.function()
    with store.replacing_directory(path, force=True) as tmp:
        summary = run(tmp, quick=quick, progress=progress)
        store.write_json(tmp / "summary.json", {
            "experiment": name, "quick": quick, "cache_key": key, "spec": experiment.spec(quick),
            "summary": summary, "provenance": store.provenance(), "files": file_hashes(tmp),
        })
    return path


def file_hashes(directory: Path) -> dict:
    """SHA-256 of every file of a result (summary.json aside), by relative path."""
    return {str(p.relative_to(directory)): store.file_sha256(p)
            for p in sorted(Path(directory).rglob("*")) if p.is_file() and p.name != "summary.json"}


def _experiment(name: str) -> NamedExperiment:
    if name not in REGISTRY:
        raise ValueError(f"experiment must be one of {sorted(REGISTRY)} or 'all', got {name!r}")
    return REGISTRY[name]


def result_path(name: str, out="ntk-freq-results", quick: bool = False) -> Path:
    """Where :func:`reproduce` puts the result: ``out/name`` or ``out/name-quick``."""
    return Path(out) / (f"{name}-quick" if quick else name)


def cached(name: str, out="ntk-freq-results", quick: bool = False, *, warn: bool = False) -> bool:
    """Whether ``out`` holds a complete, unchanged result of ``name`` with the current cache key
    (module docstring); with ``warn`` a result that is there but fails says why."""
    path = result_path(name, out, quick)
    if not path.exists():
        return False
    why = None
    try:
        record = json.loads((path / "summary.json").read_text())
    except (OSError, ValueError, UnicodeDecodeError) as error:
        record, why = {}, f"summary.json is missing or unreadable ({type(error).__name__})"
    if why is None and record.get("cache_key") != _experiment(name).cache_key(quick):
        why = "it was computed by other code (another version or an edited source) or settings"
    if why is None:
        held, now = record.get("files"), file_hashes(path)
        if held is None:
            why = "it records no file hashes (written before ntk-freq verified its results)"
        elif held != now:
            changed = sorted(set(held) ^ set(now) | {f for f in set(held) & set(now) if held[f] != now[f]})
            why = f"its files changed since it was written: {', '.join(changed[:5])}"
    if why is not None and warn:
        warnings.warn(f"the cached result {str(path)!r} is not reused: {why}; computing it again",
                      store.RecomputedWarning, stacklevel=3)
    return why is None


def clear(out="ntk-freq-results", names=None) -> list:
    """Delete the cached results (full and quick) of ``names`` (default: every registered
    experiment) under ``out``, and temporaries a killed run left; returns the paths removed."""
    import shutil

    removed = []
    for name in names or list(REGISTRY):
        _experiment(name)
        for quick in (False, True):
            path = result_path(name, out, quick)
            if (path / "summary.json").is_file():
                shutil.rmtree(path)
                removed.append(path)
    if Path(out).is_dir():
        removed += store.remove_stale(out)
    return removed


def reproduce_all(out="ntk-freq-results", quick: bool = False, force: bool = False,
                  *, progress: bool = True, names=None) -> list:
    """Every registered experiment (or ``names``) in turn; per experiment a dict with its name,
    path, whether the cache served it and the wall time in seconds."""
    rows = []
    for name in names or list(REGISTRY):
        was_cached = not force and cached(name, out, quick)
        t0 = time.perf_counter()
        path = reproduce(name, out, quick=quick, force=force, progress=progress)
        rows.append({"name": name, "path": str(path), "cached": was_cached,
                     "seconds": time.perf_counter() - t0})
    return rows
