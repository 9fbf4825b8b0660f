-- wrk script for scripts/bench-memory: POST /v1/responses, each answer with a score, a
-- comment and two attributes (what a widget sends after the follow-up question), cycling
-- through scores 0-10, comments of 30 to 300 characters and a few platforms and countries.
--   wrk -t2 -c512 -d30s -s scripts/bench/post-comments.lua http://127.0.0.1:18086 -- fbk_pub_...
-- BENCH_PACE_MS in the environment makes each connection wait that long after each answer
-- (a steady rate of about connections * 1000 / BENCH_PACE_MS answers/s, less the latency).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local pace = tonumber(os.getenv("BENCH_PACE_MS") or "")
if pace then
  function delay() return pace end
end

local platforms = { "web", "ios", "android" }
local countries = { "DE", "US", "FR", "BR", "IN", "JP" }
local comments = {
  "Love it",
  "The export button is hard to find on the reports page",
  "Checkout kept failing on my phone until I switched to wifi, then it worked. Please look at the timeout.",
  "Search is fast, but the filters reset every time I go back to the list, which makes comparing two segments of customers slow and a little annoying when I do it every Monday for our weekly review meeting.",
  "Great support team! Ana answered within ten minutes and fixed our SSO settings.",
  "Pricing page is confusing: is the per-seat price monthly or yearly? I had to ask sales.",
}
local requests = {}
local next_index = 1

function init(args)
  local token = args[1]
  if token == nil or token == "" then
    error("post-comments.lua needs the publishable token: wrk ... -- fbk_pub_...")
  end
  local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  for score = 0, 10 do
    for p, platform in ipairs(platforms) do
      for c, country in ipairs(countries) do
        local comment = comments[(score + p + c) % #comments + 1]
        local body = string.format(
          '{"survey":"nps-main","score":%d,"comment":"%s","attributes":{"platform":"%s","country":"%s"}}',
          score, comment, platform, country)
        requests[#requests + 1] = wrk.format("POST", "/v1/responses", headers, body)
      end
    end
  end
  next_index = (((thread_number or 1) - 1) * 37) % #requests + 1
end

function request()
  local r = requests[next_index]
  next_index = next_index % #requests + 1
  return r
end
