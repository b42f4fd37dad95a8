package durable

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/dyndns/dyndns/internal/onep"
	"github.com/dyndns/dyndns/plugin/derive"
	"github.com/dyndns/dyndns/plugin/journal"
	"github.com/dyndns/dyndns/plugin/journal/faultfs"
	"github.com/dyndns/dyndns/plugin/storage"
	"github.com/dyndns/dyndns/plugin/update"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

const origin = "example.org."

func open(t *testing.T, dir string, fsys journal.FS) *Store {
	t.Helper()
	s, err := Open(origin, derive.Default(), Options{Dir: dir, FS: fsys, Options: storage.Options{Warnf: t.Logf}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// dump renders every served record of the zone.
func dump(z *zone.Zone) []string {
	var out []string
	z.Current().WalkServed(func(rr dns.RR) error { out = append(out, rr.String()); return nil })
	return out
}

// randomUpdate is a random UPDATE message run through the real RFC 2136
// engine: adds and deletes at hosts (which derive services) and plain names,
// TTL changes, and messages that change nothing.
func randomUpdate(t *testing.T, r *rand.Rand) func(*zone.Txn) error {
	m := new(dns.Msg)
	m.SetUpdate(origin)
	for range 1 + r.IntN(3) {
		name := fmt.Sprintf("h%d-svc%d-prod.%s", r.IntN(20), r.IntN(3), origin)
		if r.IntN(3) == 0 {
			name = fmt.Sprintf("plain%d.%s", r.IntN(10), origin)
		}
		var text string
		switch r.IntN(5) {
		case 0:
			text = name + " 0 ANY A"
		case 1, 2:
			text = fmt.Sprintf("%s %d IN A 10.0.%d.%d", name, 30+r.IntN(3)*30, r.IntN(2), r.IntN(4))
		case 3:
			text = fmt.Sprintf(`%s 60 IN TXT "v%d"`, name, r.IntN(5))
		case 4:
			text = fmt.Sprintf("%s 0 NONE A 10.0.%d.%d", name, r.IntN(2), r.IntN(4))
		}
		f := strings.Fields(text)
		class := f[2]
		f[2] = "IN"
		if len(f) == 4 {
			f = append(f, "0.0.0.0")
		}
		rr, err := dns.NewRR(strings.Join(f, " "))
		if err != nil {
			t.Fatal(err)
		}
		rr.Header().Class = dns.StringToClass[class]
		if class == "ANY" {
			rr = &dns.ANY{Hdr: *rr.Header()}
		}
		m.Ns = append(m.Ns, rr)
	}
	wire, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	m = new(dns.Msg)
	if err := m.Unpack(wire); err != nil {
		t.Fatal(err)
	}
	permit := update.Options{Permit: func([]dns.RR) bool { return true }}
	return func(tx *zone.Txn) error { return update.Apply(tx, m, permit) }
}

func TestReplayEqualsMemory(t *testing.T) {
	for seed := range uint64(5) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			if seed%2 == 1 { // on one P, the writer and the snapshot take pollgate turns
				onep.Use(t)
			}
			dir := t.TempDir()
			r := rand.New(rand.NewPCG(seed, 7))
			s := open(t, dir, nil)
			for i := range 300 {
				if _, _, err := s.Zone().Update(randomUpdate(t, r)); err != nil {
					t.Fatal(err)
				}
				if i == 120 { // a snapshot in the middle: replay starts after it
					if err := s.Snapshot(); err != nil {
						t.Fatal(err)
					}
				}
			}
			want := dump(s.Zone())
			// A crash: the store is never closed. Reopen from what is on disk.
			again := open(t, dir, nil)
			if got := dump(again.Zone()); !slices.Equal(got, want) {
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("replayed zone differs from memory at %d:\n got %s\nwant %s", i, got[i], want[i])
					}
				}
			}
			if err := again.Close(); err != nil {
				t.Fatal(err)
			}
			// After a clean close, the zone file alone holds everything (the
			// journal keeps only what IXFR may need).
			if err := os.Remove(JournalFile(dir, origin)); err != nil {
				t.Fatal(err)
			}
			third := open(t, dir, nil)
			if got := dump(third.Zone()); !slices.Equal(got, want) {
				t.Fatal("zone file after close differs from memory")
			}
			third.Close()
		})
	}
}

func addHost(name, ip string) func(*zone.Txn) error {
	return func(t *zone.Txn) error {
		rr, _ := dns.NewRR(name + " 60 IN A " + ip)
		t.Set(name, dns.TypeA, []dns.RR{rr})
		soa := dns.Copy(t.Own(origin, dns.TypeSOA)[0]).(*dns.SOA)
		soa.Serial++
		t.Set(origin, dns.TypeSOA, []dns.RR{soa})
		return nil
	}
}

func TestDiskFullFailsTheUpdateAndKeepsServing(t *testing.T) {
	dir := t.TempDir()
	ffs := faultfs.New(journal.OS{})
	s := open(t, dir, ffs)
	if _, _, err := s.Zone().Update(addHost("a-web-prod."+origin, "10.0.0.1")); err != nil {
		t.Fatal(err)
	}
	before := s.Zone().Current()

	ffs.FailWrites(0, syscall.ENOSPC)
	_, _, err := s.Zone().Update(addHost("b-web-prod."+origin, "10.0.0.2"))
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("update on a full disk: %v, want ENOSPC", err)
	}
	if s.Zone().Current() != before {
		t.Fatal("the zone shows an update that was not made durable")
	}
	ffs.Heal()
	if _, _, err := s.Zone().Update(addHost("c-web-prod."+origin, "10.0.0.3")); err != nil {
		t.Fatalf("update after the disk recovered: %v", err)
	}
	ffs.FailSyncs(0, syscall.EIO)
	if _, _, err := s.Zone().Update(addHost("d-web-prod."+origin, "10.0.0.4")); !errors.Is(err, syscall.EIO) {
		t.Fatalf("update with a failing fsync: %v, want EIO", err)
	}
	ffs.Heal()

	again := open(t, dir, nil)
	got := strings.Join(dump(again.Zone()), "\n")
	for name, want := range map[string]bool{"a-web-prod": true, "b-web-prod": false, "c-web-prod": true, "d-web-prod": false} {
		if strings.Contains(got, name+"."+origin) != want {
			t.Errorf("%s present = %v after restart, want %v", name, !want, want)
		}
	}
}

func TestTornTailIsDropped(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, nil)
	s.Zone().Update(addHost("a-web-prod."+origin, "10.0.0.1"))
	s.Zone().Update(addHost("b-web-prod."+origin, "10.0.0.2"))
	path := JournalFile(dir, origin)
	fi, _ := os.Stat(path)
	if err := os.Truncate(path, fi.Size()-3); err != nil { // the last write was cut short
		t.Fatal(err)
	}
	again := open(t, dir, nil)
	got := strings.Join(dump(again.Zone()), "\n")
	if !strings.Contains(got, "a-web-prod") || strings.Contains(got, "b-web-prod") {
		t.Errorf("after a torn tail:\n%s", got)
	}
}

func TestCorruptJournalRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, nil)
	s.Zone().Update(addHost("a-web-prod."+origin, "10.0.0.1"))
	s.Zone().Update(addHost("b-web-prod."+origin, "10.0.0.2"))
	path := JournalFile(dir, origin)
	data, _ := os.ReadFile(path)
	data[journal.HeaderSize+20] ^= 0xff // inside the first record
	os.WriteFile(path, data, 0o644)
	_, err := Open(origin, derive.Default(), Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "offset") {
		t.Fatalf("corrupt journal: %v, want an error naming file and offset", err)
	}
}

func TestEditedZoneFileWithHigherSerialWins(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, nil)
	s.Zone().Update(addHost("a-web-prod."+origin, "10.0.0.1"))
	s.Close()
	// The operator edits the stopped zone: a new record and a higher serial.
	path := ZoneFile(dir, origin)
	data, _ := os.ReadFile(path)
	text := strings.Replace(string(data), " 2 3600 600", " 100 3600 600", 1) + "edited 60 IN TXT \"by hand\"\n"
	os.WriteFile(path, []byte(text), 0o644)
	again := open(t, dir, nil)
	if again.Zone().Current().Serial() != 100 || again.Zone().Current().Node("edited."+origin) == nil {
		t.Fatalf("edited zone file not loaded: serial %d", again.Zone().Current().Serial())
	}
	if _, _, err := again.Zone().Update(addHost("b-web-prod."+origin, "10.0.0.2")); err != nil {
		t.Fatal(err)
	}
	third := open(t, dir, nil) // crash: replay on top of the edited file
	if third.Zone().Current().Serial() != 101 || third.Zone().Current().Node("b-web-prod."+origin) == nil {
		t.Errorf("journal after an edit not replayed: serial %d", third.Zone().Current().Serial())
	}
}

func TestJournalThatDoesNotContinueTheFileRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, nil)
	s.Zone().Update(addHost("a-web-prod."+origin, "10.0.0.1")) // serial 1 → 2, in the journal only
	// The operator rewrites the zone file (serial 1 → 5? no: to a serial the journal skips).
	os.WriteFile(ZoneFile(dir, origin), []byte("$ORIGIN example.org.\n@ 3600 IN SOA ns1 hm 0 1 1 1 1\n@ IN NS ns1\n"), 0o644)
	_, err := Open(origin, derive.Default(), Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "does not continue") {
		t.Fatalf("mismatched journal: %v", err)
	}
}
