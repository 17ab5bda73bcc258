#!/usr/bin/env bash
# API benchmark: the same KMS load (GenerateDataKey, then Decrypt; SigV4-signed,
# keep-alive HTTP on loopback) against a fresh `kura serve` and, in the same
# run, against moto_server as the peer emulator; prints a table with the
# kura/moto ratios. Target (printed, never enforced): kura >= 20x moto's
# throughput with p99 < 5 ms at 64 connections.
#
# Usage: bench/api_peer.sh [--peer moto|none] [--seconds S] [--warmup S]
#                          [--connections N] [--threads N] [--region R]
# Binaries: $KURA_BIN (default build/src/cmd/kura), $KURA_API_BENCH
# (default build/bench/api_bench); build them first (bench/run does).
# Exit status: non-zero only when kura's run fails (set-up or request errors);
# the peer's failures are reported, timings never fail anything.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

peer=moto
seconds=5
warmup=1
connections=64
threads=1
region=us-east-1
while [ $# -gt 0 ]; do
  case "$1" in
    --peer) peer=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --region) region=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "api_peer.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

KURA_BIN=${KURA_BIN:-$ROOT/build/src/cmd/kura}
API_BENCH=${KURA_API_BENCH:-$ROOT/build/bench/api_bench}
for b in "$KURA_BIN" "$API_BENCH"; do
  [ -x "$b" ] || { echo "api_peer.sh: $b is missing (ninja -C build kura api_bench)" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kura-api-bench-XXXXXX")
kura_pid=""
moto_pid=""
stop_server() {  # SIGTERM, then wait (SIGKILL after 30 s)
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}
cleanup() {
  stop_server "$kura_pid"; kura_pid=""
  stop_server "$moto_pid"; moto_pid=""
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_listening PORT PID LOG: until the port accepts connections (30 s).
wait_listening() {
  local port=$1 pid=$2 log=$3
  for _ in $(seq 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "api_peer.sh: server exited early; its log:" >&2; cat "$log" >&2; return 1
    fi
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "api_peer.sh: server did not listen on $port; its log:" >&2; cat "$log" >&2; return 1
}

common=(--region "$region" --connections "$connections" --seconds "$seconds" --warmup "$warmup" --threads "$threads")
echo "== API benchmark: KMS GenerateDataKey and Decrypt, SigV4, keep-alive HTTP on loopback"
echo "   $connections connections, $threads client thread(s), ${warmup} s warm-up + ${seconds} s per load, $(nproc) CPU(s)"
echo "   NOTE: the load generator runs on the same $(nproc) core(s) as the server under test, so"
echo "   these figures are a lower bound for a server on cores of its own."

# ---- kura
kura_port=$(free_port)
"$KURA_BIN" serve --data-dir "$tmp/kura-data" --listen "127.0.0.1:$kura_port" >"$tmp/kura.log" 2>&1 &
kura_pid=$!
wait_listening "$kura_port" "$kura_pid" "$tmp/kura.log" || exit 1
for _ in $(seq 100); do [ -s "$tmp/kura-data/credentials" ] && break; sleep 0.1; done
"$API_BENCH" --endpoint "http://127.0.0.1:$kura_port" --credentials-file "$tmp/kura-data/credentials" \
  --label kura --server-pid "$kura_pid" "${common[@]}" | tee "$tmp/kura.out"
kura_status=${PIPESTATUS[0]}
stop_server "$kura_pid"; kura_pid=""
if [ "$kura_status" -ne 0 ]; then
  echo "api_peer.sh: kura's run FAILED (exit $kura_status); server log tail:" >&2
  tail -n 20 "$tmp/kura.log" >&2
fi

# ---- moto
peer_note=""
moto_status=0
: >"$tmp/moto.out"
if [ "$peer" = none ]; then
  peer_note="peer not run (--peer none)"
elif ! command -v moto_server >/dev/null 2>&1; then
  peer_note="peer unavailable: moto_server is not on PATH"
else
  moto_port=$(free_port)
  moto_server -H 127.0.0.1 -p "$moto_port" >"$tmp/moto.log" 2>&1 &
  moto_pid=$!
  if wait_listening "$moto_port" "$moto_pid" "$tmp/moto.log"; then
    # moto does not verify signatures: dummy credentials, still signed.
    "$API_BENCH" --endpoint "http://127.0.0.1:$moto_port" --access-key-id AKIAIOSFODNN7EXAMPLE \
      --secret-access-key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY --label moto --server-pid "$moto_pid" "${common[@]}" | tee "$tmp/moto.out"
    moto_status=${PIPESTATUS[0]}
    [ "$moto_status" -ne 0 ] && peer_note="moto's run had failures (exit $moto_status)"
  else
    peer_note="peer unavailable: moto_server did not start"
  fi
  stop_server "$moto_pid"; moto_pid=""
fi

# ---- table
echo
echo "== API benchmark results ($connections connections; target: kura >= 20x moto req/s, kura p99 < 5 ms)"
awk -v note="$peer_note" '
  function field(line, name,   n, i, kv) {
    n = split(line, kv, " ")
    for (i = 1; i <= n; i++) if (index(kv[i], name "=") == 1) return substr(kv[i], length(name) + 2)
    return ""
  }
  FNR == 1 { src = (FILENAME ~ /kura\.out$/) ? "kura" : "moto" }
  /^result / {
    op = field($0, "op")
    if (!(op in seen)) { seen[op] = 1; ops[++nops] = op }
    rps[src, op] = field($0, "rps") + 0; p50[src, op] = field($0, "p50_ms") + 0; p99[src, op] = field($0, "p99_ms") + 0
    err[src, op] = field($0, "errors") + 0; have[src, op] = 1
    scpu[src, op] = field($0, "server_cores") + 0; sus[src, op] = field($0, "server_us_per_req") + 0
    ccpu[src, op] = field($0, "client_cores") + 0; cus[src, op] = field($0, "client_us_per_req") + 0
  }
  END {
    printf "%-16s %11s %8s %8s %6s | %9s %8s %8s %6s | %9s %8s %8s\n", "operation", "kura req/s", "p50 ms", "p99 ms", "errors",
           "moto req/s", "p50 ms", "p99 ms", "errors", "req/s x", "p99 x", "target"
    for (i = 1; i <= nops; i++) {
      op = ops[i]
      k = have["kura", op]; m = have["moto", op]
      kr = k ? sprintf("%11.1f %8.3f %8.3f %6d", rps["kura", op], p50["kura", op], p99["kura", op], err["kura", op]) : sprintf("%11s %8s %8s %6s", "-", "-", "-", "-")
      mr = m ? sprintf("%9.1f %8.3f %8.3f %6d", rps["moto", op], p50["moto", op], p99["moto", op], err["moto", op]) : sprintf("%9s %8s %8s %6s", "-", "-", "-", "-")
      ratio = "-"; pratio = "-"; verdict = "-"
      if (k && m && rps["moto", op] > 0) ratio = sprintf("%.1fx", rps["kura", op] / rps["moto", op])
      if (k && m && p99["kura", op] > 0) pratio = sprintf("%.1fx", p99["moto", op] / p99["kura", op])
      if (k) {
        p99ok = (p99["kura", op] < 5.0)
        if (k && m && rps["moto", op] > 0) verdict = ((rps["kura", op] >= 20 * rps["moto", op]) && p99ok) ? "PASS" : "MISS"
        else verdict = p99ok ? "p99 ok" : "p99 MISS"
        if (err["kura", op] > 0) verdict = verdict " (ERRORS)"
      }
      printf "%-16s %s | %s | %9s %8s %8s\n", op, kr, mr, ratio, pratio, verdict
    }
    print "req/s x = kura req/s / moto req/s; p99 x = moto p99 / kura p99 (higher is better for kura)."
    print ""
    printf "CPU during the measured window (cores used; CPU microseconds per request):\n"
    for (i = 1; i <= nops; i++) {
      op = ops[i]
      for (j = 1; j <= 2; j++) {
        s = (j == 1) ? "kura" : "moto"
        if (!have[s, op]) continue
        sv = scpu[s, op] < 0 ? "unknown" : sprintf("%.2f cores, %6.0f us/req", scpu[s, op], sus[s, op])
        printf "  %-16s %-4s server %-26s load generator %.2f cores, %4.0f us/req\n", op, s, sv, ccpu[s, op], cus[s, op]
      }
    }
    if (note != "") print "peer: " note "; kura figures above stand alone."
  }' "$tmp/kura.out" "$tmp/moto.out"

[ "$kura_status" -eq 0 ]
