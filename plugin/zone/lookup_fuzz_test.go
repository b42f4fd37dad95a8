package zone

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dyndns/dyndns/plugin/rotate"
	"github.com/miekg/dns"
)

// lookupFuzzZone has the shapes Lookup must get right: CNAME chains (to
// data, to nothing, to an empty non-terminal, into a delegation, to a
// wildcard, out of the zone, to a name that only looks in the zone because
// of an escaped dot, longer than the chain limit, loops, a wildcard CNAME
// that loops through its own synthesis), wildcards (at the apex, below names,
// with an existing name blocking one, occluded below a delegation),
// delegations (with DS and in-zone and out-of-zone glue, below an empty
// non-terminal), empty non-terminals, and derived services.
const lookupFuzzZone = `
$ORIGIN example.org.
$TTL 300
@          3600 IN SOA ns1 hostmaster 1 3600 600 604800 60
@          IN NS    ns1
@          IN NS    ns2.example.net.
@          IN MX    10 mail
@          IN TXT   "apex"
*          IN TXT   "apex wildcard"
ns1        IN A     192.0.2.53
mail       IN A     192.0.2.25
www        IN A     192.0.2.1
www        IN A     192.0.2.2
www        IN AAAA  2001:db8::1
alias      IN CNAME www
chain      IN CNAME alias
out        IN CNAME www.example.net.
loop1      IN CNAME loop2
loop2      IN CNAME loop1
self       IN CNAME self
l1         IN CNAME l2
l2         IN CNAME l3
l3         IN CNAME l4
l4         IN CNAME l5
l5         IN CNAME l6
l6         IN CNAME l7
l7         IN CNAME l8
l8         IN CNAME l9
l9         IN CNAME www
tocut      IN CNAME host.sub
tocut2     IN CNAME sub
towild     IN CNAME x.wild
tonx       IN CNAME nope.a.b.c
toent      IN CNAME b.c
toapex     IN CNAME @
esc        IN CNAME foo\.example.org.
keyed      IN CNAME www
keyed      IN KEY   256 3 8 AwEAAQ==
a.b.c      IN TXT   "deep"
*.wild     IN A     192.0.2.9
*.wild     IN TXT   "wild"
x.wild     IN MX    10 mail
*.cw       IN CNAME www
*.cl       IN CNAME again.cl
sub        IN NS    ns.sub
sub        IN NS    ns.example.net.
sub        IN NS    www
sub        IN DS    12345 8 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
ns.sub     IN A     192.0.2.54
ns.sub     IN AAAA  2001:db8::54
*.sub      IN A     192.0.2.99
deep.sub   IN TXT   "occluded"
d.e.f      IN NS    ns.d.e.f
ns.d.e.f   IN A     192.0.2.55
cyberdyne-web-sfo-prod IN A    13.37.1.1
techcom-web-sfo-prod   IN A    13.37.1.2
techcom-web-sfo-prod   IN AAAA 2001:db8::2
skynet-web-lax-prod    60 IN A 13.37.1.1
`

// lookupFuzzRules derives as the seed convention does: id-service-env → service.
type lookupFuzzRules struct{}

func (lookupFuzzRules) Services(label string) []string {
	f := strings.Split(label, "-")
	if len(f) < 3 || slices.Contains(f, "") {
		return nil
	}
	return []string{f[1]}
}

var lookupFuzzVersion = sync.OnceValue(func() *Version {
	z := New("example.org.", lookupFuzzRules{})
	_, v, err := z.Update(func(tx *Txn) error {
		zp := dns.NewZoneParser(strings.NewReader(lookupFuzzZone), "example.org.", "")
		for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
			if err := tx.Insert(rr); err != nil {
				return err
			}
		}
		return zp.Err()
	})
	if err != nil {
		panic(err)
	}
	return v
})

// lookupFuzzDump renders every served record of v with its address, so both
// a changed record and a replaced or reordered one show.
func lookupFuzzDump(v *Version) []string {
	var out []string
	_ = v.WalkServed(func(rr dns.RR) error {
		out = append(out, fmt.Sprintf("%p %s", rr, rr))
		return nil
	})
	return out
}

// FuzzLookup asks a fixed zone for arbitrary names at or below its apex and
// arbitrary types, in every rotation order, and checks the answers are
// well-formed: NOERROR or NXDOMAIN; AA off exactly for referrals; negative
// answers with exactly the SOA; a CNAME chain from qname, then data of the
// asked type; no records owned outside the zone; stored data untouched.
func FuzzLookup(f *testing.F) {
	for _, q := range []string{"example.org.", "www.example.org.", "WWW.Example.Org.", "alias.example.org.",
		"chain.example.org.", "out.example.org.", "loop1.example.org.", "self.example.org.", "l1.example.org.",
		"tocut.example.org.", "tocut2.example.org.", "towild.example.org.", "tonx.example.org.", "toent.example.org.",
		"toapex.example.org.", "keyed.example.org.", "b.c.example.org.", "c.example.org.", "x.b.c.example.org.",
		"nope.example.org.", "a.wild.example.org.", "x.wild.example.org.", "y.x.wild.example.org.",
		"*.wild.example.org.", "a.b.wild.example.org.", "q.cw.example.org.", "q.cl.example.org.", "again.cl.example.org.",
		"sub.example.org.", "host.sub.example.org.", "deep.sub.example.org.", "ns.sub.example.org.",
		"f.example.org.", "e.f.example.org.", "d.e.f.example.org.", "x.d.e.f.example.org.", "web.example.org.",
		"techcom-web-sfo-prod.example.org.", "x.www.example.org.", "esc.example.org.", `a\.b.example.org.`, `a\000b.example.org.`} {
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeCNAME, dns.TypeNS, dns.TypeSOA,
			dns.TypeMX, dns.TypeTXT, dns.TypeDS, dns.TypeKEY, dns.TypeANY, dns.TypeRRSIG, 65280} {
			f.Add(q, qtype)
		}
	}
	f.Fuzz(lookupFuzz)
}

// lookupFuzz is one FuzzLookup input.
func lookupFuzz(t *testing.T, qname string, qtype uint16) {
	v := lookupFuzzVersion()
	origin := v.Origin()
	// As a server sees names: from the wire, so escaped the canonical
	// way, and lower-cased.
	if _, ok := dns.IsDomainName(qname); !ok || !dns.IsFqdn(qname) {
		return
	}
	buf := make([]byte, 255)
	off, err := dns.PackDomainName(qname, buf, 0, nil, false)
	if err != nil {
		return
	}
	qname, _, err = dns.UnpackDomainName(buf[:off], 0)
	if err != nil {
		return
	}
	qname = strings.ToLower(qname)
	if !dns.IsSubDomain(origin, qname) {
		return
	}
	before := lookupFuzzDump(v)
	for _, order := range []rotate.Order{rotate.Fixed, rotate.Cyclic, rotate.Random} {
		m := new(dns.Msg)
		v.Lookup(m, qname, qtype, order)
		checkLookupAnswer(t, origin, qname, qtype, m)
	}
	if after := lookupFuzzDump(v); !slices.Equal(before, after) {
		t.Fatalf("Lookup(%s, %s) changed the stored data:\n%s\nwas\n%s", qname, dns.TypeToString[qtype],
			strings.Join(after, "\n"), strings.Join(before, "\n"))
	}
}

// checkLookupAnswer checks one answer of an authoritative zone with an SOA.
func checkLookupAnswer(t *testing.T, origin, qname string, qtype uint16, m *dns.Msg) {
	t.Helper()
	q := fmt.Sprintf("%s %s", qname, dns.TypeToString[qtype])
	if m.Rcode != dns.RcodeSuccess && m.Rcode != dns.RcodeNameError {
		t.Fatalf("%s: rcode %s", q, dns.RcodeToString[m.Rcode])
	}
	for _, sec := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range sec {
			if !dns.IsSubDomain(origin, rr.Header().Name) {
				t.Fatalf("%s: answer holds %v, owned outside the zone", q, rr)
			}
		}
	}
	nsInNs := slices.ContainsFunc(m.Ns, func(rr dns.RR) bool { return rr.Header().Rrtype == dns.TypeNS })
	if !m.Authoritative || nsInNs { // must be a referral
		if m.Authoritative || m.Rcode != dns.RcodeSuccess || len(m.Answer) > 0 || len(m.Ns) == 0 {
			t.Fatalf("%s: AA %v on an answer that is no referral, or a referral with AA:\n%v", q, m.Authoritative, m)
		}
		cut := m.Ns[0].Header().Name
		if cut == origin || !dns.IsSubDomain(cut, qname) {
			t.Fatalf("%s: referral to %s", q, cut)
		}
		for _, rr := range m.Ns {
			if rr.Header().Rrtype != dns.TypeNS || rr.Header().Name != cut {
				t.Fatalf("%s: referral holds %v", q, rr)
			}
		}
		if qtype == dns.TypeDS && cut == qname {
			t.Fatalf("%s: DS at a cut is the parent's, answered with a referral", q)
		}
		for _, rr := range m.Extra {
			if typ := rr.Header().Rrtype; typ != dns.TypeA && typ != dns.TypeAAAA {
				t.Fatalf("%s: glue %v", q, rr)
			}
			if !slices.ContainsFunc(m.Ns, func(ns dns.RR) bool { return strings.EqualFold(ns.(*dns.NS).Ns, rr.Header().Name) }) {
				t.Fatalf("%s: glue %v for no NS target", q, rr)
			}
		}
		return
	}
	if len(m.Extra) > 0 {
		t.Fatalf("%s: authoritative answer with additional records:\n%v", q, m)
	}
	if len(m.Ns) > 1 || (len(m.Ns) == 1 && (m.Ns[0].Header().Rrtype != dns.TypeSOA || m.Ns[0].Header().Name != origin)) {
		t.Fatalf("%s: authority section %v, want nothing or the SOA", q, m.Ns)
	}
	if (m.Rcode == dns.RcodeNameError || len(m.Answer) == 0) && len(m.Ns) != 1 {
		t.Fatalf("%s: negative answer without the SOA:\n%v", q, m)
	}
	// The answer is a CNAME chain from qname, then records of qtype at its end.
	cur, hops := qname, 0
	var last *dns.CNAME // the chain's last CNAME while no data followed it
	data := false
	for i, rr := range m.Answer {
		h := rr.Header()
		if !strings.EqualFold(h.Name, cur) {
			t.Fatalf("%s: answer %d is %v, want owner %s:\n%v", q, i, rr, cur, m)
		}
		if c, ok := rr.(*dns.CNAME); ok && qtype != dns.TypeCNAME && qtype != dns.TypeANY {
			if data {
				t.Fatalf("%s: CNAME after data:\n%v", q, m)
			}
			last, cur = c, strings.ToLower(c.Target)
			if hops++; hops > maxChain {
				t.Fatalf("%s: chain of %d CNAMEs, over the limit %d", q, hops, maxChain)
			}
			continue
		}
		if qtype != dns.TypeANY && h.Rrtype != qtype {
			t.Fatalf("%s: answer %d is %v", q, i, rr)
		}
		last, data = nil, true
	}
	if last != nil && !dns.IsSubDomain(origin, last.Target) && (m.Rcode != dns.RcodeSuccess || len(m.Ns) != 0) {
		t.Fatalf("%s: the chain leaves the zone at %s, yet rcode %s with %v",
			q, last.Target, dns.RcodeToString[m.Rcode], m.Ns)
	}
}
