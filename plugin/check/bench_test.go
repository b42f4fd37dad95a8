package check

import (
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func BenchmarkDown(b *testing.B) {
	c, web := downChecker(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			c.Down("web.example.org.").Has(web[i%len(web)])
			i++
		}
	})
}

// cpuTime is the CPU time (user, system) the process has used.
func cpuTime(b *testing.B) (user, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// BenchmarkChecker10k measures the CPU the checker takes for 10,000 tcp
// targets checked every second: 10,000 addresses in 127.1.0.0/16 with
// nothing listening, so that every connect is refused at once (RST) and
// every target goes down and stays down. Each iteration is one second of
// running; the metrics are CPU milliseconds (user, system, total) per
// second of running and checks per second.
//
//	go test -run '^$' -bench Checker10k -benchtime 5x ./plugin/check/
func BenchmarkChecker10k(b *testing.B) {
	const n = 10000
	ln, err := net.Listen("tcp", "127.1.0.1:0")
	if err != nil {
		b.Skip("cannot listen on 127.1.0.1:", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	members := make([]netip.Addr, n)
	for i := range members {
		members[i] = netip.AddrFrom4([4]byte{127, 1, byte(i >> 8), byte(i)})
	}
	m := map[string][]netip.Addr{"web.example.org.": members}
	var checks atomic.Int64
	c, err := New(Config{
		Checks:   []Check{{Kind: TCP, Port: port}},
		Interval: time.Second,
		Failed:   func(Kind) { checks.Add(1) },
	}, func() map[string][]netip.Addr { return m })
	if err != nil {
		b.Fatal(err)
	}
	c.Start()
	defer c.Stop()
	// Warm up: the first round spreads the targets over the interval, and
	// the second takes them all out (fall 2).
	deadline := time.Now().Add(10 * time.Second)
	for c.Down("web.example.org.").Len() < n {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d down after 10s", c.Down("web.example.org.").Len(), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	u0, s0 := cpuTime(b)
	c0 := checks.Load()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		time.Sleep(time.Second)
	}
	elapsed := time.Since(start).Seconds()
	b.StopTimer()
	u1, s1 := cpuTime(b)
	user, sys := (u1-u0).Seconds()*1000/elapsed, (s1-s0).Seconds()*1000/elapsed
	b.ReportMetric(user, "user-ms/s")
	b.ReportMetric(sys, "sys-ms/s")
	b.ReportMetric(user+sys, "cpu-ms/s")
	rate := float64(checks.Load()-c0) / elapsed
	b.ReportMetric(rate, "checks/s")
	b.ReportMetric((user+sys)*1000/rate, "cpu-µs/check")
	b.ReportMetric(0, "ns/op")
}
