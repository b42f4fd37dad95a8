package masterfile_test

import (
	"errors"
	"github.com/dyndns/dyndns/plugin/derive"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dyndns/dyndns/plugin/masterfile"
	"github.com/dyndns/dyndns/plugin/rotate"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

const readFuzzOrigin = "example.org."

// readFuzzMax bounds the records one input may load, so that $GENERATE
// cannot make a single input run for minutes.
const readFuzzMax = 2000

var errReadFuzzMax = errors.New("too many records")

// FuzzRead loads arbitrary text as a zone file into a zone, as a server
// start does, and then reads the zone back and answers from it. Any error is
// fine; a panic is not, and what loaded must keep the Loader's promises: owners
// in the zone and lower case, one SOA at the apex at most, no CNAME beside
// other data, RRsets without duplicates and with one TTL.
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		"",
		"$ORIGIN example.org.\n$TTL 300\n@ 3600 IN SOA ns1 hostmaster 1 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 192.0.2.53\n",
		`example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 42 7200 900 1209600 300
example.org. 3600 IN NS ns1.example.org.
example.org. 300 IN MX 10 mail.example.org.
www.example.org. 300 IN CNAME example.org.
_sip._tcp.example.org. 300 IN SRV 10 60 5060 sip.example.org.
txt.example.org. 60 IN TXT "with \"quotes\" and ; semicolon" "tab\009nl\010"
u.example.org. 300 IN TYPE65280 \# 2 abcd
*.wild.example.org. 300 IN A 192.0.2.7
a\.dot.example.org. 300 IN A 192.0.2.8
\$ttl.example.org. 300 IN A 192.0.2.10
a.b.c.deep.example.org. 300 IN PTR example.org.
MiXeD.example.org. 300 IN A 192.0.2.13
`,
		"$TTL 60\n@ IN SOA ns1 hostmaster (\n 1 ; serial\n 3600 600 604800 60 )\n@ NS ns1\n",
		"$ORIGIN example.org.\n$INCLUDE /etc/passwd\n",
		"$ORIGIN example.net.\nwww A 192.0.2.1\n",
		"$ORIGIN sub.example.org.\n@ 60 IN NS ns\nns 60 IN A 192.0.2.9\n",
		"www 60 IN A 192.0.2.1\nwww 60 IN CNAME other\n",
		"www 60 IN CNAME other\nwww 60 IN A 192.0.2.1\n",
		"www 60 IN CNAME other\nwww 60 IN KEY 256 3 8 AwEAAQ==\nwww 60 IN NSEC next www CNAME KEY\n",
		"@ 60 IN SOA ns1 h 1 1 1 1 1\n@ 60 IN SOA ns1 h 2 1 1 1 1\n",
		"www 60 IN SOA ns1 h 1 1 1 1 1\n",
		"www 60 IN A 192.0.2.1\nwww 30 IN A 192.0.2.2\nWWW 10 IN A 192.0.2.1\n",
		"@ 60 IN SOA \\# 0\nx 60 IN CNAME \\# 0\ny 60 IN A \\# 0\nz 60 IN NS \\# 1 00\n",
		"@ 60 IN SOA ns1 h 1 1 1 1 1\ncyberdyne-web-sfo-prod 60 IN A 13.37.1.1\ntechcom-web-sfo-prod 30 IN A 13.37.1.2\ntechcom-web-sfo-prod 30 IN AAAA 2001:db8::2\nweb 60 IN A 13.37.1.1\n",
		"@ 60 IN SOA ns1 h 1 1 1 1 1\nweb 60 IN CNAME www\nx-web-y 60 IN A 192.0.2.1\n",
		"$GENERATE 1-20 host-web-$ 60 IN A 192.0.2.$\n",
		"$GENERATE 1-65535 @ 60 IN TXT \"$\"\n",
		"example.org. 60 CH TXT \"chaos\"\nexample.org. 60 CLASS255 A 192.0.2.1\n",
		"sp\\032ace 60 IN A 192.0.2.9\n\\065bc 60 IN A 192.0.2.1\n",
	} {
		f.Add(s)
	}
	path := filepath.Join(f.TempDir(), "db.example.org") // each worker process has its own
	f.Fuzz(func(t *testing.T, text string) { readFuzz(t, path, text) })
}

// readFuzz is one FuzzRead input, written to path.
func readFuzz(t *testing.T, path, text string) {
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	z := zone.New(readFuzzOrigin, derive.Default())
	before := z.Current()
	_, v, err := z.Update(func(tx *zone.Txn) error {
		n := 0
		l := tx.Loader() // as dyndns loads a zone file
		err := masterfile.Read(path, readFuzzOrigin, func(rr dns.RR) error {
			if n++; n > readFuzzMax {
				return errReadFuzzMax
			}
			return l.Add(rr)
		})
		l.Flush()
		return err
	})
	if err != nil {
		if z.Current() != before {
			t.Fatalf("a failed load (%v) published a version", err)
		}
		return
	}
	checkLoaded(t, v)
}

// checkLoaded checks what the Loader promises and that every name answers.
func checkLoaded(t *testing.T, v *zone.Version) {
	origin := v.Origin()
	count := func(rr dns.RR) error { return nil }
	if err := v.WalkServed(count); err != nil {
		t.Fatal(err)
	}
	if err := v.WalkOwn(count); err != nil {
		t.Fatal(err)
	}
	var names []string
	v.Walk(func(n *zone.Node) bool {
		name := n.Name()
		names = append(names, name)
		if name != strings.ToLower(name) {
			t.Fatalf("name %s is not lower case", name)
		}
		var types []uint16
		for _, s := range n.OwnSets() {
			typ := s.Type()
			types = append(types, typ)
			for i, rr := range s.Records() {
				h := rr.Header()
				if h.Name != name || h.Rrtype != typ || h.Ttl != s.TTL() {
					t.Fatalf("%s %s set holds %v", name, dns.TypeToString[typ], rr)
				}
				if !dns.IsSubDomain(origin, h.Name) {
					t.Fatalf("%v is outside the zone", rr)
				}
				if slices.ContainsFunc(s.Records()[:i], func(x dns.RR) bool { return dns.IsDuplicate(x, rr) }) {
					t.Fatalf("%s %s: duplicate %v", name, dns.TypeToString[typ], rr)
				}
			}
			if typ == dns.TypeSOA && (name != origin || len(s.Records()) != 1) {
				t.Fatalf("%d SOA records at %s", len(s.Records()), name)
			}
		}
		if slices.Contains(types, dns.TypeCNAME) {
			for _, typ := range types {
				if !zone.MayCoexistWithCNAME(typ) {
					t.Fatalf("%s: CNAME beside %s", name, dns.TypeToString[typ])
				}
			}
		}
		return true
	})
	for _, name := range names {
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeCNAME, dns.TypeNS, dns.TypeSOA, dns.TypeDS, dns.TypeANY} {
			m := new(dns.Msg)
			v.Lookup(m, name, qtype, rotate.Cyclic)
			if v.SOA() == nil {
				if m.Rcode != dns.RcodeServerFailure {
					t.Fatalf("%s %s: rcode %s from a zone without SOA", name, dns.TypeToString[qtype], dns.RcodeToString[m.Rcode])
				}
			} else if m.Rcode != dns.RcodeSuccess && m.Rcode != dns.RcodeNameError {
				t.Fatalf("%s %s: rcode %s", name, dns.TypeToString[qtype], dns.RcodeToString[m.Rcode])
			}
		}
	}
}
