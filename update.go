package dyndns

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"time"

	"github.com/coredns/coredns/plugin/tsig"
	"github.com/coredns/coredns/request"
	"github.com/dyndns/dyndns/plugin/grant"
	"github.com/dyndns/dyndns/plugin/pollgate"
	"github.com/dyndns/dyndns/plugin/update"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// serveUpdate answers an RFC 2136 UPDATE. It always writes the answer itself
// and never passes an UPDATE on: a later query-only plugin (file) would
// answer NOERROR without applying anything.
func (d *DynDNS) serveUpdate(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	state := request.Request{W: w, Req: r}
	origin := ""
	if len(r.Question) == 1 {
		origin = strings.ToLower(r.Question[0].Name)
	}
	rcode, granted, err := d.update(ctx, state, origin)
	if err != nil {
		// Any client can send failing updates: the log says what happened
		// at a bounded rate, the metric counts every one.
		d.failures.log(rcode, "update of %q from %s failed with %s: %v", origin, state.IP(), dns.RcodeToString[rcode], err)
	}
	m := new(dns.Msg)
	m.SetRcode(r, rcode) // ID, opcode and the zone section echoed (§3.8)
	if granted != nil {
		// RFC 9664: a successful update's reply says the lease granted.
		// The server's ScrubWriter sets the OPT's size and DO bit.
		m.SetEdns0(dns.MinMsgSize, false)
		opt := m.IsEdns0()
		opt.Option = append(opt.Option, granted)
	}
	w.WriteMsg(m)
	updates.WithLabelValues(serverOf(ctx), d.zoneLabel(origin), dns.RcodeToString[rcode]).Inc()
	return dns.RcodeSuccess, nil
}

// otherZones is the zone label of UPDATEs for zones the block does not
// serve: labelling them with the client's zone name would let any client
// create metric series at will. A zone name always ends in a dot, so it
// cannot be confused with this value.
const otherZones = "other"

func (d *DynDNS) zoneLabel(origin string) string {
	if _, ok := d.zones[origin]; ok {
		return origin
	}
	return otherZones
}

// permitAll is update.Options.Permit once allow-update admitted the client.
func permitAll([]dns.RR) bool { return true }

// grantFor is update.Options.Grant for client: the block's grant and deny
// lines, or nil without any (allow-update alone decides).
func (d *DynDNS) grantFor(c grant.Client) func(*zone.Txn, []dns.RR) (bool, string) {
	if d.grants.Empty() {
		return nil
	}
	return func(t *zone.Txn, updates []dns.RR) (bool, string) {
		return d.grants.Permit(t.Origin(), c, d.rules, updates, txnView{t})
	}
}

// txnView shows grant.Policy the zone an update is changing.
type txnView struct{ t *zone.Txn }

func (v txnView) Types(name string) []uint16 {
	n := v.t.Base().Node(name)
	if n == nil {
		return nil
	}
	var types []uint16
	for _, s := range n.OwnSets() {
		types = append(types, s.Type())
	}
	return types
}

func (v txnView) Count(name string, typ uint16) int { return v.t.OwnLen(name, typ) }

// update checks the zone section (§3.1), the limits and allow-update, then
// applies the message to its zone. It returns the rcode, the Update Lease
// option of a successful reply (nil: none) and, for a failure, why. Everything that does not need the zone's data is decided before the
// zone's writer is asked: an unauthorised or oversized message costs no
// wait for the writer and learns nothing of the zone's contents.
func (d *DynDNS) update(ctx context.Context, state request.Request, origin string) (int, *dns.EDNS0_UL, error) {
	r := state.Req
	if len(r.Question) != 1 || r.Question[0].Qtype != dns.TypeSOA {
		return dns.RcodeFormatError, nil, errors.New("the zone section must hold one SOA question")
	}
	z := d.zones[origin]
	if z == nil || r.Question[0].Qclass != dns.ClassINET {
		return dns.RcodeNotAuth, nil, errors.New("not a zone served here")
	}
	if n := len(r.Answer) + len(r.Ns); n > d.limits.updateRecords {
		return dns.RcodeRefused, nil, errLimit("max-update-records", n, d.limits.updateRecords)
	}
	key, _ := tsig.ValidatedKeyName(ctx)
	addr, _ := netip.ParseAddr(state.IP())
	if !d.allow.Allowed(addr, key) {
		return dns.RcodeRefused, nil, errors.New("not allowed by allow-update")
	}
	lease, keyLease, granted := d.lease.grant(r)
	opts := update.Options{
		Permit:         permitAll,
		Grant:          d.grantFor(grant.Client{Addr: addr, Key: key, TCP: state.Proto() == "tcp"}),
		MaxZoneRecords: d.limits.zoneRecords,
		MaxZoneBytes:   d.limits.zoneBytes,
		LeaseUntil:     deadline(lease),
		KeyLeaseUntil:  deadline(keyLease),
	}
	cs, v, err := z.Update(func(t *zone.Txn) error { return update.Apply(t, r, opts) })
	var uerr *update.Error
	switch {
	case errors.As(err, &uerr):
		return uerr.Rcode, nil, uerr
	case errors.Is(err, zone.ErrOverloaded):
		// Back-pressure, as BIND's update-quota: the client may retry.
		return dns.RcodeRefused, nil, err
	case err != nil:
		return dns.RcodeServerFailure, nil, err
	}
	d.committed(origin, state.IP(), key, cs, v)
	if d.ptrEnabled(origin) {
		// The forward change stands; the client retries, and the retry
		// redoes the PTR change (see followUpdate).
		if err := d.followUpdate(origin, r, cs); err != nil {
			return dns.RcodeServerFailure, nil, err
		}
	}
	return dns.RcodeSuccess, granted, nil
}

// committed does the bookkeeping of a committed update, in a turn of the
// pollgate, so that queries are read between such turns: the gauges, the
// audit line, NOTIFY and the health checks. The reply is not gated: a flood
// of 50 clients lost a quarter of its rate when replies waited for turns,
// and a reply costs about as much as the query it would let in.
func (d *DynDNS) committed(origin, client, key string, cs zone.Changeset, v *zone.Version) {
	defer pollgate.Shared().Enter().Leave() // a panic must not keep the turn
	if !cs.Empty() {
		d.observe(origin, v)
		audit(origin, client, key, cs)
	}
	if cs.ChangesRecords() {
		d.notify(origin)
		d.refreshChecks()
	}
}

// deadline is the lease deadline, in Unix seconds rounded up (a lease never
// ends early), of a lease starting now; 0 for no lease. Deadlines are
// absolute, so a restart never extends one.
func deadline(lease time.Duration) int64 {
	if lease == 0 {
		return 0
	}
	return time.Now().Add(lease + time.Second - 1).Unix()
}

// observe updates the zone gauges after a commit.
func (d *DynDNS) observe(origin string, v *zone.Version) {
	zoneRecords.WithLabelValues(origin).Set(float64(v.Records()))
	zoneSerial.WithLabelValues(origin).Set(float64(v.Serial()))
	zoneLeases.WithLabelValues(origin).Set(float64(v.Leases()))
}
