package update

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dyndns/dyndns/plugin/derive"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// largeZoneText has sets large enough to be indexed: web holds explicit
// records beside those its hosts derive (as seed clients add them), mx a
// set whose data holds names in mixed case.
func largeZoneText() string {
	var b strings.Builder
	b.WriteString("$ORIGIN example.org.\n$TTL 300\n@ 3600 IN SOA ns1 hostmaster 10 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 192.0.2.53\n")
	for i := range 40 {
		fmt.Fprintf(&b, "web IN A 10.0.0.%d\n", i)
		fmt.Fprintf(&b, "mx IN MX %d Mail%d.Example.org.\n", i%3, i)
	}
	for i := range 5 {
		fmt.Fprintf(&b, "h%d-web-prod 60 IN A 10.0.0.%d\n", i, 35+i)
	}
	return b.String()
}

func largeZone(t *testing.T) *zone.Zone {
	t.Helper()
	z := zone.New(origin, derive.Default())
	if _, _, err := z.Update(func(tx *zone.Txn) error {
		l := tx.Loader()
		zp := dns.NewZoneParser(strings.NewReader(largeZoneText()), origin, "")
		for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
			if err := l.Add(rr); err != nil {
				return err
			}
		}
		l.Flush()
		return zp.Err()
	}); err != nil {
		t.Fatal(err)
	}
	return z
}

// TestApplyToLargeSets applies random UPDATEs to large sets and checks what
// FuzzApply checks: all or nothing, a sound zone, services that match their
// hosts, a changeset that holds what changed and replays to the same zone.
func TestApplyToLargeSets(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	z, replica := largeZone(t), largeZone(t)
	record := func() string {
		ttl := []int{300, 300, 300, 60}[r.IntN(4)]
		switch r.IntN(3) {
		case 0:
			return fmt.Sprintf("web.example.org. %d IN A 10.0.0.%d", ttl, r.IntN(60))
		case 1:
			// Names in data spelled alike each time: a changeset cannot carry
			// a new spelling of the same data (dns.IsDuplicate ignores case),
			// so a set deleted and added again respelled would not replay.
			host := fmt.Sprintf("Mail%d.Example.org.", r.IntN(50))
			return fmt.Sprintf("MX.example.org. %d IN MX %d %s", ttl, r.IntN(3), host)
		}
		return fmt.Sprintf("h%d-web-prod.example.org. %d IN A 10.0.0.%d", r.IntN(6), ttl, 30+r.IntN(20))
	}
	for step := range 300 {
		before := z.Current()
		var prereqs, updates []string
		if r.IntN(8) == 0 { // the whole set, as it is or nearly
			var n *zone.Node
			name, typ := "web.example.org.", dns.TypeA
			if r.IntN(2) == 0 {
				name, typ = "mx.example.org.", dns.TypeMX
			}
			if n = before.Node(name); n != nil && n.RRset(typ) != nil {
				for _, rr := range n.RRset(typ).Records() {
					f := strings.Fields(rr.String())
					f[1] = "0"
					prereqs = append(prereqs, strings.Join(f, " "))
				}
				r.Shuffle(len(prereqs), func(i, j int) { prereqs[i], prereqs[j] = prereqs[j], prereqs[i] })
				if r.IntN(3) == 0 {
					prereqs = prereqs[1:]
				}
			}
		}
		for range 1 + r.IntN(4) {
			rr := record()
			switch r.IntN(6) {
			case 0, 1: // delete one record, names in its data in any case
				f := strings.Fields(rr)
				f[1], f[2] = "0", "NONE"
				if r.IntN(2) == 0 {
					f[len(f)-1] = strings.ToUpper(f[len(f)-1])
				}
				rr = strings.Join(f, " ")
			case 2:
				if r.IntN(5) == 0 { // delete the set
					f := strings.Fields(rr)
					rr = strings.Join([]string{f[0], "0", "ANY", f[3]}, " ")
				}
			}
			updates = append(updates, rr)
		}
		m := msg(t, origin, prereqs, updates)
		cs, v, err := z.Update(func(tx *zone.Txn) error { return Apply(tx, m, Options{Permit: permitAll}) })
		if err != nil {
			if z.Current() != before {
				t.Fatalf("step %d: failed update (%v) published a new version", step, err)
			}
			continue
		}
		checkChangeset(t, before, v, cs)
		checkZone(t, v)
		checkServices(t, v)
		if cs.Empty() {
			continue
		}
		if _, _, err := replica.Update(func(tx *zone.Txn) error { tx.Apply(cs); return nil }); err != nil {
			t.Fatal(err)
		}
		for _, served := range []bool{false, true} {
			if got, want := fuzzDump(t, replica.Current(), served), fuzzDump(t, v, served); !slices.Equal(got, want) {
				t.Fatalf("step %d %q: replayed changeset gives\n%s\nwant\n%s", step, updates, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
	}
}

// TestValueDependentPrerequisiteOnALargeSet: the set compares whole, in any
// order, records repeated in the prerequisite counting once.
func TestValueDependentPrerequisiteOnALargeSet(t *testing.T) {
	z := largeZone(t)
	var all []string
	for i := range 40 {
		all = append(all, fmt.Sprintf("web.example.org. 0 IN A 10.0.0.%d", i))
	}
	// web also serves the addresses of its hosts (10.0.0.35-39 are among its own).
	for _, tc := range []struct {
		name    string
		prereqs []string
		rcode   int
	}{
		{"exact, reversed, one repeated", append(slices.Clone(all[3:4]), slicesReversed(all)...), dns.RcodeSuccess},
		{"one missing", all[1:], dns.RcodeNXRrset},
		{"one more", append(slices.Clone(all), "web.example.org. 0 IN A 10.0.0.99"), dns.RcodeNXRrset},
		{"one other", append(slices.Clone(all[1:]), "web.example.org. 0 IN A 10.0.0.99"), dns.RcodeNXRrset},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := msg(t, origin, tc.prereqs, []string{"new.example.org. 60 IN A 192.0.2.1"})
			if rc := run(t, z, m, Options{Permit: permitAll}); rc != tc.rcode {
				t.Errorf("rcode %s, want %s", dns.RcodeToString[rc], dns.RcodeToString[tc.rcode])
			}
		})
	}
}

func slicesReversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}
