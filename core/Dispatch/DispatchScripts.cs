using Serverless.Core.Redis;

namespace Serverless.Core.Dispatch;

/// <summary>
/// Every dispatch decision and state change is one Lua script: atomic, one round trip, and one shared sequence for all
/// instances. A pool is one aggregate under the hash tag of its name (<c>{prefix}dispatch:{pool}:…</c>, one cluster
/// slot): <c>pool</c> hash (policy, target ids, definition JSON, generation, and every target's state as
/// <c>{id}:{field}</c>: weight, kind, address, SWRR current weight, peak EWMA, failures, ejection), <c>seq</c> counter,
/// <c>l:{id}</c> sorted set of in-flight leases scored by expiry. Time is the caller's clock, so tests can drive it
/// with a fake clock.
/// Every key is passed in KEYS, the lease sets in the order of the target list the caller believes the pool has
/// (<c>targets</c>); a script finding another list answers <c>{'stale', list}</c> and the caller retries with it.
/// Why one hash for all targets: a pick reads every target's state, and one HMGET for the pool cost far less Redis CPU
/// than one HMGET per target (measured: a 4-target pick spent ~20 µs in Redis against ~2.5 µs for an empty script).
/// Weights are scaled by 1000 inside the scripts so slow start can ramp them in whole numbers (SWRR is scale-free).
/// </summary>
internal static class DispatchScripts
{
    private const string Targets = """
        local function ids(text)
          local list = {}
          for id in string.gmatch(text or '', '%S+') do list[#list + 1] = id end
          return list
        end
        -- Target id to its lease set key: the keys come in the order of the target list they were built for.
        local leaseOf = {}
        local function bind(list, keys)
          for k, id in ipairs(list) do leaseOf[id] = keys[k] end
        end

        """;

    private const string Balancing = Targets + """
        local nowText = now
        now = tonumber(now)
        slow = tonumber(slow)
        decay = tonumber(decay)
        -- Weight in thousandths; during slow start it ramps linearly from the moment of readmission.
        local function effective(weight, since)
          if weight <= 0 then return 0 end
          local scaled = weight * 1000
          if since > 0 and slow > 0 and now >= since and now - since < slow then
            return math.max(1, math.floor(scaled * (now - since) / slow))
          end
          return scaled
        end
        -- Unexpired in-flight leases (a crashed caller's lease stops counting when it expires). Counting by score is
        -- one command; expired members are only removed when the target takes a new lease (see Pick), which keeps the
        -- set bounded without a write per target per pick.
        local function inflight(id)
          return redis.call('ZCOUNT', leaseOf[id], '(' .. nowText, '+inf')
        end
        -- The state fields of the given targets, read with one HMGET of the pool hash: row k holds fields[1..#names].
        local function state(list, names)
          local fields = {}
          for _, id in ipairs(list) do
            for _, name in ipairs(names) do fields[#fields + 1] = id .. ':' .. name end
          end
          if #fields == 0 then return {} end
          return redis.call('HMGET', pool, unpack(fields))
        end
        -- Peak EWMA read with decay since the last sample, so a target that was slow once is tried again in time.
        local function latency(ewma, at)
          if ewma <= 0 then return 0 end
          return ewma * math.exp(-math.max(0, now - at) / decay)
        end

        """;

    // `lease` ms, `exclude` a target to leave out ('' = none), `r1` and `r2` random numbers in [0, 1), `penalty` latency
    // (ms) for a busy target with no latency sample yet; for ring-hash and maglev: `gen` the pool generation the
    // caller's table was built from, `prefs` the key's target ids in preference order ('' = the request has no key),
    // `factor` the bounded-load factor c (other policies ignore the three).
    // Reply: {'ok', id, kind, address, seq, sampleA, sampleB, reason, policy} | {'missing'} | {'stale', targets}
    //      | {'ejected', ms until the first readmission} | {'none'} | {'rehash', json, gen} | {'nokey'}.
    // `reason` is 'hash', 'bounded-load-spill' or 'ejected-spill' for the hashing policies, '' for the others.
    public static readonly RedisScript Pick = RedisScript.Named(
        "dispatch.pick", ["pool", "seq"], ["now", "slow", "decay", "targets", "lease", "leaseId", "exclude", "r1", "r2", "penalty", "gen", "prefs", "factor"], Balancing + """
        local cfg = redis.call('HMGET', pool, 'policy', 'targets')
        if not cfg[1] then return {'missing'} end
        if cfg[2] ~= targets then return {'stale', cfg[2]} end
        local policy = cfg[1]
        local hashed = policy == 'ring-hash' or policy == 'maglev'
        if hashed then
          -- The caller's table must be built from this very definition (see HashTableCache), or its preferences
          -- would follow an old ring; an empty preference list means the request had no key.
          local current = redis.call('HGET', pool, 'gen')
          if current ~= gen then return {'rehash', redis.call('HGET', pool, 'json'), current} end
          if prefs == '' then return {'nokey'} end
        end
        local avail = {}
        local soonest = nil
        local list = {}
        local all = ids(targets)
        bind(all, leases)
        for _, id in ipairs(all) do
          if id ~= exclude then list[#list + 1] = id end
        end
        -- Only the fields this policy uses are read (each field read costs Redis about as much as a small command);
        -- the chosen target's kind and address are read once it is chosen.
        local names = {'w', 'until', 'since'}
        if policy == 'weighted-round-robin' then names[4] = 'cw' end
        if policy == 'least-response-time' or policy == 'power-of-two-choices' then names[4] = 'ewma'; names[5] = 'at' end
        local rows = state(list, names)
        local width = #names
        for k, id in ipairs(list) do
          local o = (k - 1) * width
          local weight = tonumber(rows[o + 1]) or 0
          local ejected = tonumber(rows[o + 2]) or 0
          if ejected > now then
            if weight > 0 and (not soonest or ejected < soonest) then soonest = ejected end
          else
            local ew = effective(weight, tonumber(rows[o + 3]) or 0)
            if ew > 0 then
              local t = {id = id, ew = ew, cw = 0, ewma = 0, at = 0}
              if width == 4 then t.cw = tonumber(rows[o + 4]) or 0 end
              if width == 5 then t.ewma = tonumber(rows[o + 4]) or 0; t.at = tonumber(rows[o + 5]) or 0 end
              avail[#avail + 1] = t
            end
          end
        end
        if #avail == 0 then
          if soonest then return {'ejected', soonest - now} end
          return {'none'}
        end
        local sequence = redis.call('INCR', seq)
        local n = #avail
        penalty = tonumber(penalty)
        local function cost(t)
          local busy = inflight(t.id)
          local l = latency(t.ewma, t.at)
          if l <= 0 and busy > 0 then l = penalty end
          return l * (busy + 1) / t.ew
        end
        local pick, a, b
        local reason = ''
        if policy == 'round-robin' then
          pick = avail[(sequence - 1) % n + 1]
        elseif policy == 'weighted-round-robin' then
          local total = 0
          for _, t in ipairs(avail) do
            t.cw = t.cw + t.ew
            total = total + t.ew
            if not pick or t.cw > pick.cw then pick = t end
          end
          pick.cw = pick.cw - total
          local write = {}
          for _, t in ipairs(avail) do
            write[#write + 1] = t.id .. ':cw'
            write[#write + 1] = t.cw
          end
          redis.call('HSET', pool, unpack(write))
        elseif policy == 'power-of-two-choices' and n > 1 then
          local total = 0
          for _, t in ipairs(avail) do total = total + t.ew end
          -- Weighted sample; the second draw leaves the first out, so the two samples are always distinct.
          local function sample(r, skip, sum)
            local x = r * sum
            local last
            for _, t in ipairs(avail) do
              if t ~= skip then
                last = t
                x = x - t.ew
                if x < 0 then return t end
              end
            end
            return last
          end
          a = sample(tonumber(r1), nil, total)
          b = sample(tonumber(r2), a, total - a.ew)
          if cost(b) < cost(a) then pick = b else pick = a end
        elseif hashed then
          -- Bounded loads (Mirrokni, Thorup, Zadimoghaddam 2016): the key takes its first preference that stays within
          -- ceil(c x its weighted share of the in-flight requests, this one included). The caps add up to at least
          -- c x total >= total, so some available target always has room.
          local byId = {}
          local total, weight = 1, 0
          for _, t in ipairs(avail) do
            t.busy = inflight(t.id)
            total = total + t.busy
            weight = weight + t.ew
            byId[t.id] = t
          end
          local c = tonumber(factor)
          local first, full = nil, false
          for id in string.gmatch(prefs, '%S+') do
            first = first or id
            local t = byId[id]
            if t then
              if t.busy + 1 <= math.ceil(c * total * t.ew / weight - 1e-9) then pick = t; break end
              full = true
            end
          end
          if not pick then
            -- Only when the caller's preferences miss every available target (they cover all weighted ones).
            for _, t in ipairs(avail) do
              if not pick or t.busy < pick.busy then pick = t end
            end
          end
          if pick.id == first then reason = 'hash' elseif full then reason = 'bounded-load-spill' else reason = 'ejected-spill' end
        else
          -- least-connections, least-response-time (and P2C with one target). Ties rotate with the sequence so
          -- an idle pool does not send everything to its first target.
          local best
          for k = 0, n - 1 do
            local t = avail[(sequence + k) % n + 1]
            local c
            if policy == 'least-connections' then c = (inflight(t.id) + 1) / t.ew else c = cost(t) end
            if not best or c < best then best = c; pick = t end
          end
        end
        local chosen = leaseOf[pick.id]
        local ms = tonumber(lease)
        -- Expired leases (crashed callers) are dropped here, so a set never holds more than one lease period of picks.
        redis.call('ZREMRANGEBYSCORE', chosen, '-inf', nowText)
        redis.call('ZADD', chosen, now + ms, leaseId)
        redis.call('PEXPIRE', chosen, 2 * ms)
        local where = redis.call('HMGET', pool, pick.id .. ':kind', pick.id .. ':addr')
        return {'ok', pick.id, where[1], where[2], sequence, a and a.id or '', b and b.id or '', reason, policy}
        """, restKeys: "leases");

    // `lease`: the target's lease set; `leaseId` '' = none (e.g. a probe); `outcome` 'ok' | 'fail' | 'release';
    // `sampleMs` latency (-1 = none); `threshold` failures to eject; `first` and `longest` ejection ms.
    // Reply: {'ok'} | {'ok', 'readmitted'} (first success after an ejection and its slow start) | {'failed', consecutive
    // failures} | {'ejected', until ms} (already ejected) | {'ejected', until ms, 'new'} | {'missing'}.
    public static readonly RedisScript Record = RedisScript.Named(
        "dispatch.record", ["pool", "lease"], ["now", "slow", "decay", "target", "leaseId", "outcome", "sampleMs", "threshold", "first", "longest"], Balancing + """
        local function f(name) return target .. ':' .. name end
        if leaseId ~= '' then redis.call('ZREM', lease, leaseId) end
        -- A target exists while it has an address; the same HMGET reads the state the outcome needs.
        local s = redis.call('HMGET', pool, f('addr'), f('ewma'), f('at'), f('until'), f('since'), f('streak'))
        if not s[1] then return {'missing'} end
        if outcome == 'release' then return {'ok'} end
        table.remove(s, 1)
        local sample = tonumber(sampleMs)
        local write = {}
        if sample >= 0 then
          -- Peak EWMA (Finagle): a slower sample is taken at once, faster ones are blended in with time decay.
          local ewma = tonumber(s[1]) or 0
          if ewma <= 0 or sample >= ewma then
            ewma = sample
          else
            local w = math.exp(-math.max(0, now - (tonumber(s[2]) or now)) / decay)
            ewma = ewma * w + sample * (1 - w)
          end
          write = {f('ewma'), tostring(ewma), f('at'), now}
        end
        local ejected = tonumber(s[3]) or 0
        local since = tonumber(s[4]) or 0
        local streak = tonumber(s[5]) or 0
        -- Latency and health changes go out in one HSET.
        local function flush()
          if #write > 0 then redis.call('HSET', pool, unpack(write)) end
        end
        if outcome == 'ok' then
          write[#write + 1] = f('fails')
          write[#write + 1] = 0
          -- The ejection streak (which doubles the backoff) ends once the target got through slow start healthy.
          if streak > 0 and ejected <= now and now - since >= slow then
            write[#write + 1] = f('streak')
            write[#write + 1] = 0
            flush()
            return {'ok', 'readmitted'}
          end
          flush()
          return {'ok'}
        end
        flush()
        -- Failures of requests that were already in flight when the target was ejected do not extend the ejection.
        if ejected > now then return {'ejected', ejected} end
        local fails = redis.call('HINCRBY', pool, f('fails'), 1)
        if fails < tonumber(threshold) then return {'failed', fails} end
        streak = math.min(streak + 1, 40)
        local untilAt = now + math.min(tonumber(first) * 2 ^ (streak - 1), tonumber(longest))
        redis.call('HSET', pool, f('fails'), 0, f('streak'), streak, f('until'), untilAt, f('since'), untilAt)
        return {'ejected', untilAt, 'new'}
        """);

    // `old`: the target list the caller believes the pool has ('' = no pool); `leaseIds`: the ids whose lease sets are
    // in KEYS (old and new targets); `entries`: (id, weight, kind, address) per target; `gen`: this save's generation,
    // which the pool index entry carries too (see DispatchStore).
    // Kept targets keep their health and latency; a target whose address changed starts fresh; removed targets are deleted.
    // Every SWRR current weight is reset so the new weights start a clean sequence.
    // Reply: {'created'} | {'updated'} | {'stale', targets}.
    public static readonly RedisScript Save = RedisScript.Named(
        "dispatch.save", ["pool"], ["old", "leaseIds", "policy", "json", "gen"], Targets + """
        local current = redis.call('HGET', pool, 'targets')
        if (current or '') ~= old then return {'stale', current or ''} end
        bind(ids(leaseIds), leases)
        local function forget(id)
          local fields = {}
          for _, name in ipairs({'w', 'kind', 'addr', 'cw', 'until', 'since', 'ewma', 'at', 'fails', 'streak'}) do
            fields[#fields + 1] = id .. ':' .. name
          end
          redis.call('HDEL', pool, unpack(fields))
          redis.call('DEL', leaseOf[id])
        end
        local keep = {}
        local list = {}
        for i = 1, #entries, 4 do
          local id = entries[i]
          keep[id] = true
          list[#list + 1] = id
          if redis.call('HGET', pool, id .. ':addr') ~= entries[i + 3] then forget(id) end
          redis.call('HSET', pool, id .. ':w', entries[i + 1], id .. ':kind', entries[i + 2], id .. ':addr', entries[i + 3], id .. ':cw', 0)
        end
        for _, id in ipairs(ids(current)) do
          if not keep[id] then forget(id) end
        end
        redis.call('HSET', pool, 'policy', policy, 'targets', table.concat(list, ' '), 'json', json, 'gen', gen)
        if current then return {'updated'} end
        return {'created'}
        """, restKeys: "leases", restArgs: "entries");

    // Reply: {'missing'} | {'stale', targets} | {'ok', json, {id, weight, effective, inflight, ewma, fails, until, since, streak}...}.
    // Numbers go back as strings: Redis truncates Lua numbers to integers.
    public static readonly RedisScript Read = RedisScript.Named(
        "dispatch.read", ["pool"], ["now", "slow", "decay", "targets"], Balancing + """
        local cfg = redis.call('HMGET', pool, 'json', 'targets')
        if not cfg[1] then return {'missing'} end
        if cfg[2] ~= targets then return {'stale', cfg[2]} end
        local rows = {}
        local list = ids(targets)
        bind(list, leases)
        local all = state(list, {'w', 'until', 'since', 'ewma', 'at', 'fails', 'streak'})
        for k, id in ipairs(list) do
          local s = {unpack(all, (k - 1) * 7 + 1, k * 7)}
          local weight = tonumber(s[1]) or 0
          local ejected = tonumber(s[2]) or 0
          local ew = 0
          if ejected <= now then ew = effective(weight, tonumber(s[3]) or 0) end
          rows[#rows + 1] = {id, tostring(weight), tostring(ew / 1000), tostring(inflight(id)),
            tostring(latency(tonumber(s[4]) or 0, tonumber(s[5]) or 0)), tostring(tonumber(s[6]) or 0),
            tostring(ejected), tostring(tonumber(s[3]) or 0), tostring(tonumber(s[7]) or 0)}
        end
        return {'ok', cfg[1], rows}
        """, restKeys: "leases");

    // Reply: {'deleted', generation} | {'missing'} | {'stale', targets}.
    public static readonly RedisScript Delete = RedisScript.Named("dispatch.delete", ["pool", "seq"], ["targets"], """
        local cfg = redis.call('HMGET', pool, 'targets', 'gen')
        if not cfg[1] then return {'missing'} end
        if cfg[1] ~= targets then return {'stale', cfg[1]} end
        for _, key in ipairs(leases) do redis.call('DEL', key) end
        redis.call('DEL', pool, seq)
        return {'deleted', cfg[2] or ''}
        """, restKeys: "leases");

    // The pool index (its own aggregate): drops a pool's entry only if it still carries the generation of the pool that
    // was deleted, so an entry written meanwhile by a new save of the same name stays. Reply 1 dropped, 0 kept.
    public static readonly RedisScript Unlist = RedisScript.Named("dispatch.unlist", ["index"], ["name", "gen"], """
        if redis.call('HGET', index, name) ~= gen then return 0 end
        redis.call('HDEL', index, name)
        return 1
        """);
}
