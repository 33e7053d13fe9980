"""Phase output of a run on the command line: one stderr line per phase with the elapsed time.

The simulator logs its phases ("building", "compiling", "simulating") on the ``hetero_brian.phases``
logger at INFO level; :func:`phase_output` shows them while a command runs, and turns on Brian2's
progress report on stderr (``Starting simulation at t=0 s ...``, then every 10 s of wall time: time
simulated, fraction, estimated time left) for simulators created meanwhile.
"""
import contextlib
import logging
import sys
import time

__all__ = ["PHASE_LOGGER", "phase_output"]

PHASE_LOGGER = "hetero_brian.phases"


class _ElapsedFormatter(logging.Formatter):
    def __init__(self):
        super().__init__()
        self.start = time.perf_counter()

    def format(self, record):
        return f"[{time.perf_counter() - self.start:7.1f} s] {record.getMessage()}"


@contextlib.contextmanager
def phase_output(quiet=False, stream=None):
    """Print the phases logged on :data:`PHASE_LOGGER` to ``stream`` (stderr) while inside."""
    if quiet:
        yield
        return
    from hetero_brian.simulate import DEFAULT_REPORT  # brian2: only when a command runs

    token = DEFAULT_REPORT.set("stderr")
    logger = logging.getLogger(PHASE_LOGGER)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_ElapsedFormatter())
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
        DEFAULT_REPORT.reset(token)
