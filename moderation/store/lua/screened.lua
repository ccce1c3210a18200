-- screened: store one comment's screening and add it to the review indexes, unless it is gone or was screened
-- already; either way it leaves the lists of comments being screened. Called by CommentStore.record_screenings, a batch's comments in
-- one pipeline.
--
-- KEYS[1]  the comment's hash (comment_key)
-- KEYS[2]  the site's comments taken by batch jobs, zset (taken_key)
-- KEYS[3]  comments screened by a job of their own, zset (RECEIVED), or "" for a comment of a batch
-- KEYS[4]  the site's pending comments by age, zset (age_key(site))
-- KEYS[5]  every site's pending comments by age, zset (age_key())
-- KEYS[6]  the site's article ids with comments to review, zset (articles_key)
-- KEYS[7..] the pending indexes the comment joins (Comment.queue_keys)
--
-- ARGV[1]  comment id                ARGV[2]  its queue score (queue_score)   ARGV[3]  created ms
-- ARGV[4]  article id                ARGV[5]  the status it must still have ("received")
-- ARGV[6]  the fields to set, as a JSON object (status, flags, risk, screened_ms, language)
-- ARGV[7]  "1" to remove the `language` field (screening found no language)
--
-- Returns 1 if stored, 0 if the comment is gone or was screened already.

local id = ARGV[1]
redis.call("ZREM", KEYS[2], id)
if KEYS[3] ~= "" then redis.call("ZREM", KEYS[3], id) end
if redis.call("HGET", KEYS[1], "status") ~= ARGV[5] then return 0 end
local fields = {}
for name, value in pairs(cjson.decode(ARGV[6])) do
  fields[#fields + 1] = name
  fields[#fields + 1] = value
end
redis.call("HSET", KEYS[1], unpack(fields))
if ARGV[7] == "1" then redis.call("HDEL", KEYS[1], "language") end
for i = 7, #KEYS do redis.call("ZADD", KEYS[i], ARGV[2], id) end
redis.call("ZADD", KEYS[4], ARGV[3], id)
redis.call("ZADD", KEYS[5], ARGV[3], id)
redis.call("ZADD", KEYS[6], 0, ARGV[4])
return 1
