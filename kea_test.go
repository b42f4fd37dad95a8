package dyndns

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// Kea's DHCP-DDNS server (D2) registers DHCP clients with the RFC 4703
// conflict resolution (DHCID records and prerequisites): fed
// NameChangeRequests over UDP as a Kea DHCP server sends them, it adds a
// host and its PTR, renews it with a new address, and removes it. With ptr
// off D2 updates the reverse zone itself; with ptr on it updates the forward
// zone only, and dyndns keeps the PTR.
func TestKeaDHCPDDNS(t *testing.T) {
	d2 := "/usr/sbin/kea-dhcp-ddns"
	if _, err := os.Stat(d2); err != nil {
		d2 = needTool(t, "kea-dhcp-ddns") // .ci/run installs kea-dhcp-ddns-server
	}
	t.Run("ptr off", func(t *testing.T) { testKea(t, d2, false) })
	t.Run("ptr on", func(t *testing.T) { testKea(t, d2, true) })
}

func testKea(t *testing.T, d2 string, ptr bool) {
	dir, port := t.TempDir(), freePort(t)
	option := ""
	if ptr {
		option = "ptr"
	}
	startBinary(t, dir, port, `skynet.example.com:{PORT} 37.13.in-addr.arpa:{PORT} {
		bind 127.0.0.1
		dyndns {
			directory {DIR}
			allow-update 127.0.0.1
			`+option+`
		}
	}`)

	ncrPort := freePort(t)
	server := []map[string]any{{"ip-address": "127.0.0.1", "port": atoi(t, port)}}
	conf := map[string]any{"DhcpDdns": map[string]any{
		"ip-address": "127.0.0.1", "port": atoi(t, ncrPort), "dns-server-timeout": 2000,
		"ncr-protocol": "UDP", "ncr-format": "JSON", "tsig-keys": []any{},
		"forward-ddns": map[string]any{"ddns-domains": []any{map[string]any{"name": "skynet.example.com.", "dns-servers": server}}},
		"reverse-ddns": map[string]any{"ddns-domains": []any{map[string]any{"name": "37.13.in-addr.arpa.", "dns-servers": server}}},
		"loggers": []any{map[string]any{"name": "kea-dhcp-ddns", "severity": "INFO",
			"output_options": []any{map[string]any{"output": filepath.Join(dir, "d2.log")}}}},
	}}
	data, _ := json.Marshal(conf)
	confPath := filepath.Join(dir, "d2.json")
	if err := os.WriteFile(confPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(d2, "-c", confPath)
	cmd.Env = append(os.Environ(), "KEA_PIDFILE_DIR="+dir, "KEA_LOCKFILE_DIR="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	const host = "cyberdyne-web-sfo-prod.skynet.example.com"
	send := func(change int, ip string) {
		t.Helper()
		ncr, _ := json.Marshal(map[string]any{
			"change-type": change, "forward-change": true, "reverse-change": !ptr,
			"fqdn": host + ".", "ip-address": ip,
			"dhcid":            "000101ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF01234567",
			"lease-expires-on": time.Now().Add(time.Hour).UTC().Format("20060102150405"), "lease-length": 3600,
			"use-conflict-resolution": true,
		})
		// The NCR wire format: a 2-byte length, then the JSON text.
		msg := binary.BigEndian.AppendUint16(nil, uint16(len(ncr)))
		c, err := net.Dial("udp", "127.0.0.1:"+ncrPort)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write(append(msg, ncr...)); err != nil {
			t.Fatal(err)
		}
	}
	waitDig := func(what string, want []string, args ...string) {
		t.Helper()
		var got []string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if got = dig(t, port, args...); slices.Equal(got, want) {
				return
			}
		}
		log, _ := os.ReadFile(filepath.Join(dir, "d2.log"))
		t.Fatalf("%s: %v, want %v\nD2 log:\n%s", what, got, want, log)
	}

	// D2 starts listening asynchronously: send until the add shows.
	for i := 0; ; i++ {
		send(0, "13.37.1.1")
		time.Sleep(300 * time.Millisecond)
		if got := dig(t, port, host, "A"); slices.Equal(got, []string{"13.37.1.1"}) || i == 20 {
			break
		}
	}
	waitDig("add: host", []string{"13.37.1.1"}, host, "A")
	waitDig("add: PTR", []string{host + "."}, "-x", "13.37.1.1")
	waitDig("add: web", []string{"13.37.1.1"}, "web.skynet.example.com", "A")

	send(0, "13.37.1.9") // renewed with a new address: the DHCID matches, D2 replaces
	waitDig("renew: host", []string{"13.37.1.9"}, host, "A")
	waitDig("renew: new PTR", []string{host + "."}, "-x", "13.37.1.9")
	if ptr { // D2 leaves the old PTR to the DHCP server's release of the old lease
		waitDig("renew: old PTR", nil, "-x", "13.37.1.1")
	}
	waitDig("renew: web", []string{"13.37.1.9"}, "web.skynet.example.com", "A")

	send(1, "13.37.1.9") // the lease is released
	waitDig("remove: host", nil, host, "A")
	waitDig("remove: PTR", nil, "-x", "13.37.1.9")
	waitDig("remove: web", nil, "web.skynet.example.com", "A")
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
