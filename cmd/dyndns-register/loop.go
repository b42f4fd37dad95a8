package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// registrar registers one host and keeps it registered.
type registrar struct {
	cfg    *config
	send   func(context.Context, *dns.Msg) (*dns.Msg, error)
	detect func(context.Context) ([]netip.Addr, error) // the default addresses
	log    *log.Logger

	minBackoff, maxBackoff time.Duration
	stopTimeout            time.Duration // for the deletions at shutdown
	rand                   func() float64

	held          []netip.Addr // the addresses of the last registration
	noLeaseLogged bool
	skipLogged    map[netip.Addr]bool
}

func newRegistrar(cfg *config, logger *log.Logger) *registrar {
	s := &sender{server: cfg.server, key: cfg.key, timeout: 5 * time.Second}
	return &registrar{
		cfg:         cfg,
		send:        s.send,
		detect:      func(ctx context.Context) ([]netip.Addr, error) { return localAddrs(ctx, cfg.server) },
		log:         logger,
		minBackoff:  time.Second,
		maxBackoff:  time.Minute,
		stopTimeout: 10 * time.Second,
		rand:        rand.Float64,
		skipLogged:  map[netip.Addr]bool{},
	}
}

// registration is the outcome of a registration.
type registration struct {
	addrs   []netip.Addr
	lease   time.Duration // to renew by
	granted bool          // lease is the server's; else the server granted none
}

// register sends the whole registration: the address records, then the PTR
// records of each reverse zone.
//
// Every registration, renewals included, is the full replace: one UPDATE
// that is the lease renewal (RFC 9664 renews by sending the records again)
// and the re-registration at once, so records the server lost come back
// without a separate check, and nothing can change between a check and the
// update. When nothing changed, the server does not even bump its serial.
func (r *registrar) register(ctx context.Context) (*registration, error) {
	addrs := r.cfg.addrs
	if addrs == nil {
		var err error
		if addrs, err = r.detect(ctx); err != nil {
			return nil, err
		}
	}
	resp, err := r.send(ctx, addressUpdate(r.cfg.zone, r.cfg.name, addrs, r.cfg.ttl, r.cfg.lease))
	if err != nil {
		return nil, err
	}
	replies := []*dns.Msg{resp}
	for _, z := range r.cfg.reverse {
		in := r.inZone(z, addrs, true)
		gone := r.inZone(z, slices.DeleteFunc(slices.Clone(r.held), func(a netip.Addr) bool { return slices.Contains(addrs, a) }), false)
		if len(in) == 0 && len(gone) == 0 {
			continue
		}
		resp, err := r.send(ctx, ptrUpdate(z, r.cfg.name, in, gone, r.cfg.ttl, r.cfg.lease))
		if err != nil {
			return nil, err
		}
		replies = append(replies, resp)
	}
	r.held = addrs
	lease, granted := r.lease(replies)
	return &registration{addrs: addrs, lease: lease, granted: granted}, nil
}

// inZone is the addresses whose reverse name is in reverse zone z (the
// longest of the configured ones that holds it).
func (r *registrar) inZone(z string, addrs []netip.Addr, logSkipped bool) []netip.Addr {
	var in []netip.Addr
	for _, a := range addrs {
		switch rz := reverseZone(a, r.cfg.reverse); {
		case rz == z:
			in = append(in, a)
		case rz == "" && logSkipped && !r.skipLogged[a]:
			r.skipLogged[a] = true
			r.log.Printf("no PTR for %s: its reverse name %s is in none of the reverse zones (%s)", a, reverseName(a), strings.Join(r.cfg.reverse, ", "))
		}
	}
	return in
}

// lease is the lease to renew by: the shortest the server granted, or the
// requested one if the server granted none (it does not support leases).
func (r *registrar) lease(replies []*dns.Msg) (lease time.Duration, granted bool) {
	for _, resp := range replies {
		if l, ok := grantedLease(resp); ok && (!granted || l < lease) {
			lease, granted = l, true
		}
	}
	if granted {
		return lease, true
	}
	if !r.noLeaseLogged && !r.cfg.once {
		r.noLeaseLogged = true
		r.log.Printf("the server granted no lease (it does not support RFC 9664 update leases): renewing by the requested lease, %s", r.cfg.lease)
	}
	return r.cfg.lease, false
}

// deregister deletes the address records, and the PTR records that point at
// this host from the reverse names of its addresses.
func (r *registrar) deregister(ctx context.Context) error {
	var errs []error
	if _, err := r.send(ctx, addressDelete(r.cfg.zone, r.cfg.name)); err != nil {
		errs = append(errs, err)
	}
	addrs := r.held
	if addrs == nil {
		addrs = r.cfg.addrs
	}
	for _, z := range r.cfg.reverse {
		if in := r.inZone(z, addrs, false); len(in) > 0 {
			if _, err := r.send(ctx, ptrDelete(z, r.cfg.name, in)); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// once registers and reports.
func (r *registrar) once(ctx context.Context) error {
	reg, err := r.register(ctx)
	if err != nil {
		return err
	}
	if reg.granted {
		r.log.Printf("registered %s (lease %s: the server deletes the records unless they are registered again by then)", describe(r.cfg.name, reg.addrs), reg.lease)
	} else {
		r.log.Printf("registered %s (the server granted no lease: the records stay until deleted)", describe(r.cfg.name, reg.addrs))
	}
	return nil
}

// run registers, renews at about 80% of each lease, retries with capped
// exponential backoff while the server is unreachable or answers SERVFAIL
// or REFUSED, and deletes the records once ctx is done. It returns an
// error for any other failure, or if the deletion fails.
func (r *registrar) run(ctx context.Context) error {
	backoff, failures := r.minBackoff, 0
	var last []netip.Addr
	for {
		reg, err := r.register(ctx)
		if ctx.Err() != nil {
			break
		}
		var wait time.Duration
		switch {
		case err != nil && !retryable(err):
			return err
		case err != nil:
			failures++
			wait = jitter(backoff, r.rand())
			backoff = min(2*backoff, r.maxBackoff)
			r.log.Printf("%v; retrying in %s", err, wait.Round(time.Millisecond))
		default:
			wait = renewal(reg.lease, r.rand())
			if failures > 0 || !slices.Equal(reg.addrs, last) {
				lease := "lease " + reg.lease.String()
				if !reg.granted {
					lease = "no lease granted"
				}
				r.log.Printf("registered %s (%s, renewing in %s)", describe(r.cfg.name, reg.addrs), lease, wait.Round(time.Millisecond))
			}
			backoff, failures, last = r.minBackoff, 0, reg.addrs
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
			continue
		}
		break
	}
	dctx, cancel := context.WithTimeout(context.Background(), r.stopTimeout)
	defer cancel()
	if err := r.deregister(dctx); err != nil {
		return fmt.Errorf("stopping, could not delete the records: %w", err)
	}
	r.log.Printf("stopping: deleted %s", r.cfg.name)
	return nil
}

// renewal is when to renew a lease: at 80% of it plus a random 0-5% (u in
// [0,1)), RFC 9664's client rule, so that clients registered together
// spread their renewals. Leases under a second count as a second.
func renewal(lease time.Duration, u float64) time.Duration {
	lease = max(lease, time.Second)
	return lease*8/10 + time.Duration(float64(lease)*0.05*u)
}

// jitter adds a random 0-10% (u in [0,1)) to a backoff, so clients that lost
// the server together do not come back in step.
func jitter(d time.Duration, u float64) time.Duration {
	return d + time.Duration(float64(d)*0.1*u)
}

func describe(name string, addrs []netip.Addr) string {
	var b strings.Builder
	b.WriteString(name)
	for _, a := range addrs {
		if a.Is4() {
			b.WriteString(" A ")
		} else {
			b.WriteString(" AAAA ")
		}
		b.WriteString(a.String())
	}
	return b.String()
}
