-- wrk script for GET /v1/widget/config, as a widget on a page asks it (scripts/bench-widget-config).
--   anonymous: the same URL every time (no respondent): the configuration every visitor gets;
--   personal:  a different person per request, drawn at random from IDS respondent ids, with
--              attributes drawn from a few plans, versions, countries, platforms and locales,
--              so that the surveys' filters and sample rates decide differently each time.
-- Requests carry the publishable key in the header and the page's Origin, as a browser sends them.
--   wrk -t2 -c64 -d20s --timeout 10s -s scripts/bench/widget-config.lua \
--       http://127.0.0.1:18082 -- fbk_pub_... https://app.example.com personal [IDS]
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local plans = { "free", "pro", "team", "enterprise" }
local versions = { "3.1.0", "3.2.0", "3.4.1", "4.0.2" }
local countries = { "DE", "US", "FR", "GB", "BR", "JP" }
local platforms = { "web", "ios", "android" }
local locales = { "en", "de", "fr", "pt-BR" }

local headers = {}
local personal = false
local ids = 1000000
local fixed_request

function init(args)
  local token, origin, mode = args[1], args[2], args[3] or "anonymous"
  if token == nil or token == "" or origin == nil then
    error("widget-config.lua needs: wrk ... -- fbk_pub_... ORIGIN [anonymous|personal [IDS]]")
  end
  if mode ~= "anonymous" and mode ~= "personal" then
    error("widget-config.lua: the mode is anonymous or personal, not " .. mode)
  end
  headers = { ["Authorization"] = "Bearer " .. token, ["Origin"] = origin }
  personal = mode == "personal"
  ids = tonumber(args[4] or ids)
  -- Each thread its own sequence, so that two threads do not ask for the same people.
  math.randomseed(os.time() * 1000 + (thread_number or 1) * 7919)
  fixed_request = wrk.format("GET", "/v1/widget/config", headers)
end

local function pick(list)
  return list[math.random(#list)]
end

function request()
  if not personal then
    return fixed_request
  end
  -- Brackets percent-encoded, as URLSearchParams in the widget writes them.
  local path = string.format(
    "/v1/widget/config?respondent_id=u%d&attributes%%5Bplan%%5D=%s&attributes%%5Bapp_version%%5D=%s" ..
    "&attributes%%5Bcountry%%5D=%s&attributes%%5Bplatform%%5D=%s&attributes%%5Blocale%%5D=%s",
    math.random(ids), pick(plans), pick(versions), pick(countries), pick(platforms), pick(locales))
  return wrk.format("GET", path, headers)
end
