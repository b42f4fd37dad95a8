package masterfile

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/miekg/dns"

	"github.com/dyndns/dyndns/plugin/journal/faultfs"
)

const origin = "example.org."

var zone = []string{
	"example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 42 7200 900 1209600 300",
	"example.org. 3600 IN NS ns1.example.org.",
	"example.org. 300 IN MX 10 mail.example.org.",
	"example.org. 300 IN A 192.0.2.1",
	"ns1.example.org. 300 IN A 192.0.2.53",
	"www.example.org. 300 IN CNAME example.org.",
	"v6.example.org. 300 IN AAAA 2001:db8::1",
	"_sip._tcp.example.org. 300 IN SRV 10 60 5060 sip.example.org.",
	`txt.example.org. 60 IN TXT "` + strings.Repeat("z", 255) + `" "with \"quotes\" and ; semicolon" "tab\009nl\010"`,
	`u.example.org. 300 IN TYPE65280 \# 2 abcd`,
	"*.wild.example.org. 300 IN A 192.0.2.7",
	`a\.dot.example.org. 300 IN A 192.0.2.8`,
	`sp\032ace.example.org. 300 IN A 192.0.2.9`,
	`\$ttl.example.org. 300 IN A 192.0.2.10`,
	"in.example.org. 300 IN A 192.0.2.11",
	"300.example.org. 300 IN A 192.0.2.12",
	"a.b.c.deep.example.org. 300 IN PTR example.org.",
	"MiXeD.example.org. 300 IN A 192.0.2.13",
}

func parse(t *testing.T, ss []string) []dns.RR {
	t.Helper()
	var out []dns.RR
	for _, s := range ss {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("dns.NewRR(%q): %v", s, err)
		}
		out = append(out, rr)
	}
	return out
}

func walkOf(rrs []dns.RR) func(func(dns.RR) error) error {
	return func(emit func(dns.RR) error) error {
		for _, rr := range rrs {
			if err := emit(rr); err != nil {
				return err
			}
		}
		return nil
	}
}

func readAll(t *testing.T, path string) []dns.RR {
	t.Helper()
	var out []dns.RR
	if err := Read(path, origin, func(rr dns.RR) error { out = append(out, rr); return nil }); err != nil {
		t.Fatalf("Read: %v", err)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.example.org")
	want := parse(t, zone)
	// A relative "$ttl" at the start of a line would be the $TTL directive.
	want = append(want, &dns.A{Hdr: dns.RR_Header{Name: "$ttl.example.org.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 5}, A: net.IPv4(192, 0, 2, 14)})
	if err := Write(path, origin, 42, walkOf(want), nil); err != nil {
		t.Fatalf("Write: %v", err)
	}
	got := readAll(t, path)
	if len(got) != len(want) {
		t.Fatalf("read %d records, wrote %d", len(got), len(want))
	}
	for i := range want {
		if got[i].String() != want[i].String() {
			t.Errorf("record %d: read %q, wrote %q", i, got[i], want[i])
		}
	}
	data, _ := os.ReadFile(path)
	text := string(data)
	for _, s := range []string{"; written by dyndns at serial 42\n", "$ORIGIN example.org.\n", "\n@\t3600\tIN\tSOA\t", "\nwww\t300\tIN\tCNAME\t", "\n$ttl.example.org.\t5\t"} {
		if !strings.Contains(text, s) {
			t.Errorf("file lacks %q:\n%s", s, text)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("directory holds %d files, want 1", len(entries))
	}
}

func TestRootZone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.root")
	want := parse(t, []string{". 86400 IN SOA a.root-servers.net. nstld.verisign-grs.com. 7 1800 900 604800 86400", "org. 172800 IN NS a0.org.afilias-nst.info."})
	if err := Write(path, ".", 7, walkOf(want), nil); err != nil {
		t.Fatal(err)
	}
	var got []dns.RR
	if err := Read(path, ".", func(rr dns.RR) error { got = append(got, rr); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].String() != want[1].String() {
		t.Fatalf("read %v", got)
	}
}

func TestWriteRejects(t *testing.T) {
	soa := zone[0]
	tests := []struct {
		name string
		rrs  []string
		want string
	}{
		{"no records", nil, "no records"},
		{"first is not the SOA", []string{zone[1], soa}, "want the SOA"},
		{"SOA serial differs", []string{strings.Replace(soa, " 42 ", " 43 ", 1)}, "serial 43, want 42"},
		{"SOA not at the apex", []string{"sub.example.org. 3600 IN SOA ns1.example.org. h.example.org. 42 1 1 1 1"}, "not the origin"},
		{"second SOA", []string{soa, soa}, "second SOA"},
		{"out of zone", []string{soa, "example.com. 300 IN A 192.0.2.1"}, "outside zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "db.example.org")
			err := Write(path, origin, 42, walkOf(parse(t, tt.rrs)), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Write = %v, want error naming %s containing %q", err, path, tt.want)
			}
			if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 0 {
				t.Errorf("left files behind: %v", entries)
			}
		})
	}
}

// A failure anywhere before the rename leaves the previous snapshot as it
// was and no temp file.
func TestWriteAtomic(t *testing.T) {
	walkErr := errors.New("zone walk failed")
	tests := []struct {
		name     string
		arm      func(*faultfs.FS)
		walk     func(func(dns.RR) error) error
		replaced bool
	}{
		{"fsync fails", func(f *faultfs.FS) { f.FailSyncs(0, syscall.EIO) }, nil, false},
		{"disk full", func(f *faultfs.FS) { f.FailWrites(100, syscall.ENOSPC) }, nil, false},
		{"rename fails", func(f *faultfs.FS) { f.FailRename(syscall.EIO) }, nil, false},
		{"walk fails", func(*faultfs.FS) {}, func(emit func(dns.RR) error) error {
			rrs := parse(t, zone)
			emit(rrs[0])
			return walkErr
		}, false},
		{"directory fsync fails", func(f *faultfs.FS) { f.FailSyncDir(syscall.EIO) }, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "db.example.org")
			old := parse(t, zone[:3])
			if err := Write(path, origin, 42, walkOf(old), nil); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(path)

			f := faultfs.New(nil)
			tt.arm(f)
			walk := tt.walk
			if walk == nil {
				walk = walkOf(parse(t, zone))
			}
			err := Write(path, origin, 42, walk, f)
			if err == nil {
				t.Fatal("Write succeeded")
			}
			if tt.walk != nil && !errors.Is(err, walkErr) {
				t.Errorf("Write = %v, want the walk's error", err)
			}
			after, _ := os.ReadFile(path)
			if got := string(after) == string(before); got == tt.replaced {
				t.Errorf("file unchanged: %v, want %v", got, !tt.replaced)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("directory holds %v, want only the snapshot", entries)
			}
		})
	}
}

func TestRead(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // records as dns.RR.String prints them
		err  string   // Read fails with this after the file name
	}{
		{
			name: "relative names and directives",
			text: "$TTL 300\n@ IN SOA ns hm 1 2 3 4 5\n\n; comment\nwww IN A 192.0.2.1\n  IN AAAA 2001:db8::1\nmail.example.org. 60 MX 10 www\nsub.deep CNAME www\n",
			want: []string{
				"example.org.\t300\tIN\tSOA\tns.example.org. hm.example.org. 1 2 3 4 5",
				"www.example.org.\t300\tIN\tA\t192.0.2.1",
				"www.example.org.\t300\tIN\tAAAA\t2001:db8::1",
				"mail.example.org.\t60\tIN\tMX\t10 www.example.org.",
				"sub.deep.example.org.\t300\tIN\tCNAME\twww.example.org.",
			},
		},
		{
			name: "unknown types",
			text: "u 300 IN TYPE65280 \\# 2 abcd\nv 300 IN TYPE1 \\# 4 c0000201\n",
			want: []string{
				"u.example.org.\t300\tCLASS1\tTYPE65280\t\\# 2 abcd", // miekg/dns prints the class of unknown types numerically
				"v.example.org.\t300\tIN\tA\t192.0.2.1",
			},
		},
		{
			name: "multi-line record",
			text: "@ 300 IN SOA ns hm (\n 1 2 3\n 4 5 )\n",
			want: []string{"example.org.\t300\tIN\tSOA\tns.example.org. hm.example.org. 1 2 3 4 5"},
		},
		{name: "parse error", text: "a 300 IN A 192.0.2.1\n\n\nb 300 IN A not-an-address\n", err: "line: 4"},
		{name: "bad type", text: "a 300 IN A 192.0.2.1\nb 300 IN BOGUS x\n", err: "line: 2"},
		{name: "out of zone", text: "a 300 IN A 192.0.2.1\n; x\nevil.example.com. 300 IN A 192.0.2.1\n", err: ":3: owner evil.example.com. is outside zone example.org."},
		{name: "out of zone after $ORIGIN", text: "a 300 IN A 192.0.2.1\n$ORIGIN example.net.\nb 300 IN A 192.0.2.1", err: ":3: owner b.example.net. is outside"},
		{name: "apex lookalike", text: "xexample.org. 300 IN A 192.0.2.1\n", err: ":1: owner xexample.org."},
		{name: "$INCLUDE refused", text: "$INCLUDE /etc/passwd\n", err: "$INCLUDE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "db.example.org")
			if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			var got []string
			err := Read(path, "example.org", func(rr dns.RR) error { got = append(got, rr.String()); return nil })
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Read = %v, want error naming %s and containing %q", err, path, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("read\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestReadCallbackError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.example.org")
	os.WriteFile(path, []byte("a 300 IN A 192.0.2.1\n\nb 300 IN A 192.0.2.2\n"), 0o644)
	bad := errors.New("CNAME and other data")
	err := Read(path, origin, func(rr dns.RR) error {
		if strings.HasPrefix(rr.Header().Name, "b.") {
			return bad
		}
		return nil
	})
	if !errors.Is(err, bad) || !strings.Contains(err.Error(), path+":3:") {
		t.Fatalf("Read = %v, want the callback's error at %s:3", err, path)
	}
}

func TestReadMissing(t *testing.T) {
	err := Read(filepath.Join(t.TempDir(), "nope"), origin, func(dns.RR) error { return nil })
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Read = %v, want ErrNotExist", err)
	}
}

// Comments written after records come back with them, and a comment that
// spans lines is refused.
func TestAnnotatedRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.example.org")
	want := parse(t, zone)
	comment := func(rr dns.RR) string {
		if rr.Header().Rrtype == dns.TypeSOA {
			return "dyndns-lsn 7"
		}
		if rr.Header().Rrtype == dns.TypeA {
			return "lease-until 2026-12-01T15:04:05Z"
		}
		return ""
	}
	if err := WriteAnnotated(path, origin, 42, walkOf(want), comment, nil); err != nil {
		t.Fatal(err)
	}
	i := 0
	err := ReadAnnotated(path, origin, func(rr dns.RR, got string) error {
		if rr.String() != want[i].String() || got != comment(want[i]) {
			t.Errorf("record %d: %q ; %q, want %q ; %q", i, rr, got, want[i], comment(want[i]))
		}
		i++
		return nil
	})
	if err != nil || i != len(want) {
		t.Fatalf("ReadAnnotated: %v after %d of %d records", err, i, len(want))
	}
	bad := func(dns.RR) string { return "two\nlines" }
	if err := WriteAnnotated(path, origin, 42, walkOf(want), bad, nil); err == nil {
		t.Error("a comment spanning lines was written")
	}
}
