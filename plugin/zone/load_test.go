package zone

import (
	"strings"
	"testing"
	"time"

	"github.com/dyndns/dyndns/plugin/derive"
	"github.com/miekg/dns"
)

func TestInsert(t *testing.T) {
	apex := "$ORIGIN example.org.\n@ 3600 IN SOA ns1 hm 1 2 3 4 5\n@ IN NS ns1\n"
	tests := []struct {
		name, text, err string
		names           int
	}{
		{"escapes name one name", "www IN A 192.0.2.1\n\\119ww IN A 192.0.2.2\nWWW IN A 192.0.2.3\n", "", 2},
		{"duplicate ignored", "www IN A 192.0.2.1\nwww IN A 192.0.2.1\n", "", 2},
		{"class other than IN", "www CH TXT \"x\"\n", "only IN", 0},
		{"CNAME beside data", "x IN A 192.0.2.1\nx IN CNAME www\n", "CNAME and other data", 0},
		{"data beside CNAME", "x IN CNAME www\nx IN TXT \"t\"\n", "CNAME and other data", 0},
		{"KEY may share a CNAME's name", "x IN CNAME www\nx IN KEY 256 3 8 AwEAAb==\n", "", 2},
		{"SOA below the apex", "x IN SOA ns1 hm 1 2 3 4 5\n", "not at the apex", 0},
		{"second SOA", "@ IN SOA ns1 hm 2 2 3 4 5\n", "second SOA", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z := New("example.org.", derive.Default())
			_, _, err := z.Update(func(tx *Txn) error {
				return insertText(tx, apex+tc.text)
			})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := z.Current().Names(); got != tc.names {
				t.Errorf("%d names, want %d", got, tc.names)
			}
		})
	}
}

func TestLoaderLargeSetIsLinear(t *testing.T) {
	z := New("example.org.", derive.Default())
	start := time.Now()
	_, _, err := z.Update(func(tx *Txn) error {
		return insertText(tx, "$ORIGIN example.org.\n@ 3600 IN SOA ns1 hm 1 2 3 4 5\n@ IN NS ns1\n$GENERATE 1-30000 big TXT \"v$\"\n$GENERATE 1-30000 big TXT \"v$\"\n")
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(z.Current().Node("big.example.org.").Own(dns.TypeTXT)); n != 30000 {
		t.Errorf("%d records, want 30000 (duplicates dropped)", n)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("loading one set of 30,000 records took %v", d)
	}
}

func TestLoaderDuplicatesIgnoreNameCase(t *testing.T) {
	z := New("example.org.", derive.Default())
	_, _, err := z.Update(func(tx *Txn) error {
		return insertText(tx, "$ORIGIN example.org.\n@ 3600 IN SOA ns1 hm 1 2 3 4 5\n@ IN NS ns1\n"+
			"mx IN MX 10 Mail.Example.org.\nmx IN MX 10 mail.example.org.\nt IN TXT \"A\"\nt IN TXT \"a\"\n")
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(z.Current().Node("mx.example.org.").Own(dns.TypeMX)); n != 1 {
		t.Errorf("MX targets differing in case are duplicates: %d records", n)
	}
	if n := len(z.Current().Node("t.example.org.").Own(dns.TypeTXT)); n != 2 {
		t.Errorf("TXT strings differing in case are different records: %d records", n)
	}
}
