-- wrk script for GET /healthz: the HTTP ceiling of the server (no database, no body).
--   wrk -t2 -c128 -d20s -s scripts/bench/healthz.lua http://127.0.0.1:18080
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

wrk.method = "GET"
wrk.path = "/healthz"
