"""Import of networks trained elsewhere: Yin et al.'s PyTorch state dicts (numpy only).

Yin et al.'s scripts (byin-cwi/Efficient-spiking-networks) name the layers ``i2h``, ``h2h``,
``h2o`` (``torch.nn.Linear``, each with a bias) and the time constants ``tau_m_h``, ``tau_adp_h``,
``tau_m_o`` in milliseconds. The import maps them onto :class:`SRNNParameters`: the two hidden biases
add up, the readout keeps ``tau_m_o``. Their ECG script differs from the seed's definition in ways
the import cannot carry (its output layer is an adaptive *spiking* neuron whose membrane is read out,
its hidden layer runs with ``beta = 0``, and its state starts from small random values), so an
imported ECG checkpoint is an approximation of the original network; the seed's notes record that
the shipped ECG checkpoint did not reproduce its accuracy even with the repository's own equations.
"""
import numpy as np
from brian2 import ms, second

from .parameters import SRNNParameters

__all__ = ["YIN_KEYS", "parameters_from_yin_state_dict"]

YIN_KEYS = ("i2h.weight", "i2h.bias", "h2h.weight", "h2h.bias", "h2o.weight", "h2o.bias", "tau_m_h", "tau_adp_h",
            "tau_m_o")


def _array(value):
    if hasattr(value, "detach"):  # a torch tensor, without importing torch here
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def parameters_from_yin_state_dict(state_dict, b0=0.01, beta=1.8, step=1 * ms):
    """:class:`SRNNParameters` from a Yin et al. style state dict (tensors or arrays).

    Parameters
    ----------
    state_dict : mapping
        Must hold :data:`YIN_KEYS` (a ``"model"`` or ``"state_dict"`` entry holding them is unwrapped).
    b0, beta : float
        Their constants (0.01 and 1.8; their ECG script runs the hidden layer with ``beta = 0``).
    step : brian2.Quantity
        Their time step (1 ms).

    Raises
    ------
    KeyError
        Naming the missing keys.
    """
    for wrapper in ("model", "state_dict"):
        if wrapper in state_dict and isinstance(state_dict[wrapper], dict):
            state_dict = state_dict[wrapper]
    missing = [key for key in YIN_KEYS if key not in state_dict]
    if missing:
        raise KeyError(f"not a Yin et al. SRNN state dict: missing {missing}; found {sorted(state_dict)[:12]}")
    values = {key: _array(state_dict[key]) for key in YIN_KEYS}
    milliseconds = float(1 * ms)
    return SRNNParameters(
        input_weights=values["i2h.weight"], recurrent_weights=values["h2h.weight"],
        hidden_bias=values["i2h.bias"] + values["h2h.bias"],
        tau_m=values["tau_m_h"] * milliseconds * second, tau_adp=values["tau_adp_h"] * milliseconds * second,
        output_weights=values["h2o.weight"], output_bias=values["h2o.bias"],
        tau_output=values["tau_m_o"] * milliseconds * second, b0=b0, beta=beta, step=step,
    )
