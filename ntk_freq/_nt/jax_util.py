"""The two helpers of the removed module ``jax.util`` (JAX ≥ 0.8) that neural-tangents 0.6.5
imports, re-implemented with the behaviour they had: ``map`` and ``zip`` over sequences of equal
length that return lists and refuse unequal lengths. Pinned by ``tests/test_nt_loader.py``."""

from __future__ import annotations

import builtins


def _equal_lengths(fname: str, sequences) -> list:
    sequences = [list(s) for s in sequences]
    lengths = [len(s) for s in sequences]
    if len(set(lengths)) > 1:
        raise ValueError(f"{fname}: sequences of unequal lengths {lengths}")
    return sequences


def safe_map(f, *sequences) -> list:
    """``list(map(f, *sequences))`` after checking that the sequences have one length."""
    return list(builtins.map(f, *_equal_lengths("safe_map", sequences)))


def safe_zip(*sequences) -> list:
    """``list(zip(*sequences))`` after checking that the sequences have one length."""
    return list(builtins.zip(*_equal_lengths("safe_zip", sequences)))


def restored(name: str) -> bool:
    return name in ("safe_map", "safe_zip")
