package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// detectError is a failure to find this host's address: the network may not
// be up yet, so the run loop retries it.
type detectError struct{ err error }

func (e *detectError) Error() string {
	return fmt.Sprintf("finding this host's address (use -addr): %v", e.err)
}
func (e *detectError) Unwrap() error { return e.err }

// localAddrs finds the addresses this host uses to reach server (HOST:PORT):
// the source address the OS picks for a UDP "connection" to it, which sends
// nothing. If the server has IPv4 and IPv6 addresses, it tries the first of
// each, so a dual-stack host registers both an A and an AAAA record.
func localAddrs(ctx context.Context, server string) ([]netip.Addr, error) {
	host, port, err := net.SplitHostPort(server)
	if err != nil {
		return nil, &detectError{err}
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, &detectError{err}
	}
	var v4, v6 *netip.Addr
	for _, ip := range ips {
		ip := ip.Unmap()
		switch {
		case ip.Is4() && v4 == nil:
			v4 = &ip
		case ip.Is6() && v6 == nil:
			v6 = &ip
		}
	}
	var (
		addrs []netip.Addr
		errs  []error
	)
	for _, ip := range []*netip.Addr{v4, v6} {
		if ip == nil {
			continue
		}
		a, err := sourceAddr(ctx, ip.WithZone(""), port)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		addrs = append(addrs, a)
	}
	if len(addrs) == 0 {
		if len(errs) == 0 {
			errs = append(errs, fmt.Errorf("%s has no address", host))
		}
		return nil, &detectError{errors.Join(errs...)}
	}
	return addrs, nil
}

func sourceAddr(ctx context.Context, ip netip.Addr, port string) (netip.Addr, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", net.JoinHostPort(ip.String(), port))
	if err != nil {
		return netip.Addr{}, err
	}
	defer c.Close()
	a := c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap().WithZone("")
	if !a.IsValid() || a.IsUnspecified() || a.IsLinkLocalUnicast() {
		return netip.Addr{}, fmt.Errorf("no usable source address towards %s (got %s)", ip, a)
	}
	return a, nil
}
