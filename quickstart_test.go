package dyndns

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's quick start, from a fresh directory: CoreDNS runs on
// Corefile.example, a host registers with nsupdate, the server restarts,
// and the host, its service and its PTR still answer (data/ was created and kept).
func TestQuickStartKeepsRegistrationsAcrossRestarts(t *testing.T) {
	example, err := os.ReadFile("Corefile.example")
	if err != nil {
		t.Fatal(err)
	}
	dir, port := t.TempDir(), freePort(t)
	corefile := strings.ReplaceAll(string(example), ":1053", ":{PORT}")
	if !strings.Contains(corefile, "directory data") {
		t.Fatal("Corefile.example keeps no data: the quick start would lose registrations")
	}
	d := startBinary(t, dir, port, corefile)
	out, err := run(t, fmt.Sprintf("server 127.0.0.1 %s\nzone skynet.example.com\nupdate add cyberdyne-web-sfo-prod.skynet.example.com 60 A 13.37.1.1\nsend\n", port), "nsupdate")
	if err != nil {
		t.Fatalf("nsupdate: %v\n%s", err, out)
	}
	d.stop()
	if fi, err := os.Stat(filepath.Join(dir, "data")); err != nil || !fi.IsDir() {
		t.Fatalf("no data directory was created: %v", err)
	}
	startBinary(t, dir, port, corefile)
	for name, want := range map[string]string{
		"cyberdyne-web-sfo-prod.skynet.example.com": "13.37.1.1",
		"web.skynet.example.com":                    "13.37.1.1",
		"-x 13.37.1.1":                              "cyberdyne-web-sfo-prod.skynet.example.com.", // ptr
	} {
		out, err := run(t, "", "dig", append([]string{"-p", port, "@127.0.0.1", "+short"}, strings.Fields(name)...)...)
		if err != nil || strings.TrimSpace(out) != want {
			t.Errorf("after a restart, %s answers %q (%v), want %s", name, out, err, want)
		}
	}
}
