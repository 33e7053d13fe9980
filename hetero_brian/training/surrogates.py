"""Spike function with surrogate gradients: Heaviside forward, a smooth derivative backward.

Each surrogate is the derivative of a smooth step (:meth:`smooth`), so its gradient can be checked
against finite differences of that step.

References
----------
B. Yin, F. Corradi, S. M. Bohté, Nature Machine Intelligence 3, 905-913 (2021): the multi-Gaussian.
F. Zenke, S. Ganguli, "SuperSpike", Neural Computation 30, 1514-1541 (2018): the fast sigmoid.
E. O. Neftci, H. Mostafa, F. Zenke, IEEE Signal Processing Magazine 36, 51-63 (2019): review.
"""
import math
from dataclasses import dataclass

from ._torch import torch

__all__ = ["MultiGaussian", "FastSigmoid", "SURROGATES", "surrogate_from_name", "spike"]


def _normal_density(x, mean, std):
    return torch.exp(-((x - mean) ** 2) / (2 * std ** 2)) / (math.sqrt(2 * math.pi) * std)


def _normal_cdf(x, mean, std):
    return 0.5 * (1 + torch.erf((x - mean) / (std * math.sqrt(2))))


@dataclass(frozen=True)
class MultiGaussian:
    """Yin et al.'s multi-Gaussian surrogate.

    Parameters
    ----------
    sigma : float
        Width of the central Gaussian (0.5).
    height : float
        Weight ``h`` of the two negative side Gaussians (0.15).
    scale : float
        Width ratio ``s`` of the side Gaussians (6).
    gamma : float
        Overall gradient scale (0.5).

    Notes
    -----
    .. math::

        \\frac{ds}{dx} \\approx \\gamma \\left[(1 + h) N(x; 0, \\sigma) - h N(x; \\sigma, s\\sigma)
        - h N(x; -\\sigma, s\\sigma)\\right]
    """

    sigma: float = 0.5
    height: float = 0.15
    scale: float = 6.0
    gamma: float = 0.5

    def __post_init__(self):
        for name in ("sigma", "scale", "gamma"):
            if not getattr(self, name) > 0:
                raise ValueError(f"MultiGaussian.{name} must be > 0; got {getattr(self, name)!r}")
        if not self.height >= 0:
            raise ValueError(f"MultiGaussian.height must be >= 0; got {self.height!r}")

    def derivative(self, x):
        wide = self.scale * self.sigma
        return self.gamma * ((1 + self.height) * _normal_density(x, 0.0, self.sigma)
                             - self.height * _normal_density(x, self.sigma, wide)
                             - self.height * _normal_density(x, -self.sigma, wide))

    def smooth(self, x):
        """The smooth step whose derivative is :meth:`derivative`."""
        wide = self.scale * self.sigma
        return self.gamma * ((1 + self.height) * _normal_cdf(x, 0.0, self.sigma)
                             - self.height * _normal_cdf(x, self.sigma, wide)
                             - self.height * _normal_cdf(x, -self.sigma, wide))


@dataclass(frozen=True)
class FastSigmoid:
    """SuperSpike's fast sigmoid: ``ds/dx ~ gamma / (1 + slope |x|)^2``.

    Parameters
    ----------
    slope : float
        Steepness (per unit of ``u - theta``); 10 by default.
    gamma : float
        Overall gradient scale.
    """

    slope: float = 10.0
    gamma: float = 0.5

    def __post_init__(self):
        for name in ("slope", "gamma"):
            if not getattr(self, name) > 0:
                raise ValueError(f"FastSigmoid.{name} must be > 0; got {getattr(self, name)!r}")

    def derivative(self, x):
        return self.gamma / (1 + self.slope * torch.abs(x)) ** 2

    def smooth(self, x):
        return self.gamma * x / (1 + self.slope * torch.abs(x))


SURROGATES = {"multi_gaussian": MultiGaussian, "fast_sigmoid": FastSigmoid}


def surrogate_from_name(name):
    """The surrogate of that name with its default parameters (``multi_gaussian``, ``fast_sigmoid``)."""
    if name not in SURROGATES:
        raise ValueError(f"unknown surrogate {name!r}; known: {sorted(SURROGATES)}")
    return SURROGATES[name]()


class _Spike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, surrogate):
        ctx.save_for_backward(x)
        ctx.surrogate = surrogate
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * ctx.surrogate.derivative(x), None


def spike(x, surrogate):
    """``H(x)`` (1 where ``x > 0``) with the gradient of ``surrogate``."""
    return _Spike.apply(x, surrogate)
