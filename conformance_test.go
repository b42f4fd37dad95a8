package dyndns

import (
	"fmt"
	"testing"

	"github.com/miekg/dns"
)

// These cases differ from BIND 9 because CoreDNS (or miekg/dns under it)
// answers before any plugin runs; README's Bugs section says so and gives
// the workaround. The tests pin today's behaviour so that an upstream fix
// shows up here, and check that such a message never changes the zone.
func TestUpdatesCoreDNSAnswersBeforeThePlugin(t *testing.T) {
	i := startInstance(t, `conf.test:0 {
		bind 127.0.0.1
		dyndns {
			allow-update 127.0.0.1
		}
	}`)
	udp, tcp := udpOf(i), i.Servers()[0].Addr().String()

	// A 100-record UPDATE over UDP with EDNS (about 1.7 KB): CoreDNS reads
	// UDP messages into miekg/dns's default 512-byte buffer, so the message
	// arrives cut and is answered FORMERR. Over TCP the same message works.
	big := func() *dns.Msg {
		m := new(dns.Msg)
		m.SetUpdate("conf.test.")
		for n := range 100 {
			rr, _ := dns.NewRR(fmt.Sprintf("big.conf.test. 60 IN A 192.0.2.%d", n+1))
			m.Ns = append(m.Ns, rr)
		}
		m.SetEdns0(4096, false)
		return m
	}
	if r := exchange(t, "udp", udp, big()); r.Rcode != dns.RcodeFormatError {
		t.Errorf("large UDP update: %s; if CoreDNS now reads large UDP messages, update README's Bugs", dns.RcodeToString[r.Rcode])
	}
	if hasA(t, udp, "big.conf.test.") {
		t.Fatal("the cut UDP update changed the zone")
	}
	if r := exchange(t, "tcp", tcp, big()); r.Rcode != dns.RcodeSuccess {
		t.Fatalf("large TCP update: %s", dns.RcodeToString[r.Rcode])
	}

	for _, tc := range []struct {
		name  string
		zones []dns.Question
		want  int // CoreDNS's answer; BIND's differs as noted
	}{
		// BIND: FORMERR with opcode UPDATE; miekg/dns rejects a message
		// without exactly one question with FORMERR and opcode QUERY.
		{"empty zone section", nil, dns.RcodeFormatError},
		{"two zones", []dns.Question{{Name: "conf.test.", Qtype: dns.TypeSOA, Qclass: dns.ClassINET}, {Name: "conf.test.", Qtype: dns.TypeSOA, Qclass: dns.ClassINET}}, dns.RcodeFormatError},
		// BIND: FORMERR; CoreDNS refuses every class but IN (and CH with the chaos plugin).
		{"class CH", []dns.Question{{Name: "conf.test.", Qtype: dns.TypeSOA, Qclass: dns.ClassCHAOS}}, dns.RcodeRefused},
		// BIND: NOTAUTH; CoreDNS routes by name and refuses names no block serves.
		{"outside every zone", []dns.Question{{Name: "elsewhere.example.", Qtype: dns.TypeSOA, Qclass: dns.ClassINET}}, dns.RcodeRefused},
		{"parent of a served zone", []dns.Question{{Name: "test.", Qtype: dns.TypeSOA, Qclass: dns.ClassINET}}, dns.RcodeRefused},
	} {
		m := new(dns.Msg)
		m.SetUpdate("conf.test.")
		m.Question = tc.zones
		rr, _ := dns.NewRR("odd.conf.test. 60 IN A 192.0.2.9")
		m.Ns = []dns.RR{rr}
		r := exchange(t, "tcp", tcp, m)
		if r.Rcode != tc.want {
			t.Errorf("%s: %s, want %s (update README's Bugs if CoreDNS changed)", tc.name, dns.RcodeToString[r.Rcode], dns.RcodeToString[tc.want])
		}
	}
	if hasA(t, udp, "odd.conf.test.") {
		t.Fatal("a malformed update changed the zone")
	}
}
