package journal_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dyndns/dyndns/plugin/journal"
	"github.com/dyndns/dyndns/plugin/journal/faultfs"
)

// After a failed write or fsync, the failed batch and everything queued
// behind it fail, Enqueue fails at once, and Recover cuts the file back so
// that appends resume and only acknowledged records are in the file.
func TestFailureAndRecover(t *testing.T) {
	tests := []struct {
		name  string
		arm   func(*faultfs.FS)
		cause error
	}{
		{"disk full mid-write", func(f *faultfs.FS) { f.FailWrites(30, syscall.ENOSPC) }, syscall.ENOSPC},
		{"write error", func(f *faultfs.FS) { f.FailWrites(0, syscall.EIO) }, syscall.EIO},
		{"fsync error", func(f *faultfs.FS) { f.FailSyncs(0, syscall.EIO) }, syscall.EIO},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := faultfs.NewMem()
			f := faultfs.New(mem)
			j, _ := open(t, "/z/j", f)
			for i := uint32(1); i <= 3; i++ {
				if err := j.Append(entry(t, i)); err != nil {
					t.Fatal(err)
				}
			}
			durable := j.Size()

			// Hold the first failing batch in fsync long enough for the
			// rest to queue behind it.
			f.SlowSync(20 * time.Millisecond)
			tt.arm(f)
			var tickets []journal.Ticket
			for i := uint32(4); i <= 10; i++ {
				tk, err := j.Enqueue(entry(t, i))
				if err != nil {
					break // the failure was already noticed
				}
				tickets = append(tickets, tk)
			}
			if len(tickets) == 0 {
				t.Fatal("no Enqueue succeeded")
			}
			for i, tk := range tickets {
				err := j.Wait(tk)
				if !errors.Is(err, journal.ErrFailed) || !errors.Is(err, tt.cause) {
					t.Fatalf("Wait(%d) = %v, want ErrFailed and %v", i, err, tt.cause)
				}
			}
			if _, err := j.Enqueue(entry(t, 4)); !errors.Is(err, journal.ErrFailed) {
				t.Fatalf("Enqueue while failed = %v, want ErrFailed", err)
			}
			if err := j.Compact(2); !errors.Is(err, journal.ErrFailed) {
				t.Fatalf("Compact while failed = %v, want ErrFailed", err)
			}
			if j.Size() != durable {
				t.Fatalf("Size = %d after failure, want %d", j.Size(), durable)
			}

			// Recover fails while the disk does, and can be retried.
			f.SlowSync(0)
			f.FailSyncs(0, syscall.EIO)
			if err := j.Recover(); err == nil {
				t.Fatal("Recover succeeded although fsync fails")
			}
			f.Heal()
			if err := j.Recover(); err != nil {
				t.Fatalf("Recover: %v", err)
			}
			if err := j.Recover(); err != nil {
				t.Fatalf("Recover when healthy: %v", err)
			}
			if data, _ := mem.ReadFile("/z/j"); int64(len(data)) != durable {
				t.Fatalf("file is %d bytes after Recover, want %d", len(data), durable)
			}
			// A failed ticket stays failed.
			if err := j.Wait(tickets[0]); err == nil {
				t.Fatal("failed ticket succeeds after Recover")
			}
			// The zone writer rolled back to serial 4, so it reuses it.
			for i := uint32(4); i <= 6; i++ {
				if err := j.Append(entry(t, i)); err != nil {
					t.Fatalf("Append after Recover: %v", err)
				}
			}
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			j, w := open(t, "/z/j", mem)
			defer j.Close()
			if w.count() != 0 {
				t.Errorf("reopen warned: %s", w)
			}
			checkChain(t, replay(t, j), 1, 7)
		})
	}
}

func TestCloseReportsFailure(t *testing.T) {
	f := faultfs.New(faultfs.NewMem())
	j, _ := open(t, "/z/j", f)
	f.FailSyncs(0, syscall.EIO)
	if err := j.Append(entry(t, 1)); err == nil {
		t.Fatal("Append succeeded")
	}
	if err := j.Close(); !errors.Is(err, journal.ErrFailed) {
		t.Errorf("Close = %v, want ErrFailed", err)
	}
}

// Whatever was acknowledged survives a crash at any moment: appenders run
// while the disk stops taking writes and unsynced data is forgotten. Each
// round crashes only after minAcked appends were acknowledged (a crash
// before any would prove nothing), at a point that varies by round.
func TestCrashKeepsAcknowledged(t *testing.T) {
	const minAcked = 5
	for round := range 20 {
		mem := faultfs.NewMem()
		f := faultfs.New(mem)
		j, _ := open(t, "/z/j", f)
		w := &writer{next: 1, j: j}
		var (
			mu      sync.Mutex
			acked   = map[uint32]bool{}
			wg      sync.WaitGroup
			stop    = make(chan struct{})
			enough  = make(chan struct{}) // closed at minAcked acknowledgements
			crashed atomic.Bool           // set before the faults: errors are expected from then on
		)
		for range 8 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					s, err := w.update(t)
					if err != nil {
						if !crashed.Load() {
							t.Errorf("round %d: update before the crash: %v", round, err)
						}
						return
					}
					mu.Lock()
					if acked[s] = true; len(acked) == minAcked {
						close(enough)
					}
					mu.Unlock()
				}
			})
		}
		select {
		case <-enough:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: fewer than %d appends acknowledged in 10s", round, minAcked)
		}
		// The crash point varies by round while the appenders go on; the
		// outcome must not depend on it.
		time.Sleep(time.Duration(round%5) * time.Millisecond)
		// From here nothing reaches the disk; then the machine dies.
		crashed.Store(true)
		f.FailWrites(0, syscall.EIO)
		f.FailSyncs(0, syscall.EIO)
		mu.Lock()
		ackedAtCrash := len(acked)
		mu.Unlock()
		mem.Crash() // an fsync under way fails from here: its appends are not acknowledged
		close(stop)
		wg.Wait()
		j.Close()

		j2, _ := open(t, "/z/j", mem)
		got := replay(t, j2)
		j2.Close()
		if len(got) < ackedAtCrash {
			t.Fatalf("round %d: %d entries after crash, %d were acknowledged", round, len(got), ackedAtCrash)
		}
		checkChain(t, got, 1, 1+uint32(len(got)))
		for s := range acked {
			if s > uint32(len(got)) {
				t.Fatalf("round %d: acknowledged serial %d lost (%d entries survive)", round, s, len(got))
			}
		}
	}
}
