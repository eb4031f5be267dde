"""Hostile input for every public entry point, classified as in the hardening issue.

Each case calls one entry point with arguments drawn from hostile values (NaN, ±inf, 0,
negatives, huge and tiny numbers, strings, booleans, None, complex numbers, wrong shapes, huge
integers) mixed with valid ones, under a time limit, and classifies the outcome (refused, ok,
nonsense, hang, obscure). The outcomes and their classification live in tests/fuzzing.py, shared with
tests/test_fuzz_surface.py (which builds calls of every public callable from its signature).
The suite requires 0 nonsense, 0 hangs and (stricter than the 1 % allowed) 0 obscure outcomes. The
default run draws a few cases per entry point; ``-m slow`` draws 100 per entry point (fewer where
small spaces of hostile values run out). The entry points include this wave's (Problem with test
points, learning curves, eigenlearning, MLPs and embeddings, sphere populations, stored results)
and the data, target, kernel and diagnostics facades; found and fixed by them: half_width,
xi_max and box edges of 1e308 (OverflowError or NaN transforms), inputs spanning ±1e308 in the
diagnostics (OverflowError).
"""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ntk_freq as nf
from ntk_freq._nn import models

from fuzzing import HOSTILE_NUMBERS, classify

VALID_SCALES = [0.5, 1.0, 3.0, 10.0]


def scalar(valid=VALID_SCALES):
    return st.sampled_from(valid) | st.sampled_from(HOSTILE_NUMBERS)


def arrays(valid_shapes=((5, 1),)):
    hostile = st.sampled_from([
        np.array([]), np.zeros((0, 1)), np.full((3, 1), np.nan), np.array([[1e308], [-1e308]]),
        np.ones((2, 3)), np.ones((2, 2, 2)), "points", None, np.array([1 + 1j, 2]),
        np.array([[np.inf], [0.0]]),
    ])
    valid = st.sampled_from(valid_shapes).map(lambda s: np.linspace(-2, 2, int(np.prod(s))).reshape(s))
    return valid | hostile


RHO = st.sampled_from(["gaussian:3", "uniform:5", "laplace:1", "cauchy:2", "student:3,1",
                       "0.5*gaussian:1+0.5*laplace:2@3", "gaussian:-1", "uniform:0", "student:1e6,1",
                       "gaussian:1e308", "nope:1", "", "file:/nonexistent.csv", "file:/tmp",
                       "gaussian:3,4", "gaussian:nan"])


# --- the entry points ------------------------------------------------------------------------

def e_distribution(draw):
    spec, dim = draw(RHO), draw(st.sampled_from([1, 2, 3, 0, -1, 2.5, "2"]))
    rho = nf.distribution(spec, dim)
    z = draw(arrays(((4, dim if isinstance(dim, int) and dim > 0 else 1),)))
    what = draw(st.sampled_from(["pdf", "char_fn", "tail", "support", "sample"]))
    if what == "pdf":
        return rho.pdf(z)
    if what == "char_fn":
        return rho.char_fn(z)
    if what == "tail":
        return rho.tail(draw(scalar([0.0, 1.0, 5.0])), draw(st.sampled_from(["inf", "2", "1"])))
    if what == "support":
        return rho.support_radius(draw(scalar([1e-6, 1e-3])))
    return rho.sample(jax.random.PRNGKey(0), draw(st.sampled_from([1, 10, 0, -3, 2.5, 10**12, "5"])))


def e_family(draw):
    cls = draw(st.sampled_from([nf.Gaussian, nf.Uniform, nf.Laplace, nf.Cauchy]))
    rho = cls(draw(scalar()), draw(st.sampled_from([1, 2, 0, True])))
    return rho.char_fn(np.linspace(0, 3, 5))


def e_ff_ntk(draw):
    rho = nf.distribution(draw(st.sampled_from(["gaussian:2", "uniform:3", "student:1000,1"])))
    return nf.ff_ntk(draw(arrays()), draw(arrays()), rho, sigma_a=draw(scalar([0.0, 0.5, 1.0])),
                     part=draw(st.sampled_from(["full", "readout", "frequency", "W", 3])))


def e_gram_spectrum(draw):
    k = draw(st.sampled_from([np.eye(3), np.zeros((0, 0)), np.ones((2, 3)), np.full((2, 2), np.nan),
                              np.array([[1.0, 2.0], [0.0, 1.0]]), "K", np.eye(2) * 1e308]))
    return nf.gram_spectrum(k)


def e_periodic_spectrum(draw):
    rho = nf.distribution(draw(st.sampled_from(["gaussian:2", "uniform:3"])), draw(st.sampled_from([1, 2, 3])))
    return nf.periodic_spectrum(rho, draw(scalar([2 * math.pi, 1.0])),
                                draw(st.sampled_from([4, 0, -1, 2.7, 10**7, 10**4, "8"]))).eigenvalue


def e_sphere_spectrum(draw):
    return nf.sphere_spectrum(lambda a, b: nf.ff_ntk(a, b, nf.Gaussian(1.0, a.shape[1]), sigma_a=1.0),
                              draw(st.sampled_from([2, 3, 1, 0, 2.5])),
                              draw(st.sampled_from([4, 0, -1, 2.7, 10**8, "3"])))


def e_fit_decay(draw):
    f = draw(st.sampled_from([np.arange(1.0, 9), np.arange(3.0), np.array([1.0, np.nan, 3, 4])]))
    lam = draw(st.sampled_from([np.exp(-np.arange(1.0, 9)), np.zeros(8), -np.ones(8), np.ones(3)]))
    return nf.fit_decay(f, lam, draw(st.sampled_from(["power", "exponential", "auto", "log"]))).prefactor


def e_fourier(draw):
    x = np.linspace(-1, 1, 8)
    return nf.fourier_transform(draw(arrays(((8,),))), draw(st.sampled_from([x, x[:4], x[::-1], "x"])),
                                draw(arrays(((3,),))))


def e_midpoint_grid(draw):
    return nf.midpoint_grid(draw(scalar([1.0, 10.0])), draw(st.sampled_from([4, 0, -2, 2.5, 10**9])),
                            draw(st.sampled_from([1, 2, 0])))[0]


def e_windowed_sines(draw):
    y = nf.WindowedSines(draw(st.sampled_from([[2.0, 7.0], [], [[1.0, 2.0]], [np.nan], "2"])),
                         width=draw(scalar([1.0, 1.5])))
    return y(np.linspace(-3, 3, 7)[:, None])


def e_kernel_flow(draw):
    K = nf.ff_ntk(np.linspace(-1, 1, 6), np.linspace(-1, 1, 6), nf.Gaussian(2.0), sigma_a=1.0)
    return nf.kernel_flow(draw(st.sampled_from([K, K[:3], -K, np.full_like(K, np.nan)])),
                          draw(arrays(((6,),))), draw(st.sampled_from([[0.0, 1.0], [1.0, 0.0], [-1.0], [], [np.inf]])))


def e_pde(draw):
    rho = nf.distribution(draw(st.sampled_from(["gaussian:3", "uniform:4"])))
    y = nf.WindowedSines([2.0], width=1.0)
    kw = draw(st.sampled_from([{}, {"dt": 1e-9}, {"max_dofs": 10**9, "mesh_size": 1e-7}, {"mesh_size": -1},
                               {"scheme": "rk4"}, {"part": "W"}, {"order": 3}, {"domain": 1e-3}]))
    return nf.solve_frequency_pde(rho, draw(scalar([0.5, 1.0])), draw(scalar([0.05])),
                                  u0_hat=nf.initial_error_hat(y), times=draw(st.sampled_from([[0.0, 10.0], [10.0, 0.0], [], [np.nan]])),
                                  **kw)(np.array([2.0]), 0.0)


def e_train(draw):
    net = models.ff_network(nf.Gaussian(2.0), 0.5, 16)
    x = np.linspace(-1, 1, 8)[:, None]
    return nf.train(net, net.init(jax.random.PRNGKey(0)), x, y=draw(arrays(((8,),))),
                    eta=draw(scalar([0.1, 0.5])), times=draw(st.sampled_from([[0.0, 0.5], [0.0, 1e9], [0.0, 0.3], [], "t"])),
                    optimizer=draw(st.sampled_from([None, "adam", 3])),
                    dtype=draw(st.sampled_from(["float32", "float64", "int8"])), progress=False).u


def e_network(draw):
    net = models.ff_network(draw(st.sampled_from([nf.Gaussian(2.0), "gaussian:3", None])),
                            draw(scalar([0.5])), draw(st.sampled_from([8, 0, -1, 2.5, 10**12])),
                            part=draw(st.sampled_from(["full", "readout", "x"])),
                            dtype=draw(st.sampled_from(["float32", "int8", np.float64])))
    return net.apply(net.init(jax.random.PRNGKey(0)), np.ones((3, 1)))


def e_compare(draw):
    kw = draw(st.sampled_from([{"rhos": 5}, {"steps": 2**63}, {"seed": 10**30}, {"width": 10**12},
                               {"eta": -1.0}, {"target": "windowed-sines:200"}, {"n_points": 10**8},
                               {"part": "nope"}, {"rhos": []}, {"n_snapshots": 0}, {"dtype": "int8"}]))
    return nf.compare(**{"width": 16, "steps": 4, "n_points": 32, "progress": False, **kw}).summary()


def e_design(draw):
    objective = nf.RateProfile(lambda k: 1 + k, (0, draw(scalar([8.0]))), absolute=False)
    return nf.design_rho(objective, sigma_a=draw(scalar([1.0])), density=draw(scalar([0.05])),
                         n_points=draw(st.sampled_from([201, 1, 10**8, 2.5]))).residual


CLI_ARGS = {
    "spectrum": [["--rho", "gaussian:-1"], ["--rho", "uniform:8", "--domain", "interval:3,-3"],
                 ["--network", "relu", "--kmax", "-4"], ["--rho", "gaussian:2", "--kmax", "1e9"],
                 ["--rho", "gaussian:2", "--domain", "sphere", "--dim", "0"], ["--points", "0"]],
    "pde": [["--rho", "gaussian:3", "--times", "5,1"], ["--rho", "gaussian:3", "--probes", "nan"],
            ["--rho", "nope"], ["--rho", "gaussian:3", "--dim", "4"], ["--rho", "gaussian:3", "--density", "-1"],
            ["--rho", "gaussian:3", "--target", "file:/nonexistent.py"], ["--rho", "gaussian:3", "--mesh-size", "0"]],
    "run": [["--width", "1000000000"], ["--eta", "100"], ["--rho", "cauchy:0"], ["--config", "/nonexistent.toml"],
            ["--points", "100000000"], ["--steps", "0"], ["--target", "windowed-sines:900"]],
    "design": [["--band", "8,0"], ["--band", "a,b"], ["--points", "5"], ["--objective", "reach"],
               ["--density", "0"], ["--sigma-a", "-2"]],
    "width-study": [["--widths", "10"], ["--seeds", "0"], ["--widths", "x,y"], ["--rho", "uniform:-3"]],
    "reproduce": [["no-such-experiment"], ["--quick", "default", "--out", "/proc/forbidden"]],
}


def e_cli(draw):
    """A subcommand with hostile options: a clean exit (0, or a message and exit 1/2), never a
    traceback."""
    from click.testing import CliRunner

    from ntk_freq.cli import main

    command = draw(st.sampled_from(sorted(CLI_ARGS)))
    args = [command, *draw(st.sampled_from(CLI_ARGS[command])), "--out", "/tmp/ntk-freq-fuzz-never"]
    if command == "reproduce":
        args = args[:-2]
    result = CliRunner().invoke(main, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise RuntimeError(f"traceback from {args}: {result.exception!r}")
    if result.exit_code == 0 and command != "reproduce":
        raise AssertionError(f"hostile options accepted: {args}")
    return None


DATA_SPECS = st.sampled_from(["box:10", "gaussian:3", "pieces:-10,0,10/0.8,0.2", "box:-1", "box:nan",
                              "pieces:0,1/0.5", "gaussian:0", "grid:/nonexistent.csv", "", "box:1e308",
                              "box:3,1", "pieces:-1,0,1/0.5,0.6"])


def e_data_density(draw):
    p = nf.data_density(draw(DATA_SPECS), draw(st.sampled_from([1, 2, 0, None, 2.5])))
    what = draw(st.sampled_from(["pdf", "fourier", "quadrature", "quantiles", "measure"]))
    if what == "pdf":
        return p.pdf(draw(arrays(((4, p.dim),))))
    if what == "fourier":
        return p.fourier(draw(arrays(((3, p.dim),))))
    if what == "quadrature":
        return p.quadrature(draw(st.sampled_from([8, 0, -1, 2.5, 10**12])))
    if what == "quantiles":
        return p.quantile_points(draw(st.sampled_from([8, 0, 10**12])))
    from ntk_freq.data import training_measure

    return training_measure(draw(DATA_SPECS), draw(scalar([10.0])), draw(st.sampled_from([16, 0, 10**9])),
                            layout=draw(st.sampled_from(["quantiles", "weights", "x"]))).coords


def e_target(draw):
    y = nf.target(draw(st.sampled_from(["windowed-sines:2,7;width=1.5", "windowed-sines:", "windowed-sines:nan",
                                        "windowed-sines:2;width=-1", "file:/nonexistent.py", "sines:2", "",
                                        "windowed-sines:1e308", "windowed-sines:2/0;width=1"])),
                  draw(st.sampled_from([1, 2, 0])))
    return y(draw(arrays(((5, y.dim),))))


def e_kernels(draw):
    from ntk_freq import kernels

    rho = nf.distribution(draw(st.sampled_from(["gaussian:2", "uniform:3"])))
    x = draw(arrays(((6, 1),)))
    what = draw(st.sampled_from(["operator", "ff_mlp", "two_layer", "nystrom", "box_quadrature"]))
    if what == "operator":
        return kernels.kernel_operator(rho, draw(scalar([0.5])), draw(st.sampled_from(["full", "x"])),
                                       x=x, weights=draw(st.sampled_from([None, np.ones(6) / 6, -np.ones(6), np.ones(3)]))).lam
    if what == "ff_mlp":
        return kernels.ff_mlp_ntk(x, x, rho, hidden=draw(st.sampled_from([(16,), (), (0,), "8"])),
                                  activation=draw(st.sampled_from(["relu", "erf", "x"])))
    if what == "two_layer":
        return kernels.two_layer_ntk(x, x, draw(st.sampled_from(["relu", "erf", "tanh"])), b_std=draw(scalar([0.0, 0.5])))
    if what == "nystrom":
        nodes, weights = kernels.box_quadrature(-1.0, 1.0, 8)
        return kernels.nystrom_spectrum(lambda a, b: nf.ff_ntk(a, b, rho, sigma_a=0.5), x,
                                        draw(st.sampled_from([weights[:6], -weights[:6], np.ones(6), "w"])))
    return kernels.box_quadrature(draw(scalar([-1.0])), draw(scalar([1.0])), draw(st.sampled_from([4, 0, 2.5, 10**9])))[1]


def e_diagnostics(draw):
    from ntk_freq import diagnostics as dg

    x = draw(arrays(((40, 1),)))
    y = np.sin(3 * np.linspace(-2, 2, 40))
    what = draw(st.sampled_from(["peaks", "delta_f", "filtered", "learning_time"]))
    if what == "peaks":
        return dg.spectral_peaks(y, x, draw(scalar([10.0])), n_peaks=draw(st.sampled_from([3, 0, 2.5])),
                                 order=draw(st.sampled_from(["height", "frequency", "size"])))
    if what == "delta_f":
        return dg.delta_f(np.stack([0 * y, y]), y, x, xi=draw(arrays(((2,),))))
    if what == "filtered":
        return dg.filtered_errors(np.stack([0 * y, y]), y, x, deltas=draw(st.sampled_from([[0.1], [0.0], [-1.0], [np.nan], []])))
    return dg.learning_time(np.array([0.0, 1.0, 2.0]), draw(arrays(((3, 2),))), draw(scalar([0.1])))


def e_problem(draw):
    """The Problem of this wave: hostile fields, test points included."""
    field = draw(st.sampled_from(["n_points", "half_width", "n_xi", "xi_max", "dim", "test", "data"]))
    value = draw(st.sampled_from([0, -1, 2.5, 10**9, float("nan"), "x", None, True, 1e308,
                                  np.zeros((3, 2)), np.full((2, 1), np.nan), [[0.0625]], "box:-1"]))
    return nf.Problem(**{field: value}).record()


def e_learning_curve(draw):
    problem = nf.Problem(network=nf.FourierFeatures(sigma_a=0.5, width=64))
    ds = nf.learning_curve(problem, draw(st.sampled_from([[5, 10], [0], [], [2.5], "10", [10, 10], [10**7]])),
                           ridge=draw(scalar([0.0, 1e-6])), noise=draw(scalar([0.0, 0.1])),
                           draws=draw(st.sampled_from([0, 2, -1, 2.5, True, 10**9])),
                           times=draw(st.sampled_from([None, [1.0, float("inf")], [0.0], [2.0, 1.0], "t"])),
                           bands=draw(st.sampled_from([None, [0, 3, float("inf")], [3, 1], [], "b"])),
                           progress=False)
    return ds.test_error_theory.values


def e_eigenlearning(draw):
    from ntk_freq.generalisation import eigenlearning

    lam = draw(st.sampled_from([[1.0, 0.5], [], [-1.0], [np.nan], [1e308, 1e308], 1.0 / np.arange(1, 60)]))
    power = draw(st.sampled_from([[0.1, 0.2], [1.0], [-0.1, 0.0], [np.inf, 0.0]]))
    return eigenlearning(lam, power, draw(st.sampled_from([4, 0, [1, 2], [np.nan], "4"])),
                         ridge=draw(scalar([0.0, 1e-3])), noise=draw(scalar([0.0])),
                         multiplicity=draw(st.sampled_from([1, 2, 0, [1, 1], 1.5]))).test_error


def e_mlp(draw):
    from ntk_freq.networks import MLP, FourierEmbedding

    embedding = draw(st.sampled_from([None, "powers", "nan", "negative"]))
    if embedding == "powers":
        embedding = FourierEmbedding.powers(draw(st.sampled_from([4, 0, -1])), draw(scalar([1.0, 0.0])))
    elif embedding == "nan":
        embedding = FourierEmbedding([np.nan, 1.0])
    elif embedding == "negative":
        embedding = FourierEmbedding([1.0, 2.0], [-1.0, 1.0])
    net = MLP(hidden=draw(st.sampled_from([(32,), (), (0,), (16, -2), "8"])),
              activation=draw(st.sampled_from(["relu", "erf", "tanh"])),
              parameterization=draw(st.sampled_from(["ntk", "standard", "mup"])),
              w_std=draw(scalar([1.0])), b_std=draw(scalar([0.0, 0.1])), embedding=embedding)
    x = draw(arrays())
    return net.ntk(x, x, None)


def e_sphere_population(draw):
    from ntk_freq.generalisation import sphere_population

    pop = sphere_population(lambda a, b: np.exp(a @ b.T - 1), draw(st.sampled_from([3, 2, 1, 0, 2.5])),
                            lambda x: x[:, 0], kmax=draw(st.sampled_from([6, 0, -1, 10**6, "4"])),
                            test_points=draw(st.sampled_from([50, 1, 0, 10**6])))
    return pop.theory([5]).test_error


def e_open_results(draw):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / draw(st.sampled_from(["r.nc", "p.npz"]))
    path.write_bytes(draw(st.sampled_from([b"", b"CDF\x01garbage", b"PK\x03\x04" + bytes(40),
                                           bytes(range(256)) * 4])))
    return nf.open_results(path)


ENTRY_POINTS = {f.__name__[2:]: f for f in (
    e_cli,
    e_distribution, e_family, e_ff_ntk, e_gram_spectrum, e_periodic_spectrum, e_sphere_spectrum,
    e_fit_decay, e_fourier, e_midpoint_grid, e_windowed_sines, e_kernel_flow, e_pde, e_train,
    e_network, e_compare, e_design,
    e_problem, e_learning_curve, e_eigenlearning, e_mlp, e_sphere_population, e_open_results,
    e_data_density, e_target, e_kernels, e_diagnostics,
)}


def _fuzz(entry: str, data) -> None:
    draws = []

    def draw(strategy):
        value = data.draw(strategy)
        draws.append(value)
        return value

    outcome = classify(lambda: ENTRY_POINTS[entry](draw))
    kind = outcome.split(":")[0]
    assert kind not in ("nonsense", "hang", "obscure"), (entry, outcome, draws)


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data())
def test_fuzz_fast(entry, data):
    _fuzz(entry, data)


@pytest.mark.slow
@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data())
def test_fuzz_thorough(entry, data):
    _fuzz(entry, data)
