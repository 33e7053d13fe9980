"""Executors for sweeps and studies: a local ``spawn`` process pool, or a Dask cluster.

Every task runs in a fresh process (Brian2 keeps global state and installs a SIGINT handler at
import), so the local pool starts one process per task (``max_tasks_per_child=1``).
"""
import concurrent.futures
import multiprocessing
import os

from hetero_brian.errors import ConfigError

__all__ = ["local_executor", "dask_executor"]


def _limit_threads(threads):
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, str(threads))


def local_executor(workers=None, blas_threads=1):
    """A ``spawn`` process pool with a fresh process per task (``max_tasks_per_child=1``).

    Parameters
    ----------
    workers : int, optional
        Processes at a time (default ``os.cpu_count()``).
    blas_threads : int
        ``OMP/OPENBLAS/MKL_NUM_THREADS`` in each task process unless already set (avoids
        oversubscribing the cores with several workers).
    """
    workers = os.cpu_count() if workers is None else workers
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1; got {workers!r}")
    return concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                                  max_tasks_per_child=1, initializer=_limit_threads,
                                                  initargs=(blas_threads,))


class dask_executor:
    """Context manager giving a Dask ``client.get_executor()`` (needs the 'dask' extra).

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``). Without one, an embedded
        ``LocalCluster`` of ``workers`` single-threaded workers is started in this process (tasks
        are subprocesses anyway) and closed on exit.
    workers : int, optional
        Workers of the embedded cluster (default ``os.cpu_count()``).
    """

    def __init__(self, scheduler=None, workers=None):
        self.scheduler, self.workers = scheduler, workers
        self.client = self.cluster = None

    def __enter__(self):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError("the Dask executor needs dask.distributed: pip install 'hetero_brian[dask]'") from None
        if self.scheduler:
            self.client = Client(self.scheduler)
        else:
            self.cluster = LocalCluster(n_workers=self.workers or os.cpu_count(), threads_per_worker=1,
                                        processes=False, dashboard_address=None)
            self.client = Client(self.cluster)
        return self.client.get_executor(pure=False)

    def __exit__(self, kind, error, traceback_):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        return False
