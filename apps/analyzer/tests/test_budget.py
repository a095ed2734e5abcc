import signal
import threading
import time

import pytest

from analyzer.budget import TimeBudgetExceeded, time_budget


def busy(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass


def test_interrupts_work_that_overruns():
    started = time.monotonic()
    with pytest.raises(TimeBudgetExceeded):
        with time_budget(0.05):
            busy(30)
    assert time.monotonic() - started < 20


def test_is_not_an_exception_that_generic_handlers_swallow():
    assert not issubclass(TimeBudgetExceeded, Exception)


def test_disarms_and_restores_the_handler_when_done():
    before = signal.getsignal(signal.SIGALRM)
    with time_budget(0.05):
        pass
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before
    busy(0.2)  # nothing fires later


def test_outside_the_main_thread_it_does_not_arm():
    outcome = []

    def run():
        with time_budget(0.01):
            busy(0.1)
        outcome.append("finished")

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    assert outcome == ["finished"]
