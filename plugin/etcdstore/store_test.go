package etcdstore

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dyndns/dyndns/internal/etcdtest"
	"github.com/dyndns/dyndns/plugin/derive"
	"github.com/dyndns/dyndns/plugin/storage"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
	clientv3 "go.etcd.io/etcd/client/v3"
)

const origin = "rep.test."

// replica starts a backend on the cluster (as one dyndns process would)
// and opens the zone on it; both are closed at cleanup.
func replica(t *testing.T, c *etcdtest.Cluster, opts storage.Options) *Store {
	t.Helper()
	b := New(Config{Endpoints: c.Endpoints(), Timeout: 2 * time.Second})
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	s, err := b.Open(origin, derive.Default(), opts)
	if err != nil {
		b.Stop()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); b.Stop() })
	return s.(*Store)
}

func add(text string) func(*zone.Txn) error {
	return func(t *zone.Txn) error {
		rr, err := dns.NewRR(text)
		if err != nil {
			return err
		}
		t.AddRR(rr)
		t.BumpSerial()
		return nil
	}
}

// addIfAbsent is an update with the RFC 2136 prerequisite "name not in use".
func addIfAbsent(text string) func(*zone.Txn) error {
	return func(t *zone.Txn) error {
		rr, _ := dns.NewRR(text)
		if t.Node(rr.Header().Name).InUse() {
			return errYXDomain
		}
		return add(text)(t)
	}
}

var errYXDomain = errors.New("YXDOMAIN")

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5 s", what)
		}
	}
}

func dump(z *zone.Zone) string {
	var out string
	z.Current().WalkServed(func(rr dns.RR) error { out += rr.String() + "\n"; return nil })
	return out
}

func TestReplicasServeEachOthersUpdates(t *testing.T) {
	c := etcdtest.Start(t, 3)
	a, b := replica(t, c, storage.Options{}), replica(t, c, storage.Options{})
	start := time.Now()
	if _, _, err := a.Zone().Update(add("x-web-prod.rep.test. 60 IN A 192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b serves a's update", func() bool { return b.Zone().Current().Node("web.rep.test.") != nil })
	t.Logf("replicated in %v", time.Since(start))
	if _, _, err := b.Zone().Update(add("y-web-prod.rep.test. 60 IN A 192.0.2.2")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the replicas agree", func() bool { return dump(a.Zone()) == dump(b.Zone()) })
	if s := a.Zone().Current().Serial(); s != 3 {
		t.Errorf("serial %d, want 3 (two updates)", s)
	}
	// A replica started later loads the same zone.
	if got := dump(replica(t, c, storage.Options{}).Zone()); got != dump(a.Zone()) {
		t.Errorf("a new replica loads\n%s\nwant\n%s", got, dump(a.Zone()))
	}
}

// Two replicas race on the same names with "add if absent": for every name
// exactly one wins, and both end with the same zone.
func TestConflictingPrerequisitesOneWins(t *testing.T) {
	c := etcdtest.Start(t, 3)
	a, b := replica(t, c, storage.Options{}), replica(t, c, storage.Options{})
	const names = 30
	var wins [2]atomic.Int64
	var wg sync.WaitGroup
	for i, s := range []*Store{a, b} {
		wg.Go(func() {
			for n := range names {
				_, _, err := s.Zone().Update(addIfAbsent(fmt.Sprintf("n%d.rep.test. 60 IN A 192.0.2.%d", n, 1+i)))
				switch {
				case err == nil:
					wins[i].Add(1)
				case !errors.Is(err, errYXDomain):
					t.Errorf("replica %d, name %d: %v", i, n, err)
				}
			}
		})
	}
	wg.Wait()
	if total := wins[0].Load() + wins[1].Load(); total != names {
		t.Errorf("%d + %d updates won for %d names: want exactly one each", wins[0].Load(), wins[1].Load(), names)
	}
	eventually(t, "the replicas agree", func() bool { return dump(a.Zone()) == dump(b.Zone()) })
	t.Logf("wins: %d and %d", wins[0].Load(), wins[1].Load())
}

// With etcd down, updates fail within the timeout and queries are still
// answered from memory; when etcd is back, both work and replicas catch up.
func TestEtcdDown(t *testing.T) {
	c := etcdtest.Start(t, 3)
	a, b := replica(t, c, storage.Options{}), replica(t, c, storage.Options{})
	if _, _, err := a.Zone().Update(add("x.rep.test. 60 IN A 192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b has x", func() bool { return b.Zone().Current().Node("x.rep.test.") != nil })
	c.StopAll()
	start := time.Now()
	if _, _, err := a.Zone().Update(add("y.rep.test. 60 IN A 192.0.2.2")); err == nil {
		t.Fatal("an update succeeded with every etcd member down")
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("the failed update took %v; the timeout is 2 s", took)
	}
	if a.Zone().Current().Node("x.rep.test.") == nil || a.Zone().Current().Node("y.rep.test.") != nil {
		t.Error("the zone in memory changed while etcd was down")
	}
	c.StartAll()
	eventually(t, "an update works again", func() bool {
		_, _, err := b.Zone().Update(add("z.rep.test. 60 IN A 192.0.2.3"))
		return err == nil
	})
	eventually(t, "a catches up", func() bool { return a.Zone().Current().Node("z.rep.test.") != nil })
	eventually(t, "the replicas agree", func() bool { return dump(a.Zone()) == dump(b.Zone()) })
}

// A lease ends once, on one replica, and the deletion reaches every one.
func TestLeaseEndsOnce(t *testing.T) {
	c := etcdtest.Start(t, 1)
	a, b := replica(t, c, storage.Options{}), replica(t, c, storage.Options{})
	var expiries atomic.Int64
	count := func(rrs []dns.RR, _ *zone.Version) { expiries.Add(int64(len(rrs))) }
	a.SetExpired(count)
	b.SetExpired(count)
	until := time.Now().Add(time.Second).Unix() + 1
	_, _, err := a.Zone().Update(func(t *zone.Txn) error {
		if err := add("l-web-prod.rep.test. 60 IN A 192.0.2.9")(t); err != nil {
			return err
		}
		rr, _ := dns.NewRR("l-web-prod.rep.test. 60 IN A 192.0.2.9")
		t.SetLease(rr, until)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Store{a, b} {
		eventually(t, "the lease ran out everywhere", func() bool { return s.Zone().Current().Node("l-web-prod.rep.test.") == nil })
	}
	time.Sleep(500 * time.Millisecond) // a second expiry would come now
	if n := expiries.Load(); n != 1 {
		t.Errorf("the record expired %d times, want once", n)
	}
	if a.Zone().Current().Serial() != b.Zone().Current().Serial() {
		t.Error("the replicas' serials differ after the expiry")
	}
}

// Snapshots bound what a starting replica reads, and trim the log. The
// replica that writes them counts the log others write too: here every
// update goes through a replica that does not lead.
func TestSnapshotTrimsTheLog(t *testing.T) {
	c := etcdtest.Start(t, 1)
	opts := storage.Options{SnapshotSize: 1, History: 2} // a snapshot after every commit
	leads := make(chan struct{})
	var once sync.Once
	leaderOpts := opts
	leaderOpts.Logf = func(format string, _ ...any) {
		if strings.Contains(format, "now expires leases") {
			once.Do(func() { close(leads) })
		}
	}
	replica(t, c, leaderOpts)
	select {
	case <-leads:
	case <-time.After(10 * time.Second):
		t.Fatal("the first replica was not elected")
	}
	a := replica(t, c, opts)
	for i := range 20 {
		if _, _, err := a.Zone().Update(add(fmt.Sprintf("h%d-web-prod.rep.test. 60 IN A 192.0.2.%d", i, i+1))); err != nil {
			t.Fatal(err)
		}
	}
	cl := c.Client(t)
	eventually(t, "the log is trimmed", func() bool {
		r, err := cl.Get(t.Context(), a.keys.logPrefix(), clientv3WithPrefix()...)
		return err == nil && r.Count <= 4
	})
	if got := dump(replica(t, c, opts).Zone()); got != dump(a.Zone()) {
		t.Errorf("a replica started from the snapshot serves\n%s\nwant\n%s", got, dump(a.Zone()))
	}
}

func clientv3WithPrefix() []clientv3.OpOption {
	return []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithCountOnly()}
}

// A replica closes promptly with etcd unreachable, whether or not it leads
// (a replica waiting to be elected is inside etcd's Campaign, which does
// not end with its context).
func TestCloseWithEtcdDown(t *testing.T) {
	c := etcdtest.Start(t, 1)
	a, b := replica(t, c, storage.Options{}), replica(t, c, storage.Options{})
	if _, _, err := a.Zone().Update(add("x.rep.test. 60 IN A 192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	c.StopAll()
	for _, s := range []*Store{a, b} {
		done := make(chan struct{})
		go func() { s.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not return within 5 s with etcd down")
		}
	}
}

// A replica cut off from etcd while the others go on, the log is trimmed
// and etcd's history compacted, resumes its watch past the compaction:
// it loads the snapshot again and serves what the others serve.
func TestFallenBehindCompactionReloads(t *testing.T) {
	c := etcdtest.Start(t, 3)
	opts := storage.Options{SnapshotSize: 1, History: 2}
	// b talks to member 0 only; a to the two others.
	var reloads atomic.Int64
	open := func(endpoints []string, o storage.Options) *Store {
		be := New(Config{Endpoints: endpoints, Timeout: 2 * time.Second})
		if err := be.Start(); err != nil {
			t.Fatal(err)
		}
		s, err := be.Open(origin, derive.Default(), o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close(); be.Stop() })
		return s.(*Store)
	}
	eps := c.Endpoints()
	bOpts := opts
	bOpts.Logf = func(format string, args ...any) {
		if strings.Contains(format, "fell behind") {
			reloads.Add(1)
		}
	}
	a, b := open(eps[1:], opts), open(eps[:1], bOpts)
	if _, _, err := a.Zone().Update(add("first-web-prod.rep.test. 60 IN A 192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b follows", func() bool { return dump(a.Zone()) == dump(b.Zone()) })

	c.Kill(0)
	c.Leader()
	for i := range 20 {
		if _, _, err := a.Zone().Update(add(fmt.Sprintf("h%d-web-prod.rep.test. 60 IN A 192.0.2.%d", i, 10+i))); err != nil {
			t.Fatal(err)
		}
	}
	cl := c.Client(t)
	eventually(t, "the log is trimmed", func() bool {
		r, err := cl.Get(t.Context(), a.keys.logPrefix(), clientv3WithPrefix()...)
		return err == nil && r.Count <= 4
	})
	r, err := cl.Get(t.Context(), a.keys.head())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Compact(t.Context(), r.Header.Revision); err != nil {
		t.Fatal(err)
	}
	c.Restart(0)
	eventually(t, "b reloads and serves what a serves", func() bool { return dump(a.Zone()) == dump(b.Zone()) })
	if reloads.Load() == 0 {
		t.Error("b caught up without loading the snapshot: the test did not make it fall behind")
	}
}
