package zone

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/dyndns/dyndns/plugin/derive"

	"github.com/dyndns/dyndns/plugin/rotate"
	"github.com/miekg/dns"
)

// bigZone builds a zone of n hosts spread over 100 services.
func bigZone(b *testing.B, n int) *Zone {
	b.Helper()
	z := New("example.org.", derive.Default())
	_, _, err := z.Update(func(tx *Txn) error {
		for _, rr := range DefaultApex("example.org.") {
			if err := tx.Insert(rr); err != nil {
				return err
			}
		}
		for i := range n {
			if err := tx.Insert(hostA(fmt.Sprintf("h%d-svc%d-sfo-prod.example.org.", i, i%100), i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return z
}

var sizes = []int{1_000, 100_000}

func BenchmarkLookup(b *testing.B) {
	for _, n := range sizes {
		z := bigZone(b, n)
		qname := fmt.Sprintf("h%d-svc7-sfo-prod.example.org.", n/2+7)
		b.Run(fmt.Sprintf("names=%d", n), func(b *testing.B) {
			m := new(dns.Msg)
			m.Answer = make([]dns.RR, 0, 4)
			b.ReportAllocs()
			for b.Loop() {
				m.Answer = m.Answer[:0]
				z.Current().Lookup(m, qname, dns.TypeA, rotate.Cyclic)
			}
		})
	}
}

func BenchmarkLookupParallel(b *testing.B) {
	z := bigZone(b, 100_000)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		m := new(dns.Msg)
		m.Answer = make([]dns.RR, 0, 4)
		for pb.Next() {
			m.Answer = m.Answer[:0]
			z.Current().Lookup(m, "h50007-svc7-sfo-prod.example.org.", dns.TypeA, rotate.Cyclic)
		}
	})
}

// BenchmarkUpdateHost renumbers one host: the cost must not grow with the zone
// (only the host's path and its service are copied).
func BenchmarkUpdateHost(b *testing.B) {
	for _, n := range sizes {
		z := bigZone(b, n)
		name := fmt.Sprintf("h%d-svc7-sfo-prod.example.org.", n/2+7)
		b.Run(fmt.Sprintf("names=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				rr := &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
					A: net.IPv4(172, 16, byte(i>>8), byte(i))}
				if _, _, err := z.Update(func(tx *Txn) error { tx.Set(name, dns.TypeA, []dns.RR{rr}); return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUpdatePlainName changes a name that derives nothing.
func BenchmarkUpdatePlainName(b *testing.B) {
	for _, n := range sizes {
		z := bigZone(b, n)
		b.Run(fmt.Sprintf("names=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				name := fmt.Sprintf("plain%d.example.org.", i%1000)
				rr := &dns.TXT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: []string{"x"}}
				if _, _, err := z.Update(func(tx *Txn) error { tx.Set(name, dns.TypeTXT, []dns.RR{rr}); return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLeaseExpiry measures expiry in a zone of 100,000 leased hosts:
// "all" expires every lease in one commit (a cold start after a long
// outage), "one" one lease per commit (deadlines spread over time, the
// usual case). Both report the cost per expired record.
func BenchmarkLeaseExpiry(b *testing.B) {
	const n = 100_000
	leasedZone := func() *Zone {
		z := bigZone(b, n)
		if _, _, err := z.Update(func(tx *Txn) error {
			for i := range n {
				name := fmt.Sprintf("h%d-svc%d-sfo-prod.example.org.", i, i%100)
				tx.SetLease(tx.Own(name, dns.TypeA)[0], int64(1+i))
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		return z
	}
	b.Run("all", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			z := leasedZone()
			b.StartTimer()
			if rrs, _, err := z.Expire(time.Unix(n, 0)); err != nil || len(rrs) != n {
				b.Fatalf("%d expired, %v", len(rrs), err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
	})
	b.Run("one", func(b *testing.B) {
		z := leasedZone()
		i := 0
		for b.Loop() {
			i++
			if i > n {
				b.StopTimer()
				z, i = leasedZone(), 1
				b.StartTimer()
			}
			if rrs, _, err := z.Expire(time.Unix(int64(i), 0)); err != nil || len(rrs) != 1 {
				b.Fatalf("%d expired, %v", len(rrs), err)
			}
		}
	})
}

// BenchmarkIncremental measures an IXFR for one host change in a zone of
// 10,000 hosts in 100 services: the time to compute it, and its size on
// the wire against the whole zone's (AXFR).
func BenchmarkIncremental(b *testing.B) {
	z := bigZone(b, 10_000)
	before := z.Current().Serial()
	rr := &dns.A{Hdr: dns.RR_Header{Name: "new-svc7-sfo-prod.example.org.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(10, 9, 9, 9)}
	if _, _, err := z.Update(func(tx *Txn) error { tx.Set(rr.Hdr.Name, dns.TypeA, []dns.RR{rr}); tx.BumpSerial(); return nil }); err != nil {
		b.Fatal(err)
	}
	size := func(rrs []dns.RR) (n int) {
		for _, rr := range rrs {
			n += dns.Len(rr)
		}
		return n
	}
	var ixfr int
	for b.Loop() {
		v, old, removed, added, ok := z.Incremental(before)
		if !ok {
			b.Fatal("no incremental transfer")
		}
		ixfr = 3*dns.Len(v.SOA()) + dns.Len(old) + size(removed) + size(added)
	}
	axfr := 0
	z.Current().WalkServed(func(rr dns.RR) error { axfr += dns.Len(rr); return nil })
	b.ReportMetric(float64(ixfr), "ixfr-bytes")
	b.ReportMetric(float64(axfr+dns.Len(z.Current().SOA())), "axfr-bytes")
}

// everyTenth takes one address in ten out of answers, without allocating.
type everyTenth struct{}

func (everyTenth) Out(rr dns.RR) bool { a := rr.(*dns.A).A; return a[len(a)-1]%10 == 0 }

type tenthDown struct{}

func (tenthDown) Down(string) rotate.Filter { return everyTenth{} }

// BenchmarkLookupService answers a service of 1,000 members: whole, with a
// health filter that takes one in ten out, and cut to 8 records.
func BenchmarkLookupService(b *testing.B) {
	z := bigZone(b, 100_000) // 100 services of 1,000 hosts
	for _, tc := range []struct {
		name string
		a    Answers
	}{
		{"whole", Answers{}},
		{"health", Answers{Health: tenthDown{}}},
		{"max-answers=8", Answers{Max: 8}},
		{"health+max-answers=8", Answers{Max: 8, Health: tenthDown{}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			m := new(dns.Msg)
			m.Answer = make([]dns.RR, 0, 1000)
			b.ReportAllocs()
			for b.Loop() {
				m.Answer = m.Answer[:0]
				z.Current().LookupShaped(m, "svc7.example.org.", dns.TypeA, tc.a)
			}
		})
	}
}

// BenchmarkJoinService adds a new host to a service that has k members
// already (every host of the zone is in web): the cost of a join must not
// grow with the service (issue 7: ratio 100k/1k ≥ 0.67 in updates/s).
func BenchmarkJoinService(b *testing.B) {
	for _, k := range append(sizes, 1_000_000) { // a million: the index above the leaves grows a level
		z := New("example.org.", derive.Default())
		_, _, err := z.Update(func(tx *Txn) error {
			for _, rr := range DefaultApex("example.org.") {
				if err := tx.Insert(rr); err != nil {
					return err
				}
			}
			for i := range k {
				if err := tx.Insert(hostA(fmt.Sprintf("h%d-web-prod.example.org.", i), i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		i := k // the next new host, across runs of the benchmark
		b.Run(fmt.Sprintf("members=%d", k), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rr := hostA(fmt.Sprintf("h%d-web-prod.example.org.", i), i)
				i++
				if _, _, err := z.Update(func(tx *Txn) error { tx.AddRR(rr); return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func hostA(name string, i int) dns.RR {
	return &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
		A: net.IPv4(10, byte(i>>16), byte(i>>8), byte(i))}
}

// loadHosts loads n hosts in services of 100 (each host an A record that
// its service derives) as a zone file is loaded, and returns the live heap
// it added per host: the heap after a GC, less the heap before the load.
func loadHosts(tb testing.TB, n int) (*Zone, float64) { return loadMembers(tb, n, false) }

// loadMembers is loadHosts; with seed set, every host's address is also
// written at its service name, as the seed clients do.
func loadMembers(tb testing.TB, n int, seed bool) (*Zone, float64) {
	before := liveHeap()
	z := New("example.org.", derive.Default())
	if err := z.Load(func(t *Txn) error {
		l := t.Loader()
		defer l.Flush()
		for _, rr := range DefaultApex("example.org.") {
			if err := l.Add(rr); err != nil {
				return err
			}
		}
		for i := range n {
			// hostA's address is 16 bytes, as parsed from a zone file
			if err := l.Add(hostA(fmt.Sprintf("h%d-svc%d-sfo-prod.example.org.", i, i%(n/100)), i)); err != nil {
				return err
			}
			if !seed {
				continue
			}
			if err := l.Add(hostA(fmt.Sprintf("svc%d.example.org.", i%(n/100)), i)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return z, float64(liveHeap()-before) / float64(n)
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkHeapPerHost reports the live heap a stored host costs in a zone
// of 100,000 hosts in 1,000 services.
// go test -run XXX -bench HeapPerHost -benchtime 1x ./plugin/zone
// (HEAPPROFILE=file writes a heap profile of every allocation.)
func BenchmarkHeapPerHost(b *testing.B) {
	if os.Getenv("HEAPPROFILE") != "" {
		runtime.MemProfileRate = 1
	}
	for b.Loop() {
		z, perHost := loadHosts(b, 100_000)
		b.ReportMetric(perHost, "heapB/host")
		if f := os.Getenv("HEAPPROFILE"); f != "" {
			out, err := os.Create(f)
			if err != nil {
				b.Fatal(err)
			}
			pprof.WriteHeapProfile(out)
			out.Close()
		}
		runtime.KeepAlive(z)
	}
}

// A stored host costs at most about 400 bytes of heap (its node, record,
// set, name, key and tree slot, and its record in its service): what puts
// a 100,000-host server's memory at BIND's. It cost 925 with a radix tree
// that allocates channels per name.
func TestHeapPerHost(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes what allocations cost")
	}
	z, perHost := loadHosts(t, 20_000)
	runtime.KeepAlive(z)
	if perHost > 450 {
		t.Errorf("%.0f heap bytes per host, want at most 450", perHost)
	}
	t.Logf("%.0f heap bytes per host", perHost)
}

// A host whose address is also written at its service name (the seed
// clients' pattern, the zone BIND loads) costs little more than a host: the
// service's derived record is the written one, not a copy of it, and the
// written records share their owner name and keep 4-byte addresses. The
// written record cost 131 bytes more when each was a record of its own.
func TestHeapPerSeedMember(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes what allocations cost")
	}
	z, perHost := loadHosts(t, 20_000)
	runtime.KeepAlive(z)
	z, perMember := loadMembers(t, 20_000, true)
	runtime.KeepAlive(z)
	t.Logf("%.0f heap bytes per host, %.0f per seed member", perHost, perMember)
	if perMember > perHost+50 {
		t.Errorf("a seed member costs %.0f heap bytes, %.0f more than a host (%.0f), want at most 50 more", perMember, perMember-perHost, perHost)
	}
}
