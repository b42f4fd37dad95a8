package dyndns

import (
	"sync/atomic"

	"github.com/coredns/coredns/plugin/transfer"
	"github.com/dyndns/dyndns/plugin/serial"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// Transfer implements transfer.Transferer. An AXFR (from 0) sends the current
// version, derived records included, so that stock secondaries serve them
// too. An IXFR (RFC 1995) from a serial at or past ours gets our SOA alone;
// from a serial the zone's history reaches, the condensed difference from
// that serial to the current one; from any other, the whole zone (the
// AXFR-style fallback of RFC 1995 §4). Each transfer is one version of the
// zone, however many updates commit meanwhile.
func (d *DynDNS) Transfer(origin string, from uint32) (<-chan []dns.RR, error) {
	z := d.zones[origin]
	if z == nil {
		return nil, transfer.ErrNotAuthoritative
	}
	ch := make(chan []dns.RR)
	v := z.Current()
	if from != 0 && !serial.Less(from, v.Serial()) {
		go func() { ch <- []dns.RR{v.SOA()}; close(ch) }()
		return ch, nil
	}
	if from != 0 {
		var oldSOA *dns.SOA
		var removed, added []dns.RR
		var ok bool
		if v, oldSOA, removed, added, ok = z.Incremental(from); ok {
			go sendIncremental(ch, v.SOA(), oldSOA, removed, added)
			return ch, nil
		}
	}
	go sendAll(ch, v)
	return ch, nil
}

// transferBatch is how many records go to the transfer plugin at once; it
// packs them into messages of up to 64 KB.
const transferBatch = 500

// sendAll sends the whole version: SOA, every served record, SOA.
func sendAll(ch chan<- []dns.RR, v *zone.Version) {
	defer close(ch)
	rrs := make([]dns.RR, 0, transferBatch)
	v.WalkServed(func(rr dns.RR) error {
		if rrs = append(rrs, rr); len(rrs) == transferBatch {
			ch <- rrs
			rrs = make([]dns.RR, 0, transferBatch)
		}
		return nil
	})
	ch <- append(rrs, v.SOA())
}

// sendIncremental sends one condensed difference sequence (RFC 1995 §4):
// the new SOA, the old SOA, the removed records, the new SOA, the added
// records, and the new SOA again.
func sendIncremental(ch chan<- []dns.RR, cur, old *dns.SOA, removed, added []dns.RR) {
	defer close(ch)
	ch <- []dns.RR{cur, old}
	sendBatches(ch, removed)
	ch <- []dns.RR{cur}
	sendBatches(ch, added)
	ch <- []dns.RR{cur}
}

// sendBatches sends rrs transferBatch records at a time.
func sendBatches(ch chan<- []dns.RR, rrs []dns.RR) {
	for len(rrs) > 0 {
		n := min(len(rrs), transferBatch)
		ch <- rrs[:n]
		rrs = rrs[n:]
	}
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
