package zone

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/dyndns/dyndns/internal/onep"
	"github.com/dyndns/dyndns/plugin/derive"
	"github.com/dyndns/dyndns/plugin/rotate"
	"github.com/miekg/dns"
)

// answer returns the sorted answer strings for a query.
func answer(z *Zone, qname string, qtype uint16) []string {
	m := new(dns.Msg)
	z.Current().Lookup(m, qname, qtype, rotate.Fixed)
	return strs(m.Answer, true)
}

func set(t *testing.T, z *Zone, name string, typ uint16, rrs ...string) {
	t.Helper()
	var recs []dns.RR
	for _, s := range rrs {
		recs = append(recs, mustRR(t, s))
	}
	if _, _, err := z.Update(func(tx *Txn) error { tx.Set(name, typ, recs); return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestDerivedFollowsHosts(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	web := "web.example.org."
	host := "cyberdyne-web-sfo-prod.example.org."

	set(t, z, host, dns.TypeA, host+" 300 IN A 13.37.1.9")
	if got, want := answer(z, web, dns.TypeA), []string{web + " 300 IN A 13.37.1.2", web + " 300 IN A 13.37.1.9"}; !slices.Equal(got, want) {
		t.Errorf("after renumber: %q, want %q", got, want)
	}

	set(t, z, host, dns.TypeA)
	if got, want := answer(z, web, dns.TypeA), []string{web + " 300 IN A 13.37.1.2"}; !slices.Equal(got, want) {
		t.Errorf("after host left: %q, want %q", got, want)
	}

	set(t, z, "techcom-web-sfo-prod.example.org.", dns.TypeA)
	set(t, z, "techcom-web-sfo-prod.example.org.", dns.TypeAAAA)
	if n := z.Current().Node(web); n != nil {
		t.Errorf("service name still exists with %v after every host left", n.Sets())
	}
}

func TestDerivedMergesWithExplicit(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	web := "web.example.org."
	// The seed clients also add the service record by hand: it must not be doubled.
	set(t, z, web, dns.TypeA, web+" 60 IN A 13.37.1.1", web+" 60 IN A 10.0.0.1")
	want := []string{web + " 60 IN A 10.0.0.1", web + " 60 IN A 13.37.1.1", web + " 60 IN A 13.37.1.2"}
	if got := answer(z, web, dns.TypeA); !slices.Equal(got, want) {
		t.Errorf("merged: %q, want %q", got, want)
	}
	set(t, z, web, dns.TypeCNAME, web+" 60 IN CNAME www.example.org.")
	set(t, z, web, dns.TypeA)
	got := answer(z, web, dns.TypeA)
	if len(got) != 3 || got[0] != web+" 60 IN CNAME www.example.org." {
		t.Errorf("explicit CNAME must win over derived records, got %q", got)
	}
}

func TestDerivedTTLIsLowest(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	h := "techcom-web-sfo-prod.example.org."
	set(t, z, h, dns.TypeA, h+" 30 IN A 13.37.1.2")
	for _, s := range answer(z, "web.example.org.", dns.TypeA) {
		if rr := mustRR(t, s); rr.Header().Ttl != 30 {
			t.Errorf("derived TTL %d, want 30: %s", rr.Header().Ttl, s)
		}
	}
}

func TestEmptyNonTerminalsFollowData(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	if n := z.Current().Node("b.c.example.org."); n == nil || n.InUse() {
		t.Fatalf("b.c is not an empty non-terminal: %v", n)
	}
	set(t, z, "a.b.c.example.org.", dns.TypeTXT)
	for _, name := range []string{"a.b.c.example.org.", "b.c.example.org.", "c.example.org."} {
		if n := z.Current().Node(name); n != nil {
			t.Errorf("%s still exists after the last name below it was deleted", name)
		}
	}
	if z.Current().Node("example.org.").children == 0 {
		t.Error("apex lost its children")
	}
}

// A name whose only set is deleted and another added in one transaction
// (the usual renumbering UPDATE) is not in use in between, and a published
// version never holds a node with nothing in or below it.
func TestEmptiedNamesLeaveAtCommit(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	h := "cyberdyne-web-sfo-prod.example.org."
	names := z.Current().Names()
	_, _, err := z.Update(func(tx *Txn) error {
		tx.Set(h, dns.TypeA, nil)
		if tx.Node(h).InUse() {
			t.Error("a name without records is in use")
		}
		tx.Set(h, dns.TypeAAAA, []dns.RR{mustRR(t, h+" 60 IN AAAA 2001:db8::5")})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := z.Current().Names(); got != names {
		t.Errorf("%d names after a renumbering, want %d", got, names)
	}
	for _, step := range []func(tx *Txn){
		func(tx *Txn) { tx.Set(h, dns.TypeAAAA, nil) },
		func(tx *Txn) { tx.Set("a.b.c.example.org.", dns.TypeTXT, nil) },
		func(tx *Txn) { // emptied, then a name below it: it stays, as an empty non-terminal
			tx.Set("www.example.org.", dns.TypeA, nil)
			tx.Set("x.www.example.org.", dns.TypeA, []dns.RR{mustRR(t, "x.www.example.org. 60 IN A 192.0.2.9")})
		},
	} {
		if _, _, err := z.Update(func(tx *Txn) error { step(tx); return nil }); err != nil {
			t.Fatal(err)
		}
		z.Current().Walk(func(n *Node) bool {
			if n.empty() && n.Name() != "example.org." {
				t.Errorf("%s is in the version with nothing in or below it", n.Name())
			}
			return true
		})
	}
	if z.Current().Node(h) != nil || z.Current().Node("c.example.org.") != nil {
		t.Error("a deleted name or its empty parents are still there")
	}
	if n := z.Current().Node("www.example.org."); n == nil || n.InUse() || n.children != 1 {
		t.Errorf("www is not an empty non-terminal above x.www: %+v", n)
	}
}

// A transaction of many sets, some changed twice, lists each set once in
// its changeset, in the order first changed, however many there are (a
// scan finds the first few, an index the rest).
func TestChangesetOfManySets(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	const n = 3 * changedSmall
	var want []string
	cs, _, err := z.Update(func(tx *Txn) error {
		for round := range 2 {
			for i := range n {
				name := fmt.Sprintf("n%d.example.org.", i)
				tx.Set(name, dns.TypeTXT, []dns.RR{mustRR(t, fmt.Sprintf("%s 60 IN TXT \"%d\"", name, round))})
				if round == 1 {
					want = append(want, fmt.Sprintf("%s\t60\tIN\tTXT\t\"1\"", name))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rr := range cs.Add {
		if rr.Header().Rrtype == dns.TypeTXT {
			got = append(got, rr.String())
		}
	}
	if !slices.Equal(got, want) || len(cs.Del) != 0 { // new names: nothing deleted
		t.Errorf("changeset adds %d TXT records (want %d in order) and deletes %d:\n%q", len(got), len(want), len(cs.Del), got)
	}
}

func TestChangesetReplay(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	replica := load(t, "example.org.", seedZone)
	steps := []func(tx *Txn){
		func(tx *Txn) {
			tx.Set("new.example.org.", dns.TypeA, []dns.RR{mustRR(t, "new.example.org. 60 IN A 192.0.2.7")})
		},
		func(tx *Txn) {
			tx.Set("www.example.org.", dns.TypeA, []dns.RR{mustRR(t, "www.example.org. 99 IN A 192.0.2.1")})
		},
		func(tx *Txn) { tx.Set("a.b.c.example.org.", dns.TypeTXT, nil) },
		func(tx *Txn) {
			tx.Set("cyberdyne-web-sfo-prod.example.org.", dns.TypeA, []dns.RR{mustRR(t, "cyberdyne-web-sfo-prod.example.org. 60 IN A 13.37.1.5")})
		},
	}
	for i, step := range steps {
		cs, _, err := z.Update(func(tx *Txn) error { step(tx); return nil })
		if err != nil || cs.Empty() {
			t.Fatalf("step %d: %v, changeset %+v", i, err, cs)
		}
		if _, _, err := replica.Update(func(tx *Txn) error { tx.Apply(cs); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	var a, b []string
	_ = z.Current().WalkServed(func(rr dns.RR) error { a = append(a, rr.String()); return nil })
	_ = replica.Current().WalkServed(func(rr dns.RR) error { b = append(b, rr.String()); return nil })
	if !slices.Equal(a, b) {
		t.Errorf("replay differs:\n%q\n%q", a, b)
	}
}

func TestNoChangeIsEmpty(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	before := z.Current()
	cs, v, err := z.Update(func(tx *Txn) error {
		old := tx.Own("www.example.org.", dns.TypeA)
		tx.Set("www.example.org.", dns.TypeA, nil)
		tx.Set("www.example.org.", dns.TypeA, old)
		return nil
	})
	if err != nil || !cs.Empty() || v != before || z.Current() != before {
		t.Errorf("delete+add of the same data changed the zone: %+v", cs)
	}
}

type failingLog struct{ err error }

func (l failingLog) Commit([]Changeset) error { return l.err }

func TestLogFailureKeepsZone(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	before := z.Current()
	boom := errors.New("no space left on device")
	z.SetLog(failingLog{boom})
	_, _, err := z.Update(func(tx *Txn) error {
		tx.Set("new.example.org.", dns.TypeA, []dns.RR{mustRR(t, "new.example.org. 60 IN A 192.0.2.7")})
		return nil
	})
	if !errors.Is(err, boom) || z.Current() != before {
		t.Errorf("failed log: err %v, zone changed %v", err, z.Current() != before)
	}
}

type countingLog struct {
	mu      sync.Mutex
	commits int
	sets    int
}

func (l *countingLog) Commit(cs []Changeset) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.commits++
	l.sets += len(cs)
	return nil
}

// With one P, the process's pollgate makes each transaction a turn: the
// writer runs that path too.
func TestConcurrentUpdatesAreSerialisedAndBatched(t *testing.T) {
	onEachProcs(t, testConcurrentUpdatesAreSerialisedAndBatched)
}

// onEachProcs runs test with the test binary's GOMAXPROCS and with one P.
func onEachProcs(t *testing.T, test func(*testing.T)) {
	t.Run("procs=default", test)
	t.Run("procs=1", func(t *testing.T) {
		onep.Use(t)
		test(t)
	})
}

func testConcurrentUpdatesAreSerialisedAndBatched(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	log := &countingLog{}
	z.SetLog(log)
	const writers = 50
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go func() { // a reader that must never see a torn state
		for {
			select {
			case <-stop:
				return
			default:
				m := new(dns.Msg)
				z.Current().Lookup(m, "web.example.org.", dns.TypeA, rotate.Cyclic)
			}
		}
	}()
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("h%d-web-sfo-prod.example.org.", i)
			_, _, err := z.Update(func(tx *Txn) error {
				// read-modify-write of a shared counter: lost updates would show.
				cnt := tx.Own("counter.example.org.", dns.TypeTXT)
				n := 0
				if len(cnt) > 0 {
					fmt.Sscan(cnt[0].(*dns.TXT).Txt[0], &n)
				}
				tx.Set("counter.example.org.", dns.TypeTXT, []dns.RR{mustRR(t, fmt.Sprintf(`counter.example.org. 60 IN TXT "%d"`, n+1))})
				tx.Set(name, dns.TypeA, []dns.RR{mustRR(t, fmt.Sprintf("%s 60 IN A 10.1.0.%d", name, i))})
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	close(stop)
	if got := answer(z, "counter.example.org.", dns.TypeTXT); len(got) != 1 || got[0] != fmt.Sprintf(`counter.example.org. 60 IN TXT "%d"`, writers) {
		t.Errorf("counter = %q, want %d", got, writers)
	}
	if got := len(answer(z, "web.example.org.", dns.TypeA)); got != writers+2 {
		t.Errorf("web has %d addresses, want %d", got, writers+2)
	}
	if log.sets != writers || log.commits > writers {
		t.Errorf("log saw %d changesets in %d commits", log.sets, log.commits)
	}
	t.Logf("%d updates in %d log commits", log.sets, log.commits)
}

func TestDerivedTTLRisesWhenTheLowestLeaves(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	a, b := "cyberdyne-web-sfo-prod.example.org.", "techcom-web-sfo-prod.example.org."
	set(t, z, a, dns.TypeA, a+" 30 IN A 13.37.1.1")
	set(t, z, b, dns.TypeA, b+" 90 IN A 13.37.1.2")
	ttls := func() []uint32 {
		var out []uint32
		for _, s := range answer(z, "web.example.org.", dns.TypeA) {
			out = append(out, mustRR(t, s).Header().Ttl)
		}
		return out
	}
	if got := ttls(); !slices.Equal(got, []uint32{30, 30}) {
		t.Errorf("TTLs %v, want the lowest (30) on both", got)
	}
	set(t, z, a, dns.TypeA)
	if got := ttls(); !slices.Equal(got, []uint32{90}) {
		t.Errorf("TTLs %v after the 30s host left, want 90", got)
	}
}

// A host that keeps its address but changes its TTL moves the service's
// TTL with it, down and back up.
func TestDerivedTTLFollowsATTLChange(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	a, b := "cyberdyne-web-sfo-prod.example.org.", "techcom-web-sfo-prod.example.org."
	set(t, z, a, dns.TypeA, a+" 60 IN A 13.37.1.1")
	set(t, z, b, dns.TypeA, b+" 60 IN A 13.37.1.2")
	for _, ttl := range []uint32{20, 60, 45} {
		set(t, z, a, dns.TypeA, fmt.Sprintf("%s %d IN A 13.37.1.1", a, ttl))
		for _, s := range answer(z, "web.example.org.", dns.TypeA) {
			if got := mustRR(t, s).Header().Ttl; got != ttl {
				t.Errorf("host TTL %d: service record %s", ttl, s)
			}
		}
	}
}

func TestSharedAddressStaysWhileAnyHostHasIt(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	a, b := "cyberdyne-web-sfo-prod.example.org.", "techcom-web-sfo-prod.example.org."
	set(t, z, b, dns.TypeA, b+" 300 IN A 13.37.1.1") // both hosts now share 13.37.1.1
	set(t, z, b, dns.TypeAAAA)
	if got := answer(z, "web.example.org.", dns.TypeA); len(got) != 1 {
		t.Fatalf("shared address not de-duplicated: %q", got)
	}
	set(t, z, a, dns.TypeA)
	if got := answer(z, "web.example.org.", dns.TypeA); len(got) != 1 {
		t.Errorf("address left while another host still has it: %q", got)
	}
}

func TestSetDeriverDerivesAgain(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	rules, err := (*derive.Rules)(nil).Parse([]string{"{id}-{service}-{site}-{env}", "{service}.{env}"})
	if err != nil {
		t.Fatal(err)
	}
	if err := z.SetDeriver(rules); err != nil {
		t.Fatal(err)
	}
	if n := z.Current().Node("web.example.org."); n != nil {
		t.Errorf("old service still served: %v", n.Sets())
	}
	want := []string{"web.prod.example.org. 300 IN A 13.37.1.1", "web.prod.example.org. 300 IN A 13.37.1.2"}
	if got := answer(z, "web.prod.example.org.", dns.TypeA); !slices.Equal(got, want) {
		t.Errorf("new service: %q, want %q", got, want)
	}
	// Later updates use the new rules.
	h := "skynet-web-lon-prod.example.org."
	set(t, z, h, dns.TypeA, h+" 300 IN A 13.37.1.3")
	if got := answer(z, "web.prod.example.org.", dns.TypeA); len(got) != 3 {
		t.Errorf("update after SetDeriver: %q", got)
	}
}

// Every version of a service's set must not keep the versions before it:
// a long-running zone's memory follows its contents, not its history.
func TestDerivedSetsDoNotKeepTheirHistory(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	for i := range 2000 {
		set(t, z, fmt.Sprintf("h%d-big-prod.example.org.", i), dns.TypeA, fmt.Sprintf("h%d-big-prod.example.org. 60 IN A 10.0.%d.%d", i, i>>8, i&255))
	}
	renumber := func(from, to int) { // each copies a chunk or two and the index of big's set
		for i := from; i < to; i++ {
			h := fmt.Sprintf("h%d-big-prod.example.org.", i%2000)
			set(t, z, h, dns.TypeA, fmt.Sprintf("%s 60 IN A 10.%d.%d.%d", h, 1+i/2000, i%2000>>8, i&255))
		}
	}
	renumber(0, 2000) // the set's shape settles
	before := int64(liveHeap())
	renumber(2000, 6000)
	grew := int64(liveHeap()) - before
	runtime.KeepAlive(z) // measured with the zone alive
	if grew > 2<<20 {
		t.Errorf("the heap grew by %d KB over 4,000 renumberings of one service's hosts", grew>>10)
	}
}
