package journal_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dyndns/dyndns/plugin/journal"
	"github.com/dyndns/dyndns/plugin/journal/faultfs"
)

// writeThree creates a journal with entries 1->2, 2->3, 3->4 and returns
// its bytes and the offsets of the records plus the end of the file.
func writeThree(t *testing.T, path string) ([]byte, []int64) {
	t.Helper()
	j, _ := open(t, path, nil)
	offs := []int64{j.Size()}
	for i := uint32(1); i <= 3; i++ {
		if err := j.Append(entry(t, i)); err != nil {
			t.Fatalf("Append: %v", err)
		}
		offs = append(offs, j.Size())
	}
	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != offs[3] {
		t.Fatalf("file is %d bytes, Size said %d", len(data), offs[3])
	}
	return data, offs
}

func TestOpenCreates(t *testing.T) {
	path := jpath(t)
	j, w := open(t, path, nil)
	if got := j.Size(); got != 16 {
		t.Errorf("Size of a new journal = %d, want 16", got)
	}
	if n := len(replay(t, j)); n != 0 {
		t.Errorf("new journal replays %d entries", n)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if w.count() != 0 {
		t.Errorf("warnings: %s", w)
	}
	data, _ := os.ReadFile(path)
	if !bytes.HasPrefix(data, []byte("DYNDNSJ\n\x00\x02")) || len(data) != 16 {
		t.Errorf("new file = %q", data)
	}
}

// A journal is created with a rename and a directory fsync, so it exists
// after a crash right after Open returns.
func TestOpenCreateIsDurable(t *testing.T) {
	mem := faultfs.NewMem()
	j, _ := open(t, "/z/j", mem)
	if err := j.Append(entry(t, 1)); err != nil {
		t.Fatal(err)
	}
	mem.Crash()
	j2, _ := open(t, "/z/j", mem)
	checkChain(t, replay(t, j2), 1, 2)
}

func TestOpenRemovesStaleTemp(t *testing.T) {
	mem := faultfs.NewMem()
	mem.WriteFile("/z/j.tmp", []byte("half a compaction"))
	open(t, "/z/j", mem)
	if _, err := mem.ReadFile("/z/j.tmp"); err == nil {
		t.Error("stale temp file still there")
	}
}

// Cutting the file anywhere inside the last record is a torn write: the
// complete records replay, a warning names the drop, the file is cut back,
// and appending works.
func TestTornTailEveryOffset(t *testing.T) {
	path := jpath(t)
	data, offs := writeThree(t, path)
	for cut := offs[2]; cut < offs[3]; cut++ {
		if err := os.WriteFile(path, data[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		j, w := open(t, path, nil)
		checkChain(t, replay(t, j), 1, 3)
		if torn := cut > offs[2]; torn != (w.count() == 1) || (torn && !strings.Contains(w.String(), fmt.Sprintf("offset %d", offs[2]))) {
			t.Fatalf("cut at %d: warnings %q", cut, w)
		}
		if fi, _ := os.Stat(path); fi.Size() != offs[2] || j.Size() != offs[2] {
			t.Fatalf("cut at %d: file is %d bytes, Size %d, want %d", cut, fi.Size(), j.Size(), offs[2])
		}
		if err := j.Append(entry(t, 3)); err != nil {
			t.Fatalf("cut at %d: Append: %v", cut, err)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		j, w = open(t, path, nil)
		checkChain(t, replay(t, j), 1, 4)
		j.Close()
		if w.count() != 0 {
			t.Fatalf("cut at %d: reopen warned: %s", cut, w)
		}
	}
}

func TestOpenDamage(t *testing.T) {
	path := jpath(t)
	data, offs := writeThree(t, path)
	flip := func(at int64) func([]byte) []byte {
		return func(b []byte) []byte { b[at] ^= 0x40; return b }
	}
	// a record whose frame and checksum are right but whose payload is
	// not an entry
	junk := frame(bytes.Repeat([]byte{0xEE}, 20), 20)
	tests := []struct {
		name    string
		mutate  func([]byte) []byte
		entries uint32 // entries 1..entries replay (if no error)
		warn    bool   // a torn tail is reported
		err     string // Open fails with this in the message
		errOff  int64  // ... as a *CorruptError at this offset (if > 0)
	}{
		{name: "intact", mutate: func(b []byte) []byte { return b }, entries: 3},
		{name: "payload byte of record 1 of 3", mutate: flip(offs[0] + 20), err: "corrupt record at offset 16", errOff: offs[0]},
		{name: "payload byte of record 2 of 3", mutate: flip(offs[1] + 30), err: fmt.Sprintf("corrupt record at offset %d", offs[1]), errOff: offs[1]},
		{name: "length of record 1 of 3", mutate: flip(offs[0] + 2), err: "frame checksum", errOff: offs[0]},
		{name: "length of record 1 points past the end", mutate: func(b []byte) []byte {
			b[offs[0]+1] = 0x7F
			return b
		}, err: "frame checksum", errOff: offs[0]},
		{name: "payload checksum of record 2", mutate: flip(offs[1] + 5), err: "frame checksum", errOff: offs[1]},
		{name: "payload byte of last record", mutate: flip(offs[2] + 20), entries: 2, warn: true},
		{name: "last record zeroed", mutate: func(b []byte) []byte {
			clear(b[offs[2]:])
			return b
		}, entries: 2, warn: true},
		{name: "zeros after the last record", mutate: func(b []byte) []byte {
			return append(b, make([]byte, 4096)...)
		}, entries: 3, warn: true},
		{name: "bad last record then zeros", mutate: func(b []byte) []byte {
			b[offs[2]+20] ^= 1
			return append(b, make([]byte, 100)...)
		}, entries: 2, warn: true},
		{name: "short garbage after the last record", mutate: func(b []byte) []byte {
			return append(b, 1, 2, 3, 4, 5)
		}, entries: 3, warn: true},
		{name: "garbage after the last record", mutate: func(b []byte) []byte {
			return append(b, bytes.Repeat([]byte{0xAB}, 40)...)
		}, err: fmt.Sprintf("corrupt record at offset %d", offs[3]), errOff: offs[3]},
		{name: "undecodable last record", mutate: func(b []byte) []byte {
			return append(b, junk...)
		}, err: "corrupt record", errOff: offs[3]},
		{name: "length above the bound", mutate: func(b []byte) []byte {
			return append(b, frame(make([]byte, 64), journal.MaxRecordSize+1)...)
		}, err: "outside", errOff: offs[3]},
		{name: "length above the bound, file ends", mutate: func(b []byte) []byte {
			return append(b, frame(nil, 0xFFFFFFFF)...)
		}, err: "outside", errOff: offs[3]},
		{name: "length below the minimum", mutate: func(b []byte) []byte {
			return append(b, frame(make([]byte, 4), 4)...)
		}, err: "outside", errOff: offs[3]},
		{name: "bad magic", mutate: flip(3), err: "bad magic"},
		{name: "future version", mutate: func(b []byte) []byte { b[9] = 3; return b }, err: "unsupported journal format version 3"},
		{name: "version 1 with reserved header bytes", mutate: func(b []byte) []byte { b[9], b[12] = 1, 1; return b }, err: "reserved"},
		{name: "empty file", mutate: func(b []byte) []byte { return nil }, warn: true},
		{name: "header cut short", mutate: func(b []byte) []byte { return b[:7] }, warn: true},
		{name: "short file that is no header", mutate: func(b []byte) []byte { return []byte("hello") }, err: "too short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(path, tt.mutate(bytes.Clone(data)), 0o644); err != nil {
				t.Fatal(err)
			}
			w := &warnings{}
			j, err := journal.Open(path, journal.Options{Warnf: w.warnf})
			if tt.err != "" {
				if err == nil {
					j.Close()
					t.Fatalf("Open succeeded, want error containing %q", tt.err)
				}
				if !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), path) {
					t.Fatalf("Open: %v, want error naming %s and containing %q", err, path, tt.err)
				}
				var ce *journal.CorruptError
				if tt.errOff > 0 && (!errors.As(err, &ce) || ce.Offset != tt.errOff) {
					t.Fatalf("Open: %#v, want *CorruptError at offset %d", err, tt.errOff)
				}
				if strings.Contains(tt.err, "version") && !errors.Is(err, journal.ErrUnsupportedVersion) {
					t.Fatalf("Open: %v does not wrap ErrUnsupportedVersion", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer j.Close()
			if (w.count() > 0) != tt.warn {
				t.Errorf("warnings %q, want warning: %v", w, tt.warn)
			}
			checkChain(t, replay(t, j), 1, 1+tt.entries)
			if err := j.Append(entry(t, 1+tt.entries)); err != nil {
				t.Fatalf("Append after Open: %v", err)
			}
		})
	}
}

func TestReplayStopsOnCallbackError(t *testing.T) {
	path := jpath(t)
	writeThree(t, path)
	j, _ := open(t, path, nil)
	defer j.Close()
	stop := errors.New("stop")
	n := 0
	err := j.Replay(func(journal.Entry) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("Replay = %v after %d calls, want the callback's error after 1", err, n)
	}
}

// Without permission to create the journal, Open fails naming it. Root
// ignores directory permissions, so there the fault FS tests stand in.
func TestOpenReadOnlyDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: directory permissions are not enforced")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	path := dir + "/db.example.org.jnl"
	_, err := journal.Open(path, journal.Options{})
	if !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open = %v, want a permission error naming %s", err, path)
	}
}
