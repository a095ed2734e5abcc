"""A hard wall-clock budget for one request's decode and analysis, in the worker itself.

The analyzer runs gunicorn's sync workers: one request at a time, in the main
thread. `time_budget` arms ITIMER_REAL; when it fires, SIGALRM raises
`TimeBudgetExceeded` at the next bytecode boundary, the stack unwinds (freeing
the decoded image) and the worker answers 503 and takes the next request.

Why a signal rather than a subprocess per request: no fork and no copy of the
image per request, memory is released by ordinary unwinding, and the worker
that gunicorn supervises stays the one doing the work. The cost is that a
single C call cannot be interrupted, so every C call is kept short: decoders
are fed DECODER_BLOCK_BYTES at a time (imaging.py), JPEG scans and pixels are
bounded before decoding, and numpy work runs row by row or in bands. gunicorn's
own `timeout` stays as the last resort above this budget.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class TimeBudgetExceeded(BaseException):
    """Raised by SIGALRM. A BaseException, so that the decoders' and our own
    `except Exception` clauses cannot swallow it as "undecodable input"."""


def _expired(signum: int, frame: object) -> None:
    raise TimeBudgetExceeded()


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise TimeBudgetExceeded in this thread once `seconds` have passed.

    Only the main thread receives signals; elsewhere (never in gunicorn's sync
    workers) the block runs without a budget.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
