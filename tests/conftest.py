"""Fixtures shared by the test modules."""

import importlib
import types

import numpy as np
import pytest


@pytest.fixture
def no_training(monkeypatch):
    """compare's network route patched to fail, for tests that must end before any training."""
    def train(*args, **kwargs):
        raise AssertionError("a network was trained")

    monkeypatch.setattr(importlib.import_module("ntk_freq.comparison._compare"), "nn_route", train)


@pytest.fixture
def untrained(monkeypatch):
    """compare's network route replaced by a zero error (no training): the theory routes only."""
    def fake(problem, key, progress):
        return types.SimpleNamespace(u=np.zeros((len(problem.times), problem.measure.n)),
                                     loss=np.zeros(1))

    monkeypatch.setattr(importlib.import_module("ntk_freq.comparison._compare"), "nn_route", fake)


@pytest.fixture(autouse=True, scope="module")
def _release_jax_caches():
    """After each test module, drop JAX's compiled programs and the arrays they hold: a worker
    runs dozens of modules, and their compilations accumulate (about 2 GiB by the end)."""
    yield
    import gc
    import sys

    if "jax" in sys.modules:
        sys.modules["jax"].clear_caches()
    gc.collect()
