package journal_test

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dyndns/dyndns/plugin/journal"
	"github.com/dyndns/dyndns/plugin/journal/faultfs"
)

func TestCompact(t *testing.T) {
	tests := []struct {
		name      string
		keepAfter uint32
		from      uint32 // From of the first surviving entry of 1->2 .. 10->11
	}{
		{"nothing to drop", 0, 1},
		{"some", 4, 4},
		{"all", 11, 11},
		{"ahead of everything", 1000, 11},
		{"more than 2^31 ahead counts as behind (RFC 1982)", 1<<31 + 12, 1},
		{"wrapped behind", 0xFFFFFFF0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := faultfs.NewMem()
			j, _ := open(t, "/z/j", mem)
			for i := uint32(1); i <= 10; i++ {
				if err := j.Append(entry(t, i)); err != nil {
					t.Fatal(err)
				}
			}
			if err := j.Compact(tt.keepAfter); err != nil {
				t.Fatalf("Compact: %v", err)
			}
			checkChain(t, replay(t, j), tt.from, 11)
			if data, _ := mem.ReadFile("/z/j"); int64(len(data)) != j.Size() {
				t.Errorf("file is %d bytes, Size %d", len(data), j.Size())
			}
			if tt.from == 11 && j.Size() != 16 {
				t.Errorf("Size = %d after dropping everything, want 16", j.Size())
			}
			if err := j.Append(entry(t, 11)); err != nil {
				t.Fatalf("Append after Compact: %v", err)
			}
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			// Compaction is durable: it survives a crash.
			mem.Crash()
			j, _ = open(t, "/z/j", mem)
			defer j.Close()
			checkChain(t, replay(t, j), tt.from, 12)
			if names := mem.Names(); len(names) != 1 {
				t.Errorf("files left: %v", names)
			}
		})
	}
}

func TestCompactConcurrentAppends(t *testing.T) {
	mem := faultfs.NewMem()
	f := faultfs.New(mem)
	f.SlowSync(200 * time.Microsecond)
	j, _ := open(t, "/z/j", f)
	w := &writer{next: 1, j: j}
	var (
		wg      sync.WaitGroup
		durable atomic.Uint32 // highest acknowledged serial
		done    = make(chan struct{})
	)
	const goroutines, each = 8, 150
	for range goroutines {
		wg.Go(func() {
			for range each {
				s, err := w.update(t)
				if err != nil {
					t.Errorf("update: %v", err)
					return
				}
				for {
					d := durable.Load()
					if s+1 <= d || durable.CompareAndSwap(d, s+1) {
						break
					}
				}
			}
		})
	}
	var last uint32
	compactions := 0
	var cwg sync.WaitGroup
	cwg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
			// A snapshot at a serial somewhat behind the newest.
			k := durable.Load()
			if k > 20 {
				k -= 20
			}
			if err := j.Compact(k); err != nil {
				t.Errorf("Compact(%d): %v", k, err)
				return
			}
			last = k
			compactions++
		}
	})
	wg.Wait()
	close(done)
	cwg.Wait()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d compactions, last at serial %d", compactions, last)
	if compactions == 0 {
		t.Fatal("no compaction ran")
	}
	mem.Crash()
	j, _ = open(t, "/z/j", mem)
	defer j.Close()
	got := replay(t, j)
	if len(got) == 0 {
		t.Fatal("no entries left")
	}
	first := got[0].From
	if first > last && last > 0 {
		t.Fatalf("entries start at %d, but only those up to %d were compacted away", first, last)
	}
	checkChain(t, got, first, 1+goroutines*each)
}

func TestCompactFailures(t *testing.T) {
	tests := []struct {
		name     string
		arm      func(*faultfs.FS)
		replaced bool // the new file is in place (only the directory fsync failed)
	}{
		{"temp write fails", func(f *faultfs.FS) {
			f.Only(func(n string) bool { return strings.HasSuffix(n, ".tmp") })
			f.FailWrites(20, syscall.ENOSPC)
		}, false},
		{"temp fsync fails", func(f *faultfs.FS) {
			f.Only(func(n string) bool { return strings.HasSuffix(n, ".tmp") })
			f.FailSyncs(0, syscall.EIO)
		}, false},
		{"rename fails", func(f *faultfs.FS) { f.FailRename(syscall.EIO) }, false},
		{"directory fsync fails", func(f *faultfs.FS) { f.FailSyncDir(syscall.EIO) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := faultfs.NewMem()
			f := faultfs.New(mem)
			j, _ := open(t, "/z/j", f)
			for i := uint32(1); i <= 5; i++ {
				if err := j.Append(entry(t, i)); err != nil {
					t.Fatal(err)
				}
			}
			tt.arm(f)
			if err := j.Compact(3); err == nil {
				t.Fatal("Compact succeeded")
			}
			if _, err := mem.ReadFile("/z/j.tmp"); err == nil {
				t.Error("temp file left behind")
			}
			f.Heal()
			if !tt.replaced {
				checkChain(t, replay(t, j), 1, 6)
				if err := j.Append(entry(t, 6)); err != nil {
					t.Fatalf("Append after failed Compact: %v", err)
				}
				j.Close()
				mem.Crash()
				j, _ = open(t, "/z/j", mem)
				defer j.Close()
				checkChain(t, replay(t, j), 1, 7)
				return
			}
			// The rename may not survive a crash, so nothing may be
			// committed to the new file until Recover syncs the directory.
			if err := j.Append(entry(t, 6)); !errors.Is(err, journal.ErrFailed) {
				t.Fatalf("Append before Recover = %v, want ErrFailed", err)
			}
			if err := j.Recover(); err != nil {
				t.Fatalf("Recover: %v", err)
			}
			if err := j.Append(entry(t, 6)); err != nil {
				t.Fatalf("Append after Recover: %v", err)
			}
			j.Close()
			mem.Crash()
			j, _ = open(t, "/z/j", mem)
			defer j.Close()
			checkChain(t, replay(t, j), 3, 7)
		})
	}
}
