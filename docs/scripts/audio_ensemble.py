"""Audio-only Diehl & Cook ensemble on FSDD: which parameters make it selective? (docs/results/multimodal.md)

    OPENBLAS_NUM_THREADS=1 .venv/bin/python docs/scripts/audio_ensemble.py total_weight=50 l1=0.25 epochs=3

Keys (key=value): n (neurons, 100), total_weight (20), theta_plus (mV, 0.05), x_target (0.1),
epochs (1), dr (dynamic range dB, 40), l1 (mean intensity to scale each recording to; 0 = peak
scaling only). FSDD train recordings: 500 label the neurons, the other 2,200 train; the 300 test
recordings test. Prints one JSON line: votes, logistic readout, spikes per test recording, neurons
assigned and their classes. About 1-3 minutes per pass on one core.
"""
import sys, time, json, numpy as np
from brian2 import mV
from hetero_brian.inputs.spoken_intensities import audio_intensities
from hetero_brian.inputs import read_fsdd
from hetero_brian.network.diehl_cook import DiehlCookParameters
from hetero_brian.protocols.diehl_cook import DiehlCookNetwork
from hetero_brian.readouts import LogisticReadout
from hetero_brian.analysis.assignment import assign_labels, classify, accuracy
args = dict(a.split("=") for a in sys.argv[1:])
xt = float(args.get("x_target", 0.1)); tw = float(args.get("total_weight", 20)); n = int(args.get("n", 100))
tp = float(args.get("theta_plus", 0.05)); epochs = int(args.get("epochs", 1)); dr = float(args.get("dr", 40))
tr = read_fsdd("../shared/data/fsdd", split="train"); te = read_fsdd("../shared/data/fsdd", split="test")
X = np.array([audio_intensities(s, tr.sample_rate, 20, 10, dr) for s in tr.samples]) * 255
Y = np.array([audio_intensities(s, te.sample_rate, 20, 10, dr) for s in te.samples]) * 255
l1 = float(args.get("l1", 0))
if l1 > 0:
    X = np.clip(X * (l1 * 255 / X.mean(1, keepdims=True)), 0, 255); Y = np.clip(Y * (l1 * 255 / Y.mean(1, keepdims=True)), 0, 255)
rng = np.random.default_rng(1)
order = rng.permutation(len(X)); label_idx, train_idx = order[:500], order[500:]
p = DiehlCookParameters(n_excitatory=n, total_weight=tw, input_mode="rate", theta_plus=tp * mV, eta_plus=0.02, x_target=xt)
t0 = time.time()
with DiehlCookNetwork(p, n_inputs=X.shape[1], seed=1) as net:
    for e in range(epochs):
        net.present(X[rng.permutation(train_idx)], learn=True, rng=rng)
    lab = net.present(X[label_idx], learn=False, rng=rng); test = net.present(Y, learn=False, rng=rng)
a = assign_labels(lab.counts, tr.labels[label_idx], 10)
votes = accuracy(classify(test.counts, a, 10), te.labels)
ro = LogisticReadout().fit(lab.counts.astype(float), tr.labels[label_idx])
print(json.dumps(dict(args=args, votes=round(votes, 3), readout=round(float(np.mean(ro.predict(test.counts.astype(float)) == te.labels)), 3),
      spikes=round(float(test.counts.sum(1).mean()), 1), assigned=int((a >= 0).sum()), classes=np.bincount(a[a >= 0], minlength=10).tolist(), wall=round(time.time() - t0))), flush=True)
