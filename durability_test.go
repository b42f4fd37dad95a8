package dyndns

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	"github.com/dyndns/dyndns/plugin/durable"
	"github.com/miekg/dns"
)

func durableCorefile(dir string) string {
	return `example.org:0 {
		bind 127.0.0.1
		dyndns {
			directory ` + dir + `
			allow-update 127.0.0.1
		}
	}`
}

func addA(t *testing.T, net, addr, name, ip string) int {
	t.Helper()
	m := new(dns.Msg)
	m.SetUpdate("example.org.")
	rr, _ := dns.NewRR(fmt.Sprintf("%s 60 IN A %s", name, ip))
	m.Insert([]dns.RR{rr})
	return exchange(t, net, addr, m).Rcode
}

func hasA(t *testing.T, addr, name string) bool {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	return len(exchange(t, "udp", addr, m).Answer) > 0
}

func TestReloadSharesTheStore(t *testing.T) {
	dir := t.TempDir()
	input := caddy.CaddyfileInput{Contents: []byte(durableCorefile(dir)), Filepath: "Corefile", ServerTypeName: "dns"}
	i := startCaddy(t, string(input.Contents))
	running := i // the instance to shut down if the test stops early
	t.Cleanup(func() {
		if running != nil {
			shutdown(t, running)
		}
	})
	udp := i.Servers()[0].LocalAddr().String()
	if rc := addA(t, "udp", udp, "before.example.org.", "192.0.2.1"); rc != dns.RcodeSuccess {
		t.Fatal(dns.RcodeToString[rc])
	}
	// Restart as the reload plugin does: the new instance starts, then the old one stops.
	i2, err := i.Restart(input)
	if err != nil {
		t.Fatal(err)
	}
	running = i2
	udp = i2.Servers()[0].LocalAddr().String()
	if !hasA(t, udp, "before.example.org.") {
		t.Error("update acknowledged before the reload is gone")
	}
	if rc := addA(t, "udp", udp, "after.example.org.", "192.0.2.2"); rc != dns.RcodeSuccess {
		t.Fatalf("update after reload: %s", dns.RcodeToString[rc])
	}
	running = nil
	shutdown(t, i2)

	// The last instance wrote a snapshot: the zone file alone has both records.
	if err := os.Remove(durable.JournalFile(dir, "example.org.")); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(durable.ZoneFile(dir, "example.org."))
	for _, name := range []string{"before", "after"} {
		if !strings.Contains(string(data), name) {
			t.Errorf("snapshot lacks %s:\n%s", name, data)
		}
	}
}

func TestTwoBlocksOneDirectoryIsAnError(t *testing.T) {
	dir := t.TempDir()
	startMu.Lock()
	i, err := caddy.Start(caddy.CaddyfileInput{ServerTypeName: "dns", Filepath: "Corefile", Contents: []byte(
		`a.example:0 {
			dyndns { 
				directory ` + dir + `
			}
		}
		b.example:0 {
			dyndns {
				directory ` + dir + `
			}
		}`)})
	startMu.Unlock()
	// The first block acquired its store before the second failed: release
	// it as the process exit would.
	if err == nil {
		shutdown(t, i)
	} else {
		shutdownCallbacks(t, i)
	}
	if err == nil || !strings.Contains(err.Error(), "already used by another server block") {
		t.Fatalf("two blocks on one directory: %v", err)
	}
}

func TestRestartKeepsAcknowledgedUpdates(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	corefile := `example.org:{PORT} {
		bind 127.0.0.1
		dyndns {
			directory {DIR}
			allow-update 127.0.0.1
		}
	}`
	d := startBinary(t, dir, port, corefile)
	addr := "127.0.0.1:" + port
	for i := range 20 {
		if rc := addA(t, "tcp", addr, fmt.Sprintf("h%d-web-prod.example.org.", i), fmt.Sprintf("192.0.2.%d", i+1)); rc != dns.RcodeSuccess {
			t.Fatal(dns.RcodeToString[rc])
		}
	}
	d.stop() // graceful: final snapshot, so the zone file alone holds the zone
	if err := os.Remove(durable.JournalFile(dir, "example.org.")); err != nil {
		t.Fatal(err)
	}
	startBinary(t, dir, port, corefile)
	m := new(dns.Msg)
	m.SetQuestion("web.example.org.", dns.TypeA)
	if got := len(exchange(t, "udp", addr, m).Answer); got != 20 {
		t.Errorf("web has %d addresses after restart, want 20", got)
	}
}

func TestSecondProcessOnOneDirectoryFails(t *testing.T) {
	dir := t.TempDir()
	startBinary(t, dir, freePort(t), strings.Replace(durableCorefile("{DIR}"), "example.org:0", "example.org:{PORT}", 1))
	// Same directory, another process: must refuse to start.
	conf := filepath.Join(t.TempDir(), "Corefile")
	os.WriteFile(conf, []byte(strings.Replace(durableCorefile(dir), "example.org:0", "example.org:"+freePort(t), 1)), 0o644)
	out, err := exec.Command(coredns(t), "-conf", conf).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use by another process") {
		t.Errorf("second process on one directory: %v\n%s", err, out)
	}
}

func TestDiskFullAnswersServfailAndKeepsServing(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tiny tmpfs here (%v: %s); the fault-injecting file system tests in plugin/durable cover this", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	port := freePort(t)
	startBinary(t, dir, port, strings.Replace(durableCorefile("{DIR}"), "example.org:0", "example.org:{PORT}", 1))
	addr := "127.0.0.1:" + port
	var acked []string
	servfail := false
	for i := 0; i < 5000 && !servfail; i++ {
		name := fmt.Sprintf("host%d.example.org.", i)
		m := new(dns.Msg)
		m.SetUpdate("example.org.")
		rr, _ := dns.NewRR(fmt.Sprintf(`%s 60 IN TXT "%s"`, name, strings.Repeat("x", 200)))
		m.Insert([]dns.RR{rr})
		switch rc := exchange(t, "tcp", addr, m).Rcode; rc {
		case dns.RcodeSuccess:
			acked = append(acked, name)
		case dns.RcodeServerFailure:
			servfail = true
			q := new(dns.Msg)
			q.SetQuestion(name, dns.TypeTXT)
			if r := exchange(t, "udp", addr, q); r.Rcode != dns.RcodeNameError {
				t.Errorf("the failed update is visible: %v", r)
			}
		default:
			t.Fatalf("update %d: %s", i, dns.RcodeToString[rc])
		}
	}
	if !servfail {
		t.Fatal("a 64 KiB file system never filled up")
	}
	// Queries keep working, and every acknowledged record is served.
	for _, name := range []string{acked[0], acked[len(acked)-1]} {
		q := new(dns.Msg)
		q.SetQuestion(name, dns.TypeTXT)
		if r := exchange(t, "udp", addr, q); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Errorf("%s after disk full: %v", name, r)
		}
	}
	t.Logf("%d updates acknowledged before the disk filled", len(acked))
}
