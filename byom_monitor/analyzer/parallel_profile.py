"""The profile of a CSV dataset, built over its blocks in worker processes.

Every block is profiled on its own and the block profiles are merged in file order, whether one
worker does it or several, so the result does not depend on the number of workers (a test
compares statistics.json byte for byte). At most two blocks per worker are in flight, so memory
does not grow with the file. A dataset of one block is profiled in this process.

Workers are forked when this process runs a single thread (cheap: modules are already
imported) and spawned otherwise (a fork would copy locks that other threads hold). A worker
keeps the memory it frees for its next block (:func:`keep_freed_memory`).
"""
from __future__ import annotations

import ctypes
import itertools
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor

from byom_monitor.engines.profile import DatasetProfile
from byom_monitor.io.datasets import CsvBlock

#: Blocks submitted ahead per worker.
BLOCKS_IN_FLIGHT_PER_WORKER = 2
#: Bytes of CSV per block: a worker's memory is several times this (parsed frame, parser
#: buffers); smaller blocks cost more merges.
PROFILE_BLOCK_BYTES = 8 * 1024 * 1024


#: glibc ``mallopt`` settings of a worker: allocations up to 32 MiB (glibc's largest mmap
#: threshold) come from the heap, and the heap is not trimmed below 1 GiB.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_WORKER_MALLOPT = ((_M_MMAP_THRESHOLD, 32 * 1024 * 1024), (_M_TRIM_THRESHOLD, 1024 ** 3))

#: Environment variable that sets the number of workers (default: the cores available).
WORKERS_VARIABLE = "BYOM_MONITOR_WORKERS"


def default_workers() -> int:
    """``BYOM_MONITOR_WORKERS`` if set, else the cores this process may run on."""
    setting = os.environ.get(WORKERS_VARIABLE, "").strip()
    if setting:
        if not setting.isdigit() or int(setting) < 1:
            raise ValueError(f"{WORKERS_VARIABLE} must be a positive integer, got {setting!r}")
        return int(setting)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def keep_freed_memory() -> None:
    """Run at a worker's start: keep freed memory for the next block (glibc; elsewhere no-op).

    Parsing a block allocates tens of MiB of buffers. By default glibc maps buffers that large
    afresh and returns them when they are freed, so every block faults its pages in again, one
    by one: a quarter of a worker's CPU time on the benchmark. The worker's peak is unchanged.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return
    for option, value in _WORKER_MALLOPT:
        mallopt(option, value)


def profile_block(block: CsvBlock) -> DatasetProfile:
    """The profile of one block (runs in a worker)."""
    chunk = block.parse()
    profile = DatasetProfile()
    profile.update(chunk.frame, chunk.text_of)
    return profile


def profile_csv_blocks(blocks: Iterable[CsvBlock], workers: int | None = None) -> DatasetProfile:
    """The merged profile of the blocks, in order; ``workers`` processes (default: all cores)."""
    workers = default_workers() if workers is None else max(1, int(workers))
    blocks = iter(blocks)
    head = list(itertools.islice(blocks, 2))
    profile = DatasetProfile()
    if workers == 1 or len(head) < 2:
        for block in itertools.chain(head, blocks):
            profile.merge(profile_block(block))
        return profile
    pool = ProcessPoolExecutor(workers, mp_context=_start_method(), initializer=keep_freed_memory)
    pending: deque[Future[DatasetProfile]] = deque()
    try:
        for block in itertools.chain(head, blocks):
            pending.append(pool.submit(profile_block, block))
            if len(pending) >= BLOCKS_IN_FLIGHT_PER_WORKER * workers:
                profile.merge(pending.popleft().result())
        while pending:
            profile.merge(pending.popleft().result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return profile


def _start_method() -> multiprocessing.context.BaseContext:
    fork = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    return multiprocessing.get_context("fork" if fork else "spawn")
