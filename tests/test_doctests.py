"""The ``Examples:`` of the public objects' docstrings run as written (doctest)."""

import doctest
import importlib

import pytest

MODULES = ["ntk_freq.problem", "ntk_freq.networks._fourier_features", "ntk_freq.losses._mse", "ntk_freq.losses._operator",
           "ntk_freq.comparison._compare", "ntk_freq.design._entry",
           "ntk_freq.generalisation._eigenlearning", "ntk_freq.generalisation._population",
           "ntk_freq.generalisation._curve"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0, result
