package zone

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// sharedLog is the contract of a replicated log (etcd in production),
// held in memory: a commit succeeds only from the log's head; otherwise
// the replica is told what it lacks.
type sharedLog struct {
	mu      sync.Mutex
	entries []Changeset
}

// replica is one zone's position in a sharedLog; it is its Log.
type replica struct {
	log  *sharedLog
	head int // entries the zone has applied; touched only under the zone's writer lock
}

func (r *replica) Commit(cs []Changeset) error {
	r.log.mu.Lock()
	defer r.log.mu.Unlock()
	if err := r.behind(); err != nil {
		return err
	}
	r.log.entries = append(r.log.entries, cs...)
	r.head = len(r.log.entries)
	return nil
}

func (r *replica) Verify() error {
	r.log.mu.Lock()
	defer r.log.mu.Unlock()
	return r.behind()
}

// behind returns Behind with what the replica lacks, or nil. Called with
// the log locked.
func (r *replica) behind() error {
	if r.head == len(r.log.entries) {
		return nil
	}
	missing := slices.Clone(r.log.entries[r.head:])
	r.head = len(r.log.entries)
	return &Behind{Changes: missing}
}

func (r *replica) catchUp() []Changeset {
	r.log.mu.Lock()
	defer r.log.mu.Unlock()
	if b, ok := r.behind().(*Behind); ok {
		return b.Changes
	}
	return nil
}

const replicaZone = `$ORIGIN rep.test.
@ 3600 IN SOA ns1 admin 1 7200 3600 1209600 300
@ 3600 IN NS ns1
ns1 3600 IN A 192.0.2.53
`

// twoReplicas returns two zones loaded alike and sharing one log.
func twoReplicas(t *testing.T) (a, b *Zone, ra, rb *replica) {
	l := &sharedLog{}
	a, b = load(t, "rep.test.", replicaZone), load(t, "rep.test.", replicaZone)
	ra, rb = &replica{log: l}, &replica{log: l}
	a.SetLog(ra)
	b.SetLog(rb)
	return a, b, ra, rb
}

// addIfAbsent adds rr unless its name exists: a prerequisite (RFC 2136
// "name is not in use") decided on the version the transaction runs on.
func addIfAbsent(rr dns.RR) func(*Txn) error {
	return func(t *Txn) error {
		if t.Node(rr.Header().Name).InUse() {
			return errors.New("YXDOMAIN")
		}
		t.AddRR(rr)
		t.BumpSerial()
		return nil
	}
}

func TestBehindRunsTheTransactionAgain(t *testing.T) {
	a, b, _, rb := twoReplicas(t)
	// Two replicas race on one name: the first commit wins, the second
	// learns of it, runs again and fails its prerequisite.
	if _, _, err := a.Update(addIfAbsent(mustRR(t, "x.rep.test. 60 IN A 192.0.2.1"))); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Update(addIfAbsent(mustRR(t, "x.rep.test. 60 IN A 192.0.2.2"))); err == nil || err.Error() != "YXDOMAIN" {
		t.Fatalf("the losing replica's update: err = %v, want its prerequisite to fail", err)
	}
	// b now serves a's change, and its own next update commits after it.
	if got := strs(b.Current().Node("x.rep.test.").Own(dns.TypeA), false); !slices.Equal(got, []string{"x.rep.test. 60 IN A 192.0.2.1"}) {
		t.Fatalf("b serves %v", got)
	}
	if _, _, err := b.Update(addIfAbsent(mustRR(t, "y-web-prod.rep.test. 60 IN A 192.0.2.3"))); err != nil {
		t.Fatal(err)
	}
	var told []uint32
	a.SetFollowed(func(v *Version, cs []Changeset) { told = append(told, v.Serial()) })
	if err := a.Follow(func() []Changeset { return (&replica{log: rb.log, head: 1}).catchUp() }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(told, []uint32{3}) {
		t.Errorf("the followed hook was told of serials %v, want [3]", told)
	}
	if a.Current().Serial() != 3 || b.Current().Serial() != 3 {
		t.Fatalf("serials %d and %d, want 3 on both", a.Current().Serial(), b.Current().Serial())
	}
	for _, z := range []*Zone{a, b} {
		if s := z.Current().Node("web.rep.test.").RRset(dns.TypeA); s == nil || len(s.Records()) != 1 {
			t.Errorf("the derived service is not on every replica")
		}
	}
	if _, _, _, _, ok := a.Incremental(1); !ok {
		t.Error("followed changes are not in the IXFR history")
	}
}

// A replica that always loses gives up after maxRetries with ErrContention.
func TestEndlessContentionFails(t *testing.T) {
	z := load(t, "rep.test.", replicaZone)
	z.SetLog(alwaysBehind{})
	done := make(chan error)
	go func() {
		_, _, err := z.Update(addIfAbsent(mustRR(t, "x.rep.test. 60 IN A 192.0.2.1")))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrContention) {
			t.Fatalf("err = %v, want ErrContention", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an update retried without bound")
	}
	if z.Current().Node("x.rep.test.") != nil {
		t.Error("a failed update left its change")
	}
}

type alwaysBehind struct{}

func (alwaysBehind) Commit([]Changeset) error { return &Behind{} }

func TestReloadReplacesTheState(t *testing.T) {
	z := load(t, "rep.test.", replicaZone+"old 60 IN A 192.0.2.9\n")
	until := time.Now().Add(time.Hour).Unix()
	err := z.Reload(func(tx *Txn) error {
		if err := insertText(tx, replicaZone+"a-web-prod 60 IN A 192.0.2.1\n"); err != nil {
			return err
		}
		tx.SetLease(mustRR(t, "a-web-prod.rep.test. 60 IN A 192.0.2.1"), until)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	v := z.Current()
	if v.Node("old.rep.test.") != nil || v.Node("web.rep.test.") == nil {
		t.Error("the reload kept old data or did not derive")
	}
	if next, ok := z.NextExpiry(); !ok || next.Unix() != until {
		t.Errorf("next expiry %v %v, want the reloaded lease", next, ok)
	}
}

// A transaction that changes nothing (its prerequisite failed) on a replica
// that is behind is run again on the head, not answered from the old version.
func TestFailingPrerequisiteIsCheckedOnTheHead(t *testing.T) {
	a, b, _, _ := twoReplicas(t)
	if _, _, err := a.Update(addIfAbsent(mustRR(t, "x.rep.test. 60 IN A 192.0.2.1"))); err != nil {
		t.Fatal(err)
	}
	requireX := func(t *Txn) error {
		if !t.Node("x.rep.test.").InUse() {
			return errors.New("NXDOMAIN")
		}
		return nil
	}
	if _, _, err := b.Update(requireX); err != nil {
		t.Fatalf("b answered from a version without a's commit: %v", err)
	}
}
