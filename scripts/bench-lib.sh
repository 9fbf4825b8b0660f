# Shared by the HTTP benchmarks (scripts/bench-ingest, scripts/bench-widget-config): settings,
# tools, the release binary, one server's lifecycle, CPU accounting, wrk and oha phases and
# the result tables. Sourced, not run; the script sets these first:
#   bench_name          its name, for messages and the lock     (bench-ingest)
#   bench_default_db    BENCH_DB's default                      (feedbackd_bench)
#   bench_default_port  BENCH_PORT's default                    (18080)
# Settings every such script takes (environment):
#   BENCH_PG_URL       server URL, no database     (postgres://postgres@127.0.0.1:5432)
#   BENCH_DB           database, dropped and recreated each run; must start with feedbackd_bench
#   BENCH_PORT         port of the server on 127.0.0.1
#   BENCH_DURATION     seconds of each saturation phase            (20)
#   BENCH_THREADS      wrk threads                                 (2)
#   BENCH_OUT          where logs and results go  (target/<bench_name>/<timestamp>)
#   BENCH_WAIT_QUIET   seconds to wait for a quiet machine before starting        (60)
#   BENCH_LOCK_WAIT    seconds to wait for another run on the same BENCH_DB          (300)
#   BENCH_BIN          a feedbackd binary to use instead of `cargo build --release` and
#                      target/release/feedbackd, or $CARGO_TARGET_DIR/release/feedbackd
#                      (say, one built from another checkout)
# shellcheck shell=bash
# The variables set here and in the functions are read by the scripts that source this file.
# shellcheck disable=SC2034

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1

PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
DB=${BENCH_DB:-$bench_default_db}
PORT=${BENCH_PORT:-$bench_default_port}
DURATION=${BENCH_DURATION:-20}
THREADS=${BENCH_THREADS:-2}
OUT=${BENCH_OUT:-$repo/target/$bench_name/$(date -u +%Y%m%dT%H%M%SZ)}
HOST=127.0.0.1
BASE="http://$HOST:$PORT"
BIN=${BENCH_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/feedbackd}

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

# Only a database of our own is ever dropped.
[[ "$DB" =~ ^feedbackd_bench[a-z0-9_]*$ ]] || die "BENCH_DB must match ^feedbackd_bench[a-z0-9_]*\$ (got '$DB'): it is dropped on every run"
[[ "$PORT" =~ ^[0-9]+$ ]] || die "BENCH_PORT must be a number"
DATABASE_URL="$PG_URL/$DB"
export DATABASE_URL

# bench_start: makes BENCH_OUT and takes the database's lock (one run at a time per
# database: a second run would drop the database under the first).
bench_start() {
  mkdir -p "$OUT"
  log "logs and results in $OUT"
  local lock="${TMPDIR:-/tmp}/feedbackd-$bench_name-$DB.lock"
  exec 9>"$lock"
  if ! flock -n 9; then
    log "another scripts/$bench_name run is using $DB; waiting up to ${BENCH_LOCK_WAIT:-300} s for it ($lock)"
    flock -w "${BENCH_LOCK_WAIT:-300}" 9 || die "another scripts/$bench_name run still holds $lock; try again later (or set BENCH_DB and BENCH_PORT)"
  fi
}

# ---------------------------------------------------------------- tools
apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing $* with apt-get"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } >"$OUT/apt.log" 2>&1 \
      || log "apt-get install $* failed (see $OUT/apt.log)"
  fi
}
# need_tools: psql, curl, jq, wrk (apt-get when missing and run as root) and oha (cargo
# install into ~/.cargo/bin when missing), or a message saying how to get them.
need_tools() {
  local tool
  for tool in psql curl jq wrk; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      case $tool in
        psql) apt_install postgresql-client ;;
        *) apt_install "$tool" ;;
      esac
    fi
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing; install it (Debian: apt-get install ${tool/psql/postgresql-client})"
  done

  export PATH="$HOME/.cargo/bin:$PATH"
  if ! command -v oha >/dev/null 2>&1; then
    log "oha (constant-rate load with latency correction) is missing: cargo install oha --locked (a few minutes)"
    cargo install oha --locked >"$OUT/oha-install.log" 2>&1 \
      || die "could not install oha (see $OUT/oha-install.log); install it with 'cargo install oha --locked' and rerun"
  fi
  command -v oha >/dev/null 2>&1 || die "oha is missing; install it with 'cargo install oha --locked'"
  oha --help 2>&1 | grep -q -- '--latency-correction' \
    || die "this oha ($(oha --version 2>&1)) has no --latency-correction; install a newer one: cargo install oha --locked --force"
  oha --help 2>&1 | grep -q -- '--output-format' \
    || die "this oha ($(oha --version 2>&1)) has no --output-format json; install a newer one: cargo install oha --locked --force"
}

# ---------------------------------------------------------------- build
# prepare_binary: builds the release binary unless BENCH_BIN is set, and runs a copy of it
# (BIN is pointed at it) so that a rebuild in another terminal cannot swap the binary
# between phases. Sets build_desc.
prepare_binary() {
  if [ -n "${BENCH_BIN:-}" ]; then
    log "using BENCH_BIN=$BIN (no build)"
  else
    log "cargo build --release"
    cargo build --release --quiet 2>"$OUT/build.log" || { cat "$OUT/build.log" >&2; die "cargo build --release failed"; }
  fi
  [ -x "$BIN" ] || die "$BIN is not an executable"
  cp "$BIN" "$OUT/feedbackd"
  if [ -n "${BENCH_BIN:-}" ]; then
    build_desc="binary $BENCH_BIN"
  else
    build_desc="commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    [ -z "$(git status --porcelain -- src Cargo.toml Cargo.lock migrations 2>/dev/null)" ] || build_desc="$build_desc with uncommitted changes"
  fi
  BIN="$OUT/feedbackd"
}

# ---------------------------------------------------------------- database
# recreate_database: drops and recreates BENCH_DB, migrates it, and notes PostgreSQL's
# version and the settings that decide commit speed (pg_version, pg_settings).
recreate_database() {
  if curl -s -o /dev/null --max-time 1 "$BASE/healthz"; then
    die "something already answers on $BASE; set BENCH_PORT to a free port"
  fi
  log "recreating database $DB"
  psql "$PG_URL/postgres" -X -q -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null \
    || die "could not recreate $DB at $PG_URL (is PostgreSQL running, may the role create databases?)"
  RUST_LOG=warn "$BIN" migrate >"$OUT/migrate.log" 2>&1 || { cat "$OUT/migrate.log" >&2; die "feedbackd migrate failed"; }
  pg_version=$(psql "$PG_URL/postgres" -X -Atq -c 'SHOW server_version')
  pg_settings=$(psql "$PG_URL/postgres" -X -Atq -F= -c "SELECT name, setting FROM pg_settings WHERE name IN ('synchronous_commit','fsync','wal_sync_method','commit_delay','shared_buffers') ORDER BY name" | paste -sd' ')
}
# cli ARGS...: the binary's management command against BENCH_DB (stderr to setup.log).
cli() { RUST_LOG=warn "$BIN" "$@" 2>>"$OUT/setup.log"; }
# nps_project: a project "Bench" with the NPS survey `nps-main` and a publishable key;
# sets PROJECT and TOKEN.
nps_project() {
  PROJECT=$(cli project create --name Bench --json | jq -r .id)
  cli survey create --project "$PROJECT" --kind nps --key nps-main \
    --question "How likely are you to recommend us to a friend?" --json >/dev/null
  TOKEN=$(cli key create --project "$PROJECT" --kind publishable --json | jq -r .token)
  [[ "$TOKEN" == fbk_pub_* ]] || die "could not create a publishable key (see $OUT/setup.log)"
}

# ---------------------------------------------------------------- server lifecycle
server_pid=""
server_name=""
shutdown_notes=()
stop_server() {
  local status=0
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || status=$?
    # A drained shutdown exits 0; anything else is worth a look (the log may say why).
    if [ "$status" != 0 ]; then
      shutdown_notes+=("the $server_name server exited with status $status on SIGTERM (see $OUT/server-$server_name.log)")
      log "${shutdown_notes[-1]}"
    fi
  fi
  server_pid=""
}
# On exit: stop the server, and drop the copy of the binary (it is only needed while running).
cleanup() { stop_server; rm -f "$OUT/feedbackd"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server NAME [VAR=value...]: runs `feedbackd serve` with the given environment and
# waits until /readyz answers 200.
start_server() {
  local name=$1; shift
  server_name=$name
  if curl -s -o /dev/null --max-time 1 "$BASE/healthz"; then
    die "something already answers on $BASE; set BENCH_PORT to a free port"
  fi
  # One load generator on 127.0.0.1 is one client address and one project: the service's
  # rate limits (20/s per address, 2000/s per project by default) would answer 429 to almost
  # everything, so they are lifted to their maximum; the benchmark measures capacity.
  env RUST_LOG=warn FEEDBACKD_RATE_LIMIT_IP=1000000/s:1000000 FEEDBACKD_RATE_LIMIT_PROJECT=1000000/s:1000000 \
    "$@" "$BIN" serve --listen "$HOST:$PORT" 2>"$OUT/server-$name.log" &
  server_pid=$!
  for _ in $(seq 1 300); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      cat "$OUT/server-$name.log" >&2
      die "the server exited before it was ready"
    fi
    if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/readyz")" = 200 ]; then
      return 0
    fi
    sleep 0.1
  done
  die "the server was not ready within 30 s (see $OUT/server-$name.log)"
}

# metric NAME: the running server's counter NAME from GET /metrics, summed over its labels.
metric() {
  curl -fs --max-time 5 "$BASE/metrics" | awk -v name="$1" '$1 == name || index($1, name "{") == 1 { sum += $2 } END { printf "%.0f\n", sum }'
}

# ---------------------------------------------------------------- CPU accounting
# Who used the two cores during a phase: the server and PostgreSQL from /proc/PID/stat,
# the load generator (wrk, oha: children of this shell) from bash's `times`, the whole
# machine from /proc/stat. "other" is whatever else ran (a build in another terminal...):
# when it is not near 0 the figures are not the machine's.
hz=$(getconf CLK_TCK)
ncpu=$(nproc)
proc_ticks() { # pids... -> utime+stime summed, in ticks
  local pid sum=0 t
  for pid in "$@"; do
    t=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
    sum=$((sum + ${t:-0}))
  done
  echo "$sum"
}
children_ticks() { # CPU of this shell's waited-for children, in ticks
  # `times` must run in this shell, not a subshell (a fork starts its counters at zero).
  times >"$OUT/.times"
  tail -n 1 "$OUT/.times" | awk -v hz="$hz" '{
    n = 0
    for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); n += p[1] * 60 + p[2] }
    printf "%d\n", n * hz }'
}
# PostgreSQL processes charged to the benchmark: the backends of its database and the
# cluster's background processes (WAL writer, checkpointer...), not other databases' backends.
pg_pids=""
refresh_pg_pids() {
  pg_pids=$(psql "$PG_URL/postgres" -X -Atq -c "SELECT pid FROM pg_stat_activity
    WHERE datname = '$DB' OR backend_type <> 'client backend'" | paste -sd' ')
}
cpu_sample() { # VAR: sets VAR to "server postgres loadgen busy total", in ticks
  local children
  children_ticks >"$OUT/.children"
  children=$(cat "$OUT/.children")
  # shellcheck disable=SC2086
  printf -v "$1" '%s %s %s %s' "$(proc_ticks "$server_pid")" "$(proc_ticks $pg_pids)" "$children" \
    "$(awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8; exit}' /proc/stat)"
}
# cpu_split BEFORE AFTER -> "server% postgres% loadgen% other% idle%", in % of all cores.
# Interrupt and softirq time (loopback TCP, disk) is mostly charged to the process that was
# running, so it is not shown apart; "other" is what no process above accounts for.
cpu_split() {
  local -a a b
  read -r -a a <<<"$1"
  read -r -a b <<<"$2"
  awk -v s=$((b[0] - a[0])) -v p=$((b[1] - a[1])) -v l=$((b[2] - a[2])) -v busy=$((b[3] - a[3])) \
      -v total=$((b[4] - a[4])) '
    BEGIN {
      if (total <= 0) total = 1
      other = busy - s - p - l; if (other < 0) other = 0
      printf "%.0f %.0f %.0f %.0f %.0f\n", 100*s/total, 100*p/total, 100*l/total, 100*other/total, 100*(total-busy)/total
    }'
}
# Waits up to BENCH_WAIT_QUIET seconds for the machine to be quiet (under 15% busy, no
# query running in PostgreSQL but ours), then goes on regardless, with a warning.
other_pg_active() {
  psql "$PG_URL/postgres" -X -Atq -c "SELECT count(*) FROM pg_stat_activity
    WHERE backend_type = 'client backend' AND state <> 'idle' AND pid <> pg_backend_pid()
      AND datname IS DISTINCT FROM '$DB'"
}
machine_busy() { # percent of all cores busy over 2 s
  local a b
  a=$(awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8; exit}' /proc/stat)
  sleep 2
  b=$(awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8; exit}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); t = y[2] - x[2]; if (t <= 0) t = 1; printf "%.0f", 100 * (y[1] - x[1]) / t }'
}
quiet_warning=""
wait_quiet() {
  local deadline=$((SECONDS + ${BENCH_WAIT_QUIET:-60})) busy active
  while :; do
    busy=$(machine_busy)
    active=$(other_pg_active)
    if [ "$busy" -le 15 ] && [ "$active" = 0 ]; then
      log "machine quiet (${busy}% busy, no other PostgreSQL query running)"
      return 0
    fi
    if [ $SECONDS -ge "$deadline" ]; then
      quiet_warning="WARNING: the machine was not quiet before a phase (${busy}% busy, $active other PostgreSQL queries running): the figures understate what feedbackd does alone; see the 'other' column."
      log "$quiet_warning Busiest processes:"
      ps -eo pid,pcpu,comm --sort=-pcpu | head -n 6 >&2
      return 0
    fi
    log "waiting for a quiet machine (${busy}% busy, $active other PostgreSQL queries running)"
    sleep 3
  done
}

# ---------------------------------------------------------------- load generators
# Parses the BENCH line of a wrk run (scripts/bench/report.lua) into shell variables
# w_requests, w_non2xx, w_socket, w_p50, w_p99 (µs), w_ok (2xx) and w_rate (2xx per second).
parse_wrk() {
  local line
  line=$(grep '^BENCH ' "$1" | tail -n 1) || die "no result line in $1"
  w_requests=$(sed -E 's/.* requests=([0-9]+).*/\1/' <<<"$line")
  w_duration_us=$(sed -E 's/.* duration_us=([0-9]+).*/\1/' <<<"$line")
  w_non2xx=$(sed -E 's/.* non2xx=([0-9]+).*/\1/' <<<"$line")
  w_socket=$(awk '{for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] ~ /^(connect|read|write|timeout)$/) s += kv[2] } print s + 0}' <<<"$line")
  w_p50=$(sed -E 's/.* p50_us=([0-9]+).*/\1/' <<<"$line")
  w_p99=$(sed -E 's/.* p99_us=([0-9]+).*/\1/' <<<"$line")
  w_ok=$((w_requests - w_non2xx))
  w_rate=$(awk -v n="$w_ok" -v us="$w_duration_us" 'BEGIN { printf "%.0f", n / (us / 1e6) }')
}
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
# ratio A B [DECIMALS]: A ÷ B (0 when B is 0), to DECIMALS places (2).
ratio() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { printf "%.*f", d, (b > 0 ? a / b : 0) }'; }

# wrk_phase NAME SCRIPT CONNECTIONS SECONDS [-- args]: one wrk run with CPU accounting;
# sets the w_* variables and phase_cpu.
wrk_phase() {
  local name=$1 script=$2 conns=$3 secs=$4; shift 4
  local before after
  refresh_pg_pids
  cpu_sample before
  wrk -t"$THREADS" -c"$conns" -d"${secs}s" --timeout 10s --latency -s "$script" "$BASE" "$@" >"$OUT/wrk-$name.txt" 2>&1 \
    || { cat "$OUT/wrk-$name.txt" >&2; die "wrk failed in phase $name"; }
  # The pool opens connections as load grows: backends born during the phase count too
  # (from zero, which is where they started).
  refresh_pg_pids
  cpu_sample after
  parse_wrk "$OUT/wrk-$name.txt"
  phase_cpu=$(cpu_split "$before" "$after")
}

# oha_phase NAME RATE CONNECTIONS SECONDS [oha args... URL]: one oha run at a constant rate,
# latency corrected for coordinated omission, with CPU accounting. Sets o_ok, o_non2xx,
# o_err, o_rps (sent per second), o_rate_ok (2xx per second), o_p50, o_p99 (ms) and phase_cpu.
oha_phase() {
  local name=$1 rate=$2 conns=$3 secs=$4; shift 4
  local before after json="$OUT/oha-$name.json"
  refresh_pg_pids
  cpu_sample before
  oha -z "${secs}s" -q "$rate" -c "$conns" --latency-correction --no-tui \
    --wait-ongoing-requests-after-deadline --output-format json "$@" >"$json" 2>"$OUT/oha-$name.err" \
    || { cat "$OUT/oha-$name.err" >&2; die "oha failed in phase $name"; }
  refresh_pg_pids
  cpu_sample after
  phase_cpu=$(cpu_split "$before" "$after")
  o_ok=$(jq '[.statusCodeDistribution | to_entries[] | select(.key | startswith("2")) | .value] | add // 0' "$json")
  o_non2xx=$(jq '[.statusCodeDistribution | to_entries[] | select(.key | startswith("2") | not) | .value] | add // 0' "$json")
  o_err=$(jq '[.errorDistribution | to_entries[] | .value] | add // 0' "$json")
  o_rps=$(jq '.summary.requestsPerSec | floor' "$json")
  o_p50=$(ms "$(jq '.latencyPercentiles.p50 * 1e6' "$json")")
  o_p99=$(ms "$(jq '.latencyPercentiles.p99 * 1e6' "$json")")
  o_rate_ok=$(jq --argjson ok "$o_ok" '$ok / .summary.total | floor' "$json")
}

# waits_start NAME / waits_stop: with BENCH_WAIT_EVENTS=1, samples what this database's
# active backends, the checkpointer and the WAL writer wait on, every 50 ms in between
# (pg_stat_activity; "cpu" when running), into $OUT/waits-NAME.txt; waits_stop sets
# waits_summary to the most frequent (count × event). The sampler's psql calls count as the
# load generator's CPU, so leave it off for figures of record.
waits_pid="" waits_file="" waits_summary=""
waits_start() {
  waits_summary=""
  [ "${BENCH_WAIT_EVENTS:-0}" = 1 ] || return 0
  waits_file="$OUT/waits-$1.txt"
  while :; do
    psql "$DATABASE_URL" -X -Atq -c "SELECT CASE WHEN backend_type = 'client backend' THEN '' ELSE backend_type || ' ' END
        || coalesce(wait_event_type || ':' || wait_event, 'cpu')
      FROM pg_stat_activity
      WHERE (datname = current_database() AND state = 'active' AND pid <> pg_backend_pid())
         OR backend_type IN ('checkpointer', 'walwriter', 'autovacuum worker')" 2>/dev/null || true
    sleep 0.05
  done >"$waits_file" &
  waits_pid=$!
}
waits_stop() {
  [ -n "$waits_pid" ] || return 0
  kill "$waits_pid" 2>/dev/null || true
  wait "$waits_pid" 2>/dev/null || true
  waits_pid=""
  waits_summary=$(sort "$waits_file" | uniq -c | sort -rn | head -n 8 | awk '{ n = $1; $1 = ""; printf "%s%d ×%s", (NR > 1 ? ", " : ""), n, $0 }')
}

# healthz_ceiling_phase NAME [LABEL]: GET /healthz at saturation (128 connections,
# DURATION), the HTTP ceiling the ingest ratios divide by; sets healthz_rate and adds a row.
# Run it first, on a quiet machine: after POST phases PostgreSQL is still busy with the rows
# just written (autovacuum, the checkpoint); it took 8-9 % of the cores during a /healthz
# phase run then, which lowered the ceiling by 8-10 % and flattered the ratio
# (BENCHMARKS.md, Ingest, 2026-12-03 evening).
healthz_ceiling_phase() {
  wrk_phase "$1" scripts/bench/healthz.lua 128 "$DURATION"
  add_row "${2:-GET /healthz (HTTP ceiling; requests/s)}" "$w_rate" "$(ms "$w_p50")" "$(ms "$w_p99")" "$w_non2xx non-2xx, $w_socket socket"
  add_cpu "${2:-GET /healthz}" "$phase_cpu"
  healthz_rate=$w_rate
  log "healthz: $w_rate requests/s"
}

# ---------------------------------------------------------------- ingest at saturation
# (scripts/bench-ingest, scripts/bench-webhooks: they set CONNECTIONS, DURATION and TOKEN)
rows() { psql "$DATABASE_URL" -X -Atq -c 'SELECT count(*) FROM responses'; }

# answers_per_commit SINCE: rows per transaction since SINCE (received_at defaults to now(),
# the start time of the writer's transaction, so each distinct value is one commit).
answers_per_commit() {
  psql "$DATABASE_URL" -X -Atq -c "SELECT round(count(*)::numeric / greatest(count(DISTINCT received_at), 1), 1)
    FROM responses WHERE received_at >= '$1'"
}
db_now() { psql "$DATABASE_URL" -X -Atq -c 'SELECT now()'; }

# post_saturation_phase NAME LABEL [SURVEY [questions]]: durable answers at saturation
# (to SURVEY, default nps-main; with `questions`, answers that also answer its additional
# questions, see scripts/bench/post-answers.lua), checked against the table. Leaves the
# phase's 2xx per second in w_rate.
post_saturation_phase() {
  local name=$1 label=$2 survey=${3:-nps-main} mode=${4:-} before_rows after_rows added settle since per_commit
  before_rows=$(rows)
  since=$(db_now)
  wrk_phase "$name" scripts/bench/post-answers.lua "$CONNECTIONS" "$DURATION" -- "$TOKEN" "$survey" ${mode:+"$mode"}
  # Requests still in flight when wrk stopped may commit after it: give them a moment.
  sleep 1
  after_rows=$(rows)
  added=$((after_rows - before_rows))
  settle=""
  if [ "$added" -lt "$w_ok" ]; then
    settle=" MISMATCH"
    verify_failed=1
  fi
  per_commit=$(answers_per_commit "$since")
  checks+=("$label: wrk counted $w_ok 2xx ($w_non2xx non-2xx, $w_socket socket errors); rows added to responses: $added$settle; $per_commit answers per commit")
  add_row "$label" "$w_rate" "$(ms "$w_p50")" "$(ms "$w_p99")" "$w_non2xx non-2xx, $w_socket socket; rows $added >= 2xx $w_ok"
  add_cpu "$label" "$phase_cpu"
  log "$label: $w_rate answers/s, p50 $(ms "$w_p50") ms, p99 $(ms "$w_p99") ms; 2xx $w_ok, rows +$added"
}

# ---------------------------------------------------------------- results
# Table rows, filled in as the phases run.
table=()
cpu_table=()
noisy_phases=()
checks=()
add_row() { table+=("$(printf '| %-48s | %9s | %8s | %8s | %s |' "$@")"); }
add_cpu() { # phase split
  local -a c
  read -r -a c <<<"$2"
  if [ "${c[3]}" -gt 15 ]; then
    noisy_phases+=("$1 (${c[3]}% of the CPU went to other processes)")
  fi
  cpu_table+=("$(printf '| %-48s | %5s%% | %7s%% | %13s%% | %4s%% | %3s%% |' "$1" "${c[0]}" "${c[1]}" "${c[2]}" "${c[3]}" "${c[4]}")")
}
# print_results RATE_HEADER CHECKS_TITLE: the phase table (its rate column headed
# RATE_HEADER), the CPU table, the checks under CHECKS_TITLE, shutdown notes and
# disturbance warnings, as markdown on stdout.
print_results() {
  echo "| phase                                            | $(printf '%9s' "$1") |  p50 ms  |  p99 ms  | errors / check |"
  echo "|--------------------------------------------------|----------:|---------:|---------:|----------------|"
  printf '%s\n' "${table[@]}"
  echo
  echo "CPU used during each phase, in % of all $ncpu cores (postgres = this database's backends and the WAL writer, checkpointer...; other = anything else, such as kernel threads or other processes):"
  echo
  echo "| phase                                            | server | postgres | load generator | other | idle |"
  echo "|--------------------------------------------------|-------:|---------:|---------------:|------:|-----:|"
  printf '%s\n' "${cpu_table[@]}"
  if [ ${#checks[@]} -gt 0 ]; then
    echo
    echo "$2"
    printf -- '- %s\n' "${checks[@]}"
  fi
  if [ ${#shutdown_notes[@]} -gt 0 ]; then
    echo
    printf 'Shutdown: %s\n' "${shutdown_notes[@]}"
  fi
  if [ -n "$quiet_warning" ] || [ ${#noisy_phases[@]} -gt 0 ]; then
    echo
    [ -z "$quiet_warning" ] || echo "$quiet_warning"
    [ ${#noisy_phases[@]} -eq 0 ] || printf 'Disturbed by other processes: %s\n' "$(IFS=';'; echo "${noisy_phases[*]}")"
  fi
}
