package dyndns

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dyndns/dyndns/plugin/durable"
	"github.com/dyndns/dyndns/plugin/storage"
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
	store := storage.Lookup((&durable.Directory{Dir: dir}).Key(), "example.org.").(*durable.Store)
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

// BenchmarkHealthCheckedService measures queries/s through a real server
// for a service of 1,000 members answered 8 at a time (max-answers 8):
// without health checks, and with a tcp check every second under which
// half the members are down (listeners on the other half). The query path
// must not slow down because of the checker.
// go test -run XXX -bench HealthCheckedService -benchtime 3s .
func BenchmarkHealthCheckedService(b *testing.B) {
	const members = 1000
	port := freePort(b)
	addrOf := func(i int) string { return fmt.Sprintf("127.0.%d.%d", 1+i/250, 1+i%250) }
	for i := 0; i < members; i += 2 {
		listen(b, addrOf(i)+":"+port)
	}
	for _, checked := range []bool{false, true} {
		b.Run(fmt.Sprintf("checks=%v", checked), func(b *testing.B) {
			health := ""
			if checked {
				health = "health tcp " + port + " web\n\t\t\thealth-interval 1s"
			}
			udp, tcp := startServer(b, `hc.test:0 {
		bind 127.0.0.1
		dyndns {
			allow-update 127.0.0.1
			max-answers 8
			`+health+`
		}
	}`)
			conn, err := dns.Dial("tcp", tcp)
			if err != nil {
				b.Fatal(err)
			}
			for i := range members {
				m := new(dns.Msg)
				m.SetUpdate("hc.test.")
				rr, _ := dns.NewRR(fmt.Sprintf("h%d-web-prod.hc.test. 60 IN A %s", i, addrOf(i)))
				m.Insert([]dns.RR{rr})
				if err := conn.WriteMsg(m); err != nil {
					b.Fatal(err)
				}
				if r, err := conn.ReadMsg(); err != nil || r.Rcode != dns.RcodeSuccess {
					b.Fatalf("register: %v %v", err, r)
				}
			}
			conn.Close()
			if checked { // wait until the down half is out
				deadline := time.Now().Add(10 * time.Second)
				for {
					q := new(dns.Msg)
					q.SetQuestion("web.hc.test.", dns.TypeA)
					r, _, err := (&dns.Client{}).Exchange(q, udp)
					if err == nil && len(r.Answer) > 0 && allListening(r.Answer) {
						break
					}
					if time.Now().After(deadline) {
						b.Fatal("the checker did not take the down half out")
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				c, err := dns.Dial("udp", udp)
				if err != nil {
					b.Error(err)
					return
				}
				defer c.Close()
				q := new(dns.Msg)
				q.SetQuestion("web.hc.test.", dns.TypeA)
				for pb.Next() {
					if err := c.WriteMsg(q); err != nil {
						b.Error(err)
						return
					}
					if r, err := c.ReadMsg(); err != nil || len(r.Answer) != 8 {
						b.Errorf("answer: %v %v", err, r)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "queries/s")
		})
	}
}

// allListening reports whether every answered address is one with a
// listener (an even member: the last byte is odd).
func allListening(rrs []dns.RR) bool {
	for _, rr := range rrs {
		a := rr.(*dns.A).A.To4()
		if a[3]%2 == 0 {
			return false
		}
	}
	return true
}
