package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dyndns/dyndns/internal/testbin"
	"github.com/miekg/dns"
)

// Helpers that build and drive the real binaries: cmd/coredns (with the
// dyndns plugin, from internal/testbin) and this command.

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	testbin.Cleanup()
	os.Exit(code)
}

// binaries returns the paths of cmd/coredns (built as the root package's
// tests build it) and of this command, built once per test run, with
// -race when the tests are.
func binaries(t testing.TB) (coredns, client string) {
	t.Helper()
	coredns = testbin.CoreDNS(t)
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "dyndns-register-bin"); buildErr != nil {
			return
		}
		args := append(append([]string{"build", "-o", filepath.Join(binDir, "dyndns-register")}, raceFlag()...), ".")
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building the binaries: %v", buildErr)
	}
	return coredns, filepath.Join(binDir, "dyndns-register")
}

func raceFlag() []string {
	if raceEnabled {
		return []string{"-race"}
	}
	return nil
}

func freePort(t testing.TB) string { return testbin.FreePort(t) }

// process is a running binary.
type process struct {
	cmd  *exec.Cmd
	out  *testbin.Buffer
	done chan struct{} // closed when the process has exited
}

func startProcess(t testing.TB, dir, bin string, args ...string) *process {
	t.Helper()
	p := &process{out: new(testbin.Buffer), done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
			return
		default:
		}
		p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait waits for the process to exit and returns its exit status and output.
func (p *process) wait(t testing.TB, timeout time.Duration) (int, string) {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode(), p.out.String()
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%s did not exit within %s:\n%s", p.cmd.Path, timeout, p.out)
		return 0, ""
	}
}

// startCoreDNS runs cmd/coredns on corefile (with {PORT} replaced) and waits
// until it answers. It returns the port.
func startCoreDNS(t testing.TB, corefile string) string {
	t.Helper()
	port := freePort(t)
	startCoreDNSOn(t, port, corefile)
	return port
}

func startCoreDNSOn(t testing.TB, port, corefile string) *process {
	t.Helper()
	p, err := launchCoreDNS(t, port, corefile)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// launchCoreDNS is startCoreDNSOn that returns an error if coredns exits
// while starting (a Corefile it does not take).
func launchCoreDNS(t testing.TB, port, corefile string) (*process, error) {
	t.Helper()
	coredns, _ := binaries(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "Corefile")
	if err := os.WriteFile(conf, []byte(strings.ReplaceAll(corefile, "{PORT}", port)), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, dir, coredns, "-conf", conf)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 100*time.Millisecond); err == nil {
			c.Close()
			return p, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("coredns exited while starting (%v):\n%s", p.cmd.ProcessState, p.out)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("coredns did not answer within 20s")
	return nil, nil
}

// register runs the client with args to completion; it returns the exit
// status, the output and how long it ran.
func register(t testing.TB, args ...string) (int, string, time.Duration) {
	t.Helper()
	_, client := binaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, client, args...).CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running dyndns-register: %v", err)
	}
	code := 0
	if ee != nil {
		code = ee.ExitCode()
	}
	return code, string(out), time.Since(start)
}

// mustRegister runs the client with args and fails the test unless it
// succeeds.
func mustRegister(t testing.TB, args ...string) string {
	t.Helper()
	code, out, _ := register(t, args...)
	if code != 0 {
		t.Fatalf("dyndns-register %s: exit status %d:\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// startClient runs the client in the background.
func startClient(t testing.TB, args ...string) *process {
	t.Helper()
	_, client := binaries(t)
	return startProcess(t, t.TempDir(), client, args...)
}

// lookup asks the server at port for name's qtype records and returns their
// data, sorted.
func lookup(t testing.TB, port, name string, qtype uint16) []string {
	t.Helper()
	m := new(dns.Msg).SetQuestion(dns.Fqdn(name), qtype)
	r, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(m, "127.0.0.1:"+port)
	if err != nil {
		t.Fatalf("query %s %s: %v", name, dns.TypeToString[qtype], err)
	}
	if r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError {
		t.Fatalf("query %s %s: %s", name, dns.TypeToString[qtype], dns.RcodeToString[r.Rcode])
	}
	var data []string
	for _, rr := range r.Answer {
		if rr.Header().Rrtype == qtype {
			data = append(data, strings.TrimPrefix(rr.String(), rr.Header().String()))
		}
	}
	slices.Sort(data)
	return data
}

// waitLookup waits until lookup answers want.
func waitLookup(t testing.TB, timeout time.Duration, port, name string, qtype uint16, want ...string) {
	t.Helper()
	slices.Sort(want)
	deadline := time.Now().Add(timeout)
	for {
		got := lookup(t, port, name, qtype)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s answers %q after %s, want %q", name, dns.TypeToString[qtype], got, timeout, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func wantLookup(t testing.TB, port, name string, qtype uint16, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := lookup(t, port, name, qtype); !slices.Equal(got, want) {
		t.Errorf("%s %s answers %q, want %q", name, dns.TypeToString[qtype], got, want)
	}
}

// sendUpdate sends an unsigned UPDATE over TCP and fails the test unless it
// succeeds.
func sendUpdate(t testing.TB, port string, m *dns.Msg) {
	t.Helper()
	r, _, err := (&dns.Client{Net: "tcp", Timeout: 5 * time.Second}).Exchange(m, "127.0.0.1:"+port)
	if err != nil || r.Rcode != dns.RcodeSuccess {
		t.Fatalf("UPDATE: %v %v", err, r)
	}
}

// waitOutput waits until the process has written a line matching re, and
// returns the submatches.
func (p *process) waitOutput(t testing.TB, timeout time.Duration, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if m := re.FindStringSubmatch(p.out.String()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("no output matching %s after %s:\n%s", re, timeout, p.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// signal sends sig to the process.
func (p *process) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// needTool returns the path of a tool the test runs, failing when it is
// missing: .ci/run installs it, and a skipped test proves nothing.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		p, err = exec.LookPath("/usr/sbin/" + name) // not on every user's PATH
	}
	if err != nil {
		t.Fatalf("%s not installed: run `bash .ci/run` (it installs bind9 for tsig-keygen)", name)
	}
	return p
}
