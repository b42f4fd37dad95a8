package zone

import (
	"slices"
	"testing"

	"github.com/dyndns/dyndns/plugin/rotate"
	"github.com/miekg/dns"
)

func TestLookup(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	soa := "example.org. 60 IN SOA ns1.example.org. hostmaster.example.org. 1 3600 600 604800 60"
	tests := []struct {
		name   string
		qname  string
		qtype  uint16
		rcode  int
		aa     bool
		answer []string
		ns     []string
		extra  []string
	}{
		{"positive", "www.example.org.", dns.TypeA, 0, true,
			[]string{"www.example.org. 300 IN A 192.0.2.1", "www.example.org. 300 IN A 192.0.2.2"}, nil, nil},
		{"apex NS", "example.org.", dns.TypeNS, 0, true,
			[]string{"example.org. 300 IN NS ns1.example.org."}, nil, nil},
		{"nodata", "www.example.org.", dns.TypeMX, 0, true, nil, []string{soa}, nil},
		{"nxdomain", "nope.example.org.", dns.TypeA, dns.RcodeNameError, true, nil, []string{soa}, nil},
		{"empty non-terminal", "b.c.example.org.", dns.TypeA, 0, true, nil, []string{soa}, nil},
		{"below empty non-terminal", "x.b.c.example.org.", dns.TypeA, dns.RcodeNameError, true, nil, []string{soa}, nil},
		{"cname chain", "chain.example.org.", dns.TypeA, 0, true,
			[]string{"alias.example.org. 300 IN CNAME www.example.org.", "chain.example.org. 300 IN CNAME alias.example.org.",
				"www.example.org. 300 IN A 192.0.2.1", "www.example.org. 300 IN A 192.0.2.2"}, nil, nil},
		{"cname qtype", "alias.example.org.", dns.TypeCNAME, 0, true,
			[]string{"alias.example.org. 300 IN CNAME www.example.org."}, nil, nil},
		{"cname to nodata", "alias.example.org.", dns.TypeMX, 0, true,
			[]string{"alias.example.org. 300 IN CNAME www.example.org."}, []string{soa}, nil},
		{"cname out of zone", "out.example.org.", dns.TypeA, 0, true,
			[]string{"out.example.org. 300 IN CNAME www.example.net."}, nil, nil},
		{"cname loop ends", "loop1.example.org.", dns.TypeA, 0, true,
			[]string{"loop1.example.org. 300 IN CNAME loop2.example.org.", "loop1.example.org. 300 IN CNAME loop2.example.org.",
				"loop1.example.org. 300 IN CNAME loop2.example.org.", "loop1.example.org. 300 IN CNAME loop2.example.org.",
				"loop2.example.org. 300 IN CNAME loop1.example.org.", "loop2.example.org. 300 IN CNAME loop1.example.org.",
				"loop2.example.org. 300 IN CNAME loop1.example.org.", "loop2.example.org. 300 IN CNAME loop1.example.org."}, nil, nil},
		{"wildcard", "foo.wild.example.org.", dns.TypeA, 0, true,
			[]string{"foo.wild.example.org. 300 IN A 192.0.2.9"}, nil, nil},
		{"wildcard deep", "a.b.wild.example.org.", dns.TypeTXT, 0, true,
			[]string{"a.b.wild.example.org. 300 IN TXT \"wild\""}, nil, nil},
		{"wildcard nodata", "foo.wild.example.org.", dns.TypeMX, 0, true, nil, []string{soa}, nil},
		{"existing name blocks wildcard", "x.wild.example.org.", dns.TypeA, 0, true, nil, []string{soa}, nil},
		{"below existing name no wildcard", "y.x.wild.example.org.", dns.TypeA, dns.RcodeNameError, true, nil, []string{soa}, nil},
		{"wildcard itself", "*.wild.example.org.", dns.TypeA, 0, true,
			[]string{"*.wild.example.org. 300 IN A 192.0.2.9"}, nil, nil},
		{"wildcard cname", "q.cw.example.org.", dns.TypeA, 0, true,
			[]string{"q.cw.example.org. 300 IN CNAME www.example.org.", "www.example.org. 300 IN A 192.0.2.1", "www.example.org. 300 IN A 192.0.2.2"}, nil, nil},
		{"referral", "host.sub.example.org.", dns.TypeA, 0, false, nil,
			[]string{"sub.example.org. 300 IN NS ns.sub.example.org."}, []string{"ns.sub.example.org. 300 IN A 192.0.2.54"}},
		{"referral at cut", "sub.example.org.", dns.TypeNS, 0, false, nil,
			[]string{"sub.example.org. 300 IN NS ns.sub.example.org."}, []string{"ns.sub.example.org. 300 IN A 192.0.2.54"}},
		{"glue is not authoritative", "ns.sub.example.org.", dns.TypeA, 0, false, nil,
			[]string{"sub.example.org. 300 IN NS ns.sub.example.org."}, []string{"ns.sub.example.org. 300 IN A 192.0.2.54"}},
		{"DS from the parent side", "sub.example.org.", dns.TypeDS, 0, true,
			[]string{"sub.example.org. 300 IN DS 12345 8 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"}, nil, nil},
		{"ANY", "techcom-web-sfo-prod.example.org.", dns.TypeANY, 0, true,
			[]string{"techcom-web-sfo-prod.example.org. 300 IN A 13.37.1.2", "techcom-web-sfo-prod.example.org. 300 IN AAAA 2001:db8::2"}, nil, nil},
		{"derived service", "web.example.org.", dns.TypeA, 0, true,
			[]string{"web.example.org. 300 IN A 13.37.1.1", "web.example.org. 300 IN A 13.37.1.2"}, nil, nil},
		{"derived service AAAA", "web.example.org.", dns.TypeAAAA, 0, true,
			[]string{"web.example.org. 300 IN AAAA 2001:db8::2"}, nil, nil},
		{"derived service nodata", "web.example.org.", dns.TypeMX, 0, true, nil, []string{soa}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := new(dns.Msg)
			z.Current().Lookup(m, tc.qname, tc.qtype, rotate.Fixed)
			if m.Rcode != tc.rcode || m.Authoritative != tc.aa {
				t.Errorf("rcode %d aa %v, want %d %v", m.Rcode, m.Authoritative, tc.rcode, tc.aa)
			}
			for _, sec := range []struct {
				name      string
				got, want []string
			}{{"answer", strs(m.Answer, true), tc.answer}, {"ns", strs(m.Ns, true), tc.ns}, {"extra", strs(m.Extra, true), tc.extra}} {
				want := slices.Clone(sec.want)
				slices.Sort(want)
				if !slices.Equal(sec.got, want) {
					t.Errorf("%s:\n got %q\nwant %q", sec.name, sec.got, want)
				}
			}
		})
	}
}

func TestLookupRotates(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	var firsts []string
	for range 4 {
		m := new(dns.Msg)
		z.Current().Lookup(m, "web.example.org.", dns.TypeA, rotate.Cyclic)
		firsts = append(firsts, m.Answer[0].(*dns.A).A.String())
	}
	if firsts[0] == firsts[1] || firsts[0] != firsts[2] || firsts[1] != firsts[3] {
		t.Errorf("cyclic answers start with %v", firsts)
	}
}

func TestLookupDoesNotAllocatePerRecord(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	v := z.Current()
	m := new(dns.Msg)
	m.Answer = make([]dns.RR, 0, 8)
	m.Ns = make([]dns.RR, 0, 8)
	for _, q := range []struct {
		name  string
		qtype uint16
	}{{"web.example.org.", dns.TypeA}, {"nope.example.org.", dns.TypeA}, {"chain.example.org.", dns.TypeA}} {
		allocs := testing.AllocsPerRun(100, func() {
			m.Answer, m.Ns = m.Answer[:0], m.Ns[:0]
			v.Lookup(m, q.name, q.qtype, rotate.Cyclic)
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per lookup into a sized message, want 0", q.name, allocs)
		}
	}
}

func TestEscapedDotIsNotInZone(t *testing.T) {
	z := load(t, "example.org.", `$ORIGIN example.org.
@   3600 IN SOA ns1 hostmaster 1 3600 600 604800 60
@   IN NS ns1
*   IN A 192.0.2.99
esc IN CNAME foo\.example.org.
`)
	m := new(dns.Msg)
	z.Current().Lookup(m, "esc.example.org.", dns.TypeA, rotate.Fixed)
	if m.Rcode != dns.RcodeSuccess || len(m.Answer) != 1 || len(m.Ns) != 0 {
		t.Errorf("CNAME to a name outside the zone (escaped dot) was followed: %v", m)
	}
}
