"""Test session guards: no test reaches beyond loopback."""

from __future__ import annotations

import ipaddress
import socket
from datetime import date

import pytest

_real_connect = socket.socket.connect


def _guarded_connect(self, address):
    host = address[0] if isinstance(address, tuple) else address
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host in ("localhost",)
    if self.family == socket.AF_UNIX or loopback:
        return _real_connect(self, address)
    raise RuntimeError(f"tests must not touch the network (tried to connect to {address!r})")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    yield


@pytest.fixture
def state(tmp_path):
    """Crawl state in a fresh sqlite file."""
    from tracker.state import State

    st = State(tmp_path / "state.sqlite")
    yield st
    st.close()


@pytest.fixture
def today(monkeypatch):
    """Pin the registry sources' idea of today (mutable: tests move it on)."""
    from tracker.sources import window as _window

    day = {"value": date(2024, 6, 30)}
    monkeypatch.setattr(_window, "today", lambda: day["value"])
    return day
