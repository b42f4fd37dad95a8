package grant

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/dyndns/dyndns/plugin/derive"
	"github.com/miekg/dns"
)

// FuzzParse checks that Parse never panics, leaves the policy unchanged on
// error, renders what it accepts in a form that parses back to the same
// policy, and that Permit never panics on what it accepted.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"* zonesub",
		"key acme name _acme-challenge.example.org TXT",
		"key Kea.Example zonesub A AAAA PTR TXT DHCID",
		"net 10.0.0.0/8 subdomain dyn.example.org ANY(3)",
		"net ::ffff:10.0.0.0/104 wildcard *.example.org A(1)",
		"* self . A",
		"* selfsub",
		"* selfwild . ANY",
		"* tcp-self . PTR(1) ANY(2) A",
		"* own-address A(1) AAAA(1) PTR(1)",
		"* zonesub TYPE65280",
		`* name a\.b.example.org`,
		"key",
		"net 10.0.0.0/33 zonesub",
		"* zonesub A(0)",
		"* zonesub A(1",
		"* own-address TXT",
		"* wildcard example.org",
		"* self example.org",
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	z := &fakeZone{
		types:  map[string][]uint16{"a.example.org.": {dns.TypeA, dns.TypeTXT, dns.TypeNS}},
		counts: map[string]int{"a.example.org./A": 2},
	}
	updates := []dns.RR{
		&dns.A{Hdr: dns.RR_Header{Name: "a.example.org.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: netip.MustParseAddr("10.0.0.1").AsSlice()},
		&dns.A{Hdr: dns.RR_Header{Name: "x-web-prod.example.org.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: netip.MustParseAddr("10.0.0.1").AsSlice()},
		&dns.PTR{Hdr: dns.RR_Header{Name: "1.0.0.10.in-addr.arpa.", Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 60}, Ptr: "a.example.org."},
		delSet("x-web-prod.example.org.", dns.TypeA),
		delName("a.example.org."),
		&dns.TXT{Hdr: dns.RR_Header{Name: "_acme-challenge.example.org.", Rrtype: dns.TypeTXT, Class: dns.ClassNONE}, Txt: []string{"x"}},
	}
	clients := []Client{
		{Addr: netip.MustParseAddr("10.0.0.1"), Key: "kea.example.", TCP: true},
		{Addr: netip.MustParseAddr("::ffff:10.0.0.1")},
		{},
	}
	rules := derive.Default()
	f.Fuzz(func(t *testing.T, line string, allow bool) {
		var p Policy
		if err := p.Parse([]string{"*", "zonesub"}, true); err != nil {
			t.Fatal(err)
		}
		before := p.String()
		if err := p.Parse(strings.Fields(line), allow); err != nil {
			if p.String() != before {
				t.Fatalf("failed Parse(%q) changed the policy to %q", line, p.String())
			}
			return
		}
		var back Policy
		for _, l := range strings.Split(p.String(), "\n") {
			fields := strings.Fields(l)
			if err := back.Parse(fields[1:], fields[0] == "grant"); err != nil {
				t.Fatalf("String %q of %q does not parse: %v", l, line, err)
			}
		}
		if back.String() != p.String() {
			t.Fatalf("round trip of %q: %q != %q", line, back.String(), p.String())
		}
		for _, zn := range []string{"example.org.", "10.in-addr.arpa.", "."} {
			for _, c := range clients {
				for i := range updates {
					p.Permit(zn, c, rules, updates[i:i+1], z)
				}
				p.Permit(zn, c, rules, updates, z)
				p.Permit(zn, c, nil, updates, nil)
			}
		}
	})
}
