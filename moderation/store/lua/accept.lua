-- accept: store one comment in its site's inbox for screening, with a batch job for the site if none is queued for
-- its next comments; or say why not. Atomic, so no other client runs between the checks and the writes, and a batch
-- job taking its batch (take) either leaves a job for this comment or none, for this script to make.
-- Called by CommentStore.create.
--
-- KEYS[1]  the comment's hash (comment_key)
-- KEYS[2]  the site's comments waiting for screening, zset (inbox_key)
-- KEYS[3]  intake counters, hash (METRICS_INTAKE)
-- KEYS[4]  the site's screening queue, RQ's list (rq:queue:screening:<site>)
-- KEYS[5]  the author's latest comments on the site, zset (author_comments_key)
-- KEYS[6]  the client address's recent comments, zset (address_key), or "" without an address
-- KEYS[7]  the request's record: an Idempotency-Key's (idempotency_key) or a signed request's
--          (signed_request_key), or "" for neither
-- KEYS[8]  the parent comment's hash, or "" for a top-level comment
-- KEYS[9]  the parent's replies, set (replies_key), or ""
-- KEYS[10] the hash of a new batch job (rq:job:<ARGV[10]>), written only if none is queued
-- KEYS[11] RQ's set of queues (rq:queues)
-- KEYS[12] comments whose personal data is still held, zset by created ms (RETAIN_PII: retention's)
-- KEYS[13] the id of the job the site's next comments wait for, string (batch_job_key)
-- KEYS[14..] the ban keys that would refuse this author or address (Bans.check_keys); any existing one refuses
--
-- ARGV[1]  comment id                ARGV[2]  created ms             ARGV[3]  rate window start ms
-- ARGV[4]  per-author limit          ARGV[5]  per-address limit
-- ARGV[6]  sha256 of the body; "" for a signed request's record (the signature already binds the body)
-- ARGV[7]  address window start ms   ARGV[8]  site                   ARGV[9]  article id
-- ARGV[10] a new batch job's id         ARGV[11] the comment's hash fields as a JSON object
-- ARGV[12] the site's backlog limit (0: none)                        ARGV[13] Idempotency-Key record TTL s
-- ARGV[14] signed request record TTL s                               ARGV[15] author history kept
-- ARGV[16] address window ms
-- ARGV[17..21] the new job's fields that vary: created_at, enqueued_at, data, description, meta (ScreeningJobs.VARYING)
-- ARGV[22..] the job fields every batch job of the site shares, as name, value, name, value...
--
-- Returns {"ok"}, {"replay", comment id, body sha256}, {"overloaded", backlog}, {"banned"},
-- {"limited", "author"|"address", oldest ms in the window or ""}, or {"no_parent"}.

local id, created = ARGV[1], ARGV[2]
if KEYS[7] ~= "" then
  local earlier = redis.call("HMGET", KEYS[7], "comment_id", "body_sha256")
  if earlier[1] then return {"replay", earlier[1], earlier[2]} end
end
local max_backlog = tonumber(ARGV[12])
if max_backlog > 0 then
  local backlog = redis.call("ZCARD", KEYS[2])
  if backlog >= max_backlog then return {"overloaded", tostring(backlog)} end
end
if #KEYS >= 14 and redis.call("EXISTS", unpack(KEYS, 14, #KEYS)) > 0 then return {"banned"} end
local function over(key, limit, who)
  local count = redis.call("ZCOUNT", key, ARGV[3], "+inf")
  if count < limit then return nil end
  local oldest = redis.call("ZRANGEBYSCORE", key, ARGV[3], "+inf", "WITHSCORES", "LIMIT", count - limit, 1)
  return {"limited", who, oldest[2] or ""}
end
local refused = over(KEYS[5], tonumber(ARGV[4]), "author")
if not refused and KEYS[6] ~= "" then refused = over(KEYS[6], tonumber(ARGV[5]), "address") end
if refused then return refused end
if KEYS[8] ~= "" then
  local parent = redis.call("HMGET", KEYS[8], "site", "article_id")
  if parent[1] ~= ARGV[8] or parent[2] ~= ARGV[9] then return {"no_parent"} end
end
-- The comment first: were the job's writes to fail, the reaper would make the job for a comment left waiting.
local fields = {}
for name, value in pairs(cjson.decode(ARGV[11])) do
  fields[#fields + 1] = name
  fields[#fields + 1] = value
end
redis.call("HSET", KEYS[1], unpack(fields))
redis.call("ZADD", KEYS[2], created, id)
redis.call("ZADD", KEYS[12], created, id)
redis.call("HINCRBY", KEYS[3], "202", 1)
redis.call("ZADD", KEYS[5], created, id)
redis.call("ZREMRANGEBYRANK", KEYS[5], 0, -tonumber(ARGV[15]) - 1)
if KEYS[6] ~= "" then
  redis.call("ZADD", KEYS[6], created, id)
  redis.call("ZREMRANGEBYSCORE", KEYS[6], "-inf", ARGV[7])
  redis.call("PEXPIRE", KEYS[6], ARGV[16])
end
if KEYS[9] ~= "" then redis.call("SADD", KEYS[9], id) end
if KEYS[7] ~= "" then
  redis.call("HSET", KEYS[7], "comment_id", id, "body_sha256", ARGV[6])
  -- An Idempotency-Key is kept for its TTL; a signed request's record (no body hash) only while it could replay.
  redis.call("EXPIRE", KEYS[7], ARGV[6] ~= "" and ARGV[13] or ARGV[14])
end
-- A batch job for the site, as RQ's enqueue writes it, unless one is queued: that one will take this comment.
if redis.call("SET", KEYS[13], ARGV[10], "NX") then
  redis.call("SADD", KEYS[11], KEYS[4])
  redis.call("HSET", KEYS[10], "created_at", ARGV[17], "enqueued_at", ARGV[18], "data", ARGV[19],
    "description", ARGV[20], "meta", ARGV[21], unpack(ARGV, 22, #ARGV))
  redis.call("RPUSH", KEYS[4], ARGV[10])
end
return {"ok"}
