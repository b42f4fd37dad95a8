package dyndns

import (
	"sync/atomic"

	"github.com/coredns/coredns/plugin/transfer"
	"github.com/dyndns/dyndns/plugin/serial"
	"github.com/miekg/dns"
)

// Transfer implements transfer.Transferer: an AXFR of the current version,
// derived records included so that stock secondaries serve them too. An IXFR
// from a serial at or past ours gets our SOA alone; any other IXFR gets the
// whole zone (RFC 1995 §4 allows the fallback).
func (d *DynDNS) Transfer(origin string, from uint32) (<-chan []dns.RR, error) {
	z := d.zones[origin]
	if z == nil {
		return nil, transfer.ErrNotAuthoritative
	}
	v := z.Current()
	soa := v.SOA()
	ch := make(chan []dns.RR)
	go func() {
		defer close(ch)
		if from != 0 && !serial.Less(from, soa.Serial) {
			ch <- []dns.RR{soa}
			return
		}
		const batch = 500
		rrs := make([]dns.RR, 0, batch)
		v.WalkServed(func(rr dns.RR) error {
			if rrs = append(rrs, rr); len(rrs) == batch {
				ch <- rrs
				rrs = make([]dns.RR, 0, batch)
			}
			return nil
		})
		ch <- append(rrs, soa)
	}()
	return ch, nil
}

// notify tells the secondaries of the transfer plugin that origin changed.
// Bursts of updates coalesce: while a NOTIFY round is under way, further
// changes only ask for one more round after it.
func (d *DynDNS) notify(origin string) {
	t := d.xfer.Load()
	if t == nil {
		return
	}
	p, _ := d.notifying.LoadOrStore(origin, new(atomic.Int32))
	pending := p.(*atomic.Int32)
	if pending.Add(1) > 1 {
		return // the running round will go again
	}
	go func() {
		for {
			if err := t.Notify(origin); err != nil {
				log.Warningf("notify for %s: %v", origin, err)
			}
			if pending.Add(-1) == 0 {
				return
			}
			pending.Store(1) // changes arrived meanwhile: one more round covers them all
		}
	}()
}
