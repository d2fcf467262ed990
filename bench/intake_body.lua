-- wrk script: POST a valid citizen request, each with a different citizen (a computed کد ملی),
-- so the hub does its full work for every request (no duplicate short-cut).
local counter = 0
local thread_id = 0

setup = function(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

local function national_id(n)
  local body = string.format("%09d", (n * 7919 + 1234567) % 1000000000)
  local total = 0
  for i = 1, 9 do
    total = total + tonumber(body:sub(i, i)) * (11 - i)
  end
  local r = total % 11
  local check = r < 2 and r or 11 - r
  return body .. check
end

request = function()
  counter = counter + 1
  local n = thread_id * 100000000 + counter + math.random(0, 50000000)
  local body = string.format([[{"channel":"phone_111","type":"complaint","category":"water.outage",
"subject":"قطعی آب در خیابان ولیعصر","description":"از دیشب آب ساختمان ما قطع است، شماره %d",
"citizen":{"national_id":"%s","first_name":"مریم","last_name":"احمدی","mobile":"09121234567"},
"location":{"county":"گرگان","city":"گرگان"}}]], n, national_id(n))
  -- wrk.format replaces wrk.headers when given a table: keep the -H headers (the token).
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", nil, headers, body)
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %.1f %.1f\n", summary.requests,
    summary.errors.status, summary.duration,
    latency:percentile(50) / 1000.0, latency:percentile(99) / 1000.0))
end
