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
. "$ROOT/bench/peer_lib.sh"
peer_setup api_peer.sh "$KURA_BIN" "$API_BENCH"

common=(--region "$region" --connections "$connections" --seconds "$seconds" --warmup "$warmup" --threads "$threads")
echo "== API benchmark: KMS GenerateDataKey and Decrypt, SigV4, keep-alive HTTP on loopback"
echo "   $connections connections, $threads client thread(s), ${warmup} s warm-up + ${seconds} s per load, $(nproc) CPU(s)"
echo "   NOTE: the load generator runs on the same $(nproc) core(s) as the server under test, so"
echo "   these figures are a lower bound for a server on cores of its own."

# ---- kura, then moto
run_kura "$API_BENCH" "${common[@]}"
run_moto "$peer" "$API_BENCH" "${common[@]}"

# ---- table
echo
echo "== API benchmark results ($connections connections; target: kura >= 20x moto req/s, kura p99 < 5 ms)"
awk -v note="$peer_note" "$AWK_FIELD"'
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
