-- wrk script: transfers of 0.25 h between pairs of demo pioneers, each
-- request signed by its payer and carrying its own Idempotency-Key.
-- `pairs.lua` (written by run.sh) defines `transfer_pairs`, a list of
-- { payer_token, payer_id, payee_token, payee_id }.
dofile(os.getenv("AGORA_WRK_PAIRS"))

-- Each wrk thread runs this script in a Lua state of its own; `setup`
-- runs in the main one and hands each thread its number as the global
-- `thread_id` (a `local` of that name would hide it, and every thread
-- would then send the same keys: retries, not new transfers).
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

local counter = 0
-- Globals, so that `done` can read each thread's with `thread:get`.
recorded = 0
replayed = 0
refused = 0

function init(args)
  math.randomseed(os.time() * 100 + thread_id)
end

function request()
  counter = counter + 1
  -- Each pair pays one way, then back, so balances stay near where they were.
  local pair = transfer_pairs[(counter + thread_id * 7) % #transfer_pairs + 1]
  local forth = math.floor(counter / #transfer_pairs) % 2 == 0
  local token, payee = pair[1], pair[4]
  if not forth then
    token, payee = pair[3], pair[2]
  end
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "wrk-" .. thread_id .. "-" .. counter .. "-" .. math.random(1, 1000000000),
  }
  local body = '{"payee":"pioneer:' .. payee .. '","hours":"0.25"}'
  return wrk.format("POST", "/v1/communities/lanceurs-davenir/transfers", headers, body)
end

function response(status, headers, body)
  if status ~= 201 and status ~= 200 then
    refused = refused + 1
  elseif body:find('"replayed":true', 1, true) then
    replayed = replayed + 1
  else
    recorded = recorded + 1
  end
end

function done(summary, latency, requests)
  local totals = { recorded = 0, replayed = 0, refused = 0 }
  for _, thread in ipairs(threads) do
    for name in pairs(totals) do
      totals[name] = totals[name] + thread:get(name)
    end
  end
  io.write(string.format("transfers recorded: %d, answered as retries: %d, refused: %d\n",
    totals.recorded, totals.replayed, totals.refused))
  io.write(string.format("non-2xx answers: %d\n", summary.errors.status))
end
