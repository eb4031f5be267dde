"""Outputs that say what they mean (issue #26): every summary, CSV and dataset field is named for
the quantity it holds, and "not reached" has one encoding per format (docs/formats.md): +inf in
arrays, CSV and netCDF, null in JSON (never the non-standard Infinity/NaN)."""

import json
import math

import numpy as np
import pytest

from ntk_freq._util import store


def _strict_json(path):
    """The file parsed as standard JSON (RFC 8259): Infinity and NaN are refused."""
    def refuse(name):
        raise ValueError(f"{path}: non-standard JSON constant {name}")

    return json.loads(path.read_text(), parse_constant=refuse)


def test_passage_times_are_null_in_json_where_not_reached():
    assert store.passage_time_json(2.5) == 2.5
    assert store.passage_time_json(np.inf) is None
    assert store.passage_time_json(np.array([1.0, np.inf, np.nan])) == [1.0, None, None]
    assert store.passage_time_json(np.array([[np.inf], [3.0]])) == [[None], [3.0]]


def test_gallery_half_life_is_read_at_kappa_not_at_the_nearest_xi_node():
    """κ = 1.5 lies between the ξ nodes 1 and 2, which decay at rates 1 and 3; the remaining
    fraction at κ itself decays at rate 2, so τ_{1/2}(κ) = ln 2 / 2 (the nearest node gave
    ln 2 or ln 2 / 3)."""
    import xarray as xr

    from ntk_freq.experiments._gallery import half_lives_at_kappa

    t = np.linspace(0.0, 3.0, 301)
    rates = np.array([0.0, 1.0, 3.0, 5.0])
    u_hat = np.exp(-np.outer(t, rates))[None, None]
    remaining = np.exp(-2.0 * t)[None, None, :, None]
    ds = xr.Dataset({"u_hat": (("rho", "route", "time", "xi"), u_hat),
                     "remaining": (("rho", "route", "time", "kappa"), remaining)},
                    coords={"rho": ["r"], "route": ["kernel"], "time": t, "xi": [0.0, 1.0, 2.0, 3.0],
                            "kappa": [1.5]})
    tau = half_lives_at_kappa(ds, "r", "kernel")
    assert tau[0] == pytest.approx(math.log(2) / 2, rel=1e-4)
    slow = ds.assign(remaining=ds.remaining ** 0.01)      # rate 0.02: not reached by t = 3
    assert half_lives_at_kappa(slow, "r", "kernel")[0] == np.inf
