"""The registered paper experiments in their quick forms, each checked against an independent
route or a closed form; reproduce serves a second run from its cache."""

import json
import math

import numpy as np
import pytest

import ntk_freq
from ntk_freq.experiments import _gallery as gallery, _reproduce as reproduce


def test_design_quick_meets_its_profile_and_a_second_run_hits_the_cache(tmp_path, monkeypatch):
    path = reproduce.reproduce("design", tmp_path, quick=True, progress=False)
    assert {"rho.npz", "times.csv", "design.png", "design.pdf", "summary.json"} <= \
        {p.name for p in path.iterdir()}
    held = json.loads((path / "summary.json").read_text())
    ratio = held["summary"]["time_ratio_top_to_bottom"]
    # rates ∝ 1 + 3|ξ|/8: |ξ| = 8 four times as fast as ξ = 0; the design meets times to 3 %
    # (its tolerance), so the ratio to within (1.03/0.97 − 1) ≈ 6.2 %
    assert ratio["wanted"] == pytest.approx(0.25)
    assert ratio["designed"] == pytest.approx(0.25, rel=0.062)
    assert ratio["gaussian"] > 1 and ratio["uniform"] == pytest.approx(1, rel=1e-6)  # the bias
    stamp = (path / "summary.json").stat().st_mtime_ns

    def must_not_run(self):
        raise AssertionError("the cached result was recomputed")

    monkeypatch.setattr(reproduce.NamedExperiment, "function", must_not_run)
    assert reproduce.cached("design", tmp_path, quick=True)
    assert reproduce.reproduce("design", tmp_path, quick=True) == path
    assert (path / "summary.json").stat().st_mtime_ns == stamp
    from ntk_freq._util import store

    other = {**store.code_identity(), "source_sha256": "0" * 64}      # other code: a miss
    monkeypatch.setattr(store, "code_identity", lambda: other)
    assert not reproduce.cached("design", tmp_path, quick=True)


def test_every_experiment_has_a_cache_key_per_form():
    for e in reproduce.REGISTRY.values():
        assert e.cache_key(True) != e.cache_key(False), e.name


@pytest.mark.slow
def test_rho_gallery_quick(tmp_path):
    summary = gallery.rho_gallery(tmp_path, quick=True, progress=False)["rho"]
    assert {p.name for p in tmp_path.iterdir()} >= {"rho_gallery.png", "rho_gallery.pdf",
                                                    "results.nc"}
    for rho, s in summary.items():
        for k in ("xi=2", "xi=7"):
            # (E3) by FEM vs the exact kernel flow on the grid: they differ by the data window
            # (docs/theory.md: ~2 % for uniform:10) and, for Cauchy, the truncated domain
            assert s["half_life"]["pde"][k] == pytest.approx(s["half_life"]["kernel"][k], rel=0.1)
        # finite width m = 256 at the fast frequency: gap ∝ m^{-1/2}
        assert s["half_life"]["nn"]["xi=2"] == pytest.approx(s["half_life"]["kernel"]["xi=2"], rel=0.2)
    # frozen W predicts ρ̄(2)/ρ̄(7) = e^{45/18} ≈ 12 for gaussian:3; flat ρ̄ over κ gives 1
    assert summary["gaussian:3"]["half_life_ratio_kernel"] > 5
    assert summary["uniform:10"]["half_life_ratio_kernel"] == pytest.approx(1, rel=0.05)
    assert summary["0.5*gaussian:1@2+0.5*gaussian:1@7"]["half_life_ratio_kernel"] == \
        pytest.approx(1, rel=0.05)


@pytest.mark.slow
def test_sigma_a_quick_matches_the_frozen_w_closed_form_at_sigma_a_zero(tmp_path):
    s = gallery.sigma_a_effect(tmp_path, quick=True, progress=False)
    ds = ntk_freq.open_results(tmp_path / "sweep")
    assert list(ds.sigma_a.values) == list(gallery.SIGMA_A)
    rho, c, t = ntk_freq.distribution("gaussian:3"), 1 / 20, s["t_final"]
    for k in (2.0, 7.0):
        # docs/theory.md special case 1: û(κ, t) = û₀(κ) exp(−c 2π ρ̄(κ) t); FEM error ≲ 1e-3
        exact = math.exp(-c * 2 * math.pi * float(rho.pdf(np.array([k]))[0]) * t)
        assert s["remaining_final"]["sigma_a=0"]["pde"][f"xi={k:g}"] == pytest.approx(exact, rel=2e-3)
    # under a Gaussian ρ_w the diffusion carries κ = 7's error to where it is learned faster
    at7 = [s["remaining_final"][f"sigma_a={a:g}"]["kernel"]["xi=7"] for a in gallery.SIGMA_A]
    assert all(np.diff(at7) < 0)


@pytest.mark.slow
def test_width_convergence_quick_exponent(tmp_path):
    s = gallery.width_convergence(tmp_path, quick=True, progress=False)
    assert (tmp_path / "width_convergence.pdf").exists()
    # theory −1/2; three widths and two seeds leave a spread of about ±0.2
    assert -0.75 < s["exponent"] < -0.3
