"""Named experiments: the registry behind ``ntk-freq reproduce``.

Each entry names a function ``run(directory: Path, quick: bool, progress: bool) -> dict`` by its
import path (``"module:function"``, imported only when that experiment runs, so listing is
instant). The function writes its figures (PDF and PNG) and the data behind them into
``directory`` and returns a JSON-ready summary (the headline numbers). :func:`reproduce` gives it
a temporary directory beside ``OUT/NAME`` (``OUT/NAME-quick`` for the reduced form) and renames
it when complete, with ``summary.json`` holding the summary, the experiment's name and the
provenance: a result appears whole or not at all.

Names carry the first author of the result they reproduce (``rahaman-…``, ``basri-…``), or say
what they show (``default``, ``depth-profile``).
"""

from __future__ import annotations

import importlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import store


@dataclass(frozen=True)
class NamedExperiment:
    """A registered experiment: its name, a one-line description and its entry point."""

    name: str
    description: str
    entry: str

    def function(self):
        module, _, attr = self.entry.partition(":")
        return getattr(importlib.import_module(module), attr)


REGISTRY: dict[str, NamedExperiment] = {
    e.name: e
    for e in (
        NamedExperiment(
            "default",
            "Gaussian vs uniform rho_w on a two-frequency target: PDE, kernel flow, trained FF-NN",
            "ntk_freq.experiments:reproduce_default",
        ),
        NamedExperiment(
            "basri-density",
            "Basri et al. 2020 density law: 4x denser data learn every frequency ~4x faster",
            "ntk_freq.density_law:reproduce_basri_density",
        ),
    )
}


def listing() -> str:
    """One line per registered experiment: name and description."""
    width = max(len(n) for n in REGISTRY)
    return "\n".join(f"{e.name:<{width}}  {e.description}" for e in REGISTRY.values())


def reproduce(name: str, out="ntk-freq-results", quick: bool = False, force: bool = False,
              progress: bool = True) -> Path:
    """Run the named experiment into ``out/name`` (``out/name-quick`` when ``quick``) and return
    that path. An existing result is kept and returned unless ``force``, which recomputes it and
    replaces it only once the new one is complete."""
    if name not in REGISTRY:
        raise ValueError(f"experiment must be one of {sorted(REGISTRY)}, got {name!r}")
    experiment = REGISTRY[name]
    path = Path(out) / (f"{name}-quick" if quick else name)
    if path.exists() and not force:
        return path
    run = experiment.function()
    staged = path.with_name(f".{path.name}.replaced") if path.exists() else None
    with store.run_directory(path if staged is None else path.with_name(f"{path.name}.new")) as tmp:
        summary = run(tmp, quick=quick, progress=progress)
        store.write_json(tmp / "summary.json", {
            "experiment": name, "quick": quick, "summary": summary, "provenance": store.provenance(),
        })
    if staged is not None:
        path.rename(staged)
        path.with_name(f"{path.name}.new").rename(path)
        shutil.rmtree(staged)
    return path
