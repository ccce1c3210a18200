"""Redis clients: RQ needs raw bytes, the data model wants text; both share one server.

REDIS_URL is a plain `redis://`/`rediss://`/`unix://` URL, or `redis+sentinel://[:password@]host:port[,host:port...]
/service[/db]`: a primary found through Sentinel, and found again after a failover.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

from redis import BlockingConnectionPool, ConnectionPool, Redis
from redis.sentinel import Sentinel, SentinelConnectionPool

SENTINEL_SCHEME = "redis+sentinel"
SENTINEL_PORT = 26379

POOL_WAIT_SECONDS = 1  # how long a caller waits for a free connection when all `max_connections` are in use


def rq_connection(url: str, *, max_connections: int | None = None, timeout: float = 5) -> Redis:
    """A client for RQ, which stores pickles and needs `decode_responses=False`. With `max_connections`, callers
    past that many wait for a free connection (then get a ConnectionError, a 503) instead of opening more.
    `timeout`: seconds a command may wait for its answer (connecting: at most 2)."""
    options: dict[str, Any] = {"socket_connect_timeout": min(2, timeout), "socket_timeout": timeout,
                               "health_check_interval": 30}
    if url.startswith(SENTINEL_SCHEME + "://"):
        return _through_sentinel(url, options, max_connections)
    if max_connections:
        pool = BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=POOL_WAIT_SECONDS,
                                               **options)
        return Redis(connection_pool=pool)
    return Redis.from_url(url, **options)


def _through_sentinel(url: str, options: dict[str, Any], max_connections: int | None) -> Redis:
    """A client of the primary the sentinels in `url` name; past `max_connections`, a ConnectionError (a 503)."""
    parts = urlsplit(url)
    auth, _, hosts = parts.netloc.rpartition("@")
    password = unquote(auth.partition(":")[2]) or None
    path = [p for p in parts.path.split("/") if p]
    if not hosts or not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ValueError(f"REDIS_URL: {SENTINEL_SCHEME}:// takes host:port[,host:port...]/service[/db]")
    nodes = []
    for node in hosts.split(","):
        host, _, port = node.rpartition(":") if ":" in node else (node, "", "")
        nodes.append((host, int(port or SENTINEL_PORT)))
    sentinel = Sentinel(nodes, sentinel_kwargs={"socket_connect_timeout": 2, "socket_timeout": 2})
    return sentinel.master_for(unquote(path[0]), db=int(path[1]) if len(path) == 2 else 0, password=password,
                               max_connections=max_connections or 2**31, **options)


@lru_cache(maxsize=8)
def _decoded_pool(pool: ConnectionPool) -> ConnectionPool:
    kwargs = {**pool.connection_kwargs, "decode_responses": True}
    if isinstance(pool, SentinelConnectionPool):
        kwargs.pop("connection_pool", None)  # the pool's own proxy, which the new pool makes afresh
        return SentinelConnectionPool(pool.service_name, pool.sentinel_manager, max_connections=pool.max_connections,
                                      connection_class=pool.connection_class, **kwargs)
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
