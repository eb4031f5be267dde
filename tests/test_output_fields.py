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


def test_diagnose_json_is_standard_and_says_not_reached(tmp_path):
    """At level 0.01 ξ = 2 is learned (Δ_F falls to 0.003) and ξ = 9 is not (0.05 at the last
    time): null in diagnose.json (it was the non-standard Infinity), said in words on screen."""
    from click.testing import CliRunner

    from ntk_freq.cli import main
    from test_diagnose_cli import _synthetic

    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["diagnose", str(_synthetic(tmp_path)), "--out", str(out),
                                       "--xi-max", "12", "--level", "0.01"])
    assert result.exit_code == 0, result.output
    summary = _strict_json(out / "diagnose.json")
    times = {round(p["xi"][0]): p["learning_time"] for p in summary["peaks"]}
    assert times[2] == pytest.approx(2 + np.log10(3))
    assert times[9] is None and summary["t_max"] == 3.0
    assert "not reached by 3" in result.output


def test_summaries_are_standard_json_and_lose_no_value(tmp_path):
    """NaN (not computed) is null, ±inf (t = ∞, p = ∞) the text "inf"; Python's json module
    would have written the non-standard NaN and Infinity."""
    store.write_json(tmp_path / "s.json", {"gap": math.nan, "time": math.inf, "t": np.array([1.0, -np.inf]),
                                           "nested": [(np.float32("nan"), 2)]})
    assert _strict_json(tmp_path / "s.json") == {"gap": None, "time": "inf", "t": [1.0, "-inf"],
                                                 "nested": [[None, 2]]}


def _cli(*args):
    from click.testing import CliRunner

    from ntk_freq.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def _header(path) -> list:
    return path.read_text().splitlines()[0].split(",")


@pytest.mark.parametrize("args, column", [
    (["--rho", "gaussian:2", "--kmax", "8"], "abs_xi"),                            # Bochner, |ξ|
    (["--network", "relu", "--domain", "sphere", "--dim", "3", "--kmax", "12"], "degree"),
    (["--rho", "uniform:8", "--domain", "interval:-3,3", "--points", "128", "--kmax", "16"],
     "dominant_xi"),
], ids=["periodic", "sphere", "interval"])
def test_spectrum_csv_names_its_frequency_column_for_the_domain(tmp_path, args, column):
    """An angular frequency |ξ|, a degree k and an eigenvector's dominant |ξ| are three
    quantities: the column was "frequency" for all three."""
    _cli("spectrum", *args, "--out", tmp_path / "s")
    assert _header(tmp_path / "s" / "spectrum.csv") == [column, "eigenvalue", "multiplicity"]
    assert list(_strict_json(tmp_path / "s" / "spectrum.json")["frequency_column"]) == [column]


def test_pde_csv_names_V_under_data_and_u_hat_without(tmp_path):
    """Under --data the field is V = F[u p]/c̄ (E2), not û: the header said abs_u_hat for both."""
    common = ["pde", "--rho", "gaussian:2", "--target", "windowed-sines:2", "--times", "0,5"]
    _cli(*common, "--density", "0.1", "--out", tmp_path / "e3")
    _cli(*common, "--data", "box:5", "--out", tmp_path / "e2")
    assert _header(tmp_path / "e3" / "pde.csv") == ["t", "abs_u_hat_2"]
    assert _header(tmp_path / "e2" / "pde.csv") == ["t", "abs_V_2"]
    assert "V = F[u p]" in _strict_json(tmp_path / "e2" / "pde.json")["columns"]["abs_V_XI"]


def test_width_study_names_its_reference_the_gd_map(tmp_path):
    """The width study's gap is to the kernel's gradient-descent map (like for like), the run's
    nn_vs_kernel_rel_l2 to the gradient flow: the names say which (it was "gap_rms")."""
    _cli("width-study", "--widths", "16,32", "--seeds", "1", "--steps", "5", "--eta", "0.5",
         "--part", "readout", "--points", "80", "--out", tmp_path, "--name", "w", "--quiet")
    summary = _strict_json(tmp_path / "w" / "summary.json")
    assert len(summary["nn_vs_kernel_gd_rel_l2_rms"]) == 2 and "gap_rms" not in summary
    assert summary["reference"].startswith("kernel_gd")
    arrays, _ = store.read_results(tmp_path / "w" / "results.npz")
    assert arrays["nn_vs_kernel_gd_rel_l2"].shape == (2, 1)


def test_pde_refuses_a_mesh_that_cannot_resolve_the_initial_error():
    """ρ_w 10⁴ times wider than the target band (gaussian:40000, target at 4 and 8): the box
    follows ρ_w's support (R ≈ 2·10⁵), the mesh that fits max_dofs cannot follow û₀ (relative L²
    error 0.34 at 131 073 DOFs; 0.99 for gaussian:400000, whose |û(4, t)| came out at 1.6 % of
    the exact value), and only a warning said so. Now refused (here at 20 000 DOFs, for speed:
    error 0.99), naming the way out, which is exact: W frozen,
    û(ξ, t) = û₀(ξ) e^{−c 2π ρ̄_w(ξ) t} (docs/theory.md)."""
    from ntk_freq import distribution, solve_frequency_pde
    from ntk_freq.data import WindowedSines, initial_error_hat

    rho, c, T = distribution("gaussian:40000"), 1 / 20, 1e3
    u0 = initial_error_hat(WindowedSines([4.0, 8.0], width=1.0))
    with pytest.warns(UserWarning, match="mesh too coarse"), \
            pytest.raises(ValueError, match="resolves û₀ only to a relative L² error of 0.99"):
        solve_frequency_pde(rho, 1.0, c, u0_hat=u0, times=[T], part="readout", model="E3",
                            max_dofs=20_000)
    sol = solve_frequency_pde(rho, 1.0, c, u0_hat=u0, times=[T], part="readout", model="E3",
                              domain=30.0, mass_tol=1.0)
    xi = np.array([4.0, 8.0])
    exact = u0(xi[:, None]) * np.exp(-c * 2 * np.pi * rho.pdf(xi) * T)
    np.testing.assert_allclose(sol(xi, T), exact, rtol=1e-6)
