package zone

import (
	"fmt"
	"net"
	"testing"

	"github.com/dyndns/dyndns/plugin/derive"
	"github.com/miekg/dns"
)

// largeSetZone builds a zone whose name web holds k explicit A records.
func largeSetZone(b *testing.B, k int) *Zone {
	b.Helper()
	z := New("example.org.", derive.Default())
	_, _, err := z.Update(func(tx *Txn) error {
		l := tx.Loader()
		for _, rr := range DefaultApex("example.org.") {
			if err := l.Add(rr); err != nil {
				return err
			}
		}
		for i := range k {
			if err := l.Add(webA(i, 60)); err != nil {
				return err
			}
		}
		l.Flush()
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return z
}

func webA(i int, ttl uint32) *dns.A {
	return &dns.A{Hdr: dns.RR_Header{Name: "web.example.org.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl},
		A: net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)).To4()}
}

// BenchmarkReplayIntoLargeSet replays changesets (as the journal and IXFR
// do) that add one record to, or delete one record from, a set of k
// records, with the SOA change each carries.
func BenchmarkReplayIntoLargeSet(b *testing.B) {
	for _, k := range []int{1_000, 100_000} {
		for _, op := range []string{"add", "del"} {
			b.Run(fmt.Sprintf("op=%s/records=%d", op, k), func(b *testing.B) {
				z := largeSetZone(b, k)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if (op == "del" && i == k/2) || i == k { // the set stays between k/2 and 2k records
						b.StopTimer()
						z, i = largeSetZone(b, k), 0
						b.StartTimer()
					}
					soa := z.Current().SOA()
					next := dns.Copy(soa).(*dns.SOA)
					next.Serial++
					cs := Changeset{From: soa.Serial, To: next.Serial, Del: []dns.RR{soa}, Add: []dns.RR{next}}
					if op == "add" {
						cs.Add = append(cs.Add, webA(k+i, 60))
					} else {
						cs.Del = append(cs.Del, webA(k/2+i, 60))
					}
					if _, _, err := z.Update(func(tx *Txn) error { tx.Apply(cs); return nil }); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}
