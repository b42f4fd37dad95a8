// Package dyndns is a CoreDNS plugin that serves zones changed by RFC 2136
// dynamic updates, derives service names from host names, and answers them
// round-robin.
package dyndns

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coredns/coredns/plugin"
	clog "github.com/coredns/coredns/plugin/pkg/log"
	"github.com/coredns/coredns/plugin/transfer"
	"github.com/coredns/coredns/request"
	"github.com/dyndns/dyndns/plugin/acl"
	"github.com/dyndns/dyndns/plugin/check"
	"github.com/dyndns/dyndns/plugin/derive"
	"github.com/dyndns/dyndns/plugin/etcdstore"
	"github.com/dyndns/dyndns/plugin/grant"
	"github.com/dyndns/dyndns/plugin/rotate"
	"github.com/dyndns/dyndns/plugin/storage"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

var log = clog.NewWithPlugin(pluginName)

// DynDNS is the dyndns handler of one server block.
type DynDNS struct {
	Next plugin.Handler

	origins    []string // the zones, lower-case FQDNs
	zones      map[string]*zone.Zone
	directory  string
	backend    storage.Backend   // where the zones are kept: directory (or memory), or etcd
	etcd       *etcdstore.Config // etcd lines, nil without
	rules      *derive.Rules
	order      rotate.Order
	maxAnswers int // address records of a derived service per answer (0: all)
	healthCfg  healthConfig
	checker    *check.Checker // nil without health lines
	allow      acl.List
	grants     grant.Policy // grant and deny lines, checked per record after allow-update
	nameserver nameserver   // the apex of zones without a zone file
	bound      []netip.Addr // the block's specific bind addresses
	limits     limits
	lease      leasePolicy
	ptr        bool // reverse zones follow the hosts, see ptr.go

	snapshotInterval    time.Duration
	snapshotJournalSize int64
	ixfrHistory         int // changesets kept for IXFR; see durable.Options.History

	failures  *rateLog  // log of failed updates
	gen       uint64    // the caddy instance's generation, see registry.go
	closeOnce sync.Once // OnShutdown may run more than once (test harnesses, reload)

	xfer      atomic.Pointer[transfer.Transfer] // for NOTIFY after updates
	notifying sync.Map                          // origin → *atomic.Int32, NOTIFY rounds wanted
}

func newDynDNS() *DynDNS {
	return &DynDNS{zones: map[string]*zone.Zone{}, limits: defaultLimits, lease: defaultLeasePolicy, failures: newRateLog()}
}

// ServeDNS answers queries for the zones from their current version, without
// locks, and hands UPDATE messages to the update engine. Other names go to
// the next plugin.
func (d *DynDNS) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	if r.Opcode == dns.OpcodeUpdate {
		return d.serveUpdate(ctx, w, r)
	}
	state := request.Request{W: w, Req: r}
	qname, qtype := state.Name(), state.QType()
	z := d.match(qname, qtype)
	if z == nil || r.Opcode != dns.OpcodeQuery {
		return plugin.NextOrFailure(d.Name(), d.Next, ctx, w, r)
	}
	if qtype == dns.TypeAXFR || qtype == dns.TypeIXFR {
		return d.serveTransfer(ctx, w, r, z)
	}
	m := new(dns.Msg)
	m.SetReply(r)
	z.Current().LookupShaped(m, qname, qtype, zone.Answers{Order: d.order, Max: d.maxAnswers, Health: d.health()})
	w.WriteMsg(state.Scrub(m))
	queries.WithLabelValues(serverOf(ctx), z.Origin()).Inc()
	return dns.RcodeSuccess, nil
}

// serveTransfer routes a zone transfer. Over TCP, transfers are the
// transfer plugin's, which runs right after dyndns and asks it (Transfer)
// for the records. Over UDP, an IXFR is answered with the current SOA alone,
// which RFC 1995 §2 says tells the client to ask again over TCP; the
// transfer plugin would refuse it. Without the transfer plugin in the
// block, nothing is transferred.
func (d *DynDNS) serveTransfer(ctx context.Context, w dns.ResponseWriter, r *dns.Msg, z *zone.Zone) (int, error) {
	if d.xfer.Load() == nil {
		return dns.RcodeRefused, nil
	}
	state := request.Request{W: w, Req: r}
	if state.Proto() == "udp" && state.QType() == dns.TypeIXFR {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		m.Answer = []dns.RR{z.Current().SOA()}
		w.WriteMsg(m)
		return dns.RcodeSuccess, nil
	}
	return plugin.NextOrFailure(d.Name(), d.Next, ctx, w, r)
}

// health is the health view of answers, nil without health checks.
func (d *DynDNS) health() zone.Health {
	if d.checker == nil {
		return nil
	}
	return healthView{d.checker}
}

// match returns the most specific zone holding qname, or nil. A DS query for
// the apex of one of our zones belongs to its parent zone when we serve that
// too (RFC 4035 §3.1.4.1).
func (d *DynDNS) match(qname string, qtype uint16) *zone.Zone {
	origin := plugin.Zones(d.origins).Matches(qname)
	if origin == "" {
		return nil
	}
	if qtype == dns.TypeDS && origin == qname && qname != "." {
		if parent := plugin.Zones(d.origins).Matches(parentOf(qname)); parent != "" {
			origin = parent
		}
	}
	return d.zones[origin]
}

// parentOf returns name without its first label.
func parentOf(name string) string {
	if i, end := dns.NextLabel(name, 0); !end {
		return name[i:]
	}
	return "."
}

// Name implements plugin.Handler.
func (d *DynDNS) Name() string { return pluginName }

// CacheBypassZones implements cache.ZoneBypasser: the cache plugin must not
// freeze the rotation, nor keep a service's old addresses after an update.
func (d *DynDNS) CacheBypassZones() []string { return d.origins }

// Ready implements ready.Readiness: zones are loaded during setup, so a
// running instance is ready.
func (d *DynDNS) Ready() bool { return len(d.zones) == len(d.origins) }
