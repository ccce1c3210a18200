"""A second baseline for intake throughput: only what the fixed choices cost, served like the others.

Marshmallow's load of the comment policy, then the comment and its id stored and queued in one Redis round trip
(the least a 202 that means "stored" can cost), with no signature, limits, bans, idempotency, job record or
logging. What ours spends beyond this is what our own features cost; what this spends beyond bare Flask is the
price of the fixed choices.
"""

import os
import secrets

from flask import Flask, request
from redis import Redis

from moderation.schemas import CommentIn

app = Flask(__name__)
_redis = Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
_COMMENT_IN = CommentIn()


@app.post("/v1/sites/<site>/comments")
def accept(site: str) -> tuple[dict[str, str], int]:
    data = _COMMENT_IN.load(request.get_json())
    comment_id = secrets.token_hex(8)
    with _redis.pipeline(transaction=False) as pipe:
        pipe.hset(f"floor:comment:{comment_id}", mapping={
            "site": site, "article_id": data["article"]["id"], "email": data["author"]["email"],
            "name": data["author"]["name"], "body": data["body"]})
        pipe.rpush("floor:queue", comment_id)
        pipe.execute()
    return {"id": comment_id, "status": "received"}, 202
