package zone

import (
	"github.com/dyndns/dyndns/plugin/derive"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// load builds a zone from master-file text.
func load(t testing.TB, origin, text string) *Zone {
	t.Helper()
	z := New(origin, derive.Default())
	_, _, err := z.Update(func(tx *Txn) error { return insertText(tx, text) })
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// insertText inserts the records of master-file text.
func insertText(tx *Txn, text string) error {
	l := tx.Loader()
	zp := dns.NewZoneParser(strings.NewReader(text), tx.Origin(), "")
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if err := l.Add(rr); err != nil {
			return err
		}
	}
	l.Flush()
	return zp.Err()
}

func mustRR(t testing.TB, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

// strs renders records for comparison, sorted when sorted is set.
func strs(rrs []dns.RR, sorted bool) []string {
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		out = append(out, strings.ReplaceAll(rr.String(), "\t", " "))
	}
	if sorted {
		slices.Sort(out)
	}
	return out
}

const seedZone = `
$ORIGIN example.org.
$TTL 300
@        3600 IN SOA ns1 hostmaster 1 3600 600 604800 60
@        IN NS   ns1
ns1      IN A    192.0.2.53
www      IN A    192.0.2.1
www      IN A    192.0.2.2
alias    IN CNAME www
chain    IN CNAME alias
out      IN CNAME www.example.net.
loop1    IN CNAME loop2
loop2    IN CNAME loop1
a.b.c    IN TXT  "deep"
*.wild   IN A    192.0.2.9
*.wild   IN TXT  "wild"
x.wild   IN MX   10 mail
*.cw     IN CNAME www
sub      IN NS   ns.sub
sub      IN DS   12345 8 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
ns.sub   IN A    192.0.2.54
cyberdyne-web-sfo-prod IN A 13.37.1.1
techcom-web-sfo-prod   IN A 13.37.1.2
techcom-web-sfo-prod   IN AAAA 2001:db8::2
`
