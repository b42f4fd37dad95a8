package journal_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"

	"github.com/dyndns/dyndns/plugin/journal"
)

// BenchmarkAppendParallel measures durable appends on the real disk under
// b.TempDir with 1 and 50 concurrent appenders, reporting fsyncs per
// record (syncs/op) and throughput (records/s).
func BenchmarkAppendParallel(b *testing.B) {
	for _, appenders := range []int{1, 50} {
		b.Run(fmt.Sprintf("appenders=%d", appenders), func(b *testing.B) {
			j, err := journal.Open(jpath(b), journal.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer j.Close()
			del := []dns.RR{mustRR(b, "host.example.org. 300 IN A 192.0.2.1")}
			add := []dns.RR{mustRR(b, "host.example.org. 300 IN A 192.0.2.2")}
			var serial atomic.Uint32
			appendOne := func() error {
				s := serial.Add(1)
				return j.Append(journal.Entry{From: s - 1, To: s, Del: del, Add: add})
			}
			b.ReportAllocs()
			b.ResetTimer()
			if appenders == 1 {
				for b.Loop() {
					if err := appendOne(); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				// RunParallel starts parallelism*GOMAXPROCS goroutines.
				procs := runtime.GOMAXPROCS(0)
				b.SetParallelism((appenders + procs - 1) / procs)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := appendOne(); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.StopTimer()
			st := j.Stats()
			b.ReportMetric(float64(st.Syncs)/float64(st.Records), "syncs/op")
			b.ReportMetric(float64(st.Records)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
