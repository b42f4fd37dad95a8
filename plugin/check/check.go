// Package check runs active health checks on the addresses of derived
// services, so that answers send traffic only to live hosts.
//
// A Check (one `health` line of the Corefile) probes every member address of
// the services it applies to, over TCP (a connection opens) or HTTP (a GET
// answers 2xx). Each distinct (probe, address) pair is one target, probed
// once per interval however many services share it; its state is kept per
// target and reported per service by Down.
//
// The query path only ever reads an immutable snapshot through an atomic
// pointer: Down and Set.Has neither lock nor allocate. Probes run on a fixed
// pool of workers fed by one scheduler goroutine; state changes are applied
// under a mutex and published copy-on-write, coalesced so that a burst of
// changes (a whole rack going away) costs a few snapshots, not one per
// address.
package check

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Kind is the kind of a check: "tcp" or "http".
type Kind string

// The kinds of checks.
const (
	TCP  Kind = "tcp"
	HTTP Kind = "http"
)

// Check is one `health` line of the Corefile.
type Check struct {
	Kind Kind
	Port int
	// Path is the request path of an http check, starting with "/"; it may
	// carry a query. Empty means "/". It must be empty for tcp.
	Path string
	// Services are the fully qualified service names this check applies
	// to; empty: every service. They are matched without regard to case
	// and a missing final dot is added.
	Services []string
}

// Config configures a Checker. Zero values take the defaults.
type Config struct {
	Checks   []Check
	Interval time.Duration // default 5s
	Timeout  time.Duration // default: min(Interval/2, 2s); must be below Interval
	Fall     int           // consecutive failures that take an address out; default 2
	Rise     int           // consecutive passes that bring it back; default 1
	Workers  int           // bounded pool of concurrent checks; default 64

	// Hooks, each may be nil.
	//
	// Changed is called when an address goes down or comes back in a
	// service: for each service of the target whose state changed, when the
	// address's state in that service (down if any of the service's checks
	// says so) changed. It is called from a worker with the checker's state
	// lock held, so calls are ordered; it must be quick and must not call
	// Stop. Addresses joining or leaving a service raise no call.
	Changed func(service string, addr netip.Addr, passing bool)
	// Failed is called once per failed check, from a worker, without locks.
	Failed func(kind Kind)
}

// Defaults.
const (
	DefaultInterval = 5 * time.Second
	DefaultFall     = 2
	DefaultRise     = 1
	DefaultWorkers  = 64
	maxTimeout      = 2 * time.Second // the cap of the default timeout
)

// Members returns the current members of every derived service: service
// FQDN → addresses. The checker calls it once per interval (and soon after
// Refresh), from its scheduler goroutine; it must be cheap enough for that.
// The checker does not modify or keep the map or its slices.
type Members func() map[string][]netip.Addr

// ServiceStats are the member and passing counts of one service.
type ServiceStats struct {
	Service string
	Members int // distinct addresses
	Passing int // of them, those in rotation
}

// probe is one distinct check: several Check lines with the same kind, port
// and path share a probe, and so share their targets.
type probe struct {
	idx  int
	kind Kind
	port uint16
	path string
	all  bool                // applies to every service
	only map[string]struct{} // else to these
}

func (p *probe) appliesTo(service string) bool {
	if p.all {
		return true
	}
	_, ok := p.only[service]
	return ok
}

// normalize validates cfg and fills in its defaults, returning the probes.
func normalize(cfg *Config) ([]*probe, error) {
	if len(cfg.Checks) == 0 {
		return nil, errors.New("no health checks")
	}
	switch {
	case cfg.Interval < 0:
		return nil, fmt.Errorf("negative interval %s", cfg.Interval)
	case cfg.Interval == 0:
		cfg.Interval = DefaultInterval
	}
	switch {
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("negative timeout %s", cfg.Timeout)
	case cfg.Timeout == 0:
		cfg.Timeout = min(cfg.Interval/2, maxTimeout)
		if cfg.Timeout <= 0 {
			return nil, fmt.Errorf("interval %s too short", cfg.Interval)
		}
	case cfg.Timeout >= cfg.Interval:
		return nil, fmt.Errorf("timeout %s must be below the interval %s", cfg.Timeout, cfg.Interval)
	}
	for _, f := range []struct {
		name string
		v    *int
		def  int
	}{{"fall", &cfg.Fall, DefaultFall}, {"rise", &cfg.Rise, DefaultRise}, {"workers", &cfg.Workers, DefaultWorkers}} {
		switch {
		case *f.v < 0:
			return nil, fmt.Errorf("negative %s %d", f.name, *f.v)
		case *f.v == 0:
			*f.v = f.def
		}
	}

	var probes []*probe
	index := map[string]*probe{}
	checks := make([]Check, len(cfg.Checks))
	for i, ch := range cfg.Checks {
		if err := normalizeCheck(&ch); err != nil {
			return nil, fmt.Errorf("health check %d: %w", i+1, err)
		}
		checks[i] = ch
		key := fmt.Sprintf("%s %d %s", ch.Kind, ch.Port, ch.Path)
		p := index[key]
		if p == nil {
			p = &probe{idx: len(probes), kind: ch.Kind, port: uint16(ch.Port), path: ch.Path, only: map[string]struct{}{}}
			index[key] = p
			probes = append(probes, p)
		}
		if len(ch.Services) == 0 {
			p.all = true
		}
		for _, s := range ch.Services {
			p.only[s] = struct{}{}
		}
	}
	cfg.Checks = checks
	return probes, nil
}

// normalizeCheck validates one check, lower-casing and qualifying its
// service names (on a copy of the slice) and defaulting an http path.
func normalizeCheck(ch *Check) error {
	switch ch.Kind {
	case TCP, HTTP:
	default:
		return fmt.Errorf("unknown kind %q, want tcp or http", ch.Kind)
	}
	if ch.Port < 1 || ch.Port > 65535 {
		return fmt.Errorf("port %d out of range 1-65535", ch.Port)
	}
	switch {
	case ch.Kind == TCP && ch.Path != "":
		return fmt.Errorf("a tcp check has no path (got %q)", ch.Path)
	case ch.Kind == HTTP && ch.Path == "":
		ch.Path = "/"
	case ch.Kind == HTTP:
		if err := validPath(ch.Path); err != nil {
			return err
		}
	}
	services := make([]string, 0, len(ch.Services))
	for _, s := range ch.Services {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" || s == "." {
			return errors.New("empty service name")
		}
		if !strings.HasSuffix(s, ".") {
			s += "."
		}
		services = append(services, s)
	}
	if len(services) == 0 {
		services = nil
	}
	ch.Services = services
	return nil
}

// validPath accepts an origin-form request target: "/" then visible ASCII,
// no fragment, valid escapes.
func validPath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("http path %q does not start with /", p)
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c >= 0x7f || c == '#' {
			return fmt.Errorf("http path %q has a space, control, non-ASCII or # character", p)
		}
	}
	if _, err := url.ParseRequestURI(p); err != nil {
		return fmt.Errorf("http path %q: %w", p, err)
	}
	return nil
}

// canonical is the form addresses are compared in: unmapped, without zone.
func canonical(a netip.Addr) netip.Addr {
	return a.Unmap().WithZone("")
}
