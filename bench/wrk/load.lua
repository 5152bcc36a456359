-- wrk script: `wrk ... -s load.lua URL -- MODE USERS [BATCH]` with MODE spend | mix | whoami | batch
-- (a POST /wallet/batch of BATCH spends, 20 unless given).
-- Tokens come from the environment (PAY_TOKEN, GAME_TOKEN); the summary is one JSON line.
local threads, counter = {}, 0

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  mode, users, batch = args[1], tonumber(args[2]), tonumber(args[3] or "20")
  pay, game = os.getenv("PAY_TOKEN"), os.getenv("GAME_TOKEN")
  statuses, n = {}, 0
  math.randomseed(os.time() * 1000 + id)
end

function posting_fields(k)
  local user = string.format("00000000-0000-4000-8000-%012d", math.random(1, users))
  local key = string.format("wrk-%d-%d-%d-%d-%d", id, n, k, os.time(), math.random(1, 1000000000))
  return string.format('"user_id":"%s","asset_type_id":1,"amount":1,"idempotency_key":"%s"', user, key)
end

function request()
  n = n + 1
  if mode == "whoami" then
    return wrk.format("GET", "/auth/whoami", {Authorization = "Bearer " .. game})
  end
  local route, token, body = "/wallet/spend", game, nil
  if mode == "mix" and math.random() < 0.5 then route, token = "/wallet/topup", pay end
  if mode == "batch" then
    local postings = {}
    for k = 1, batch do
      postings[k] = string.format('{"kind":"spend",%s}', posting_fields(k))
    end
    route, body = "/wallet/batch", '{"postings":[' .. table.concat(postings, ",") .. ']}'
  else
    body = "{" .. posting_fields(0) .. "}"
  end
  return wrk.format("POST", route, {["Content-Type"] = "application/json", Authorization = "Bearer " .. token}, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(total) do table.insert(parts, string.format('"%d":%d', status, count)) end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"mean_us":%.1f,"p50_us":%d,"p99_us":%d,' ..
    '"socket_errors":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, latency.mean, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ",")))
end
