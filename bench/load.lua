-- wrk script of the load benchmark. Each wrk thread sends the requests of its own file
-- (LOAD_LINES .. "." .. thread number), one per line: "path<TAB>body". Bookings never
-- repeat a line; reads cycle through theirs. Counts the answers by status.
local method = os.getenv("LOAD_METHOD") or "GET"
local prefix = os.getenv("LOAD_LINES")
local token = os.getenv("LOAD_TOKEN")
local cycle = os.getenv("LOAD_CYCLE") == "1"
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local paths, bodies, sent = {}, {}, 0
statuses = {}
exhausted = 0

function init(args)
  for line in io.lines(prefix .. "." .. id) do
    local tab = line:find("\t", 1, true)
    if tab then
      table.insert(paths, line:sub(1, tab - 1))
      table.insert(bodies, line:sub(tab + 1))
    end
  end
end

function request()
  if #paths == 0 then
    exhausted = 1
    wrk.thread:stop()
    return wrk.format("GET", "/healthz")
  end
  sent = sent + 1
  if sent > #paths then
    if not cycle then
      exhausted = 1
      wrk.thread:stop()
    end
    sent = 1
  end
  local body = bodies[sent]
  local headers = {["Authorization"] = "Bearer " .. token}
  if body ~= "" then
    headers["Content-Type"] = "application/json"
  else
    body = nil
  end
  return wrk.format(method, paths[sent], headers, body)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local merged, ran_out = {}, 0
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("statuses")) do
      merged[key] = (merged[key] or 0) + count
    end
    ran_out = ran_out + thread:get("exhausted")
  end
  local parts = {}
  for key, count in pairs(merged) do
    table.insert(parts, string.format('"%s": %d', key, count))
  end
  io.write(string.format(
    'LOAD-RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"socket_errors": %d, "ran_out": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, ran_out, table.concat(parts, ", ")))
end
