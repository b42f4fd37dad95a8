package update

import (
	"errors"
	"fmt"
	"github.com/dyndns/dyndns/plugin/derive"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dyndns/dyndns/plugin/rotate"
	"github.com/dyndns/dyndns/plugin/serial"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// fuzzZoneText has something for every rule: apex SOA and NS set, hosts that
// derive the services web and db (with a shared address and mixed TTLs),
// CNAME chains and a loop, a CNAME beside a KEY, a wildcard, an empty
// non-terminal and a delegation with DS and glue.
const fuzzZoneText = `
$ORIGIN example.org.
$TTL 300
@      3600 IN SOA ns1 hostmaster 10 3600 600 604800 60
@      IN NS   ns1
@      IN NS   ns2
@      IN MX   10 mail
ns1    IN A    192.0.2.53
ns2    IN A    192.0.2.54
mail   IN A    192.0.2.25
www    IN A    192.0.2.1
www    IN A    192.0.2.2
www    IN A    192.0.2.3
alias  IN CNAME www
chain  IN CNAME alias
loop1  IN CNAME loop2
loop2  IN CNAME loop1
keyed  IN CNAME www
keyed  IN KEY  256 3 8 AwEAAQ==
mx     IN MX   10 Mail.Example.org.
*.wild IN A    192.0.2.9
*.wild IN TXT  "wild"
a.b    IN TXT  "deep"
sub    IN NS   ns.sub
sub    IN DS   12345 8 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
ns.sub IN A    192.0.2.55
cyberdyne-web-sfo-prod IN A    13.37.1.1
cyberdyne-web-sfo-prod IN AAAA 2001:db8::1
techcom-web-sfo-prod   60 IN A 13.37.1.2
skynet-web-lax-prod    IN A    13.37.1.1
skynet-db-lax-prod     IN A    13.37.2.1
`

var fuzzRecords = sync.OnceValues(func() ([]dns.RR, error) {
	var rrs []dns.RR
	zp := dns.NewZoneParser(strings.NewReader(fuzzZoneText), origin, "")
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	return rrs, zp.Err()
})

// fuzzZone returns a fresh zone loaded from fuzzZoneText.
func fuzzZone(tb testing.TB) *zone.Zone {
	tb.Helper()
	rrs, err := fuzzRecords()
	if err != nil {
		tb.Fatal(err)
	}
	z := zone.New(origin, derive.Default())
	_, _, err = z.Update(func(tx *zone.Txn) error {
		for _, rr := range rrs {
			if err := tx.Insert(dns.Copy(rr)); err != nil { // Insert changes the header
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return z
}

// fuzzRR parses "NAME TTL CLASS TYPE [RDATA]" as the rr helper does, with
// CLASS ANY, NONE or anything dns.StringToClass knows.
func fuzzRR(tb testing.TB, s string) dns.RR {
	tb.Helper()
	f := strings.Fields(s)
	class, ok := dns.StringToClass[f[2]]
	if !ok {
		tb.Fatalf("%s: class %s", s, f[2])
	}
	if len(f) == 4 { // no RDATA: the header alone
		ttl := uint32(0)
		if f[1] != "0" {
			ttl = 60
		}
		typ, ok := dns.StringToType[f[3]]
		if !ok {
			tb.Fatalf("%s: type %s", s, f[3])
		}
		return &dns.ANY{Hdr: dns.RR_Header{Name: dns.Fqdn(f[0]), Rrtype: typ, Class: class, Ttl: ttl}}
	}
	f[2] = "IN" // the parser knows RDATA only in class IN
	x, err := dns.NewRR(strings.Join(f, " "))
	if err != nil {
		tb.Fatalf("%s: %v", s, err)
	}
	x.Header().Class = class
	return x
}

// fuzzWire packs an UPDATE for origin. The ID steers the options:
// 0x4000 denies permission, 0x8000 sets a record limit a few records above
// the zone's size (the low three bits).
func fuzzWire(tb testing.TB, id uint16, prereqs, updates []string) []byte {
	tb.Helper()
	m := new(dns.Msg)
	m.SetUpdate(origin)
	m.Id = id
	for _, s := range prereqs {
		m.Answer = append(m.Answer, fuzzRR(tb, s))
	}
	for _, s := range updates {
		m.Ns = append(m.Ns, fuzzRR(tb, s))
	}
	wire, err := m.Pack()
	if err != nil {
		tb.Fatal(err)
	}
	return wire
}

type fuzzSeed struct {
	id               uint16
	prereqs, updates []string
}

var fuzzApplySeeds = []fuzzSeed{
	// the four kinds of update (§2.5)
	{updates: []string{"new.example.org. 60 IN A 192.0.2.7", "new.example.org. 60 IN AAAA 2001:db8::7"}},
	{updates: []string{"www.example.org. 0 ANY A"}},
	{updates: []string{"alias.example.org. 0 ANY ANY", "a.b.example.org. 0 ANY ANY"}},
	{updates: []string{"www.example.org. 0 NONE A 192.0.2.1", "mx.example.org. 0 NONE MX 10 MAIL.example.ORG."}},
	{updates: []string{"www.example.org. 30 IN A 192.0.2.1"}},
	{updates: []string{"www.example.org. 0 NONE A 192.0.2.1", "www.example.org. 300 IN A 192.0.2.1", "new.example.org. 60 IN TXT \"x\""}},
	{updates: []string{"WWW.Example.ORG. 300 IN A 192.0.2.4", "u.example.org. 60 IN TYPE65280 \\# 2 abcd", "n.example.org. 60 IN NULL"}},
	// the five kinds of prerequisite (§2.4)
	{prereqs: []string{"www.example.org. 0 ANY A"}, updates: []string{"www.example.org. 60 IN A 192.0.2.9"}},
	{prereqs: []string{"www.example.org. 0 IN A 192.0.2.3", "www.example.org. 0 IN A 192.0.2.1", "www.example.org. 0 IN A 192.0.2.2"}, updates: []string{"www.example.org. 0 ANY A"}},
	{prereqs: []string{"www.example.org. 0 NONE MX"}, updates: []string{"www.example.org. 60 IN MX 10 mail.example.org."}},
	{prereqs: []string{"a.b.example.org. 0 ANY ANY"}, updates: []string{"a.b.example.org. 0 ANY ANY"}},
	{prereqs: []string{"nope.example.org. 0 NONE ANY", "b.example.org. 0 NONE ANY"}, updates: []string{"nope.example.org. 60 IN A 192.0.2.8"}},
	{prereqs: []string{"web.example.org. 0 IN A 13.37.1.1", "web.example.org. 0 IN A 13.37.1.2"}, updates: []string{"techcom-web-sfo-prod.example.org. 0 ANY A"}},
	{prereqs: []string{"x.wild.example.org. 0 ANY ANY"}},
	{prereqs: []string{"www.example.org. 60 ANY A"}},
	{prereqs: []string{"www.example.org. 0 CH A 192.0.2.1"}},
	{prereqs: []string{"www.example.org. 0 ANY A 192.0.2.1"}},
	{prereqs: []string{"www.example.org. 0 IN AXFR"}},
	// SOA
	{updates: []string{"example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 20 1 1 1 1"}},
	{updates: []string{"example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 9 1 1 1 1", "x.example.org. 60 IN A 192.0.2.10"}},
	{updates: []string{"example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 20 1 1 1 1", "EXAMPLE.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 30 1 1 1 1"}},
	{updates: []string{"www.example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 99 1 1 1 1"}},
	{updates: []string{"example.org. 0 ANY SOA", "example.org. 0 NONE SOA ns1.example.org. hostmaster.example.org. 10 3600 600 604800 60"}},
	// apex protection
	{updates: []string{"example.org. 0 ANY ANY"}},
	{updates: []string{"example.org. 0 ANY NS", "example.org. 0 NONE NS ns2.example.org.", "example.org. 0 NONE NS ns1.example.org."}},
	{updates: []string{"example.org. 60 IN NS ns3.example.org.", "example.org. 0 NONE NS ns1.example.org.", "example.org. 0 NONE NS ns2.example.org."}},
	// CNAME conflicts
	{updates: []string{"www.example.org. 300 IN CNAME other.example.org."}},
	{updates: []string{"alias.example.org. 300 IN TXT \"x\"", "keyed.example.org. 60 IN KEY 256 3 8 AwEAAQ=="}},
	{updates: []string{"alias.example.org. 300 IN CNAME mx.example.org."}},
	{updates: []string{"n.example.org. 60 IN TXT \"t\"", "n.example.org. 60 IN CNAME www.example.org."}},
	{updates: []string{"n.example.org. 60 IN CNAME www.example.org.", "n.example.org. 60 IN TXT \"t\"", "n.example.org. 60 IN KEY 256 3 8 AwEAAQ=="}},
	{updates: []string{"web.example.org. 60 IN CNAME www.example.org.", "skynet-web-nyc-prod.example.org. 60 IN A 13.37.1.5"}},
	{updates: []string{"example.org. 60 IN CNAME www.example.org."}},
	// derived services
	{updates: []string{"skynet-web-nyc-prod.example.org. 30 IN A 13.37.1.9", "skynet-web-nyc-prod.example.org. 30 IN AAAA 2001:db8::9"}},
	{updates: []string{"cyberdyne-web-sfo-prod.example.org. 0 ANY ANY", "skynet-web-lax-prod.example.org. 0 NONE A 13.37.1.1"}},
	{updates: []string{"techcom-web-sfo-prod.example.org. 600 IN A 13.37.1.2", "web.example.org. 60 IN A 13.37.1.1", "web.example.org. 60 IN A 13.37.9.9"}},
	{updates: []string{"web.example.org. 0 ANY A", "web.example.org. 0 ANY ANY", "db.example.org. 60 IN TXT \"db\""}},
	{updates: []string{"skynet-db-lax-prod.example.org. 0 NONE A 13.37.2.1", "skynet-db-lax-prod.example.org. 60 IN A 13.37.2.2"}},
	{updates: []string{"x.skynet-web-lax-prod.example.org. 60 IN A 13.37.3.3", "a-web-b.sub.example.org. 60 IN A 13.37.3.4"}},
	// wildcard owners
	{updates: []string{"*.w2.example.org. 60 IN A 192.0.2.8", "*.example.org. 60 IN TXT \"apex wild\""}},
	{updates: []string{"*.wild.example.org. 0 ANY ANY", "*.wild.example.org. 0 NONE TXT \"wild\""}},
	{prereqs: []string{"*.wild.example.org. 0 ANY A"}, updates: []string{"*.wild.example.org. 60 IN CNAME www.example.org."}},
	// delegations
	{updates: []string{"sub.example.org. 0 NONE NS ns.sub.example.org.", "deleg.example.org. 60 IN NS ns.deleg.example.org.", "ns.deleg.example.org. 60 IN A 192.0.2.60"}},
	{updates: []string{"sub.example.org. 0 ANY ANY", "sub.example.org. 60 IN DS 1 8 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"}},
	{updates: []string{"www.example.org. 60 IN NS ns.sub.example.org.", "host.sub.example.org. 60 IN A 192.0.2.61"}},
	// names outside the zone
	{updates: []string{"x.example.net. 60 IN A 192.0.2.1"}},
	{updates: []string{"new.example.org. 60 IN A 192.0.2.7", "org. 60 IN A 192.0.2.1"}},
	{prereqs: []string{"www.example.net. 0 ANY ANY"}, updates: []string{"new.example.org. 60 IN A 192.0.2.7"}},
	// meta, signer-only and odd classes
	{updates: []string{"x.example.org. 60 IN ANY"}},
	{updates: []string{"x.example.org. 60 IN TKEY"}},
	{updates: []string{"www.example.org. 0 ANY AXFR"}},
	{updates: []string{"www.example.org. 0 NONE ANY"}},
	{updates: []string{"www.example.org. 0 NONE IXFR"}},
	{updates: []string{"www.example.org. 60 IN NSEC next.example.org. A"}},
	{updates: []string{"www.example.org. 60 CH A 192.0.2.1"}},
	{updates: []string{"www.example.org. 60 NONE A 192.0.2.1"}},
	{updates: []string{"www.example.org. 60 ANY A"}},
	{updates: []string{"x.example.org. 60 IN A"}},
	{updates: []string{"www.example.org. 0 NONE A"}},
	// permission and the record limit
	{id: 0x4000, updates: []string{"new.example.org. 60 IN A 192.0.2.7"}},
	{id: 0x8001, updates: []string{"new.example.org. 60 IN A 192.0.2.7", "new.example.org. 60 IN A 192.0.2.8"}},
	{id: 0x8003, updates: []string{"new.example.org. 60 IN A 192.0.2.7", "www.example.org. 0 ANY A"}},
	// everything at once
	{prereqs: []string{"www.example.org. 0 ANY A", "nope.example.org. 0 NONE ANY"},
		updates: []string{
			"www.example.org. 0 NONE A 192.0.2.2", "www.example.org. 300 IN A 192.0.2.2",
			"alias.example.org. 0 ANY CNAME", "alias.example.org. 60 IN A 192.0.2.1",
			"loop1.example.org. 0 ANY ANY", "loop2.example.org. 60 IN CNAME *.wild.example.org.",
			"cyberdyne-web-sfo-prod.example.org. 10 IN A 13.37.1.3",
			"example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 4000 1 1 1 1",
		}},
}

// FuzzApply applies arbitrary messages as UPDATEs to a fixed zone and checks
// that the zone stays a zone: all or nothing, one apex SOA and NS set, no
// CNAME beside other data, uniform duplicate-free RRsets, a serial that only
// moves forward, derived services that match their hosts, sane answers, and a
// changeset that replays to the same state.
func FuzzApply(f *testing.F) {
	for _, s := range fuzzApplySeeds {
		f.Add(fuzzWire(f, s.id, s.prereqs, s.updates))
	}
	f.Fuzz(fuzzApply)
}

// fuzzApply is one FuzzApply input.
func fuzzApply(t *testing.T, wire []byte) {
	m := new(dns.Msg)
	if err := m.Unpack(wire); err != nil {
		return
	}
	z := fuzzZone(t)
	before := z.Current()
	opts := Options{Permit: func([]dns.RR) bool { return m.Id&0x4000 == 0 }}
	if m.Id&0x8000 != 0 {
		opts.MaxZoneRecords = before.Records() + int(m.Id&7)
	}
	cs, v, err := z.Update(func(tx *zone.Txn) error { return Apply(tx, m, opts) })
	after := z.Current()
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("Apply returned %T %v, want *Error", err, err)
		}
		switch e.Rcode {
		case dns.RcodeFormatError, dns.RcodeNotZone, dns.RcodeRefused, dns.RcodeNameError,
			dns.RcodeYXDomain, dns.RcodeYXRrset, dns.RcodeNXRrset:
		default:
			t.Fatalf("Apply failed with rcode %d: %v", e.Rcode, err)
		}
		if after != before {
			t.Fatalf("failed update (%v) published a new version", err)
		}
		return
	}
	if v != after {
		t.Fatal("Update returned a version that is not the current one")
	}
	if cs.Empty() {
		if after != before {
			t.Fatal("an update without changes published a new version")
		}
	} else {
		if after == before {
			t.Fatalf("changeset %+v but no new version", cs)
		}
		if cs.From != before.Serial() || cs.To != after.Serial() {
			t.Fatalf("changeset %d→%d, zone %d→%d", cs.From, cs.To, before.Serial(), after.Serial())
		}
		if !serial.Less(before.Serial(), after.Serial()) {
			t.Fatalf("serial moved from %d to %d, not forward (RFC 1982)", before.Serial(), after.Serial())
		}
	}
	if after.Serial() == 0 {
		t.Fatal("serial is 0")
	}
	if opts.MaxZoneRecords > 0 && after.Records() > opts.MaxZoneRecords && after.Records() > before.Records() {
		t.Fatalf("zone grew to %d records, over the limit %d", after.Records(), opts.MaxZoneRecords)
	}
	checkChangeset(t, before, after, cs)
	checkZone(t, after)
	checkServices(t, after)
	checkAnswers(t, after)

	// The changeset alone, replayed on the original zone, reproduces the result.
	z2 := fuzzZone(t)
	_, v2, err := z2.Update(func(tx *zone.Txn) error { tx.Apply(cs); return nil })
	if err != nil {
		t.Fatal(err)
	}
	for _, served := range []bool{false, true} {
		if got, want := fuzzDump(t, v2, served), fuzzDump(t, after, served); !slices.Equal(got, want) {
			t.Fatalf("replayed changeset gives\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	if v2.Serial() != after.Serial() || v2.Records() != after.Records() {
		t.Fatalf("replay: serial %d records %d, want %d %d", v2.Serial(), v2.Records(), after.Serial(), after.Records())
	}
}

// fuzzDump renders the served (or explicit) records of v, sorted, so the
// comparison ignores the order within RRsets: an RRset emptied and filled
// again in one UPDATE may change its order without a change to replay.
func fuzzDump(t *testing.T, v *zone.Version, served bool) []string {
	var out []string
	walk := v.WalkOwn
	if served {
		walk = v.WalkServed
	}
	if err := walk(func(rr dns.RR) error {
		out = append(out, strings.ReplaceAll(rr.String(), "\t", " "))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// checkChangeset: what the changeset deletes was in the old version, what it
// adds is in the new one, TTLs included.
func checkChangeset(t *testing.T, before, after *zone.Version, cs zone.Changeset) {
	has := func(v *zone.Version, rr dns.RR) bool {
		n := v.Node(rr.Header().Name)
		return n != nil && slices.ContainsFunc(n.Own(rr.Header().Rrtype), func(x dns.RR) bool {
			return x.Header().Ttl == rr.Header().Ttl && dns.IsDuplicate(x, rr)
		})
	}
	for _, rr := range cs.Del {
		if !has(before, rr) || has(after, rr) {
			t.Fatalf("changeset deletes %v: before %v, after %v", rr, has(before, rr), has(after, rr))
		}
	}
	for _, rr := range cs.Add {
		if has(before, rr) || !has(after, rr) {
			t.Fatalf("changeset adds %v: before %v, after %v", rr, has(before, rr), has(after, rr))
		}
	}
}

// checkZone checks the structure of every name of v.
func checkZone(t *testing.T, v *zone.Version) {
	origin := v.Origin()
	apex := v.Node(origin)
	if apex == nil {
		t.Fatal("no apex")
	}
	if soa := apex.Own(dns.TypeSOA); len(soa) != 1 {
		t.Fatalf("apex has %d SOA records", len(soa))
	}
	if s := apex.RRset(dns.TypeSOA); s == nil || len(s.Records()) != 1 || s.Records()[0] != v.SOA() {
		t.Fatal("served apex SOA is not the version's SOA")
	}
	if len(apex.Own(dns.TypeNS)) == 0 {
		t.Fatal("apex has no NS")
	}
	var names []string
	records := 0
	v.Walk(func(n *zone.Node) bool {
		name := n.Name()
		names = append(names, name)
		if !dns.IsSubDomain(origin, name) {
			t.Fatalf("name %s is outside the zone", name)
		}
		if name != strings.ToLower(name) {
			t.Fatalf("name %s is not lower case", name)
		}
		if name != origin && v.Node(parentOf(name)) == nil {
			t.Fatalf("%s exists but its parent does not", name)
		}
		for _, sets := range [][]*zone.RRset{n.OwnSets(), n.Sets()} {
			var types []uint16
			for _, s := range sets {
				if len(s.Records()) == 0 {
					t.Fatalf("%s: empty RRset", name)
				}
				typ, ttl := s.Type(), s.TTL()
				types = append(types, typ)
				for i, rr := range s.Records() {
					h := rr.Header()
					if h.Name != name || h.Rrtype != typ || h.Class != dns.ClassINET {
						t.Fatalf("%s %s set holds %v", name, dns.TypeToString[typ], rr)
					}
					if h.Ttl != ttl {
						t.Fatalf("%s %s: TTLs %d and %d in one RRset", name, dns.TypeToString[typ], ttl, h.Ttl)
					}
					for _, x := range s.Records()[:i] {
						if dns.IsDuplicate(x, rr) {
							t.Fatalf("%s %s: duplicate %v", name, dns.TypeToString[typ], rr)
						}
					}
				}
				if typ == dns.TypeSOA && name != origin {
					t.Fatalf("SOA at %s", name)
				}
			}
			if !slices.IsSorted(types) || len(slices.Compact(slices.Clone(types))) != len(types) {
				t.Fatalf("%s: RRset types %v not sorted and distinct", name, types)
			}
			if slices.Contains(types, dns.TypeCNAME) {
				for _, typ := range types {
					if !zone.MayCoexistWithCNAME(typ) {
						t.Fatalf("%s: CNAME beside %s", name, dns.TypeToString[typ])
					}
				}
			}
		}
		for _, s := range n.OwnSets() {
			records += len(s.Records())
		}
		return true
	})
	if records != v.Records() {
		t.Fatalf("zone counts %d records, holds %d", v.Records(), records)
	}
	if v.Names() != len(names) {
		t.Fatalf("zone counts %d names, holds %d", v.Names(), len(names))
	}
	// A name without data exists only as an empty non-terminal: something is below it.
	for _, name := range names {
		if n := v.Node(name); name != origin && len(n.Sets()) == 0 &&
			!slices.ContainsFunc(names, func(x string) bool { return x != name && dns.IsSubDomain(name, x) }) {
			t.Fatalf("%s is empty and has nothing below it", name)
		}
	}
}

// parentOf returns name without its first label.
func parentOf(name string) string {
	labels := dns.Split(name)
	if len(labels) < 2 {
		return "."
	}
	return name[labels[1]:]
}

// checkServices recomputes every derived service from its hosts: the served
// address sets of a service name are the union of its own records and the
// addresses of the hosts directly below the apex that derive it, at the
// lowest of their TTLs, unless the name has a CNAME.
func checkServices(t *testing.T, v *zone.Version) {
	origin := v.Origin()
	type want struct {
		ips map[string]bool
		ttl uint32
	}
	services := map[string]map[uint16]*want{}
	add := func(svc string, rr dns.RR) {
		typ := rr.Header().Rrtype
		if services[svc] == nil {
			services[svc] = map[uint16]*want{}
		}
		w := services[svc][typ]
		if w == nil {
			w = &want{ips: map[string]bool{}, ttl: rr.Header().Ttl}
			services[svc][typ] = w
		}
		w.ips[fuzzRdata(rr)] = true
		w.ttl = min(w.ttl, rr.Header().Ttl)
	}
	originLabels := dns.CountLabel(origin)
	v.Walk(func(n *zone.Node) bool {
		name := n.Name()
		if dns.CountLabel(name) != originLabels+1 {
			return true
		}
		for _, svc := range derive.Default().Services(name[:len(name)-len(origin)-1]) {
			svc += "." + origin
			for _, typ := range []uint16{dns.TypeA, dns.TypeAAAA} {
				for _, rr := range n.Own(typ) {
					add(svc, rr)
				}
			}
		}
		return true
	})
	for svc, types := range services {
		n := v.Node(svc)
		if n == nil {
			t.Fatalf("service %s does not exist", svc)
		}
		if n.Own(dns.TypeCNAME) != nil {
			if len(n.Sets()) != len(n.OwnSets()) {
				t.Fatalf("service %s has a CNAME and derived data", svc)
			}
			continue
		}
		for _, typ := range []uint16{dns.TypeA, dns.TypeAAAA} {
			for _, rr := range n.Own(typ) {
				add(svc, rr)
			}
			w := types[typ]
			s := n.RRset(typ)
			switch {
			case w == nil && s == nil:
				continue
			case w == nil || s == nil:
				t.Fatalf("service %s %s: served %v, want %v", svc, dns.TypeToString[typ], s != nil, w != nil)
			}
			got := map[string]bool{}
			for _, rr := range s.Records() {
				got[fuzzRdata(rr)] = true
			}
			if len(got) != len(w.ips) || len(s.Records()) != len(got) {
				t.Fatalf("service %s %s: served %v, want %v", svc, dns.TypeToString[typ], got, w.ips)
			}
			for ip := range w.ips {
				if !got[ip] {
					t.Fatalf("service %s %s: served %v, want %v", svc, dns.TypeToString[typ], got, w.ips)
				}
			}
			if s.TTL() != w.ttl {
				t.Fatalf("service %s %s: TTL %d, want %d", svc, dns.TypeToString[typ], s.TTL(), w.ttl)
			}
		}
	}
	// Nothing else carries derived data: a name's served sets are its own,
	// except at service names.
	v.Walk(func(n *zone.Node) bool {
		if _, svc := services[n.Name()]; !svc && !slices.Equal(n.Sets(), n.OwnSets()) {
			t.Fatalf("%s serves data it does not own", n.Name())
		}
		return true
	})
}

func fuzzRdata(rr dns.RR) string {
	s := rr.String()
	return s[len(rr.Header().String()):]
}

// checkAnswers looks up every name of v, a name below each and a few types.
func checkAnswers(t *testing.T, v *zone.Version) {
	var names []string
	v.Walk(func(n *zone.Node) bool {
		names = append(names, n.Name())
		return true
	})
	for _, name := range names {
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeCNAME, dns.TypeNS, dns.TypeSOA,
			dns.TypeMX, dns.TypeTXT, dns.TypeDS, dns.TypeKEY, dns.TypeANY} {
			m := fuzzLookup(t, v, name, qtype)
			if m.Rcode == dns.RcodeNameError && len(m.Answer) == 0 {
				t.Fatalf("%s %s: NXDOMAIN for a name that exists", name, dns.TypeToString[qtype])
			}
		}
		if below := "zz." + name; len(below) <= 254 {
			fuzzLookup(t, v, below, dns.TypeA)
		}
	}
}

// fuzzLookup answers qname/qtype from v and checks the answer.
func fuzzLookup(t *testing.T, v *zone.Version, qname string, qtype uint16) *dns.Msg {
	origin := v.Origin()
	m := new(dns.Msg)
	v.Lookup(m, qname, qtype, rotate.Fixed)
	q := fmt.Sprintf("%s %s", qname, dns.TypeToString[qtype])
	if m.Rcode != dns.RcodeSuccess && m.Rcode != dns.RcodeNameError {
		t.Fatalf("%s: rcode %s", q, dns.RcodeToString[m.Rcode])
	}
	for _, sec := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range sec {
			if !dns.IsSubDomain(origin, rr.Header().Name) {
				t.Fatalf("%s: answer holds %v, outside the zone", q, rr)
			}
		}
	}
	if !m.Authoritative { // a referral
		if m.Rcode != dns.RcodeSuccess || len(m.Answer) > 0 || len(m.Ns) == 0 {
			t.Fatalf("%s: non-authoritative answer that is no referral:\n%v", q, m)
		}
		for _, rr := range m.Ns {
			if rr.Header().Rrtype != dns.TypeNS || !dns.IsSubDomain(rr.Header().Name, qname) || rr.Header().Name == origin {
				t.Fatalf("%s: referral holds %v", q, rr)
			}
		}
		return m
	}
	if len(m.Extra) > 0 {
		t.Fatalf("%s: authoritative answer with additional records:\n%v", q, m)
	}
	if len(m.Ns) > 1 || (len(m.Ns) == 1 && (m.Ns[0].Header().Rrtype != dns.TypeSOA || m.Ns[0].Header().Name != origin)) {
		t.Fatalf("%s: authority section %v, want nothing or the SOA", q, m.Ns)
	}
	if (m.Rcode == dns.RcodeNameError || len(m.Answer) == 0) && len(m.Ns) != 1 {
		t.Fatalf("%s: negative answer without SOA:\n%v", q, m)
	}
	// The answer is a CNAME chain from qname, then records of qtype at its end.
	cur := qname
	var last *dns.CNAME // the chain's last CNAME while no data followed it
	data := false
	for i, rr := range m.Answer {
		h := rr.Header()
		if !strings.EqualFold(h.Name, cur) {
			t.Fatalf("%s: answer %d is %v, want owner %s", q, i, rr, cur)
		}
		if c, ok := rr.(*dns.CNAME); ok && qtype != dns.TypeCNAME && qtype != dns.TypeANY {
			if data {
				t.Fatalf("%s: CNAME after data:\n%v", q, m)
			}
			last, cur = c, strings.ToLower(c.Target)
			continue
		}
		if qtype != dns.TypeANY && h.Rrtype != qtype {
			t.Fatalf("%s: answer %d is %v", q, i, rr)
		}
		last, data = nil, true
	}
	if last != nil && !dns.IsSubDomain(origin, last.Target) && (m.Rcode != dns.RcodeSuccess || len(m.Ns) != 0) {
		t.Fatalf("%s: chain ends outside the zone at %s, yet rcode %s with %v",
			q, last.Target, dns.RcodeToString[m.Rcode], m.Ns)
	}
	return m
}
