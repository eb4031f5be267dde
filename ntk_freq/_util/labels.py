"""Text labels of frequencies and wave vectors, shared by results, figures and summaries."""

from __future__ import annotations
import numpy as np


def vector_text(k) -> str:
    """A frequency or wave vector as text: "2" or "(2, 0)"."""
    k = np.atleast_1d(k)
    return f"{k[0]:g}" if k.size == 1 else "(" + ", ".join(f"{c:g}" for c in k) + ")"


def kappa_key(k) -> str:
    """The summary's label of a target wave vector: "xi=2" in d = 1, "xi=(2,0)" in d ≥ 2."""
    return "xi=" + vector_text(k).replace(" ", "")
