package journal_test

import (
	"errors"
	"io/fs"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/dyndns/dyndns/plugin/journal"
	"github.com/dyndns/dyndns/plugin/journal/faultfs"
)

// writer mimics the zone writer: it picks the next serial and enqueues
// under its own mutex, then waits outside it.
type writer struct {
	mu   sync.Mutex
	next uint32
	j    *journal.Journal
}

func (w *writer) update(t testing.TB) (uint32, error) {
	w.mu.Lock()
	s := w.next
	tk, err := w.j.Enqueue(entry(t, s))
	if err == nil {
		w.next++
	}
	w.mu.Unlock()
	if err != nil {
		return s, err
	}
	return s, w.j.Wait(tk)
}

func TestGroupCommit(t *testing.T) {
	tests := []struct {
		name     string
		fsys     func() journal.FS
		path     func(t testing.TB) string
		maxRatio float64 // Syncs/Records must stay below this
	}{
		// A slow fsync makes batching certain: without it the ratio is 1.
		// The bound leaves room for a loaded machine (-race, shared CPUs),
		// where writers may not refill the queue within one fsync.
		{"slow fsync", func() journal.FS {
			f := faultfs.New(faultfs.NewMem())
			f.SlowSync(2 * time.Millisecond)
			return f
		}, func(testing.TB) string { return "/z/j" }, 0.25},
		{"real disk", func() journal.FS { return nil }, jpath, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys, path := tt.fsys(), tt.path(t)
			j, _ := open(t, path, fsys)
			w := &writer{next: 1, j: j}
			const goroutines, each = 64, 30
			var wg sync.WaitGroup
			for range goroutines {
				wg.Go(func() {
					for range each {
						if _, err := w.update(t); err != nil {
							t.Errorf("update: %v", err)
							return
						}
					}
				})
			}
			wg.Wait()
			st := j.Stats()
			t.Logf("%d records, %d fsyncs (%.3f per record)", st.Records, st.Syncs, float64(st.Syncs)/float64(st.Records))
			if st.Records != goroutines*each {
				t.Errorf("Records = %d, want %d", st.Records, goroutines*each)
			}
			if ratio := float64(st.Syncs) / float64(st.Records); ratio >= tt.maxRatio {
				t.Errorf("%d fsyncs for %d records: group commit is not sharing fsyncs", st.Syncs, st.Records)
			}
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			j, _ = open(t, path, fsys)
			defer j.Close()
			checkChain(t, replay(t, j), 1, 1+goroutines*each)
		})
	}
}

func TestCloseCommitsPending(t *testing.T) {
	f := faultfs.New(faultfs.NewMem())
	f.SlowSync(3 * time.Millisecond)
	j, _ := open(t, "/z/j", f)
	var tickets []journal.Ticket
	for i := uint32(1); i <= 100; i++ {
		tk, err := j.Enqueue(entry(t, i))
		if err != nil {
			t.Fatal(err)
		}
		tickets = append(tickets, tk)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for i, tk := range tickets {
		if err := j.Wait(tk); err != nil {
			t.Fatalf("Wait(%d) after Close: %v", i, err)
		}
	}
	if _, err := j.Enqueue(entry(t, 101)); !errors.Is(err, journal.ErrClosed) {
		t.Errorf("Enqueue after Close = %v, want ErrClosed", err)
	}
	if err := j.Close(); !errors.Is(err, journal.ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	for _, op := range []func() error{j.Recover, func() error { return j.Compact(5) }, func() error { return j.Replay(nil) }} {
		if err := op(); !errors.Is(err, journal.ErrClosed) {
			t.Errorf("after Close: %v, want ErrClosed", err)
		}
	}
	j, _ = open(t, "/z/j", f)
	defer j.Close()
	checkChain(t, replay(t, j), 1, 101)
}

// Size is what is durable: it moves only when Wait returns.
func TestSizeIsDurable(t *testing.T) {
	g := newSyncGate(faultfs.NewMem())
	j, _ := open(t, "/z/j", g)
	defer j.Close()
	if err := j.Append(entry(t, 1)); err != nil {
		t.Fatal(err)
	}
	before := j.Size()
	g.arm()
	defer g.open() // before Close, which may fsync
	tk, err := j.Enqueue(entry(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-g.entered: // the committer is inside fsync now, and stays there
	case <-time.After(10 * time.Second):
		t.Fatal("the committer never fsynced the enqueued record")
	}
	if got := j.Size(); got != before {
		t.Errorf("Size = %d while fsync is pending, want %d", got, before)
	}
	g.open()
	if err := j.Wait(tk); err != nil {
		t.Fatal(err)
	}
	if got := j.Size(); got <= before {
		t.Errorf("Size = %d after Wait, want more than %d", got, before)
	}
}

// syncGate is a journal.FS whose file fsyncs, once armed, signal entered
// and wait until open is called: a test can look at the journal while the
// committer is inside fsync, instead of sleeping and hoping it got there.
type syncGate struct {
	journal.FS
	armed   atomic.Bool
	entered chan struct{} // receives once a gated fsync has begun
	release chan struct{} // closed by open
	once    sync.Once
}

func newSyncGate(base journal.FS) *syncGate {
	return &syncGate{FS: base, entered: make(chan struct{}, 1), release: make(chan struct{})}
}

func (g *syncGate) arm()  { g.armed.Store(true) }
func (g *syncGate) open() { g.once.Do(func() { close(g.release) }) }

func (g *syncGate) OpenFile(name string, flag int, perm fs.FileMode) (journal.File, error) {
	f, err := g.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &gatedFile{File: f, g: g}, nil
}

type gatedFile struct {
	journal.File
	g *syncGate
}

func (f *gatedFile) Sync() error {
	if f.g.armed.Load() {
		select {
		case f.g.entered <- struct{}{}:
		default:
		}
		<-f.g.release
	}
	return f.File.Sync()
}

func TestEnqueueRejectsBadEntry(t *testing.T) {
	j, _ := open(t, "/z/j", faultfs.NewMem())
	defer j.Close()
	if _, err := j.Enqueue(journal.Entry{From: 1, To: 2, Add: []dns.RR{nil}}); err == nil {
		t.Fatal("Enqueue of a nil RR succeeded")
	}
	// The journal is not failed by a caller's mistake.
	if err := j.Append(entry(t, 1)); err != nil {
		t.Fatalf("Append after a rejected entry: %v", err)
	}
	checkChain(t, replay(t, j), 1, 2)
	if err := j.Wait(journal.Ticket{}); err == nil {
		t.Error("Wait on a zero Ticket succeeded")
	}
}
