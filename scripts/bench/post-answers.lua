-- wrk script for POST /v1/responses: every request is a new answer (no "id", so the
-- server makes a UUIDv7). Bodies cycle through NPS scores 0-10 and a few platforms and
-- countries, so the rollup triggers spread over many cells as real traffic would.
--   wrk -t2 -c256 -d20s --timeout 10s -s scripts/bench/post-answers.lua \
--       http://127.0.0.1:18080 -- fbk_pub_... [survey-key]
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local platforms = { "web", "ios", "android" }
local countries = { "DE", "US", "FR", "BR", "IN", "JP" }
local requests = {}
local next_index = 1

function init(args)
  local token = args[1]
  if token == nil or token == "" then
    error("post-answers.lua needs the publishable token: wrk ... -- fbk_pub_... [survey-key]")
  end
  local survey = args[2] or "nps-main"
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }
  for score = 0, 10 do
    for _, platform in ipairs(platforms) do
      for _, country in ipairs(countries) do
        local body = string.format(
          '{"survey":"%s","score":%d,"attributes":{"platform":"%s","country":"%s"}}',
          survey, score, platform, country)
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
