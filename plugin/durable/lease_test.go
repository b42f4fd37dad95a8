package durable

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dyndns/dyndns/plugin/update"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// leased adds rr through the real UPDATE engine with a lease until until.
func leased(t *testing.T, s *Store, text string, until int64) zone.Changeset {
	t.Helper()
	m := new(dns.Msg)
	m.SetUpdate(origin)
	rr, err := dns.NewRR(text)
	if err != nil {
		t.Fatal(err)
	}
	m.Ns = []dns.RR{rr}
	wire, err := m.Pack() // as from the wire: RDLENGTH set
	if err != nil {
		t.Fatal(err)
	}
	m = new(dns.Msg)
	if err := m.Unpack(wire); err != nil {
		t.Fatal(err)
	}
	o := update.Options{Permit: func([]dns.RR) bool { return true }, LeaseUntil: until}
	cs, _, err := s.Zone().Update(func(tx *zone.Txn) error { return update.Apply(tx, m, o) })
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func leaseOf(t *testing.T, s *Store, text string) int64 {
	t.Helper()
	rr, _ := dns.NewRR(text)
	return s.Zone().Current().Lease(rr)
}

// Lease deadlines live in the journal and, after a snapshot, in the zone
// file; a renewal changes no serial yet survives a crash after a snapshot
// at that same serial.
func TestLeasesSurviveSnapshotsAndCrashes(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, nil)
	const host = "h-web-prod.example.org. 60 IN A 192.0.2.1"
	far := time.Now().Add(time.Hour).Unix()
	leased(t, s, host, far)
	serial := s.Zone().Current().Serial()
	if err := s.Snapshot(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(ZoneFile(dir, origin))
	if !strings.Contains(string(data), "lease-until ") || !strings.Contains(string(data), "dyndns-lsn ") {
		t.Fatalf("the snapshot lacks the lease or the LSN:\n%s", data)
	}
	cs := leased(t, s, host, far+600) // a renewal
	if cs.ChangesRecords() || s.Zone().Current().Serial() != serial {
		t.Fatalf("a renewal changed records or the serial: %+v", cs)
	}

	again := open(t, dir, nil) // a crash: the first store is never closed
	if got := leaseOf(t, again, host); got != far+600 {
		t.Fatalf("after a crash the lease ends at %d, want the renewal's %d", got, far+600)
	}
	if err := again.Close(); err != nil { // final snapshot: the file alone holds it
		t.Fatal(err)
	}
	os.Remove(JournalFile(dir, origin))
	third := open(t, dir, nil)
	defer third.Close()
	if got := leaseOf(t, third, host); got != far+600 {
		t.Fatalf("from the zone file alone the lease ends at %d, want %d", got, far+600)
	}
	// The journal was removed by hand: new entries must count on from the
	// file's LSN, or the next restart would take them as covered.
	leased(t, third, "n-web-prod.example.org. 60 IN A 192.0.2.2", far)
	fourth := open(t, dir, nil)
	defer fourth.Close()
	if fourth.Zone().Current().Node("n-web-prod.example.org.") == nil {
		t.Fatal("an update journaled after the journal was removed is lost")
	}
}

// A record whose lease ran out while the store was closed is deleted at
// open, in a committed change, before anyone can read it.
func TestLeaseExpiredWhileClosedIsGoneAtOpen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, nil)
	leased(t, s, "old-web-prod.example.org. 60 IN A 192.0.2.1", time.Now().Add(-time.Second).Unix())
	leased(t, s, "new-web-prod.example.org. 60 IN A 192.0.2.2", time.Now().Add(time.Hour).Unix())
	s.Close()
	again := open(t, dir, nil)
	defer again.Close()
	v := again.Zone().Current()
	if v.Node("old-web-prod.example.org.") != nil || v.Node("new-web-prod.example.org.") == nil {
		t.Fatal("open kept an expired record or dropped a live one")
	}
	if web := v.Node("web.example.org."); web == nil || len(web.RRset(dns.TypeA).Records()) != 1 {
		t.Fatal("the service still holds the expired host")
	}
}
