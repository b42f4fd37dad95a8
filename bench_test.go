package dyndns

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// BenchmarkDurableUpdates measures acknowledged (fsynced) updates through a
// real server over TCP, with 1 and 50 concurrent clients, and reports the
// journal fsyncs per update: group commit should make it fall with
// concurrency. Hosts spread over 100 services, as in bench/run.sh. Two
// kinds: "add" registers a new host per update; "renew" has each client
// renew its own host's lease (RFC 9664), which journals the new deadline
// but changes no record and no serial. Renewals alternate between two
// lease lengths, so that every one moves the deadline (deadlines are whole
// seconds: a renewal within the same second changes nothing and is
// acknowledged without a write).
// go test -run XXX -bench DurableUpdates -benchtime 5s .
func BenchmarkDurableUpdates(b *testing.B) {
	for _, kind := range []string{"add", "renew"} {
		for _, clients := range []int{1, 50} {
			b.Run(fmt.Sprintf("%s/clients=%d", kind, clients), func(b *testing.B) {
				benchmarkUpdates(b, kind, clients)
			})
		}
	}
}

func benchmarkUpdates(b *testing.B, kind string, clients int) {
	dir := b.TempDir()
	_, tcp := startServer(b, durableCorefile(dir))
	store := registry.stores[storeKey{dir, "example.org."}].store
	before := store.Stats()
	var next, client atomic.Int64
	b.SetParallelism((clients + 1) / 2) // GOMAXPROCS is 2 here; RunParallel runs p*GOMAXPROCS clients
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		conn, err := dns.Dial("tcp", tcp)
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close()
		own := client.Add(1)
		for n := 0; pb.Next(); n++ {
			i := next.Add(1)
			if kind == "renew" {
				i = own
			}
			m := new(dns.Msg)
			m.SetUpdate("example.org.")
			rr, _ := dns.NewRR(fmt.Sprintf("h%d-svc%d-prod.example.org. 60 IN A 10.%d.%d.%d", i, i%100, i>>16&255, i>>8&255, i&255))
			m.Insert([]dns.RR{rr})
			if kind == "renew" {
				withLease(m, 3600+uint32(n%2)*100, 0)
			}
			if err := conn.WriteMsg(m); err != nil {
				b.Error(err)
				return
			}
			if r, err := conn.ReadMsg(); err != nil || r.Rcode != dns.RcodeSuccess {
				b.Errorf("update: %v %v", err, r)
				return
			}
		}
	})
	elapsed := time.Since(start)
	after := store.Stats()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "updates/s")
	b.ReportMetric(float64(after.Records-before.Records)/float64(b.N), "entries/update")
	b.ReportMetric(float64(after.Syncs-before.Syncs)/float64(b.N), "fsyncs/update")
}
