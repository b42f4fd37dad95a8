// Package testbin builds the custom CoreDNS (cmd/coredns) for tests that
// run it as a process, once per test binary, and finds them free ports.
// The root package's tests and cmd/dyndns-register's share it, so the
// binary is built one way, with one entry in Go's build cache.
package testbin

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// StaticBuild is how the Dockerfile builds cmd/coredns, and so how the
// tests build it: static (no cgo: the image has no libc), without the
// build machine's paths or debug information. TestDockerImage checks that
// the Dockerfile says the same.
const StaticBuild = "CGO_ENABLED=0 go build -trimpath -ldflags='-s -w'"

var (
	once sync.Once
	dir  string
	path string
	err  error
)

// CoreDNS builds cmd/coredns as StaticBuild on first use and returns its
// path.
func CoreDNS(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if dir, err = os.MkdirTemp("", "dyndns-bin"); err != nil {
			return
		}
		path = filepath.Join(dir, "coredns")
		build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", path, "github.com/dyndns/dyndns/cmd/coredns")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, berr := build.CombinedOutput(); berr != nil {
			err = fmt.Errorf("go build: %v\n%s", berr, out)
		}
	})
	if err != nil {
		t.Fatalf("building cmd/coredns: %v", err)
	}
	return path
}

// Cleanup removes what CoreDNS built; a TestMain calls it after the tests.
func Cleanup() {
	if dir != "" {
		os.RemoveAll(dir)
	}
}

// FreePort returns a port free for both UDP and TCP on 127.0.0.1.
func FreePort(t testing.TB) string {
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

// Buffer is a bytes.Buffer that a process's output (or a log) writes to
// while the test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// Len is the number of bytes written.
func (b *Buffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Len()
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
