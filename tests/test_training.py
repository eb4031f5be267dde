"""Training against independent routes: the trained wide network vs the discrete kernel map and
the exact flow, the flow vs the map as η shrinks, and the bad-input guards.

Expected errors (stated where used): a network of width m differs from its infinite-width kernel
dynamics by O(1/√m) (docs/theory.md); on the problem below, measured ‖u_nn − u_gd‖/‖y‖ ≈ 0.3/√m.
"""

import jax
import numpy as np
import optax
import pytest
from hypothesis import given, settings, strategies as st

import ntk_freq  # noqa: F401
import ntk_freq.mlp
import ntk_freq.models
from ntk_freq.kernels import _operator as kop
from ntk_freq.training import _train as tr
from ntk_freq.distributions._spec import distribution
from ntk_freq.data._fourier import midpoint_grid
from ntk_freq.kernels._closed_form import empirical_ntk, ff_ntk
from ntk_freq._nn.models import ff_network, ff_mlp_network, split

RHO = distribution("gaussian:2")
SIGMA_A = 0.5
X, _ = midpoint_grid(4.0, 48, 1)
Y = np.exp(-X[:, 0] ** 2 / 2) * np.sin(2 * X[:, 0])
THETA = ff_ntk(X, X, RHO, sigma_a=SIGMA_A)
ETA = 0.2  # 2/λ_max = 4.38 for this kernel
STEPS = np.array([0, 50, 100])
TIMES = ETA * STEPS


def _train(width, seed=0, **kw):
    net = ff_network(RHO, SIGMA_A, width, part=kw.pop("part", "full"))
    return net, tr.train(net, net.init(jax.random.PRNGKey(seed)), X, y=Y, eta=kw.pop("eta", ETA),
                         times=kw.pop("times", TIMES), progress=False, **kw)


@pytest.fixture(scope="module")
def wide():
    return _train(2048)


def test_wide_network_follows_the_discrete_kernel_map(wide):
    """Expected gap 0.3/√2048 ≈ 0.007 of ‖y‖; tolerance 0.03 (4x)."""
    u_gd = kop.kernel_gd(THETA, -Y, ETA, steps=STEPS)
    _, fit = wide
    assert np.allclose(fit.u[0], -Y)  # doubling: f₀ ≡ 0
    assert np.linalg.norm(fit.u[-1] - u_gd[-1]) / np.linalg.norm(Y) < 0.03


def test_wide_network_follows_the_flow_at_small_eta(wide):
    """Flow vs map differ by O(η) ≈ 0.5% here; same finite-width tolerance as above."""
    u_flow = kop.kernel_flow(THETA, -Y, TIMES)
    _, fit = wide
    assert np.linalg.norm(fit.u[-1] - u_flow[-1]) / np.linalg.norm(Y) < 0.03


def test_loss_is_monotone_at_a_stable_eta(wide):
    _, fit = wide
    assert np.all(np.diff(fit.loss) <= 1e-12 * fit.loss[0])
    assert fit.loss[-1] < 0.5 * fit.loss[0]
    assert fit.loss.shape == (STEPS[-1] + 1,)


def test_flow_vs_gd_gap_shrinks_linearly_with_eta():
    """u_gd − u_flow at fixed t is first order in η: halving η halves the gap (±15%)."""
    t = 20.0
    gaps = []
    for eta in (0.4, 0.2, 0.1):
        k = round(t / eta)
        gaps.append(np.linalg.norm(kop.kernel_gd(THETA, -Y, eta, steps=[k])[0]
                                   - kop.kernel_flow(THETA, -Y, [t])[0]))
    ratios = np.array([gaps[0] / gaps[1], gaps[1] / gaps[2]])
    assert np.all((ratios > 1.7) & (ratios < 2.3)), ratios


def test_power_iteration_matches_the_empirical_ntk_from_neural_tangents():
    """λ_max of J Jᵀ/N by JVPs vs eigvalsh of the neural-tangents empirical NTK (1e-6)."""
    net = ff_network(RHO, SIGMA_A, 300)
    p = net.init(jax.random.PRNGKey(3))
    lam_nt = np.linalg.eigvalsh(empirical_ntk(net, p, X, x2=X))[-1] / len(X)
    with jax.enable_x64(True):  # a helper of training: it computes in the caller's mode
        assert tr.empirical_lambda_max(net, p, jax.numpy.asarray(X), iterations=300) == pytest.approx(lam_nt, rel=1e-6)


def test_float32_matches_float64():
    """Same network and data: float32 rounding (1e-7) amplified by 100 steps stays below 1e-4."""
    _, f64 = _train(256)
    _, f32 = _train(256, dtype="float32")
    assert np.max(np.abs(f32.u - f64.u)) < 1e-4 * np.max(np.abs(Y))


def test_same_seed_same_numbers_and_frozen_parts_stay_put():
    net, a = _train(128, seed=5, part="readout")
    _, b = _train(128, seed=5, part="readout")
    np.testing.assert_array_equal(a.u, b.u)
    w0 = net.init(jax.random.PRNGKey(5))["plus"]["W"]
    np.testing.assert_array_equal(a.params["plus"]["W"], w0)
    # y is odd, so only the sine readout b moves (the cosine gradient vanishes by symmetry)
    assert not np.allclose(a.params["plus"]["b"], net.init(jax.random.PRNGKey(5))["plus"]["b"])


def test_optax_optimiser_and_multilayer_network_train():
    net = ff_mlp_network(RHO, 64, hidden=(32,))
    fit = tr.train(net, net.init(jax.random.PRNGKey(0)), X, y=Y, eta=1.0, times=[0.0, 200.0],
                   optimizer=optax.adam(3e-3), progress=False)
    assert np.isnan(fit.max_stable_eta)
    assert fit.loss[-1] < 0.2 * fit.loss[0]


# --- bad input -------------------------------------------------------------------------------


def test_eta_above_the_stability_limit_is_refused_before_training():
    limit = kop.stability_limit(THETA)
    with pytest.raises(ValueError, match=r"eta = .* stability limit 2/λ_max"):
        _train(2048, eta=1.2 * limit, times=[0.0, 1.2 * limit])


def test_divergence_is_detected_with_the_step_and_the_stable_eta():
    """An optimiser with no kernel check (plain SGD through optax, step 50) blows up."""
    with pytest.raises(tr.TrainingDiverged, match=r"diverged at step \d+"):
        _train(64, eta=1.0, times=[0.0, 100.0], optimizer=optax.sgd(50.0))


def test_divergence_criteria():
    assert tr._diverged_at(np.array([1.0, 0.5, np.nan]), 1.0, 5) == 2
    assert tr._diverged_at(np.array([1.0, 3.0, 11.0]), 1.0, 5) == 2
    rising = np.array([1.0, 0.1, 0.2, 0.3, 0.4])
    assert tr._diverged_at(rising, 1.0, 3) == 4
    assert tr._diverged_at(rising, 1.0, 4) is None


def test_width_times_points_that_cannot_fit_is_refused():
    net = ff_network(RHO, SIGMA_A, 2_000_000)
    x = np.linspace(-1, 1, 200_000)
    with pytest.raises(MemoryError, match="training step"):
        tr.train(net, net.init(jax.random.PRNGKey(0)), x, y=np.sin(x), eta=1e-3, times=[0.0, 1e-3],
                 progress=False)


def test_snapshot_times_off_the_eta_grid_are_refused():
    with pytest.raises(ValueError, match=r"t = 0\.25 is not a multiple of eta = 0\.2"):
        tr.snapshot_steps([0.0, 0.25], 0.2)
    with pytest.raises(ValueError, match="sorted"):
        tr.snapshot_steps([0.4, 0.2], 0.2)


@settings(max_examples=40, deadline=None)
@given(eta=st.floats(1e-4, 10.0), k=st.lists(st.integers(0, 10_000), min_size=1, max_size=6))
def test_snapshot_steps_roundtrip(eta, k):
    k = np.sort(k)
    np.testing.assert_array_equal(tr.snapshot_steps(eta * k, eta), k)


@settings(max_examples=40, deadline=None)
@given(eta=st.floats(1e-3, 10.0), k=st.integers(0, 1000), frac=st.floats(0.01, 0.99))
def test_snapshot_steps_refuse_fractions(eta, k, frac):
    with pytest.raises(ValueError, match="not a multiple of eta"):
        tr.snapshot_steps([(k + frac) * eta], eta)


@settings(max_examples=20, deadline=None)
@given(bad=st.sampled_from([0.0, -1.0, float("nan"), float("inf")]))
def test_bad_eta_is_named(bad):
    with pytest.raises(ValueError, match="eta"):
        tr.snapshot_steps([0.0], bad)


def test_bad_dtype_and_network_type():
    net = ff_network(RHO, SIGMA_A, 8)
    with pytest.raises(ValueError, match="dtype"):
        tr.train(net, net.init(jax.random.PRNGKey(0)), X, y=Y, eta=ETA, times=TIMES, dtype="float16")
    with pytest.raises(TypeError, match="network"):
        tr.train((net.init, net.apply), None, X, y=Y, eta=ETA, times=TIMES)
    with pytest.raises(ValueError, match="y has 3 values"):
        tr.train(net, net.init(jax.random.PRNGKey(0)), X, y=Y[:3], eta=ETA, times=TIMES)


@pytest.mark.slow
def test_network_kernel_gap_shrinks_like_one_over_sqrt_width():
    """rms gap over 4 seeds at m = 256 … 16384; fitted exponent −1/2 ± 0.15."""
    u_gd = kop.kernel_gd(THETA, -Y, ETA, steps=STEPS)[-1]
    widths = np.array([256, 1024, 4096, 16384])
    rms = []
    for m in widths:
        g = [np.linalg.norm(_train(int(m), seed=s)[1].u[-1] - u_gd) for s in range(4)]
        rms.append(np.sqrt(np.mean(np.square(g))))
    slope = np.polyfit(np.log(widths), np.log(rms), 1)[0]
    assert -0.65 < slope < -0.35


def test_split_keeps_only_trainable_entries():
    net = ff_network(RHO, SIGMA_A, 4, part="frequency")
    theta, frozen = split(net.init(jax.random.PRNGKey(0)), net.trainable)
    assert set(theta["plus"]) == {"W"} and set(frozen["plus"]) == {"a", "b"}


@pytest.mark.parametrize("make", [
    lambda seed: ntk_freq.models.two_layer_network(1, 32, "erf", b_std=0.1),
    lambda seed: ntk_freq.mlp.mlp_network(1, (16, 16), "tanh"),
    lambda seed: ff_mlp_network(distribution(f"gaussian:{1 + seed}"), 16, (16,), activation="relu"),
], ids=["two-layer", "mlp", "ff-mlp"])
def test_networks_of_one_configuration_share_their_compilations(make):
    """A second network object of the same configuration and shapes (another ρ_w or seed)
    trains without a single XLA compilation: its apply function is the same object."""
    compiles = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda name, _secs, **_kw: compiles.append(name) if name.endswith("backend_compile_duration") else None)
    x = np.linspace(-1, 1, 24)[:, None]
    y = np.sin(2 * x[:, 0])

    def run(seed):
        net = make(seed)
        assert net.apply is make(seed + 1).apply
        tr.train(net, net.init(jax.random.PRNGKey(seed)), x, y=y, eta=0.1, times=[0.0, 1.0, 2.0],
                 progress=False)

    run(0)
    before = len(compiles)
    run(1)
    assert len(compiles) == before, compiles[before:]
