#!/usr/bin/env bash
# Profiles dyndns in the shapes the scale work tuned: a cold start of
# HOSTS hosts in services of SERVICE_SIZE (heap and RSS right after it), and
# a FLOOD_CLIENTS-client UDP update flood renumbering them (updates/s, CPU
# and allocation profiles, heap and RSS after it). One server thread on
# CPU 0, dnsperf on CPU 1. Profiles go to OUT for `go tool pprof`:
#
#   go tool pprof -top OUT/cpu.prof
#   go tool pprof -sample_index=alloc_space -base OUT/allocs.0 -top OUT/allocs.1
#
#   HOSTS=100000 SERVICE_SIZE=100   zone shape
#   FLOOD_CLIENTS=50 SECONDS_PER_RUN=12 PROFILE_SECONDS=8
#   OUT=/tmp/dyndns-profile  BIN=/tmp/dyndns-coredns  BUILD=1  SRC=worktree
#   GOMEMLIMIT (passed to the server when set)
#   QUERY_RATE=0     >0: dnsperf also asks host names at this rate during the
#                    flood, and the log gives their latency p50/p99/p99.9;
#                    max: as fast as the server answers (with FLOOD_CLIENTS=1:
#                    how long an UPDATE takes while queries saturate the server)
#   TRACE_SECONDS=0  >0: a runtime trace of the flood, OUT/trace.out
#                    (go tool trace -pprof=syscall OUT/trace.out: time in system calls)
#   FLOOD_RATE=0     >0: dnsperf -Q of the flood (0: as fast as the server answers)
#   DATA_DIR=        where the zone directory goes (default: the temp directory
#                    on /tmp); DATA_DIR=/dev/shm takes the disk out: fsync on
#                    tmpfs writes nothing
set -euo pipefail

cd "$(dirname "$0")/.."

HOSTS=${HOSTS:-100000}
SERVICE_SIZE=${SERVICE_SIZE:-100}
FLOOD_CLIENTS=${FLOOD_CLIENTS:-50}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-12}
PROFILE_SECONDS=${PROFILE_SECONDS:-8}
QUERY_RATE=${QUERY_RATE:-0}
QUERY_Q=(-Q "$QUERY_RATE")
[ "$QUERY_RATE" = max ] && QUERY_Q=()
TRACE_SECONDS=${TRACE_SECONDS:-0}
FLOOD_RATE=${FLOOD_RATE:-0}
FLOOD_Q=()
[ "$FLOOD_RATE" = 0 ] || FLOOD_Q=(-Q "$FLOOD_RATE")
DATA_DIR=${DATA_DIR:-}
OUT=${OUT:-/tmp/dyndns-profile}
BIN=${BIN:-/tmp/dyndns-coredns}
BUILD=${BUILD:-1}
SRC=${SRC:-worktree}
BENCH=profile PIN=auto SERVER_THREADS=1 KEEP=${KEEP:-0}
TOOLS_PKGS=("dnsperf dnsperf" "dig bind9-dnsutils" "curl curl")
TOOLS_NEEDED=(dnsperf dig curl taskset)
# shellcheck source=bench/lib.sh
. bench/lib.sh

build_coredns
mkdir -p "$OUT"
if [ -n "$DATA_DIR" ]; then
	ln -s "$(mktemp -d "$DATA_DIR/dyndns-profile.XXXXXX")" "$WORK/zones"
else
	mkdir -p "$WORK/zones"
fi
ZONE=example.org
NSVC=$(((HOSTS + SERVICE_SIZE - 1) / SERVICE_SIZE))
log "generating $HOSTS hosts in $NSVC services and a flood renumbering them"
awk -v n="$HOSTS" -v s="$NSVC" 'BEGIN {
	print "$ORIGIN example.org."
	print "@ 3600 IN SOA ns1.example.org. admin.example.org. 1 3600 600 86400 60"
	print "@ 3600 IN NS ns1.example.org."
	print "ns1 3600 IN A 127.0.0.1"
	for (i = 0; i < n; i++)
		printf "h%d-svc%d-sfo-prod 60 IN A 10.%d.%d.%d\n", i, i % s, int(i / 65536) % 256, int(i / 256) % 256, i % 256
}' >"$WORK/zones/db.$ZONE"
awk -v n="$HOSTS" -v s="$NSVC" 'BEGIN {
	for (i = 0; i < 2 * n; i++) {
		h = i % n; r = int(i / n) + 1
		name = sprintf("h%d-svc%d-sfo-prod", h, h % s)
		printf "example.org\ndelete %s A\nadd %s 60 A %d.%d.%d.%d\nsend\n", name, name, 10 + r, int(h / 65536) % 256, int(h / 256) % 256, h % 256
	}
}' >"$WORK/flood"
last="h$((HOSTS - 1))-svc$(((HOSTS - 1) % NSVC))-sfo-prod.$ZONE"

PORT=$(free_port)
PPROF=$(free_port)
cat >"$WORK/Corefile" <<EOF
$ZONE:$PORT {
    bind 127.0.0.1
    pprof 127.0.0.1:$PPROF
    dyndns {
        directory $WORK/zones
        allow-update 127.0.0.1
        max-zone-records 100000000
    }
}
EOF
env ${GOMEMLIMIT:+GOMEMLIMIT=$GOMEMLIMIT} GOMAXPROCS=1 "${SERVER_CPU[@]}" "$BIN" -conf "$WORK/Corefile" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
t0=$EPOCHREALTIME
for _ in $(seq 1200); do
	dig +short +time=1 +tries=1 -p "$PORT" @127.0.0.1 "$last" A 2>/dev/null | grep -q '^10\.' && break
	kill -0 "$SERVER_PID" 2>/dev/null || die "server exited: $(tail -n 3 "$WORK/server.log")"
	sleep 0.05
done
secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}')

memory() { # what: VmRSS, VmHWM and the heap as the runtime sees it
	local heap
	heap=$(curl -s "http://127.0.0.1:$PPROF/debug/pprof/heap?debug=1" | awk '/^# (HeapAlloc|HeapInuse|HeapIdle|HeapReleased) / {printf "%s %d MiB, ", $2, $4 / 1048576}')
	log "$1: VmRSS $(awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$SERVER_PID/status") MiB, VmHWM $(awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$SERVER_PID/status") MiB; ${heap%, }"
}
log "answers $last after ${secs}s"
memory "after the start"
curl -s "http://127.0.0.1:$PPROF/debug/pprof/heap?gc=1" -o "$OUT/heap.start"

"${PERF_CPU[@]}" dnsperf -s 127.0.0.1 -p "$PORT" -u -d "$WORK/flood" -c "$FLOOD_CLIENTS" -q "$FLOOD_CLIENTS" "${FLOOD_Q[@]}" \
	-l "$SECONDS_PER_RUN" >"$WORK/flood.txt" 2>&1 &
FLOOD_PID=$!
PIDS+=("$FLOOD_PID")
if [ "$QUERY_RATE" != 0 ]; then
	# Random hosts of the zone: their answers are what a flood delays.
	awk -v n="$HOSTS" -v s="$NSVC" 'BEGIN { srand(1); for (i = 0; i < 100000; i++) { h = int(rand() * n); printf "h%d-svc%d-sfo-prod.example.org A\n", h, h % s } }' >"$WORK/queries"
	(sleep 1; "${PERF_CPU[@]}" dnsperf -s 127.0.0.1 -p "$PORT" -d "$WORK/queries" "${QUERY_Q[@]}" -c 10 -q 100 -v \
		-l $((SECONDS_PER_RUN - 2)) >"$WORK/queries.txt" 2>&1) &
	QUERY_PID=$!
	PIDS+=("$QUERY_PID")
fi
if [ "$TRACE_SECONDS" -gt 0 ]; then
	(sleep 3; curl -s "http://127.0.0.1:$PPROF/debug/pprof/trace?seconds=$TRACE_SECONDS" -o "$OUT/trace.out") &
	PIDS+=("$!")
fi
sleep 2
curl -s "http://127.0.0.1:$PPROF/debug/pprof/allocs" -o "$OUT/allocs.0"
curl -s "http://127.0.0.1:$PPROF/debug/pprof/profile?seconds=$PROFILE_SECONDS" -o "$OUT/cpu.prof"
curl -s "http://127.0.0.1:$PPROF/debug/pprof/allocs" -o "$OUT/allocs.1"
wait "$FLOOD_PID" || die "dnsperf failed: $(tail -n 3 "$WORK/flood.txt")"
log "flood: $(awk '/Updates per second:/ {printf "%.0f updates/s", $4} /Average Latency/ {printf ", mean latency %.2f ms", $4 * 1000}' "$WORK/flood.txt"), $(lost flood)"
if [ "$QUERY_RATE" != 0 ]; then
	wait "$QUERY_PID" || die "query dnsperf failed: $(tail -n 3 "$WORK/queries.txt")"
	awk '$1 == ">" && $2 != "T" { print $NF }' "$WORK/queries.txt" | sort -g >"$WORK/queries.lat"
	log "queries ($(awk '/Queries per second:/ {printf "%.0f/s", $4}' "$WORK/queries.txt")) during the flood: $(awk '{ v[NR] = $1 } END { printf "p50 %.3f p99 %.3f p99.9 %.3f ms", v[int(NR * 0.5 + 0.999999)] * 1000, v[int(NR * 0.99 + 0.999999)] * 1000, v[int(NR * 0.999 + 0.999999)] * 1000 }' "$WORK/queries.lat"), $(lost queries)"
fi
memory "after the flood"
curl -s "http://127.0.0.1:$PPROF/debug/pprof/heap?gc=1" -o "$OUT/heap.flood"
log "profiles in $OUT: cpu.prof, allocs.0 and allocs.1 (the flood's allocations lie between them), heap.start, heap.flood"
[ -z "$DATA_DIR" ] || [ "$KEEP" = 1 ] || rm -rf "$(readlink "$WORK/zones")"
OK=1
