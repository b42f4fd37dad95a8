package grant

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/dyndns/dyndns/plugin/derive"
	"github.com/miekg/dns"
)

var _ Deriver = (*derive.Rules)(nil)

// fakeZone answers Types from types and Count from counts ("name/TYPE").
type fakeZone struct {
	types  map[string][]uint16
	counts map[string]int
}

func (z *fakeZone) Types(name string) []uint16 { return z.types[name] }

func (z *fakeZone) Count(name string, typ uint16) int {
	return z.counts[name+"/"+dns.TypeToString[typ]]
}

// add parses a record to add (class IN).
func add(t testing.TB, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatalf("NewRR(%q): %v", s, err)
	}
	return rr
}

// del is a class NONE delete of one record.
func del(t testing.TB, s string) dns.RR {
	rr := add(t, s)
	rr.Header().Class = dns.ClassNONE
	rr.Header().Ttl = 0
	return rr
}

// delSet is a class ANY delete of the RRset of type typ at name.
func delSet(name string, typ uint16) dns.RR {
	return &dns.ANY{Hdr: dns.RR_Header{Name: name, Rrtype: typ, Class: dns.ClassANY}}
}

// delName is a class ANY delete of every RRset at name.
func delName(name string) dns.RR { return delSet(name, dns.TypeANY) }

// policy parses lines such as "grant * zonesub".
func policy(t testing.TB, lines ...string) *Policy {
	t.Helper()
	var p Policy
	for _, l := range lines {
		f := strings.Fields(l)
		if err := p.Parse(f[1:], strings.EqualFold(f[0], "grant")); err != nil {
			t.Fatalf("Parse(%q): %v", l, err)
		}
	}
	return &p
}

func key(k string) Client { return Client{Addr: netip.MustParseAddr("192.0.2.1"), Key: k} }

func from(addr string) Client { return Client{Addr: netip.MustParseAddr(addr)} }

func tcp(addr string) Client { return Client{Addr: netip.MustParseAddr(addr), TCP: true} }

const zone = "example.org."

type permitCase struct {
	name    string
	lines   []string
	zone    string // default: zone
	client  Client
	updates func(t testing.TB) []dns.RR
	z       *fakeZone
	want    bool
	why     string // substring of the refusal
}

func rrs(ss ...string) func(t testing.TB) []dns.RR {
	return func(t testing.TB) []dns.RR {
		out := make([]dns.RR, len(ss))
		for i, s := range ss {
			out[i] = add(t, s)
		}
		return out
	}
}

func runPermit(t *testing.T, tests []permitCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := policy(t, tc.lines...)
			z := tc.z
			if z == nil {
				z = &fakeZone{}
			}
			zn := tc.zone
			if zn == "" {
				zn = zone
			}
			ok, why := p.Permit(zn, tc.client, derive.Default(), tc.updates(t), z)
			if ok != tc.want {
				t.Fatalf("%s\nPermit = %v (%q), want %v", p, ok, why, tc.want)
			}
			if ok && why != "" {
				t.Errorf("permitted with why %q", why)
			}
			if !ok && !strings.Contains(why, tc.why) {
				t.Errorf("why = %q, want it to contain %q", why, tc.why)
			}
		})
	}
}

func TestRules(t *testing.T) {
	acme := "grant key acme name _acme-challenge.example.org TXT"
	runPermit(t, []permitCase{
		// name
		{"name: match", []string{acme}, "", key("acme."), rrs(`_acme-challenge.example.org. 60 IN TXT "x"`), nil, true, ""},
		{"name: key case and dot", []string{acme}, "", key("ACME"), rrs(`_ACME-Challenge.Example.ORG. 60 IN TXT "x"`), nil, true, ""},
		{"name: line key case", []string{"grant key ACME.Example name a.example.org"}, "", key("acme.example."), rrs(`a.example.org. 60 IN TXT "x"`), nil, true, ""},
		{"name: other name", []string{acme}, "", key("acme."), rrs(`www.example.org. 60 IN TXT "x"`), nil, false, "add TXT at www.example.org.: no grant line matches"},
		{"name: below name", []string{acme}, "", key("acme."), rrs(`a._acme-challenge.example.org. 60 IN TXT "x"`), nil, false, "no grant"},
		{"name: other type", []string{acme}, "", key("acme."), rrs(`_acme-challenge.example.org. 60 IN A 192.0.2.1`), nil, false, "add A at"},
		{"name: other key", []string{acme}, "", key("other."), rrs(`_acme-challenge.example.org. 60 IN TXT "x"`), nil, false, "no grant"},
		{"name: unsigned", []string{acme}, "", from("192.0.2.1"), rrs(`_acme-challenge.example.org. 60 IN TXT "x"`), nil, false, "no grant"},
		{"name: key prefix is no match", []string{acme}, "", key("acme.example."), rrs(`_acme-challenge.example.org. 60 IN TXT "x"`), nil, false, "no grant"},
		{"name: anyone unsigned", []string{"grant * name a.example.org"}, "", from("198.51.100.7"), rrs(`a.example.org. 60 IN TXT "x"`), nil, true, ""},
		{"name: literal wildcard", []string{"grant * name *.example.org"}, "", from("192.0.2.1"), rrs(`a.example.org. 60 IN TXT "x"`), nil, false, "no grant"},
		{"name: literal wildcard owner", []string{"grant * name *.example.org"}, "", from("192.0.2.1"), rrs(`*.example.org. 60 IN TXT "x"`), nil, true, ""},

		// subdomain
		{"subdomain: the name", []string{"grant * subdomain dyn.example.org"}, "", from("192.0.2.1"), rrs(`dyn.example.org. 60 IN A 192.0.2.1`), nil, true, ""},
		{"subdomain: below", []string{"grant * subdomain dyn.example.org"}, "", from("192.0.2.1"), rrs(`a.b.dyn.example.org. 60 IN A 192.0.2.1`), nil, true, ""},
		{"subdomain: sibling", []string{"grant * subdomain dyn.example.org"}, "", from("192.0.2.1"), rrs(`www.example.org. 60 IN A 192.0.2.1`), nil, false, "no grant"},
		{"subdomain: label suffix", []string{"grant * subdomain dyn.example.org"}, "", from("192.0.2.1"), rrs(`xdyn.example.org. 60 IN A 192.0.2.1`), nil, false, "no grant"},
		{"subdomain: escaped dot", []string{"grant * subdomain dyn.example.org"}, "", from("192.0.2.1"), rrs(`a\.dyn.example.org. 60 IN A 192.0.2.1`), nil, false, "no grant"},
		{"subdomain: parent", []string{"grant * subdomain dyn.example.org"}, "", from("192.0.2.1"), rrs(`example.org. 60 IN TXT "x"`), nil, false, "no grant"},

		// zonesub
		{"zonesub: apex", []string{"grant key kea zonesub"}, "", key("kea."), rrs(`example.org. 60 IN TXT "x"`), nil, true, ""},
		{"zonesub: below", []string{"grant key kea zonesub"}, "", key("kea."), rrs(`a.b.example.org. 60 IN A 192.0.2.9`), nil, true, ""},
		{"zonesub: zone case", []string{"grant key kea zonesub"}, "Example.Org", key("kea."), rrs(`a.example.org. 60 IN A 192.0.2.9`), nil, true, ""},
		{"zonesub: other zone", []string{"grant key kea zonesub"}, "", key("kea."), rrs(`a.example.net. 60 IN A 192.0.2.9`), nil, false, "no grant"},
		{"zonesub: default types skip NS", []string{"grant key kea zonesub"}, "", key("kea."), rrs(`sub.example.org. 60 IN NS ns.example.net.`), nil, false, "add NS"},
		{"zonesub: default types skip SOA", []string{"grant key kea zonesub"}, "", key("kea."), rrs(`example.org. 60 IN SOA ns.example.org. h.example.org. 9 1 1 1 1`), nil, false, "add SOA"},
		{"zonesub: reverse zone", []string{"grant key kea zonesub PTR"}, "2.0.192.in-addr.arpa.", key("kea."), rrs(`9.2.0.192.in-addr.arpa. 60 IN PTR h.example.org.`), nil, true, ""},

		// wildcard
		{"wildcard: one label", []string{"grant * wildcard *.dyn.example.org"}, "", from("192.0.2.1"), rrs(`a.dyn.example.org. 60 IN A 192.0.2.1`), nil, true, ""},
		{"wildcard: deeper", []string{"grant * wildcard *.dyn.example.org"}, "", from("192.0.2.1"), rrs(`a.b.dyn.example.org. 60 IN A 192.0.2.1`), nil, true, ""},
		{"wildcard: literal", []string{"grant * wildcard *.dyn.example.org"}, "", from("192.0.2.1"), rrs(`*.dyn.example.org. 60 IN A 192.0.2.1`), nil, true, ""},
		{"wildcard: not the parent", []string{"grant * wildcard *.dyn.example.org"}, "", from("192.0.2.1"), rrs(`dyn.example.org. 60 IN A 192.0.2.1`), nil, false, "no grant"},
		{"wildcard: sibling", []string{"grant * wildcard *.dyn.example.org"}, "", from("192.0.2.1"), rrs(`a.example.org. 60 IN A 192.0.2.1`), nil, false, "no grant"},
		{"wildcard: root", []string{"grant * wildcard *"}, "", from("192.0.2.1"), rrs(`a.example.org. 60 IN A 192.0.2.1`), nil, true, ""},

		// self
		{"self: key's name", []string{"grant * self . A"}, "", key("h1.example.org."), rrs(`h1.example.org. 60 IN A 192.0.2.1`), nil, true, ""},
		{"self: key case", []string{"grant * self A"}, "", key("H1.EXAMPLE.ORG"), rrs(`h1.example.org. 60 IN A 192.0.2.1`), nil, true, ""},
		{"self: other name", []string{"grant * self A"}, "", key("h1.example.org."), rrs(`h2.example.org. 60 IN A 192.0.2.1`), nil, false, "no grant"},
		{"self: below", []string{"grant * self A"}, "", key("h1.example.org."), rrs(`a.h1.example.org. 60 IN A 192.0.2.1`), nil, false, "no grant"},
		{"self: unsigned", []string{"grant * self A"}, "", from("192.0.2.1"), rrs(`h1.example.org. 60 IN A 192.0.2.1`), nil, false, "no grant"},
		{"self: net identity still needs a key", []string{"grant net 192.0.2.0/24 self"}, "", from("192.0.2.1"), rrs(`h1.example.org. 60 IN A 192.0.2.1`), nil, false, "no grant"},
		{"self: key identity", []string{"grant key h1.example.org self"}, "", key("h1.example.org."), rrs(`h1.example.org. 60 IN A 192.0.2.1`), nil, true, ""},
		{"self: key identity, other key", []string{"grant key h1.example.org self"}, "", key("h2.example.org."), rrs(`h2.example.org. 60 IN A 192.0.2.1`), nil, false, "no grant"},

		// selfsub
		{"selfsub: key's name", []string{"grant * selfsub"}, "", key("h1.example.org."), rrs(`h1.example.org. 60 IN A 192.0.2.1`), nil, true, ""},
		{"selfsub: below", []string{"grant * selfsub"}, "", key("h1.example.org."), rrs(`_x._tcp.h1.example.org. 60 IN SRV 0 0 1 h1.example.org.`), nil, true, ""},
		{"selfsub: other", []string{"grant * selfsub"}, "", key("h1.example.org."), rrs(`h2.example.org. 60 IN A 192.0.2.1`), nil, false, "no grant"},
		{"selfsub: unsigned", []string{"grant * selfsub"}, "", from("192.0.2.1"), rrs(`h1.example.org. 60 IN A 192.0.2.1`), nil, false, "no grant"},

		// selfwild
		{"selfwild: not the key's name", []string{"grant * selfwild"}, "", key("h1.example.org."), rrs(`h1.example.org. 60 IN A 192.0.2.1`), nil, false, "no grant"},
		{"selfwild: one below", []string{"grant * selfwild ."}, "", key("h1.example.org."), rrs(`a.h1.example.org. 60 IN A 192.0.2.1`), nil, true, ""},
		{"selfwild: deeper", []string{"grant * selfwild"}, "", key("h1.example.org."), rrs(`a.b.h1.example.org. 60 IN A 192.0.2.1`), nil, true, ""},
		{"selfwild: other", []string{"grant * selfwild"}, "", key("h1.example.org."), rrs(`a.h2.example.org. 60 IN A 192.0.2.1`), nil, false, "no grant"},

		// tcp-self
		{"tcp-self: udp", []string{"grant * tcp-self . PTR"}, "2.0.192.in-addr.arpa.", from("192.0.2.9"), rrs(`9.2.0.192.in-addr.arpa. 60 IN PTR h.example.org.`), nil, false, "no grant"},
		{"tcp-self: tcp", []string{"grant * tcp-self . PTR"}, "2.0.192.in-addr.arpa.", tcp("192.0.2.9"), rrs(`9.2.0.192.in-addr.arpa. 60 IN PTR h.example.org.`), nil, true, ""},
		{"tcp-self: mapped client", []string{"grant * tcp-self PTR"}, "2.0.192.in-addr.arpa.", tcp("::ffff:192.0.2.9"), rrs(`9.2.0.192.in-addr.arpa. 60 IN PTR h.example.org.`), nil, true, ""},
		{"tcp-self: other address", []string{"grant * tcp-self PTR"}, "2.0.192.in-addr.arpa.", tcp("192.0.2.8"), rrs(`9.2.0.192.in-addr.arpa. 60 IN PTR h.example.org.`), nil, false, "no grant"},
		{"tcp-self: v6", []string{"grant * tcp-self PTR"}, "8.b.d.0.1.0.0.2.ip6.arpa.", tcp("2001:db8::1"),
			rrs(`1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 60 IN PTR h.example.org.`), nil, true, ""},
		{"tcp-self: default types", []string{"grant * tcp-self"}, "2.0.192.in-addr.arpa.", tcp("192.0.2.9"), rrs(`9.2.0.192.in-addr.arpa. 60 IN TXT "x"`), nil, true, ""},
		{"tcp-self: type list", []string{"grant * tcp-self PTR"}, "2.0.192.in-addr.arpa.", tcp("192.0.2.9"), rrs(`9.2.0.192.in-addr.arpa. 60 IN TXT "x"`), nil, false, "add TXT"},
		{"tcp-self: net identity", []string{"grant net 192.0.2.0/28 tcp-self PTR"}, "2.0.192.in-addr.arpa.", tcp("192.0.2.99"), rrs(`99.2.0.192.in-addr.arpa. 60 IN PTR h.example.org.`), nil, false, "no grant"},

		// identities
		{"net: inside", []string{"grant net 10.0.0.0/8 zonesub"}, "", from("10.1.2.3"), rrs(`a.example.org. 60 IN A 10.1.2.3`), nil, true, ""},
		{"net: outside", []string{"grant net 10.0.0.0/8 zonesub"}, "", from("11.1.2.3"), rrs(`a.example.org. 60 IN A 10.1.2.3`), nil, false, "no grant"},
		{"net: mapped client", []string{"grant net 10.0.0.0/8 zonesub"}, "", from("::ffff:10.1.2.3"), rrs(`a.example.org. 60 IN A 10.1.2.3`), nil, true, ""},
		{"net: zoned client", []string{"grant net fe80::/10 zonesub"}, "", from("fe80::1%eth0"), rrs(`a.example.org. 60 IN A 10.1.2.3`), nil, true, ""},
		{"net: no address", []string{"grant net 0.0.0.0/0 zonesub"}, "", Client{}, rrs(`a.example.org. 60 IN A 10.1.2.3`), nil, false, "no grant"},
		{"net: single address", []string{"grant net 10.0.0.1 zonesub"}, "", from("10.0.0.1"), rrs(`a.example.org. 60 IN A 10.1.2.3`), nil, true, ""},
		{"*: no address", []string{"grant * zonesub"}, "", Client{}, rrs(`a.example.org. 60 IN A 10.1.2.3`), nil, true, ""},
	})
}

func TestOrder(t *testing.T) {
	runPermit(t, []permitCase{
		{"deny before grant", []string{"deny key k name secret.example.org", "grant key k zonesub"}, "", key("k."),
			rrs(`secret.example.org. 60 IN TXT "x"`), nil, false, `refused by "deny key k. name secret.example.org."`},
		{"deny before grant, others pass", []string{"deny key k name secret.example.org", "grant key k zonesub"}, "", key("k."),
			rrs(`public.example.org. 60 IN TXT "x"`), nil, true, ""},
		{"grant before deny wins", []string{"grant key k zonesub", "deny key k name secret.example.org"}, "", key("k."),
			rrs(`secret.example.org. 60 IN TXT "x"`), nil, true, ""},
		{"deny of another type falls through", []string{"deny * zonesub NS", "grant * zonesub ANY"}, "", key("k."),
			rrs(`a.example.org. 60 IN TXT "x"`), nil, true, ""},
		{"deny of another type applies to it", []string{"deny * zonesub NS", "grant * zonesub ANY"}, "", key("k."),
			rrs(`a.example.org. 60 IN NS ns.example.net.`), nil, false, "refused by"},
		{"deny of another identity falls through", []string{"deny net 10.0.0.0/8 zonesub", "grant * zonesub"}, "", from("192.0.2.1"),
			rrs(`a.example.org. 60 IN TXT "x"`), nil, true, ""},
		{"deny by identity", []string{"deny net 10.0.0.0/8 zonesub", "grant * zonesub"}, "", from("10.0.0.1"),
			rrs(`a.example.org. 60 IN TXT "x"`), nil, false, "refused by"},
		{"one refused record refuses all", []string{"grant * name a.example.org"}, "", key("k."),
			rrs(`a.example.org. 60 IN TXT "x"`, `b.example.org. 60 IN TXT "x"`), nil, false, "b.example.org."},
		{"every record checked", []string{"grant * name a.example.org", "grant * name b.example.org"}, "", key("k."),
			rrs(`a.example.org. 60 IN TXT "x"`, `b.example.org. 60 IN TXT "x"`), nil, true, ""},
		{"empty update", []string{"deny * zonesub"}, "", key("k."), rrs(), nil, true, ""},
	})
}

func TestTypes(t *testing.T) {
	runPermit(t, []permitCase{
		{"list: listed", []string{"grant * zonesub A AAAA"}, "", key("k."), rrs(`a.example.org. 60 IN AAAA 2001:db8::1`), nil, true, ""},
		{"list: not listed", []string{"grant * zonesub A AAAA"}, "", key("k."), rrs(`a.example.org. 60 IN TXT "x"`), nil, false, "add TXT"},
		{"list: case", []string{"grant * zonesub txt"}, "", key("k."), rrs(`a.example.org. 60 IN TXT "x"`), nil, true, ""},
		{"list: generic", []string{"grant * zonesub TYPE16"}, "", key("k."), rrs(`a.example.org. 60 IN TXT "x"`), nil, true, ""},
		{"default: TXT", []string{"grant * zonesub"}, "", key("k."), rrs(`a.example.org. 60 IN TXT "x"`), nil, true, ""},
		{"default: DS", []string{"grant * zonesub"}, "", key("k."), rrs(`a.example.org. 60 IN DS 1 8 2 aabb`), nil, true, ""},
		{"default: no NS", []string{"grant * zonesub"}, "", key("k."), rrs(`a.example.org. 60 IN NS ns.example.net.`), nil, false, "add NS"},
		{"default: no RRSIG", []string{"grant * zonesub"}, "", key("k."), rrs(`a.example.org. 60 IN RRSIG A 8 3 60 20300101000000 20200101000000 1 example.org. aaaa`), nil, false, "add RRSIG"},
		{"default: no NSEC", []string{"grant * zonesub"}, "", key("k."), rrs(`a.example.org. 60 IN NSEC b.example.org. A`), nil, false, "add NSEC"},
		{"default: no NSEC3", []string{"grant * zonesub"}, "", key("k."), rrs(`a.example.org. 60 IN NSEC3 1 0 0 - 2vptu5timamqttgl4luu9kg21e0aor3s A`), nil, false, "add NSEC3"},
		{"ANY: NS", []string{"grant * zonesub ANY"}, "", key("k."), rrs(`a.example.org. 60 IN NS ns.example.net.`), nil, true, ""},
		{"ANY: SOA", []string{"grant * zonesub ANY"}, "", key("k."), rrs(`example.org. 60 IN SOA ns.example.org. h.example.org. 9 1 1 1 1`), nil, true, ""},
		{"ANY: RRSIG", []string{"grant * zonesub ANY"}, "", key("k."), rrs(`a.example.org. 60 IN RRSIG A 8 3 60 20300101000000 20200101000000 1 example.org. aaaa`), nil, true, ""},
		{"ANY: no NSEC", []string{"grant * zonesub ANY"}, "", key("k."), rrs(`a.example.org. 60 IN NSEC b.example.org. A`), nil, false, "add NSEC"},
		{"ANY: no NSEC3", []string{"grant * zonesub ANY"}, "", key("k."), rrs(`a.example.org. 60 IN NSEC3 1 0 0 - 2vptu5timamqttgl4luu9kg21e0aor3s A`), nil, false, "add NSEC3"},
		{"NS listed", []string{"grant * zonesub NS"}, "", key("k."), rrs(`a.example.org. 60 IN NS ns.example.net.`), nil, true, ""},
		{"delete one: type list", []string{"grant * zonesub A"}, "", key("k."),
			func(t testing.TB) []dns.RR { return []dns.RR{del(t, `a.example.org. 0 IN TXT "x"`)} }, nil, false, "delete TXT at a.example.org."},
		{"delete RRset: type list", []string{"grant * zonesub A"}, "", key("k."),
			func(t testing.TB) []dns.RR { return []dns.RR{delSet("a.example.org.", dns.TypeTXT)} }, nil, false, "delete TXT RRset at a.example.org."},
		{"delete RRset: granted", []string{"grant * zonesub A"}, "", key("k."),
			func(t testing.TB) []dns.RR { return []dns.RR{delSet("A.example.org.", dns.TypeA)} }, nil, true, ""},
	})
}

func TestNameDelete(t *testing.T) {
	z := &fakeZone{types: map[string][]uint16{
		"a.example.org.": {dns.TypeA, dns.TypeTXT},
		"example.org.":   {dns.TypeSOA, dns.TypeNS, dns.TypeTXT},
		"s.example.org.": {dns.TypeA, dns.TypeRRSIG, dns.TypeNSEC},
		"d.example.org.": {dns.TypeNS, dns.TypeDS},
	}}
	name := func(n string) func(testing.TB) []dns.RR {
		return func(testing.TB) []dns.RR { return []dns.RR{delName(n)} }
	}
	runPermit(t, []permitCase{
		{"every type covered", []string{"grant * zonesub"}, "", key("k."), name("a.example.org."), z, true, ""},
		{"a type not covered", []string{"grant * zonesub A"}, "", key("k."), name("a.example.org."), z, false, "delete TXT RRset at a.example.org."},
		{"a type denied", []string{"deny * zonesub TXT", "grant * zonesub"}, "", key("k."), name("a.example.org."), z, false, "refused by"},
		{"empty name", []string{"grant * name a.example.org"}, "", key("k."), name("b.example.org."), z, true, ""},
		{"apex keeps SOA and NS", []string{"grant * zonesub TXT"}, "", key("k."), name("example.org."), z, true, ""},
		{"RRSIG and NSEC skipped", []string{"grant * zonesub A"}, "", key("k."), name("s.example.org."), z, true, ""},
		{"delegation NS checked", []string{"grant * zonesub"}, "", key("k."), name("d.example.org."), z, false, "delete NS RRset"},
		{"delegation NS granted", []string{"grant * zonesub ANY"}, "", key("k."), name("d.example.org."), z, true, ""},
		{"case", []string{"grant * zonesub"}, "", key("k."), name("A.Example.Org."), z, true, ""},
	})
}

func TestCaps(t *testing.T) {
	one := &fakeZone{counts: map[string]int{"a.example.org./A": 1, "a.example.org./AAAA": 2}}
	two := &fakeZone{counts: map[string]int{"a.example.org./A": 2, "a.example.org./AAAA": 3}}
	addA := rrs(`a.example.org. 60 IN A 192.0.2.1`)
	addAAAA := rrs(`a.example.org. 60 IN AAAA 2001:db8::1`)
	runPermit(t, []permitCase{
		{"within", []string{"grant * zonesub A(1)"}, "", key("k."), addA, one, true, ""},
		{"over", []string{"grant * zonesub A(1)"}, "", key("k."), addA, two, false, `would leave 2 A records, over the cap of 1 of "grant * zonesub A(1)"`},
		{"other type uncapped", []string{"grant * zonesub A(1) AAAA"}, "", key("k."), addAAAA, two, true, ""},
		{"delete not capped", []string{"grant * zonesub A(1)"}, "", key("k."),
			func(t testing.TB) []dns.RR { return []dns.RR{del(t, "a.example.org. 0 IN A 192.0.2.9")} }, two, true, ""},
		{"ANY cap", []string{"grant * zonesub ANY(2)"}, "", key("k."), addAAAA, two, false, "over the cap of 2"},
		{"ANY cap within", []string{"grant * zonesub ANY(2)"}, "", key("k."), addAAAA, one, true, ""},
		// BIND's "PTR(1) ANY(2) A": a type listed by name uses its own cap.
		{"listed type beats ANY cap", []string{"grant * zonesub ANY(2) A"}, "", key("k."), addA, &fakeZone{counts: map[string]int{"a.example.org./A": 3}}, true, ""},
		{"listed type own cap", []string{"grant * zonesub ANY(5) A(1)"}, "", key("k."), addA, two, false, "cap of 1"},
		{"cap of the matching line", []string{"grant * name a.example.org A", "grant * zonesub A(1)"}, "", key("k."), addA, two, true, ""},
		{"no zone", []string{"grant * zonesub A(1)"}, "", key("k."), addA, nil, true, ""}, // fakeZone{} counts 0
	})
	p := policy(t, "grant * zonesub A(1)")
	if ok, why := p.Permit(zone, key("k."), nil, addA(t), nil); ok || !strings.Contains(why, "no zone") {
		t.Errorf("nil zone with a cap: Permit = %v, %q", ok, why)
	}
	if ok, why := p.Permit(zone, key("k."), nil, []dns.RR{delName("a.example.org.")}, nil); ok || !strings.Contains(why, "no zone") {
		t.Errorf("nil zone with a name delete: Permit = %v, %q", ok, why)
	}
	if ok, _ := policy(t, "grant * zonesub A").Permit(zone, key("k."), nil, addA(t), nil); !ok {
		t.Error("nil zone without caps refused")
	}
}

func TestOwnAddress(t *testing.T) {
	own := []string{"grant * own-address"}
	const host = "cyberdyne-web-prod.example.org."
	const rev4 = "2.0.192.in-addr.arpa."
	const rev6 = "8.b.d.0.1.0.0.2.ip6.arpa."
	const ptr6 = "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
	list := func(f func(t testing.TB) []dns.RR) func(t testing.TB) []dns.RR { return f }
	runPermit(t, []permitCase{
		{"own A", own, "", from("192.0.2.10"), rrs(host + " 60 IN A 192.0.2.10"), nil, true, ""},
		{"own A, mapped client", own, "", from("::ffff:192.0.2.10"), rrs(host + " 60 IN A 192.0.2.10"), nil, true, ""},
		{"own A over TCP", own, "", tcp("192.0.2.10"), rrs(host + " 60 IN A 192.0.2.10"), nil, true, ""},
		{"own A, owner case", own, "", from("192.0.2.10"), rrs("CyberDyne-Web-Prod.Example.Org. 60 IN A 192.0.2.10"), nil, true, ""},
		{"another address", own, "", from("192.0.2.10"), rrs(host + " 60 IN A 192.0.2.11"), nil, false, "add A at " + host + ": no grant line matches"},
		{"own and another address", own, "", from("192.0.2.10"), rrs(host+" 60 IN A 192.0.2.10", host+" 60 IN A 192.0.2.11"), nil, false, "no grant"},
		{"AAAA from IPv4 client", own, "", from("192.0.2.10"), rrs(host + " 60 IN AAAA ::ffff:192.0.2.10"), nil, false, "add AAAA"},
		{"own AAAA", own, "", from("2001:db8::5"), rrs(host + " 60 IN AAAA 2001:db8::5"), nil, true, ""},
		{"own AAAA, zoned client", own, "", from("fe80::5%eth0"), rrs(host + " 60 IN AAAA fe80::5"), nil, true, ""},
		{"another AAAA", own, "", from("2001:db8::5"), rrs(host + " 60 IN AAAA 2001:db8::6"), nil, false, "no grant"},
		{"A from IPv6 client", own, "", from("2001:db8::5"), rrs(host + " 60 IN A 192.0.2.10"), nil, false, "no grant"},
		{"no address", own, "", Client{}, rrs(host + " 60 IN A 192.0.2.10"), nil, false, "no grant"},
		{"not the convention", own, "", from("192.0.2.10"), rrs("web.example.org. 60 IN A 192.0.2.10"), nil, false, "no grant"},
		{"empty part", own, "", from("192.0.2.10"), rrs("a--b.example.org. 60 IN A 192.0.2.10"), nil, false, "no grant"},
		{"not directly below the apex", own, "", from("192.0.2.10"), rrs("x." + host + " 60 IN A 192.0.2.10"), nil, false, "no grant"},
		{"the apex", own, "", from("192.0.2.10"), rrs("example.org. 60 IN A 192.0.2.10"), nil, false, "no grant"},
		{"other zone", own, "", from("192.0.2.10"), rrs("cyberdyne-web-prod.example.net. 60 IN A 192.0.2.10"), nil, false, "no grant"},
		{"own TXT", own, "", from("192.0.2.10"), rrs(host + ` 60 IN TXT "x"`), nil, false, "add TXT"},
		{"own PTR", own, rev4, from("192.0.2.10"), rrs("10." + rev4 + " 60 IN PTR " + host), nil, true, ""},
		{"own PTR, any target", own, rev4, from("192.0.2.10"), rrs("10." + rev4 + " 60 IN PTR www.example.com."), nil, true, ""},
		{"PTR of another address", own, rev4, from("192.0.2.10"), rrs("11." + rev4 + " 60 IN PTR " + host), nil, false, "add PTR at 11." + rev4},
		{"own PTR v6", own, rev6, from("2001:db8::5"), rrs(ptr6 + " 60 IN PTR " + host), nil, true, ""},
		{"PTR v6 of another address", own, rev6, from("2001:db8::6"), rrs(ptr6 + " 60 IN PTR " + host), nil, false, "no grant"},
		{"TXT at own reverse name", own, rev4, from("192.0.2.10"), rrs("10." + rev4 + ` 60 IN TXT "x"`), nil, false, "add TXT"},
		{"re-registration", own, "", from("192.0.2.10"), list(func(t testing.TB) []dns.RR {
			return []dns.RR{delSet(host, dns.TypeA), add(t, host+" 60 IN A 192.0.2.10")}
		}), nil, true, ""},
		{"re-registration, AAAA RRset", own, "", from("192.0.2.10"), list(func(t testing.TB) []dns.RR {
			return []dns.RR{delSet(host, dns.TypeAAAA), add(t, host+" 60 IN A 192.0.2.10")}
		}), nil, true, ""},
		{"re-registration, v6", own, "", from("2001:db8::5"), list(func(t testing.TB) []dns.RR {
			return []dns.RR{delSet(host, dns.TypeAAAA), add(t, host+" 60 IN AAAA 2001:db8::5")}
		}), nil, true, ""},
		{"bare delete of a host's A RRset", own, "", from("192.0.2.10"), list(func(t testing.TB) []dns.RR {
			return []dns.RR{delSet("skynet-db-prod.example.org.", dns.TypeA)}
		}), nil, false, "delete A RRset at skynet-db-prod.example.org."},
		{"delete A RRset, add at another name", own, "", from("192.0.2.10"), list(func(t testing.TB) []dns.RR {
			return []dns.RR{delSet("skynet-db-prod.example.org.", dns.TypeA), add(t, host+" 60 IN A 192.0.2.10")}
		}), nil, false, "delete A RRset at skynet-db-prod.example.org."},
		{"delete A RRset, add another address", own, "", from("192.0.2.10"), list(func(t testing.TB) []dns.RR {
			return []dns.RR{delSet(host, dns.TypeA), add(t, host+" 60 IN A 192.0.2.11")}
		}), nil, false, "delete A RRset"},
		{"delete A RRset, only a deleted own address", own, "", from("192.0.2.10"), list(func(t testing.TB) []dns.RR {
			return []dns.RR{delSet(host, dns.TypeA), del(t, host+" 0 IN A 192.0.2.10")}
		}), nil, false, "delete A RRset"},
		{"delete own record", own, "", from("192.0.2.10"), list(func(t testing.TB) []dns.RR {
			return []dns.RR{del(t, host+" 0 IN A 192.0.2.10")}
		}), nil, true, ""},
		{"delete another's record", own, "", from("192.0.2.10"), list(func(t testing.TB) []dns.RR {
			return []dns.RR{del(t, host+" 0 IN A 192.0.2.11")}
		}), nil, false, "delete A at"},
		{"delete own PTR RRset", own, rev4, from("192.0.2.10"), list(func(t testing.TB) []dns.RR {
			return []dns.RR{delSet("10."+rev4, dns.TypePTR), add(t, "10."+rev4+" 60 IN PTR "+host)}
		}), nil, true, ""},
		{"delete another PTR RRset", own, rev4, from("192.0.2.10"), list(func(t testing.TB) []dns.RR {
			return []dns.RR{delSet("11."+rev4, dns.TypePTR)}
		}), nil, false, "delete PTR RRset"},
		{"delete name with an own add", own, "", from("192.0.2.10"), list(func(t testing.TB) []dns.RR {
			return []dns.RR{delName(host), add(t, host+" 60 IN A 192.0.2.10")}
		}), &fakeZone{types: map[string][]uint16{host: {dns.TypeA, dns.TypeAAAA}}}, true, ""},
		{"delete name holding TXT", own, "", from("192.0.2.10"), list(func(t testing.TB) []dns.RR {
			return []dns.RR{delName(host), add(t, host+" 60 IN A 192.0.2.10")}
		}), &fakeZone{types: map[string][]uint16{host: {dns.TypeA, dns.TypeTXT}}}, false, "delete TXT RRset"},
		{"delete name without an add", own, "", from("192.0.2.10"), list(func(t testing.TB) []dns.RR {
			return []dns.RR{delName(host)}
		}), &fakeZone{types: map[string][]uint16{host: {dns.TypeA}}}, false, "delete A RRset"},
		{"scoped by net", []string{"grant net 192.0.2.0/28 own-address"}, "", from("192.0.2.20"), rrs(host + " 60 IN A 192.0.2.20"), nil, false, "no grant"},
		{"type list", []string{"grant * own-address A"}, "", from("2001:db8::5"), rrs(host + " 60 IN AAAA 2001:db8::5"), nil, false, "add AAAA"},
		{"cap", []string{"grant * own-address A(1)"}, "", from("192.0.2.10"), rrs(host + " 60 IN A 192.0.2.10"),
			&fakeZone{counts: map[string]int{host + "/A": 2}}, false, "over the cap of 1"},
		{"cap, re-registration", []string{"grant * own-address A(1)"}, "", from("192.0.2.10"), list(func(t testing.TB) []dns.RR {
			return []dns.RR{delSet(host, dns.TypeA), add(t, host+" 60 IN A 192.0.2.10")}
		}), &fakeZone{counts: map[string]int{host + "/A": 1}}, true, ""},
		{"with a key grant after it", []string{"grant * own-address", "grant key admin zonesub"}, "", key("admin."), rrs(`x.example.org. 60 IN TXT "x"`), nil, true, ""},
		{"deny own-address", []string{"deny * own-address", "grant * zonesub"}, "", from("192.0.2.10"), rrs(host + " 60 IN A 192.0.2.10"), nil, false, "refused by"},
	})
}

func TestOwnAddressRules(t *testing.T) {
	p := policy(t, "grant * own-address")
	host := "cyberdyne-web-prod.example.org. 60 IN A 192.0.2.10"
	c := from("192.0.2.10")
	if ok, _ := p.Permit(zone, c, nil, rrs(host)(t), nil); ok {
		t.Error("nil Deriver: permitted")
	}
	var nilRules *derive.Rules
	if ok, _ := p.Permit(zone, c, nilRules, rrs(host)(t), nil); ok {
		t.Error("nil *derive.Rules: permitted")
	}
	off, err := (*derive.Rules)(nil).Parse([]string{"off"})
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := p.Permit(zone, c, off, rrs(host)(t), nil); ok {
		t.Error("derive off: permitted")
	}
	custom, err := (*derive.Rules)(nil).Parse([]string{"{h}", "{h}-svc"})
	if err != nil {
		t.Fatal(err)
	}
	if ok, why := p.Permit(zone, c, custom, rrs("web.example.org. 60 IN A 192.0.2.10")(t), nil); !ok {
		t.Errorf("one-field convention: refused: %s", why)
	}
}

func TestEmptyPermitsAll(t *testing.T) {
	updates := []dns.RR{add(t, "example.org. 60 IN NS ns.example.net."), delName("a.example.org.")}
	var p Policy
	if !p.Empty() {
		t.Fatal("zero policy not empty")
	}
	if ok, why := p.Permit(zone, Client{}, nil, updates, nil); !ok {
		t.Errorf("empty policy refused: %s", why)
	}
	var np *Policy
	if !np.Empty() || np.String() != "" {
		t.Error("nil policy not empty")
	}
	if ok, _ := np.Permit(zone, Client{}, nil, updates, nil); !ok {
		t.Error("nil policy refused")
	}
	if policy(t, "deny * zonesub").Empty() {
		t.Error("policy with a deny line is empty")
	}
}

func TestOtherClass(t *testing.T) {
	rr := add(t, "a.example.org. 60 IN A 192.0.2.1")
	rr.Header().Class = dns.ClassCHAOS
	ok, why := policy(t, "grant * zonesub ANY").Permit(zone, key("k."), nil, []dns.RR{rr}, nil)
	if ok || !strings.Contains(why, "class CH is not an update") {
		t.Errorf("Permit = %v, %q", ok, why)
	}
}

func TestEscapedNames(t *testing.T) {
	// Two spellings of one name must compare equal, or a deny line could be
	// dodged by escaping a letter.
	p := policy(t, `deny * name secret.example.org`, "grant * zonesub")
	ok, _ := p.Permit(zone, key("k."), nil, rrs(`secre\116.example.org. 60 IN TXT "x"`)(t), nil)
	if ok {
		t.Error(`secre\116 dodged the deny line`)
	}
	p = policy(t, `grant * name a\.b.example.org`)
	if ok, why := p.Permit(zone, key("k."), nil, rrs(`a\046b.example.org. 60 IN TXT "x"`)(t), nil); !ok {
		t.Errorf("escaped dot: %s", why)
	}
	if ok, _ := p.Permit(zone, key("k."), nil, rrs(`a.b.example.org. 60 IN TXT "x"`)(t), nil); ok {
		t.Error("a.b matched a\\.b")
	}
}

func TestOwnAddressOddRecords(t *testing.T) {
	q := newRequest(zone, from("2001:db8::5"), nil, nil)
	v6 := netip.MustParseAddr("2001:db8::5").AsSlice()
	if isOwnAddress(q, &dns.A{Hdr: dns.RR_Header{Rrtype: dns.TypeA}, A: v6}) {
		t.Error("A holding an IPv6 address matched")
	}
	q = newRequest(zone, from("192.0.2.10"), nil, nil)
	v4 := netip.MustParseAddr("192.0.2.10").AsSlice()
	if isOwnAddress(q, &dns.AAAA{Hdr: dns.RR_Header{Rrtype: dns.TypeAAAA}, AAAA: v4}) {
		t.Error("AAAA holding 4 bytes matched")
	}
	if !isOwnAddress(q, &dns.A{Hdr: dns.RR_Header{Rrtype: dns.TypeA}, A: netip.MustParseAddr("::ffff:192.0.2.10").AsSlice()}) {
		t.Error("A in 16-byte form did not match")
	}
	if isOwnAddress(q, &dns.A{Hdr: dns.RR_Header{Rrtype: dns.TypeA}}) {
		t.Error("A without an address matched")
	}
}
