-- screened: store a batch's screenings (comments of one site), add each comment to the review indexes, and count
-- them in the screening metrics, unless it is gone or was screened already; either way it leaves the lists of
-- comments being screened. One call per batch, so each index and counter takes one command for the whole batch.
-- Called by CommentStore.record_screenings.
--
-- KEYS[1]  the site's comments taken by batch jobs, zset (taken_key)
-- KEYS[2]  comments screened by a job of their own, zset (RECEIVED), or "" for a batch's
-- KEYS[3]  the screening metrics, hash (METRICS_SCREENING)
-- KEYS[4]  the site's pending comments by age, zset (age_key(site))
-- KEYS[5]  every site's pending comments by age, zset (age_key())
-- KEYS[6]  the site's article ids with comments to review, zset (articles_key)
-- KEYS[7..] the comments' hashes and the pending indexes they join (Comment.queue_keys), named by position below
--
-- ARGV[1]  the status a comment must still have ("received")
-- ARGV[2]  the comments, a JSON array of objects: "id"; "hash": the position of its hash in KEYS; "indexes": the
--          positions of its pending indexes; "score": its queue score (queue_score) and "created": created ms,
--          both as strings (Lua would print a number of 16 digits in 14);
--          "article": article id; "fields": the fields to set; "drop_language": true to remove `language` (none
--          found); "us": screening microseconds; "buckets": the histogram fields (le_<seconds>) it counts in
--
-- Returns, per comment in order, 1 if stored, 0 if it was gone or screened already.

local comments = cjson.decode(ARGV[2])
local done, ids = {}, {}
local members = {}      -- KEYS position -> {score, id, ...} to add
local aged, articles = {}, {}
local seen_article = {}
local count, sum_us, buckets = 0, 0, {}
local function add(position, score, member)
  local list = members[position]
  if not list then list = {}; members[position] = list end
  list[#list + 1] = score
  list[#list + 1] = member
end
for i, c in ipairs(comments) do
  ids[#ids + 1] = c.id
  done[i] = 0
  local key = KEYS[c.hash]
  if redis.call("HGET", key, "status") == ARGV[1] then
    local fields = {}
    for name, value in pairs(c.fields) do
      fields[#fields + 1] = name
      fields[#fields + 1] = value
    end
    redis.call("HSET", key, unpack(fields))
    if c.drop_language then redis.call("HDEL", key, "language") end
    for _, position in ipairs(c.indexes) do add(position, c.score, c.id) end
    aged[#aged + 1] = c.created
    aged[#aged + 1] = c.id
    if not seen_article[c.article] then
      seen_article[c.article] = true
      articles[#articles + 1] = 0
      articles[#articles + 1] = c.article
    end
    count = count + 1
    sum_us = sum_us + c.us
    for _, field in ipairs(c.buckets) do buckets[field] = (buckets[field] or 0) + 1 end
    done[i] = 1
  end
end
if #ids > 0 then
  redis.call("ZREM", KEYS[1], unpack(ids))
  if KEYS[2] ~= "" then redis.call("ZREM", KEYS[2], unpack(ids)) end
end
if count > 0 then
  for position, list in pairs(members) do redis.call("ZADD", KEYS[position], unpack(list)) end
  redis.call("ZADD", KEYS[4], unpack(aged))
  redis.call("ZADD", KEYS[5], unpack(aged))
  redis.call("ZADD", KEYS[6], unpack(articles))
  redis.call("HINCRBY", KEYS[3], "count", count)
  redis.call("HINCRBY", KEYS[3], "sum_us", sum_us)
  for field, n in pairs(buckets) do redis.call("HINCRBY", KEYS[3], field, n) end
end
return done
