"""Sizes: networks too large for the machine are refused from their configuration, in seconds."""
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from brian2 import Hz

from hetero_brian import resources
from hetero_brian.errors import SimulationError
from hetero_brian.network.connectivity import all_to_all, fixed_in_degree, fixed_probability
from hetero_brian.network.reservoir import reservoir_spec
from hetero_brian.network.spec import PoissonInput

GIB = 2**30


def _stimulus(n=200):
    return PoissonInput("input", n, 13 * Hz)


def test_a_billion_neurons_is_refused_in_seconds_with_the_numbers():
    start = time.perf_counter()
    with pytest.raises(SimulationError) as error:
        reservoir_spec(10**9, _stimulus(), seed=1)
    assert time.perf_counter() - start < 2.0
    message = str(error.value)
    assert "1,000,000,200 neurons" in message and "GiB" in message and "available" in message


def test_sixty_thousand_neurons_are_refused_before_connectivity_on_a_16_gib_machine(monkeypatch):
    monkeypatch.setattr(resources, "available_memory", lambda: 16 * GIB)
    monkeypatch.delenv("HETERO_BRIAN_SKIP_MEMORY_CHECK", raising=False)
    start = time.perf_counter()
    with pytest.raises(SimulationError, match="60,200 neurons") as error:
        reservoir_spec(60_000, _stimulus(), seed=1, p_recurrent=0.1)
    assert time.perf_counter() - start < 2.0
    assert "'ee'" in str(error.value) and "16 GiB are available" in str(error.value)


def test_the_planned_estimate_matches_the_drawn_synapses():
    spec = reservoir_spec(400, _stimulus(100), seed=3, p_recurrent=0.1, p_input=0.2)
    drawn = sum(p.n_synapses for p in spec.projections)
    expected = 320 * 319 * 0.1 + 320 * 80 * 0.1 + 80 * 320 * 0.1 + 80 * 79 * 0.1 + 100 * 400 * 0.2
    assert drawn == pytest.approx(expected, rel=0.05)
    estimate = resources.check_planned_network({"n": 500}, {"all": expected}, available=10**15)
    assert estimate["n_synapses"] == expected and estimate["total"] > expected * 56


@pytest.mark.parametrize("draw", [
    lambda: fixed_probability(10**7, 10**7, 0.5, rng=0),
    lambda: fixed_in_degree(10**8, 10**8, 10**5, rng=0),
    lambda: all_to_all(10**6, 10**6),
], ids=["fixed_probability", "fixed_in_degree", "all_to_all"])
def test_every_connectivity_generator_refuses_before_drawing(draw, monkeypatch):
    monkeypatch.delenv("HETERO_BRIAN_SKIP_MEMORY_CHECK", raising=False)
    monkeypatch.setattr(resources, "available_memory", lambda: 64 * GIB)
    start = time.perf_counter()
    with pytest.raises(SimulationError, match="projection"):
        draw()
    assert time.perf_counter() - start < 1.0


def test_the_override_variable_turns_the_planned_check_off(monkeypatch):
    monkeypatch.setenv("HETERO_BRIAN_SKIP_MEMORY_CHECK", "1")
    estimate = resources.check_planned_network({"n": 10**9}, {"all": 1e17}, available=GIB)
    assert estimate["total"] > GIB


def test_disk_check_refuses_with_the_numbers(tmp_path):
    with pytest.raises(SimulationError, match="free there"):
        resources.check_disk(10**18, tmp_path / "not" / "made" / "yet")
    assert resources.check_disk(1024, tmp_path) > 1024
    estimate = {"spike_monitors": 12.0 * 1000, "state_monitors": 800.0}
    assert resources.estimate_disk(estimate) == 16.0 * 1000 + 800.0


def test_the_command_line_refuses_a_billion_neurons_in_seconds(tmp_path):
    environment = {key: value for key, value in os.environ.items() if key != "HETERO_BRIAN_SKIP_MEMORY_CHECK"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "hetero_brian.cli", "run", "demo", "--set", "n_neurons=1000000000",
                           "--out", str(tmp_path / "run")], cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=300)
    elapsed = time.perf_counter() - start
    assert done.returncode != 0 and "too large" in done.stderr and "GiB" in done.stderr, done.stderr[-2000:]
    assert elapsed < 120  # imports included; the check itself takes milliseconds
    assert np.isfinite(elapsed)
