-- claim: lease the next pending comments to a moderator, atomically, so two moderators never get the same one.
-- Called by Desk.claim.
--
-- KEYS[1]  the pending index to walk, zset (the smallest the desk's filters name)
-- KEYS[2..] indexes a comment must also be in, zsets
--
-- ARGV[1]  moderator       ARGV[2]  how many to lease     ARGV[3]  lease ms
-- ARGV[4]  the lease keys' prefix (LEASE_PREFIX): a comment's lease is this followed by its id
-- ARGV[5]  how many entries of KEYS[1] to look at, at most (a bound on the script's time)
--
-- Returns the ids leased, in the index's order. A comment leased to someone else is passed over; one leased to
-- the caller is leased again for the full time.

local moderator, want, lease_ms, prefix, scan = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], tonumber(ARGV[5])
local out, offset = {}, 0
while #out < want and offset < scan do
  local ids = redis.call('ZRANGE', KEYS[1], offset, math.min(offset + 199, scan - 1))
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local wanted = true
    for i = 2, #KEYS do
      if not redis.call('ZSCORE', KEYS[i], id) then wanted = false break end
    end
    if wanted then
      local holder = redis.call('GET', prefix .. id)
      if (not holder) or holder == moderator then
        redis.call('SET', prefix .. id, moderator, 'PX', lease_ms)
        out[#out + 1] = id
        if #out >= want then break end
      end
    end
  end
  offset = offset + 200
end
return out
