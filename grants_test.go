package dyndns

import (
	"testing"

	"github.com/miekg/dns"
)

// Grants over real sockets: own-address lets a host register itself and
// nobody else, over UDP and TCP; tcp-self wants TCP.
func TestGrants(t *testing.T) {
	i := startInstance(t, `grants.test:0 127.in-addr.arpa:0 {
		bind 127.0.0.1
		dyndns {
			allow-update 127.0.0.1
			grant * own-address
			grant * tcp-self . TXT
		}
	}`)
	udp, tcp := udpOf(i), i.Servers()[0].Addr().String()
	for _, tc := range []struct {
		name, net, zone, rr string
		want                int
	}{
		{"own A over UDP", "udp", "grants.test.", "a-web-prod.grants.test. 60 IN A 127.0.0.1", dns.RcodeSuccess},
		{"own A over TCP", "tcp", "grants.test.", "b-web-prod.grants.test. 60 IN A 127.0.0.1", dns.RcodeSuccess},
		{"another address", "udp", "grants.test.", "c-web-prod.grants.test. 60 IN A 127.0.0.2", dns.RcodeRefused},
		{"another address over TCP", "tcp", "grants.test.", "c-web-prod.grants.test. 60 IN A 127.0.0.2", dns.RcodeRefused},
		{"a name off the convention", "udp", "grants.test.", "plain.grants.test. 60 IN A 127.0.0.1", dns.RcodeRefused},
		{"a type own-address does not cover", "udp", "grants.test.", `a-web-prod.grants.test. 60 IN TXT "x"`, dns.RcodeRefused},
		{"own PTR", "udp", "127.in-addr.arpa.", "1.0.0.127.in-addr.arpa. 60 IN PTR a-web-prod.grants.test.", dns.RcodeSuccess},
		{"another address's PTR", "udp", "127.in-addr.arpa.", "2.0.0.127.in-addr.arpa. 60 IN PTR a-web-prod.grants.test.", dns.RcodeRefused},
		{"tcp-self over UDP", "udp", "127.in-addr.arpa.", `1.0.0.127.in-addr.arpa. 60 IN TXT "x"`, dns.RcodeRefused},
		{"tcp-self over TCP", "tcp", "127.in-addr.arpa.", `1.0.0.127.in-addr.arpa. 60 IN TXT "x"`, dns.RcodeSuccess},
	} {
		addr := udp
		if tc.net == "tcp" {
			addr = tcp
		}
		if r := exchange(t, tc.net, addr, updateMsg(tc.zone, nil, tc.rr)); r.Rcode != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, dns.RcodeToString[r.Rcode], dns.RcodeToString[tc.want])
		}
	}
	// A refused message changes nothing, not even its permitted records.
	m := updateMsg("grants.test.", nil, "d-web-prod.grants.test. 60 IN A 127.0.0.1", "e-web-prod.grants.test. 60 IN A 127.0.0.3")
	if r := exchange(t, "udp", udp, m); r.Rcode != dns.RcodeRefused {
		t.Fatalf("mixed message: %s", dns.RcodeToString[r.Rcode])
	}
	if rc, _ := rcodeOf(t, udp, "d-web-prod.grants.test."); rc != dns.RcodeNameError {
		t.Error("a refused message was applied in part")
	}
	// The seed client's re-registration: delete the host's A RRset, add its own address.
	rereg := updateMsg("grants.test.", nil, "a-web-prod.grants.test. 60 IN A 127.0.0.1")
	rereg.RemoveRRset([]dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "a-web-prod.grants.test.", Rrtype: dns.TypeA, Class: dns.ClassINET}}})
	rereg.Ns = append(rereg.Ns[1:], rereg.Ns[0]) // delete first, then add
	if r := exchange(t, "udp", udp, rereg); r.Rcode != dns.RcodeSuccess {
		t.Errorf("re-registration: %s", dns.RcodeToString[r.Rcode])
	}
	// Deleting another host's RRset is refused.
	del := updateMsg("grants.test.", nil)
	del.RemoveRRset([]dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "b-web-prod.grants.test.", Rrtype: dns.TypeA, Class: dns.ClassINET}}})
	if r := exchange(t, "udp", udp, del); r.Rcode != dns.RcodeRefused {
		t.Errorf("deleting another host: %s", dns.RcodeToString[r.Rcode])
	}
}
