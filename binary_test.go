package dyndns

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dyndns/dyndns/internal/testbin"
)

// These helpers drive the real binary (cmd/coredns) with the real clients.

// coredns and freePort are the shared test helpers' (internal/testbin).
func coredns(t testing.TB) string  { return testbin.CoreDNS(t) }
func freePort(t testing.TB) string { return testbin.FreePort(t) }

// daemon is a running coredns binary.
type daemon struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer // read it only after done is closed
	done chan struct{} // closed when the process has exited
	port string
	dir  string
}

// startBinary runs the built coredns on corefile (where {PORT} and {DIR} are
// replaced) with working directory dir, and waits until it answers.
func startBinary(t testing.TB, dir, port, corefile string) *daemon {
	t.Helper()
	d, listening := tryStartBinary(t, dir, port, corefile)
	if !listening {
		t.Fatalf("coredns exited while starting (%v):\n%s", d.cmd.ProcessState, d.out)
	}
	return d
}

// tryStartBinary is startBinary for a Corefile that may not start: it
// waits until coredns listens or exits, whichever comes first. A daemon
// that exited has its output in d.out.
func tryStartBinary(t testing.TB, dir, port, corefile string) (d *daemon, listening bool) {
	t.Helper()
	corefile = strings.NewReplacer("{PORT}", port, "{DIR}", dir).Replace(corefile)
	conf := filepath.Join(dir, "Corefile")
	if err := os.WriteFile(conf, []byte(corefile), 0o644); err != nil {
		t.Fatal(err)
	}
	d = &daemon{out: &bytes.Buffer{}, done: make(chan struct{}), port: port, dir: dir}
	d.cmd = exec.Command(coredns(t), "-conf", conf)
	d.cmd.Dir = dir
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() { d.stop() })
	// Poll until it accepts TCP connections (it loads its zones before it
	// listens), or exits.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 100*time.Millisecond); err == nil {
			c.Close()
			return d, true
		}
		select {
		case <-d.done:
			return d, false
		case <-time.After(50 * time.Millisecond):
		}
	}
	d.kill()
	t.Fatalf("coredns neither answered nor exited within 30 s:\n%s", d.out)
	return nil, false
}

// stop ends the daemon gracefully (SIGINT) and waits for it.
func (d *daemon) stop() {
	select {
	case <-d.done:
		return
	default:
	}
	d.cmd.Process.Signal(os.Interrupt)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		d.kill()
	}
}

// kill ends the daemon with SIGKILL, as a crash would, and waits for it.
func (d *daemon) kill() {
	d.cmd.Process.Kill()
	<-d.done
}

// run runs a client program with stdin and returns its combined output.
func run(t testing.TB, stdin string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, needTool(t, name), args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
