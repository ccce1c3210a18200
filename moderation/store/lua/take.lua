-- take: a site's batch job takes its batch of comments to screen: those it took before if it is running again (a
-- retry), else the site's oldest waiting ones, which move from the inbox to the taken list. If the job was the one
-- the site's next comments wait for and comments still wait after its batch, the site's next job is named now
-- (ARGV[2]), for the caller to queue before screening, so that another worker takes the next batch meanwhile; if
-- none wait, the site has no job and the intake's next comment makes one (accept, atomic against this script).
-- Called by CommentStore.take.
--
-- KEYS[1]  the site's comments waiting for screening, zset by created ms (inbox_key)
-- KEYS[2]  the site's comments taken by a batch job, zset by the ms they were taken (taken_key): the reaper's
-- KEYS[3]  the id of the job the site's next comments wait for, string (batch_job_key)
-- KEYS[4]  this job's batch, zset by created ms (batch_key), kept for ARGV[5] seconds
--
-- ARGV[1]  the job's id              ARGV[2]  the site's next job's id, used only if comments still wait
-- ARGV[3]  the batch size            ARGV[4]  now, ms                 ARGV[5]  how long the batch is kept, s
--
-- Returns {1 if the caller must queue the job ARGV[2] else 0, the batch's comment ids oldest first...}.

local ids = {}
if redis.call("EXISTS", KEYS[4]) == 1 then
  ids = redis.call("ZRANGE", KEYS[4], 0, -1)
else
  local oldest = redis.call("ZRANGE", KEYS[1], 0, tonumber(ARGV[3]) - 1, "WITHSCORES")
  if #oldest > 0 then
    local taken, mine = {}, {}
    for i = 1, #oldest, 2 do
      ids[#ids + 1] = oldest[i]
      taken[#taken + 1] = ARGV[4]
      taken[#taken + 1] = oldest[i]
      mine[#mine + 1] = oldest[i + 1]
      mine[#mine + 1] = oldest[i]
    end
    redis.call("ZREM", KEYS[1], unpack(ids))
    redis.call("ZADD", KEYS[2], unpack(taken))
    redis.call("ZADD", KEYS[4], unpack(mine))
    redis.call("EXPIRE", KEYS[4], ARGV[5])
  end
end
local next_job = 0
if redis.call("GET", KEYS[3]) == ARGV[1] then
  if redis.call("ZCARD", KEYS[1]) > 0 then
    redis.call("SET", KEYS[3], ARGV[2])
    next_job = 1
  else
    redis.call("DEL", KEYS[3])
  end
end
return {next_job, unpack(ids)}
