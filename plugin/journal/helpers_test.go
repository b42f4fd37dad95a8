package journal_test

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"

	"github.com/dyndns/dyndns/plugin/journal"
)

func mustRR(t testing.TB, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatalf("dns.NewRR(%q): %v", s, err)
	}
	return rr
}

// entry returns the test entry that moves serial i to i+1.
func entry(t testing.TB, i uint32) journal.Entry {
	return journal.Entry{
		From: i,
		To:   i + 1,
		Del:  []dns.RR{mustRR(t, fmt.Sprintf("h%d.example.org. 300 IN A 192.0.2.%d", i, i%256))},
		Add:  []dns.RR{mustRR(t, fmt.Sprintf("h%d.example.org. 300 IN TXT \"serial %d\"", i, i+1))},
	}
}

// warnings collects Warnf calls.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) warnf(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, fmt.Sprintf(format, args...))
}

func (w *warnings) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.msgs, "\n")
}

func (w *warnings) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.msgs)
}

func open(t testing.TB, path string, fsys journal.FS) (*journal.Journal, *warnings) {
	t.Helper()
	w := &warnings{}
	j, err := journal.Open(path, journal.Options{FS: fsys, Warnf: w.warnf})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return j, w
}

func replay(t testing.TB, j *journal.Journal) []journal.Entry {
	t.Helper()
	var out []journal.Entry
	if err := j.Replay(func(e journal.Entry) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	return out
}

// sameEntries compares entries by serials and presentation form of RRs.
func sameEntries(a, b journal.Entry) bool {
	if a.From != b.From || a.To != b.To || len(a.Del) != len(b.Del) || len(a.Add) != len(b.Add) {
		return false
	}
	for i := range a.Del {
		if a.Del[i].String() != b.Del[i].String() {
			return false
		}
	}
	for i := range a.Add {
		if a.Add[i].String() != b.Add[i].String() {
			return false
		}
	}
	return true
}

// checkChain fails unless got is the test entries from..to-1 in order.
func checkChain(t testing.TB, got []journal.Entry, from, to uint32) {
	t.Helper()
	if len(got) != int(to-from) {
		t.Fatalf("got %d entries, want %d (serials %d..%d)", len(got), to-from, from, to)
	}
	for i, e := range got {
		if want := entry(t, from+uint32(i)); !sameEntries(e, want) {
			t.Fatalf("entry %d = %d->%d %v %v, want %d->%d", i, e.From, e.To, e.Del, e.Add, want.From, want.To)
		}
	}
}

// frame wraps payload as a journal record, bypassing the encoder, to craft
// damaged files.
func frame(payload []byte, length uint32) []byte {
	c := crc32.MakeTable(crc32.Castagnoli)
	b := binary.BigEndian.AppendUint32(nil, length)
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(payload, c))
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b, c))
	return append(b, payload...)
}

func jpath(t testing.TB) string { return filepath.Join(t.TempDir(), "db.example.org.jnl") }
