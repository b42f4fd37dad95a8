package dyndns

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

const seedCorefile = `skynet.example.com:0 37.13.in-addr.arpa:0 {
	bind 127.0.0.1
	dyndns {
		allow-update 127.0.0.1
	}
}`

// register sends the seed client's UPDATE: replace the host's A record.
func register(t *testing.T, net, addr, host, ip string) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetUpdate("skynet.example.com.")
	name := host + ".skynet.example.com."
	a, _ := dns.NewRR(fmt.Sprintf("%s 60 IN A %s", name, ip))
	m.RemoveRRset([]dns.RR{&dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET}}})
	m.Insert([]dns.RR{a})
	return exchange(t, net, addr, m)
}

// addresses queries name A and returns the addresses in answer order.
func addresses(t *testing.T, net, addr, name string) []string {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	r := exchange(t, net, addr, m)
	if r.Rcode != dns.RcodeSuccess || !r.Authoritative {
		t.Fatalf("%s A: rcode %s aa %v", name, dns.RcodeToString[r.Rcode], r.Authoritative)
	}
	var out []string
	for _, rr := range r.Answer {
		out = append(out, rr.(*dns.A).A.String())
	}
	return out
}

func TestSeedScenario(t *testing.T) {
	udp, tcp := startServer(t, seedCorefile)
	for _, reg := range []struct{ net, addr, host, ip string }{
		{"tcp", tcp, "cyberdyne-web-sfo-prod", "13.37.1.1"},
		{"udp", udp, "techcom-web-sfo-prod", "13.37.1.2"},
	} {
		if r := register(t, reg.net, reg.addr, reg.host, reg.ip); r.Rcode != dns.RcodeSuccess {
			t.Fatalf("register %s: %s", reg.host, dns.RcodeToString[r.Rcode])
		}
	}
	if got := addresses(t, "udp", udp, "cyberdyne-web-sfo-prod.skynet.example.com."); !slices.Equal(got, []string{"13.37.1.1"}) {
		t.Errorf("host answers %v", got)
	}
	for _, net := range []struct{ proto, addr string }{{"udp", udp}, {"tcp", tcp}} {
		var firsts []string
		for range 4 {
			got := addresses(t, net.proto, net.addr, "web.skynet.example.com.")
			if sorted := slices.Sorted(slices.Values(got)); !slices.Equal(sorted, []string{"13.37.1.1", "13.37.1.2"}) {
				t.Fatalf("%s: web answers %v", net.proto, got)
			}
			firsts = append(firsts, got[0])
		}
		if firsts[0] == firsts[1] || firsts[1] == firsts[2] {
			t.Errorf("%s: web does not rotate: first addresses %v", net.proto, firsts)
		}
	}

	// The host renumbers: its old address leaves the service at once.
	if r := register(t, "tcp", tcp, "cyberdyne-web-sfo-prod", "13.37.1.9"); r.Rcode != dns.RcodeSuccess {
		t.Fatal(dns.RcodeToString[r.Rcode])
	}
	got := slices.Sorted(slices.Values(addresses(t, "udp", udp, "web.skynet.example.com.")))
	if !slices.Equal(got, []string{"13.37.1.2", "13.37.1.9"}) {
		t.Errorf("after renumbering web answers %v", got)
	}
}

func TestUpdateRouting(t *testing.T) {
	// A root block makes CoreDNS hand every UPDATE to dyndns; with the seed
	// Corefile, CoreDNS itself refuses names outside the block's zones.
	udp, _ := startServer(t, `.:0 {
		bind 127.0.0.1
		dyndns skynet.example.com 37.13.in-addr.arpa {
			allow-update 127.0.0.1
		}
	}`)
	tests := []struct {
		zone  string
		rcode int
	}{
		{"skynet.example.com.", dns.RcodeSuccess},
		{"37.13.in-addr.arpa.", dns.RcodeSuccess},
		{"example.com.", dns.RcodeNotAuth},            // parent of a served zone
		{"sub.skynet.example.com.", dns.RcodeNotAuth}, // child of a served zone
	}
	for _, tc := range tests {
		m := new(dns.Msg)
		m.SetUpdate(tc.zone)
		if r := exchange(t, "udp", udp, m); r.Rcode != tc.rcode || r.Opcode != dns.OpcodeUpdate || r.Id != m.Id || len(r.Question) != 1 {
			t.Errorf("%s: rcode %s opcode %d, want %s with the zone echoed", tc.zone, dns.RcodeToString[r.Rcode], r.Opcode, dns.RcodeToString[tc.rcode])
		}
	}
}

func TestRefusedUpdateChangesNothing(t *testing.T) {
	udp, _ := startServer(t, `example.org:0 {
		bind 127.0.0.1
		dyndns {
			allow-update !127.0.0.1 any
		}
	}`)
	m := new(dns.Msg)
	m.SetUpdate("example.org.")
	a, _ := dns.NewRR("x.example.org. 60 IN A 192.0.2.1")
	m.Insert([]dns.RR{a})
	if r := exchange(t, "udp", udp, m); r.Rcode != dns.RcodeRefused {
		t.Errorf("rcode %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}
	q := new(dns.Msg)
	q.SetQuestion("x.example.org.", dns.TypeA)
	if r := exchange(t, "udp", udp, q); r.Rcode != dns.RcodeNameError {
		t.Errorf("refused record is served: %v", r)
	}
}

func TestTruncation(t *testing.T) {
	udp, tcp := startServer(t, seedCorefile)
	m := new(dns.Msg)
	m.SetUpdate("skynet.example.com.")
	for i := range 100 {
		rr, _ := dns.NewRR(fmt.Sprintf("h%d-big-sfo-prod.skynet.example.com. 60 IN A 13.37.2.%d", i, i))
		m.Insert([]dns.RR{rr})
	}
	if r := exchange(t, "tcp", tcp, m); r.Rcode != dns.RcodeSuccess {
		t.Fatal(dns.RcodeToString[r.Rcode])
	}
	q := new(dns.Msg)
	q.SetQuestion("big.skynet.example.com.", dns.TypeA)
	r := exchange(t, "udp", udp, q)
	if !r.Truncated {
		t.Errorf("100 addresses over UDP without EDNS: TC not set (%d answers)", len(r.Answer))
	}
	if r := exchange(t, "tcp", tcp, q); r.Truncated || len(r.Answer) != 100 {
		t.Errorf("TCP: tc %v, %d answers, want 100", r.Truncated, len(r.Answer))
	}
}

func TestCacheDoesNotFreezeRotation(t *testing.T) {
	udp, tcp := startServer(t, strings.Replace(seedCorefile, "bind 127.0.0.1", "bind 127.0.0.1\n\tcache 300", 1))
	register(t, "tcp", tcp, "cyberdyne-web-sfo-prod", "13.37.1.1")
	register(t, "tcp", tcp, "techcom-web-sfo-prod", "13.37.1.2")
	a := addresses(t, "udp", udp, "web.skynet.example.com.")
	b := addresses(t, "udp", udp, "web.skynet.example.com.")
	if a[0] == b[0] {
		t.Errorf("cache froze the rotation: %v then %v", a, b)
	}
	register(t, "tcp", tcp, "techcom-web-sfo-prod", "13.37.1.3")
	if got := slices.Sorted(slices.Values(addresses(t, "udp", udp, "web.skynet.example.com."))); !slices.Equal(got, []string{"13.37.1.1", "13.37.1.3"}) {
		t.Errorf("cache served a stale service: %v", got)
	}
}

func TestUpdateRecordLimit(t *testing.T) {
	udp, _ := startServer(t, `example.org:0 {
		bind 127.0.0.1
		dyndns {
			allow-update 127.0.0.1
			max-update-records 2
		}
	}`)
	m := new(dns.Msg)
	m.SetUpdate("example.org.")
	for i := range 3 {
		rr, _ := dns.NewRR(fmt.Sprintf("l%d.example.org. 60 IN A 192.0.2.1", i))
		m.Insert([]dns.RR{rr})
	}
	if r := exchange(t, "udp", udp, m); r.Rcode != dns.RcodeRefused {
		t.Errorf("3 records over max-update-records 2: %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}
	m.Ns = m.Ns[:2]
	if r := exchange(t, "udp", udp, m); r.Rcode != dns.RcodeSuccess {
		t.Errorf("2 records: %s", dns.RcodeToString[r.Rcode])
	}
}

func TestDSAtChildApexComesFromParent(t *testing.T) {
	udp, tcp := startServer(t, `example.org:0 sub.example.org:0 {
		bind 127.0.0.1
		dyndns {
			allow-update 127.0.0.1
		}
	}`)
	m := new(dns.Msg)
	m.SetUpdate("example.org.")
	ds, _ := dns.NewRR("sub.example.org. 60 IN DS 12345 8 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF")
	ns, _ := dns.NewRR("sub.example.org. 60 IN NS ns1.sub.example.org.")
	m.Insert([]dns.RR{ds, ns})
	if r := exchange(t, "tcp", tcp, m); r.Rcode != dns.RcodeSuccess {
		t.Fatal(dns.RcodeToString[r.Rcode])
	}
	q := new(dns.Msg)
	q.SetQuestion("sub.example.org.", dns.TypeDS)
	r := exchange(t, "udp", udp, q)
	if len(r.Answer) != 1 || r.Answer[0].Header().Rrtype != dns.TypeDS || !r.Authoritative {
		t.Errorf("DS at the child apex: %v", r)
	}
	q.SetQuestion("sub.example.org.", dns.TypeSOA)
	if r := exchange(t, "udp", udp, q); len(r.Answer) != 1 || r.Answer[0].Header().Name != "sub.example.org." {
		t.Errorf("SOA of the child zone: %v", r)
	}
}
