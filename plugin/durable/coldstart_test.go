package durable

import (
	"fmt"
	"github.com/dyndns/dyndns/plugin/derive"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// BenchmarkColdStart opens a 100,000-host zone from its zone file plus a
// journal of 10,000 updates not yet folded into it: the restart after a crash.
// go test -run XXX -bench ColdStart -benchtime 3x ./plugin/durable
func BenchmarkColdStart(b *testing.B) {
	const hosts, journaled = 100_000, 10_000
	src := b.TempDir()
	s, err := Open(origin, derive.Default(), Options{Dir: src})
	if err != nil {
		b.Fatal(err)
	}
	_, _, err = s.Zone().Update(func(t *zone.Txn) error {
		for i := range hosts {
			rr, _ := dns.NewRR(fmt.Sprintf("h%d-svc%d-prod.%s 60 IN A 10.%d.%d.%d", i, i%100, origin, i>>16&255, i>>8&255, i&255))
			if err := t.Insert(rr); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Snapshot(); err != nil {
		b.Fatal(err)
	}
	for i := range journaled {
		if _, _, err := s.Zone().Update(addHost(fmt.Sprintf("h%d-svc%d-prod.%s", i, i%100, origin), fmt.Sprintf("172.16.%d.%d", i>>8&255, i&255))); err != nil {
			b.Fatal(err)
		}
	}
	want := s.Zone().Current().Serial()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		for _, f := range []string{ZoneFile(src, origin), JournalFile(src, origin)} {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644)
		}
		b.StartTimer()
		start := time.Now()
		again, err := Open(origin, derive.Default(), Options{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/start")
		if got := again.Zone().Current().Serial(); got != want {
			b.Fatalf("serial %d after replay, want %d", got, want)
		}
		b.StopTimer()
		again.journal.Close()
		b.StartTimer()
	}
}
