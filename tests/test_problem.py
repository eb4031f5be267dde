"""The Problem, network and loss objects: validation when made, records, replace, the settings
schema, and compare(problem) against the former keyword call and independent routes."""

import dataclasses
import json
import warnings

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings, strategies as st

import ntk_freq as nf
from ntk_freq.comparison._compare import compare
from ntk_freq.networks import MLP, DeepFourierFeatures, FourierFeatures
from ntk_freq.problem import SETTINGS, Problem, Schedule

SMALL = dict(network=FourierFeatures(width=32), schedule=Schedule(eta=0.5, steps=20, n_snapshots=3))


def test_the_default_problem_is_the_default_comparison():
    p = Problem(rho="gaussian:3", target="windowed-sines:2,7;width=1.5")
    assert p == Problem()
    assert (p.network.sigma_a, p.network.width, p.network.part) == (0.5, 4096, "full")
    assert (p.schedule.eta, p.schedule.steps, p.schedule.n_snapshots) == (0.25, 600, 25)
    assert (p.half_width, p.n_points, p.dim, p.data) == (10.0, 160, 1, None)
    assert p.xi.shape == (241,) and p.kappa.tolist() == [2.0, 7.0]
    np.testing.assert_allclose(p.measure.coords[:, 0], -10 + 20 * (np.arange(160) + 0.5) / 160)


def test_record_is_json_and_replace_takes_flat_settings():
    p = Problem(**SMALL)
    record = p.record()
    assert json.loads(json.dumps(record)) == record
    assert record["network"] == {"class": "FourierFeatures", "sigma_a": 0.5, "width": 32,
                                 "part": "full", "dtype": "float32"}
    q = p.replace(rho="uniform:10", sigma_a=1.0, eta=0.25, n_points=200)
    assert (q.rho, q.network.sigma_a, q.network.width, q.schedule.eta, q.schedule.steps,
            q.n_points) == ("uniform:10", 1.0, 32, 0.25, 20, 200)
    assert p.network.sigma_a == 0.5  # frozen: p itself is unchanged
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.dim = 2
    deep = p.replace(network="deep-fourier-features", hidden=(8,))
    assert isinstance(deep.network, DeepFourierFeatures) and deep.network.hidden == (8,)
    with pytest.raises(ValueError, match=r"unknown setting\(s\) \['sigma_a'\].*another network"):
        deep.replace(sigma_a=1.0)


def test_settings_schema_is_the_fields_of_the_objects():
    expected = {f.name for cls in (Problem, Schedule, FourierFeatures, DeepFourierFeatures, MLP)
                for f in dataclasses.fields(cls)} - {"network", "schedule"}
    assert set(SETTINGS) == expected
    p = Problem.from_settings(rho="laplace:2", sigma_a=0.7, steps=50, n_points=100)
    assert (p.rho, p.network.sigma_a, p.schedule.steps, p.n_points) == ("laplace:2", 0.7, 50, 100)


def test_cli_options_name_settings_of_the_schema():
    from ntk_freq.cli import PROBLEM_OPTIONS
    from ntk_freq.comparison._compare import OPTIONS

    assert set(PROBLEM_OPTIONS) <= set(SETTINGS) | set(OPTIONS) | {"rhos", "widths", "seeds", "network"}


@pytest.mark.parametrize("changes, error, match", [
    (dict(rho="gaussian:-1"), ValueError, "scale|positive"),
    (dict(rho=3.0), TypeError, "rho must be"),
    (dict(rho="gaussian:3/1"), ValueError, "expected 1 or d = 1"),
    (dict(dim=4), ValueError, "dim must be 1, 2 or 3"),
    (dict(n_points=20), ValueError, "Nyquist"),
    (dict(target="windowed-sines:2/0;width=1.5"), ValueError, "expected d = 1"),
    (dict(data_layout="grid"), ValueError, "data_layout"),
    (dict(loss="l1"), ValueError, "loss must be one of"),
    (dict(network="fourier"), TypeError, "network must be one of"),
    (dict(network=DeepFourierFeatures(), dim=2, rho="gaussian:3", target="windowed-sines:2/0;width=1.5"),
     ValueError, "covers d in \\[1\\]"),
])
def test_bad_problems_are_refused_when_made(changes, error, match):
    with pytest.raises(error, match=match):
        Problem(**changes)


@settings(max_examples=30, deadline=None)
@given(st.one_of(st.floats(max_value=0.0), st.just(float("nan")), st.just(float("inf"))),
       st.sampled_from(["eta"]))
def test_a_schedule_refuses_non_positive_or_non_finite_steps(value, name):
    with pytest.raises((ValueError, TypeError)):
        Schedule(**{name: value})


@settings(max_examples=30, deadline=None)
@given(st.one_of(st.floats(max_value=-1e-300), st.just(float("nan"))), st.integers(max_value=0))
def test_networks_refuse_negative_scales_and_widths(sigma_a, width):
    with pytest.raises((ValueError, TypeError)):
        FourierFeatures(sigma_a=sigma_a)
    with pytest.raises((ValueError, TypeError)):
        FourierFeatures(width=width)
    with pytest.raises((ValueError, TypeError)):
        DeepFourierFeatures(w_std=sigma_a)


def test_compare_on_problems_equals_the_former_keyword_call():
    p = Problem(**SMALL)
    new = compare([p, p.replace(rho="uniform:10")], progress=False)
    with pytest.warns(FutureWarning, match="pass a ntk_freq.Problem"):
        old = compare(rhos=("gaussian:3", "uniform:10"), width=32, eta=0.5, steps=20,
                      n_snapshots=3, progress=False)
    # the same computation twice: equal up to the rounding of multi-threaded float64 sums (the
    # PDE's sparse solves); the network route (same seed, same float32 program) bit for bit
    for a, b in zip(new.results, old.results):
        for route in ("pde", "kernel", "kernel_gd"):
            np.testing.assert_allclose(a.u_hat[route], b.u_hat[route], rtol=0,
                                       atol=1e-12 * np.abs(b.u_hat[route]).max())
        np.testing.assert_array_equal(a.u_hat["nn"], b.u_hat["nn"])
    assert new.spec == old.spec


def test_problems_of_one_comparison_differ_in_rho_only():
    p = Problem(**SMALL)
    with pytest.raises(ValueError, match=r"differ in rho only.*\['network'\]"):
        compare([p, p.replace(sigma_a=1.0)], progress=False)
    with pytest.raises(ValueError, match="model"):
        compare(p.replace(network=DeepFourierFeatures(width=8, hidden=(8,))), model="E2",
                progress=False)
    with pytest.raises(ValueError, match="routes must be among"):
        compare(p, routes=("pde",), progress=False)


def test_deep_comparison_is_compare_with_a_deep_network():
    """The deep network's kernel route against an independent one: the Gram matrix of
    ff_mlp_ntk and scipy's matrix exponential, u(t) = expm(−tΘ/N)(−y) (float64 round-off)."""
    net = DeepFourierFeatures(width=16, hidden=(16,), activation="erf", w_std=1.5)
    p = Problem(rho="gaussian:3", network=net, n_points=64, half_width=8.0,
                schedule=Schedule(eta=0.5, steps=40, n_snapshots=3))
    c = compare(p, routes=("kernel", "kernel_gd"), progress=False)
    assert np.all(np.isnan(c.results[0].u_hat["nn"])) and np.all(np.isnan(c.results[0].u_hat["pde"]))
    x = p.measure.coords
    gram = nf.ff_mlp_ntk(x, x, p.rho_w, **net.mlp)
    y = p.target_fn(x)
    u = np.stack([scipy.linalg.expm(-t * gram / len(x)) @ -y for t in c.times])
    from ntk_freq.data._density import measured_spectrum

    np.testing.assert_allclose(c.results[0].u_hat["kernel"], measured_spectrum(u, p.measure, p.xi),
                               rtol=0, atol=1e-9)
    with pytest.warns(DeprecationWarning, match="compare_deep is deprecated"):
        from ntk_freq.comparison._deep_compare import compare_deep

        old = compare_deep("gaussian:3", hidden=(16,), activation="erf", w_std=1.5, width=16,
                           n_points=64, half_width=8.0, eta=0.5, steps=40, n_snapshots=3,
                           routes=("kernel",), progress=False)
    np.testing.assert_array_equal(old.results[0].u_hat["kernel"], c.results[0].u_hat["kernel"])


def test_shallow_deep_network_has_the_two_layer_pde_coefficients():
    """With no hidden layer the deep FF-NN's NTK is (w_std²/2) φ_w (1 + x·x') + b_std², so its
    effective densities (a cosine transform of kernel profiles) are (w_std²/2) ρ̄_w, the
    FF-NN's closed-form coefficients at σ_a = 1 (agreement to the transform's own error
    estimate)."""
    rho = nf.distribution("gaussian:3")
    xi = np.linspace(-8, 8, 33)[:, None]
    deep = DeepFourierFeatures(hidden=(), w_std=1.2).pde_coefficients(rho, xi)
    ff = FourierFeatures(sigma_a=1.0).pde_coefficients(rho, xi)
    scale = 1.2**2 / 2
    np.testing.assert_allclose(deep.alpha, scale * ff.alpha, rtol=0, atol=1e-9)
    np.testing.assert_allclose(deep.D, scale * ff.D, rtol=0, atol=1e-9)
    readout = FourierFeatures(part="readout").pde_coefficients(rho, xi)
    assert np.all(readout.D == 0) and np.array_equal(readout.alpha, ff.alpha)


def test_the_mse_loss_weights_every_frequency_equally():
    assert nf.losses.MeanSquared().q(np.zeros((4, 2))).tolist() == [1.0] * 4
    assert Problem(loss="mse").loss == nf.losses.MeanSquared()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Problem(loss=nf.losses.MeanSquared()).record()["loss"] == {"spec": "mse"}


def test_the_pde_model_is_said_not_inferred_from_the_density_type():
    from ntk_freq.data import initial_error_hat

    rho, y = nf.distribution("gaussian:3"), Problem().target_fn
    with pytest.raises(ValueError, match="model='E2' needs a data density"):
        nf.solve_frequency_pde(rho, 0.5, 0.05, u0_hat=initial_error_hat(y), times=[0.0, 1.0],
                               model="E2")
    with pytest.raises(ValueError, match="model='E3' needs a constant data density"):
        nf.solve_frequency_pde(rho, 0.5, "box:10", times=[0.0, 1.0], u0=lambda x: -y(x),
                               model="E3")
    with pytest.warns(FutureWarning, match="pass model='E2'"):
        old = nf.solve_frequency_pde(rho, 0.5, "box:10", times=[0.0, 1.0], u0=lambda x: -y(x),
                                     mesh_size=0.5)
    new = nf.solve_frequency_pde(rho, 0.5, "box:10", times=[0.0, 1.0], u0=lambda x: -y(x),
                                 mesh_size=0.5, model="E2")
    assert old.model == new.model
    xi = np.linspace(0, 8, 5)[:, None]
    np.testing.assert_allclose(old(xi, 1.0), new(xi, 1.0), rtol=0, atol=1e-12)


def test_design_rho_takes_the_problems_network():
    """One entry point: a FourierFeatures network designs under (E3) exactly as the former
    sigma_a keyword did; a problem lends its data density c = 1/|D|; a deep network with W
    frozen gets the deep design."""
    from ntk_freq.design import DeepDesign, RateProfile

    objective = RateProfile(1.0, (0, 4), absolute=False)
    kw = dict(density=0.05, n_points=101)
    a = nf.design_rho(objective, network=FourierFeatures(sigma_a=0.5), **kw)
    b = nf.design_rho(objective, sigma_a=0.5, **kw)
    np.testing.assert_array_equal(a.rho.values, b.rho.values)
    c = nf.design_rho(objective, problem=Problem(half_width=10.0), n_points=101)
    assert c.density == 1 / 20 and np.array_equal(c.rho.values, a.rho.values)
    deep = DeepFourierFeatures(hidden=(8,), activation="erf", train_frequencies=False)
    assert isinstance(nf.design_rho(objective, network=deep, density=0.05), DeepDesign)
    with pytest.raises(ValueError, match="W frozen"):
        nf.design_rho(objective, network=DeepFourierFeatures(), density=0.05)
    with pytest.raises(TypeError, match="exactly one of"):
        nf.design_rho(objective, network=FourierFeatures(), sigma_a=0.5, density=0.05)
