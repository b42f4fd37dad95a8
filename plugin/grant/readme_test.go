package grant

import (
	"os"
	"strings"
	"testing"

	"github.com/dyndns/dyndns/plugin/derive"
	"github.com/miekg/dns"
)

// TestREADME parses every grant and deny line of the README's Corefile
// examples, so that the documentation cannot drift from the parser.
func TestREADME(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	in := false
	for _, l := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(l, "~~~ corefile"):
			in = true
		case strings.HasPrefix(l, "~~~"):
			in = false
		case in:
			f := strings.Fields(l)
			if len(f) == 0 || (f[0] != "grant" && f[0] != "deny") {
				continue
			}
			var p Policy
			if err := p.Parse(f[1:], f[0] == "grant"); err != nil {
				t.Errorf("README line %q: %v", l, err)
			}
			n++
		}
	}
	if n < 5 {
		t.Errorf("found only %d grant/deny lines in the README", n)
	}
}

// TestExamples checks what the README's examples promise.
func TestExamples(t *testing.T) {
	rules := derive.Default()
	acme := policy(t, "grant key acme name _acme-challenge.example.org TXT", "grant key acme name _acme-challenge.www.example.org TXT")
	if ok, why := acme.Permit(zone, key("acme"), rules, rrs(`_acme-challenge.www.example.org. 60 IN TXT "token"`)(t), nil); !ok {
		t.Errorf("acme: %s", why)
	}
	if ok, _ := acme.Permit(zone, key("acme"), rules, rrs(`www.example.org. 60 IN A 192.0.2.66`)(t), nil); ok {
		t.Error("acme key may change www")
	}

	own := policy(t, "grant net 192.0.2.0/24 own-address A(1) AAAA(1) PTR(1)")
	c := from("192.0.2.10")
	z := &fakeZone{counts: map[string]int{"cyberdyne-web-prod.example.org./A": 1, "10.2.0.192.in-addr.arpa./PTR": 1}}
	fwd := []dns.RR{delSet("cyberdyne-web-prod.example.org.", dns.TypeA), add(t, "cyberdyne-web-prod.example.org. 60 A 192.0.2.10")}
	if ok, why := own.Permit(zone, c, rules, fwd, z); !ok {
		t.Errorf("own-address forward: %s", why)
	}
	rev := []dns.RR{delSet("10.2.0.192.in-addr.arpa.", dns.TypePTR), add(t, "10.2.0.192.in-addr.arpa. 60 PTR cyberdyne-web-prod.example.org.")}
	if ok, why := own.Permit("2.0.192.in-addr.arpa.", c, rules, rev, z); !ok {
		t.Errorf("own-address reverse: %s", why)
	}

	kea := policy(t, "deny key kea name gateway.example.org", "grant key kea zonesub A AAAA PTR DHCID TXT", "grant key ops zonesub ANY")
	if ok, why := kea.Permit(zone, key("kea"), rules, rrs("host.example.org. 60 A 192.0.2.77", "host.example.org. 60 DHCID AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=")(t), nil); !ok {
		t.Errorf("kea: %s", why)
	}
	for _, s := range []string{"gateway.example.org. 60 A 192.0.2.1", "example.org. 60 NS ns.example.net."} {
		if ok, _ := kea.Permit(zone, key("kea"), rules, rrs(s)(t), nil); ok {
			t.Errorf("kea may add %s", s)
		}
		if ok, why := kea.Permit(zone, key("ops"), rules, rrs(s)(t), nil); !ok {
			t.Errorf("ops may not add %s: %s", s, why)
		}
	}
}
