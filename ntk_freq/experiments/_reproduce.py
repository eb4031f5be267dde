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
quick or full form, its settings where the entry names a settings function, and the ntk-freq
version), stored in ``summary.json``; ``reproduce`` returns a stored result whose key matches,
recomputes one whose key differs (another version or settings) and recomputes anyway with
``force``.

Names carry the first author of the result they reproduce (``rahaman-…``, ``basri-…``), or say
what they show (``default``, ``depth-profile``).
"""

from __future__ import annotations

import json
import time
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
    if not force and cached(name, out, quick):
        return path
    store.check_output(path)
    run = experiment.function()
    with store.replacing_directory(path, force=True) as tmp:
        summary = run(tmp, quick=quick, progress=progress)
        store.write_json(tmp / "summary.json", {
            "experiment": name, "quick": quick, "cache_key": key, "spec": experiment.spec(quick),
            "summary": summary, "provenance": store.provenance(),
        })
    return path


def _experiment(name: str) -> NamedExperiment:
    if name not in REGISTRY:
        raise ValueError(f"experiment must be one of {sorted(REGISTRY)} or 'all', got {name!r}")
    return REGISTRY[name]


def result_path(name: str, out="ntk-freq-results", quick: bool = False) -> Path:
    """Where :func:`reproduce` puts the result: ``out/name`` or ``out/name-quick``."""
    return Path(out) / (f"{name}-quick" if quick else name)


def cached(name: str, out="ntk-freq-results", quick: bool = False) -> bool:
    """Whether ``out`` holds a complete result of ``name`` with the current cache key."""
    summary = result_path(name, out, quick) / "summary.json"
    try:
        held = json.loads(summary.read_text()).get("cache_key")
    except (OSError, ValueError):
        return False
    return held == _experiment(name).cache_key(quick)


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
