"""STDP rules: every synapse reproduces its own analytical dw for its own sampled time constants."""
import math

import numpy as np
import pytest
from brian2 import Network, mV, ms

from brian_helpers import ForcedSpikes, raster_from_steps, use_numpy_target
from hetero_brian.backends.base import CLOCK_NAME
from hetero_brian.distributions import Gamma, LogNormal, Uniform
from hetero_brian.models.synapses import STDP, StaticSynapse
from hetero_brian.network.builder import build
from hetero_brian.network.spec import NetworkSpec, Population, Projection
from hetero_brian.network.connectivity import one_to_one

DT = 0.1 * ms
W_MAX = 1.0  # mV


def _run_protocol(synapse, pre_steps, post_steps, n_steps, seed=21):
    """One synapse per (pre, post) neuron pair; neuron k spikes at the steps listed for it."""
    use_numpy_target()
    n = len(pre_steps)
    pre = ForcedSpikes(raster_from_steps(n_steps, n, pre_steps), DT)
    post = ForcedSpikes(raster_from_steps(n_steps, n, post_steps), DT)
    i, j = one_to_one(n)
    spec = NetworkSpec(populations=(Population("pre", n, pre), Population("post", n, post)),
                       projections=(Projection("syn", "pre", "post", synapse, i, j),), dt=DT)
    built = build(spec, seed, clock_name=CLOCK_NAME)
    w_initial = np.asarray(built.synapses["syn"].w / mV).copy()
    Network(built.network.objects).run(n_steps * DT, namespace={})
    w_final = np.asarray(built.synapses["syn"].w / mV)
    sampled = {name: np.asarray(value) for name, value in built.sampled["syn"].items()}
    return w_initial, w_final, sampled


def _pair_protocol(n_synapses=120, max_lag_steps=400):
    """Pre at step 100, post at 100 + lag, lags spread over [-max, max] without 0."""
    lags = np.linspace(-max_lag_steps, max_lag_steps, n_synapses).round().astype(int)
    lags[lags == 0] = 1
    start = max_lag_steps + 10
    pre = [[start] for _ in lags]
    post = [[start + lag] for lag in lags]
    return lags * float(DT), pre, post, 2 * max_lag_steps + 30


HETEROGENEOUS = dict(tau_pre=Gamma(20 * ms, 0.5), tau_post=LogNormal(30 * ms, 0.4),
                     eta_plus=Uniform(0.005, 0.02), eta_minus=Uniform(0.005, 0.02))


@pytest.mark.parametrize("traces", ["synapse", "neuron"])
@pytest.mark.parametrize("pairing", ["all", "nearest"])
def test_additive_pair_window_per_synapse(traces, pairing):
    synapse = STDP(weight=Uniform(0.3 * mV, 0.7 * mV), w_max=W_MAX * mV, rule="additive",
                   traces=traces, pairing=pairing, **HETEROGENEOUS)
    lags, pre, post, n_steps = _pair_protocol()
    w0, w1, sampled = _run_protocol(synapse, pre, post, n_steps)
    tau_pre, tau_post = sampled["tau_pre"], sampled["tau_post"]
    assert np.ptp(tau_pre) > 0.005 and np.ptp(sampled["eta_plus"]) > 0.005  # heterogeneous for real
    expected = np.where(lags > 0, W_MAX * sampled["eta_plus"] * np.exp(-lags / tau_pre),
                        -W_MAX * sampled["eta_minus"] * np.exp(lags / tau_post))
    np.testing.assert_allclose(w1 - w0, expected, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("mu", [0.5, 1.0, 2.0])
def test_multiplicative_window_and_weight_dependence(mu):
    synapse = STDP(weight=Uniform(0.1 * mV, 0.9 * mV), w_max=W_MAX * mV, rule="multiplicative", mu=mu,
                   **HETEROGENEOUS)
    lags, pre, post, n_steps = _pair_protocol()
    w0, w1, sampled = _run_protocol(synapse, pre, post, n_steps)
    u = w0 / W_MAX
    expected = np.where(lags > 0, W_MAX * sampled["eta_plus"] * (1 - u) ** mu * np.exp(-lags / sampled["tau_pre"]),
                        -W_MAX * sampled["eta_minus"] * u**mu * np.exp(lags / sampled["tau_post"]))
    np.testing.assert_allclose(w1 - w0, expected, rtol=1e-6, atol=1e-12)
    # weight dependence: potentiation shrinks as w approaches w_max
    potentiated = lags > 0
    normalised = (w1 - w0)[potentiated] / (sampled["eta_plus"] * np.exp(-lags / sampled["tau_pre"]))[potentiated]
    order = np.argsort(w0[potentiated])
    assert np.all(np.diff(normalised[order]) < 0)


@pytest.mark.parametrize("mu, x_target", [(1.0, 0.0), (0.7, 0.4)])
def test_power_law_rule(mu, x_target):
    synapse = STDP(weight=Uniform(0.1 * mV, 0.9 * mV), w_max=W_MAX * mV, rule="power_law", mu=mu,
                   x_target=x_target, pairing="nearest", **HETEROGENEOUS)
    lags, pre, post, n_steps = _pair_protocol()
    w0, w1, sampled = _run_protocol(synapse, pre, post, n_steps)
    eta_plus, eta_minus = sampled["eta_plus"], sampled["eta_minus"]
    # written sequentially: the post spike uses the pre trace at that moment (0 if the post came first)
    trace_at_post = np.where(lags > 0, np.exp(-lags / sampled["tau_pre"]), 0.0)
    w_after_post = w0 + W_MAX * eta_plus * (trace_at_post - x_target) * (1 - w0 / W_MAX) ** mu
    w_after_post = np.clip(w_after_post, 0, W_MAX)
    depression = np.where(lags < 0, W_MAX * eta_minus * np.exp(lags / sampled["tau_post"]), 0.0)
    expected = np.where(lags > 0, w_after_post, np.clip(w_after_post - depression, 0, W_MAX))
    np.testing.assert_allclose(w1, expected, rtol=1e-6, atol=1e-12)


def test_triplet_rule_pairs_and_triplets():
    tau_plus, tau_minus, tau_x, tau_y = Gamma(17 * ms, 0.3), Gamma(34 * ms, 0.3), Gamma(101 * ms, 0.2), Gamma(125 * ms, 0.2)
    synapse = STDP(weight=0.5 * mV, w_max=W_MAX * mV, rule="triplet", tau_pre=tau_plus, tau_post=tau_minus,
                   tau_x=tau_x, tau_y=tau_y, eta_plus=Uniform(0.002, 0.006), eta_minus=Uniform(0.005, 0.01),
                   eta_triplet_plus=Uniform(0.004, 0.008), eta_triplet_minus=Uniform(0.0005, 0.002))
    n = 60
    # group A (pairs pre->post), B (pairs post->pre), C (pre-post-post), D (post-post-pre), E (post-pre-pre... pre-pre-post)
    start, gap = 50, 200  # steps
    pre_steps, post_steps = [], []
    for k in range(n):
        kind, lag1, lag2 = k % 5, 20 + 3 * k, 35 + 2 * k
        if kind == 0:
            pre_steps.append([start]); post_steps.append([start + lag1])
        elif kind == 1:
            post_steps.append([start]); pre_steps.append([start + lag1])
        elif kind == 2:
            pre_steps.append([start]); post_steps.append([start + lag1, start + lag1 + lag2])
        elif kind == 3:
            post_steps.append([start, start + lag1]); pre_steps.append([start + lag1 + lag2])
        else:
            pre_steps.append([start, start + lag1]); post_steps.append([start + lag1 + lag2])
    w0, w1, s = _run_protocol(synapse, pre_steps, post_steps, start + 3 * gap + 100)
    dt = float(DT)
    expected = np.empty(n)
    for k in range(n):
        kind, t1, t2 = k % 5, (20 + 3 * k) * dt, (35 + 2 * k) * dt
        a2p, a2m, a3p, a3m = s["eta_plus"][k], s["eta_minus"][k], s["eta_triplet_plus"][k], s["eta_triplet_minus"][k]
        tp, tm, ty = s["tau_pre"][k], s["tau_post"][k], s["tau_y"][k]  # tau_x unused: no pre-pre-post pair
        if kind == 0:
            expected[k] = a2p * math.exp(-t1 / tp)
        elif kind == 1:
            expected[k] = -a2m * math.exp(-t1 / tm)
        elif kind == 2:  # pre at 0; posts at t1 and t1 + t2: the second sees the slow post trace of the first
            expected[k] = a2p * math.exp(-t1 / tp) + math.exp(-(t1 + t2) / tp) * (a2p + a3p * math.exp(-t2 / ty))
        elif kind == 3:  # posts at 0 and t1; pre at t1 + t2: depression with the summed fast post trace
            expected[k] = -(math.exp(-(t1 + t2) / tm) + math.exp(-t2 / tm)) * (a2m + a3m * 0.0)
        else:  # pres at 0 and t1 (the second depresses nothing: no post yet); post at t1 + t2
            expected[k] = (math.exp(-(t1 + t2) / tp) + math.exp(-t2 / tp)) * (a2p + a3p * 0.0)
    np.testing.assert_allclose(w1 - w0, W_MAX * expected, rtol=1e-6, atol=1e-12)


def test_weights_stay_within_bounds_under_strong_plasticity():
    with pytest.raises(ValueError, match="outside"):  # initial weights must lie within the bounds
        STDP(weight=Uniform(0.0 * mV, 1.0 * mV), w_max=1 * mV, w_min=0.1 * mV)
    rng = np.random.default_rng(0)
    n, n_steps = 50, 3000
    pre = [np.sort(rng.choice(n_steps, 60, replace=False)) for _ in range(n)]
    post = [np.sort(rng.choice(n_steps, 60, replace=False)) for _ in range(n)]
    synapse = STDP(weight=Uniform(0.1 * mV, 1.0 * mV), w_max=1 * mV, w_min=0.1 * mV, rule="additive",
                   eta_plus=0.6, eta_minus=0.6)
    w0, w1, _ = _run_protocol(synapse, pre, post, n_steps)
    assert w1.min() >= 0.1 - 1e-12 and w1.max() <= 1.0 + 1e-12
    assert np.any(np.isclose(w1, 1.0)) and np.any(np.isclose(w1, 0.1))  # the bounds were hit


def test_plasticity_switch_freezes_weights_without_rebuilding():
    synapse = STDP(weight=0.5 * mV, w_max=1 * mV)
    lags, pre, post, n_steps = _pair_protocol(20)
    use_numpy_target()
    n = len(pre)
    spec = NetworkSpec(populations=(Population("pre", n, ForcedSpikes(raster_from_steps(n_steps, n, pre), DT)),
                                    Population("post", n, ForcedSpikes(raster_from_steps(n_steps, n, post), DT))),
                       projections=(Projection("syn", "pre", "post", synapse, *one_to_one(n)),), dt=DT)
    built = build(spec, 1, clock_name=CLOCK_NAME)
    built.synapses["syn"].plastic = 0
    Network(built.network.objects).run(n_steps * DT, namespace={})
    assert np.all(np.asarray(built.synapses["syn"].w / mV) == 0.5)


def test_static_inhibitory_synapse_subtracts():
    synapse = StaticSynapse(weight=0.3 * mV, sign=-1)
    assert synapse.on_pre("inhibition") == "I_syn_post -= w"


@pytest.mark.parametrize("make, message", [
    (lambda: STDP(weight=0.5 * mV, w_max=1 * mV, rule="hebbian"), "rule must be one of"),
    (lambda: STDP(weight=0.5 * mV, w_max=1 * mV, tau_pre=-5 * ms), "tau_pre is a time constant"),
    (lambda: STDP(weight=0.5 * mV, w_max=1 * mV, tau_post=5 * mV), "tau_post must be a quantity in units of s"),
    (lambda: STDP(weight=0.5 * mV, w_max=1 * mV, eta_plus=-0.1), "eta_plus must be >= 0"),
    (lambda: STDP(weight=0.5 * mV, w_max=1 * ms), "w_max must be"),
    (lambda: STDP(weight=0.5 * mV), "needs w_max"),
    (lambda: STDP(weight=0.5 * mV, w_max=1 * mV, pairing="first"), "pairing must be one of"),
    (lambda: STDP(weight=0.5 * mV, w_max=1 * mV, rule="triplet", traces="neuron"), "triplet"),
    (lambda: StaticSynapse(weight=0.5 * mV, sign=0), "sign must be"),
    (lambda: STDP(weight=0.5 * mV, w_max=1 * mV, mu=-1.0), "mu must be >= 0"),
])
def test_bad_synapse_parameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_synapse_specs_declare_their_state_and_share_one_signature():
    static = StaticSynapse(weight=0.3 * mV)
    assert static.state_variables() == {"w": static.weight_unit}
    assert STDP(weight=0.1 * mV, w_max=1 * mV, rule="triplet").state_variables().keys() == {"w", "apre", "apost", "apre2", "apost2"}
    assert STDP(weight=0.1 * mV, w_max=1 * mV, traces="neuron").state_variables().keys() == {"w"}
    assert static.model("feed", ()) == "w : volt" and static.on_post("feed") is None
