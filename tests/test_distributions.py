"""ρ_w: closed-form densities and characteristic functions against independent routes
(quadrature of the density, Monte Carlo of the sampler, the equivalent law written another way)."""

from ntk_freq.distributions._families import _trapezoid_weights
import math

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

import ntk_freq as nf

FAMILIES_1D = ["gaussian:2", "uniform:3", "laplace:1.5", "cauchy:0.8", "student:3,2"]
ALL = FAMILIES_1D + ["0.3*gaussian:1+0.7*laplace:2", "gaussian:0.5@4"]
Z = np.array([0.0, 0.1, 0.4, 1.0, 2.5])


def mc_check(rho, z, n=40_000, seed=0):
    """|mean cos(w·z) − φ(z)| against 5 standard errors of the sample mean, at each z."""
    w = np.asarray(rho.sample(jax.random.PRNGKey(seed), n))
    assert w.shape == (n, rho.dim)
    c = np.cos(z @ w.T)
    err = np.abs(c.mean(axis=1) - rho.char_fn(z))
    tol = 5 * c.std(axis=1) / math.sqrt(n) + 1e-12
    assert np.all(err <= tol), (err, tol)


@pytest.mark.parametrize("spec", ALL)
@pytest.mark.parametrize("dim", [1, 2])
def test_char_fn_matches_monte_carlo_of_samples(spec, dim):
    rho = nf.distribution(spec, dim)
    z = np.random.default_rng(1).normal(size=(6, dim)) * 0.8
    mc_check(rho, z)


@pytest.mark.parametrize("spec", FAMILIES_1D + ["0.3*gaussian:1+0.7*laplace:2", "gaussian:0.5@4"])
def test_char_fn_is_cosine_transform_of_pdf_1d(spec):
    """φ(z) = ∫ ρ(w) cos(wz) dw by adaptive quadrature (QAWF for the oscillatory tail)."""
    rho = nf.distribution(spec)
    for z in Z:
        if z == 0:
            val = integrate.quad(lambda w: rho.pdf(w), -np.inf, np.inf, limit=400)[0]
        else:
            val = 2 * integrate.quad(lambda w: rho.symmetrised_pdf(w), 0, np.inf, weight="cos",
                                     wvar=z, limlst=200)[0]
        assert val == pytest.approx(float(rho.char_fn(z)), abs=2e-7)


@pytest.mark.parametrize("spec", ["gaussian:1.3", "uniform:2", "laplace:0.7"])
def test_separable_pdf_integrates_to_one_in_2d(spec):
    rho = nf.distribution(spec, 2)
    L = rho.support_radius(1e-9)
    mass = integrate.dblquad(lambda y, x: rho.pdf([x, y]), -L, L, -L, L, epsabs=1e-10)[0]
    assert mass == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("spec", ["cauchy:0.9", "student:2.5,1", "gaussian:1.3"])
@pytest.mark.parametrize("dim", [2, 3])
def test_isotropic_pdf_integrates_to_one(spec, dim):
    """Radial integral |S^{d−1}| ∫ ρ(r e₁) r^{d−1} dr over (0, ∞)."""
    rho = nf.distribution(spec, dim)
    area = 2 * math.pi ** (dim / 2) / math.gamma(dim / 2)
    e1 = np.eye(dim)[0]
    mass = area * integrate.quad(lambda r: rho.pdf(r * e1) * r ** (dim - 1), 0, np.inf, limit=200)[0]
    assert mass == pytest.approx(1.0, abs=1e-7)


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_cauchy_is_student_t_with_one_degree_of_freedom(dim):
    xi = np.random.default_rng(2).normal(size=(20, dim)) * 3
    a, b = nf.Cauchy(1.7, dim), nf.StudentT(1.0, 1.7, dim)
    np.testing.assert_allclose(a.pdf(xi), b.pdf(xi), rtol=1e-12)
    np.testing.assert_allclose(a.char_fn(xi), b.char_fn(xi), rtol=1e-10, atol=1e-300)
    assert a.tail(5.0, "2") == pytest.approx(b.tail(5.0, "2"), rel=1e-12)


def test_gaussian_tail_and_support_radius_are_exact():
    rho = nf.Gaussian(2.0, 3)
    r = rho.support_radius(1e-6, "2")
    assert stats.chi2.sf((r / 2.0) ** 2, 3) == pytest.approx(1e-6, rel=1e-6)
    r_inf = rho.support_radius(1e-6, "inf")
    mass_outside = 1 - (1 - 2 * stats.norm.sf(r_inf / 2)) ** 3
    assert mass_outside == pytest.approx(1e-6, rel=1e-6)
    assert nf.Uniform(3.0).support_radius(1e-9) == pytest.approx(3.0, rel=1e-8)


@pytest.mark.parametrize("spec", ["laplace:1", "cauchy:1", "0.5*gaussian:1+0.5*uniform:4@3"])
def test_tail_bounds_hold_against_samples(spec):
    """support_radius(tol) must hold at least 1 − tol of the mass: check the sampled fraction."""
    rho = nf.distribution(spec, 2)
    w = np.asarray(rho.sample(jax.random.PRNGKey(3), 100_000))
    for norm, order in (("inf", np.inf), ("2", 2)):
        r = rho.support_radius(1e-2, norm)
        outside = np.mean(np.linalg.norm(w, ord=order, axis=1) > r)
        assert outside <= 1e-2 + 4 * math.sqrt(1e-2 / 100_000)


def test_shift_char_fn_is_cos_times_base():
    base = nf.Laplace(0.5, 2)
    rho = nf.Shift(base, (3.0, -1.0))
    z = np.random.default_rng(4).normal(size=(10, 2))
    np.testing.assert_allclose(rho.char_fn(z), np.cos(z @ [3.0, -1.0]) * base.char_fn(z), rtol=1e-14)
    mc_check(rho, z)


def test_product_of_1d_laws():
    rho = nf.Product((nf.Gaussian(1.0), nf.Uniform(2.0)))
    xi = np.array([[0.3, 1.5], [0.1, 2.5]])
    np.testing.assert_allclose(rho.pdf(xi), stats.norm.pdf(xi[:, 0]) * np.where(np.abs(xi[:, 1]) <= 2, 0.25, 0))
    mc_check(rho, np.random.default_rng(5).normal(size=(5, 2)))


class TestTabulated:
    def test_gaussian_on_a_grid_reproduces_gaussian(self):
        """Trapezoid char. function error is O(h²z²): h = 0.02, |z| ≤ 2.5 → ≲ 1e-4."""
        g = nf.Gaussian(1.5)
        grid = np.linspace(-12, 12, 1201)
        rho = nf.Tabulated(grid, g.pdf(grid))
        np.testing.assert_allclose(rho.char_fn(Z), g.char_fn(Z), atol=1e-4)
        np.testing.assert_allclose(rho.pdf([0.013, 1.01]), g.pdf([0.013, 1.01]), rtol=1e-4)
        mc_check(rho, Z[:, None])

    def test_2d_sampling_matches_its_char_fn(self):
        axes = (np.linspace(-3, 3, 31), np.linspace(-1, 4, 26))
        X, Y = np.meshgrid(*axes, indexing="ij")
        dens = np.exp(-(X**2) - (Y - 1) ** 2 / 2) * (1 + 0.5 * np.sin(X))
        dens /= np.sum(dens * _trapezoid_weights(axes))
        rho = nf.Tabulated(axes, dens)
        mc_check(rho, np.random.default_rng(6).normal(size=(6, 2)))

    def test_rejects_negative_and_unnormalised(self):
        grid = np.linspace(-1, 1, 11)
        with pytest.raises(ValueError, match="negative"):
            nf.Tabulated(grid, np.full(11, 0.5) - (grid == 0))
        with pytest.raises(ValueError, match="integrates to 2"):
            nf.Tabulated(grid, np.ones(11))
        with pytest.raises(ValueError, match="strictly increasing"):
            nf.Tabulated(grid[::-1], np.full(11, 0.5))

    @pytest.mark.parametrize("suffix", [".csv", ".npz"])
    def test_save_load_round_trip(self, tmp_path, suffix):
        grid = np.linspace(-2, 2, 41)
        rho = nf.Tabulated(grid, nf.Uniform(2.0).pdf(grid))
        path = nf.save_tabulated(tmp_path / f"rho{suffix}", rho)
        back = nf.distribution(f"file:{path}")
        np.testing.assert_allclose(back.pdf(grid), rho.pdf(grid), rtol=1e-12)
        assert not list(tmp_path.glob("*.tmp"))


def test_empirical_kde_is_one_law():
    w = np.asarray(nf.Laplace(1.0).sample(jax.random.PRNGKey(7), 500))
    rho = nf.Empirical(w)
    assert rho.bandwidth > 0
    mc_check(rho, Z[:, None])
    assert integrate.quad(lambda x: rho.pdf(x), -30, 30, limit=500)[0] == pytest.approx(1, abs=1e-6)
    with pytest.raises(ValueError, match="no density"):
        nf.Empirical(w, bandwidth=0.0).pdf(0.0)


class TestSpecs:
    @pytest.mark.parametrize("spec,cls,attrs", [
        ("gaussian:4", nf.Gaussian, {"scale": 4.0}),
        ("uniform:8", nf.Uniform, {"half_width": 8.0}),
        ("laplace:2", nf.Laplace, {"scale": 2.0}),
        ("cauchy:1", nf.Cauchy, {"gamma": 1.0}),
        ("student:3,2", nf.StudentT, {"nu": 3.0, "scale": 2.0}),
    ])
    def test_families(self, spec, cls, attrs):
        rho = nf.distribution(spec, 2)
        assert isinstance(rho, cls) and rho.dim == 2
        assert all(getattr(rho, k) == val for k, val in attrs.items())

    def test_exponent_notation_is_a_number_not_a_mixture(self):
        assert nf.distribution("gaussian:1e+1") == nf.Gaussian(10.0)
        rho = nf.distribution("0.5*gaussian:1e+1+0.5*laplace:2.5e-1")
        assert rho.components == (nf.Gaussian(10.0), nf.Laplace(0.25))

    def test_mixture_and_shift(self):
        rho = nf.distribution("0.25*gaussian:1 + 0.75*uniform:2@5")
        assert isinstance(rho, nf.Mixture) and rho.weights == (0.25, 0.75)
        assert isinstance(rho.components[1], nf.Shift) and rho.components[1].mu == (5.0,)

    @pytest.mark.parametrize("bad,match", [
        ("gauss:4", "unknown distribution 'gauss'.*gaussian:s"),
        ("gaussian:-1", "scale must be a finite number > 0"),
        ("gaussian:0", "scale must be"),
        ("student:3", "student takes 2 parameter"),
        ("uniform:x", "not a number"),
        ("0.5*gaussian:1+0.6*laplace:1", "sum to 1"),
        ("gaussian:nan", "scale must be"),
        ("", "frequency distribution spec"),
    ])
    def test_bad_specs_say_what_is_allowed(self, bad, match):
        with pytest.raises(ValueError, match=match):
            nf.distribution(bad)

    @settings(max_examples=200, deadline=None)
    @given(st.text(alphabet="gausinforxmt:0123456789.,+*@-e ", max_size=30))
    def test_any_string_parses_or_raises_value_error(self, text):
        try:
            rho = nf.distribution(text)
        except ValueError:
            return
        assert isinstance(rho, nf.FrequencyDistribution)


class TestValidation:
    def test_d1_shapes(self):
        """In d = 1, (n,) arrays are n scalar frequencies, n = 1 included; (n, 1) are points."""
        g = nf.Gaussian(1.0)
        assert g.pdf([1.0]).shape == (1,) and g.pdf(1.0).shape == ()
        assert g.pdf([1.0, 2.0]).shape == (2,) and g.pdf(np.ones((3, 1))).shape == (3,)
        assert g.char_fn(np.ones((2, 3))).shape == (2, 3)

    def test_dimension_mismatch_names_the_parameter(self):
        with pytest.raises(ValueError, match="xi has shape \\(4, 3\\).*d = 2"):
            nf.Gaussian(1.0, 2).pdf(np.zeros((4, 3)))

    def test_nan_points(self):
        with pytest.raises(ValueError, match="z contains 1 NaN"):
            nf.Laplace(1.0).char_fn([0.0, np.nan])

    @given(st.floats(max_value=0.0) | st.just(float("nan")) | st.just(float("inf")))
    def test_nonpositive_scales_refused(self, s):
        for cls in (nf.Gaussian, nf.Uniform, nf.Laplace, nf.Cauchy):
            with pytest.raises(ValueError):
                cls(s)

    def test_mixture_dimensions_must_agree(self):
        with pytest.raises(ValueError, match="different dimensions"):
            nf.Mixture((nf.Gaussian(1.0, 1), nf.Gaussian(1.0, 2)), (0.5, 0.5))

    @settings(max_examples=30, deadline=None)
    @given(st.sampled_from(ALL), st.lists(st.floats(-50, 50), min_size=1, max_size=5))
    def test_invariants(self, spec, zs):
        """|φ| ≤ 1, φ(0) = 1, φ even, ρ ≥ 0 and ρ̄ symmetric."""
        rho = nf.distribution(spec)
        z = np.array(zs)
        phi = rho.char_fn(z)
        assert np.all(np.abs(phi) <= 1 + 1e-12)
        np.testing.assert_allclose(rho.char_fn(-z), phi, atol=1e-12)
        assert rho.char_fn(0.0) == pytest.approx(1.0, abs=1e-12)
        assert np.all(rho.pdf(z) >= 0)
        np.testing.assert_allclose(rho.symmetrised_pdf(z), rho.symmetrised_pdf(-z), rtol=1e-12)


@pytest.mark.parametrize("rho,expected", [
    (nf.Gaussian(1.0, 2), True), (nf.Cauchy(1.0, 3), True), (nf.StudentT(3, 1.0, 2), True),
    (nf.Mixture((nf.Gaussian(1.0, 2), nf.Cauchy(2.0, 2)), (0.5, 0.5)), True),
    (nf.Uniform(1.0, 2), False), (nf.Laplace(1.0, 2), False), (nf.Shift(nf.Gaussian(1.0, 2), (2.0, 0.0)), False),
    (nf.Laplace(1.0), True),
])
def test_is_isotropic(rho, expected):
    assert nf.distributions.is_isotropic(rho) is expected


@pytest.mark.parametrize("rho,law", [
    (nf.Gaussian(1.7, 1), lambda r: 2 * __import__("scipy.stats").stats.norm.sf(r / 1.7)),
    (nf.Gaussian(1.7, 3), lambda r: __import__("scipy.stats").stats.chi2.sf((r / 1.7) ** 2, 3)),
    (nf.StudentT(3.0, 0.8, 2), lambda r: __import__("scipy.stats").stats.f.sf(r * r / (2 * 0.64), 2, 3.0)),
    (nf.Cauchy(1.3, 3), lambda r: __import__("scipy.stats").stats.f.sf(r * r / (3 * 1.69), 3, 1)),
])
@pytest.mark.parametrize("r", [0.1, 1.0, 4.0, 30.0])
def test_radial_tails_match_scipy_stats(rho, law, r):
    """The tails use scipy.special (erfc, gammaincc, betainc); scipy.stats' survival functions
    of the same laws are the independent route (agreement to rounding, 1e-12 relative)."""
    norm = "inf" if isinstance(rho, nf.Gaussian) and rho.dim == 1 else "2"
    assert rho.tail(r, norm) == pytest.approx(float(law(r)), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("half_nu", [60.0, 80.0, 120.0])
def test_student_t_char_fn_for_large_nu_matches_the_bessel_form(half_nu):
    """From ν/2 = 60 on φ uses the Debye expansion of K_{ν/2}; where scipy's kve does not
    overflow (u not small) the Bessel form is the independent route: 1e-9 relative."""
    from scipy import special

    u = np.array([2.0, 10.0, 60.0, 200.0])
    z = u / (math.sqrt(2 * half_nu) * 0.7)
    rho = nf.StudentT(2 * half_nu, 0.7)
    bessel = np.exp((1 - half_nu) * math.log(2) - special.gammaln(half_nu) + half_nu * np.log(u)
                    + np.log(special.kve(half_nu, u)) - u)
    np.testing.assert_allclose(rho.char_fn(z), bessel, rtol=1e-9)


def test_student_t_with_huge_nu_is_finite_and_tends_to_the_gaussian():
    """ν = 10⁶: |φ_t − e^{−s²z²/2}| = O(z⁴/ν) ≈ 1e-6 at z ≤ 3 (no overflow, no NaN)."""
    z = np.linspace(0, 3, 7)
    phi = nf.StudentT(1e6, 1.3).char_fn(z)
    assert np.all(np.isfinite(phi))
    np.testing.assert_allclose(phi, np.exp(-(1.3 * z) ** 2 / 2), atol=2e-5)
