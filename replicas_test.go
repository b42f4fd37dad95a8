package dyndns

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dyndns/dyndns/internal/etcdtest"
	"github.com/miekg/dns"
)

// Several dyndns replicas (each its own built binary, port and directory)
// on one 3-member etcd cluster: every replica takes updates and answers
// those the others took. The tests run one after the other (no
// t.Parallel): each runs 3 etcd members and 3 replicas, and CPU is scarce.

const replicaZone = "example.org."

// replicaCorefile is the Corefile of every replica of a test. extra goes
// into the dyndns block.
func replicaCorefile(c *etcdtest.Cluster, extra string) string {
	return `example.org:{PORT} {
	bind 127.0.0.1
	transfer {
		to *
	}
	dyndns {
		etcd ` + strings.Join(c.ClientURLs(), " ") + `
		etcd-path /dyndns
		allow-update 127.0.0.1
		` + extra + `
	}
}`
}

// replica is one running (or stopped) dyndns process.
type replica struct {
	name     string
	corefile string
	port     string
	addr     string    // 127.0.0.1:port
	d        *daemon   // the current process
	runs     []*daemon // every process run, for the failure log
}

// startReplica starts a replica in a fresh directory on a free port.
func startReplica(t *testing.T, name, corefile string) *replica {
	t.Helper()
	r := &replica{name: name, corefile: corefile, port: freePort(t)}
	r.addr = "127.0.0.1:" + r.port
	r.start(t, t.TempDir())
	// Registered after startBinary's cleanup, so it runs first: stop every
	// run and show its output when the test failed.
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for i, d := range r.runs {
			d.stop()
			t.Logf("replica %s (%s), run %d, output:\n%s", r.name, r.addr, i, d.out)
		}
	})
	return r
}

// start runs the replica's binary in dir, on its port.
func (r *replica) start(t *testing.T, dir string) {
	t.Helper()
	r.d = startBinary(t, dir, r.port, r.corefile)
	r.runs = append(r.runs, r.d)
}

// startReplicas starts n replicas named A, B, C... on cluster c.
func startReplicas(t *testing.T, c *etcdtest.Cluster, n int, extra string) []*replica {
	t.Helper()
	corefile := replicaCorefile(c, extra)
	var rs []*replica
	for i := range n {
		rs = append(rs, startReplica(t, string(rune('A'+i)), corefile))
	}
	return rs
}

// replicaQuery asks addr for name/qtype over UDP (EDNS 4096, TCP when
// truncated) without failing the test, so goroutines may call it.
func replicaQuery(addr, name string, qtype uint16, timeout time.Duration) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.SetEdns0(4096, false)
	c := &dns.Client{Net: "udp", Timeout: timeout}
	r, _, err := c.Exchange(m, addr)
	if err == nil && r.Truncated {
		c.Net = "tcp"
		r, _, err = c.Exchange(m, addr)
	}
	return r, err
}

// replicaAddrs returns the rcode and the sorted addresses of name at addr.
func replicaAddrs(addr, name string) (int, []string, error) {
	r, err := replicaQuery(addr, name, dns.TypeA, 2*time.Second)
	if err != nil {
		return 0, nil, err
	}
	var out []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	slices.Sort(out)
	return r.Rcode, out, nil
}

// replicaSend sends m over a fresh TCP connection and returns the rcode
// and how long the answer took; no answer within timeout is an error.
func replicaSend(addr string, m *dns.Msg, timeout time.Duration) (int, time.Duration, error) {
	c := &dns.Client{Net: "tcp", Timeout: timeout}
	t0 := time.Now()
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		return -1, time.Since(t0), err
	}
	return r.Rcode, time.Since(t0), nil
}

// replicaAddHost is an UPDATE that adds one A record.
func replicaAddHost(name, ip string) *dns.Msg {
	return updateMsg(replicaZone, nil, fmt.Sprintf("%s 60 IN A %s", name, ip))
}

// replicaAXFR is the zone as addr transfers it, one record per string.
func replicaAXFR(t *testing.T, addr string) []string {
	t.Helper()
	var out []string
	for _, rr := range axfr(t, addr, replicaZone) {
		out = append(out, rr.String())
	}
	return out
}

// waitReplicasSameAXFR polls until every replica transfers the same zone (the
// same records in the same order), and returns it. It fails after within,
// showing where the transfers differ.
func waitReplicasSameAXFR(t *testing.T, rs []*replica, within time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var zones [][]string
		same := true
		for _, r := range rs {
			z := replicaAXFR(t, r.addr)
			zones = append(zones, z)
			if !slices.Equal(z, zones[0]) {
				same = false
			}
		}
		if same {
			return zones[0]
		}
		if time.Now().After(deadline) {
			for i := 1; i < len(rs); i++ {
				only0, onlyI := replicaDiff(zones[0], zones[i])
				sorted0, sortedI := slices.Sorted(slices.Values(zones[0])), slices.Sorted(slices.Values(zones[i]))
				t.Errorf("%s: %d records, %s: %d records (same set in another order: %v); only in %s: %v; only in %s: %v",
					rs[0].name, len(zones[0]), rs[i].name, len(zones[i]), slices.Equal(sorted0, sortedI),
					rs[0].name, replicaFew(only0), rs[i].name, replicaFew(onlyI))
			}
			t.Fatalf("the replicas did not converge within %v", within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// replicaDiff returns the records only in a and only in b.
func replicaDiff(a, b []string) (onlyA, onlyB []string) {
	in := func(s []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range s {
			m[x] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	for _, x := range a {
		if !mb[x] {
			onlyA = append(onlyA, x)
		}
	}
	for _, x := range b {
		if !ma[x] {
			onlyB = append(onlyB, x)
		}
	}
	return onlyA, onlyB
}

// waitReplicaAddrs polls every replica until name answers exactly want
// (sorted; nil: NXDOMAIN), failing after within.
func waitReplicaAddrs(t *testing.T, rs []*replica, name string, want []string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for _, r := range rs {
		for {
			rcode, got, err := replicaAddrs(r.addr, name)
			wantRcode := dns.RcodeSuccess
			if want == nil {
				wantRcode = dns.RcodeNameError
			}
			if err == nil && rcode == wantRcode && slices.Equal(got, want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica %s: %s answers %s %v (err %v), want %s %v after %v",
					r.name, name, dns.RcodeToString[rcode], got, err, dns.RcodeToString[wantRcode], want, within)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// replicaPercentile returns the p-th percentile (0 < p <= 100) of sorted ds.
func replicaPercentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(float64(len(ds))*p/100+0.999999) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

// TestReplicasAnswerEachOthersUpdates: what replica A acknowledged, B and C
// answer within a second; the derived service, the SOA serial and the
// whole zone (AXFR) agree on all three.
func TestReplicasAnswerEachOthersUpdates(t *testing.T) {
	t0 := time.Now()
	c := etcdtest.Start(t, 3)
	rs := startReplicas(t, c, 3, "")
	a := rs[0]
	t.Logf("etcd and 3 replicas up in %v", time.Since(t0))

	const updates = 50
	var delays [2][]time.Duration // to B, to C
	var want []string
	for i := range updates {
		name := fmt.Sprintf("h%d-web-prod.%s", i, replicaZone)
		ip := fmt.Sprintf("10.0.0.%d", i+1)
		want = append(want, ip)
		r := exchange(t, "tcp", a.addr, replicaAddHost(name, ip))
		acked := time.Now()
		if r.Rcode != dns.RcodeSuccess {
			t.Fatalf("update %s through A: %s", name, dns.RcodeToString[r.Rcode])
		}
		// Poll B and C at once, each until it answers the new address.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for j, r := range rs[1:] {
			wg.Go(func() {
				deadline := acked.Add(5 * time.Second)
				for {
					rcode, got, err := replicaAddrs(r.addr, name)
					if err == nil && rcode == dns.RcodeSuccess && slices.Equal(got, []string{ip}) {
						delays[j] = append(delays[j], time.Since(acked))
						return
					}
					if time.Now().After(deadline) {
						errs[j] = fmt.Errorf("replica %s: %s answers %s %v (err %v) 5 s after A acknowledged it",
							r.name, name, dns.RcodeToString[rcode], got, err)
						return
					}
					time.Sleep(time.Millisecond)
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	for j, ds := range delays {
		slices.Sort(ds)
		name := rs[j+1].name
		t.Logf("replication delay A -> %s over %d updates: p50 %v, p99 %v, max %v",
			name, len(ds), replicaPercentile(ds, 50), replicaPercentile(ds, 99), ds[len(ds)-1])
		if worst := ds[len(ds)-1]; worst >= time.Second {
			t.Errorf("replica %s answered an update of A only after %v, want < 1 s", name, worst)
		}
	}

	// The derived service: every replica derived it from the same hosts.
	slices.Sort(want)
	for _, r := range rs {
		rcode, got, err := replicaAddrs(r.addr, "web."+replicaZone)
		if err != nil || rcode != dns.RcodeSuccess || !slices.Equal(got, want) {
			t.Errorf("replica %s: web answers %s %v (err %v), want the %d hosts' addresses",
				r.name, dns.RcodeToString[rcode], got, err, len(want))
		}
	}
	serials := map[string]uint32{}
	for _, r := range rs {
		serials[r.name] = serialOf(t, r.addr, replicaZone)
	}
	if serials["A"] != serials["B"] || serials["A"] != serials["C"] {
		t.Errorf("SOA serials differ: %v", serials)
	}
	zone := waitReplicasSameAXFR(t, rs, 0) // no waiting: B and C answered every update already
	t.Logf("serial %d on every replica; AXFR identical on all 3 (%d records); test took %v",
		serials["A"], len(zone), time.Since(t0))
}

// TestReplicasConflictingPrerequisites sends, at once, to A and to B an
// UPDATE that adds the same name with different addresses, on the
// prerequisite that the name is not in use: exactly one may succeed, the
// other must get YXDOMAIN, and every replica serves the winner.
func TestReplicasConflictingPrerequisites(t *testing.T) {
	t0 := time.Now()
	c := etcdtest.Start(t, 3)
	rs := startReplicas(t, c, 3, "")
	const names = 20
	type result struct {
		rcode int
		err   error
	}
	var results [names][2]result
	var conns [names][2]*dns.Conn
	for k := range names {
		for side := range 2 {
			conn, err := dns.DialTimeout("tcp", rs[side].addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conns[k][side] = conn
		}
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for k := range names {
		name := fmt.Sprintf("x%d.%s", k, replicaZone)
		for side := range 2 {
			notInUse := []dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeANY, Class: dns.ClassNONE}}}
			m := updateMsg(replicaZone, notInUse, fmt.Sprintf("%s 60 IN A 10.%d.%d.1", name, side+1, k))
			conn := conns[k][side]
			wg.Go(func() {
				<-start
				conn.SetDeadline(time.Now().Add(15 * time.Second))
				if err := conn.WriteMsg(m); err != nil {
					results[k][side].err = err
					return
				}
				r, err := conn.ReadMsg()
				if err != nil {
					results[k][side].err = err
					return
				}
				results[k][side].rcode = r.Rcode
			})
		}
	}
	sent := time.Now()
	close(start)
	wg.Wait()
	t.Logf("%d conflicting pairs answered in %v", names, time.Since(sent))

	winsA, winsB := 0, 0
	for k := range names {
		name := fmt.Sprintf("x%d.%s", k, replicaZone)
		ra, rb := results[k][0], results[k][1]
		if ra.err != nil || rb.err != nil {
			t.Errorf("%s: A: %v, B: %v", name, ra.err, rb.err)
			continue
		}
		var winner int
		switch {
		case ra.rcode == dns.RcodeSuccess && rb.rcode == dns.RcodeYXDomain:
			winner, winsA = 1, winsA+1
		case rb.rcode == dns.RcodeSuccess && ra.rcode == dns.RcodeYXDomain:
			winner, winsB = 2, winsB+1
		default:
			t.Errorf("%s: A answered %s, B answered %s; want one NOERROR and one YXDOMAIN",
				name, dns.RcodeToString[ra.rcode], dns.RcodeToString[rb.rcode])
			continue
		}
		waitReplicaAddrs(t, rs, name, []string{fmt.Sprintf("10.%d.%d.1", winner, k)}, 5*time.Second)
	}
	t.Logf("A won %d, B won %d of %d names; every replica serves the winners", winsA, winsB, names)
	waitReplicasSameAXFR(t, rs, 5*time.Second)
	t.Logf("test took %v", time.Since(t0))
}

// replicaFlood is a set of clients that each send, over one TCP
// connection, UPDATEs that add an A and a TXT record at a fresh name,
// until stopped. A client whose connection fails reconnects.
type replicaFlood struct {
	prefix    string
	stopping  atomic.Bool
	wg        sync.WaitGroup
	ackedN    atomic.Int64
	mu        sync.Mutex
	acked     map[string]bool
	attempted map[string]bool
	perAddr   map[string]int // acknowledgements per replica address
	servfail  int
	noAnswer  int            // sent but no answer (connection lost): not acknowledged
	dialErrs  int            // failed connection attempts (replica down)
	other     map[string]int // unexpected rcodes, with a sample name
	slowest   time.Duration  // slowest answer
}

// startReplicaFlood starts clients; client i talks to addrOf(i).
func startReplicaFlood(prefix string, clients int, addrOf func(int) string) *replicaFlood {
	f := &replicaFlood{prefix: prefix, acked: map[string]bool{}, attempted: map[string]bool{},
		perAddr: map[string]int{}, other: map[string]int{}}
	for c := range clients {
		addr := addrOf(c)
		f.wg.Go(func() { f.client(c, addr) })
	}
	return f
}

func (f *replicaFlood) client(c int, addr string) {
	var conn *dns.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	for seq := 0; !f.stopping.Load(); seq++ {
		if conn == nil {
			var err error
			if conn, err = dns.DialTimeout("tcp", addr, time.Second); err != nil {
				conn = nil
				f.mu.Lock()
				f.dialErrs++
				f.mu.Unlock()
				time.Sleep(50 * time.Millisecond)
				continue
			}
		}
		// No dash in the name: it derives no service.
		name := fmt.Sprintf("%sc%ds%d.%s", f.prefix, c, seq, replicaZone)
		m := updateMsg(replicaZone, nil,
			fmt.Sprintf("%s 60 IN A 10.%d.%d.%d", name, c, seq>>8&255, seq&255),
			fmt.Sprintf(`%s 60 IN TXT "%d"`, name, seq))
		f.mu.Lock()
		f.attempted[name] = true
		f.mu.Unlock()
		t0 := time.Now()
		conn.SetDeadline(t0.Add(20 * time.Second))
		err := conn.WriteMsg(m)
		var r *dns.Msg
		if err == nil {
			r, err = conn.ReadMsg()
		}
		took := time.Since(t0)
		f.mu.Lock()
		f.slowest = max(f.slowest, took)
		switch {
		case err != nil:
			f.noAnswer++
			conn.Close()
			conn = nil
		case r.Rcode == dns.RcodeSuccess:
			f.acked[name] = true
			f.perAddr[addr]++
			f.ackedN.Add(1)
		case r.Rcode == dns.RcodeServerFailure:
			f.servfail++
		default:
			f.other[dns.RcodeToString[r.Rcode]+" (e.g. "+name+")"]++
		}
		f.mu.Unlock()
	}
}

// waitAcked waits until n updates are acknowledged in all, or within.
func (f *replicaFlood) waitAcked(t *testing.T, n int64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for f.ackedN.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d updates acknowledged after %v, want %d", f.ackedN.Load(), within, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitAckedAt waits until addr acknowledged n updates in all, or within.
func (f *replicaFlood) waitAckedAt(t *testing.T, addr string, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		f.mu.Lock()
		got := f.perAddr[addr]
		f.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s acknowledged %d updates after %v, want %d", addr, got, within, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *replicaFlood) stop() {
	f.stopping.Store(true)
	f.wg.Wait()
}

// check waits for the replicas to converge, then checks that every
// acknowledged update is on every replica and no update is half applied.
func (f *replicaFlood) check(t *testing.T, rs []*replica) {
	t.Helper()
	zone := waitReplicasSameAXFR(t, rs, 15*time.Second)
	present := map[string]map[uint16]bool{}
	for _, s := range zone {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("AXFR record %q: %v", s, err)
		}
		name := rr.Header().Name
		if !strings.HasPrefix(name, f.prefix) {
			continue
		}
		if present[name] == nil {
			present[name] = map[uint16]bool{}
		}
		present[name][rr.Header().Rrtype] = true
	}
	missing, half, unacked := 0, 0, 0
	for name := range f.acked {
		if p := present[name]; !p[dns.TypeA] || !p[dns.TypeTXT] {
			if missing++; missing <= 5 {
				t.Errorf("acknowledged %s is not (wholly) on the replicas: %v", name, p)
			}
		}
	}
	for name, p := range present {
		if !f.attempted[name] {
			t.Errorf("%s is on the replicas but was never sent", name)
		}
		if len(p) != 2 {
			if half++; half <= 5 {
				t.Errorf("%s is half applied: %v", name, p)
			}
		}
		if !f.acked[name] {
			unacked++
		}
	}
	if missing > 0 || half > 0 {
		t.Errorf("%d acknowledged updates missing, %d half applied", missing, half)
	}
	if len(f.other) > 0 {
		t.Errorf("unexpected answers: %v", f.other)
	}
	t.Logf("flood: %d sent, %d acknowledged (per replica %v), %d SERVFAIL, %d sent without answer, %d failed dials; "+
		"%d names on every replica (%d of them not acknowledged), zone of %d records identical on all; slowest answer %v",
		len(f.attempted), len(f.acked), f.perAddrByName(rs), f.servfail, f.noAnswer, f.dialErrs,
		len(present), unacked, len(zone), f.slowest)
}

func (f *replicaFlood) perAddrByName(rs []*replica) map[string]int {
	out := map[string]int{}
	for _, r := range rs {
		out[r.name] = f.perAddr[r.addr]
	}
	return out
}

// TestReplicasSurviveEtcdMemberKill floods the replicas with updates and
// SIGKILLs the etcd leader in the middle: every acknowledged update ends
// up on every replica, none half applied. Updates in flight during the
// leader change may fail (SERVFAIL, not acknowledged).
func TestReplicasSurviveEtcdMemberKill(t *testing.T) {
	t0 := time.Now()
	c := etcdtest.Start(t, 3)
	rs := startReplicas(t, c, 3, "")
	f := startReplicaFlood("k", 20, func(i int) string { return rs[i%len(rs)].addr })
	defer f.stop()

	f.waitAcked(t, 150, 30*time.Second)
	before := f.ackedN.Load()
	old := c.Leader()
	killed := time.Now()
	c.Kill(old)
	leader := c.Leader()
	t.Logf("%d acknowledged before the kill; killed etcd leader m%d, m%d leads after %v",
		before, old, leader, time.Since(killed))
	// Go on until every replica acknowledged updates after the new
	// leader took over.
	f.mu.Lock()
	after := map[string]int{}
	for _, r := range rs {
		after[r.addr] = f.perAddr[r.addr]
	}
	f.mu.Unlock()
	for _, r := range rs {
		f.waitAckedAt(t, r.addr, after[r.addr]+20, 30*time.Second)
	}
	f.stop()
	t.Logf("%d acknowledged after the kill (%v after it)", f.ackedN.Load()-before, time.Since(killed))
	f.check(t, rs)
	t.Logf("test took %v", time.Since(t0))
}

// TestReplicasWithEtcdDown: with every etcd member down the replicas go on
// answering queries from memory, and fail updates with SERVFAIL within
// the commit timeout; once etcd is back, updates work again and the
// replicas converge.
func TestReplicasWithEtcdDown(t *testing.T) {
	t0 := time.Now()
	c := etcdtest.Start(t, 3)
	rs := startReplicas(t, c, 3, "")
	hosts := map[string]string{"h1-web-prod." + replicaZone: "10.4.0.1", "h2-web-prod." + replicaZone: "10.4.0.2"}
	for name, ip := range hosts {
		if r := exchange(t, "tcp", rs[0].addr, replicaAddHost(name, ip)); r.Rcode != dns.RcodeSuccess {
			t.Fatalf("update %s: %s", name, dns.RcodeToString[r.Rcode])
		}
	}
	for name, ip := range hosts {
		waitReplicaAddrs(t, rs, name, []string{ip}, 5*time.Second)
	}
	waitReplicaAddrs(t, rs, "web."+replicaZone, []string{"10.4.0.1", "10.4.0.2"}, 5*time.Second)
	serial := serialOf(t, rs[0].addr, replicaZone)

	c.StopAll()
	stopped := time.Now()
	// An update to every replica at once; they wait for etcd.
	type result struct {
		rcode int
		took  time.Duration
		err   error
	}
	results := make([]result, len(rs))
	var wg sync.WaitGroup
	for i, r := range rs {
		wg.Go(func() {
			rcode, took, err := replicaSend(r.addr, replicaAddHost(fmt.Sprintf("down%d.%s", i, replicaZone), "10.4.1.1"), 15*time.Second)
			results[i] = result{rcode, took, err}
		})
	}
	updatesDone := make(chan struct{})
	go func() { wg.Wait(); close(updatesDone) }()
	// While those updates wait, every replica answers from memory.
	queries, slowest := 0, time.Duration(0)
	for pending := true; pending; {
		select {
		case <-updatesDone:
			pending = false
		default:
		}
		for _, r := range rs {
			for name, ip := range hosts {
				q0 := time.Now()
				rcode, got, err := replicaAddrs(r.addr, name)
				slowest = max(slowest, time.Since(q0))
				queries++
				if err != nil || rcode != dns.RcodeSuccess || !slices.Equal(got, []string{ip}) {
					t.Fatalf("etcd down: replica %s answers %s with %s %v (err %v), want %s",
						r.name, name, dns.RcodeToString[rcode], got, err, ip)
				}
			}
			rcode, got, err := replicaAddrs(r.addr, "web."+replicaZone)
			if err != nil || rcode != dns.RcodeSuccess || len(got) != 2 {
				t.Fatalf("etcd down: replica %s answers web with %s %v (err %v)", r.name, dns.RcodeToString[rcode], got, err)
			}
			if s := serialOf(t, r.addr, replicaZone); s != serial {
				t.Fatalf("etcd down: replica %s serial %d, was %d", r.name, s, serial)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("etcd down: %d queries answered while the updates waited, slowest %v", queries, slowest)
	for i, res := range results {
		if res.err != nil || res.rcode != dns.RcodeServerFailure {
			t.Errorf("etcd down: update through %s answered %s after %v (err %v), want SERVFAIL",
				rs[i].name, dns.RcodeToString[res.rcode], res.took, res.err)
		} else if res.took > 7*time.Second {
			t.Errorf("etcd down: update through %s got SERVFAIL only after %v, want within ~7 s", rs[i].name, res.took)
		}
		t.Logf("etcd down: update through %s: %s after %v", rs[i].name, dns.RcodeToString[res.rcode], res.took)
	}
	for i := range rs {
		waitReplicaAddrs(t, rs, fmt.Sprintf("down%d.%s", i, replicaZone), nil, 0)
	}

	c.StartAll()
	restarted := time.Now()
	t.Logf("etcd was down %v; all members serve again after %v", restarted.Sub(stopped), time.Since(stopped))
	// An update through every replica, retried until etcd takes it.
	type recovery struct {
		name  string
		tries int
		took  time.Duration
		err   error
	}
	recs := make([]recovery, len(rs))
	for i, r := range rs {
		wg.Go(func() {
			for try := 0; ; try++ {
				name := fmt.Sprintf("up%d-%d.%s", i, try, replicaZone)
				rcode, _, err := replicaSend(r.addr, replicaAddHost(name, "10.4.2.1"), 15*time.Second)
				if err == nil && rcode == dns.RcodeSuccess {
					recs[i] = recovery{name: name, tries: try + 1, took: time.Since(restarted)}
					return
				}
				if time.Since(restarted) > 30*time.Second {
					recs[i] = recovery{tries: try + 1, err: fmt.Errorf("last answer %s, err %v", dns.RcodeToString[rcode], err)}
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	for i, rec := range recs {
		if rec.err != nil {
			t.Fatalf("etcd back: no update through %s succeeded within 30 s (%d tries): %v", rs[i].name, rec.tries, rec.err)
		}
		t.Logf("etcd back: update through %s succeeded %v after the restart (try %d)", rs[i].name, rec.took, rec.tries)
	}
	for _, rec := range recs {
		waitReplicaAddrs(t, rs, rec.name, []string{"10.4.2.1"}, 5*time.Second)
	}
	for i := range rs { // failed with etcd down: never committed
		waitReplicaAddrs(t, rs, fmt.Sprintf("down%d.%s", i, replicaZone), nil, 0)
	}
	zone := waitReplicasSameAXFR(t, rs, 10*time.Second)
	t.Logf("converged: %d records, serial %d on every replica; test took %v",
		len(zone), serialOf(t, rs[0].addr, replicaZone), time.Since(t0))
}

// TestReplicaRestartedFromScratchConverges: a replica started with an
// empty directory serves what the others took while it was down; a
// replica SIGKILLed mid-flood and restarted converges too.
func TestReplicaRestartedFromScratchConverges(t *testing.T) {
	t0 := time.Now()
	c := etcdtest.Start(t, 3)
	// Snapshots often, and a short log behind them (ixfr-history), so that
	// restarts load a snapshot and a log tail and the log gets trimmed
	// under the flood.
	rs := startReplicas(t, c, 3, "snapshot 300ms 8192\n\t\tixfr-history 20")
	a, b, cr := rs[0], rs[1], rs[2]

	b.d.stop()
	for i := range 30 {
		via := a
		if i%2 == 1 {
			via = cr
		}
		name := fmt.Sprintf("r%d-web-prod.%s", i, replicaZone)
		if r := exchange(t, "tcp", via.addr, replicaAddHost(name, fmt.Sprintf("10.5.0.%d", i+1))); r.Rcode != dns.RcodeSuccess {
			t.Fatalf("update %s through %s: %s", name, via.name, dns.RcodeToString[r.Rcode])
		}
	}
	// Half went through C: wait until A has them too before comparing.
	var webWant []string
	for i := range 30 {
		webWant = append(webWant, fmt.Sprintf("10.5.0.%d", i+1))
	}
	slices.Sort(webWant)
	waitReplicaAddrs(t, []*replica{a, cr}, "web."+replicaZone, webWant, 5*time.Second)
	serial := serialOf(t, a.addr, replicaZone)
	if s := serialOf(t, cr.addr, replicaZone); s != serial {
		t.Fatalf("A serial %d, C serial %d, with the same 30 hosts", serial, s)
	}
	restart := time.Now()
	b.start(t, t.TempDir()) // a new, empty directory
	t.Logf("B restarted from scratch in %v", time.Since(restart))
	// B loaded the zone before it listened: no waiting.
	zone := waitReplicasSameAXFR(t, rs, 0)
	if s := serialOf(t, b.addr, replicaZone); s != serial {
		t.Errorf("B serial %d, A serial %d", s, serial)
	}
	rcode, web, err := replicaAddrs(b.addr, "web."+replicaZone)
	if err != nil || rcode != dns.RcodeSuccess || len(web) != 30 {
		t.Errorf("B: web answers %s with %d addresses (err %v), want 30", dns.RcodeToString[rcode], len(web), err)
	}
	t.Logf("B from scratch: same AXFR as A and C (%d records), serial %d", len(zone), serial)

	// Kill C mid-flood, restart it on its directory while the flood goes on.
	f := startReplicaFlood("f", 15, func(i int) string { return rs[i%len(rs)].addr })
	defer f.stop()
	f.waitAcked(t, 100, 30*time.Second)
	cr.d.kill()
	killed := time.Now()
	n := f.ackedN.Load()
	f.waitAcked(t, n+100, 30*time.Second) // A and B go on
	f.mu.Lock()
	atC := f.perAddr[cr.addr]
	f.mu.Unlock()
	cr.start(t, cr.d.dir)
	t.Logf("C killed with %d acknowledged in all; restarted %v later", n, time.Since(killed))
	f.waitAckedAt(t, cr.addr, atC+20, 30*time.Second)
	f.stop()
	f.check(t, rs)
	t.Logf("test took %v", time.Since(t0))
}

// replicaFew shows at most 10 records, one a line.
func replicaFew(rrs []string) string {
	if len(rrs) > 10 {
		rrs = append(rrs[:10:10], "...")
	}
	return "\n\t" + strings.Join(rrs, "\n\t")
}
