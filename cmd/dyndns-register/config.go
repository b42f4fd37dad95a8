package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// config is what the flags ask for, checked.
type config struct {
	server   string       // HOST:PORT
	zone     string       // fully qualified
	name     string       // NAME.ZONE, fully qualified; "" until the host name is known
	addrs    []netip.Addr // from -addr; nil: discover the local address towards the server
	lease    time.Duration
	ttl      time.Duration
	keyFile  string
	reverse  []string // reverse zones, fully qualified
	once     bool
	key      *tsigKey // read from keyFile by load
	hostname string   // -name as given (relative to zone, or absolute with a trailing dot)
}

const usageText = `usage: dyndns-register -server HOST[:PORT] -zone ZONE [-name NAME] [-addr IP]...
                       [-lease DURATION] [-ttl DURATION] [-tsig-key FILE]
                       [-reverse-zone ZONE]... [-once]

Registers this host's A/AAAA records (NAME.ZONE) with an RFC 2136 server in
one UPDATE over TCP, with an RFC 9664 update lease, and keeps them registered:
it renews at about 80% of the granted lease, retries with backoff while the
server is unreachable, and deletes the records on SIGTERM or SIGINT.
With -once it registers and exits.

`

// errUsage marks errors in the command line: exit status 2 and the usage.
var errUsage = errors.New("usage")

type addrList []netip.Addr

func (l *addrList) String() string { return fmt.Sprint([]netip.Addr(*l)) }
func (l *addrList) Set(s string) error {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return fmt.Errorf("not an IP address: %q", s)
	}
	*l = append(*l, a.Unmap())
	return nil
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// parseFlags checks the command line; it touches neither files nor network.
// Errors wrap errUsage; flag.ErrHelp is returned for -h.
func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("dyndns-register", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	var (
		c       config
		addrs   addrList
		reverse stringList
	)
	fs.StringVar(&c.server, "server", "", "the DNS server to update, `HOST[:PORT]` (port 53 by default)")
	fs.StringVar(&c.zone, "zone", "", "the `ZONE` to register in")
	fs.StringVar(&c.hostname, "name", "", "the host `NAME` to register, relative to the zone (default: the machine's host name up to its first dot)")
	fs.Var(&addrs, "addr", "an `IP` address to register; repeat for several (default: the local IPv4 and IPv6 addresses this host uses to reach the server)")
	fs.DurationVar(&c.lease, "lease", time.Hour, "the update lease to ask for (RFC 9664), whole seconds")
	fs.DurationVar(&c.ttl, "ttl", time.Minute, "the TTL of the registered records, whole seconds")
	fs.StringVar(&c.keyFile, "tsig-key", "", "sign every UPDATE with the key in this BIND-style key `FILE` (as tsig-keygen writes it)")
	fs.Var(&reverse, "reverse-zone", "also register the PTR record of each address in this reverse `ZONE`; repeat for an IPv4 and an IPv6 zone")
	fs.BoolVar(&c.once, "once", false, "register once and exit, instead of renewing until SIGTERM")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", errUsage, err) // flag printed it with the usage
	}
	bad := func(format string, a ...any) (*config, error) {
		msg := fmt.Sprintf(format, a...)
		fmt.Fprintf(stderr, "%s\n", msg)
		fs.Usage()
		return nil, fmt.Errorf("%w: %s", errUsage, msg)
	}
	if fs.NArg() > 0 {
		return bad("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if c.server == "" {
		return bad("-server is required")
	}
	if _, _, err := net.SplitHostPort(c.server); err != nil {
		// No port (or a bare IPv6 address): use 53.
		c.server = net.JoinHostPort(strings.Trim(c.server, "[]"), "53")
	}
	host, port, err := net.SplitHostPort(c.server)
	if err != nil || host == "" || port == "" {
		return bad("-server %q: want HOST[:PORT]", c.server)
	}
	if c.zone == "" {
		return bad("-zone is required")
	}
	if c.zone, err = domain(c.zone); err != nil {
		return bad("-zone: %v", err)
	}
	if c.hostname != "" {
		if c.name, err = hostName(c.hostname, c.zone); err != nil {
			return bad("-name: %v", err)
		}
	}
	for _, r := range reverse {
		z, err := domain(r)
		if err != nil {
			return bad("-reverse-zone: %v", err)
		}
		if !dns.IsSubDomain("in-addr.arpa.", z) && !dns.IsSubDomain("ip6.arpa.", z) {
			return bad("-reverse-zone %s: not under in-addr.arpa or ip6.arpa", r)
		}
		if !slices.Contains(c.reverse, z) {
			c.reverse = append(c.reverse, z)
		}
	}
	seen := map[netip.Addr]bool{}
	for _, a := range addrs {
		if !seen[a] {
			seen[a] = true
			c.addrs = append(c.addrs, a)
		}
	}
	if err := wholeSeconds(c.lease, 1); err != nil {
		return bad("-lease %s: %v", c.lease, err)
	}
	if err := wholeSeconds(c.ttl, 0); err != nil {
		return bad("-ttl %s: %v", c.ttl, err)
	}
	return &c, nil
}

// load completes the configuration from the machine: the key file and the
// default host name.
func (c *config) load() error {
	if c.keyFile != "" {
		k, err := readKeyFile(c.keyFile)
		if err != nil {
			return err
		}
		c.key = k
	}
	if c.name == "" {
		h, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("host name: %v (use -name)", err)
		}
		c.hostname = strings.SplitN(h, ".", 2)[0]
		if c.name, err = hostName(c.hostname, c.zone); err != nil {
			return fmt.Errorf("host name %q: %v (use -name)", h, err)
		}
	}
	return nil
}

// domain checks a domain name and makes it fully qualified.
func domain(s string) (string, error) {
	if _, ok := dns.IsDomainName(s); !ok || s == "" || s == "." {
		return "", fmt.Errorf("%q is not a domain name", s)
	}
	return dns.Fqdn(s), nil
}

// hostName is NAME.ZONE for a relative NAME; an absolute NAME (trailing dot)
// must be in the zone.
func hostName(name, zone string) (string, error) {
	if !strings.HasSuffix(name, ".") {
		name += "." + zone
	}
	fq, err := domain(name)
	if err != nil {
		return "", err
	}
	if !dns.IsSubDomain(zone, fq) || dns.CountLabel(fq) == dns.CountLabel(zone) {
		return "", fmt.Errorf("%s is not a name in zone %s", fq, zone)
	}
	return fq, nil
}

func wholeSeconds(d time.Duration, least time.Duration) error {
	switch {
	case d%time.Second != 0:
		return errors.New("must be whole seconds")
	case d < least*time.Second:
		return fmt.Errorf("must be at least %ds", least)
	case d/time.Second > math.MaxUint32:
		return errors.New("too long")
	}
	return nil
}
