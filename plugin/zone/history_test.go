package zone

import (
	"fmt"
	"slices"
	"testing"

	"github.com/miekg/dns"
)

// served renders what a secondary transferring v holds, SOA excluded.
func served(v *Version) []string {
	var out []string
	v.WalkServed(func(rr dns.RR) error {
		if rr.Header().Rrtype != dns.TypeSOA {
			out = append(out, rr.String())
		}
		return nil
	})
	slices.Sort(out)
	return out
}

// applyDiff is what a secondary does with an incremental transfer.
func applyDiff(have []string, removed, added []dns.RR) []string {
	set := map[string]bool{}
	for _, s := range have {
		set[s] = true
	}
	for _, rr := range removed {
		delete(set, rr.String())
	}
	for _, rr := range added {
		set[rr.String()] = true
	}
	var out []string
	for s := range set {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// seen is what a secondary transferring a zone held at each serial it
// recorded.
type seen struct {
	past    map[uint32][]string
	serials []uint32 // in the order recorded
}

// record notes what z serves now.
func (s *seen) record(z *Zone) {
	v := z.Current()
	if s.past == nil {
		s.past = map[uint32][]string{}
	}
	s.past[v.Serial()], s.serials = served(v), append(s.serials, v.Serial())
}

// From every serial the history holds, the incremental difference turns
// what a secondary had then into exactly what the zone serves now, derived
// records included; from serials it does not hold, there is none.
func TestIncremental(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	set := func(text string) {
		t.Helper()
		rr := mustRR(t, text)
		if _, _, err := z.Update(func(tx *Txn) error {
			tx.Set(rr.Header().Name, rr.Header().Rrtype, []dns.RR{rr})
			tx.BumpSerial()
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	del := func(name string, typ uint16) {
		t.Helper()
		if _, _, err := z.Update(func(tx *Txn) error { tx.Set(name, typ, nil); tx.BumpSerial(); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	var at seen
	at.record(z)
	set("new-web-sfo-prod.example.org. 60 IN A 13.37.1.3") // joins web
	at.record(z)
	set("cyberdyne-web-sfo-prod.example.org. 60 IN A 13.37.1.9") // renumbered: web changes
	at.record(z)
	del("techcom-web-sfo-prod.example.org.", dns.TypeA) // leaves web (keeps its AAAA)
	at.record(z)
	set(`note.example.org. 300 IN TXT "hello"`)
	at.record(z)
	set("new-web-sfo-prod.example.org. 30 IN A 13.37.1.3") // a TTL change: web's TTL follows
	at.record(z)
	soa := dns.Copy(z.Current().SOA()).(*dns.SOA)
	soa.Serial += 1000 // an explicit SOA change
	if _, _, err := z.Update(func(tx *Txn) error { tx.Set(z.origin, dns.TypeSOA, []dns.RR{soa}); return nil }); err != nil {
		t.Fatal(err)
	}
	want := served(z.Current())
	for _, from := range at.serials {
		v, old, removed, added, ok := z.Incremental(from)
		if !ok {
			t.Fatalf("no incremental transfer from %d", from)
		}
		if old.Serial != from || v.Serial() != soa.Serial {
			t.Errorf("from %d: SOAs %d → %d", from, old.Serial, v.Serial())
		}
		if got := applyDiff(at.past[from], removed, added); !slices.Equal(got, want) {
			t.Errorf("from %d: the secondary ends with\n%v\nwant\n%v", from, got, want)
		}
	}
	for _, from := range []uint32{0, at.serials[0] - 1, 12345} {
		if _, _, _, _, ok := z.Incremental(from); ok {
			t.Errorf("an incremental transfer from %d, which the history does not hold", from)
		}
	}
}

// The history keeps the latest changesets only, and a rule change starts it
// over (the old changesets no longer say what was served).
func TestHistoryBounds(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	z.SetHistory(3)
	first := z.Current().Serial()
	for i := range 5 {
		rr := mustRR(t, fmt.Sprintf(`t%d.example.org. 60 IN TXT "x"`, i))
		if _, _, err := z.Update(func(tx *Txn) error { tx.Set(rr.Header().Name, dns.TypeTXT, []dns.RR{rr}); tx.BumpSerial(); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, _, _, ok := z.Incremental(first + 1); ok {
		t.Error("a serial past the history's bound still has an incremental transfer")
	}
	if _, _, _, _, ok := z.Incremental(first + 2); !ok {
		t.Error("the oldest serial kept has no incremental transfer")
	}
	if err := z.SetDeriver(nil); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, ok := z.Incremental(first + 4); ok {
		t.Error("an incremental transfer across a change of rules")
	}
	if z.Current().Serial() != first+6 {
		t.Errorf("serial %d after a change of rules, want %d (bumped)", z.Current().Serial(), first+6)
	}
}

// A service of 40 members whose addresses are also written at its name
// (sorted sets, both the written and the derived): members leave, join,
// renumber and change TTL, and from every serial the incremental
// difference turns what a secondary had then into what the zone serves
// now, and the last change's difference holds only what it changed.
func TestIncrementalOfASortedService(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	a := func(name string, ttl uint32, i int) dns.RR {
		return mustRR(t, fmt.Sprintf("%s %d IN A 10.9.0.%d", name, ttl, i))
	}
	host := func(i int) string { return fmt.Sprintf("m%d-web-sfo-prod.example.org.", i) }
	update := func(fn func(tx *Txn)) {
		t.Helper()
		if _, _, err := z.Update(func(tx *Txn) error { fn(tx); tx.BumpSerial(); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	update(func(tx *Txn) {
		for i := range 40 {
			tx.AddRR(a(host(i), 60, i))
			tx.AddRR(a("web.example.org.", 60, i))
		}
	})
	if s := z.Current().Node("web.example.org.").OwnSets()[0]; !s.sorted() {
		t.Fatal("web's written set of 40 records is not sorted")
	}
	var at seen
	at.record(z)
	update(func(tx *Txn) { tx.Set(host(3), dns.TypeA, nil); tx.DeleteRR(a("web.example.org.", 60, 3)) }) // leaves
	at.record(z)
	update(func(tx *Txn) { tx.AddRR(a(host(50), 60, 50)); tx.AddRR(a("web.example.org.", 60, 50)) }) // joins
	at.record(z)
	update(func(tx *Txn) { tx.DeleteRR(a("web.example.org.", 60, 7)) }) // its written record goes; it stays derived
	at.record(z)
	update(func(tx *Txn) { tx.Set(host(9), dns.TypeA, []dns.RR{a(host(9), 60, 99)}) }) // renumbered
	at.record(z)
	update(func(tx *Txn) { tx.Set(host(4), dns.TypeA, nil); tx.DeleteRR(a("web.example.org.", 60, 4)) })
	want := served(z.Current())
	for _, from := range at.serials {
		_, _, removed, added, ok := z.Incremental(from)
		if !ok {
			t.Fatalf("no incremental transfer from %d", from)
		}
		if got := applyDiff(at.past[from], removed, added); !slices.Equal(got, want) {
			t.Errorf("from %d: the secondary ends with\n%v\nwant\n%v", from, got, want)
		}
	}
	_, _, removed, added, _ := z.Incremental(at.serials[len(at.serials)-1])
	if len(removed) != 2 || len(added) != 0 { // the host's record and web's
		t.Errorf("the last change removes %v and adds %v, want two records removed", removed, added)
	}
}
