package zone

import (
	"fmt"
	"net"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/dyndns/dyndns/plugin/derive"
	"github.com/miekg/dns"
)

// TestLargeExplicitSetChangesCostTheSameAtAnySize: adding a record to an
// explicit address set, deleting one from its middle and taking the
// changeset cost about the same whether the set holds 1,000 records or
// 100,000 (the seed client's `web A <ip>` at a big service). Deleting
// copied the whole set, 100 times the cost at 1,000.
func TestLargeExplicitSetChangesCostTheSameAtAnySize(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes what the operations cost")
	}
	ip := func(i int) net.IP { return net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)).To4() }
	a := func(i int) dns.RR {
		return &dns.A{Hdr: dns.RR_Header{Name: "web.example.org.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: ip(i)}
	}
	median := func(k int) time.Duration {
		z := New("example.org.", derive.Default())
		if _, _, err := z.Update(func(tx *Txn) error {
			l := tx.Loader()
			for _, rr := range DefaultApex("example.org.") {
				l.Add(rr)
			}
			for i := range k {
				l.Add(a(i))
			}
			l.Flush()
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		runtime.GC() // the load's garbage is not the updates' cost
		var took []time.Duration
		for round := range 21 {
			i := (round*7919 + k/2) % k
			start := time.Now()
			if _, _, err := z.Update(func(tx *Txn) error {
				tx.DeleteRR(a(i))
				tx.AddRR(a(k + round))
				if cs := tx.Changeset(); len(cs.Del) != 1 || len(cs.Add) != 1 {
					return fmt.Errorf("changeset deletes %d and adds %d records, want 1 and 1", len(cs.Del), len(cs.Add))
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			took = append(took, time.Since(start))
		}
		if n := z.Current().Node("web.example.org.").RRset(dns.TypeA).Len(); n != k { // 21 deleted, 21 added
			t.Fatalf("web holds %d records, want %d", n, k)
		}
		slices.Sort(took)
		return took[len(took)/2]
	}
	small, big := median(1_000), median(100_000)
	t.Logf("median delete+add+changeset: %v at 1,000 records, %v at 100,000", small, big)
	if big > 3*small {
		t.Errorf("a change to a set of 100,000 records takes %v, %.0f times one to a set of 1,000 (%v)", big, float64(big)/float64(small), small)
	}
}
