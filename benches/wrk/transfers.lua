-- wrk script: transfers of 0.25 h between pairs of demo pioneers, each
-- request signed by its payer and carrying its own Idempotency-Key.
-- `pairs.lua` (written by run.sh) defines `transfer_pairs`, a list of
-- { payer_token, payer_id, payee_token, payee_id }.
dofile(os.getenv("AGORA_WRK_PAIRS"))

local counter = 0
local thread_id = 0
local threads = 0

function setup(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end

function init(args)
  math.randomseed(thread_id + 1)
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

local refused = 0
function response(status, headers, body)
  if status ~= 201 and status ~= 200 then
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx answers: %d\n", summary.errors.status))
end
