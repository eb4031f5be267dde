"""Named experiments: the registry behind ``ntk-freq reproduce``.

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

import functools
import hashlib
import importlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

from ntk_freq._util import store


@dataclass(frozen=True)
class NamedExperiment:
    """A registered experiment: its name, a one-line description, its entry point,
    (optionally) ``settings``, "module:function" with ``function(quick) -> dict`` giving the
    settings it runs with (part of the cache key), and ``options``, keyword arguments passed to
    both (one entry point serving several experiments)."""

    name: str
    description: str
    entry: str
    settings: str | None = None
    options: tuple = ()

    def function(self):
        return functools.partial(_load(self.entry), **dict(self.options))

    def spec(self, quick: bool) -> dict:
        """What identifies a result: name, entry point, form, settings, package version."""
        from ntk_freq import __version__

        settings = _load(self.settings)(quick, **dict(self.options)) if self.settings else None
        return {"name": self.name, "entry": self.entry, "quick": quick, "settings": settings,
                "ntk_freq_version": __version__}

    def cache_key(self, quick: bool) -> str:
        text = json.dumps(self.spec(quick), sort_keys=True, default=store._json_default)
        return hashlib.sha256(text.encode()).hexdigest()


def _load(entry: str):
    module, _, attr = entry.partition(":")
    return getattr(importlib.import_module(module), attr)


REGISTRY: dict[str, NamedExperiment] = {
    e.name: e
    for e in (
        NamedExperiment(
            "default",
            "Gaussian vs uniform rho_w on a two-frequency target: PDE, kernel flow, trained FF-NN",
            "ntk_freq.experiments._run:reproduce_default",
            "ntk_freq.experiments._run:default_settings",
        ),
        NamedExperiment(
            "default-2d",
            "Directional bias in d = 2: anisotropic Gaussian vs uniform rho_w, wave vectors (2,0), (0,2)",
            "ntk_freq.experiments._run:reproduce_default",
            "ntk_freq.experiments._run:default_settings",
            (("experiment", "default-2d"),),
        ),
        NamedExperiment(
            "default-3d",
            "d = 3: isotropic vs axis-narrow Gaussian rho_w, wave vectors along xi_1 and xi_3",
            "ntk_freq.experiments._run:reproduce_default",
            "ntk_freq.experiments._run:default_settings",
            (("experiment", "default-3d"),),
        ),
        NamedExperiment(
            "rho-gallery",
            "Per-frequency learning times under Gaussian, uniform, Laplace, Cauchy and band-pass rho_w: PDE, kernel, network",
            "ntk_freq.experiments._gallery:rho_gallery",
            "ntk_freq.experiments._gallery:gallery_settings",
        ),
        NamedExperiment(
            "sigma-a",
            "Effect of sigma_a (the diffusion of (E3)) on the learning curves: a sweep over sigma_a",
            "ntk_freq.experiments._gallery:sigma_a_effect",
            "ntk_freq.experiments._gallery:sigma_a_config",
        ),
        NamedExperiment(
            "width-convergence",
            "Network-vs-kernel gap against width m, fitted exponent (theory -1/2)",
            "ntk_freq.experiments._gallery:width_convergence",
            "ntk_freq.experiments._gallery:width_settings",
        ),
        NamedExperiment(
            "design",
            "An initialisation designed to reverse the spectral bias, against Gaussian and uniform baselines",
            "ntk_freq.experiments._gallery:design_demo",
        ),
        NamedExperiment(
            "depth-profile",
            "Deep FF-NNs: damping density rho_alpha(xi) for depths 1-4, relu/erf/gelu, three rho_w",
            "ntk_freq.experiments._deep:depth_profile",
        ),
        NamedExperiment("rahaman-sines", "Rahaman et al.: a deep ReLU MLP learns equal-amplitude sines low frequency first (Δ_F)",
                        "ntk_freq.diagnostics._classics:rahaman_sines"),
        NamedExperiment("ronen-sphere", "Ronen et al.: two-layer ReLU on the circle, time to learn k ∝ k² (theory, kernel regime, O(1) amplitude)",
                        "ntk_freq.diagnostics._classics:ronen_sphere"),
        NamedExperiment("xu-digits", "Xu et al.: F-principle on 8x8 digits by the filtering method (low part converges first)",
                        "ntk_freq.diagnostics._classics:xu_digits"),
        NamedExperiment("fridovich-digits", "Fridovich-Keil et al.: interpolation spectra of digit classifiers, clean vs noisy labels",
                        "ntk_freq.diagnostics._classics:fridovich_digits"),
        NamedExperiment("lazy-map", "Kernel-regime boundary over target amplitude x width (two-layer ReLU on the circle)",
                        "ntk_freq.diagnostics._classics:lazy_map"),
        NamedExperiment(
            "basri-density",
            "Basri et al. 2020 density law: 4x denser data learn every frequency ~4x faster",
            "ntk_freq.experiments._density_law:reproduce_basri_density",
        ),
    )
}


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
