package dyndns

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dyndns/dyndns/internal/etcdtest"
	"github.com/miekg/dns"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// The etcd-tls and etcd-credentials lines, end to end: the built binary
// talks to a real etcd that demands a client certificate, or a password,
// and refuses to start when it can't log in.

// etcdAuthCorefile is a Corefile whose dyndns block keeps example.org in
// etcd at urls, with the extra lines (etcd-tls, etcd-credentials).
func etcdAuthCorefile(urls []string, extra string) string {
	return `example.org:{PORT} {
	bind 127.0.0.1
	dyndns {
		etcd ` + strings.Join(urls, " ") + `
		etcd-path /dyndns
		allow-update 127.0.0.1
		` + extra + `
	}
}
`
}

// etcdAuthRoundTrip registers host.example.org through the daemon on
// port, checks that it answers, and that the zone's keys are in etcd
// (read through cli): the update went through etcd, not around it.
func etcdAuthRoundTrip(t *testing.T, port string, cli *clientv3.Client) {
	t.Helper()
	addr := "127.0.0.1:" + port
	if r := exchange(t, "udp", addr, updateMsg("example.org.", nil, "host.example.org. 60 IN A 192.0.2.7")); r.Rcode != dns.RcodeSuccess {
		t.Fatalf("update answered %s", dns.RcodeToString[r.Rcode])
	}
	q := new(dns.Msg)
	q.SetQuestion("host.example.org.", dns.TypeA)
	r := exchange(t, "udp", addr, q)
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Fatalf("host.example.org answers %s %v", dns.RcodeToString[r.Rcode], r.Answer)
	}
	if a, ok := r.Answer[0].(*dns.A); !ok || a.A.String() != "192.0.2.7" {
		t.Fatalf("host.example.org answers %v, want 192.0.2.7", r.Answer[0])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := cli.Get(ctx, "/dyndns/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatalf("reading /dyndns/ from etcd: %v", err)
	}
	if resp.Count == 0 {
		t.Fatal("no key under /dyndns/ in etcd after an update")
	}
	t.Logf("update and query through the binary OK; %d keys under /dyndns/ in etcd", resp.Count)
}

// etcdAuthMustFail runs the binary on corefile and returns its output,
// failing the test unless the process exits with an error status before
// it listens (a Corefile it can't start with).
func etcdAuthMustFail(t *testing.T, corefile string) string {
	t.Helper()
	t0 := time.Now()
	d, listening := tryStartBinary(t, t.TempDir(), freePort(t), corefile)
	took := time.Since(t0)
	if listening {
		d.stop()
		t.Fatalf("started and listens (after %v), want a startup failure:\n%s", took, d.out)
	}
	out := d.out.String()
	if d.cmd.ProcessState.Success() {
		t.Fatalf("exited with status 0 after %v, want a startup failure:\n%s", took, out)
	}
	t.Logf("refused to start after %v (%v): %s", took.Round(time.Millisecond), d.cmd.ProcessState, strings.TrimSpace(out))
	return out
}

// wantInOutput fails the test unless out holds every one of want.
func wantInOutput(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// TestEtcdTLS: against an etcd that serves clients over TLS only and
// requires a client certificate from its CA, the binary with etcd-tls
// (client cert, key, CA) takes an update and answers it; without
// etcd-tls, with a client certificate from another CA, with the wrong CA
// for the server, or over plain http, it exits non-zero at startup naming
// the plugin, the endpoint and why.
func TestEtcdTLS(t *testing.T) {
	t0 := time.Now()
	c := etcdtest.StartTLS(t, 1)
	t.Logf("etcd with TLS up in %v at %v", time.Since(t0).Round(time.Millisecond), c.ClientURLs())
	cert, key, ca := c.TLSFiles()

	t0 = time.Now()
	coredns(t)
	t.Logf("binary built (or cached) in %v", time.Since(t0).Round(time.Millisecond))

	t0 = time.Now()
	port := freePort(t)
	startBinary(t, t.TempDir(), port, etcdAuthCorefile(c.ClientURLs(), "etcd-tls "+cert+" "+key+" "+ca))
	t.Logf("binary with etcd-tls up in %v", time.Since(t0).Round(time.Millisecond))
	etcdAuthRoundTrip(t, port, c.Client(t))

	// Another CA's client certificate (and the right CA to check the
	// server): etcd must refuse it.
	other, err := etcdtest.NewCerts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	https := "https://" + c.Endpoints()[0]
	// Each case must exit non-zero and name the plugin and the endpoint.
	// The cause (reason) is what grpc reports for the failed connection;
	// clientv3 says only "context deadline exceeded"; the plugin adds the
	// last error of a connection attempt.
	t.Run("refused", func(t *testing.T) {
		for _, tc := range []struct {
			name, url, extra, reason string
		}{
			// The system roots don't know the test CA: the client refuses
			// the server's certificate.
			{"no etcd-tls", https, "", "certificate signed by unknown authority"},
			// etcd refuses a client certificate of another CA. With TLS 1.3
			// the client learns of it after its handshake: as the alert, or
			// as the connection closed under its first write.
			{"client cert of another CA", https, "etcd-tls " + other.ClientCert + " " + other.ClientKey + " " + ca, "bad certificate|broken pipe|connection reset"},
			// The right client certificate, but another CA to check the
			// server with.
			{"server not trusted", https, "etcd-tls " + cert + " " + key + " " + other.CA, "certificate signed by unknown authority"},
			// Plain http to the TLS port: etcd hangs up.
			{"http to the TLS port", "http://" + c.Endpoints()[0], "", "server preface"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				out := etcdAuthMustFail(t, etcdAuthCorefile([]string{tc.url}, tc.extra))
				wantInOutput(t, out, "plugin/dyndns: etcd ["+tc.url+"]")
				if !slices.ContainsFunc(strings.Split(tc.reason, "|"), func(r string) bool { return strings.Contains(out, r) }) {
					t.Errorf("output says none of %q:\n%s", tc.reason, out)
				}
			})
		}
	})
}

// TestEtcdCredentials: with etcd's authentication on, the binary with
// etcd-credentials for a user whose role may read and write /dyndns/
// takes an update and answers it; with a wrong password it refuses to
// start and says why.
func TestEtcdCredentials(t *testing.T) {
	t0 := time.Now()
	c := etcdtest.Start(t, 1)
	t.Logf("etcd up in %v at %v", time.Since(t0).Round(time.Millisecond), c.ClientURLs())
	cli := c.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, step := range []struct {
		what string
		do   func() error
	}{
		{"user add root", func() error { _, err := cli.UserAdd(ctx, "root", "r00tpw"); return err }},
		{"grant root the root role", func() error { _, err := cli.UserGrantRole(ctx, "root", "root"); return err }},
		{"role add dyndns-rw", func() error { _, err := cli.RoleAdd(ctx, "dyndns-rw"); return err }},
		{"grant dyndns-rw readwrite on /dyndns/", func() error {
			_, err := cli.RoleGrantPermission(ctx, "dyndns-rw", "/dyndns/", clientv3.GetPrefixRangeEnd("/dyndns/"), clientv3.PermissionType(clientv3.PermReadWrite))
			return err
		}},
		{"user add dyndns", func() error { _, err := cli.UserAdd(ctx, "dyndns", "s3cret"); return err }},
		{"grant dyndns the dyndns-rw role", func() error { _, err := cli.UserGrantRole(ctx, "dyndns", "dyndns-rw"); return err }},
		{"auth enable", func() error { _, err := cli.AuthEnable(ctx); return err }},
	} {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.what, err)
		}
	}
	c.Auth("root", "r00tpw") // the cluster's own clients from now on

	// Authentication is on: a client without credentials may not read.
	anon, err := clientv3.New(clientv3.Config{Endpoints: c.ClientURLs(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = anon.Get(ctx, "/dyndns/", clientv3.WithPrefix())
	anon.Close()
	if err == nil {
		t.Fatal("auth enabled, yet a client without credentials reads /dyndns/")
	}
	t.Logf("without credentials: %v", err)

	coredns(t) // build first: the timing below is the start alone
	t0 = time.Now()
	port := freePort(t)
	startBinary(t, t.TempDir(), port, etcdAuthCorefile(c.ClientURLs(), "etcd-credentials dyndns s3cret"))
	t.Logf("binary with etcd-credentials up in %v", time.Since(t0).Round(time.Millisecond))
	etcdAuthRoundTrip(t, port, c.Client(t))

	t.Run("wrong password", func(t *testing.T) {
		out := etcdAuthMustFail(t, etcdAuthCorefile(c.ClientURLs(), "etcd-credentials dyndns wrong"))
		wantInOutput(t, out, "etcd ["+c.ClientURLs()[0]+"]", "authentication failed")
	})
	t.Run("unknown user", func(t *testing.T) {
		out := etcdAuthMustFail(t, etcdAuthCorefile(c.ClientURLs(), "etcd-credentials nobody s3cret"))
		wantInOutput(t, out, "etcd ["+c.ClientURLs()[0]+"]", "authentication failed")
	})
}
