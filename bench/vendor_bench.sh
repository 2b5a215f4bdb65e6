#!/usr/bin/env bash
# The live fake vendor under load, on loopback. Prints figures and ratios only (never pass/fail):
#   1. non-streaming chat completions, no faults, a zero-latency profile (server overhead only):
#      requests/s of `gameday serve` vs nginx serving the same response body from a file vs
#      @dwmkerr/mock-llm (npm; skipped with a message when it cannot be installed);
#   2. a 200 ms latency fault at high concurrency: p50/p90/p99 and the p99 error against 200 ms,
#      over BENCH_DELAY_DURATION (default 90s). wrk opens every connection at once, so the first
#      waves of 2,000 simultaneous requests queue behind each other; in a 10 s run they are ~5% of
#      the requests and set the p99, in 90 s under 1%, so the p99 shows the steady state;
#   3. the RSS of gameday holding many hanging connections under a hang fault.
# Usage: bench/vendor_bench.sh [path/to/gameday]   (default: build/gameday)
# Knobs (environment): BENCH_DURATION (wrk duration, default 10s), BENCH_DELAY_DURATION (the
# latency test's, default 90s), BENCH_CONNS (default 64),
# BENCH_HIGH_CONNS (default 2000), BENCH_HANG_CONNS (default 10000), BENCH_IO_THREADS (the
# vendor's `gameday serve --io-threads`, default 2; nginx keeps 1 worker, mock-llm is one node
# process).
# Installs wrk and nginx with apt-get only when they are missing.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-${GAMEDAY_BIN:-$ROOT/build/gameday}}
DURATION=${BENCH_DURATION:-10s}
DELAY_DURATION=${BENCH_DELAY_DURATION:-90s}
CONNS=${BENCH_CONNS:-64}
HIGH=${BENCH_HIGH_CONNS:-2000}
HANG=${BENCH_HANG_CONNS:-10000}
IO_THREADS=${BENCH_IO_THREADS:-2}
TMP=$(mktemp -d /tmp/gameday-vendor-bench-XXXXXX)
PIDS=()

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2> /dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT

if [ ! -x "$BIN" ]; then
  echo "gameday binary not found: $BIN (build it, or pass its path)"
  exit 1
fi
missing=()
command -v wrk > /dev/null 2>&1 || missing+=(wrk)
command -v nginx > /dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} ..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" > "$TMP/apt.log" 2>&1 ||
    { apt-get update > /dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" > "$TMP/apt.log" 2>&1; }
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# Enough descriptors for the hanging connections (inherited by gameday and the scripts).
ulimit -n "$(ulimit -Hn)" 2> /dev/null
FD_LIMIT=$(ulimit -n)
if [ "$FD_LIMIT" != unlimited ]; then
  [ "$HIGH" -gt $((FD_LIMIT - 100)) ] && HIGH=$((FD_LIMIT - 100))
  [ "$HANG" -gt $((FD_LIMIT - 100)) ] && HANG=$((FD_LIMIT - 100))
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- gameday serve with a zero-latency, error-free profile ---
cp -r "$ROOT/fakes" "$TMP/fakes"
cat > "$TMP/fakes/vendors.yaml" << 'EOF'
vendors:
  - id: primary
    name: Northwind Models (synthetic)
    models: [nw-clinical-large]
    ttft: 0ms
    tokens_per_second: 1000000
    error_rate: 0
    ungrounded_rate: 0
    price_per_1k_input: 0.003
    price_per_1k_output: 0.015
  - id: secondary
    name: Bluebird AI (synthetic)
    models: [bb-med-pro]
    ttft: 0ms
    tokens_per_second: 1000000
    error_rate: 0
    ungrounded_rate: 0
    price_per_1k_input: 0.0025
    price_per_1k_output: 0.01
EOF
"$BIN" serve --fakes "$TMP/fakes" --vendor 127.0.0.1:0 --ehr 127.0.0.1:0 --control 127.0.0.1:0 \
  --io-threads "$IO_THREADS" > "$TMP/serve.out" 2> "$TMP/serve.err" &
GD_PID=$!
PIDS+=("$GD_PID")
for _ in $(seq 100); do
  [ "$(grep -c '^control ' "$TMP/serve.out" 2> /dev/null)" = 1 ] && break
  sleep 0.1
done
VENDOR=$(awk '$1 == "vendor" {print $2}' "$TMP/serve.out")
CONTROL=$(awk '$1 == "control" {print $2}' "$TMP/serve.out")
if [ -z "$VENDOR" ] || [ -z "$CONTROL" ]; then
  echo "gameday serve did not start:"; cat "$TMP/serve.err"; exit 1
fi

REQUEST='{"model":"nw-clinical-large","messages":[{"role":"system","content":"Answer only from the context and cite the document id like [doc:ID] after each sentence."},{"role":"user","content":"Question: How many physical therapy visits per year does the plan cover?\n[doc:policy-gold-pt-v2] Physical therapy is covered up to 20 visits per year. The copay for physical therapy is $30 per visit."}]}'
printf '%s' "$REQUEST" > "$TMP/request.json"
cat > "$TMP/post.lua" << EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
local f = io.open("$TMP/request.json", "rb")
wrk.body = f:read("*a")
f:close()
EOF
mkdir -p "$TMP/www"
# The request must be answered (a model the profile serves): a 4xx body would bench an error.
STATUS=$(curl -s --noproxy '*' -o "$TMP/www/body.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary @"$TMP/request.json" "$VENDOR/chat/completions")
if [ "$STATUS" != 200 ]; then
  echo "gameday serve answered the bench request with HTTP $STATUS, not 200:"; cat "$TMP/www/body.json"; echo
  exit 1
fi
BODY_BYTES=$(wc -c < "$TMP/www/body.json")
# nginx's worker runs as nobody: let it read the body.
chmod 755 "$TMP" "$TMP/www"
chmod 644 "$TMP/www/body.json"

# wrk against URL with CONNECTIONS; leaves its output in $TMP/wrk.out.
run_wrk() {
  local url=$1 conns=$2 duration=${3:-$DURATION} threads=2
  [ "$conns" -lt 2 ] && threads=1
  wrk -t"$threads" -c"$conns" -d"$duration" --timeout 10s --latency -s "$TMP/post.lua" "$url" > "$TMP/wrk.out" 2>&1
}
rps() { awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk.out"; }
# A latency percentile of the last run ("50%", "99%"), in ms.
percentile_ms() {
  awk -v p="$1" '$1 == p {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.1f", v}' "$TMP/wrk.out"
}
errors() { grep -E 'Socket errors|Non-2xx' "$TMP/wrk.out" | tr -s ' ' | paste -sd ';' -; }
# "" when every response of the last run was 2xx, else a warning naming how many were not.
non_2xx() {
  awk '/Non-2xx or 3xx responses:/ {print "   WARNING: " $NF " responses were not 2xx: the figure above is not of answers"}' "$TMP/wrk.out"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "gameday vendor bench: $(nproc) cores, wrk $DURATION, response body $BODY_BYTES bytes, gameday --io-threads $IO_THREADS"
echo
echo "1. non-streaming chat completions, no faults, $CONNS connections"
run_wrk "$VENDOR/chat/completions" "$CONNS"
GD_RPS=$(rps)
echo "   gameday serve        $GD_RPS req/s   p99 $(percentile_ms 99%) ms   $(errors)"
non_2xx

# nginx: the same body from a file (POST on a static file is a 405, turned into the file).
NPORT=$(free_port)
mkdir -p "$TMP/nginx/logs"
cat > "$TMP/nginx/nginx.conf" << EOF
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  server {
    listen 127.0.0.1:$NPORT;
    location / {
      root $TMP/www;
      default_type application/json;
      try_files /body.json =404;
      error_page 405 =200 /body.json;
    }
  }
}
EOF
"$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" > /dev/null 2>&1 &
PIDS+=("$!")
sleep 0.5
NGINX_RPS=""
if curl -s --noproxy '*' -o /dev/null -w '%{http_code}' -X POST --data-binary @"$TMP/request.json" \
     "http://127.0.0.1:$NPORT/v1/chat/completions" | grep -q 200; then
  run_wrk "http://127.0.0.1:$NPORT/v1/chat/completions" "$CONNS"
  NGINX_RPS=$(rps)
  echo "   nginx (1 worker)     $NGINX_RPS req/s   p99 $(percentile_ms 99%) ms   $(errors)"
  non_2xx
else
  echo "   nginx: did not start (skipped)"
fi

# @dwmkerr/mock-llm, configured to answer the same body (its default rule, which echoes the
# last message into a JSON template, breaks on a message holding a newline).
MOCK_RPS=""
MPORT=$(free_port)
mkdir -p "$TMP/mockllm"
python3 - "$TMP/www/body.json" > "$TMP/mockllm/mock-llm.yaml" << 'PY'
import json, sys
body = open(sys.argv[1]).read()
print("rules:\n  - path: /v1/chat/completions\n    method: POST\n    match: '@'\n    response:\n"
      "      status: 200\n      content: " + json.dumps(body))
PY
if (cd "$TMP/mockllm" && timeout 300 npm install --no-audit --no-fund --silent @dwmkerr/mock-llm > npm.log 2>&1) &&
   [ -f "$TMP/mockllm/node_modules/@dwmkerr/mock-llm/dist/main.js" ]; then
  HOST=127.0.0.1 PORT=$MPORT node "$TMP/mockllm/node_modules/@dwmkerr/mock-llm/dist/main.js" \
    --config "$TMP/mockllm/mock-llm.yaml" > "$TMP/mockllm/out.log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 50); do
    curl -s --noproxy '*' -o /dev/null "http://127.0.0.1:$MPORT/v1/models" && break
    sleep 0.2
  done
  run_wrk "http://127.0.0.1:$MPORT/v1/chat/completions" "$CONNS"
  MOCK_RPS=$(rps)
  echo "   @dwmkerr/mock-llm    $MOCK_RPS req/s   p99 $(percentile_ms 99%) ms   $(errors)"
else
  echo "   @dwmkerr/mock-llm: could not be installed from npm (skipped)"
fi
[ -n "$NGINX_RPS" ] && echo "   gameday / nginx      $(ratio "$GD_RPS" "$NGINX_RPS")"
[ -n "$MOCK_RPS" ] && echo "   gameday / mock-llm   $(ratio "$GD_RPS" "$MOCK_RPS")"

echo
echo "2. a 200 ms latency fault, $HIGH connections, wrk $DELAY_DURATION"
curl -s --noproxy '*' -o /dev/null -X POST -H 'Content-Type: application/json' \
  -d '{"id":"bench-latency","target":"vendor:primary","kind":"latency","delay":"200ms"}' "$CONTROL/faults"
run_wrk "$VENDOR/chat/completions" "$HIGH" "$DELAY_DURATION"
P50=$(percentile_ms 50%)
P90=$(percentile_ms 90%)
P99=$(percentile_ms 99%)
echo "   $(rps) req/s (ideal $(awk -v c="$HIGH" 'BEGIN {printf "%.0f", c / 0.2}'))   p50 $P50 ms   p90 $P90 ms   p99 $P99 ms   p99 error vs 200 ms: $(awk -v p="$P99" 'BEGIN {printf "%+.1f ms (%+.1f%%)", p - 200, (p - 200) / 2}')   $(errors)"
curl -s --noproxy '*' -o /dev/null -X DELETE "$CONTROL/faults/bench-latency"

echo
echo "3. $HANG hanging connections under a hang fault"
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$GD_PID/status"; }
curl -s --noproxy '*' -o /dev/null -X POST -H 'Content-Type: application/json' \
  -d '{"id":"bench-hang","target":"vendor:primary","kind":"hang"}' "$CONTROL/faults"
RSS0=$(rss_kb)
cat > "$TMP/hang.py" << 'EOF'
import resource, socket, sys, time
n, port, path, body_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
body = open(body_file, "rb").read()
req = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
       f"Content-Length: {len(body)}\r\n\r\n").encode() + body
socks = []
for i in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(req)
        socks.append(s)
    except OSError as e:
        print(f"stopped at {i}: {e}", file=sys.stderr)
        break
print(len(socks), flush=True)
sys.stdin.read()  # hold them until told
EOF
VPORT=$(echo "$VENDOR" | sed -E 's#.*:([0-9]+)/v1#\1#')
mkfifo "$TMP/hold"
python3 "$TMP/hang.py" "$HANG" "$VPORT" /v1/chat/completions "$TMP/request.json" < "$TMP/hold" > "$TMP/hang.out" 2> "$TMP/hang.err" &
HANG_PID=$!
PIDS+=("$HANG_PID")
exec 9> "$TMP/hold"
for _ in $(seq 600); do
  [ -s "$TMP/hang.out" ] && break
  sleep 0.1
done
sleep 3  # let gameday read every request
OPEN=$(cat "$TMP/hang.out")
RSS1=$(rss_kb)
CONNS_HELD=$(ls "/proc/$GD_PID/fd" | wc -l)
echo "   connections opened: $OPEN   gameday fds: $CONNS_HELD"
echo "   gameday RSS: $((RSS0 / 1024)) MiB before, $((RSS1 / 1024)) MiB with them open," \
     "$(awk -v a="$RSS0" -v b="$RSS1" -v n="${OPEN:-0}" 'BEGIN { if (n > 0) printf "%.1f", (b - a) / n; else print "n/a" }') KiB per connection"
exec 9>&-
wait "$HANG_PID" 2> /dev/null
curl -s --noproxy '*' -o /dev/null -X DELETE "$CONTROL/faults/bench-hang"
