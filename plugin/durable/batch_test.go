package durable

import (
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/dyndns/dyndns/plugin/journal"
	"github.com/dyndns/dyndns/plugin/journal/faultfs"
	"github.com/dyndns/dyndns/plugin/zone"
)

// TestFailedBatchLeavesNothingBehind runs concurrent writers, so the zone
// commits their updates in batches, while fsyncs fail now and then. A zone
// batch fails or succeeds as a whole; after a restart every acknowledged
// update must be there and no failed one. A batch whose changesets were
// split over two fsyncs, the first durable and the second failed, would
// bring a failed update back and, since the next batch reuses its serial,
// drop an acknowledged one at replay.
func TestFailedBatchLeavesNothingBehind(t *testing.T) {
	dir := t.TempDir()
	ffs := faultfs.New(journal.OS{})
	ffs.Only(func(name string) bool { return strings.HasSuffix(name, ".jnl") })
	s := open(t, dir, ffs)

	const writers, rounds = 32, 60
	var mu sync.Mutex
	acked, failed := map[string]bool{}, map[string]bool{}
	for round := range rounds {
		// Every third round, the round's second fsync fails: its first
		// batch of changesets becomes durable and the next one does not.
		if round%2 == 1 {
			ffs.FailSyncs(1, syscall.EIO)
		}
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprintf("r%d-w%d-web-prod.%s", round, w, origin)
				_, _, err := s.Zone().Update(addHost(name, fmt.Sprintf("10.1.%d.%d", round, w)))
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					failed[name] = true
				} else {
					acked[name] = true
				}
			}()
		}
		wg.Wait()
		ffs.Heal()
		// The journal cuts itself back to its durable end on the next update.
	}
	if len(failed) == 0 || len(acked) == 0 {
		t.Fatalf("the test did not exercise both outcomes: %d acknowledged, %d failed", len(acked), len(failed))
	}

	// A crash: reopen from disk without closing (no final snapshot).
	again := open(t, dir, nil)
	defer again.Close()
	for name := range acked {
		if again.Zone().Current().Node(name) == nil {
			t.Errorf("acknowledged %s is missing after the restart", name)
		}
	}
	for name := range failed {
		if again.Zone().Current().Node(name) != nil {
			t.Errorf("failed %s is present after the restart", name)
		}
	}
	t.Logf("%d acknowledged, %d failed", len(acked), len(failed))
}

// changesets makes n consecutive changesets from the default apex, each
// adding one host, without storing them anywhere.
func changesets(t *testing.T, n int) []zone.Changeset {
	t.Helper()
	mem, err := Open(origin, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]zone.Changeset, n)
	for i := range out {
		if out[i], _, err = mem.Zone().Update(addHost(fmt.Sprintf("h%d.%s", i, origin), "10.2.0.1")); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestCommitIsOneFsync gives the journal a zone batch of many changesets in
// one Commit: they must reach the disk with one write and one fsync, so a
// failure can never make part of them durable.
func TestCommitIsOneFsync(t *testing.T) {
	dir := t.TempDir()
	ffs := faultfs.New(journal.OS{})
	s := open(t, dir, ffs)
	cs := changesets(t, 400)

	before := s.Stats().Syncs
	if err := s.Commit(cs[:200]); err != nil {
		t.Fatal(err)
	}
	if n := s.Stats().Syncs - before; n != 1 {
		t.Errorf("a batch of 200 changesets took %d fsyncs, want 1", n)
	}

	ffs.FailSyncs(1, syscall.EIO) // one more fsync succeeds, then they fail
	if err := s.Commit(cs[200:]); err != nil {
		t.Errorf("a batch that needs one fsync failed: %v", err)
	}
	ffs.FailSyncs(0, syscall.EIO)
	more := changesets(t, 600)[400:]
	if err := s.Commit(more); err == nil {
		t.Fatal("a commit with failing fsyncs succeeded")
	}
	ffs.Heal()

	var got []uint32
	j, err := journal.Open(JournalFile(dir, origin), journal.Options{Warnf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	j.Replay(func(e journal.Entry) error { got = append(got, e.To); return nil })
	if len(got) != 400 {
		t.Fatalf("the journal holds %d entries, want the 400 committed ones (last %v)", len(got), got[len(got)-1])
	}
}
