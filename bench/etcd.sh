#!/usr/bin/env bash
# Durable UPDATE throughput of dyndns with its zones in etcd (two replicas on
# a 3-member etcd cluster) against dyndns with a directory (one process) and
# BIND 9, and the replication delay from one replica's NOERROR to the other
# replica answering the new name. Everything on 127.0.0.1: the three etcd
# members share this machine's disk and cores. See bench/README.md.
# All knobs are environment variables:
#
#   SECONDS_PER_RUN=10      dnsperf -l of each throughput run
#   CLIENTS=50              TCP clients (and outstanding UPDATEs) of each
#                           throughput run; split over the two etcd replicas
#   DELAY_UPDATES=500       updates of the replication delay run (one at a time)
#   POLL_PAUSE=0            pause between two polls of replica B (Go duration,
#                           0: as fast as the poller goes)
#   UPDATES=100000          UPDATE messages per update file (each adds a new
#                           host; a run stops at the end of its file: -n 1,
#                           so keep it above rate x SECONDS_PER_RUN)
#   SERVER_THREADS=1        GOMAXPROCS of every CoreDNS process, named -n
#   PIN=auto                servers (the dyndns replicas, named) on CPU 0,
#                           clients on CPU 1 (as run.sh); etcd members unpinned
#   ETCD=/usr/bin/etcd      the etcd binary
#   BIN=/tmp/dyndns-coredns  KEEP=0
#   SRC=worktree            what to build: the work tree, or a commit (HEAD, a
#                           hash, extracted with git archive; the work tree is
#                           not touched). The helper bench/repldelay is always
#                           built from the work tree.
#   BUILD=1                 0: use BIN as it is
#   RESULTS=bench/results.md   where the "etcd.sh" section is written
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
CLIENTS=${CLIENTS:-50}
DELAY_UPDATES=${DELAY_UPDATES:-500}
POLL_PAUSE=${POLL_PAUSE:-0}
UPDATES=${UPDATES:-100000}
SERVER_THREADS=${SERVER_THREADS:-1}
PIN=${PIN:-auto}
ETCD=${ETCD:-/usr/bin/etcd}
BIN=${BIN:-/tmp/dyndns-coredns}
KEEP=${KEEP:-0}
BUILD=${BUILD:-1}
SRC=${SRC:-worktree}
RESULTS=${RESULTS:-$ROOT/bench/results.md}
ZONE=example.org
START_LIMIT=60
COMMAND="$(for v in SECONDS_PER_RUN CLIENTS DELAY_UPDATES POLL_PAUSE UPDATES SERVER_THREADS SRC; do
	# only the knobs that differ from the defaults
	case "$v=${!v}" in
	SECONDS_PER_RUN=10 | CLIENTS=50 | DELAY_UPDATES=500 | POLL_PAUSE=0 | UPDATES=100000 | SERVER_THREADS=1 | SRC=worktree) ;;
	*) printf "%s='%s' " "$v" "${!v}" ;;
	esac
done)bash bench/etcd.sh"
T0=$SECONDS
[ "$CLIENTS" -ge 2 ] || { echo "CLIENTS must be at least 2 (split over two replicas)" >&2; exit 1; }

BENCH=etcd
TOOLS_PKGS=("dnsperf dnsperf" "named bind9" "dig bind9-dnsutils" "etcd etcd-server" "curl curl")
TOOLS_NEEDED=(go awk ss taskset timeout curl)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
[ -x "$ETCD" ] || die "no etcd binary at $ETCD (Debian: etcd-server)"

# Several servers run at once here (three etcd members, two replicas), so
# each has a name: PID[name], PORT[name], its log WORK/name.log. All their
# PIDs go in PIDS too (lib.sh's cleanup), dnsperf's in DNSPERFS as well.
declare -A PID=() PORT=()
DNSPERFS=()
# halt NAME...: SIGTERM to all, SIGKILL to any still there after 10 s.
halt() {
	local name pids=() p i any
	for name in "$@"; do
		[ -n "${PID[$name]:-}" ] || continue
		pids+=("${PID[$name]}")
		PID[$name]=
	done
	[ ${#pids[@]} -gt 0 ] || return 0
	kill "${pids[@]}" 2>/dev/null || true
	for i in $(seq 100); do
		any=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && { any=1; break; }; done
		[ "$any" = 1 ] || break
		sleep 0.1
	done
	for p in "${pids[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			log "pid $p did not stop within 10 s of SIGTERM: SIGKILL"
			kill -9 "$p" 2>/dev/null || true
		fi
		wait "$p" 2>/dev/null || true
	done
}
# At exit, before lib.sh's cleanup (SIGTERM and wait, in start order): the
# clients first, then the DNS servers, then etcd, each SIGKILLed when it does
# not stop within 10 s. A replica whose etcd members are gone can take that
# long, or longer, to stop.
etcd_cleanup() {
	local p
	for p in "${DNSPERFS[@]}"; do kill "$p" 2>/dev/null || true; done
	halt replica-a replica-b dir bind
	halt etcd0 etcd1 etcd2
	cleanup
}
trap etcd_cleanup EXIT

# ---------------------------------------------------------------- build
build_coredns
HELPER=$WORK/repldelay
go build -o "$HELPER" ./bench/repldelay || die "go build ./bench/repldelay failed"

# ---------------------------------------------------------------- data
# Every store starts from the same apex and nothing else: an etcd zone starts
# as dyndns's apex (SOA, NS ns1, ns1's glue from the bind address), which is
# also what the directory store starts with when it has no zone file; BIND
# gets that apex as its zone file (as run.sh writes it).
printf '$ORIGIN %s.\n$TTL 3600\n@ IN SOA ns1 hostmaster 1 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n' "$ZONE" >"$WORK/db.apex"
# Updates as run.sh's: one new host per UPDATE, u<tag>x<i>-svc<i%100>-sfo-prod
# (dyndns derives svc<k> from it), names and addresses unique per file (the
# second octet tells the files apart).
gen_updates() { # tag octet
	awk -v m="$UPDATES" -v p="u$1x" -v o="$2" -v zone="$ZONE" 'BEGIN {
		for (i = 0; i < m; i++)
			printf "%s\nadd %s%d-svc%d-sfo-prod 60 A 10.%d.%d.%d\nsend\n", zone, p, i, i % 100, o + int(i / 65536) % 16, int(i / 256) % 256, i % 256
	}'
}
log "generating update files ($UPDATES UPDATEs each)"
gen_updates dir 16 >"$WORK/updates.dir"
gen_updates bind 32 >"$WORK/updates.bind"
gen_updates ea 48 >"$WORK/updates.ea"
gen_updates eb 64 >"$WORK/updates.eb"
gen_updates e1 80 >"$WORK/updates.e1"
CLIENTS_A=$((CLIENTS / 2))
CLIENTS_B=$((CLIENTS - CLIENTS_A))

# ---------------------------------------------------------------- processes
spawn() { # name cmd...
	local name=$1
	shift
	"$@" >"$WORK/$name.log" 2>&1 &
	PID[$name]=$!
	PIDS+=("$!")
}
alive() { # name
	kill -0 "${PID[$1]}" 2>/dev/null || { log "$1 exited; its log:"; tail -n 20 "$WORK/$1.log" >&2; die "$1 died"; }
}
# up NAME: wait until DNS server NAME answers its apex (SOA with hostmaster
# and ns1's glue 127.0.0.1, the same on every server), at most START_LIMIT s.
FAIL_PATTERN='^\[(ERROR|FATAL)\]|^Error|not loaded due to errors'
up() {
	local name=$1 deadline=$((SECONDS + START_LIMIT)) soa ns1
	while :; do
		alive "$name"
		if grep -qE "$FAIL_PATTERN" "$WORK/$name.log"; then
			tail -n 20 "$WORK/$name.log" >&2
			die "$name failed to start"
		fi
		soa=$(dig @127.0.0.1 -p "${PORT[$name]}" "$ZONE" SOA +short +time=1 +tries=1 2>/dev/null || true)
		case $soa in *hostmaster*) break ;; esac
		[ "$SECONDS" -lt "$deadline" ] || { tail -n 20 "$WORK/$name.log" >&2; die "$name does not answer SOA after ${START_LIMIT}s"; }
		sleep 0.2
	done
	ns1=$(dig @127.0.0.1 -p "${PORT[$name]}" "ns1.$ZONE" A +short +time=2 +tries=1)
	[ "$ns1" = 127.0.0.1 ] || die "$name: ns1.$ZONE is '$ns1', not 127.0.0.1"
	log "$name answers on 127.0.0.1:${PORT[$name]}: SOA $(awk '{print $3}' <<<"$soa"), ns1 $ns1"
}

corefile() { # name store-lines: a dyndns Corefile for PORT[name]
	cat >"$WORK/$1.Corefile" <<-EOF
		$ZONE:${PORT[$1]} {
		    bind 127.0.0.1
		    errors
		    dyndns {
		        $2
		        allow-update 127.0.0.1
		    }
		}
	EOF
}
start_dyndns() { # name store-lines
	PORT[$1]=$(free_port)
	corefile "$1" "$2"
	log "starting $1 on 127.0.0.1:${PORT[$1]}"
	spawn "$1" "${SERVER_CPU[@]}" env GOMAXPROCS="$SERVER_THREADS" "$BIN" -conf "$WORK/$1.Corefile"
}
# BIND 9 primary with allow-update, as run.sh and scale.sh start it: as root
# in the foreground (-f: -g would ignore the logging statement), per-update
# log lines to null (dyndns still writes its audit line per update: this
# favours BIND), its journal in the temp directory;
# plus a TCP listen queue for CLIENTS connections.
start_named() { # name
	local dir=$WORK/$1
	mkdir -p "$dir"
	cp "$WORK/db.apex" "$dir/db.$ZONE"
	PORT[$1]=$(free_port)
	named_conf "$dir" "${PORT[$1]}" "tcp-listen-queue 128;"
	log "starting $1 on 127.0.0.1:${PORT[$1]}"
	spawn "$1" "${SERVER_CPU[@]}" named -f -n "$SERVER_THREADS" -c "$dir/named.conf"
}
# A 3-member etcd cluster, data dirs under WORK (the same disk as the
# directory store and BIND's journal), flags as internal/etcdtest's.
ETCD_MEMBERS=(etcd0 etcd1 etcd2)
declare -A CPORT PPORT
start_etcd() {
	local m initial=() used=" "
	for m in "${ETCD_MEMBERS[@]}"; do
		CPORT[$m]=$(free_port)
		PPORT[$m]=$(free_port)
		# two draws can pick the same free port
		while [[ $used == *" ${CPORT[$m]} "* ]]; do CPORT[$m]=$(free_port); done
		used+="${CPORT[$m]} "
		while [[ $used == *" ${PPORT[$m]} "* ]]; do PPORT[$m]=$(free_port); done
		used+="${PPORT[$m]} "
		initial+=("$m=http://127.0.0.1:${PPORT[$m]}")
	done
	local cluster token unset=() v
	# etcd reads ETCD_* variables as flags
	for v in $(compgen -e | grep '^ETCD_' || true); do unset+=(-u "$v"); done
	cluster=$(IFS=,; echo "${initial[*]}")
	token=bench-$RANDOM$RANDOM
	for m in "${ETCD_MEMBERS[@]}"; do
		mkdir -p "$WORK/$m.data"
		log "starting $m: client 127.0.0.1:${CPORT[$m]}, peer ${PPORT[$m]}"
		spawn "$m" env "${unset[@]}" "$ETCD" --name "$m" --data-dir "$WORK/$m.data" \
			--listen-client-urls "http://127.0.0.1:${CPORT[$m]}" --advertise-client-urls "http://127.0.0.1:${CPORT[$m]}" \
			--listen-peer-urls "http://127.0.0.1:${PPORT[$m]}" --initial-advertise-peer-urls "http://127.0.0.1:${PPORT[$m]}" \
			--initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token "$token" \
			--heartbeat-interval 100 --election-timeout 1000 \
			--logger zap --log-level error --log-outputs stderr
	done
	local deadline=$((SECONDS + START_LIMIT)) h
	for m in "${ETCD_MEMBERS[@]}"; do
		while :; do
			alive "$m"
			h=$(curl -s --max-time 2 "http://127.0.0.1:${CPORT[$m]}/health" || true)
			case $h in *'"health":"true"'*) break ;; esac
			[ "$SECONDS" -lt "$deadline" ] || { tail -n 20 "$WORK/$m.log" >&2; die "$m not healthy after ${START_LIMIT}s: $h"; }
			sleep 0.2
		done
	done
	ETCD_URLS=()
	for m in "${ETCD_MEMBERS[@]}"; do ETCD_URLS+=("http://127.0.0.1:${CPORT[$m]}"); done
	log "etcd cluster healthy: ${ETCD_URLS[*]}"
}

# ---------------------------------------------------------------- measuring
# ticks PID...: CPU time (user + system) of the processes so far, in clock ticks.
ticks() {
	local p t=0 v
	for p in "$@"; do
		v=$(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$p/stat" 2>/dev/null || echo 0)
		t=$((t + v))
	done
	echo "$t"
}
HZ=$(getconf CLK_TCK)
# machine: "total busy" jiffies of all CPUs (busy: not idle, not iowait).
machine() { awk '/^cpu / {t = 0; for (i = 2; i <= 9; i++) t += $i; print t, t - $5 - $6}' /proc/stat; }
# cores A B SECONDS: ticks B - A over SECONDS, as cores.
cores() { awk -v a="$1" -v b="$2" -v s="$3" -v hz="$HZ" 'BEGIN {printf "%.2f", (b - a) / hz / s}'; }
# child_secs FILE: the CPU seconds of this shell's reaped children, from the
# output of the times builtin saved in FILE (run in this shell, not in a
# subshell: dnsperf runs are its children, reaped by finish).
child_secs() { awk 'NR == 2 {s = 0; for (i = 1; i <= 2; i++) {split($i, a, /[ms]/); s += a[1] * 60 + a[2]}; printf "%.3f", s}' "$1"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.3f", b - a}'; }

# dnsperf figures of run OUT: NOERROR answers, updates sent, run time, mean
# latency (ms), and every response code.
noerror() { grep -h 'Response codes:' "$WORK/$1.txt" | grep -oE 'NOERROR [0-9]+' | awk '{print $2}' | grep . || echo 0; }
sent() { awk '/Updates sent:/ {print $3; exit}' "$WORK/$1.txt"; }
runtime() { awk '/Run time \(s\):/ {print $4; exit}' "$WORK/$1.txt"; }
meanlat() { awk '/Average Latency \(s\):/ {printf "%.2f", $4 * 1000; exit}' "$WORK/$1.txt"; }
nlost() { awk '/Updates lost:/ {print $3; exit}' "$WORK/$1.txt"; }
# others OUT: the answers that were not NOERROR, and the lost updates ("" if none).
others() {
	local c l
	c=$(codes "$1" | sed -E 's/NOERROR [0-9]+ \([0-9.]+%\),? ?//; s/ \([0-9.]+%\)//g; s/,? *$//')
	l=$(nlost "$1")
	[ "${l:-0}" = 0 ] || c="${c:+$c, }$l lost"
	echo "${c:-none}"
}

# update_run OUT NAME CLIENTS FILE: dnsperf -u over TCP at one server, in
# the background (DNSPERF_PID); finish OUT waits for it.
update_run() {
	log "$1: dnsperf -m tcp -u -c $3 -q $3 against $2 for $SECONDS_PER_RUN s"
	timeout $((SECONDS_PER_RUN + 40)) "${PERF_CPU[@]}" dnsperf -m tcp -s 127.0.0.1 -p "${PORT[$2]}" -l "$SECONDS_PER_RUN" \
		-u -d "$4" -c "$3" -q "$3" -n 1 >"$WORK/$1.txt" 2>"$WORK/$1.err" &
	DNSPERF_PID=$!
	PIDS+=("$DNSPERF_PID")
	DNSPERFS+=("$DNSPERF_PID")
}
finish() { # OUT PID
	wait "$2" || { tail -n 20 "$WORK/$1.txt" "$WORK/$1.err" >&2; die "dnsperf $1 failed"; }
	[ -n "$(runtime "$1")" ] || { tail -n 20 "$WORK/$1.txt" >&2; die "no run time in dnsperf output for $1"; }
	RESULT[$1.noerror]=$(noerror "$1")
	RESULT[$1.rate]=$(awk -v n="${RESULT[$1.noerror]}" -v t="$(runtime "$1")" 'BEGIN {printf "%.0f", n / t}')
	RESULT[$1.lat]=$(meanlat "$1")
	RESULT[$1.others]=$(others "$1")
	log "$1: ${RESULT[$1.rate]} NOERROR/s, mean latency ${RESULT[$1.lat]} ms, other answers: ${RESULT[$1.others]}"
	[ "${RESULT[$1.others]}" = none ] || log "warning: $1: not every UPDATE got NOERROR: ${RESULT[$1.others]}"
}
# present OUT NAME FILE: how many of the hosts dnsperf sent from FILE server
# NAME answers (with their address).
present() {
	"${PERF_CPU[@]}" "$HELPER" check -s "127.0.0.1:${PORT[$2]}" -first "$(sent "$1")" "$3" | sed -E 's/present=([0-9]+).*/\1/'
}
# throughput OUT NAME...: one update run at each named server (the clients
# split between them), measured together: NOERROR/s summed, CPU of the
# servers (and of the etcd members, when running) and of the machine.
throughput() {
	local out=$1
	shift
	local n=$# i=0 name pids=() srv=() etc=() t0 m0 m1 s0 e0 secs share
	# how the disk does right now (others' tests fsync on it too)
	RESULT[$out.fsync]=$("${PERF_CPU[@]}" "$HELPER" fsync -dir "$WORK" -d 500ms | sed -E 's/.*p50_ms=([0-9.]+).*/\1/') || die "repldelay fsync failed"
	# every server running counts (a replica that only follows too)
	for name in "${!PID[@]}"; do
		[ -n "${PID[$name]}" ] || continue
		case $name in etcd*) etc+=("${PID[$name]}") ;; *) srv+=("${PID[$name]}") ;; esac
	done
	s0=$(ticks "${srv[@]}")
	e0=$(ticks "${etc[@]}")
	read -r -a m0 < <(machine)
	times >"$WORK/times.0"
	t0=$EPOCHREALTIME
	for name in "$@"; do
		if [ $n = 1 ]; then share=$CLIENTS; elif [ $i = 0 ]; then share=$CLIENTS_A; else share=$CLIENTS_B; fi
		update_run "$out.$name" "$name" "$share" "$WORK/updates.${UPDATE_FILE[$name]}"
		pids+=("$DNSPERF_PID")
		i=$((i + 1))
	done
	i=0
	for name in "$@"; do
		finish "$out.$name" "${pids[$i]}"
		i=$((i + 1))
	done
	secs=$(since "$t0")
	times >"$WORK/times.1"
	read -r -a m1 < <(machine)
	RESULT[$out.cpu]=$(cores "$s0" "$(ticks "${srv[@]}")" "$secs")
	[ ${#etc[@]} = 0 ] || RESULT[$out.etcdcpu]=$(cores "$e0" "$(ticks "${etc[@]}")" "$secs")
	RESULT[$out.clientcpu]=$(awk -v a="$(child_secs "$WORK/times.0")" -v b="$(child_secs "$WORK/times.1")" -v s="$secs" 'BEGIN {printf "%.2f", (b - a) / s}')
	RESULT[$out.busy]=$(awk -v t="$((m1[0] - m0[0]))" -v b="$((m1[1] - m0[1]))" -v n="$NPROC" 'BEGIN {printf "%.2f", (t ? b / t * n : 0)}')
	# what the rest of the machine took meanwhile (other people's builds and
	# tests share it): all busy CPU minus the servers, etcd and the clients
	RESULT[$out.othercpu]=$(awk -v b="${RESULT[$out.busy]}" -v s="${RESULT[$out.cpu]}" -v e="${RESULT[$out.etcdcpu]:-0}" -v c="${RESULT[$out.clientcpu]}" 'BEGIN {v = b - s - e - c; printf "%.2f", (v > 0 ? v : 0)}')
	local sum=0 lat=0 cnt=0 nn
	for name in "$@"; do
		nn=${RESULT[$out.$name.noerror]}
		sum=$((sum + RESULT[$out.$name.rate]))
		lat=$(awk -v l="$lat" -v a="${RESULT[$out.$name.lat]}" -v n="$nn" 'BEGIN {print l + a * n}')
		cnt=$((cnt + nn))
		alive "$name"
	done
	RESULT[$out]=$sum
	RESULT[$out.lat]=$(awk -v l="$lat" -v c="$cnt" 'BEGIN {printf "%.2f", (c ? l / c : 0)}')
	log "$out: $sum NOERROR/s in all; CPU (cores): servers ${RESULT[$out.cpu]}, etcd ${RESULT[$out.etcdcpu]:-—}, dnsperf ${RESULT[$out.clientcpu]}, other processes ${RESULT[$out.othercpu]}; machine busy ${RESULT[$out.busy]} of $NPROC"
}
# others_all OUT NAME...: the non-NOERROR answers of every run of OUT.
others_all() {
	local out=$1 name o all=""
	shift
	for name in "$@"; do
		o=${RESULT[$out.$name.others]}
		[ "$o" = none ] || all="${all:+$all; }$name: $o"
	done
	echo "${all:-none}"
}

# etcd metrics, from each member's /metrics: scrape LABEL saves them,
# mdelta NAME-PREFIX A B sums the samples whose name (with labels) starts
# with NAME-PREFIX over the members, B minus A.
scrape() {
	local m
	for m in "${ETCD_MEMBERS[@]}"; do
		curl -s --max-time 5 "http://127.0.0.1:${CPORT[$m]}/metrics" >"$WORK/$m.$1.prom" || die "no metrics from $m"
	done
}
mdelta() {
	local prefix=$1 a=$2 b=$3 m tot=0
	for m in "${ETCD_MEMBERS[@]}"; do
		tot=$(awk -v p="$prefix" -v t="$tot" '
			FNR == 1 { f++ }
			index($1, p) == 1 { s[f] += $2 }
			END { printf "%.9f", t + s[2] - s[1] }' "$WORK/$m.$a.prom" "$WORK/$m.$b.prom")
	done
	echo "$tot"
}

# etcd_run OUT NAME...: a throughput run at the replicas NAME (the clients
# split between them) with etcd's figures over it; then both replicas must
# answer every host acknowledged in it.
etcd_run() {
	local out=$1 name secs=0 txns puts fsyncs fsync_secs commits acked=0 pa pb deadline
	shift
	scrape "$out.0"
	throughput "$out" "$@"
	scrape "$out.1"
	for name in "$@"; do
		secs=$(awk -v a="$secs" -v b="$(runtime "$out.$name")" 'BEGIN {print (a > b ? a : b)}')
		acked=$((acked + RESULT[$out.$name.noerror]))
	done
	# Each commit is one etcd transaction that puts the log record and the
	# head; a transaction that finds the head moved (the other replica
	# committed first) puts nothing, and that replica runs its batch again.
	# Leader election and snapshot keys add a few puts.
	txns=$(mdelta 'grpc_server_handled_total{grpc_code="OK",grpc_method="Txn"' "$out.0" "$out.1")
	puts=$(awk -v p="$(mdelta etcd_debugging_mvcc_put_total "$out.0" "$out.1")" 'BEGIN {print p / 3}') # every member counts each put
	fsyncs=$(mdelta etcd_disk_wal_fsync_duration_seconds_count "$out.0" "$out.1")
	fsync_secs=$(mdelta etcd_disk_wal_fsync_duration_seconds_sum "$out.0" "$out.1")
	commits=$(awk -v p="$puts" 'BEGIN {printf "%.0f", p / 2}')
	RESULT[$out.txn]=$(awk -v n="$txns" -v s="$secs" 'BEGIN {printf "%.0f", n / s}')
	RESULT[$out.commits]=$(awk -v n="$commits" -v s="$secs" 'BEGIN {printf "%.0f", n / s}')
	RESULT[$out.conflict]=$(awk -v t="$txns" -v c="$commits" 'BEGIN {v = (t > 0 ? (t - c) / t * 100 : 0); printf "%.0f", (v > 0 ? v : 0)}')
	RESULT[$out.batch]=$(awk -v u="$acked" -v c="$commits" 'BEGIN {printf "%.1f", (c > 0 ? u / c : 0)}')
	RESULT[$out.fsyncs]=$(awk -v n="$fsyncs" -v s="$secs" 'BEGIN {printf "%.0f", n / 3 / s}')
	RESULT[$out.fsyncms]=$(awk -v t="$fsync_secs" -v n="$fsyncs" 'BEGIN {printf "%.2f", (n > 0 ? t / n * 1000 : 0)}')
	log "$out: etcd ${RESULT[$out.txn]} Txn/s, ${RESULT[$out.commits]} commits/s (${RESULT[$out.conflict]}% of the Txns found the head moved), ${RESULT[$out.batch]} UPDATEs per commit; WAL ${RESULT[$out.fsyncs]} fsyncs/s per member, mean ${RESULT[$out.fsyncms]} ms"
	# Both replicas must answer every host either acknowledged: each is asked
	# for all the hosts sent in the run (B may still be applying the tail).
	deadline=$((SECONDS + 20))
	while :; do
		pa=0 pb=0
		for name in "$@"; do
			pa=$((pa + $(present "$out.$name" replica-a "$WORK/updates.${UPDATE_FILE[$name]}")))
			pb=$((pb + $(present "$out.$name" replica-b "$WORK/updates.${UPDATE_FILE[$name]}")))
		done
		[ "$pa" != "$pb" ] || break
		[ "$SECONDS" -lt "$deadline" ] || die "$out: the replicas disagree after 20 s: A answers $pa hosts, B $pb"
		sleep 0.5
	done
	RESULT[$out.present]="$pa, $pb"
	log "$out: replica A answers $pa, replica B $pb of the hosts sent ($acked NOERROR)"
	[ "$pa" -ge "$acked" ] || die "$out: the replicas answer $pa hosts, fewer than the $acked acknowledged"
}

# kv LINE KEY: the value of KEY in a line of "key=value" figures.
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }
# one_by_one KEY NAME PREFIX NET: DELAY_UPDATES UPDATEs to server NAME, one
# at a time over one TCP connection, nothing else running: the round trip
# of a lone UPDATE (hosts PREFIX<i>, addresses NET.x.y).
one_by_one() {
	local line
	line=$("${PERF_CPU[@]}" "$HELPER" delay -a "127.0.0.1:${PORT[$2]}" -zone "$ZONE" -n "$DELAY_UPDATES" -prefix "$3" -net "$4") ||
		die "repldelay delay against $2 failed"
	RESULT[$1.p50]=$(kv "$line" ack_p50)
	RESULT[$1.p99]=$(kv "$line" ack_p99)
	RESULT[$1.rcodes]=$(kv "$line" rcodes)
	log "$1: $DELAY_UPDATES UPDATEs one at a time to $2: p50 ${RESULT[$1.p50]} ms, p99 ${RESULT[$1.p99]} ms, answers ${RESULT[$1.rcodes]}"
}

# ================================================================ disk
log "== the disk: 4 KiB write + fsync in $WORK for 1 s"
FSYNC_LINE=$("$HELPER" fsync -dir "$WORK" -d 1s) || die "repldelay fsync failed"
RESULT[fsync.p50]=$(sed -E 's/.*p50_ms=([0-9.]+).*/\1/' <<<"$FSYNC_LINE")
RESULT[fsync.p99]=$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$FSYNC_LINE")
RESULT[fsync.n]=$(sed -E 's/^n=([0-9]+).*/\1/' <<<"$FSYNC_LINE")
log "fsync: $FSYNC_LINE"

declare -A UPDATE_FILE=([dir]=dir [bind]=bind)

# ================================================================ 1. directory
log "== 1. dyndns with a directory, $CLIENTS TCP clients"
mkdir -p "$WORK/dir.zones"
start_dyndns dir "directory $WORK/dir.zones"
up dir
throughput u.dir dir
RESULT[u.dir.present]=$(present u.dir.dir dir "$WORK/updates.dir")
log "dir answers ${RESULT[u.dir.present]} of the $(sent u.dir.dir) hosts sent (${RESULT[u.dir.dir.noerror]} NOERROR)"
one_by_one a.dir dir od 10.251
halt dir
DIR_FILES=$(cd "$WORK/dir.zones" && find . -type f -printf '%P (%s bytes), ' | sed 's/, $//')

# ================================================================ 2. BIND
log "== 2. BIND 9, $CLIENTS TCP clients"
start_named bind
up bind
throughput u.bind bind
RESULT[u.bind.present]=$(present u.bind.bind bind "$WORK/updates.bind")
log "bind answers ${RESULT[u.bind.present]} of the $(sent u.bind.bind) hosts sent (${RESULT[u.bind.bind.noerror]} NOERROR)"
one_by_one a.bind bind ob 10.252
halt bind

# ================================================================ 3. etcd
log "== 3. dyndns on a 3-member etcd cluster, two replicas: $CLIENTS_A + $CLIENTS_B TCP clients on A and B, then $CLIENTS on A"
start_etcd
for r in replica-a replica-b; do start_dyndns "$r" "etcd ${ETCD_URLS[*]}"; done
for r in replica-a replica-b; do up "$r"; done
# The clients split over both replicas (from the apex alone, as the other
# stores), then all on replica A (B follows): what the race between two
# writers costs.
UPDATE_FILE[replica-a]=ea
UPDATE_FILE[replica-b]=eb
etcd_run u.etcd replica-a replica-b
UPDATE_FILE[replica-a]=e1
etcd_run u.etcd1 replica-a

one_by_one a.etcd replica-a oe 10.253

log "== replication delay: $DELAY_UPDATES UPDATEs to replica A one at a time, replica B polled over UDP"
"${PERF_CPU[@]}" "$HELPER" delay -a "127.0.0.1:${PORT[replica-a]}" -b "127.0.0.1:${PORT[replica-b]}" -zone "$ZONE" \
	-n "$DELAY_UPDATES" -poll "$POLL_PAUSE" -out "$WORK/delay.samples" >"$WORK/delay.txt" || die "repldelay delay failed"
log "delay: $(cat "$WORK/delay.txt")"
for k in seen lost failed rcodes ack_p50 ack_p99 delay_min delay_p50 delay_p99 delay_max polls poll_ms; do
	RESULT[d.$k]=$(kv "$(cat "$WORK/delay.txt")" "$k")
done
alive replica-a
alive replica-b
log "== etcd alone: $DELAY_UPDATES transactions shaped as dyndns's commits, one at a time"
TXN_LINE=$("${PERF_CPU[@]}" "$HELPER" txn -endpoints "$(IFS=,; echo "${ETCD_URLS[*]}")" -n "$DELAY_UPDATES") || die "repldelay txn failed"
log "etcd transactions: $TXN_LINE"
RESULT[t.p50]=$(kv "$TXN_LINE" p50_ms)
RESULT[t.p99]=$(kv "$TXN_LINE" p99_ms)
halt replica-a replica-b
halt "${ETCD_MEMBERS[@]}"

# ---------------------------------------------------------------- report
row() { # label replicas key
	echo "| $1 | $2 | $(r "$3") | $(r "$3.lat") | $(r "$3.present") | $4 | $(r "$3.fsync") | $(r "$3.cpu") | $(r "$3.etcdcpu") | $(r "$3.clientcpu") | $(r "$3.othercpu") | $(r "$3.busy") |"
}
REPORT=$WORK/report.md
{
	echo "# dyndns on etcd (bench/etcd.sh)"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); command: \`$COMMAND\`; took $(((SECONDS - T0) / 60)) min $(((SECONDS - T0) % 60)) s"
	echo "- dyndns built from: $BUILT_FROM"
	echo "- machine: nproc=$NPROC, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo); $(df -T "$WORK" | awk 'NR == 2 {print $2 " on " $1}') for every data dir; server threads $SERVER_THREADS; pinned: $([ "$PIN" = 1 ] && echo 'dyndns processes and named on CPU 0, dnsperf and the helper on CPU 1, etcd members unpinned' || echo no)"
	echo "- $(go version | cut -d' ' -f3), $(named -v | cut -d' ' -f1,2), etcd $("$ETCD" --version | awk '/^etcd Version/ {print $3}'), $(dnsperf -h 2>&1 | awk '/^Version/ {print "dnsperf " $2}'); $SECONDS_PER_RUN s per dnsperf run"
	echo "- **all on one machine**: the three etcd members share one disk (and its fsyncs) and the $NPROC cores with the two replicas and the clients; the two replicas share the core the single server has to itself$([ "$PIN" = 1 ] && echo ' (CPU 0)'); a real cluster has a disk and cores per member and per replica, and a network round trip per raft message"
	echo
	echo "## Durable updates/s at $CLIENTS TCP clients"
	echo
	echo "Every store starts from the apex alone (the run with every client on replica A comes after the split run, on the zone it left); each UPDATE adds a new host (\`u…x<i>-svc<i%100>-sfo-prod\`, as run.sh), dnsperf -m tcp -u -c N -q N -n 1. Only NOERROR answers count; the rate is NOERROR / dnsperf's run time (summed over the two replicas). NOERROR means: for \`directory\` the journal is fsynced; for \`etcd\` a quorum of members has the log record on disk; for BIND its journal is fsynced (BIND has \`tcp-listen-queue 128\` added to run.sh's named.conf, for the $CLIENTS connections). \"disk fsync\": p50 of 4 KiB write + fsync in the temp dir for 0.5 s right before the run (others' tests write to the disk too). \"hosts answered\": how many of the hosts dnsperf sent the server answers afterwards (both replicas, each asked for all hosts sent to either). CPU in cores over the run, from /proc: the servers, the etcd members, dnsperf (both runs), and every other process of the machine (others' builds and tests share it: the machine's busy time, not idle nor iowait, minus the rest)."
	echo
	echo "| store | processes | updates/s | mean latency (ms) | hosts answered after | other answers | disk fsync p50 just before (ms) | CPU dyndns / named | CPU etcd | CPU dnsperf | CPU other processes | CPU machine (of $NPROC) |"
	echo "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	row "dyndns \`directory\`" "1 dyndns, $CLIENTS clients" u.dir "$(others_all u.dir dir)"
	row "dyndns \`etcd\`" "2 dyndns ($CLIENTS_A + $CLIENTS_B clients), 3 etcd" u.etcd "$(others_all u.etcd replica-a replica-b)"
	row "dyndns \`etcd\`, every client on replica A" "2 dyndns ($CLIENTS + 0 clients), 3 etcd" u.etcd1 "$(others_all u.etcd1 replica-a)"
	row "BIND 9" "1 named, $CLIENTS clients" u.bind "$(others_all u.bind bind)"
	echo "| **etcd / directory** | | **$(ratio u.etcd u.dir)** | | | | | | | | | |"
	echo "| **etcd / BIND** | | **$(ratio u.etcd u.bind)** | | | | | | | | | |"
	echo "| **etcd, A alone / directory** | | **$(ratio u.etcd1 u.dir)** | | | | | | | | | |"
	echo
	echo "- per replica: A $(r u.etcd.replica-a.rate)/s (mean $(r u.etcd.replica-a.lat) ms), B $(r u.etcd.replica-b.rate)/s (mean $(r u.etcd.replica-b.lat) ms)"
	for k in u.etcd u.etcd1; do
		echo "- etcd during $([ $k = u.etcd ] && echo 'the split run' || echo 'the run on replica A alone'): $(r $k.txn) transactions/s, $(r $k.commits) commits/s (log records), $(r $k.conflict)% of the transactions found the head moved (the other replica committed first: the batch runs again), $(r $k.batch) UPDATEs per commit; WAL: $(r $k.fsyncs) fsyncs/s per member, mean $(r $k.fsyncms) ms each"
	done
	echo "- the disk, alone before the runs (4 KiB write + fsync in the temp dir, 1 s): p50 $(r fsync.p50) ms, p99 $(r fsync.p99) ms ($(r fsync.n) fsyncs)"
	echo "- dyndns directory after its run: $DIR_FILES"
	echo
	echo "## One UPDATE at a time"
	echo
	echo "$DELAY_UPDATES UPDATEs sent one at a time over one TCP connection, each adding a new host, nothing else running (after each store's throughput run, on the zone it left): the round trip of a lone durable UPDATE, in ms. Last row: $DELAY_UPDATES etcd transactions shaped as dyndns's commit (compare the head, put a 200-byte record and the head), one at a time, on the same cluster: etcd's own share."
	echo
	echo "| | p50 | p99 | answers |"
	echo "| --- | ---: | ---: | --- |"
	echo "| dyndns \`directory\` | $(r a.dir.p50) | $(r a.dir.p99) | $(r a.dir.rcodes) |"
	echo "| dyndns \`etcd\`, replica A | $(r a.etcd.p50) | $(r a.etcd.p99) | $(r a.etcd.rcodes) |"
	echo "| BIND 9 | $(r a.bind.p50) | $(r a.bind.p99) | $(r a.bind.rcodes) |"
	echo "| etcd transaction alone | $(r t.p50) | $(r t.p99) | |"
	echo "| **etcd / directory** | **$(ratio a.etcd.p50 a.dir.p50)** | **$(ratio a.etcd.p99 a.dir.p99)** | |"
	echo "| **etcd / BIND** | **$(ratio a.etcd.p50 a.bind.p50)** | **$(ratio a.etcd.p99 a.bind.p99)** | |"
	echo
	echo "## Replication delay, replica A's NOERROR → replica B answers"
	echo
	echo "$DELAY_UPDATES UPDATEs sent to replica A one at a time over one TCP connection (the cluster otherwise idle, its zone holding the hosts of the run above), each adding a new host; from before each UPDATE is sent, a background poller asks replica B for the name over UDP, $([ "$POLL_PAUSE" = 0 ] && echo 'back to back' || echo "pausing $POLL_PAUSE between polls"). Delay: from A's NOERROR reaching the client to B's first answer with the address (negative: B answered before A's NOERROR arrived). A poll's round trip bounds the resolution. In ms."
	echo
	echo "| | updates | p50 | p99 | min | max | not seen in 5 s | UPDATE at A, p50 | UPDATE at A, p99 | poll round trip |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	echo "| A → B | $(r d.seen) | **$(r d.delay_p50)** | **$(r d.delay_p99)** | $(r d.delay_min) | $(r d.delay_max) | $(r d.lost) | $(r d.ack_p50) | $(r d.ack_p99) | $(r d.poll_ms) |"
	echo
	echo "- answers to the $DELAY_UPDATES UPDATEs: $(r d.rcodes); $(r d.polls) polls of B"
	echo
	echo "Response codes and losses per dnsperf run:"
	echo
	for k in u.dir.dir u.bind.bind u.etcd1.replica-a u.etcd.replica-a u.etcd.replica-b; do
		echo "- $k: $(codes "$k"); $(lost "$k"); sent $(sent "$k")"
	done
} >"$REPORT"

# This script's section of RESULTS (run.sh and scale.sh have their own).
bash "$ROOT/bench/splice-results.sh" etcd.sh "$REPORT" "$RESULTS"

OK=1
cat "$REPORT"
