package dyndns

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coredns/caddy"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// withLease adds the RFC 9664 Update Lease option to m: the 4-byte form
// when keyLease is 0, else the 8-byte form.
func withLease(m *dns.Msg, lease, keyLease uint32) *dns.Msg {
	m.SetEdns0(1232, false)
	o := m.IsEdns0()
	o.Option = append(o.Option, &dns.EDNS0_UL{Code: dns.EDNS0UL, Lease: lease, KeyLease: keyLease})
	return m
}

// granted returns the Update Lease option of a reply, or nil.
func granted(r *dns.Msg) *dns.EDNS0_UL {
	if o := r.IsEdns0(); o != nil {
		for _, e := range o.Option {
			if ul, ok := e.(*dns.EDNS0_UL); ok {
				return ul
			}
		}
	}
	return nil
}

func serialOf(t *testing.T, addr, zone string) uint32 {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(zone, dns.TypeSOA)
	r := exchange(t, "udp", addr, m)
	if len(r.Answer) != 1 {
		t.Fatalf("SOA of %s: %v", zone, r)
	}
	return r.Answer[0].(*dns.SOA).Serial
}

// rcodeOf queries name A and returns the rcode and the addresses.
func rcodeOf(t *testing.T, addr, name string) (int, []string) {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	r := exchange(t, "udp", addr, m)
	var out []string
	for _, rr := range r.Answer {
		out = append(out, rr.(*dns.A).A.String())
	}
	slices.Sort(out)
	return r.Rcode, out
}

const leaseCorefile = `lease.test:0 {
	bind 127.0.0.1
	transfer {
		to *
	}
	dyndns {
		allow-update 127.0.0.1
		lease min 1 max 10
	}
}`

// A host whose lease runs out leaves its service on its own, within about a
// second of its deadline; a host that renews stays, and renewals move
// neither the serial nor anything a secondary sees.
func TestLeaseExpiryTakesHostOutOfItsService(t *testing.T) {
	i := startInstance(t, leaseCorefile)
	addr := udpOf(i)
	register := func(host, ip string, lease uint32) {
		t.Helper()
		m := updateMsg("lease.test.", nil, fmt.Sprintf("%s.lease.test. 60 IN A %s", host, ip))
		if lease > 0 {
			withLease(m, lease, 0)
		}
		if r := exchange(t, "udp", addr, m); r.Rcode != dns.RcodeSuccess {
			t.Fatalf("register %s: %s", host, dns.RcodeToString[r.Rcode])
		}
	}
	start := time.Now()
	register("a-web-prod", "192.0.2.1", 2)
	register("b-web-prod", "192.0.2.2", 2)
	register("c-web-prod", "192.0.2.3", 0) // no lease: permanent
	if _, got := rcodeOf(t, addr, "web.lease.test."); !slices.Equal(got, []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"}) {
		t.Fatalf("web = %v before expiry", got)
	}
	serial := serialOf(t, addr, "lease.test.")

	// b renews every 200 ms, a does not, until a is gone. Only a's expiry
	// may move the serial.
	aGone := func() bool {
		rc, _ := rcodeOf(t, addr, "a-web-prod.lease.test.")
		return rc == dns.RcodeNameError
	}
	renewals := 0
	for !aGone() {
		if time.Since(start) > 5*time.Second {
			t.Fatal("a 2 s lease did not run out within 5 s")
		}
		register("b-web-prod", "192.0.2.2", 2)
		renewals++
		if s := serialOf(t, addr, "lease.test."); s != serial && !aGone() {
			t.Fatalf("a renewal moved the serial from %d to %d", serial, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if took := time.Since(start); took < 2*time.Second || took > 3500*time.Millisecond {
		t.Errorf("a 2 s lease ran out after %v", took.Round(time.Millisecond))
	}
	if renewals < 5 {
		t.Errorf("only %d renewals", renewals)
	}
	if _, got := rcodeOf(t, addr, "web.lease.test."); !slices.Equal(got, []string{"192.0.2.2", "192.0.2.3"}) {
		t.Errorf("web = %v after a's lease ran out, want b and c", got)
	}
	if s := serialOf(t, addr, "lease.test."); s != serial+1 {
		t.Errorf("serial %d after the expiry, want %d (one bump for it)", s, serial+1)
	}
	// What a secondary transfers has the expired host neither as a host
	// nor in its service.
	for _, rr := range axfr(t, i.Servers()[0].Addr().String(), "lease.test.") {
		if a, ok := rr.(*dns.A); ok && a.A.String() == "192.0.2.1" {
			t.Errorf("AXFR after the expiry holds %s", rr)
		}
	}
	if n := testutil.ToFloat64(expirations.WithLabelValues("lease.test.")); n < 1 {
		t.Errorf("lease_expirations_total = %v", n)
	}
	if n := testutil.ToFloat64(zoneLeases.WithLabelValues("lease.test.")); n != 1 {
		t.Errorf("leases = %v, want 1 (b)", n)
	}
}

// The reply carries the granted lease in the form the request used, clamped
// to the configured bounds; a failed update's reply carries none.
func TestLeaseReplyFormAndClamping(t *testing.T) {
	addr := udpOf(startInstance(t, leaseCorefile))
	for _, tc := range []struct {
		name               string
		lease, keyLease    uint32
		wantLease, wantKey uint32
	}{
		{"4-byte form", 5, 0, 5, 0},
		{"clamped up to min", 0, 0, 1, 0},
		{"clamped down to max", 3600, 0, 10, 0},
		{"8-byte form", 5, 3600, 5, 3600},
		{"KEY-LEASE clamped to 7 days", 5, 30 * 24 * 3600, 5, 7 * 24 * 3600},
	} {
		m := withLease(updateMsg("lease.test.", nil, "form.lease.test. 60 IN TXT \"x\""), tc.lease, tc.keyLease)
		r := exchange(t, "udp", addr, m)
		ul := granted(r)
		if r.Rcode != dns.RcodeSuccess || ul == nil {
			t.Errorf("%s: %s, option %v", tc.name, dns.RcodeToString[r.Rcode], ul)
			continue
		}
		if ul.Lease != tc.wantLease || ul.KeyLease != tc.wantKey {
			t.Errorf("%s: granted %d/%d, want %d/%d", tc.name, ul.Lease, ul.KeyLease, tc.wantLease, tc.wantKey)
		}
	}
	prereq := &dns.ANY{Hdr: dns.RR_Header{Name: "missing.lease.test.", Rrtype: dns.TypeA, Class: dns.ClassANY}}
	r := exchange(t, "udp", addr, withLease(updateMsg("lease.test.", []dns.RR{prereq}, "f.lease.test. 60 IN A 192.0.2.9"), 5, 0))
	if r.Rcode != dns.RcodeNXRrset || granted(r) != nil {
		t.Errorf("failed update: %s with option %v, want NXRRSET and no option", dns.RcodeToString[r.Rcode], granted(r))
	}
}

// `lease default` gives updates without the option a lease: a plain
// nsupdate client's records expire unless it registers again.
func TestLeaseDefaultForClientsWithoutTheOption(t *testing.T) {
	i := startInstance(t, `dflt.test:0 {
		bind 127.0.0.1
		dyndns {
			allow-update 127.0.0.1
			lease default 2 min 1
		}
	}`)
	addr := udpOf(i)
	host, port, _ := strings.Cut(addr, ":")
	out, err := run(t, fmt.Sprintf("server %s %s\nzone dflt.test.\nupdate add n-web-prod.dflt.test. 60 A 192.0.2.5\nsend\n", host, port), "nsupdate")
	if err != nil {
		t.Fatalf("nsupdate: %v\n%s", err, out)
	}
	if rc, _ := rcodeOf(t, addr, "n-web-prod.dflt.test."); rc != dns.RcodeSuccess {
		t.Fatalf("registered name: %s", dns.RcodeToString[rc])
	}
	start := time.Now()
	waitFor(t, "the default lease to run out", func() bool {
		rc, _ := rcodeOf(t, addr, "n-web-prod.dflt.test.")
		return rc == dns.RcodeNameError
	})
	if took := time.Since(start); took > 3500*time.Millisecond {
		t.Errorf("a 2 s default lease ran out after %v", took.Round(time.Millisecond))
	}
}

// Deleting a leased record ends its lease: re-adding it without one makes
// it permanent, and no expiry comes for it later.
func TestDeleteEndsTheLease(t *testing.T) {
	addr := udpOf(startInstance(t, leaseCorefile))
	add := withLease(updateMsg("lease.test.", nil, "d-web-prod.lease.test. 60 IN A 192.0.2.7"), 1, 0)
	if r := exchange(t, "udp", addr, add); r.Rcode != dns.RcodeSuccess {
		t.Fatal(dns.RcodeToString[r.Rcode])
	}
	del := updateMsg("lease.test.", nil)
	del.RemoveRRset([]dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "d-web-prod.lease.test.", Rrtype: dns.TypeA, Class: dns.ClassINET}}})
	if r := exchange(t, "udp", addr, del); r.Rcode != dns.RcodeSuccess {
		t.Fatal(dns.RcodeToString[r.Rcode])
	}
	again := updateMsg("lease.test.", nil, "d-web-prod.lease.test. 60 IN A 192.0.2.7")
	if r := exchange(t, "udp", addr, again); r.Rcode != dns.RcodeSuccess {
		t.Fatal(dns.RcodeToString[r.Rcode])
	}
	time.Sleep(2500 * time.Millisecond) // past the first lease's deadline
	if rc, _ := rcodeOf(t, addr, "d-web-prod.lease.test."); rc != dns.RcodeSuccess {
		t.Errorf("a record re-added without a lease expired: %s", dns.RcodeToString[rc])
	}
	if v := sharedZone(t, "", "lease.test.").Current(); v.Leases() != 0 {
		t.Errorf("%d leases left", v.Leases())
	}
}

// Lease deadlines and renewals are durable: after kill -9 a record keeps the
// deadline of its last acknowledged renewal, and one whose lease ran out
// while the server was down is gone when it comes back.
func TestLeaseDeadlinesSurviveKill(t *testing.T) {
	dir, port := t.TempDir(), freePort(t)
	corefile := `lease.test:{PORT} {
		bind 127.0.0.1
		dyndns {
			directory {DIR}
			allow-update 127.0.0.1
			lease min 1 max 60
		}
	}`
	addr := "127.0.0.1:" + port
	register := func(host string, lease uint32) {
		t.Helper()
		m := withLease(updateMsg("lease.test.", nil, host+".lease.test. 60 IN A 192.0.2.1"), lease, 0)
		if r := exchange(t, "tcp", addr, m); r.Rcode != dns.RcodeSuccess || granted(r) == nil {
			t.Fatalf("register %s: %s", host, dns.RcodeToString[r.Rcode])
		}
	}
	d := startBinary(t, dir, port, corefile)
	start := time.Now()
	register("kept-web-prod", 3) // deadline at start+3 s (rounded up: before start+4 s)
	register("gone-web-prod", 1)
	time.Sleep(time.Until(start.Add(1500 * time.Millisecond)))
	register("kept-web-prod", 4) // renewed: now past start+5.5 s
	d.kill()

	time.Sleep(time.Until(start.Add(2500 * time.Millisecond))) // gone's lease runs out while down
	startBinary(t, dir, port, corefile)
	if rc, _ := rcodeOf(t, addr, "gone-web-prod.lease.test."); rc != dns.RcodeNameError {
		t.Errorf("a record whose lease ran out while the server was down is served: %s", dns.RcodeToString[rc])
	}
	time.Sleep(time.Until(start.Add(4200 * time.Millisecond))) // past the first lease's deadline
	if rc, _ := rcodeOf(t, addr, "kept-web-prod.lease.test."); rc != dns.RcodeSuccess {
		t.Fatalf("the acknowledged renewal was forgotten across kill -9: %s", dns.RcodeToString[rc])
	}
	waitFor(t, "the renewed lease to run out", func() bool {
		rc, _ := rcodeOf(t, addr, "kept-web-prod.lease.test.")
		return rc == dns.RcodeNameError
	})
	if took := time.Since(start); took < 5500*time.Millisecond || took > 7*time.Second {
		t.Errorf("the renewed lease ran out %v after the first registration, want about 6 s", took.Round(time.Millisecond))
	}
}

func TestParseLease(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want leasePolicy
	}{
		{[]string{"off"}, leasePolicy{off: true, min: 30 * time.Second, max: 24 * time.Hour}},
		{[]string{"default", "1h"}, leasePolicy{def: time.Hour, min: 30 * time.Second, max: 24 * time.Hour}},
		{[]string{"max", "1h", "default", "1h"}, leasePolicy{def: time.Hour, min: 30 * time.Second, max: time.Hour}},
		{[]string{"min", "1", "max", "10"}, leasePolicy{min: time.Second, max: 10 * time.Second}},
	} {
		got, err := parseLease(tc.args)
		if err != nil || got != tc.want {
			t.Errorf("lease %v = %+v, %v; want %+v", tc.args, got, err, tc.want)
		}
	}
	for _, args := range [][]string{{"default", "10s"}, {"max", "1h", "default", "2h"}} {
		if _, err := parseLease(args); err == nil {
			t.Errorf("lease %v: no error for a default outside the bounds", args)
		}
	}
}

// A reload applies a new lease policy, and leases granted before it still
// run out after it (the zone's expiry outlives the instance that granted).
func TestLeasesAcrossReload(t *testing.T) {
	dir := t.TempDir()
	corefile := func(max int) string {
		return fmt.Sprintf(`reload.test:0 {
			bind 127.0.0.1
			dyndns {
				directory %s
				allow-update 127.0.0.1
				lease min 1 max %d
			}
		}`, dir, max)
	}
	i := startCaddy(t, corefile(10))
	t.Cleanup(func() { shutdown(t, i) })
	addr := udpOf(i)
	m := withLease(updateMsg("reload.test.", nil, "old-web-prod.reload.test. 60 IN A 192.0.2.1"), 2, 0)
	if r := exchange(t, "udp", addr, m); granted(r) == nil || granted(r).Lease != 2 {
		t.Fatalf("before the reload: %v", r)
	}
	next, err := i.Restart(caddy.CaddyfileInput{Contents: []byte(corefile(5)), Filepath: "Corefile", ServerTypeName: "dns"})
	if err != nil {
		t.Fatal(err)
	}
	i = next
	m = withLease(updateMsg("reload.test.", nil, "new-web-prod.reload.test. 60 IN A 192.0.2.2"), 3600, 0)
	if r := exchange(t, "udp", addr, m); granted(r) == nil || granted(r).Lease != 5 {
		t.Fatalf("after the reload the lease is not clamped to the new max 5: %v", r)
	}
	waitFor(t, "the lease granted before the reload to run out", func() bool {
		rc, _ := rcodeOf(t, addr, "old-web-prod.reload.test.")
		return rc == dns.RcodeNameError
	})
}
