package zone

import (
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/dyndns/dyndns/plugin/derive"
	"github.com/miekg/dns"
)

// The seed client's pattern, at random: hosts join, leave and renumber, and
// usually (not always) also add or delete their address at the service
// name by hand. After every commit, the service serves exactly the union of
// its explicit records and its hosts' addresses, whatever path (a check of
// the growth, or a full one) served it.
func TestServiceWithExplicitMembersServesTheUnion(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	z := New("example.org.", derive.Default())
	if _, _, err := z.Update(func(tx *Txn) error {
		for _, rr := range DefaultApex("example.org.") {
			tx.Insert(rr)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	const web = "web.example.org."
	a := func(name string, ip int, ttl uint32) dns.RR {
		return &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl}, A: net.IPv4(10, 1, byte(ip>>8), byte(ip)).To4()}
	}
	hosts := map[int]int{} // host number → address
	for step := range 3000 {
		h := r.IntN(60)
		ip := r.IntN(500)
		ttl := uint32(60)
		if r.IntN(20) == 0 {
			ttl = 30
		}
		name := fmt.Sprintf("h%d-web-prod.example.org.", h)
		// The seed client also writes web by hand: always for the first
		// half (the explicit set then holds every member), mostly after.
		explicit := step < 1500 || r.IntN(8) != 0
		_, _, err := z.Update(func(tx *Txn) error {
			switch r.IntN(4) {
			case 0: // leave
				if old, ok := hosts[h]; ok {
					tx.Set(name, dns.TypeA, nil)
					if explicit {
						tx.DeleteRR(a(web, old, ttl))
					}
					delete(hosts, h)
				}
			default: // join or renumber
				if old, ok := hosts[h]; ok && explicit {
					tx.DeleteRR(a(web, old, ttl))
				}
				tx.Set(name, dns.TypeA, []dns.RR{a(name, ip, 60)})
				if explicit {
					tx.AddRR(a(web, ip, ttl))
				}
				hosts[h] = ip
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		v := z.Current()
		want := map[string]bool{}
		for _, ip := range hosts {
			want[net.IPv4(10, 1, byte(ip>>8), byte(ip)).String()] = true
		}
		n := v.Node(web)
		if n != nil {
			for _, rr := range n.Own(dns.TypeA) {
				want[rr.(*dns.A).A.String()] = true
			}
		}
		var got []string
		if n != nil {
			if s := n.RRset(dns.TypeA); s != nil {
				for _, rr := range s.Records() {
					got = append(got, rr.(*dns.A).A.String())
				}
			}
		}
		slices.Sort(got)
		var wantList []string
		for ip := range want {
			wantList = append(wantList, ip)
		}
		slices.Sort(wantList)
		if !slices.Equal(got, wantList) {
			t.Fatalf("step %d: web serves %v, want %v", step, got, wantList)
		}
	}
}

// TestMemberLeavingABigSeedServiceCostsAsInASmallOne: in a service whose
// hosts also wrote their addresses at the service name, a member leaving
// (its host record and its record at the service deleted) and joining
// again costs about the same with 50,000 members as with 1,000. It must
// neither check every member again (that took 100 times as long) nor copy
// the explicit set (14 times as long at 100,000 members).
func TestMemberLeavingABigSeedServiceCostsAsInASmallOne(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes what the operations cost")
	}
	ip := func(i int) net.IP { return net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)).To4() }
	a := func(name string, i int) dns.RR {
		return &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: ip(i)}
	}
	host := func(i int) string { return fmt.Sprintf("h%d-web-prod.example.org.", i) }
	median := func(k int) time.Duration {
		z := New("example.org.", derive.Default())
		if _, _, err := z.Update(func(tx *Txn) error {
			l := tx.Loader()
			for _, rr := range DefaultApex("example.org.") {
				l.Add(rr)
			}
			for i := range k {
				l.Add(a(host(i), i))
				l.Add(a("web.example.org.", i))
			}
			l.Flush()
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		runtime.GC() // the load's garbage is not the updates' cost
		update := func(fn func(tx *Txn)) time.Duration {
			start := time.Now()
			if _, _, err := z.Update(func(tx *Txn) error { fn(tx); return nil }); err != nil {
				t.Fatal(err)
			}
			return time.Since(start)
		}
		var took []time.Duration
		for round := range 15 {
			i := (round * 997) % k
			took = append(took, update(func(tx *Txn) {
				tx.Set(host(i), dns.TypeA, nil)
				tx.DeleteRR(a("web.example.org.", i))
			})+update(func(tx *Txn) {
				tx.AddRR(a(host(i), i))
				tx.AddRR(a("web.example.org.", i))
			}))
		}
		if n := z.Current().Node("web.example.org.").RRset(dns.TypeA).Len(); n != k {
			t.Fatalf("web serves %d records, want %d", n, k)
		}
		slices.Sort(took)
		return took[len(took)/2]
	}
	small, big := median(1_000), median(50_000)
	t.Logf("median leave and join again: %v with 1,000 members, %v with 50,000", small, big)
	if big > 3*small {
		t.Errorf("a member leaving and joining again takes %v with 50,000 members, %.0f times the %v with 1,000", big, float64(big)/float64(small), small)
	}
}

// TestJoinBesideExplicitRecordsCostsAsMuchAsWithout: a service of 50,000
// hosts whose name also holds 16 explicit records of its own (a static
// backend) serves the union of the two; a host joining it must cost about
// what joining a service without explicit records costs, not a copy of
// every member (that took 300 times as long). Both measured in one run.
func TestJoinBesideExplicitRecordsCostsAsMuchAsWithout(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes what the two operations cost")
	}
	const k = 50_000
	ip := func(i int) net.IP { return net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)).To4() }
	a := func(name string, addr net.IP) dns.RR {
		return &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: addr}
	}
	medianJoin := func(explicit int) time.Duration {
		z := New("example.org.", derive.Default())
		if _, _, err := z.Update(func(tx *Txn) error {
			l := tx.Loader()
			for _, rr := range DefaultApex("example.org.") {
				l.Add(rr)
			}
			for i := range explicit {
				l.Add(a("web.example.org.", net.IPv4(192, 0, 2, byte(i)).To4()))
			}
			for i := range k {
				l.Add(a(fmt.Sprintf("h%d-web-prod.example.org.", i), ip(i)))
			}
			l.Flush()
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		runtime.GC() // the load's garbage is not the joins' cost
		var took []time.Duration
		for i := range 15 {
			rr := a(fmt.Sprintf("n%d-web-prod.example.org.", i), ip(k+i))
			start := time.Now()
			if _, _, err := z.Update(func(tx *Txn) error { tx.AddRR(rr); return nil }); err != nil {
				t.Fatal(err)
			}
			took = append(took, time.Since(start))
		}
		if n := z.Current().Node("web.example.org.").RRset(dns.TypeA).Len(); n != explicit+k+15 {
			t.Fatalf("web serves %d records, want %d", n, explicit+k+15)
		}
		slices.Sort(took)
		return took[len(took)/2]
	}
	without, beside := medianJoin(0), medianJoin(16)
	t.Logf("median join: %v without explicit records at web, %v beside 16", without, beside)
	if beside > 3*without {
		t.Errorf("a join beside 16 explicit records takes %v, %.0f times one without (%v)", beside, float64(beside)/float64(without), without)
	}
}
