-- wrk script for POST /v1/responses: every request is a new answer (no "id", so the
-- server makes a UUIDv7). Bodies cycle through NPS scores 0-10 and a few platforms and
-- countries, so the rollup triggers spread over many cells as real traffic would.
--   wrk -t2 -c256 -d20s --timeout 10s -s scripts/bench/post-answers.lua \
--       http://127.0.0.1:18080 -- fbk_pub_... [survey-key [questions]]
-- With "comments" as the third argument each answer carries a comment of 30 to 300
-- characters instead (what a widget sends after its follow-up question; scripts/bench-memory).
-- BENCH_PACE_MS in the environment makes each connection wait that long after each answer
-- (a steady rate of about connections * 1000 / BENCH_PACE_MS answers/s, less the latency).
-- With "questions" as the third argument the answers also answer the two additional
-- questions of scripts/bench/questions.json (issue 19), in the mix a survey with them
-- gets: every detractor and passive (0-8) picks a `reason` (one of 5 options; `other` with
-- its free text), in each of the forms the API takes; every second answer, whatever its
-- score, rates `ease` 1-5 (higher with the score). Promoters are not shown `reason`.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local pace = tonumber(os.getenv("BENCH_PACE_MS") or "")
if pace then
  function delay() return pace end
end

local platforms = { "web", "ios", "android" }
local comments = {
  "Love it",
  "The export button is hard to find on the reports page",
  "Checkout kept failing on my phone until I switched to wifi, then it worked. Please look at the timeout.",
  "Search is fast, but the filters reset every time I go back to the list, which makes comparing two segments of customers slow and a little annoying when I do it every Monday for our weekly review meeting.",
  "Great support team! Ana answered within ten minutes and fixed our SSO settings.",
  "Pricing page is confusing: is the per-seat price monthly or yearly? I had to ask sales.",
}
local countries = { "DE", "US", "FR", "BR", "IN", "JP" }
local reasons = {
  '"price"', '["bugs"]', '"missing_feature"', '["too_complex"]',
  '{"options":["other"],"other":"Too slow on my old phone"}',
}
local requests = {}
local next_index = 1

-- The `answers` member of the body of the n-th answer (from 0) with `score`, or "".
local function answers(n, score)
  local parts = {}
  if score <= 8 then
    parts[#parts + 1] = '"reason":' .. reasons[n % #reasons + 1]
  end
  if n % 2 == 0 then
    local ease = math.max(1, math.min(5, math.floor(score * 0.4 + 0.5) + (n % 3) - 1))
    parts[#parts + 1] = '"ease":' .. ease
  end
  if #parts == 0 then return "" end
  return ',"answers":{' .. table.concat(parts, ",") .. "}"
end

function init(args)
  local token = args[1]
  if token == nil or token == "" then
    error("post-answers.lua needs the publishable token: wrk ... -- fbk_pub_... [survey-key [questions|comments]]")
  end
  local survey = args[2] or "nps-main"
  local with_questions = args[3] == "questions"
  local with_comments = args[3] == "comments"
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }
  for score = 0, 10 do
    for _, platform in ipairs(platforms) do
      for _, country in ipairs(countries) do
        local extra = with_questions and answers(#requests, score) or ""
        if with_comments then
          extra = string.format(',"comment":"%s"', comments[#requests % #comments + 1])
        end
        local body = string.format(
          '{"survey":"%s","score":%d,"attributes":{"platform":"%s","country":"%s"}%s}',
          survey, score, platform, country, extra)
        requests[#requests + 1] = wrk.format("POST", "/v1/responses", headers, body)
      end
    end
  end
  -- Threads start at different places in the cycle.
  next_index = (((thread_number or 1) - 1) * 37) % #requests + 1
end

function request()
  local r = requests[next_index]
  next_index = next_index % #requests + 1
  return r
end
