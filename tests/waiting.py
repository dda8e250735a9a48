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
