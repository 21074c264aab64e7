#!/usr/bin/env bash
# A bounded, loopback-only load benchmark of the release binary, on SQLite and on Postgres.
#
#   bench/load.sh               build, then benchmark both stores (about two minutes)
#   bench/load.sh --no-build    use the existing target/release/sandbank
#
# Per store: a fresh SQLite data directory, or a fresh database on 127.0.0.1:5432 (dropped
# afterwards); the server runs on 127.0.0.1 with the rate limit off; wrk drives GET /healthz
# (the floor), GET /v1/customers/{id}, GET /v1/customers?limit=10 and POST /v1/customers.
# Per run: requests/s, p50/p99 latency, server CPU per request (utime+stime from
# /proc/<pid>/stat over the run ÷ requests), the server's peak RSS (VmHWM), and ratios against
# stripe-mock's figures on the reference machine. Then time-to-first-request of a cold start.
#
# Settings (environment): BENCH_DURATION (s, default 10), BENCH_WARMUP (s, default 2),
# BENCH_THREADS (default 2), BENCH_CONNECTIONS (default 32), BENCH_STORES ("sqlite postgres"),
# BENCH_POSTGRES (admin URL, default postgres://postgres@127.0.0.1:5432/postgres).
# A copy of the report goes to bench/out/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${BENCH_DURATION:-10}"
WARMUP="${BENCH_WARMUP:-2}"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
STORES="${BENCH_STORES:-sqlite postgres}"
PG_ADMIN="${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
KEY="sk_test_sandbank"
BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/sandbank"

# stripe-mock serving GET /v1/customers/{id} on the reference 2-core machine (issue 2).
REF_RPS=10800
REF_CPU_US=150
REF_RSS_MB=50

build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

work="$(mktemp -d "${TMPDIR:-/tmp}/sandbank-bench.XXXXXX")"
server_pid=""
pg_db=""

# The ownership-match runs send many distinct inputs to a few accounts; lift the quota.
EXTRA_SERVER_ENV=(SANDBANK_OWNERSHIP_MATCH_LIMIT=100000000)
# shellcheck source=bench/lib.sh
. bench/lib.sh
trap cleanup EXIT
trap 'exit 130' INT TERM

# utime + stime of a process (all its threads), in clock ticks.
cpu_ticks() {
  local stat
  stat="$(cat "/proc/$1/stat")"
  # Fields after the command name's closing parenthesis start at field 3 (state).
  awk '{ print $12 + $13 }' <<<"${stat##*) }"
}

# utime + stime, in clock ticks, of the Postgres processes that work for this benchmark, one
# "pid ticks" line each: the backends connected to its database, the postmaster and the shared
# background processes (WAL writer, checkpointer, …). Backends of other databases are left out.
postgres_ticks() {
  local stat cmd
  for dir in /proc/[0-9]*; do
    [ "$(cat "$dir/comm" 2>/dev/null)" = postgres ] || continue
    cmd="$(tr '\0' ' ' <"$dir/cmdline" 2>/dev/null)" || continue
    case "$cmd" in
      *" $pg_db "*) ;;
      /*) ;;
      "postgres: "*checkpointer* | "postgres: "*"background writer"* | "postgres: "*walwriter* | \
        "postgres: "*"autovacuum launcher"* | "postgres: "*"logical replication launcher"*) ;;
      *) continue ;;
    esac
    stat="$(cat "$dir/stat" 2>/dev/null)" || continue
    echo "${dir#/proc/} $(awk '{ print $12 + $13 }' <<<"${stat##*) }")"
  done
}

# The Postgres CPU ticks spent between two postgres_ticks snapshots: per process, what it
# gained (all of it for a process that started in between). A process that exited in between
# (a pool closing an idle connection) takes its ticks with it, so this errs low, never negative.
postgres_delta() {
  awk 'NR == FNR { before[$1] = $2; next } { total += $2 - ($1 in before ? before[$1] : 0) } END { print total + 0 }' \
    <(echo "$1") <(echo "$2")
}

# Peak resident set (VmHWM) of a process, in kB.
peak_rss_kb() {
  awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

# run_wrk <label> <url> [wrk args…]: a warm-up, then the measured run; prints one table row.
run_wrk() {
  local label="$1" url="$2"
  shift 2
  timeout $((WARMUP + 10)) wrk -t "$THREADS" -c "$CONNECTIONS" -d "${WARMUP}s" "$@" "$url" >/dev/null
  local before after out db_before="" db_after=""
  [ "$current_store" = postgres ] && db_before="$(postgres_ticks)"
  before="$(cpu_ticks "$server_pid")"
  out="$(timeout $((DURATION + 15)) wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" "$@" "$url")"
  after="$(cpu_ticks "$server_pid")"
  [ "$current_store" = postgres ] && db_after="$(postgres_ticks)"
  local line
  line="$(grep '^BENCH ' <<<"$out")" || { echo "wrk gave no summary:" >&2; echo "$out" >&2; exit 1; }
  local rss_kb
  rss_kb="$(peak_rss_kb "$server_pid")"
  awk -v label="$label" -v store="$current_store" -v ticks="$((after - before))" -v hz="$CLK_TCK" \
    -v db_ticks="$(postgres_delta "$db_before" "$db_after")" \
    -v rss_kb="$rss_kb" -v ref_rps="$REF_RPS" -v ref_cpu="$REF_CPU_US" -v ref_rss="$REF_RSS_MB" '
    BEGIN {
      for (i = 1; i <= split(ARGV[1], kv, " "); i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
      ARGV[1] = ""
      rps = v["requests"] / (v["duration_us"] / 1e6)
      cpu = ticks * 1e6 / hz / v["requests"]
      rss = rss_kb / 1024
      db = store == "postgres" ? sprintf("%.1f", db_ticks * 1e6 / hz / v["requests"]) : "-"
      printf "%-8s %-28s %9.0f %8.2f %8.2f %10.1f %9s %8.1f %7d   %5.2fx %5.2fx %5.2fx\n",
        store, label, rps, v["p50_us"] / 1000, v["p99_us"] / 1000, cpu, db, rss,
        v["non2xx"] + v["errors"], rps / ref_rps, ref_cpu / cpu, rss / ref_rss
      exit
    }' "${line#BENCH }" | tee -a "$work/rows"
}

header() {
  printf "%-8s %-28s %9s %8s %8s %10s %9s %8s %7s   %6s %6s %6s\n" \
    store endpoint "req/s" "p50 ms" "p99 ms" "CPU µs/req" "db µs/req" "peak MB" "errors" "rps" "CPU" "RSS"
  printf "%-8s %-28s %9s %8s %8s %10s %9s %8s %7s   %6s %6s %6s\n" \
    "" "" "" "" "" "" "" "" "" "vs mock" "÷ mock" "vs mock"
}

bench_store() {
  current_store="$1"
  local url=""
  if [ "$current_store" = postgres ]; then
    if ! pg_isready -q -d "$PG_ADMIN" 2>/dev/null && ! psql -q -X "$PG_ADMIN" -c 'SELECT 1' >/dev/null 2>&1; then
      echo "postgres   skipped: nothing answers at $PG_ADMIN"
      return
    fi
    pg_db="sandbank_bench_$(date +%s)_$$"
    psql -q -X "$PG_ADMIN" -c "CREATE DATABASE $pg_db" >/dev/null
    url="${PG_ADMIN%/*}/$pg_db"
  fi
  local port
  port="$(free_port)"
  start_server "$current_store" "$port" "$url"
  local base="http://127.0.0.1:$port"
  local customer
  customer="$(curl -fsS --max-time 5 "$base/v1/customers" -u "$KEY:" \
    -d name="Jenny Rosen" -d email=jennyrosen@example.com -d "address[city]=South San Francisco" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"

  local auth=(-H "Authorization: Bearer $KEY")
  run_wrk "GET /healthz (floor)" "$base/healthz" -s bench/report.lua
  run_wrk "GET /v1/customers/{id}" "$base/v1/customers/$customer" "${auth[@]}" -s bench/report.lua
  run_wrk "GET /v1/customers?limit=10" "$base/v1/customers?limit=10" "${auth[@]}" -s bench/report.lua
  run_wrk "POST /v1/customers" "$base/v1/customers" -s bench/create_customer.lua
  bench_ownership_match "$base" "$customer"

  local log_lines
  log_lines="$(wc -l <"$work/server-$current_store.log")"
  stop_server
  if [ "$log_lines" != 0 ]; then
    echo "  ($current_store server wrote $log_lines warning/error lines; first ones:)"
    head -n 3 "$work/server-$current_store.log" | sed 's/^/    /'
  fi
  if [ -n "$pg_db" ]; then
    psql -q -X "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
    pg_db=""
  fi
}

# Ownership match on accounts whose ownership was refreshed by the server's own workers:
# one input repeated (answered from the stored match) and a new input every request (scored,
# checked against the quota and stored), beside GET /v1/customers/{id} measured just before.
bench_ownership_match() {
  local base="$1" customer="$2" accounts="" account status=""
  for _ in $(seq 1 "${BENCH_MATCH_ACCOUNTS:-20}"); do
    account="$(curl -fsS --max-time 10 "$base/v1/test_helpers/financial_connections/accounts" -u "$KEY:" \
      -d "account_holder[customer]=$customer" -d "permissions[]=ownership" -d "prefetch[]=ownership" \
      -d "owners[0][name]=Jennifer Rosen" -d "owners[0][email]=jennyrosen@test.com" \
      -d "owners[0][raw_address]=354 Oyster Point Blvd South San Francisco, CA 94080 USA" \
      -d "owners[1][name]=Mark Rosen" |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
    accounts="${accounts:+$accounts,}$account"
  done
  # The server's own refresh workers fetch the ownership; a benchmark may poll for it.
  for _ in $(seq 1 200); do
    status="$(curl -fsS --max-time 5 "$base/v1/financial_connections/accounts/$account" -u "$KEY:" |
      python3 -c 'import json, sys; print((json.load(sys.stdin)["ownership_refresh"] or {}).get("status"))')"
    [ "$status" = succeeded ] && break
    sleep 0.1
  done
  [ "$status" = succeeded ] || { echo "ownership refresh did not succeed ($status)" >&2; return 1; }
  BENCH_ACCOUNTS="$accounts" run_wrk "POST ownership_match (repeat)" "$base/v1/financial_connections/ownership_match" \
    -s bench/ownership_match.lua
  BENCH_ACCOUNTS="$accounts" BENCH_DISTINCT=1 run_wrk "POST ownership_match (new)" \
    "$base/v1/financial_connections/ownership_match" -s bench/ownership_match.lua
}

# Time from exec to the first 200 from /healthz, polled in a tight loop (no sleep).
first_request_ms() {
  local label="$1" data_dir="$2" url="${3:-}"
  python3 - "$BIN" "$(free_port)" "$data_dir" "$url" "$label" <<'PY'
import os, socket, subprocess, sys, time

binary, port, data_dir, url, label = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
env = {"PATH": os.environ["PATH"], "RUST_LOG": "warn", "SANDBANK_LOG_FORMAT": "json",
       "SANDBANK_LISTEN": f"127.0.0.1:{port}", "SANDBANK_DATA_DIR": data_dir}
if url:
    env["DATABASE_URL"] = url
request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
start = time.monotonic()
proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
elapsed = None
try:
    while time.monotonic() - start < 10 and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(request)
                if s.recv(16).startswith(b"HTTP/1.1 200"):
                    elapsed = (time.monotonic() - start) * 1000
                    break
        except OSError:
            pass
finally:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
print(f"  {label:<44} " + (f"{elapsed:7.1f} ms" if elapsed is not None else "no answer within 10 s"))
PY
}

time_to_first_request() {
  echo
  echo "time to first request (exec → first 200 from /healthz):"
  local dir="$work/ttfr"
  first_request_ms "sqlite, new data dir (creates + migrates)" "$dir"
  first_request_ms "sqlite, existing data dir" "$dir"
  if [[ " $STORES " == *" postgres "* ]] && psql -q -X "$PG_ADMIN" -c 'SELECT 1' >/dev/null 2>&1; then
    pg_db="sandbank_bench_ttfr_$(date +%s)_$$"
    psql -q -X "$PG_ADMIN" -c "CREATE DATABASE $pg_db" >/dev/null
    first_request_ms "postgres, new database (migrates)" "$dir" "${PG_ADMIN%/*}/$pg_db"
    first_request_ms "postgres, existing database" "$dir" "${PG_ADMIN%/*}/$pg_db"
    psql -q -X "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
    pg_db=""
  fi
}

main() {
  ensure_wrk
  if [ "$build" = 1 ]; then
    cargo build --release --quiet
  fi
  [ -x "$BIN" ] || { echo "no $BIN; run without --no-build" >&2; exit 1; }
  CLK_TCK="$(getconf CLK_TCK)"

  echo "sandbank load benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores, $(awk '/^model name/ { $1 = $2 = $3 = ""; print; exit }' /proc/cpuinfo | sed 's/^ *//')"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (the benchmark shares the machine with wrk and anything else running)"
  echo "wrk: $THREADS threads, $CONNECTIONS connections, ${DURATION}s per run after ${WARMUP}s warm-up; CLK_TCK=$CLK_TCK"
  echo "server: $BIN, RUST_LOG=warn, SANDBANK_LOG_FORMAT=json, SANDBANK_RATE_LIMIT=0"
  echo "ratios against stripe-mock GET customer: ${REF_RPS} req/s, ${REF_CPU_US} µs CPU/req, ${REF_RSS_MB} MB"
  echo "  (rps: higher is better; CPU: stripe-mock's CPU ÷ ours, higher is better; RSS: ours ÷ 50 MB, lower is better)"
  echo "  CPU µs/req is sandbank's process; db µs/req is Postgres's (this database's backends + its background processes)"
  echo
  header
  for store in $STORES; do
    bench_store "$store"
  done
  time_to_first_request
  echo
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

mkdir -p bench/out
exec > >(tee "bench/out/load-$(date -u +%Y%m%dT%H%M%SZ).txt") 2>&1
main
