"""The tests' real redis-server: the product's own helper, on a free port in a temporary folder."""

from moderation.cli.redisproc import RedisServer, find_redis_server, free_port

__all__ = ["RedisServer", "find_redis_server", "free_port"]
