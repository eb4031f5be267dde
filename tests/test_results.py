"""Labelled results: a comparison's Dataset carries each array under the right labels, and the
netCDF round trip (complex split into real/imag) is exact."""

import json

import numpy as np
import pytest
import xarray as xr

import ntk_freq
from ntk_freq.comparison._results import write_dataset

TINY = dict(rhos=["gaussian:3", "uniform:10"], width=16, steps=10, n_snapshots=3, n_xi=21,
            progress=False)


@pytest.fixture(scope="module")
def comparison():
    return ntk_freq.compare(**TINY)


def test_labels_select_the_arrays_of_each_rho_and_route(comparison):
    ds = comparison.to_dataset()
    for r in comparison.results:
        for route in ("pde", "kernel", "kernel_gd", "nn"):
            np.testing.assert_array_equal(ds.u_hat.sel(rho=r.rho, route=route), r.u_hat[route])
            np.testing.assert_array_equal(ds.remaining.sel(rho=r.rho, route=route),
                                          r.remaining[route])
        np.testing.assert_array_equal(ds.rel_l2.sel(rho=r.rho, gap="nn_vs_kernel"),
                                      r.rel_l2["nn_vs_kernel"])
        np.testing.assert_array_equal(ds.loss.sel(rho=r.rho), r.loss)
    np.testing.assert_array_equal(ds.time, comparison.times)
    assert ds.time.attrs["long_name"].startswith("flow time")
    assert ds.xi.attrs["units"] == "rad per unit of x"
    assert ds.width.item() == 16 and ds.part.item() == "full"
    assert json.loads(ds.attrs["spec"])["rhos"] == TINY["rhos"]
    assert "packages" in json.loads(ds.attrs["provenance"])


def test_netcdf_round_trip_is_exact(comparison, tmp_path):
    ds = comparison.to_dataset()
    write_dataset(tmp_path / "results.nc", ds)
    back = ntk_freq.open_results(tmp_path)            # a directory holding results.nc
    xr.testing.assert_identical(back, ds)
    assert back.u_hat.dtype == np.complex128
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.nc"]   # no temporary left


def test_open_results_names_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no results file"):
        ntk_freq.open_results(tmp_path / "nothing.nc")


def test_point_file_round_trip_is_exact(tmp_path):
    # a sweep's point file (.npz): complex, string and scalar coordinates, attributes, NaN
    from ntk_freq.comparison._results import point_bytes

    ds = xr.Dataset(
        {"u_hat": (("rho", "time"), np.array([[1 + 2j, np.nan + 0j]])),
         "loss": (("step",), np.array([0.5, np.nan, 1e-300]), {"units": "1", "long_name": "ℓ"})},
        coords={"rho": ["gaussian:3"], "time": [0.0, 0.1], "step": [0, 1, 2], "width": 64,
                "part": "full"},
        attrs={"spec": '{"a": 1}', "point_hash": "abc"})
    (tmp_path / "p.npz").write_bytes(point_bytes(ds))
    back = ntk_freq.open_results(tmp_path / "p.npz")
    assert back.identical(ds)
    assert back.u_hat.dtype == complex and back.loss.attrs == ds.loss.attrs
