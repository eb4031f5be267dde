"""Finite networks as pure JAX functions, ``init(key) -> params`` and ``apply(params, x)``: the
doubling (f₀ ≡ 0), the FF-NN with its hand-written derivatives, two-layer networks, one MLP; the
network objects of :mod:`ntk_freq.networks` build them."""
