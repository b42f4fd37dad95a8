package update

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dyndns/dyndns/plugin/rotate"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

const origin = "example.org."

const base = `
$ORIGIN example.org.
$TTL 300
@      3600 IN SOA ns1 hostmaster 10 3600 600 604800 60
@      IN NS   ns1
@      IN NS   ns2
ns1    IN A    192.0.2.53
ns2    IN A    192.0.2.54
www    IN A    192.0.2.1
www    IN A    192.0.2.2
alias  IN CNAME www
mx     IN MX   10 Mail.Example.org.
*.wild IN A    192.0.2.9
a.b    IN TXT  "deep"
sub    IN NS   ns.sub
`

type seedRules struct{}

func (seedRules) Services(label string) []string {
	f := strings.Split(label, "-")
	if len(f) < 3 || slices.Contains(f, "") {
		return nil
	}
	return []string{f[1]}
}

func newZone(t *testing.T) *zone.Zone {
	t.Helper()
	z := zone.New(origin, seedRules{})
	_, _, err := z.Update(func(tx *zone.Txn) error {
		zp := dns.NewZoneParser(strings.NewReader(base), origin, "")
		for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
			if err := tx.Insert(rr); err != nil {
				return err
			}
		}
		return zp.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// rr parses a record; "NAME TTL CLASS TYPE [RDATA]" with CLASS ANY/NONE
// allowed and RDATA optional, as nsupdate writes them.
func rr(t *testing.T, s string) dns.RR {
	t.Helper()
	f := strings.Fields(s)
	if len(f) == 4 { // no RDATA: build the header alone
		class := map[string]uint16{"ANY": dns.ClassANY, "NONE": dns.ClassNONE, "IN": dns.ClassINET}[f[2]]
		ttl := uint32(0)
		if f[1] != "0" {
			ttl = 60
		}
		return &dns.ANY{Hdr: dns.RR_Header{Name: dns.Fqdn(f[0]), Rrtype: dns.StringToType[f[3]], Class: class, Ttl: ttl}}
	}
	class := f[2]
	f[2] = "IN" // the parser knows RDATA only in class IN
	x, err := dns.NewRR(strings.Join(f, " "))
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	x.Header().Class = dns.StringToClass[class]
	return x
}

// msg builds an UPDATE and sends it through the wire format, as a server receives it.
func msg(t *testing.T, zoneName string, prereqs, updates []string) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetUpdate(zoneName)
	for _, s := range prereqs {
		m.Answer = append(m.Answer, rr(t, s))
	}
	for _, s := range updates {
		m.Ns = append(m.Ns, rr(t, s))
	}
	wire, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	out := new(dns.Msg)
	if err := out.Unpack(wire); err != nil {
		t.Fatal(err)
	}
	return out
}

func permitAll([]dns.RR) bool { return true }

// run applies an update and returns the rcode and the zone afterwards.
func run(t *testing.T, z *zone.Zone, m *dns.Msg, o Options) int {
	t.Helper()
	_, _, err := z.Update(func(tx *zone.Txn) error { return Apply(tx, m, o) })
	var e *Error
	switch {
	case err == nil:
		return dns.RcodeSuccess
	case errors.As(err, &e):
		return e.Rcode
	}
	t.Fatal(err)
	return -1
}

// rrset renders what a query for name/type answers, sorted.
func rrset(z *zone.Zone, name string, typ uint16) []string {
	m := new(dns.Msg)
	z.Current().Lookup(m, name, typ, rotate.Fixed)
	var out []string
	for _, rr := range m.Answer {
		if rr.Header().Rrtype == typ {
			out = append(out, strings.Join(strings.Fields(rr.String()), " "))
		}
	}
	slices.Sort(out)
	return out
}

func TestReRegistrationKeepsRotation(t *testing.T) {
	z := newZone(t)
	first := func() string {
		m := new(dns.Msg)
		z.Current().Lookup(m, "www.example.org.", dns.TypeA, rotate.Cyclic)
		return m.Answer[0].String()
	}
	a := first()
	// The seed clients re-register on every boot: delete the RRset, add the same records.
	re := msg(t, origin, nil, []string{"www.example.org. 0 ANY A", "www.example.org. 300 IN A 192.0.2.1", "www.example.org. 300 IN A 192.0.2.2"})
	if rc := run(t, z, re, Options{Permit: permitAll}); rc != dns.RcodeSuccess {
		t.Fatal(dns.RcodeToString[rc])
	}
	if b := first(); a == b {
		t.Errorf("rotation restarted after a re-registration that changed nothing: %s twice", a)
	}
}
