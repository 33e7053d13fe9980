"""The one unit helper (hetero_brian.units): both modes of its one flag."""
import numpy as np
import pytest
from brian2 import Hz, mV, ms, second

from hetero_brian.errors import UnitError
from hetero_brian.units import to_si, to_si_scalar


def test_quantities_are_converted_to_si_and_checked():
    assert float(to_si(20 * ms, "second", "tau")) == 0.02
    np.testing.assert_array_equal(to_si([1, 2] * Hz, "hertz", "rate"), [1.0, 2.0])
    with pytest.raises(UnitError, match="tau must be in units of second"):
        to_si(5 * mV, "second", "tau")


def test_plain_numbers_are_si_in_the_numpy_layers_and_refused_elsewhere():
    assert float(to_si(0.02, "second", "tau")) == 0.02
    with pytest.raises(UnitError, match="tau must be a quantity in units of second.*bare number 0.02"):
        to_si(0.02, "second", "tau", plain_numbers=False)
    assert float(to_si(0.5, "1", "fraction", plain_numbers=False)) == 0.5  # a number is not a physical quantity
    assert float(to_si(20 * ms, "second", "tau", plain_numbers=False)) == 0.02


def test_scalar_checks_bounds_finiteness_and_shape():
    assert to_si_scalar(1 * second, "second", "duration", minimum=0.0) == 1.0
    assert to_si_scalar(None, "second", "duration", allow_none=True) is None
    for value, message in [(0.0, "> 0"), (float("nan"), "finite"), (True, "number"), ([1.0, 2.0], "scalar")]:
        with pytest.raises(ValueError, match=message):
            to_si_scalar(value, "second", "duration", minimum=0.0)
    assert to_si_scalar(0.0, "second", "duration", minimum=0.0, strict=False) == 0.0
    with pytest.raises(UnitError):
        to_si_scalar(0.5, "second", "duration", plain_numbers=False)


def test_any_dimension_given_by_a_brian2_unit():
    from brian2 import nS

    assert float(to_si(3 * nS, nS, "conductance")) == float(3 * nS)
    with pytest.raises(UnitError, match="conductance must be in units of nS"):
        to_si(3 * ms, nS, "conductance")
