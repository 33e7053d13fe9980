"""Ctrl-C (SIGINT) during a simulation: stop at the end of the current time step and say so.

Brian2 turns a SIGINT during ``Network.run`` into a stop request and returns normally, so a caller
cannot tell an interrupted run from a finished one. :class:`InterruptWatch` records that a SIGINT
came (``interrupted``), asks Brian2's runtime loop to stop, and forwards the signal to child
processes (a C++ standalone binary) unless they got it themselves: a terminal's Ctrl-C (or a
``kill -INT -<group>``) reaches the whole process group, while ``kill -INT <pid>`` reaches only
Python. The binary stops at the end of its time step and writes its results; a second SIGINT would
kill it, so the signal is forwarded only when, ``grace`` seconds later, the binary has written
nothing (``stopped_evidence``). A second SIGINT to Python raises ``KeyboardInterrupt`` at once.

Brian2 installs its SIGINT handler at import, chaining to the handler it found; in a shell that
started Python in the background that handler is ``SIG_IGN``, which Brian2 then calls (a
``TypeError``). :func:`repair_brian_interrupt_handler` chains it to Python's default handler
(``KeyboardInterrupt``) instead.
"""
import os
import signal
import sys
import threading
import time
from pathlib import Path

__all__ = ["InterruptWatch", "repair_brian_interrupt_handler", "compile_was_interrupted"]


def repair_brian_interrupt_handler():
    """Make Brian2's SIGINT handler chain to a callable handler (``KeyboardInterrupt`` outside runs)."""
    import brian2

    handler = getattr(brian2, "_int_handler", None)
    if handler is not None and not callable(getattr(handler, "previous_handler", None)):
        handler.previous_handler = signal.default_int_handler


def _in_terminal_foreground():
    """Whether this process belongs to the foreground process group of its terminal."""
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        try:
            if stream is not None and stream.isatty():
                return os.tcgetpgrp(stream.fileno()) == os.getpgrp()
        except (OSError, ValueError, AttributeError):
            continue
    return False


def _child_processes():
    """Process ids of this process's children (Linux ``/proc``; empty elsewhere)."""
    children = []
    for task in Path(f"/proc/{os.getpid()}/task").glob("*"):
        try:
            children.extend(int(pid) for pid in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return children


class InterruptWatch:
    """Context manager around one simulation run: records a SIGINT instead of dying of it.

    Parameters
    ----------
    standalone : bool
        The run is a child process (C++ standalone): forward the signal to it when needed. Else
        (runtime) a SIGINT inside Brian2's loop stops it, and one outside raises KeyboardInterrupt.
    stopped_evidence : callable, optional
        ``stopped_evidence(since)``: whether the child shows it stopped since ``since`` (Unix time).
    grace : float
        Seconds to wait for that evidence before forwarding.

    Attributes
    ----------
    interrupted : bool
        Whether a SIGINT arrived while the watch was active.

    Notes
    -----
    Only the main thread can handle signals; elsewhere the watch does nothing.
    """

    def __init__(self, standalone=False, stopped_evidence=None, grace=1.0):
        self.interrupted = False
        self.standalone = standalone
        self.stopped_evidence = stopped_evidence
        self.grace = grace
        self._previous = None
        self._installed = False

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def _handle(self, signal_number, frame):
        from brian2 import Network

        if self.interrupted or not (self.standalone or Network._globally_running):
            # a second Ctrl-C, or one outside the runtime loop (Brian2 would forget a stop request
            # made before its loop starts)
            self.interrupted = True
            raise KeyboardInterrupt
        self.interrupted = True
        if not self.standalone:
            Network._globally_stopped = True  # the runtime loop stops after the current time step
            return
        if _in_terminal_foreground():
            return  # the terminal sent it to the children too
        since = time.time()
        timer = threading.Timer(self.grace, self._forward, args=(since,))
        timer.daemon = True
        timer.start()

    def _forward(self, since):
        """Send SIGINT to the children unless they show they stopped since ``since``."""
        if self.stopped_evidence is not None and self.stopped_evidence(since):
            return
        for pid in _child_processes():
            try:
                os.kill(pid, signal.SIGINT)
            except OSError:
                pass

    def __exit__(self, kind, error, traceback):
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False
        return False


def compile_was_interrupted(error):
    """Whether Brian2's "Project compilation failed (error code: N)" means make died of SIGINT.

    ``os.system`` returns the raw wait status: 2 is "killed by signal 2", while make's own failure
    exit status 2 reads as 512.
    """
    return f"(error code: {int(signal.SIGINT)})" in str(error)
