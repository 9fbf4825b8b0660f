#!/usr/bin/env bash
# Every public and management call of feedbackd, with curl. Runnable:
#
#   BASE=http://127.0.0.1:8080 KEY=fbk_pub_… SECRET=fbk_sec_… bash sdk-snippets/curl/examples.sh
#
# KEY is the project's publishable key (what widgets use); SECRET is a secret key with the
# `admin` scope (management: servers and scripts only, never client code). Without SECRET
# only the public calls run. Each call must answer the status it names, or the script stops.
# With the embedded default: KEY=$(jq -r .publishable_key .feedbackd/demo.json), same for SECRET.
set -euo pipefail

BASE=${BASE:-http://127.0.0.1:8080}
KEY=${KEY:?set KEY to a publishable key (fbk_pub_…)}
SECRET=${SECRET:-}
RUN=$(date +%s)$$ # makes survey keys unique, so the script can run again

# call EXPECTED_STATUS METHOD PATH [curl args…]: prints the body, fails on another status.
call() {
  local expected=$1 method=$2 path=$3
  shift 3
  local out status
  out=$(mktemp)
  status=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" "$BASE$path" "$@")
  printf '%s %s -> %s %s\n' "$method" "$path" "$status" "$(head -c 300 "$out")" >&2
  BODY=$(cat "$out")
  rm -f "$out"
  if [ "$status" != "$expected" ]; then
    echo "expected $expected" >&2
    exit 1
  fi
}
pub() { call "$@" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json'; }
sec() { call "$@" -H "Authorization: Bearer $SECRET" -H 'Content-Type: application/json'; }
# A field of the last JSON body, without jq: the first "name":"value" (or number).
field() { printf '%s' "$BODY" | grep -o "\"$1\":\"\{0,1\}[^\",}]*" | head -n 1 | sed 's/.*:"\{0,1\}//'; }

# A UUIDv7 (RFC 9562): milliseconds since 1970 in the first 48 bits, then random bits.
# Make it once per answer and keep it until a 2xx: a retry with the same id is a replay.
uuidv7() {
  local ms rand
  ms=$(printf '%012x' "$(date +%s%3N)")
  rand=$(od -An -N10 -tx1 /dev/urandom | tr -d ' \n')
  printf '%s-%s-7%s-%x%s-%s\n' "${ms:0:8}" "${ms:8:4}" "${rand:0:3}" $(( (0x${rand:3:1} & 0x3) | 0x8 )) \
    "${rand:4:3}" "${rand:7:12}"
}

# ---- operations (no key) ---------------------------------------------------------------
call 200 GET /healthz
call 200 GET /readyz
call 200 GET /openapi.json
call 200 GET /metrics
call 200 GET "/sdk/feedbackd.js"
call 200 GET "/demo?key=$KEY"

# ---- widgets (publishable key) ---------------------------------------------------------
# The configuration, and which survey to show this person now ("show").
pub 200 GET "/v1/widget/config?respondent_id=user-8812&attributes%5Bplan%5D=pro&attributes%5Bapp_version%5D=3.4.1"
SURVEY=${SURVEY:-$(field show)}
SURVEY=${SURVEY:-nps-main}

# One answer: 201 the first time…
ID=$(uuidv7)
ANSWER="{\"id\":\"$ID\",\"survey\":\"$SURVEY\",\"score\":9,\"respondent_id\":\"user-8812\",
  \"attributes\":{\"platform\":\"web\",\"app_version\":\"3.4.1\",\"plan\":\"pro\"},
  \"context\":{\"page_url\":\"https://app.example.com/editor\"},\"hp\":\"\",\"time_to_answer_ms\":4200}"
pub 201 POST /v1/responses -d "$ANSWER"
# …and 200 for a replay of the same id (a retry after a timeout): stored once.
pub 200 POST /v1/responses -d "$ANSWER"

# The follow-up comment: fills in, never overwrites.
pub 200 PATCH "/v1/responses/$ID" -d '{"comment":"Love the new editor"}'

# An offline queue, flushed in one batch (up to 100 answers, a result per item).
pub 200 POST /v1/responses/batch -d "{\"answers\":[
  {\"id\":\"$(uuidv7)\",\"survey\":\"$SURVEY\",\"score\":10},
  {\"id\":\"$(uuidv7)\",\"survey\":\"$SURVEY\",\"score\":6}]}"

# What navigator.sendBeacon sends: ?key= and a text/plain body (no CORS preflight).
call 200 POST "/v1/responses/batch?key=$KEY" -H 'Content-Type: text/plain' \
  -d "{\"answers\":[{\"id\":\"$(uuidv7)\",\"survey\":\"$SURVEY\",\"score\":8}]}"

# The person closed the survey without answering: its recontact period starts.
pub 204 POST /v1/responses/dismiss -d "{\"survey\":\"$SURVEY\",\"respondent_id\":\"user-8812\"}"

# On 429 or 503: wait Retry-After seconds, then send the same body (same id) again.
# `curl --retry 5 --retry-all-errors` honours Retry-After, so a script can simply use:
#   curl --retry 5 --retry-all-errors -X POST "$BASE/v1/responses" … -d "$ANSWER"

if [ -z "$SECRET" ]; then
  echo 'SECRET is not set: skipped the management calls' >&2
  exit 0
fi

# ---- management (secret key; servers and scripts only) ---------------------------------
sec 201 POST /v1/surveys -d "{\"key\":\"csat-checkout-$RUN\",\"kind\":\"csat\",
  \"question\":\"How satisfied are you with checkout?\",\"status\":\"active\",
  \"presentation\":{\"labels\":{\"low\":\"Very unsatisfied\",\"high\":\"Very satisfied\"},
    \"follow_up\":{\"question\":\"What could we do better?\"},
    \"locales\":{\"de\":{\"question\":\"Wie zufrieden sind Sie mit dem Bezahlvorgang?\"}}},
  \"targeting\":{\"sample_rate\":0.5,\"recontact_days\":90,
    \"filters\":[{\"attribute\":\"plan\",\"op\":\"in\",\"value\":[\"pro\",\"team\"]}]}}"
NEW=csat-checkout-$RUN
sec 200 GET /v1/surveys
sec 200 GET "/v1/surveys?status=active"
sec 200 GET "/v1/surveys/$NEW"
sec 200 PATCH "/v1/surveys/$NEW" -d '{"question":"How satisfied are you with paying?"}'
sec 200 POST "/v1/surveys/$NEW/pause"
sec 200 POST "/v1/surveys/$NEW/resume"
# A share link to the survey's report page, read-only: its url (relative, the token only in
# the #fragment, so no server log sees it) is in this answer only.
sec 201 POST "/v1/surveys/$NEW/report-links" -d '{"expires_in_hours":72,"label":"examples.sh review"}'
LINK_ID=$(field id)
sec 200 GET "/v1/report-links?survey=$NEW"
sec 200 POST "/v1/report-links/$LINK_ID/revoke"
sec 200 POST "/v1/surveys/$NEW/archive"

sec 201 POST /v1/keys -d '{"kind":"secret","scopes":["responses:read"],"name":"examples.sh reporting"}'
KEY_ID=$(field id)
sec 200 GET /v1/keys
sec 200 POST "/v1/keys/$KEY_ID/revoke"

echo 'examples.sh: every call answered as expected' >&2
