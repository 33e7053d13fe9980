"""PyTorch, imported once for the training modules; without it one line names the extra."""
from . import EXTRA_HINT, MissingExtraError

try:
    import torch
except ImportError:
    raise MissingExtraError(f"hetero_brian.training needs PyTorch, which is not installed: {EXTRA_HINT}") from None

__all__ = ["torch"]
