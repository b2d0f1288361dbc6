-- wrk script for bench/run: one request shape per run, set from the environment,
-- and a one-line JSON summary at the end that bench/run parses.
--   BENCH_METHOD  GET (default) or POST
--   BENCH_BODY    request body (sent with Content-Type: application/json)
--   BENCH_API_KEY value of the apiKey header, if set
--   BENCH_CLOSE   1: "Connection: close", so every request is a new connection
--                 (and over https a full handshake)
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY") or ""
if body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
if os.getenv("BENCH_CLOSE") == "1" then
  wrk.headers["Connection"] = "close"
end
local key = os.getenv("BENCH_API_KEY") or ""
if key ~= "" then
  wrk.headers["apiKey"] = key
end

-- summary.errors.status counts responses with a status above 399; wrk counts
-- socket errors (connect, read, write, timeout) apart. Latencies are in µs.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,"non_2xx_3xx":%d,' ..
    '"socket_errors":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
