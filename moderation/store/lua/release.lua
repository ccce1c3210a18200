-- release: drop these leases where the caller holds them (any holder's, for an admin). The check and the delete
-- are one step, so a lease that ran out and went to someone else meanwhile is never taken from them.
-- Called by Desk.release.
--
-- KEYS[1..] the leases (lease_key)
--
-- ARGV[1]  moderator       ARGV[2]  "1": drop whoever holds them (an admin's release), else only the caller's
--
-- Returns nothing.

local moderator, anyone = ARGV[1], ARGV[2] == "1"
for _, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder and (anyone or holder == moderator) then redis.call('DEL', key) end
end
