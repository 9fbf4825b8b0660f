-- wrk script for scripts/bench-flood: the same answer, as fast as possible.
wrk.method = "POST"
wrk.body = '{"survey":"nps-main","score":1}'
wrk.headers["Content-Type"] = "application/json"
