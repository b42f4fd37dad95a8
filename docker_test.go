package dyndns

import (
	"debug/elf"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dyndns/dyndns/internal/testbin"
	"github.com/miekg/dns"
)

// The Dockerfile is checked without a container runtime (there is none in
// CI): it says what users of the image rely on, it builds the binary the
// way the tests build theirs (which is static), and that binary serves the
// Corefile the image bakes in with its volume as the directory.
func TestDockerImage(t *testing.T) {
	dockerfile, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(dockerfile), "\n")
	for _, want := range []string{
		"RUN " + testbin.StaticBuild + " -o /coredns ./cmd/coredns",
		"COPY Dockerfile.corefile /etc/coredns/Corefile",
		"USER 65532:65532", // numeric, for Kubernetes' runAsNonRoot
		"VOLUME /data",
		"EXPOSE 1053/udp 1053/tcp",
		`ENTRYPOINT ["/coredns"]`,
		`CMD ["-conf", "/etc/coredns/Corefile"]`,
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("the Dockerfile has no line %q", want)
		}
	}

	bin := coredns(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	libs, _ := f.ImportedLibraries()
	interp := slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP })
	f.Close()
	if interp || len(libs) > 0 {
		t.Errorf("the binary is not static: interpreter %v, libraries %v", interp, libs)
	}

	conf, err := os.ReadFile("Dockerfile.corefile")
	if err != nil {
		t.Fatal(err)
	}
	corefile := string(conf)
	for _, want := range []string{"directory /data\n", ":1053 "} {
		if !strings.Contains(corefile, want) {
			t.Fatalf("Dockerfile.corefile has no %q", want)
		}
	}
	// The container's loopback is this machine's: bind it, on a free port.
	corefile = strings.NewReplacer(":1053", ":{PORT}", "directory /data\n", "directory {DIR}/data\n").Replace(corefile)
	corefile = strings.Replace(corefile, "{\n", "{\n    bind 127.0.0.1\n", 1)
	dir, port := t.TempDir(), freePort(t)
	d := startBinary(t, dir, port, corefile)
	addr := "127.0.0.1:" + port
	if r := exchange(t, "udp", addr, updateMsg("skynet.example.com.", nil, "cyberdyne-web-sfo-prod.skynet.example.com. 60 IN A 13.37.1.1")); r.Rcode != dns.RcodeSuccess {
		t.Fatalf("update: %s", dns.RcodeToString[r.Rcode])
	}
	if got := addresses(t, "udp", addr, "web.skynet.example.com."); !slices.Equal(got, []string{"13.37.1.1"}) {
		t.Errorf("web answers %v", got)
	}
	// docker stop sends SIGTERM: CoreDNS writes its final snapshot.
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		t.Fatal("no exit 10 s after SIGTERM")
	}
	if db, err := os.ReadFile(filepath.Join(dir, "data", "db.skynet.example.com")); err != nil || !strings.Contains(string(db), "cyberdyne-web-sfo-prod") {
		t.Errorf("the volume does not hold the registration after docker stop: %v\n%s", err, db)
	}
}
