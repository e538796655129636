"""A requests adapter whose connections go only where the feed's AddressPolicy allows.

Each new connection resolves its host once through the policy's resolver,
drops the addresses the feed may not reach and connects to a remaining one
by its address; TLS still sends the host name (SNI) and checks the
certificate against it, since only the socket underneath changes. A pooled
connection opened for one feed is checked again, by its peer address,
before another request (perhaps another feed's) goes over it.

Imported by Fetcher only (requests and urllib3 load here): the search path
never loads it.
"""

from __future__ import annotations

import socket
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.poolmanager import PoolManager
from urllib3.util import connection as connection_util

from tracker.fetch.addresses import CURRENT


class _Vetted:
    """Mixed into urllib3's connections: _new_conn and request consult addresses.CURRENT."""

    host: str
    _dns_host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any
    sock: Any

    def _new_conn(self) -> socket.socket:
        policy = CURRENT.get()
        if policy is None:
            return super()._new_conn()  # type: ignore[misc]
        try:
            answers = policy.vet(self._dns_host, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
        failure: OSError | None = None
        for _family, sockaddr in answers:
            try:
                return connection_util.create_connection(
                    (sockaddr[0], self.port), self.timeout,
                    source_address=self.source_address, socket_options=self.socket_options)
            except OSError as exc:  # socket.timeout is an OSError too
                failure = exc
        if isinstance(failure, TimeoutError):
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})") from failure
        raise NewConnectionError(self, f"Failed to establish a new connection: {failure}") from failure  # type: ignore[arg-type]

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        policy = CURRENT.get()
        if policy is not None and self.sock is not None:
            try:
                peer = self.sock.getpeername()[0]
            except OSError:
                peer = None  # a dead socket: urllib3 reconnects through _new_conn
            if peer is not None:
                policy.check(self._dns_host, peer)
        return super().request(method, url, *args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_Vetted, HTTPConnection):
    pass


class _HTTPSConnection(_Vetted, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _PoolManager(PoolManager):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


class VettingAdapter(HTTPAdapter):
    """HTTPAdapter with vetted connections (send() is the stock one)."""

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False,
                         **pool_kwargs: Any) -> None:
        self._pool_connections = connections
        self._pool_maxsize = maxsize
        self._pool_block = block
        self.poolmanager = _PoolManager(num_pools=connections, maxsize=maxsize, block=block, **pool_kwargs)
