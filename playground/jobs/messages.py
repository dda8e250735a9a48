"""Messages between the server and its workers, over a pipe.

They are pickled with the standard `pickle`, not with `multiprocessing`'s pickler: PyTorch teaches
that one to pass tensors as shared-memory handles, which only a process started by `multiprocessing`
itself may open. The workers are plain subprocesses, so a tensor in a message (an uploaded
dataset, a trainer's extra series) travels as its bytes instead.
"""

from __future__ import annotations

import pickle
from multiprocessing.connection import Connection


def send(conn: Connection, message: tuple) -> None:
    conn.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def receive(conn: Connection) -> tuple:
    return pickle.loads(conn.recv_bytes())
