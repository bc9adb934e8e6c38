"""A real redis-server for tests: the same embedded server the hub starts by default."""

from hub.redis_server import EmbeddedRedis as RedisServer

__all__ = ["RedisServer"]
