-- Shared by the wrk scripts of the benchmarks (scripts/bench-lib.sh): numbers the threads
-- (each thread's global `thread_number`, from 1, read in its init), and at the end of a run
-- prints one machine-readable line that the script parses (wrk's own summary stays above it).
--   BENCH requests=N duration_us=N non2xx=N connect=N read=N write=N timeout=N
--         p50_us=N p90_us=N p99_us=N max_us=N
-- `non2xx` is wrk's "Non-2xx or 3xx responses" counter; feedbackd never redirects, so
-- requests - non2xx is the number of 2xx answers.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end

local threads_started = 0
function setup(thread)
  threads_started = threads_started + 1
  thread:set("thread_number", threads_started)
end
