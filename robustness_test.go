package dyndns

import (
	"bytes"
	"context"
	"fmt"
	"io"
	golog "log"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin/test"
	"github.com/dyndns/dyndns/internal/testbin"
	"github.com/dyndns/dyndns/plugin/durable"
	"github.com/dyndns/dyndns/plugin/storage"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

// startInstance starts CoreDNS on corefile and returns the caddy instance,
// shut down (stores released) when the test ends.
func startInstance(t *testing.T, corefile string) *caddy.Instance {
	t.Helper()
	i := startCaddy(t, corefile)
	t.Cleanup(func() { shutdown(t, i) })
	return i
}

func udpOf(i *caddy.Instance) string { return i.Servers()[0].LocalAddr().String() }

// sharedZone returns the zone of origin held in the store registry.
func sharedZone(t *testing.T, dir, origin string) *zone.Zone {
	t.Helper()
	s := storage.Lookup((&durable.Directory{Dir: dir}).Key(), origin)
	if s == nil {
		t.Fatalf("no store for %s in %q", origin, dir)
	}
	return s.Zone()
}

// holdWriter makes the zone's writer busy until the returned func is called.
func holdWriter(t *testing.T, z *zone.Zone) (release func()) {
	t.Helper()
	held, done := make(chan struct{}), make(chan struct{})
	go z.Update(func(*zone.Txn) error { close(held); <-done; return nil })
	<-held
	var once sync.Once
	release = func() { once.Do(func() { close(done) }) }
	t.Cleanup(release)
	return release
}

func updateMsg(zone string, prereq []dns.RR, rrs ...string) *dns.Msg {
	m := new(dns.Msg)
	m.SetUpdate(zone)
	m.Answer = prereq
	for _, s := range rrs {
		rr, err := dns.NewRR(s)
		if err != nil {
			panic(err)
		}
		m.Ns = append(m.Ns, rr)
	}
	return m
}

// exchangeWithin sends m over UDP and fails when no answer comes within d.
func exchangeWithin(t *testing.T, addr string, m *dns.Msg, d time.Duration) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: "udp", Timeout: d}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("no answer within %v: %v", d, err)
	}
	return r
}

// An unauthorised client is refused whatever its prerequisites, and without
// waiting for the zone's writer (BIND decides allow-update first too).
func TestUnauthorisedUpdateRefusedBeforePrerequisitesAndLock(t *testing.T) {
	addr := udpOf(startInstance(t, `acl.test:0 {
		bind 127.0.0.1
		dyndns {
			allow-update 192.0.2.1
		}
	}`))
	for _, prereq := range []dns.RR{
		&dns.ANY{Hdr: dns.RR_Header{Name: "missing.acl.test.", Rrtype: dns.TypeA, Class: dns.ClassANY}},   // NXRRSET
		&dns.ANY{Hdr: dns.RR_Header{Name: "acl.test.", Rrtype: dns.TypeANY, Class: dns.ClassNONE}},        // YXDOMAIN
		&dns.ANY{Hdr: dns.RR_Header{Name: "x.acl.test.", Rrtype: dns.TypeA, Class: dns.ClassANY, Ttl: 1}}, // FORMERR
	} {
		m := updateMsg("acl.test.", []dns.RR{prereq}, "h.acl.test. 60 IN A 192.0.2.7")
		if r := exchange(t, "udp", addr, m); r.Rcode != dns.RcodeRefused {
			t.Errorf("unauthorised update with prerequisite %s: %s, want REFUSED", prereq, dns.RcodeToString[r.Rcode])
		}
	}
	holdWriter(t, sharedZone(t, "", "acl.test."))
	m := updateMsg("acl.test.", nil, "h.acl.test. 60 IN A 192.0.2.7")
	if r := exchangeWithin(t, addr, m, time.Second); r.Rcode != dns.RcodeRefused {
		t.Errorf("unauthorised update while the writer is busy: %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}
}

// Past max-queued-updates waiting updates, the next is refused at once.
func TestOverloadedZoneRefuses(t *testing.T) {
	addr := udpOf(startInstance(t, `busy.test:0 {
		bind 127.0.0.1
		dyndns {
			allow-update 127.0.0.1
			max-queued-updates 1
		}
	}`))
	z := sharedZone(t, "", "busy.test.")
	release := holdWriter(t, z)
	first := make(chan *dns.Msg, 1)
	go func() {
		c := &dns.Client{Net: "udp", Timeout: 5 * time.Second}
		r, _, _ := c.Exchange(updateMsg("busy.test.", nil, "a.busy.test. 60 IN A 192.0.2.1"), addr)
		first <- r
	}()
	waitFor(t, "one queued update", func() bool { return z.Queued() == 1 })
	m := updateMsg("busy.test.", nil, "b.busy.test. 60 IN A 192.0.2.2")
	if r := exchangeWithin(t, addr, m, time.Second); r.Rcode != dns.RcodeRefused {
		t.Fatalf("update past the queue: %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}
	release()
	if r := <-first; r == nil || r.Rcode != dns.RcodeSuccess {
		t.Fatalf("queued update: %v", r)
	}
	if !hasA(t, addr, "a.busy.test.") || hasA(t, addr, "b.busy.test.") {
		t.Error("the queued update must be applied and the refused one not")
	}
}

// waitFor polls cond until it holds, failing after 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func reloadCorefile(dir, options, extra string) string {
	return `reload.test:0 {
		bind 127.0.0.1
		dyndns {
			directory ` + dir + `
			allow-update 127.0.0.1
			` + options + `
		}
	}
	` + extra
}

// A reload whose configuration fails leaves the running zone as it was and
// holds no store: the last instance's shutdown closes it.
func TestFailedReloadLeavesTheZoneUntouched(t *testing.T) {
	dir := t.TempDir()
	i := startInstance(t, reloadCorefile(dir, "", ""))
	addr := udpOf(i)
	m := updateMsg("reload.test.", nil, "a-web-prod.reload.test. 60 IN A 192.0.2.1")
	if r := exchange(t, "udp", addr, m); r.Rcode != dns.RcodeSuccess {
		t.Fatal(dns.RcodeToString[r.Rcode])
	}
	// The new configuration turns derivation off, and a later block fails.
	bad := reloadCorefile(dir, "derive off", `other.test:0 {
		bind 127.0.0.1
		dyndns {
			no-such-option
		}
	}`)
	if _, err := i.Restart(caddy.CaddyfileInput{Contents: []byte(bad), Filepath: "Corefile", ServerTypeName: "dns"}); err == nil {
		t.Fatal("a reload with a bad option succeeded")
	}
	if !hasA(t, addr, "web.reload.test.") {
		t.Error("a failed reload changed the running zone's derive rules")
	}
	i.Stop()
	i.ShutdownCallbacks()
	if storage.Lookup((&durable.Directory{Dir: dir}).Key(), "reload.test.") != nil {
		t.Fatal("the store is still open after the last instance shut down")
	}
	if data, err := os.ReadFile(durable.ZoneFile(dir, "reload.test.")); err != nil || !bytes.Contains(data, []byte("a-web-prod")) {
		t.Errorf("no final snapshot: %v\n%s", err, data)
	}
}

// A reload that changes the snapshot options applies them.
func TestReloadAppliesSnapshotOptions(t *testing.T) {
	dir := t.TempDir()
	i := startInstance(t, reloadCorefile(dir, "", ""))
	i2, err := i.Restart(caddy.CaddyfileInput{Contents: []byte(reloadCorefile(dir, "snapshot 50ms", "")), Filepath: "Corefile", ServerTypeName: "dns"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(t, i2) })
	addr := udpOf(i2)
	m := updateMsg("reload.test.", nil, "snap.reload.test. 60 IN A 192.0.2.1")
	if r := exchange(t, "udp", addr, m); r.Rcode != dns.RcodeSuccess {
		t.Fatal(dns.RcodeToString[r.Rcode])
	}
	waitFor(t, "a snapshot at the reloaded interval", func() bool {
		data, _ := os.ReadFile(durable.ZoneFile(dir, "reload.test."))
		return bytes.Contains(data, []byte("snap"))
	})
}

// Reloads while queries and updates run: under -race, the instance that
// shuts down must not touch what the new one (or its own last requests) reads.
func TestReloadUnderTraffic(t *testing.T) {
	dir := t.TempDir()
	input := caddy.CaddyfileInput{Contents: []byte(reloadCorefile(dir, "", "")), Filepath: "Corefile", ServerTypeName: "dns"}
	i := startCaddy(t, string(input.Contents))
	t.Cleanup(func() { shutdown(t, i) }) // whichever instance runs last
	addr := udpOf(i)
	var stop atomic.Bool
	var acked atomic.Int64
	var wg sync.WaitGroup
	t.Cleanup(func() { stop.Store(true); wg.Wait() }) // runs before the shutdown
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
			for n := 0; !stop.Load(); n++ {
				var m *dns.Msg
				if w%2 == 0 {
					m = updateMsg("reload.test.", nil, fmt.Sprintf("w%d-%d.reload.test. 60 IN A 192.0.2.1", w, n))
				} else {
					m = new(dns.Msg)
					m.SetQuestion("reload.test.", dns.TypeSOA)
				}
				if r, _, err := c.Exchange(m, addr); err == nil && r.Rcode == dns.RcodeSuccess && w%2 == 0 {
					acked.Add(1)
				}
			}
		}()
	}
	for range 5 {
		next, err := i.Restart(input)
		if err != nil {
			t.Fatal(err)
		}
		i = next
		before := acked.Load()
		waitFor(t, "an update acknowledged after the reload", func() bool { return acked.Load() > before })
	}
	if acked.Load() == 0 {
		t.Fatal("no update was acknowledged during the reloads")
	}
}

// UPDATEs for zones the block does not serve are counted under one label
// value: a client cannot grow the metrics with made-up zone names.
func TestUpdateMetricLabelsAreBounded(t *testing.T) {
	addr := udpOf(startInstance(t, `metrics.test:0 {
		bind 127.0.0.1
		dyndns {
			allow-update 127.0.0.1
		}
	}`))
	for n := range 50 {
		zone := fmt.Sprintf("made-up-%d.metrics.test.", n)
		if r := exchange(t, "udp", addr, updateMsg(zone, nil)); r.Rcode != dns.RcodeNotAuth {
			t.Fatalf("update of %s: %s, want NOTAUTH", zone, dns.RcodeToString[r.Rcode])
		}
	}
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), "coredns_dyndns_") {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.HasPrefix(l.GetValue(), "made-up-") {
					t.Fatalf("%s has a series labelled %s=%s from client input", f.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}

// Refused UPDATEs are logged with a rate limit: a client cannot fill the log.
func TestRefusedUpdatesLogAtALimitedRate(t *testing.T) {
	addr := udpOf(startInstance(t, `quiet.test:0 {
		bind 127.0.0.1
		dyndns {
			allow-update 192.0.2.1
		}
	}`))
	buf := captureLog(t) // after the start, which sets the log's output
	const sent = 200
	for n := range sent {
		m := updateMsg("quiet.test.", nil, fmt.Sprintf("h%d.quiet.test. 60 IN A 192.0.2.1", n))
		if r := exchange(t, "udp", addr, m); r.Rcode != dns.RcodeRefused {
			t.Fatalf("%s, want REFUSED", dns.RcodeToString[r.Rcode])
		}
	}
	lines := strings.Count(buf.String(), `"quiet.test."`)
	if lines == 0 || lines > sent/4 {
		t.Errorf("%d log lines for %d refused updates, want a few", lines, sent)
	}
}

// captureLog sends the log to a buffer until the test ends.
func captureLog(t *testing.T) *testbin.Buffer {
	buf := &testbin.Buffer{}
	golog.SetOutput(buf)
	t.Cleanup(func() { golog.SetOutput(io.Discard) })
	return buf
}

// max-zone-bytes refuses an update that would grow the zone past it.
func TestMaxZoneBytes(t *testing.T) {
	addr := udpOf(startInstance(t, `bytes.test:0 {
		bind 127.0.0.1
		dyndns {
			allow-update 127.0.0.1
			max-zone-bytes 4000
		}
	}`))
	text := strings.Repeat("x", 200)
	refused := -1
	for n := range 40 {
		m := updateMsg("bytes.test.", nil, fmt.Sprintf(`t%d.bytes.test. 60 IN TXT "%s"`, n, text))
		r := exchange(t, "udp", addr, m)
		if r.Rcode == dns.RcodeRefused {
			refused = n
			break
		}
		if r.Rcode != dns.RcodeSuccess {
			t.Fatalf("update %d: %s", n, dns.RcodeToString[r.Rcode])
		}
	}
	// Each record is about 230 bytes: the 4,000-byte zone fills up after
	// some 16 of them, never after fewer than 10.
	if refused < 10 || refused > 20 {
		t.Fatalf("refused at update %d, want about the 16th", refused)
	}
	q := new(dns.Msg)
	q.SetQuestion(fmt.Sprintf("t%d.bytes.test.", refused), dns.TypeTXT)
	if r := exchange(t, "udp", addr, q); r.Rcode != dns.RcodeNameError {
		t.Errorf("the refused record is served: %s", r)
	}
}

// An instance that shuts down (reload overlap) may still be answering: its
// zones stay readable, and under -race nothing it reads is written.
func TestShutdownWhileAnswering(t *testing.T) {
	c := caddy.NewTestController("dns", `dyndns race.test`)
	if err := setup(c); err != nil {
		t.Fatal(err)
	}
	d := dnsserver.GetConfig(c).Plugin[0](nil).(*DynDNS)
	done := make(chan error)
	go func() {
		for range 500 {
			m := new(dns.Msg)
			m.SetQuestion("race.test.", dns.TypeSOA)
			w := &test.ResponseWriter{}
			if rc, err := d.ServeDNS(context.Background(), w, m); rc != dns.RcodeSuccess || err != nil {
				done <- fmt.Errorf("query during shutdown: rcode %d, %v", rc, err)
				return
			}
		}
		done <- nil
	}()
	if err := d.close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
