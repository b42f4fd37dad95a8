package dyndns

import (
	"fmt"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// Every committed UPDATE leaves one audit line: zone, client, key, the
// changes in short form and the serial; a long update is summed up.
func TestAuditLine(t *testing.T) {
	addr := udpOf(startInstance(t, `audit.test:0 {
		bind 127.0.0.1
		dyndns {
			allow-update 127.0.0.1
		}
	}`))
	buf := captureLog(t) // after the start, which sets the log's output
	if r := exchange(t, "udp", addr, updateMsg("audit.test.", nil, "a-web-prod.audit.test. 60 IN A 192.0.2.1", "a-web-prod.audit.test. 60 IN AAAA 2001:db8::1")); r.Rcode != dns.RcodeSuccess {
		t.Fatal(dns.RcodeToString[r.Rcode])
	}
	var rrs []string
	for i := range 10 {
		rrs = append(rrs, fmt.Sprintf(`t%d.audit.test. 60 IN TXT "x"`, i))
	}
	if r := exchange(t, "udp", addr, updateMsg("audit.test.", nil, rrs...)); r.Rcode != dns.RcodeSuccess {
		t.Fatal(dns.RcodeToString[r.Rcode])
	}
	out := buf.String()
	for _, want := range []string{
		"[INFO] plugin/dyndns: update of audit.test. from 127.0.0.1 key -: serial 1->2: +a-web-prod A 192.0.2.1 +a-web-prod AAAA 2001:db8::1\n",
		`serial 2->3: +t0 TXT "x"`,
		`(and 2 more)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
