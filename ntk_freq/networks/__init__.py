"""Network objects of a :class:`ntk_freq.Problem` (:class:`FourierFeatures`,
:class:`DeepFourierFeatures`, :class:`MLP` on raw inputs or a fixed :class:`FourierEmbedding`):
each gives the finite network (init, apply), its exact NTK for any ρ_w and (the Fourier-feature
networks) its frequency PDE's coefficients; the finite networks as pure JAX functions (one
MLP), and the hand-written derivatives of the FF-NN.

Every name loads its private module on first use."""

from ntk_freq._util.facade import lazy_facade

#: public name -> the private module it lives in
_HOMES = {
    **dict.fromkeys(["mlp_network", "mlp_ntk"], "ntk_freq._nn.mlp"),
    **dict.fromkeys(
        ["ACTIVATIONS", "Network", "ff_mlp_network", "ff_network", "two_layer_network"],
        "ntk_freq._nn.models",
    ),
    **dict.fromkeys(
        ["DTYPES", "DeepFourierFeatures", "FourierFeatures", "NETWORKS", "PDECoefficients"],
        "ntk_freq.networks._fourier_features",
    ),
    **dict.fromkeys(["FourierEmbedding", "MLP"], "ntk_freq.networks._mlp"),
}

__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_facade(__name__, _HOMES)
