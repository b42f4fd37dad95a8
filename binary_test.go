package dyndns

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// These helpers drive the real binary (cmd/coredns) with the real clients.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// staticBuild is how the Dockerfile builds cmd/coredns, and so how the
// tests build it: static (no cgo: the image has no libc), without the
// build machine's paths or debug information. TestDockerImage checks that
// the Dockerfile says the same.
const staticBuild = "CGO_ENABLED=0 go build -trimpath -ldflags='-s -w'"

// coredns builds cmd/coredns once per test run, as staticBuild, and
// returns its path.
func coredns(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dyndns-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "coredns")
		build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", binPath, "./cmd/coredns")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := build.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building cmd/coredns: %v", buildErr)
	}
	return binPath
}

// freePort returns a port free for both UDP and TCP on 127.0.0.1.
func freePort(t testing.TB) string {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		u, err := net.ListenPacket("udp", l.Addr().String())
		l.Close()
		if err == nil {
			u.Close()
			return strings.TrimPrefix(l.Addr().String(), "127.0.0.1:")
		}
	}
	t.Fatal("no free port")
	return ""
}

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
