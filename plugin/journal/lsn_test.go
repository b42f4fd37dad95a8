package journal_test

import (
	"os"
	"slices"
	"testing"

	"github.com/dyndns/dyndns/plugin/journal"
)

func lsns(t *testing.T, j *journal.Journal) []uint64 {
	t.Helper()
	var out []uint64
	for _, e := range replay(t, j) {
		out = append(out, e.LSN)
	}
	return out
}

// LSNs count every record ever appended: compaction and reopening keep them.
func TestLSNsSurviveCompaction(t *testing.T) {
	path := jpath(t)
	j, _ := open(t, path, nil)
	for i := range uint32(5) {
		if err := j.Append(entry(t, i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if got := j.LastLSN(); got != 5 {
		t.Fatalf("LastLSN = %d, want 5", got)
	}
	if err := j.CompactThrough(3); err != nil {
		t.Fatal(err)
	}
	if got := lsns(t, j); !slices.Equal(got, []uint64{4, 5}) {
		t.Fatalf("after CompactThrough(3): LSNs %v, want [4 5]", got)
	}
	j.Close()

	j, _ = open(t, path, nil)
	if got := lsns(t, j); !slices.Equal(got, []uint64{4, 5}) {
		t.Fatalf("reopened: LSNs %v, want [4 5]", got)
	}
	if err := j.CompactThrough(5); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(entry(t, 6)); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j, _ = open(t, path, nil)
	defer j.Close()
	if got := lsns(t, j); !slices.Equal(got, []uint64{6}) {
		t.Fatalf("after emptying and one append: LSNs %v, want [6]", got)
	}
}

// Rebase makes an empty journal continue a snapshot's LSNs; a journal with
// records refuses.
func TestRebase(t *testing.T) {
	path := jpath(t)
	j, _ := open(t, path, nil)
	if err := j.Rebase(100); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(entry(t, 1)); err != nil {
		t.Fatal(err)
	}
	if err := j.Rebase(200); err == nil {
		t.Error("Rebase of a journal with records succeeded")
	}
	j.Close()
	j, _ = open(t, path, nil)
	defer j.Close()
	if got := lsns(t, j); !slices.Equal(got, []uint64{101}) {
		t.Fatalf("LSNs %v, want [101]", got)
	}
}

// A version 1 journal (no base, no leases) is read, and its header is
// upgraded before anything is appended.
func TestVersion1JournalIsUpgraded(t *testing.T) {
	path := jpath(t)
	j, _ := open(t, path, nil)
	if err := j.Append(entry(t, 1)); err != nil {
		t.Fatal(err)
	}
	j.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[9] = 1 // an entry without leases is laid out as version 1's
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	j, _ = open(t, path, nil)
	if got := lsns(t, j); !slices.Equal(got, []uint64{1}) {
		t.Fatalf("LSNs %v, want [1]", got)
	}
	j.Close()
	if data, _ = os.ReadFile(path); data[9] != journal.Version {
		t.Errorf("header version %d after open, want %d", data[9], journal.Version)
	}
}
