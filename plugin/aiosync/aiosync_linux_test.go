package aiosync

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/dyndns/dyndns/internal/onep"
)

func tempFile(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// On Linux the fsync goes through AIO unless the kernel refuses it, in
// which case Sync is f.Sync and the other tests cover it all the same.
func TestSyncGoesThroughAIOOnLinux(t *testing.T) {
	f := tempFile(t)
	if _, err := f.WriteString("durable"); err != nil {
		t.Fatal(err)
	}
	if err := Sync(f); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" && !Async() {
		t.Skip("this kernel refuses AIO fsync (io_setup failed): Sync blocks")
	}
}

// Both paths report success and failure alike.
func TestSyncResults(t *testing.T) {
	for _, blocking := range []bool{false, true} {
		t.Run(map[bool]string{false: "aio", true: "blocking"}[blocking], func(t *testing.T) {
			forceBlocking.Store(blocking)
			defer forceBlocking.Store(false)

			f := tempFile(t)
			if _, err := f.WriteString("durable"); err != nil {
				t.Fatal(err)
			}
			if err := Sync(f); err != nil {
				t.Fatalf("Sync of a written file: %v", err)
			}

			// A pipe has no fsync: the kernel refuses the AIO request, and
			// the blocking call fails with EINVAL.
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			defer w.Close()
			if err := Sync(w); err == nil {
				t.Fatal("Sync of a pipe succeeded")
			}

			closed := tempFile(t)
			closed.Close()
			if err := Sync(closed); !errors.Is(err, os.ErrClosed) {
				t.Fatalf("Sync of a closed file: %v, want os.ErrClosed", err)
			}
		})
	}
}

// More fsyncs at once than the AIO context holds: the ones the kernel turns
// away (EAGAIN) block instead, and every one succeeds.
func TestSyncsBeyondTheContextDepth(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 2*depth)
	for i := range 2 * depth {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := os.Create(filepath.Join(dir, "f"+string(rune('a'+i%26))+string(rune('a'+i/26))))
			if err != nil {
				errs <- err
				return
			}
			defer f.Close()
			f.WriteString("x")
			errs <- Sync(f)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// A P that never runs out of goroutines (queries saturating it) never
// polls the network, so the eventfd would wake the reaper only when sysmon
// polls, every 10 ms. An fsync must not wait for that: it collects its
// completion itself. Measured against the blocking fsync of the same file
// in the same conditions, so a slow disk slows both.
func TestSyncCompletesOnABusyP(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	if !Async() {
		t.Skip("no AIO here")
	}
	onep.Saturate(t)

	f := tempFile(t)
	const syncs = 20
	mean := func(blocking bool) time.Duration {
		forceBlocking.Store(blocking)
		defer forceBlocking.Store(false)
		start := time.Now()
		for range syncs {
			if _, err := f.WriteString("x"); err != nil {
				t.Fatal(err)
			}
			if err := Sync(f); err != nil {
				t.Fatal(err)
			}
		}
		return time.Since(start) / syncs
	}
	blocking, aio := mean(true), mean(false)
	t.Logf("fsync on a busy P: blocking %v, AIO %v", blocking, aio)
	if aio > blocking+6*time.Millisecond { // sysmon polls every 10 ms
		t.Fatalf("an AIO fsync took %v against %v blocking: it waited for a poll", aio, blocking)
	}
}
