// Package etcdtest runs a real etcd cluster (the Debian etcd binary,
// /usr/bin/etcd from etcd-server) on loopback ports for tests.
//
// A real server rather than an embedded one keeps the etcd server module
// (and its pinned grpc/otel versions) out of our module graph, and lets
// tests SIGKILL members the way a crash would.
package etcdtest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dyndns/dyndns/internal/testbin"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// RequireEnv makes a missing etcd binary a test failure instead of a skip.
// CI sets it so the etcd tests cannot silently stop running.
const RequireEnv = "DYNDNS_REQUIRE_ETCD"

// readyTimeout bounds every wait for the cluster (or a member) to serve.
const readyTimeout = 20 * time.Second

// Timing flags. etcd's defaults (100 ms / 1000 ms) already suit a loaded
// 2-core machine running tests in parallel: a shorter election timeout
// makes leaders flap when the members are starved of CPU, a longer one
// only slows failover tests down.
const (
	heartbeatMS = 100
	electionMS  = 1000
)

// Cluster is a running etcd cluster. Its methods must be called from the
// test goroutine (they call t.Fatal).
type Cluster struct {
	t        testing.TB
	bin      string
	token    string
	members  []*member
	certs    *Certs      // nil unless started WithTLS
	tlsCfg   *tls.Config // the client side of certs
	user     string      // set by Auth
	password string
}

type member struct {
	name    string
	scheme  string // of the client URL: "http" or "https"
	dataDir string
	cport   int             // client port
	pport   int             // peer port
	out     *testbin.Buffer // output of every run, for failure logs
	outPos  int             // where the current run's output starts
	cmd     *exec.Cmd       // nil when not running
	done    chan struct{}   // closed when cmd has exited
}

func (m *member) clientURL() string { return m.scheme + "://127.0.0.1:" + strconv.Itoa(m.cport) }
func (m *member) peerURL() string   { return "http://127.0.0.1:" + strconv.Itoa(m.pport) }

// Binary returns the etcd binary's path, or "" if there is none.
func Binary() string {
	if p, err := exec.LookPath("etcd"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/etcd"); err == nil { // PATH may be minimal
		return "/usr/bin/etcd"
	}
	return ""
}

// Option changes how Start sets a cluster up.
type Option func(*options)

type options struct {
	tls bool
}

// WithTLS makes the members serve clients over TLS only (https client
// URLs) and require a client certificate signed by the cluster's own CA
// (--client-cert-auth). The CA, the server certificate (for 127.0.0.1
// and localhost) and a client certificate are made fresh for the
// cluster; TLSFiles and Certs name their files. Peers still talk plain
// http among themselves. The cluster's own clients (Client, Leader, the
// readiness probes) use the client certificate.
func WithTLS() Option { return func(o *options) { o.tls = true } }

// StartTLS is Start(t, n, WithTLS()).
func StartTLS(t testing.TB, n int) *Cluster {
	t.Helper()
	return Start(t, n, WithTLS())
}

// TLSFiles returns the PEM files of the client certificate, its key and
// the CA of a cluster started WithTLS: the arguments of an etcd-tls line.
// It fails the test for a cluster without TLS.
func (c *Cluster) TLSFiles() (cert, key, ca string) {
	c.t.Helper()
	if c.certs == nil {
		c.t.Fatal("etcdtest: TLSFiles of a cluster started without WithTLS")
	}
	return c.certs.ClientCert, c.certs.ClientKey, c.certs.CA
}

// Certs returns the certificates of a cluster started WithTLS, nil for
// one without.
func (c *Cluster) Certs() *Certs { return c.certs }

// Auth makes the cluster's own clients (Client, Leader, and the readiness
// probes of Restart and StartAll) log in as user, for tests that enable
// etcd's authentication. An empty user logs out again.
func (c *Cluster) Auth(user, password string) { c.user, c.password = user, password }

// Start starts an n-member cluster on 127.0.0.1 with free ports and data
// dirs under t.TempDir(), and waits (up to 20 s) until it has a leader
// and serves a Put and a Get (the probe key is deleted again, so tests
// see an empty keyspace, though not revision 1). Every member is
// SIGKILLed at cleanup. Without an etcd binary the test is skipped, or
// fails if DYNDNS_REQUIRE_ETCD is set.
func Start(t testing.TB, n int, opts ...Option) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("etcdtest: cluster size %d", n)
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	bin := Binary()
	if bin == "" {
		msg := "etcdtest: no etcd binary (install Debian's etcd-server package)"
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("%s, and %s is set", msg, RequireEnv)
		}
		t.Skipf("%s; set %s=1 to fail instead of skipping", msg, RequireEnv)
	}
	c := &Cluster{t: t, bin: bin}
	// TempDir first: cleanups run last-in first-out, and the members
	// must be dead before their data dirs are removed.
	dir := t.TempDir()
	t.Cleanup(func() {
		c.StopAll()
		if t.Failed() {
			c.logOutput()
		}
	})
	if o.tls {
		certs, err := NewCerts(filepath.Join(dir, "tls"))
		if err != nil {
			t.Fatalf("etcdtest: %v", err)
		}
		cfg, err := certs.ClientConfig()
		if err != nil {
			t.Fatalf("etcdtest: %v", err)
		}
		c.certs, c.tlsCfg = certs, cfg
	}

	// Ports are picked by binding :0 and closing, so another process can
	// take one before etcd binds it. That is rare; start over on fresh
	// ports (and a fresh data dir and token) when it happens.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = c.startNew(filepath.Join(dir, strconv.Itoa(attempt)), n); err == nil {
			return c
		}
		c.StopAll()
		if !isBindConflict(err) {
			break
		}
		t.Logf("etcdtest: port conflict, retrying: %v", err)
	}
	t.Fatalf("etcdtest: starting %d-member cluster: %v", n, err)
	return nil
}

func (c *Cluster) startNew(dir string, n int) error {
	ports, err := freePorts(2 * n)
	if err != nil {
		return err
	}
	c.token = "etcdtest-" + randHex()
	c.members = make([]*member, n)
	for i := range c.members {
		scheme := "http"
		if c.certs != nil {
			scheme = "https"
		}
		c.members[i] = &member{
			name:    "m" + strconv.Itoa(i),
			scheme:  scheme,
			dataDir: filepath.Join(dir, "m"+strconv.Itoa(i)),
			cport:   ports[2*i],
			pport:   ports[2*i+1],
			out:     &testbin.Buffer{},
		}
	}
	for i := range c.members {
		if err := c.spawn(i, "new"); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	return c.waitReady(ctx, c.members, true)
}

// spawn starts member i's process; it does not wait for it to serve.
func (c *Cluster) spawn(i int, state string) error {
	m := c.members[i]
	var initial []string
	for _, o := range c.members {
		initial = append(initial, o.name+"="+o.peerURL())
	}
	args := []string{
		"--name", m.name,
		"--data-dir", m.dataDir,
		"--listen-client-urls", m.clientURL(),
		"--advertise-client-urls", m.clientURL(),
		"--listen-peer-urls", m.peerURL(),
		"--initial-advertise-peer-urls", m.peerURL(),
		"--initial-cluster", strings.Join(initial, ","),
		// Ignored by etcd once the data dir exists; "existing" on restart
		// only documents intent.
		"--initial-cluster-state", state,
		"--initial-cluster-token", c.token,
		"--heartbeat-interval", strconv.Itoa(heartbeatMS),
		"--election-timeout", strconv.Itoa(electionMS),
		// 3.4 defaults to capnslog; zap honours --log-level. stderr
		// keeps it from logging to journald when run under systemd.
		"--logger", "zap",
		"--log-level", "error",
		"--log-outputs", "stderr",
	}
	if c.certs != nil {
		args = append(args,
			"--cert-file", c.certs.ServerCert,
			"--key-file", c.certs.ServerKey,
			"--trusted-ca-file", c.certs.CA,
			"--client-cert-auth",
		)
	}
	cmd := exec.Command(c.bin, args...)
	cmd.Env = cleanEnv()
	cmd.Stdout = m.out
	cmd.Stderr = m.out
	cmd.WaitDelay = time.Second // don't hang on the output pipe
	setSysProcAttr(cmd)
	m.outPos = m.out.Len()
	fmt.Fprintf(m.out, "--- %s start (%s) %s\n", m.name, state, time.Now().Format(time.StampMilli))
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", m.name, err)
	}
	done := make(chan struct{})
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(m.out, "--- %s exited: %v\n", m.name, err)
		close(done)
	}()
	m.cmd, m.done = cmd, done
	return nil
}

// cleanEnv drops ETCD_* variables: etcd reads them as flags.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ETCD_") {
			env = append(env, kv)
		}
	}
	return env
}

// waitReady waits until every member in ms serves a linearizable Get
// through its own endpoint, which needs a leader and the member caught up
// with it. With write set it first checks a Put (and Delete) too.
func (c *Cluster) waitReady(ctx context.Context, ms []*member, write bool) error {
	const probe = "\x00etcdtest-probe"
	for _, m := range ms {
		// Wait for the port first: a client that dials too early sits
		// out grpc's 1 s reconnect backoff.
		for {
			if err := m.exited(); err != nil {
				return err
			}
			conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(m.cport), time.Second)
			if err == nil {
				conn.Close()
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s not listening: %w", m.name, err)
			case <-time.After(20 * time.Millisecond):
			}
		}
		cli, err := c.newClient([]string{m.clientURL()})
		if err != nil {
			return err
		}
		err = errors.New("not ready")
		for err != nil {
			for _, o := range ms {
				if xerr := o.exited(); xerr != nil {
					cli.Close()
					return xerr
				}
			}
			// Require a leader: a member without one fails fast instead
			// of holding the request until the attempt times out.
			rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			rctx = clientv3.WithRequireLeader(rctx)
			err = nil
			if write {
				_, err = cli.Put(rctx, probe, "x")
				if err == nil {
					_, err = cli.Delete(rctx, probe)
				}
				write = err != nil
			}
			if err == nil {
				_, err = cli.Get(rctx, probe)
			}
			cancel()
			if err == nil {
				break
			}
			select {
			case <-ctx.Done():
				cli.Close()
				return fmt.Errorf("%s not ready: %w", m.name, err)
			case <-time.After(50 * time.Millisecond):
			}
		}
		cli.Close()
	}
	return nil
}

// exited reports a member's unexpected exit, with its output's tail.
func (m *member) exited() error {
	if m.done == nil {
		return fmt.Errorf("%s is not running", m.name)
	}
	select {
	case <-m.done:
		out := m.out.String()[m.outPos:]
		if strings.Contains(out, "address already in use") {
			return fmt.Errorf("%s: %w", m.name, errBindConflict)
		}
		return fmt.Errorf("%s exited: %s", m.name, tail(out, 1000))
	default:
		return nil
	}
}

// Endpoints returns the members' client addresses as "127.0.0.1:PORT".
func (c *Cluster) Endpoints() []string {
	var eps []string
	for _, m := range c.members {
		eps = append(eps, "127.0.0.1:"+strconv.Itoa(m.cport))
	}
	return eps
}

// ClientURLs returns the members' client URLs as "http://127.0.0.1:PORT"
// ("https://" for a cluster started WithTLS).
func (c *Cluster) ClientURLs() []string {
	var urls []string
	for _, m := range c.members {
		urls = append(urls, m.clientURL())
	}
	return urls
}

// Client returns a client on all endpoints, closed at t's cleanup. It
// uses the client certificate of a cluster started WithTLS and the user
// set by Auth.
func (c *Cluster) Client(t testing.TB) *clientv3.Client {
	t.Helper()
	cli, err := c.newClient(c.ClientURLs())
	if err != nil {
		t.Fatalf("etcdtest: client: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func (c *Cluster) newClient(eps []string) (*clientv3.Client, error) {
	cfg := clientv3.Config{
		Endpoints:   eps,
		DialTimeout: 5 * time.Second,
		Username:    c.user,
		Password:    c.password,
		// The default logger prints every retry against a killed member.
		Logger: zap.NewNop(),
	}
	if c.tlsCfg != nil {
		cfg.TLS = c.tlsCfg.Clone()
	}
	return clientv3.New(cfg)
}

// Leader waits (up to 20 s) until the running members agree on a running
// leader, and returns its index.
//
// Call it after killing a member and before writing: etcd 3.4 followers
// keep forwarding proposals to a dead leader until their election timeout
// passes, and such a Put fails only after the server's request timeout
// (5 s + 2 election timeouts = 7 s here) with "request timed out,
// possibly due to previous leader failure". The client doesn't retry it.
func (c *Cluster) Leader() int {
	c.t.Helper()
	cli, err := c.newClient(c.ClientURLs())
	if err != nil {
		c.t.Fatalf("etcdtest: client: %v", err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	for {
		idx, err := c.leader(ctx, cli)
		if err == nil {
			return idx
		}
		select {
		case <-ctx.Done():
			c.t.Fatalf("etcdtest: no leader: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (c *Cluster) leader(ctx context.Context, cli *clientv3.Client) (int, error) {
	ids := map[uint64]int{}
	var leaders []uint64
	for i, m := range c.members {
		if m.cmd == nil {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, time.Second)
		st, err := cli.Status(sctx, m.clientURL())
		cancel()
		if err != nil {
			return -1, fmt.Errorf("%s: %w", m.name, err)
		}
		ids[st.Header.MemberId] = i
		leaders = append(leaders, st.Leader)
	}
	for _, l := range leaders {
		if l != leaders[0] {
			return -1, fmt.Errorf("members disagree on the leader: %x", leaders)
		}
	}
	if len(leaders) == 0 {
		return -1, errors.New("no member is running")
	}
	i, ok := ids[leaders[0]]
	if !ok {
		return -1, fmt.Errorf("leader %x is not running", leaders[0])
	}
	return i, nil
}

// Kill SIGKILLs member i and waits for it to exit. Killing a stopped
// member is a no-op.
func (c *Cluster) Kill(i int) {
	m := c.members[i]
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	<-m.done
	m.cmd, m.done = nil, nil
}

// Restart (kills and) starts member i again on the same ports and data
// dir, and waits until it serves linearizable reads itself.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.Kill(i)
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if err := c.respawn(ctx, []int{i}); err != nil {
		c.t.Fatalf("etcdtest: restarting m%d: %v", i, err)
	}
}

// StopAll SIGKILLs every member.
func (c *Cluster) StopAll() {
	for i := range c.members {
		c.Kill(i)
	}
}

// StartAll starts every stopped member again (same ports and data) and
// waits until they all serve linearizable reads, hence have a leader.
func (c *Cluster) StartAll() {
	c.t.Helper()
	var idx []int
	for i, m := range c.members {
		if m.cmd == nil {
			idx = append(idx, i)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if err := c.respawn(ctx, idx); err != nil {
		c.t.Fatalf("etcdtest: StartAll: %v", err)
	}
}

// respawn starts the members idx on their old ports. The ports can't
// change (peers know them), so a bind conflict is retried until ctx ends.
func (c *Cluster) respawn(ctx context.Context, idx []int) error {
	for {
		var ms []*member
		for _, i := range idx {
			if err := c.spawn(i, "existing"); err != nil {
				return err
			}
			ms = append(ms, c.members[i])
		}
		err := c.waitReady(ctx, ms, false)
		if err == nil || !isBindConflict(err) || ctx.Err() != nil {
			return err
		}
		for _, i := range idx {
			c.Kill(i)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (c *Cluster) logOutput() {
	for _, m := range c.members {
		c.t.Logf("etcdtest: output of %s (client %s, peer %s):\n%s",
			m.name, m.clientURL(), m.peerURL(), m.out.String())
	}
}

var errBindConflict = errors.New("port taken (address already in use)")

func isBindConflict(err error) bool { return errors.Is(err, errBindConflict) }

// freePorts returns n distinct free loopback ports. All listeners stay
// open until every port is picked, so the kernel can't hand one out twice.
func freePorts(n int) ([]int, error) {
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func randHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
