package check

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// userAgent is sent with http checks, so they are easy to tell in logs.
const userAgent = "dyndns-health-check"

// newHTTPClient returns the client of http checks: no proxy, no
// keep-alives (every check opens its own connection, so a check says
// something about the host now), no redirects followed, bounded headers.
func newHTTPClient(d *net.Dialer, timeout time.Duration) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                  nil,
			DialContext:            d.DialContext,
			DisableKeepAlives:      true,
			DisableCompression:     true,
			MaxResponseHeaderBytes: 16 << 10,
			ResponseHeaderTimeout:  timeout,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       timeout,
	}
}

// probe runs one check of t, bounded by the timeout, and reports whether it
// passed.
func (c *Checker) probe(t *target) bool {
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.Timeout)
	defer cancel()
	if t.probe.kind == HTTP {
		return c.probeHTTP(ctx, t)
	}
	return c.probeTCP(ctx, t)
}

// probeTCP passes when a connection opens. It is closed at once with a
// reset (linger 0), so that 10,000 passing checks a second leave no sockets
// in TIME_WAIT behind.
func (c *Checker) probeTCP(ctx context.Context, t *target) bool {
	conn, err := c.dialer.DialTCP(ctx, "tcp", netip.AddrPort{}, netip.AddrPortFrom(t.addr, t.probe.port))
	if err != nil {
		return false
	}
	conn.SetLinger(0)
	conn.Close()
	return true
}

// probeHTTP passes when GET of the target's URL answers 2xx within the
// timeout. The status decides: a little of the body is read (so that closing
// does not reset the connection under the server's feet) but not waited for
// beyond the timeout.
func (c *Checker) probeHTTP(ctx context.Context, t *target) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url, nil)
	if err != nil {
		return false
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.client.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode <= 299
}
