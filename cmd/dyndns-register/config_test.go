package main

import (
	"bytes"
	"errors"
	"flag"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args string
		want func(*config) bool
		err  string // in the output; "" for success
	}{
		{
			name: "defaults",
			args: "-server 127.0.0.1:1053 -zone example.org -name cyberdyne-web-sfo-prod",
			want: func(c *config) bool {
				return c.server == "127.0.0.1:1053" && c.zone == "example.org." && c.name == "cyberdyne-web-sfo-prod.example.org." &&
					c.addrs == nil && c.lease == time.Hour && c.ttl == time.Minute && !c.once && c.reverse == nil && c.keyFile == ""
			},
		},
		{
			name: "everything",
			args: "-server ns1.example.org -zone example.org. -name h -addr 13.37.1.1 -addr 2001:db8::1 -addr 13.37.1.1 -addr ::ffff:10.0.0.1 -lease 2s -ttl 0s -tsig-key k.key -reverse-zone 37.13.in-addr.arpa -reverse-zone 8.b.d.0.1.0.0.2.ip6.arpa. -once",
			want: func(c *config) bool {
				return c.server == "ns1.example.org:53" && c.name == "h.example.org." &&
					slices.Equal(c.addrs, addrs("13.37.1.1", "2001:db8::1", "10.0.0.1")) &&
					c.lease == 2*time.Second && c.ttl == 0 && c.keyFile == "k.key" && c.once &&
					slices.Equal(c.reverse, []string{"37.13.in-addr.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa."})
			},
		},
		{name: "absolute name outside the zone", args: "-server 127.0.0.1 -zone example.org -name h.", err: "-name: h. is not a name in zone example.org."},
		{
			name: "absolute name in the zone",
			args: "-server [::1]:53 -zone example.org -name h.example.org.",
			want: func(c *config) bool { return c.server == "[::1]:53" && c.name == "h.example.org." },
		},
		{
			name: "bare IPv6 server",
			args: "-server ::1 -zone example.org",
			want: func(c *config) bool { return c.server == "[::1]:53" && c.name == "" },
		},
		{name: "no server", args: "-zone example.org", err: "-server is required"},
		{name: "no zone", args: "-server 127.0.0.1", err: "-zone is required"},
		{name: "bad zone", args: "-server 127.0.0.1 -zone a..b", err: "-zone: \"a..b\" is not a domain name"},
		{name: "name is the apex", args: "-server 127.0.0.1 -zone example.org -name example.org.", err: "not a name in zone"},
		{name: "bad address", args: "-server 127.0.0.1 -zone example.org -addr 13.37.1", err: "not an IP address: \"13.37.1\""},
		{name: "scoped address", args: "-server 127.0.0.1 -zone example.org -addr fe80::1%eth0", err: "not an IP address"},
		{name: "sub-second lease", args: "-server 127.0.0.1 -zone example.org -lease 1500ms", err: "-lease 1.5s: must be whole seconds"},
		{name: "zero lease", args: "-server 127.0.0.1 -zone example.org -lease 0s", err: "-lease 0s: must be at least 1s"},
		{name: "huge lease", args: "-server 127.0.0.1 -zone example.org -lease 2000000h", err: "too long"},
		{name: "bad duration", args: "-server 127.0.0.1 -zone example.org -lease 5", err: "invalid value \"5\" for flag -lease"},
		{name: "forward reverse zone", args: "-server 127.0.0.1 -zone example.org -reverse-zone example.org", err: "not under in-addr.arpa or ip6.arpa"},
		{name: "unknown flag", args: "-server 127.0.0.1 -zone example.org -bogus", err: "flag provided but not defined: -bogus"},
		{name: "stray argument", args: "-server 127.0.0.1 -zone example.org extra", err: "unexpected arguments: extra"},
		{name: "empty server host", args: "-server :53 -zone example.org", err: "want HOST[:PORT]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			c, err := parseFlags(strings.Fields(tc.args), &out)
			if tc.err != "" {
				if !errors.Is(err, errUsage) || !strings.Contains(out.String(), tc.err) {
					t.Fatalf("got %v; want a usage error saying %q, output:\n%s", err, tc.err, out.String())
				}
				if !strings.Contains(out.String(), "usage: dyndns-register -server") {
					t.Errorf("no usage message:\n%s", out.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			if !tc.want(c) {
				t.Errorf("got %+v", *c)
			}
		})
	}
}

func TestParseFlagsHelp(t *testing.T) {
	var out bytes.Buffer
	if _, err := parseFlags([]string{"-h"}, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("got %v", err)
	}
	for _, want := range []string{"usage: dyndns-register", "-reverse-zone ZONE", "-tsig-key FILE"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
}

func TestLoadHostName(t *testing.T) {
	c, err := parseFlags([]string{"-server", "127.0.0.1", "-zone", "example.org"}, new(bytes.Buffer))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.load(); err != nil {
		t.Fatal(err)
	}
	if c.hostname == "" || strings.Contains(c.hostname, ".") || c.name != c.hostname+".example.org." {
		t.Errorf("host name %q, name %q", c.hostname, c.name)
	}
}

func TestLocalAddrs(t *testing.T) {
	got, err := localAddrs(t.Context(), "127.0.0.1:53")
	if err != nil || !slices.Equal(got, []netip.Addr{netip.MustParseAddr("127.0.0.1")}) {
		t.Errorf("towards 127.0.0.1: %v %v", got, err)
	}
	if _, err := localAddrs(t.Context(), "no-such-host.invalid:53"); !retryable(err) {
		t.Errorf("unresolvable server: %v, want a retryable error", err)
	}
}
