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
// and the host and its service still answer (data/ was created and kept).
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
	for _, name := range []string{"cyberdyne-web-sfo-prod.skynet.example.com", "web.skynet.example.com"} {
		out, err := run(t, "", "dig", "-p", port, "@127.0.0.1", "+short", name)
		if err != nil || strings.TrimSpace(out) != "13.37.1.1" {
			t.Errorf("after a restart, %s answers %q (%v), want 13.37.1.1", name, out, err)
		}
	}
}
