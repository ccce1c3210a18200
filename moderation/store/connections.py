"""Redis clients: RQ needs raw bytes, the data model wants text; both share one server."""

from __future__ import annotations

from functools import lru_cache

from redis import BlockingConnectionPool, ConnectionPool, Redis

POOL_WAIT_SECONDS = 1  # how long a caller waits for a free connection when all `max_connections` are in use


def rq_connection(url: str, *, max_connections: int | None = None) -> Redis:
    """A client for RQ, which stores pickles and needs `decode_responses=False`. With `max_connections`, callers
    past that many wait for a free connection (then get a ConnectionError, a 503) instead of opening more."""
    options = {"socket_connect_timeout": 2, "socket_timeout": 5, "health_check_interval": 30}
    if max_connections:
        pool = BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=POOL_WAIT_SECONDS,
                                               **options)
        return Redis(connection_pool=pool)
    return Redis.from_url(url, **options)


@lru_cache(maxsize=8)
def _decoded_pool(pool: ConnectionPool) -> ConnectionPool:
    kwargs = {**pool.connection_kwargs, "decode_responses": True}
    if isinstance(pool, BlockingConnectionPool):
        return BlockingConnectionPool(connection_class=pool.connection_class, max_connections=pool.max_connections,
                                      timeout=pool.timeout, **kwargs)
    return ConnectionPool(connection_class=pool.connection_class, **kwargs)


def text_twin(conn: Redis) -> Redis:
    """A text-decoding client on the same server as `conn`, with a pool kept per process."""
    return Redis(connection_pool=_decoded_pool(conn.connection_pool))


def accepts_writes(conn: Redis) -> bool:
    """Whether `conn` reaches a primary: a replica (read-only) answers reads but refuses every comment."""
    role = conn.execute_command("ROLE")
    name = role[0].decode() if isinstance(role[0], bytes) else str(role[0])
    return name == "master"
