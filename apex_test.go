package dyndns

import (
	"slices"
	"testing"

	"github.com/miekg/dns"
)

// A zone that starts without a zone file gets an apex a resolver can use:
// its name server's name and, when that name is inside the zone, its
// addresses (the block's bind addresses unless nameserver gives them).
func TestApexOfAZoneWithoutFile(t *testing.T) {
	for _, tc := range []struct {
		name, option, ns string
		glue             []string // the name server's addresses in the zone
	}{
		{"from bind", "", "ns1.apex.test.", []string{"127.0.0.1"}},
		{"named, with addresses", "nameserver ns 192.0.2.53 2001:db8::53", "ns.apex.test.", []string{"192.0.2.53", "2001:db8::53"}},
		{"outside the zone", "nameserver dns.example.net.", "dns.example.net.", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := startCaddy(t, `apex.test:0 {
				bind 127.0.0.1
				dyndns {
					`+tc.option+`
				}
			}`)
			defer shutdown(t, i)
			addr := udpOf(i)
			q := new(dns.Msg)
			q.SetQuestion("apex.test.", dns.TypeNS)
			r := exchange(t, "udp", addr, q)
			if len(r.Answer) != 1 || r.Answer[0].(*dns.NS).Ns != tc.ns {
				t.Fatalf("NS: %v, want %s", r.Answer, tc.ns)
			}
			var glue []string
			for _, typ := range []uint16{dns.TypeA, dns.TypeAAAA} {
				q.SetQuestion(tc.ns, typ)
				for _, rr := range exchange(t, "udp", addr, q).Answer {
					switch rr := rr.(type) {
					case *dns.A:
						glue = append(glue, rr.A.String())
					case *dns.AAAA:
						glue = append(glue, rr.AAAA.String())
					}
				}
			}
			if !slices.Equal(glue, tc.glue) {
				t.Errorf("the name server's addresses: %v, want %v", glue, tc.glue)
			}
		})
	}
}
