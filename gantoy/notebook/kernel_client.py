"""The kernel client behind ``make demo``: waits for a kernel's messages in short polls.

nbclient waits for a cell's reply with one poll of the kernel's ZeroMQ socket,
as long as the cell's timeout (300 s in ``make demo``), and for its outputs
with one poll that has no end. On this asyncio path a message that has
already arrived is sometimes not signalled to the event loop: the poll then
sees it only when its own timeout expires. nbclient's issue #312 reports it
for cells that show an ipywidget ("when cell contains ipywidget, execute cell
will sometimes blocks"); notebook 04, which shows one, then sat idle for the
rest of the 300 s after that cell, its reply waiting unread.

:class:`PollingKernelClient` is jupyter_client's asyncio client whose channels
wait in polls of at most :data:`POLL_SECONDS` each, until the caller's
timeout. A poll that ends looks at the socket directly, so a message whose
signal was missed is read at the end of the poll it arrived in: the cost of a
missed signal is at most :data:`POLL_SECONDS` instead of the whole timeout.
Timeouts (``None`` or negative: no limit; 0: look once), replies and their
order are those of the plain client.
"""

from __future__ import annotations

import time
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from traitlets import Type

__all__ = ["POLL_SECONDS", "PollingChannel", "PollingKernelClient"]

POLL_SECONDS = 0.5


class PollingChannel(AsyncZMQSocketChannel):
    """An asyncio ZeroMQ channel whose ``get_msg`` waits in polls of at most
    :data:`POLL_SECONDS`, up to ``timeout`` seconds in all (``None`` or negative: no limit)."""

    async def get_msg(self, timeout: float | None = None):
        """The next message; raises :class:`queue.Empty` when none came within ``timeout`` seconds."""
        if timeout is not None and timeout < 0:
            timeout = None  # as the plain client: a negative timeout waits without limit
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = POLL_SECONDS if deadline is None else min(POLL_SECONDS, max(0.0, deadline - time.monotonic()))
            try:
                return await super().get_msg(timeout=wait)
            except Empty:
                # Under 1 ms left: the plain client's poll (whole milliseconds) would be over.
                if deadline is not None and deadline - time.monotonic() < 1e-3:
                    raise


class PollingKernelClient(AsyncKernelClient):
    """jupyter_client's ``AsyncKernelClient`` with :class:`PollingChannel` for the
    shell, IOPub, stdin and control channels (the heartbeat is unchanged).

    Used by :func:`gantoy.notebook.demo.execute_notebook` through the kernel
    manager's ``client_class`` setting."""

    #: The shell channel (execute requests and their replies) waits in short polls (:class:`PollingChannel`).
    shell_channel_class = Type(PollingChannel)
    #: The IOPub channel (a cell's outputs and the kernel's status) waits in short polls (:class:`PollingChannel`).
    iopub_channel_class = Type(PollingChannel)
    #: The stdin channel (``input()`` in a cell) waits in short polls (:class:`PollingChannel`).
    stdin_channel_class = Type(PollingChannel)
    #: The control channel (interrupt, shutdown) waits in short polls (:class:`PollingChannel`).
    control_channel_class = Type(PollingChannel)
