package etcdtest

import (
	"context"
	"crypto/tls"
	"os"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.uber.org/zap"
)

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func get(t *testing.T, cli *clientv3.Client, key string) string {
	t.Helper()
	resp, err := cli.Get(ctxT(t, 10*time.Second), key)
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	if len(resp.Kvs) == 0 {
		return ""
	}
	return string(resp.Kvs[0].Value)
}

func put(t *testing.T, cli *clientv3.Client, key, val string) {
	t.Helper()
	if _, err := cli.Put(ctxT(t, 10*time.Second), key, val); err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
}

// TestCluster walks a 3-member cluster through a member crash and a full
// outage.
func TestCluster(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	c := Start(t, 3)
	t.Logf("Start(3): %v", time.Since(t0))
	if got := len(c.Endpoints()); got != 3 || len(c.ClientURLs()) != 3 {
		t.Fatalf("%d endpoints", got)
	}
	cli := c.Client(t)
	put(t, cli, "a", "1")
	if got := get(t, cli, "a"); got != "1" {
		t.Fatalf("a = %q", got)
	}

	// One member down: 2 of 3 is still a quorum. Kill the leader to get
	// the worst case; Leader waits for the survivors to elect a new one.
	t0 = time.Now()
	old := c.Leader()
	c.Kill(old)
	t.Logf("killed leader m%d; m%d took over after %v", old, c.Leader(), time.Since(t0))
	put(t, cli, "b", "2")

	// The restarted member catches up on what it missed.
	t0 = time.Now()
	c.Restart(old)
	t.Logf("Restart(m%d): %v", old, time.Since(t0))
	one, err := c.newClient(c.ClientURLs()[old : old+1])
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	if got := get(t, one, "b"); got != "2" {
		t.Fatalf("b via restarted m%d = %q", old, got)
	}

	// Everything down: nothing answers.
	c.StopAll()
	t0 = time.Now()
	if _, err := cli.Get(ctxT(t, time.Second), "a"); err == nil {
		t.Fatal("get with every member down succeeded")
	} else {
		t.Logf("get with all down: %v after %v", err, time.Since(t0))
	}

	// Same data after a full restart.
	t0 = time.Now()
	c.StartAll()
	t.Logf("StartAll: %v", time.Since(t0))
	t0 = time.Now()
	if got := get(t, cli, "a"); got != "1" {
		t.Fatalf("a after StartAll = %q", got)
	}
	if got := get(t, cli, "b"); got != "2" {
		t.Fatalf("b after StartAll = %q", got)
	}
	t.Logf("first gets after StartAll (old client reconnecting): %v", time.Since(t0))
}

// TestPrimitives checks that client v3.7 works against the 3.4 server for
// what the plugin may use: Txn, Watch, Lease.
func TestPrimitives(t *testing.T) {
	t.Parallel()
	c := Start(t, 1)
	cli := c.Client(t)
	ctx := ctxT(t, 15*time.Second)

	// Txn: create-if-absent succeeds once.
	create := func() bool {
		resp, err := cli.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision("k"), "=", 0)).
			Then(clientv3.OpPut("k", "v")).
			Else(clientv3.OpGet("k")).
			Commit()
		if err != nil {
			t.Fatalf("txn: %v", err)
		}
		return resp.Succeeded
	}
	if !create() || create() {
		t.Fatal("create-if-absent txn: want success then failure")
	}

	// Watch sees a put after the watch's start revision.
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	wch := cli.Watch(wctx, "w/", clientv3.WithPrefix())
	put(t, cli, "w/x", "1")
	select {
	case wr := <-wch:
		if err := wr.Err(); err != nil || len(wr.Events) != 1 || string(wr.Events[0].Kv.Key) != "w/x" {
			t.Fatalf("watch: err %v, events %v", err, wr.Events)
		}
	case <-ctx.Done():
		t.Fatal("no watch event")
	}

	// Lease: attached key, TTL query, keepalive, expiry deletes the key.
	lease, err := cli.Grant(ctx, 2)
	if err != nil {
		t.Fatalf("grant: %v", err)
	}
	if _, err := cli.Put(ctx, "l", "v", clientv3.WithLease(lease.ID)); err != nil {
		t.Fatal(err)
	}
	ttl, err := cli.TimeToLive(ctx, lease.ID, clientv3.WithAttachedKeys())
	if err != nil || len(ttl.Keys) != 1 || ttl.TTL <= 0 {
		t.Fatalf("time-to-live: %v %+v", err, ttl)
	}
	if _, err := cli.KeepAliveOnce(ctx, lease.ID); err != nil {
		t.Fatalf("keepalive: %v", err)
	}
	t0 := time.Now()
	for get(t, cli, "l") != "" {
		if time.Since(t0) > 10*time.Second {
			t.Fatal("leased key outlived its lease")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("2 s lease expired %v after a keepalive", time.Since(t0))
}

// TestElection checks concurrency.Election (Txn+Watch+Lease under the
// hood) against the 3.4 server: one of two campaigners wins, and the
// other takes over when the winner resigns by closing its session or
// dies (its lease expires).
func TestElection(t *testing.T) {
	t.Parallel()
	c := Start(t, 3)
	cli := c.Client(t)
	ctx := ctxT(t, 30*time.Second)

	session := func() *concurrency.Session {
		s, err := concurrency.NewSession(cli, concurrency.WithTTL(2))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	campaign := func(e *concurrency.Election, val string) <-chan error {
		ch := make(chan error, 1)
		go func() { ch <- e.Campaign(ctx, val) }()
		return ch
	}
	leader := func(e *concurrency.Election) string {
		resp, err := e.Leader(ctx)
		if err != nil {
			t.Fatalf("leader: %v", err)
		}
		return string(resp.Kvs[0].Value)
	}
	stillWaiting := func(ch <-chan error, who string) {
		select {
		case err := <-ch:
			t.Fatalf("%s won while another led (err %v)", who, err)
		case <-time.After(300 * time.Millisecond):
		}
	}

	s1, s2, s3 := session(), session(), session()
	e1 := concurrency.NewElection(s1, "elect/")
	e2 := concurrency.NewElection(s2, "elect/")
	e3 := concurrency.NewElection(s3, "elect/")
	if err := <-campaign(e1, "one"); err != nil {
		t.Fatalf("e1 campaign: %v", err)
	}
	w2 := campaign(e2, "two")
	stillWaiting(w2, "e2")
	if got := leader(e1); got != "one" {
		t.Fatalf("leader %q", got)
	}

	// Resign by closing the session (revokes its lease): e2 wins at once.
	t0 := time.Now()
	s1.Close()
	if err := <-w2; err != nil {
		t.Fatalf("e2 campaign: %v", err)
	}
	t.Logf("takeover after session close: %v", time.Since(t0))

	// Die: stop renewing e2's lease, as a crashed process would; e3 wins
	// once the 2 s TTL runs out.
	w3 := campaign(e3, "three")
	stillWaiting(w3, "e3")
	t0 = time.Now()
	s2.Orphan()
	if err := <-w3; err != nil {
		t.Fatalf("e3 campaign: %v", err)
	}
	t.Logf("takeover after lease expiry (TTL 2 s): %v", time.Since(t0))
	if got := leader(e3); got != "three" {
		t.Fatalf("leader %q", got)
	}

}

// TestTLS: a WithTLS cluster serves its own clients (through a restart
// too), and refuses a client without a certificate or with one from
// another CA.
func TestTLS(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	c := StartTLS(t, 1)
	t.Logf("StartTLS(1): %v", time.Since(t0))
	if u := c.ClientURLs()[0]; !strings.HasPrefix(u, "https://127.0.0.1:") {
		t.Fatalf("client URL %s", u)
	}
	cert, key, ca := c.TLSFiles()
	for _, f := range []string{cert, key, ca} {
		if _, err := os.Stat(f); err != nil {
			t.Fatal(err)
		}
	}
	cli := c.Client(t)
	put(t, cli, "a", "1")
	c.Restart(0)
	if got := get(t, cli, "a"); got != "1" {
		t.Fatalf("a after restart = %q", got)
	}
	if l := c.Leader(); l != 0 {
		t.Fatalf("leader m%d", l)
	}

	other, err := NewCerts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	otherCfg, err := other.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	own, err := c.Certs().ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	noCert := own.Clone()
	noCert.Certificates = nil
	foreign := own.Clone() // trusts the server, but presents another CA's cert
	foreign.Certificates = otherCfg.Certificates
	for name, cfg := range map[string]*tls.Config{"no client cert": noCert, "foreign client cert": foreign} {
		bad, err := clientv3.New(clientv3.Config{Endpoints: c.ClientURLs(), TLS: cfg, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
		if err != nil {
			t.Logf("%s: refused at dial: %v", name, err)
			continue
		}
		_, err = bad.Get(ctxT(t, 2*time.Second), "a")
		bad.Close()
		if err == nil {
			t.Errorf("%s: get succeeded", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
