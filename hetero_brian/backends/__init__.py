"""Simulation backends, chosen by name: ``runtime``, ``cpp_standalone``, ``cuda_standalone``."""
from .base import Backend, available_backends, compiler_available, get_backend
from .cpp_standalone import CppStandaloneBackend
from .cuda_standalone import CudaStandaloneBackend
from .runtime import RuntimeBackend

__all__ = ["Backend", "available_backends", "compiler_available", "get_backend", "RuntimeBackend",
           "CppStandaloneBackend", "CudaStandaloneBackend"]
