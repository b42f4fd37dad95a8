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

// Tests that an update costs about the same in a big service or set as in
// a small one, timed in one run (ratios: absolute times mean little on a
// shared machine). The race detector changes what operations cost, so they
// do not run under it.

// costA is the A record of address 10.x.y.z numbered i at name, TTL 60.
func costA(name string, i int) dns.RR {
	return &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
		A: net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)).To4()}
}

// costZone returns a zone of the default apex and the records fill adds,
// with the load's garbage collected: it is not what the tests time.
func costZone(t *testing.T, fill func(add func(dns.RR))) *Zone {
	t.Helper()
	if raceEnabled {
		t.Skip("the race detector changes what the operations cost")
	}
	z := New("example.org.", derive.Default())
	if _, _, err := z.Update(func(tx *Txn) error {
		l := tx.Loader()
		var err error
		add := func(rr dns.RR) {
			if err == nil {
				err = l.Add(rr)
			}
		}
		for _, rr := range DefaultApex("example.org.") {
			add(rr)
		}
		fill(add)
		l.Flush()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	return z
}

// timed returns how long one transaction of fn on z takes.
func timed(t *testing.T, z *Zone, fn func(tx *Txn) error) time.Duration {
	t.Helper()
	start := time.Now()
	if _, _, err := z.Update(fn); err != nil {
		t.Fatal(err)
	}
	return time.Since(start)
}

// medians times a(0), b(0), a(1), b(1) … up to rounds of each, and returns
// the median of each: taken in turns, the noise of a shared machine (a
// collection, another process) falls on both alike.
func medians(rounds int, a, b func(round int) time.Duration) (time.Duration, time.Duration) {
	ta, tb := make([]time.Duration, rounds), make([]time.Duration, rounds)
	for i := range rounds {
		ta[i], tb[i] = a(i), b(i)
	}
	slices.Sort(ta)
	slices.Sort(tb)
	return ta[rounds/2], tb[rounds/2]
}

// servesN fails unless web serves n address records.
func servesN(t *testing.T, z *Zone, n int) {
	t.Helper()
	if got := z.Current().Node("web.example.org.").RRset(dns.TypeA).Len(); got != n {
		t.Fatalf("web serves %d records, want %d", got, n)
	}
}

// TestLargeExplicitSetChangesCostTheSameAtAnySize: adding a record to an
// explicit address set, deleting one from its middle and taking the
// changeset cost about the same whether the set holds 1,000 records or
// 100,000 (the seed client's `web A <ip>` at a big service). Deleting
// copied the whole set, 300 times the cost at 1,000.
func TestLargeExplicitSetChangesCostTheSameAtAnySize(t *testing.T) {
	change := func(k int) func(int) time.Duration {
		z := costZone(t, func(add func(dns.RR)) {
			for i := range k {
				add(costA("web.example.org.", i))
			}
		})
		t.Cleanup(func() { servesN(t, z, k) }) // as many deleted as added
		return func(round int) time.Duration {
			return timed(t, z, func(tx *Txn) error {
				tx.DeleteRR(costA("web.example.org.", (round*7919+k/2)%k))
				tx.AddRR(costA("web.example.org.", k+round))
				if cs := tx.Changeset(); len(cs.Del) != 1 || len(cs.Add) != 1 {
					return fmt.Errorf("changeset deletes %d and adds %d records, want 1 and 1", len(cs.Del), len(cs.Add))
				}
				return nil
			})
		}
	}
	small, big := medians(21, change(1_000), change(100_000))
	t.Logf("median delete+add+changeset: %v at 1,000 records, %v at 100,000", small, big)
	if big > 3*small {
		t.Errorf("a change to a set of 100,000 records takes %v, %.0f times one to a set of 1,000 (%v)", big, float64(big)/float64(small), small)
	}
}

// TestMemberLeavingABigSeedServiceCostsAsInASmallOne: in a service whose
// hosts also wrote their addresses at the service name, a member leaving
// (its host record and its record at the service deleted) and joining
// again costs about the same with 50,000 members as with 1,000. It must
// neither check every member again (that took 100 times as long) nor copy
// the explicit set (6 times as long at 50,000 members).
func TestMemberLeavingABigSeedServiceCostsAsInASmallOne(t *testing.T) {
	host := func(i int) string { return fmt.Sprintf("h%d-web-prod.example.org.", i) }
	leaveAndJoin := func(k int) func(int) time.Duration {
		z := costZone(t, func(add func(dns.RR)) {
			for i := range k {
				add(costA(host(i), i))
				add(costA("web.example.org.", i))
			}
		})
		t.Cleanup(func() { servesN(t, z, k) })
		return func(round int) time.Duration {
			i := (round * 997) % k
			return timed(t, z, func(tx *Txn) error {
				tx.Set(host(i), dns.TypeA, nil)
				tx.DeleteRR(costA("web.example.org.", i))
				return nil
			}) + timed(t, z, func(tx *Txn) error {
				tx.AddRR(costA(host(i), i))
				tx.AddRR(costA("web.example.org.", i))
				return nil
			})
		}
	}
	small, big := medians(21, leaveAndJoin(1_000), leaveAndJoin(50_000))
	t.Logf("median leave and join again: %v with 1,000 members, %v with 50,000", small, big)
	if big > 3*small {
		t.Errorf("a member leaving and joining again takes %v with 50,000 members, %.0f times the %v with 1,000", big, float64(big)/float64(small), small)
	}
}

// TestJoinBesideExplicitRecordsCostsAsMuchAsWithout: a service of 50,000
// hosts whose name also holds 16 explicit records of its own (a static
// backend) serves the union of the two; a host joining it must cost about
// what joining a service without explicit records costs, not a copy of
// every member (that took 300 times as long).
func TestJoinBesideExplicitRecordsCostsAsMuchAsWithout(t *testing.T) {
	const k = 50_000
	const rounds = 21
	join := func(explicit int) func(int) time.Duration {
		z := costZone(t, func(add func(dns.RR)) {
			for i := range explicit {
				add(costA("web.example.org.", 1<<20+i)) // 10.16.0.i: no member's
			}
			for i := range k {
				add(costA(fmt.Sprintf("h%d-web-prod.example.org.", i), i))
			}
		})
		t.Cleanup(func() { servesN(t, z, explicit+k+rounds) })
		return func(i int) time.Duration {
			return timed(t, z, func(tx *Txn) error {
				tx.AddRR(costA(fmt.Sprintf("n%d-web-prod.example.org.", i), k+i))
				return nil
			})
		}
	}
	without, beside := medians(rounds, join(0), join(16))
	t.Logf("median join: %v without explicit records at web, %v beside 16", without, beside)
	if beside > 3*without {
		t.Errorf("a join beside 16 explicit records takes %v, %.0f times one without (%v)", beside, float64(beside)/float64(without), without)
	}
}
