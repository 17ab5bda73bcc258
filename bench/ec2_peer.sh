#!/usr/bin/env bash
# EC2 benchmark: the same EBS load (bench/ec2_bench: create 10,000 volumes and
# 10,000 snapshots over 32 keep-alive connections, then DescribeVolumes /
# DescribeSnapshots all, one 1,000-item page, filtered, and a whole paginated
# walk; SigV4-signed EC2 Query on loopback) against a fresh `kura serve` and,
# in the same run, against moto_server as the peer emulator; prints a table
# with the kura/moto ratios and the targets, as PASS/MISS lines that never
# fail anything:
#   CreateVolume throughput >= 10x moto's;
#   DescribeVolumes of one page (1,000 volumes) p50 < 50 ms.
# Read the items column: moto 5 ignores MaxResults/NextToken (its "page" and
# "walk" are the whole list in one answer) and Owner.1=self (its
# DescribeSnapshots also lists ~1,200 public Amazon snapshots), so those
# rows compare different amounts of work; `note` lines say what each server
# did with MaxResults.
#
# Usage: bench/ec2_peer.sh [--quick] [--peer moto|none] [--volumes N]
#          [--snapshots N] [--connections N] [--queries N]
#          [--query-connections N] [--query-seconds S] [--page-size N]
#          [--threads N] [--region R]
#   --quick: 1,000 volumes and snapshots, 5 queries per load, 10 s cap
#   (the smoke test); sizes given after it win.
# Binaries: $KURA_BIN (default build/src/cmd/kura), $KURA_EC2_BENCH
# (default build/bench/ec2_bench); build them first (bench/run does).
# Exit status: non-zero only when kura's run fails (set-up or request errors);
# the peer's failures are reported, timings never fail anything.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

peer=moto
volumes=10000
snapshots=10000
connections=32
queries=20
query_connections=1
query_seconds=30
page_size=1000
threads=1
region=us-east-1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) volumes=1000; snapshots=1000; queries=5; query_seconds=10; shift ;;
    --peer) peer=$2; shift 2 ;;
    --volumes) volumes=$2; shift 2 ;;
    --snapshots) snapshots=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --queries) queries=$2; shift 2 ;;
    --query-connections) query_connections=$2; shift 2 ;;
    --query-seconds) query_seconds=$2; shift 2 ;;
    --page-size) page_size=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --region) region=$2; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "ec2_peer.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
case "$peer" in moto|none) ;; *) echo "ec2_peer.sh: --peer takes moto or none" >&2; exit 2 ;; esac

KURA_BIN=${KURA_BIN:-$ROOT/build/src/cmd/kura}
EC2_BENCH=${KURA_EC2_BENCH:-$ROOT/build/bench/ec2_bench}
. "$ROOT/bench/peer_lib.sh"
peer_setup ec2_peer.sh "$KURA_BIN" "$EC2_BENCH"

common=(--region "$region" --volumes "$volumes" --snapshots "$snapshots" --connections "$connections"
        --queries "$queries" --query-connections "$query_connections" --query-seconds "$query_seconds"
        --page-size "$page_size" --threads "$threads")
echo "== EC2 benchmark: $volumes volumes + $snapshots snapshots created over $connections connections, then"
echo "   Describe* latency ($queries queries per load on $query_connections connection(s), ${query_seconds} s cap per load);"
echo "   SigV4 EC2 Query, keep-alive HTTP on loopback, $(nproc) CPU(s)"
echo "   NOTE: the load generator runs on the same $(nproc) core(s) as the server under test."

# ---- kura, then moto
run_kura "$EC2_BENCH" "${common[@]}"
run_moto "$peer" "$EC2_BENCH" "${common[@]}"

# ---- table
echo
echo "== EC2 benchmark results ($volumes volumes, $snapshots snapshots; rate = calls/s for Create*, queries/s"
echo "   (whole walks/s for -walk) for Describe*; items = volumes/snapshots in one answer)"
awk -v note="$peer_note" -v page="$page_size" "$AWK_FIELD"'
  FNR == 1 { src = (FILENAME ~ /kura\.out$/) ? "kura" : "moto" }
  /^note / { notes[++nnotes] = $0 }
  /^result / {
    op = field($0, "op")
    if (!(op in seen)) { seen[op] = 1; ops[++nops] = op }
    rps[src, op] = field($0, "rps") + 0; p50[src, op] = field($0, "p50_ms") + 0; p99[src, op] = field($0, "p99_ms") + 0
    err[src, op] = field($0, "errors") + 0; items[src, op] = field($0, "items") + 0; have[src, op] = 1
    n[src, op] = field($0, "requests") + 0; capped[src, op] = field($0, "capped") + 0
    scpu[src, op] = field($0, "server_cores") + 0; sus[src, op] = field($0, "server_us_per_req") + 0
  }
  function row(s, op) {
    if (!have[s, op]) return sprintf("%9s %9s %9s %6s %4s", "-", "-", "-", "-", "-")
    return sprintf("%9.2f %9.2f %9.2f %6s %4d", rps[s, op], p50[s, op], p99[s, op], items[s, op] < 0 ? "-" : items[s, op], err[s, op])
  }
  END {
    printf "%-23s %9s %9s %9s %6s %4s | %9s %9s %9s %6s %4s | %8s %8s\n", "operation",
           "kura /s", "p50 ms", "p99 ms", "items", "err", "moto /s", "p50 ms", "p99 ms", "items", "err", "rate x", "p50 x"
    for (i = 1; i <= nops; i++) {
      op = ops[i]
      ratio = "-"; pratio = "-"
      both = have["kura", op] && have["moto", op] && n["kura", op] > 0 && n["moto", op] > 0
      if (both && rps["moto", op] > 0) ratio = sprintf("%.1fx", rps["kura", op] / rps["moto", op])
      if (both && p50["kura", op] > 0) pratio = sprintf("%.1fx", p50["moto", op] / p50["kura", op])
      printf "%-23s %s | %s | %8s %8s\n", op, row("kura", op), row("moto", op), ratio, pratio
    }
    print "rate x = kura rate / moto rate; p50 x = moto p50 / kura p50 (higher is better for kura)."
    print "Samples per Describe load (kura/moto; * = stopped by the time cap):"
    line = ""
    for (i = 1; i <= nops; i++) {
      op = ops[i]
      if (op ~ /^Create/) continue
      line = line sprintf(" %s %s%s/%s%s", op, have["kura", op] ? n["kura", op] : "-", capped["kura", op] ? "*" : "",
                          have["moto", op] ? n["moto", op] : "-", capped["moto", op] ? "*" : "")
    }
    print " " line
    for (i = 1; i <= nnotes; i++) print notes[i]

    print ""
    op = "CreateVolume"
    if (!have["kura", op]) print "TARGET CreateVolume >= 10x moto throughput: NOT MEASURED (kura run failed)"
    else if (!have["moto", op] || rps["moto", op] <= 0) printf "TARGET CreateVolume >= 10x moto throughput: NOT JUDGED (no peer figure; kura %.1f volumes/s)\n", rps["kura", op]
    else printf "TARGET CreateVolume >= 10x moto throughput: %s (kura %.1f/s, moto %.1f/s: %.1fx)\n",
                (rps["kura", op] >= 10 * rps["moto", op]) ? "PASS" : "MISS", rps["kura", op], rps["moto", op], rps["kura", op] / rps["moto", op]
    # One page of 1,000. AWS (and kura) cap DescribeVolumes MaxResults at 500;
    # then the 1,000-volume answer is the tag filter (a tenth of 10,000
    # volumes, no MaxResults), judged together with the largest page.
    op = "DescribeVolumes-page"; t = "DescribeVolumes-tag"
    title = "TARGET DescribeVolumes one page (" page ") p50 < 50 ms: "
    if (!have["kura", op] || n["kura", op] == 0) print title "NOT MEASURED"
    else if (items["kura", op] == page)
      printf "%s%s (kura p50 %.2f ms, p99 %.2f ms)\n", title, (p50["kura", op] < 50) ? "PASS" : "MISS", p50["kura", op], p99["kura", op]
    else if (have["kura", t] && n["kura", t] > 0 && items["kura", t] == page)
      printf "%s%s (kura: a page holds at most %d volumes, p50 %.2f ms, p99 %.2f ms; %d volumes in one answer (Filter tag:bench=x) p50 %.2f ms, p99 %.2f ms)\n",
             title, (p50["kura", op] < 50 && p50["kura", t] < 50) ? "PASS" : "MISS", items["kura", op], p50["kura", op], p99["kura", op],
             items["kura", t], p50["kura", t], p99["kura", t]
    else
      printf "%s%s (kura p50 %.2f ms, p99 %.2f ms; NOTE the page held %d volumes, not %d)\n", title,
             (p50["kura", op] < 50) ? "PASS" : "MISS", p50["kura", op], p99["kura", op], items["kura", op], page
    for (i = 1; i <= nops; i++) if (err["kura", ops[i]] > 0) { print "kura HAD ERRORS (see above): its figures are not comparable"; break }
    if (note != "") print "peer: " note "; kura figures above stand alone."
  }' "$tmp/kura.out" "$tmp/moto.out"

[ "$kura_status" -eq 0 ]
