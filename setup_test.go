package dyndns

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	"github.com/dyndns/dyndns/plugin/rotate"
)

func TestSetup(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		input string
		err   string // substring of the error; "" for success
	}{
		{"zones from the server block", `dyndns`, ""},
		{"zones as arguments", `dyndns example.org 37.13.in-addr.arpa`, ""},
		{"every option", `dyndns example.org {
			directory ` + dir + `
			derive {id}-{service}-{site}-{env} {service} {service}.{env}
			order random
			allow-update 127.0.0.1 10.0.0.0/8 !key bad.key key good.key
			allow-update ::1
			max-update-records 50
			max-zone-records 1000
			max-zone-bytes 100000
			max-queued-updates 64
			max-answers 8
			snapshot 5m 1048576
		}`, ""},
		{"snapshot interval only", "dyndns {\n snapshot 1h\n}", ""},
		{"lease bounds and default", "dyndns {\n lease default 1h min 30s max 2h\n}", ""},
		{"lease seconds", "dyndns {\n lease min 1 max 10\n}", ""},
		{"lease default off", "dyndns {\n lease default off\n}", ""},
		{"lease off", "dyndns {\n lease off\n}", ""},
		{"lease without settings", "dyndns {\n lease\n}", "Testfile:2"},
		{"lease min above max", "dyndns {\n lease min 2h max 1h\n}", "Testfile:2"},
		{"lease bad duration", "dyndns {\n lease max soon\n}", "Testfile:2"},
		{"lease fraction of a second", "dyndns {\n lease min 1500ms\n}", "Testfile:2"},
		{"lease unknown setting", "dyndns {\n lease forever 1h\n}", "Testfile:2"},
		{"lease setting twice", "dyndns {\n lease min 1m min 2m\n}", "Testfile:2"},
		{"lease setting without value", "dyndns {\n lease max\n}", "Testfile:2"},
		{"snapshot bad interval", "dyndns {\n snapshot soon\n}", "Testfile:2"},
		{"snapshot bad size", "dyndns {\n snapshot 1m big\n}", "Testfile:2"},
		{"snapshot too many", "dyndns {\n snapshot 1m 1 2\n}", "Testfile:2"},
		{"derive off", "dyndns {\nderive off\n}", ""},
		{"unknown option", "dyndns {\n  frobnicate yes\n}", "Testfile:2 - Error during parsing: unknown property \"frobnicate\""},
		{"bad order", "dyndns {\n order roundrobin\n}", "Testfile:2"},
		{"bad acl element", "dyndns {\n allow-update 10.0.0.300\n}", "10.0.0.300"},
		{"acl without elements", "dyndns {\n allow-update\n}", "Testfile:2"},
		{"bad derive pattern", "dyndns {\n derive {id}-{id} {id}\n}", "Testfile:2"},
		{"derive template field missing", "dyndns {\n derive {id}-{service} {env}\n}", "Testfile:2"},
		{"derive off with rules", "dyndns {\n derive {a}-{b} {b}\n derive off\n}", "Testfile:3"},
		{"directory without argument", "dyndns {\n directory\n}", "Testfile:2"},
		{"directory under a file", "dyndns {\n directory " + notDir + "/dyndns\n}", "Testfile:2"},
		{"directory created", "dyndns {\n directory " + dir + "/new/data\n}", ""},
		{"limit not a number", "dyndns {\n max-update-records many\n}", "Testfile:2"},
		{"limit zero", "dyndns {\n max-zone-records 0\n}", "Testfile:2"},
		{"zone bytes zero", "dyndns {\n max-zone-bytes 0\n}", "Testfile:2"},
		{"zone bytes two numbers", "dyndns {\n max-zone-bytes 1 2\n}", "Testfile:2"},
		{"queue not a number", "dyndns {\n max-queued-updates lots\n}", "Testfile:2"},
		{"max-answers zero", "dyndns {\n max-answers 0\n}", "Testfile:2"},
		{"grants", "dyndns {\n grant key acme.key name _acme-challenge.example.org TXT\n deny * zonesub SOA NS\n grant * own-address\n}", ""},
		{"nameserver", "dyndns {\n nameserver ns 192.0.2.53 ::1\n}", ""},
		{"nameserver without a name", "dyndns {\n nameserver\n}", "Testfile:2"},
		{"nameserver bad address", "dyndns {\n nameserver ns 192.0.2.300\n}", "Testfile:2"},
		{"grant unknown rule", "dyndns {\n grant * everything\n}", "Testfile:2"},
		{"deny with a cap", "dyndns {\n deny * zonesub A(1)\n}", "Testfile:2"},
		{"health tcp", "dyndns {\n health tcp 80 web web.prod\n}", ""},
		{"health http", "dyndns {\n health http 8080 /healthz\n health-interval 2s\n}", ""},
		{"health unknown kind", "dyndns {\n health udp 53\n}", "Testfile:2"},
		{"health bad port", "dyndns {\n health tcp 0\n}", "Testfile:2"},
		{"health http without path", "dyndns {\n health http 80\n}", "Testfile:2"},
		{"health absolute service", "dyndns {\n health tcp 80 web.example.org.\n}", "Testfile:2"},
		{"health-interval alone", "dyndns {\n health-interval 5s\n}", "health-interval without a health line"},
		{"health-interval bad", "dyndns {\n health tcp 80\n health-interval soon\n}", "Testfile:3"},
		{"twice in a block", "dyndns\ndyndns", "Testfile:2"},
		{"bad zone", "dyndns exa..mple.org", "invalid zone"},
		{"etcd and directory", "dyndns {\n directory /tmp\n etcd http://127.0.0.1:1\n}", "Testfile:3"},
		{"directory and etcd", "dyndns {\n etcd http://127.0.0.1:1\n directory /tmp\n}", "Testfile:3"},
		{"etcd without endpoints", "dyndns {\n etcd\n}", "Testfile:2"},
		{"etcd-path relative", "dyndns {\n etcd http://127.0.0.1:1\n etcd-path dyndns\n}", "Testfile:3"},
		{"etcd-tls missing files", "dyndns {\n etcd https://127.0.0.1:1\n etcd-tls cert key\n}", "Testfile:3"},
		{"etcd-credentials one word", "dyndns {\n etcd http://127.0.0.1:1\n etcd-credentials user\n}", "Testfile:3"},
		{"etcd-path without etcd", "dyndns {\n etcd-path /x\n}", "Testfile:2 - Error during parsing: etcd-path, etcd-tls and etcd-credentials need an etcd line"},
		{"etcd unreachable", "dyndns {\n etcd http://127.0.0.1:1\n}", "etcd [http://127.0.0.1:1]"},
		{"ptr", "dyndns example.org 13.37.0.0/16 {\n ptr\n}", ""},
		{"ptr without a reverse zone", "dyndns {\n ptr\n}", "Testfile:2"},
		{"ptr without a forward zone", "dyndns 13.37.0.0/16 {\n ptr\n}", "Testfile:2"},
		{"ptr with an argument", "dyndns example.org 13.37.0.0/16 {\n ptr on\n}", "Testfile:2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := caddy.NewTestController("dns", tc.input)
			c.ServerBlockKeys = []string{"example.org:1053"}
			t.Cleanup(func() { closeSetup(t, c) }) // release what setup acquired
			err := setup(c)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.err != "" && err == nil:
				t.Fatalf("no error, want one containing %q", tc.err)
			case tc.err != "" && !strings.Contains(err.Error(), tc.err):
				t.Fatalf("error %q does not contain %q", err, tc.err)
			}
		})
	}
}

func TestParse(t *testing.T) {
	c := caddy.NewTestController("dns", `dyndns example.org 13.37.0.0/16 {
		order fixed
		allow-update 127.0.0.1
	}`)
	d, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.origins, " "); got != "example.org. 37.13.in-addr.arpa." {
		t.Errorf("zones %q", got)
	}
	if d.order != rotate.Fixed || d.allow.Empty() || d.rules == nil {
		t.Errorf("options not kept: %+v", d)
	}
}

func TestZoneFileErrorsNameFileAndLine(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, err string
	}{
		{"syntax", "$ORIGIN example.org.\n@ 3600 IN SOA ns1 hm 1 2 3 4 5\n@ IN NS ns1\nwww IN A 999.1.1.1\n", "line: 4"},
		{"outside the zone", "$ORIGIN example.org.\n@ 3600 IN SOA ns1 hm 1 2 3 4 5\n@ IN NS ns1\nwww.example.net. IN A 192.0.2.1\n", "db.example.org:4"},
		{"no SOA", "$ORIGIN example.org.\n@ IN NS ns1\n", "no SOA"},
		{"CNAME and other data", "$ORIGIN example.org.\n@ 3600 IN SOA ns1 hm 1 2 3 4 5\n@ IN NS ns1\nx IN CNAME y\nx IN A 192.0.2.1\n", "CNAME and other data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, "db.example.org"), []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			c := caddy.NewTestController("dns", "dyndns example.org {\n directory "+dir+"\n}")
			t.Cleanup(func() { closeSetup(t, c) })
			err := setup(c)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
}
