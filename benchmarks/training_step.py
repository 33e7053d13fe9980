"""Time one training step of the package's trainer against a plain PyTorch loop of the same model.

A training step is forward + BPTT + Adam update (+ the projection of the time constants onto
``tau >= dt``) of the adaptive SRNN on one batch. The package side is
:func:`hetero_brian.training.trainer.train` on :class:`hetero_brian.training.srnn.AdaptiveSRNN`
(one epoch of ``--batches`` batches, no checkpoint, no progress bar); the plain side is the same
map written inline below (``torch.exp`` decays, the multi-Gaussian surrogate as an autograd
function, Adam with the time constants in their own group, the same per-step cross-entropy from
step 10), with the same initial parameters, sizes, batch and sequence length. Both run on one
PyTorch thread. Reported: wall and process CPU time per step (ms), each the minimum over
``--repeats`` repeats, and the ratios package / plain (CPU time is the robust one on a loaded machine), all measured in one run (the ratio is what carries across machines).

Usage::

    python benchmarks/training_step.py [--widths 36 64] [--steps 300 1300] [--batch 32]
                                       [--batches 4] [--repeats 3] [--seed 1]
"""
import argparse
import math
import os
import time

import numpy as np
import torch

from hetero_brian.training.parameters import initial_parameters
from hetero_brian.training.srnn import AdaptiveSRNN
from hetero_brian.training.trainer import TrainingSettings, per_step_loss, train

N_INPUTS, N_OUTPUTS, LOSS_START = 4, 6, 10  # QTDB: 4 level-crossing channels, 6 wave classes
LEARNING_RATE, TIME_CONSTANT_RATE = 1e-2, 0.03e-3  # Adam; time constants in seconds (0.03 ms)
STEP = 1e-3  # s


def load_average():
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


class PlainSpike(torch.autograd.Function):
    """Heaviside forward, Yin et al.'s multi-Gaussian derivative backward (sigma 0.5, h 0.15, s 6, gamma 0.5)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        sigma, height, scale, gamma = 0.5, 0.15, 6.0, 0.5

        def density(mean, std):
            return torch.exp(-((x - mean) ** 2) / (2 * std ** 2)) / (math.sqrt(2 * math.pi) * std)

        wide = scale * sigma
        return grad_output * gamma * ((1 + height) * density(0.0, sigma) - height * density(sigma, wide)
                                      - height * density(-sigma, wide))


class PlainSRNN(torch.nn.Module):
    """The adaptive SRNN map written directly (no export constraints, no input checks)."""

    def __init__(self, parameters):
        super().__init__()

        def tensor(value):
            return torch.nn.Parameter(torch.tensor(np.asarray(value, dtype=np.float64), dtype=torch.float32))

        self.w_in, self.w_rec = tensor(parameters.input_weights), tensor(parameters.recurrent_weights)
        self.bias, self.w_out = tensor(parameters.hidden_bias), tensor(parameters.output_weights)
        self.bias_out = tensor(parameters.output_bias)
        self.tau_m, self.tau_adp = tensor(parameters.tau_m), tensor(parameters.tau_adp)
        self.tau_out = tensor(parameters.tau_output)
        self.b0, self.beta = float(parameters.b0), float(parameters.beta)

    def forward(self, x):
        alpha, rho = torch.exp(-STEP / self.tau_m), torch.exp(-STEP / self.tau_adp)
        alpha_out = torch.exp(-STEP / self.tau_out)
        current = (x @ self.w_in.T + self.bias).unbind(dim=1)
        u = x.new_zeros(x.shape[0], self.w_in.shape[0])
        b, s, spikes = torch.zeros_like(u), torch.zeros_like(u), []
        for current_k in current:
            total = current_k + s @ self.w_rec.T
            b = rho * b + (1 - rho) * s
            theta = self.b0 + self.beta * b
            u = alpha * u + (1 - alpha) * total - theta * s
            s = PlainSpike.apply(u - theta)
            spikes.append(s)
        drive = (torch.stack(spikes, dim=1) @ self.w_out.T + self.bias_out).unbind(dim=1)
        o, readout = x.new_zeros(x.shape[0], self.w_out.shape[0]), []
        for drive_k in drive:
            o = alpha_out * o + (1 - alpha_out) * drive_k
            readout.append(o)
        return torch.stack(readout, dim=1)


def plain_epoch(parameters, inputs, labels, batch):
    """Wall and process CPU seconds of one epoch of the plain loop, and its first batch's loss."""
    model = PlainSRNN(parameters)
    optimizer = torch.optim.Adam([
        {"params": [model.w_in, model.w_rec, model.bias, model.w_out, model.bias_out], "lr": LEARNING_RATE},
        {"params": [model.tau_m, model.tau_adp, model.tau_out], "lr": TIME_CONSTANT_RATE}])
    x_all, y_all = torch.from_numpy(inputs).float(), torch.from_numpy(labels)
    first_loss = None
    started, cpu_started = time.perf_counter(), time.process_time()
    for start in range(0, len(inputs), batch):
        x, y = x_all[start:start + batch], y_all[start:start + batch]
        optimizer.zero_grad()
        readout = model(x)[:, LOSS_START:]
        loss = torch.nn.functional.cross_entropy(readout.reshape(-1, N_OUTPUTS), y[:, LOSS_START:].reshape(-1))
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            for tau in (model.tau_m, model.tau_adp, model.tau_out):
                tau.clamp_(min=STEP)
        first_loss = float(loss.detach()) if first_loss is None else first_loss
    return time.perf_counter() - started, time.process_time() - cpu_started, first_loss


def package_epoch(parameters, inputs, labels, batch, seed):
    """Wall and process CPU seconds of one epoch of the package's trainer, and the first batch's loss (same batch, unshuffled)."""
    model = AdaptiveSRNN(parameters)
    with torch.no_grad():
        first_loss = float(per_step_loss(model(torch.from_numpy(inputs[:batch])).readout,
                                         torch.from_numpy(labels[:batch]), LOSS_START))
    settings = TrainingSettings(epochs=1, batch_size=batch, learning_rate=LEARNING_RATE,
                                loss_start_step=LOSS_START, crop_steps=None, threads=1, progress=False)
    started, cpu_started = time.perf_counter(), time.process_time()
    train(model, inputs, labels, settings, seed)
    return time.perf_counter() - started, time.process_time() - cpu_started, first_loss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[36, 64])
    parser.add_argument("--steps", type=int, nargs="+", default=[300, 1300])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--batches", type=int, default=4, help="training steps per timed epoch")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    load_before = load_average()
    rng = np.random.default_rng(arguments.seed)
    rows = []
    for width in arguments.widths:
        parameters = initial_parameters(N_INPUTS, width, N_OUTPUTS, arguments.seed)
        for steps in arguments.steps:
            count = arguments.batch * arguments.batches
            inputs = rng.integers(-1, 2, size=(count, steps, N_INPUTS)).astype(np.float32)
            labels = rng.integers(0, N_OUTPUTS, size=(count, steps)).astype(np.int64)
            package, plain = [], []
            for _ in range(arguments.repeats):  # interleaved, so load drifts hit both sides alike
                *seconds, package_loss = package_epoch(parameters, inputs, labels, arguments.batch, arguments.seed)
                package.append(np.array(seconds) / arguments.batches)
                *seconds, plain_loss = plain_epoch(parameters, inputs, labels, arguments.batch)
                plain.append(np.array(seconds) / arguments.batches)
            package, plain = np.min(package, axis=0), np.min(plain, axis=0)  # (wall, cpu), each the minimum
            rows.append((width, steps, package, plain, abs(package_loss - plain_loss)))
            print(f"  measured width {width}, {steps} steps", flush=True)
    print(f"\ntorch {torch.__version__}, 1 thread, batch {arguments.batch}, {arguments.batches} steps per epoch, "
          f"min of {arguments.repeats}; load average before {load_before}, after {load_average()}")
    print("| neurons | sequence steps | package wall (ms/step) | plain wall (ms/step) | package / plain (wall) "
          "| package CPU (ms/step) | plain CPU (ms/step) | package / plain (CPU) | first-batch loss difference |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for width, steps, package, plain, difference in rows:
        print(f"| {width} | {steps} | {package[0] * 1e3:.1f} | {plain[0] * 1e3:.1f} | {package[0] / plain[0]:.2f} "
              f"| {package[1] * 1e3:.1f} | {plain[1] * 1e3:.1f} | {package[1] / plain[1]:.2f} | {difference:.1e} |")


if __name__ == "__main__":
    main()
