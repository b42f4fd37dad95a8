package journal_test

import (
	"bytes"
	"testing"

	"github.com/dyndns/dyndns/plugin/journal"
	"github.com/dyndns/dyndns/plugin/journal/faultfs"
)

// FuzzOpen feeds arbitrary bytes to Open and Replay, after a valid header
// (whole=false) or as the whole file (whole=true). They must not panic, and
// what they accept must survive a round trip: appending the replayed
// entries to a new journal and replaying that gives the same entries and,
// re-encoded once more, the same bytes.
func FuzzOpen(f *testing.F) {
	header := []byte("DYNDNSJ\n\x00\x01\x00\x00\x00\x00\x00\x00")
	valid := validJournal(f)
	f.Add(valid[len(header):], false)
	f.Add(valid, true)
	f.Add(valid[len(header):len(valid)-3], false)
	f.Add([]byte{}, true)
	f.Add(frame(bytes.Repeat([]byte{1}, 30), 30), false)
	f.Fuzz(func(t *testing.T, data []byte, whole bool) {
		if !whole {
			data = append(bytes.Clone(header), data...)
		}
		mem := faultfs.NewMem()
		mem.WriteFile("/z/j", data)
		j, err := journal.Open("/z/j", journal.Options{FS: mem, Warnf: func(string, ...any) {}})
		if err != nil {
			return
		}
		var got []journal.Entry
		err = j.Replay(func(e journal.Entry) error { got = append(got, e); return nil })
		j.Close()
		if err != nil {
			t.Fatalf("Open accepted the file but Replay failed: %v", err)
		}
		once, again := reencode(t, got)
		if len(again) != len(got) {
			t.Fatalf("round trip gave %d entries, want %d", len(again), len(got))
		}
		for i := range got {
			if !sameEntries(got[i], again[i]) {
				t.Fatalf("entry %d changed in a round trip", i)
			}
		}
		if twice, _ := reencode(t, again); !bytes.Equal(once, twice) {
			t.Fatalf("re-encoding is not stable")
		}
	})
}

// reencode appends es to a fresh journal and returns its bytes and what it
// replays.
func reencode(t *testing.T, es []journal.Entry) ([]byte, []journal.Entry) {
	mem := faultfs.NewMem()
	j, err := journal.Open("/z/j", journal.Options{FS: mem})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range es {
		if err := j.Append(e); err != nil {
			t.Fatalf("entry %d was accepted from the file but cannot be appended: %v", i, err)
		}
	}
	out := replay(t, j)
	j.Close()
	data, _ := mem.ReadFile("/z/j")
	return data, out
}

func validJournal(t testing.TB) []byte {
	mem := faultfs.NewMem()
	j, _ := open(t, "/z/j", mem)
	for i := uint32(1); i <= 3; i++ {
		if err := j.Append(entry(t, i)); err != nil {
			t.Fatal(err)
		}
	}
	e := entry(t, 4)
	e.Add = append(e.Add,
		mustRR(t, `u.example.org. 300 IN TYPE65280 \# 2 abcd`),
		mustRR(t, "_sip._tcp.example.org. 300 IN SRV 10 60 5060 sip.example.org."),
		mustRR(t, "example.org. 300 IN MX 10 mail.example.org."))
	if err := j.Append(e); err != nil {
		t.Fatal(err)
	}
	j.Close()
	data, _ := mem.ReadFile("/z/j")
	return data
}
