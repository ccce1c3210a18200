"""Redis clients: RQ needs raw bytes, the data model wants text; both share one server."""

from __future__ import annotations

from functools import lru_cache

from redis import ConnectionPool, Redis


def rq_connection(url: str) -> Redis:
    """A client for RQ, which stores pickles and needs `decode_responses=False`."""
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)


@lru_cache(maxsize=8)
def _decoded_pool(pool: ConnectionPool) -> ConnectionPool:
    kwargs = {**pool.connection_kwargs, "decode_responses": True}
    return ConnectionPool(connection_class=pool.connection_class, **kwargs)


def text_twin(conn: Redis) -> Redis:
    """A text-decoding client on the same server as `conn`, with a pool kept per process."""
    return Redis(connection_pool=_decoded_pool(conn.connection_pool))
