"""The plain MLP network objects (ntk_freq.networks.MLP, FourierEmbedding): the embedding's
closed-form kernel against its features, the analytic NTK (neural-tangents) against the
empirical NTK of the finite networks in both parameterisations, raw and embedded, the two
parameterisations' kernels not proportional, validation, records and the Problem."""

import dataclasses
import doctest
import json
import math

import jax
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ntk_freq as nf
from ntk_freq.kernels import empirical_ntk
from ntk_freq.networks import MLP, NETWORKS, FourierEmbedding
from ntk_freq.problem import Problem, Schedule

RHO = nf.distribution("gaussian:3")
RNG = np.random.default_rng(0)


# --- the embedding ---------------------------------------------------------------------------

@pytest.mark.parametrize("emb", [
    FourierEmbedding.powers(8, p=1.0),
    FourierEmbedding.powers(5, p=math.inf),
    FourierEmbedding.powers(3, p=0.5, dim=2),
    FourierEmbedding(RNG.normal(0, 4, (7, 3)), [0.0, 1, 2, 0.5, 3, 0, 1e-3]),
])
def test_closed_form_embedding_kernel_is_the_dot_product_of_the_features(emb):
    x1, x2 = RNG.uniform(-3, 3, (9, emb.dim)), RNG.uniform(-3, 3, (6, emb.dim))
    g1, g2 = emb(x1), emb(x2)
    assert g1.shape == (9, emb.n_features) and g1.dtype == np.float64
    np.testing.assert_allclose(emb.kernel(x1, x2), g1 @ g2.T, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.sum(g1**2, axis=1), 1.0, rtol=0, atol=1e-12)  # ‖γ(x)‖ = 1


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-10, 10), min_size=1, max_size=6),
       st.lists(st.floats(0, 5), min_size=6, max_size=6), st.floats(-3, 3), st.floats(-3, 3))
def test_embedding_kernel_any_frequencies(freqs, amps, x1, x2):
    amps = amps[:len(freqs)]
    if not any(a > 0 for a in amps):
        amps[0] = 1.0
    emb = FourierEmbedding(freqs, amps)
    w = [a / max(amps) for a in amps]  # (tiny amplitudes: their squares would underflow)
    expected = sum(a**2 * math.cos(2 * math.pi * b * (x1 - x2)) for a, b in zip(w, freqs))
    expected /= sum(a**2 for a in w)
    assert abs(emb.kernel([x1], [x2])[0, 0] - expected) <= 1e-12
    assert abs((emb([x1]) @ emb([x2]).T)[0, 0] - expected) <= 1e-12


def test_powers_conventions():
    emb = FourierEmbedding.powers(4, p=2.0)
    assert emb.frequencies == (1.0, 2.0, 3.0, 4.0) and emb.amplitudes == (1.0, 0.25, 1 / 9, 1 / 16)
    one = FourierEmbedding.powers(4, p=math.inf)  # only b = 1: γ(x)·γ(x') = cos(2π(x − x'))
    assert one.amplitudes == (1.0, 0.0, 0.0, 0.0)
    np.testing.assert_allclose(one.kernel([0.3], [0.05]), [[math.cos(2 * math.pi * 0.25)]], atol=1e-15)
    two = FourierEmbedding.powers(2, p=1.0, dim=2)  # axis-aligned j·e_i
    assert two.frequencies == ((1.0, 0.0), (2.0, 0.0), (0.0, 1.0), (0.0, 2.0))
    assert two.amplitudes == (1.0, 0.5, 1.0, 0.5) and two.dim == 2 and two.n_features == 8
    # a (J, 1) array is the d = 1 embedding of shape (J,): one object, one record
    assert FourierEmbedding([[1.0], [2.0]]) == FourierEmbedding([1.0, 2.0], [1, 1])


def test_embedding_is_hashable_and_its_record_is_json():
    emb = FourierEmbedding.powers(3, p=1.0, dim=2)
    assert hash(emb) == hash(FourierEmbedding.powers(3, p=1.0, dim=2))
    asdict = json.loads(json.dumps(dataclasses.asdict(emb)))  # tuples: JSON-able as they are
    assert asdict == {k: val for k, val in emb.record().items() if k != "class"}
    record = json.loads(json.dumps(emb.record()))
    assert record == emb.record() and FourierEmbedding.from_record(record) == emb


# --- analytic NTK against the finite networks ------------------------------------------------

#: (network, widths): each case once in each parameterisation, raw and embedded, with biases
#: and two hidden layers of unequal widths (the standard kernel depends on each width).
CASES = {
    "ntk-raw": MLP(hidden=(2048,), w_std=1.4, b_std=0.5, dtype="float64"),
    "standard-raw": MLP(hidden=(1024, 2048), w_std=1.4, b_std=0.5, parameterization="standard",
                        dtype="float64"),
    "ntk-embedding": MLP(hidden=(1024, 1024), activation="erf", b_std=0.2, dtype="float64",
                         embedding=FourierEmbedding.powers(6, p=1.0)),
    "standard-embedding": MLP(hidden=(2048,), parameterization="standard", dtype="float64",
                              embedding=FourierEmbedding.powers(6, p=0.5)),
}
X = np.linspace(-1.0, 1.0, 7)
N_DRAWS = 4
#: Tolerance constant: a width-n network's empirical NTK fluctuates around the infinite-width
#: kernel by c/√n of its scale per draw (c = O(1), set by depth and activation; measured here
#: entrywise up to c ≈ 6), so the mean of S draws misses it by about c/√(S·n). The finite-width
#: bias, O(1/n), is below that. We allow C/√(S·n_min) of max|Θ| with C = 5; measured (fixed
#: seeds): 1.1–2.1/√(S·n) with S = 4, and 0.6–1.6/√(S·n) with S = 16 (the error falls like
#: 1/√S: no bias). A wrong kernel (no biases, another activation) misses by more than 2·C/√(S·n):
#: checked below, so the tolerance does discriminate.
C_MC = 5.0


@pytest.mark.parametrize("name", CASES)
def test_ntk_is_the_limit_of_the_empirical_ntk(name):
    net = CASES[name]
    exact = net.ntk(X, X, RHO)
    finite = net.finite(RHO)
    draws = np.array([empirical_ntk(finite, finite.init(jax.random.PRNGKey(s)), X)
                      for s in range(N_DRAWS)])
    scale = np.abs(exact).max()
    tol = C_MC * scale / math.sqrt(N_DRAWS * min(net.hidden))
    error = np.abs(draws.mean(axis=0) - exact).max()
    assert error <= tol, (name, error / scale, tol / scale)
    # the draws do fluctuate at the 1/√width scale (the test could fail), and the tolerance is
    # well below what the kernel without the biases (or with another activation) would miss by
    spread = draws.std(axis=0, ddof=1).max() / scale
    assert 0.1 / math.sqrt(min(net.hidden)) < spread < 10 / math.sqrt(min(net.hidden)), spread
    other = dataclasses.replace(net, b_std=0.0) if net.b_std > 0 else dataclasses.replace(
        net, activation="erf" if net.activation == "relu" else "relu")
    assert np.abs(draws.mean(axis=0) - other.ntk(X, X, RHO)).max() > 2 * tol


def test_finite_network_starts_at_zero_with_the_embedding_frozen():
    net = MLP(hidden=(16, 8), embedding=FourierEmbedding.powers(3, p=1.0))
    f = net.finite(None)
    params = f.init(jax.random.PRNGKey(1))
    assert np.all(np.asarray(f.apply(params, X[:, None].astype(np.float32))) == 0.0)
    assert params["plus"]["V0"].dtype == np.float32 and params["plus"]["B"].shape == (3, 1)
    assert set(f.trainable) == {"V0", "V1", "V2"}  # no biases (b_std = 0), B and a frozen
    n_trained = sum(params["plus"][k].size + params["minus"][k].size for k in f.trainable)
    assert n_trained == net.n_params(1)
    biased = MLP(hidden=(4096,), w_std=1.5, b_std=0.1, parameterization="standard").finite(RHO)
    assert set(biased.trainable) == {"V0", "c0", "V1", "c1"}
    p = biased.init(jax.random.PRNGKey(0))["plus"]  # standard: V ~ N(0, σ_w²/fan-in), c ~ N(0, σ_b²)
    np.testing.assert_allclose([np.std(p["V0"]), np.std(p["c0"]) / 0.1, np.std(p["V1"]) * 64],
                               1.5 * np.array([1.0, 1 / 1.5, 1.0]), rtol=0.05)


# --- the two parameterisations are different kernels ------------------------------------------

@pytest.mark.parametrize("kw, x", [
    (dict(hidden=(256,), b_std=0.5), np.linspace(0.2, 2.0, 6)),           # a bias
    (dict(hidden=(256, 256), activation="erf"), np.linspace(0.2, 2.0, 6)),  # two layers
    (dict(hidden=(256,)), RNG.normal(size=(6, 2))),                        # relu in d = 2
    (dict(hidden=(256,), embedding=FourierEmbedding.powers(4, p=1.0)), np.linspace(0.1, 0.9, 6)),
])
def test_standard_and_ntk_kernels_are_not_proportional(kw, x):
    ntk, std = MLP(**kw).ntk(x, x, None), MLP(parameterization="standard", **kw).ntk(x, x, None)
    ratio = std / ntk
    assert np.all(np.isfinite(ratio))
    assert np.ptp(ratio) > 0.05 * np.abs(ratio).mean(), ratio
    # and the standard kernel grows with the widths where the ntk one does not
    wide = dict(kw, hidden=tuple(2 * h for h in kw["hidden"]))
    np.testing.assert_allclose(MLP(**wide).ntk(x, x, None), ntk, rtol=1e-12)
    assert np.all(np.diag(MLP(parameterization="standard", **wide).ntk(x, x, None)) > 1.5 * np.diag(std))


def test_bias_free_relu_kernels_on_a_line_are_proportional():
    """The exception: a bias-free relu network is positively homogeneous, so on same-sign points
    of a line both kernels are |x||x'| times a constant (256·(1/2) + 1/2 over 1 here)."""
    x = np.linspace(0.2, 2.0, 5)
    ratio = MLP(hidden=(256,), parameterization="standard").ntk(x, x, None) / MLP(hidden=(256,)).ntk(x, x, None)
    np.testing.assert_allclose(ratio, 128.5, rtol=1e-8)


# --- validation ----------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 10), min_size=1, max_size=5), st.floats(-1e300, -1e-300))
def test_negative_amplitudes_are_refused(amps, negative):
    amps = amps + [negative]
    with pytest.raises(ValueError, match="amplitudes must be >= 0"):
        FourierEmbedding(np.arange(1.0, len(amps) + 1), amps)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-10, 10), min_size=0, max_size=4),
       st.sampled_from([math.nan, math.inf, -math.inf]))
def test_non_finite_frequencies_are_refused(freqs, bad):
    with pytest.raises(ValueError, match="frequencies contains"):
        FourierEmbedding(freqs + [bad])


@settings(max_examples=30, deadline=None)
@given(st.text(max_size=12).filter(lambda s: s not in ("ntk", "standard")))
def test_bad_parameterization_is_refused(name):
    with pytest.raises(ValueError, match="parameterization must be one of"):
        MLP(parameterization=name)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 64), max_size=3), st.integers(max_value=0), st.integers(0, 3))
def test_non_positive_hidden_widths_are_refused(widths, bad, at):
    widths.insert(min(at, len(widths)), bad)
    with pytest.raises(ValueError, match="hidden must be an integer >= 1"):
        MLP(hidden=tuple(widths))


@pytest.mark.parametrize("kw, error, match", [
    (dict(hidden=()), ValueError, "at least one hidden layer"),
    (dict(hidden=512), TypeError, "hidden must be a tuple"),
    (dict(hidden=(8.5,)), TypeError, "hidden must be an integer"),
    (dict(activation="tanh"), ValueError, "activation must be one of"),
    (dict(w_std=0.0), ValueError, "w_std"),
    (dict(b_std=-1.0), ValueError, "b_std"),
    (dict(embedding=(1.0, 2.0)), TypeError, "embedding must be None or a"),
    (dict(dtype="float16"), ValueError, "dtype must be one of"),
])
def test_bad_networks_are_refused(kw, error, match):
    with pytest.raises(error, match=match):
        MLP(**kw)


@pytest.mark.parametrize("args, error, match", [
    (([],), ValueError, "frequencies must be J >= 1"),
    (([[]],), ValueError, "frequencies must be J >= 1"),
    (("1,2",), TypeError, "frequencies must be numbers"),
    (([1.0, 2.0], [1.0]), ValueError, "amplitudes must have shape \\(2,\\)"),
    (([1.0, 2.0], [0.0, 0.0]), ValueError, "not all 0"),
    (([1.0], [math.nan]), ValueError, "amplitudes contains"),
])
def test_bad_embeddings_are_refused(args, error, match):
    with pytest.raises(error, match=match):
        FourierEmbedding(*args)


def test_bad_powers_and_dimension_mismatches_are_refused():
    for p in (math.nan, -math.inf):
        with pytest.raises(ValueError, match="p must be"):
            FourierEmbedding.powers(3, p)
    with pytest.raises(ValueError, match="n_frequencies"):
        FourierEmbedding.powers(0, 1.0)
    net = MLP(hidden=(8,), embedding=FourierEmbedding.powers(3, 1.0))
    with pytest.raises(ValueError, match=r"shape \(n, 1\)"):
        net.ntk(np.zeros((2, 2)), np.zeros((2, 2)), None)
    with pytest.raises(ValueError, match="embedding's frequencies are in d = 1"):
        net.finite(nf.distribution("gaussian:3", 2))
    with pytest.raises(TypeError, match="needs the input dimension"):
        MLP(hidden=(8,)).finite(None)
    with pytest.raises(NotImplementedError, match="no frequency PDE"):
        net.solve_pde(RHO, 0.05)


# --- records and the problem ---------------------------------------------------------------

def test_problem_takes_an_mlp_and_records_it_as_json():
    assert NETWORKS["mlp"] is MLP and "fourier-features" in NETWORKS
    net = MLP(hidden=(16,), parameterization="standard", b_std=0.1,
              embedding=FourierEmbedding.powers(4, p=1.0))
    p = Problem(network=net, schedule=Schedule(eta=0.01, steps=10, n_snapshots=3), n_points=80)
    record = p.record()
    assert json.loads(json.dumps(record)) == record
    assert record["network"]["class"] == "MLP" and record["network"]["hidden"] == [16]
    assert FourierEmbedding.from_record(record["network"]["embedding"]) == net.embedding
    assert hash(p) == hash(Problem(network=net, schedule=Schedule(eta=0.01, steps=10, n_snapshots=3),
                                   n_points=80))
    q = p.replace(parameterization="ntk", hidden=(8, 8))
    assert q.network == dataclasses.replace(net, parameterization="ntk", hidden=(8, 8))
    assert isinstance(p.replace(network="mlp").network, MLP)
    op = p.network.kernel_operator(p.rho_w, p.measure.coords, p.weights)
    assert op.lam.shape == (80,) and op.lam.max() > 0
    with pytest.raises(ValueError, match=r"covers d in \[1\]"):  # a 1-D embedding in d = 2
        Problem(network=net, dim=2, rho="gaussian:3", target="windowed-sines:2/0;width=1.5")
    assert Problem(network=MLP(hidden=(8,)), dim=2, rho="gaussian:3",
                   target="windowed-sines:2/0;width=1.5").network.dims == (1, 2, 3)


def test_finite_mlp_on_an_embedding_trains_in_float32():
    from ntk_freq.training import train

    net = MLP(hidden=(64,), b_std=0.2, embedding=FourierEmbedding.powers(4, p=1.0))
    x = np.linspace(-1, 1, 12)[:, None]
    y = np.sin(2 * np.pi * x[:, 0])
    f = net.finite(RHO)
    eta = 0.5 * net.kernel_operator(RHO, x).stability_limit
    result = train(f, f.init(jax.random.PRNGKey(0)), x, y=y, eta=eta, times=eta * np.arange(0, 21, 10),
                   dtype=net.dtype, progress=False, regime=False)
    np.testing.assert_allclose(result.u[0], -y, atol=1e-6)  # f₀ ≡ 0
    assert result.params["plus"]["B"].dtype == np.float32  # the frozen embedding, cast and kept
    np.testing.assert_array_equal(result.params["plus"]["B"], np.arange(1.0, 5.0)[:, None])
    assert result.loss[-1] < 0.5 * result.loss[0]


def test_docstring_examples_run():
    import ntk_freq.networks._mlp as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0, result
