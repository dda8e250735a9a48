"""Polling helper shared by the tests that watch training jobs."""

import time


def wait_for(condition, timeout: float, every: float = 0.02) -> bool:
    """Poll `condition()` until it is true or `timeout` seconds pass; return whether it became true."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def rerun_until(at, condition, *, timeout: float, shows):
    """Rerun an AppTest page (it does not tick timed fragments) until `condition(at)` holds; on a timeout
    the failure says what the page shows (`shows(at)`)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        if condition(at):
            return at
        time.sleep(0.3)
    raise AssertionError(f"timed out; the page shows {shows(at)}")
