package journal_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dyndns/dyndns/plugin/journal"
)

// TestRealDiskFull fills a real 64 KiB tmpfs: the failing Append reports
// ENOSPC, the journal refuses work until Recover, and once space is freed
// appends and compaction work and every acknowledged entry is kept. It
// needs permission to mount (root), and is skipped otherwise.
func TestRealDiskFull(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 16<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "db.example.org.jnl")
	j, _ := open(t, path, nil)
	defer func() { j.Close() }()

	big := func(i uint32) journal.Entry {
		e := entry(t, i)
		e.Add = append(e.Add, mustRR(t, `big.example.org. 60 IN TXT "`+strings.Repeat("x", 250)+`" "`+strings.Repeat("y", 250)+`"`))
		return e
	}
	var acked uint32
	var err error
	for acked = 0; acked < 1000; acked++ {
		if err = j.Append(big(acked + 1)); err != nil {
			break
		}
	}
	if !errors.Is(err, syscall.ENOSPC) || !errors.Is(err, journal.ErrFailed) {
		t.Fatalf("after %d appends: %v, want ENOSPC and ErrFailed", acked, err)
	}
	t.Logf("disk full after %d entries, journal %d bytes: %v", acked, j.Size(), err)
	if _, err := j.Enqueue(big(acked + 1)); !errors.Is(err, journal.ErrFailed) {
		t.Fatalf("Enqueue while failed = %v", err)
	}
	if err := j.Recover(); err != nil {
		t.Fatalf("Recover: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Size() != j.Size() {
		t.Fatalf("file is %d bytes after Recover, Size %d", fi.Size(), j.Size())
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(big(acked + 1)); err != nil {
		t.Fatalf("Append after freeing space: %v", err)
	}
	acked++
	keepAfter := acked - 2
	if err := j.Compact(keepAfter); err != nil {
		t.Fatalf("Compact: %v", err)
	}
	if err := j.Append(big(acked + 1)); err != nil {
		t.Fatalf("Append after Compact: %v", err)
	}
	acked++
	j.Close()
	j, _ = open(t, path, nil)
	got := replay(t, j)
	if len(got) != int(acked+1-keepAfter) {
		t.Fatalf("after reopen: %d entries, want %d", len(got), acked+1-keepAfter)
	}
	for i, e := range got {
		if want := big(keepAfter + uint32(i)); !sameEntries(e, want) {
			t.Fatalf("entry %d is %d->%d, want %d->%d", i, e.From, e.To, want.From, want.To)
		}
	}
}
