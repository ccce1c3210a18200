-- claim_ids: lease these comments to a moderator, except those someone else holds or that are no longer pending.
-- Called by Desk.claim_ids.
--
-- KEYS[1]  the pending index, zset (QUEUE_ALL)
--
-- ARGV[1]  moderator       ARGV[2]  lease ms
-- ARGV[3]  the lease keys' prefix (LEASE_PREFIX): a comment's lease is this followed by its id
-- ARGV[4..] the comment ids
--
-- Returns the ids leased, in the order asked.

local moderator, lease_ms, prefix, pending = ARGV[1], ARGV[2], ARGV[3], KEYS[1]
local out = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  if redis.call('ZSCORE', pending, id) then
    local holder = redis.call('GET', prefix .. id)
    if (not holder) or holder == moderator then
      redis.call('SET', prefix .. id, moderator, 'PX', lease_ms)
      out[#out + 1] = id
    end
  end
end
return out
