package dyndns

import (
	"context"
	"errors"
	"net/netip"
	"strings"

	"github.com/coredns/coredns/plugin/tsig"
	"github.com/coredns/coredns/request"
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
	rcode, err := d.update(ctx, state, origin)
	if err != nil {
		log.Infof("update of %q from %s refused with %s: %v", origin, state.IP(), dns.RcodeToString[rcode], err)
	}
	m := new(dns.Msg)
	m.SetRcode(r, rcode) // ID, opcode and the zone section echoed (§3.8)
	w.WriteMsg(m)
	updates.WithLabelValues(serverOf(ctx), origin, dns.RcodeToString[rcode]).Inc()
	return dns.RcodeSuccess, nil
}

// update checks the zone section (§3.1) and the limits, then applies the
// message to its zone. It returns the rcode and, for a failure, why.
func (d *DynDNS) update(ctx context.Context, state request.Request, origin string) (int, error) {
	r := state.Req
	if len(r.Question) != 1 || r.Question[0].Qtype != dns.TypeSOA {
		return dns.RcodeFormatError, errors.New("the zone section must hold one SOA question")
	}
	z := d.zones[origin]
	if z == nil || r.Question[0].Qclass != dns.ClassINET {
		return dns.RcodeNotAuth, errors.New("not a zone served here")
	}
	if n := len(r.Answer) + len(r.Ns); n > d.limits.updateRecords {
		return dns.RcodeRefused, errLimit("max-update-records", n, d.limits.updateRecords)
	}
	key, _ := tsig.ValidatedKeyName(ctx)
	addr, _ := netip.ParseAddr(state.IP())
	opts := update.Options{
		Permit:         func([]dns.RR) bool { return d.allow.Allowed(addr, key) },
		MaxZoneRecords: d.limits.zoneRecords,
	}
	cs, v, err := z.Update(func(t *zone.Txn) error { return update.Apply(t, r, opts) })
	if err != nil {
		var uerr *update.Error
		if errors.As(err, &uerr) {
			return uerr.Rcode, uerr
		}
		log.Errorf("update of %s not committed: %v", origin, err)
		return dns.RcodeServerFailure, err
	}
	if !cs.Empty() {
		zoneRecords.WithLabelValues(origin).Set(float64(v.Records()))
		zoneSerial.WithLabelValues(origin).Set(float64(v.Serial()))
		d.notify(origin)
	}
	return dns.RcodeSuccess, nil
}
