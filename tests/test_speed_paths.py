"""The fast paths against the routes they replace, and start-up without JAX.

- ff_ntk on 1-D uniform grids (φ_w evaluated once per lag, Toeplitz rows) vs φ_w evaluated on
  every pairwise difference: the lags differ from the pairwise differences by rounding only,
  so 1e-12 of the kernel's scale.
- the distinct modes of an n-point periodic grid (vectorised classes {±k mod n}) vs the
  definition applied mode by mode.
- `ntk_freq` and the CLI's help never import JAX; float64 is on whichever is imported first.
- the BLAS thread count: the override, and always within [1, cores].
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ntk_freq as nf
from ntk_freq._util.validation import PARTS
from ntk_freq._util import threads as _threads
from ntk_freq.kernels import _closed_form as kernels, _spectra as spectra


@settings(max_examples=25, deadline=None)
@given(n1=st.integers(2, 60), n2=st.integers(2, 60), h=st.floats(1e-3, 0.5),
       a1=st.floats(-5, 5), shift=st.integers(-30, 30), part=st.sampled_from(PARTS),
       rho=st.sampled_from([nf.Gaussian(3.0), nf.Laplace(2.0), nf.Uniform(4.0)]))
def test_ff_ntk_on_uniform_grids_is_the_pairwise_kernel(n1, n2, h, a1, shift, part, rho):
    x1 = (a1 + h * np.arange(n1))[:, None]
    x2 = (a1 + h * (shift + np.arange(n2)))[:, None]
    assert kernels.uniform_spacing(x1) is not None and kernels.uniform_spacing(x2) is not None
    phi = rho.char_fn(x1[:, None, :] - x2[None, :, :])
    weight = {"full": 1 + 0.49 * x1 @ x2.T, "readout": 1.0, "frequency": 0.49 * x1 @ x2.T}[part]
    reference = phi * weight
    ours = kernels.ff_ntk(x1, x2, rho, sigma_a=0.7, part=part)
    assert ours.shape == (n1, n2)
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-12 * max(1.0, np.abs(reference).max()))


def test_scattered_points_take_the_pairwise_route():
    x = np.sort(np.random.default_rng(0).uniform(-2, 2, 50))[:, None]
    assert kernels.uniform_spacing(x) is None
    rho = nf.Gaussian(2.0)
    np.testing.assert_allclose(kernels.ff_ntk(x, x, rho, sigma_a=0.5),
                               rho.char_fn(x[:, None, :] - x[None, :, :]) * (1 + 0.25 * x @ x.T),
                               rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("dim, kmax, n", [(1, 8, 16), (2, 4, 8), (2, 3, 7), (3, 2, 4)])
def test_distinct_grid_modes_are_one_per_class(dim, kmax, n):
    k = spectra.half_lattice(kmax, dim)
    seen, expected = set(), []
    for kk in k:  # the definition: keep the first of each class {k, −k} mod n
        key = min(tuple(kk % n), tuple(-kk % n))
        if key not in seen:
            seen.add(key)
            expected.append(kk)
    np.testing.assert_array_equal(spectra._distinct_grid_modes(k, n), np.array(expected))


def _fresh(code: str, **env) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, **env})
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_help_never_imports_jax_and_the_import_leaves_jax_alone_in_either_order():
    code = ("import sys, json\nfrom click.testing import CliRunner\nfrom ntk_freq.cli import main\n"
            "r = [CliRunner().invoke(main, a) for a in (['--help'], ['run', '--help'], ['pde', '--help'])]\n"
            "print(json.dumps([[x.exit_code for x in r], 'jax' in sys.modules]))")
    codes, jax_loaded = _fresh(code)
    assert codes == [0, 0, 0] and not jax_loaded
    for first in ("import ntk_freq, jax", "import jax, ntk_freq"):
        for env, dtype in (("0", "float32"), ("1", "float64")):  # the user's setting stays
            assert _fresh(f"{first}, json; import jax.numpy as jnp; "
                          "print(json.dumps(str(jnp.zeros(1).dtype)))", JAX_ENABLE_X64=env) == dtype


@settings(max_examples=20, deadline=None)
@given(forced=st.integers(1, 64))
def test_blas_thread_override_and_bounds(forced):
    old = os.environ.get(_threads.ENV)
    try:
        os.environ[_threads.ENV] = str(forced)
        assert _threads.blas_thread_count() == forced
        del os.environ[_threads.ENV]
        assert _threads.blas_thread_count() in range(1, os.cpu_count() + 1)
        os.environ[_threads.ENV] = "two"
        with pytest.raises(ValueError, match="NTK_FREQ_BLAS_THREADS must be a positive integer"):
            _threads.blas_thread_count()
    finally:
        os.environ.pop(_threads.ENV, None)
        if old is not None:
            os.environ[_threads.ENV] = old
