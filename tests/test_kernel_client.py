"""The notebook runner's kernel client: a message whose arrival the event loop was
not told of is read within one short poll, not at the caller's timeout."""

import asyncio
import time
from queue import Empty

import pytest
from jupyter_client.channels import AsyncZMQSocketChannel

from gantoy.notebook import demo
from gantoy.notebook.kernel_client import POLL_SECONDS, PollingChannel, PollingKernelClient

SLACK = 2.0  # seconds the event loop may lose to other work before a short wait ends


def _unsignalled_socket(monkeypatch, arrives_after):
    """Make every poll of the plain asyncio channel miss its wake-up: it looks at the
    socket only when its own timeout is up, and there finds the message if it has
    arrived by then (``arrives_after`` seconds from now). A poll without a timeout
    would never end."""
    arrival = time.monotonic() + arrives_after
    polls = []

    async def get_msg(self, timeout=None):
        polls.append(timeout)
        if timeout is None:
            await asyncio.Event().wait()
        await asyncio.sleep(timeout)
        if time.monotonic() >= arrival:
            return {"header": {"msg_type": "execute_reply"}}
        raise Empty

    monkeypatch.setattr(AsyncZMQSocketChannel, "get_msg", get_msg)
    return polls


def _channel():
    return PollingChannel.__new__(PollingChannel)  # get_msg needs no socket of its own here


def _timed(coro, guard=30.0):
    async def run():
        start = time.monotonic()
        try:
            result = await asyncio.wait_for(coro, guard)
        except Empty:
            result = Empty
        return result, time.monotonic() - start

    return asyncio.run(run())


def test_a_missed_wake_up_costs_one_poll_not_the_timeout(monkeypatch):
    polls = _unsignalled_socket(monkeypatch, arrives_after=0.3)
    msg, seconds = _timed(_channel().get_msg(timeout=300.0))
    assert msg["header"]["msg_type"] == "execute_reply"
    assert seconds < 0.3 + POLL_SECONDS + SLACK
    assert max(polls) <= POLL_SECONDS


def test_no_message_raises_empty_at_the_callers_timeout(monkeypatch):
    _unsignalled_socket(monkeypatch, arrives_after=1e9)
    result, seconds = _timed(_channel().get_msg(timeout=1.2))
    assert result is Empty
    assert 1.2 <= seconds < 1.2 + SLACK


def test_a_wait_without_timeout_still_polls_in_short_steps(monkeypatch):
    polls = _unsignalled_socket(monkeypatch, arrives_after=1.2)
    msg, seconds = _timed(_channel().get_msg(timeout=None))
    assert msg["header"]["msg_type"] == "execute_reply"
    assert seconds < 1.2 + POLL_SECONDS + SLACK
    assert None not in polls and len(polls) >= 2


def test_zero_looks_once_and_negative_waits_without_limit(monkeypatch):
    polls = _unsignalled_socket(monkeypatch, arrives_after=1e9)
    result, seconds = _timed(_channel().get_msg(timeout=0))
    assert result is Empty and polls == [0.0] and seconds < SLACK
    polls = _unsignalled_socket(monkeypatch, arrives_after=0.7)
    msg, _ = _timed(_channel().get_msg(timeout=-1))
    assert msg["header"]["msg_type"] == "execute_reply" and len(polls) >= 2


@pytest.mark.parametrize("name", ["shell", "iopub", "stdin", "control"])
def test_every_message_channel_polls_in_short_steps(name):
    assert PollingKernelClient.class_traits()[f"{name}_channel_class"].default_value is PollingChannel


def test_notebook_kernels_are_read_through_the_polling_channels(tmp_path, monkeypatch):
    """execute_notebook's client is the polling one: its replies and outputs come through PollingChannel."""
    import nbformat

    seen = []
    plain = PollingChannel.get_msg

    async def counted(self, timeout=None):
        msg = await plain(self, timeout)
        seen.append(msg["header"]["msg_type"])
        return msg

    monkeypatch.setattr(PollingChannel, "get_msg", counted)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(6 * 7)")]
    path = tmp_path / "answer.ipynb"
    path.write_text(nbformat.writes(nb))
    out, _ = demo.execute_notebook(path, write=False)
    assert out.cells[0].outputs[0]["text"].strip() == "42"
    assert "execute_reply" in seen and "stream" in seen
