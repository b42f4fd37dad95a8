package dyndns

import (
	"errors"
	"fmt"
	"time"

	"github.com/coredns/coredns/plugin/pkg/durations"
	"github.com/miekg/dns"
)

// leasePolicy is a block's `lease` line: how the Update Lease option of
// RFC 9664 is honoured.
type leasePolicy struct {
	off      bool          // leases ignored: no update gets one, replies carry no option
	def      time.Duration // lease of updates without the option (0: none, records are permanent)
	min, max time.Duration // bounds of a granted lease
}

// maxKeyLease is RFC 9664's recommended upper bound for KEY-LEASE.
const maxKeyLease = 7 * 24 * time.Hour

// defaultLeasePolicy follows RFC 9664's recommendations: leases between
// 30 seconds and 24 hours, none unless the client asks.
var defaultLeasePolicy = leasePolicy{min: 30 * time.Second, max: 24 * time.Hour}

// parseLease reads "lease [default DURATION|off] [min DURATION] [max DURATION]",
// and "lease off", which turns leases off.
func parseLease(args []string) (leasePolicy, error) {
	p := defaultLeasePolicy
	if len(args) == 0 {
		return p, errors.New("wants default, min, max or off")
	}
	if len(args) == 1 && args[0] == "off" {
		p.off = true
		return p, nil
	}
	seen := map[string]bool{}
	for i := 0; i < len(args); i += 2 {
		key := args[i]
		if seen[key] {
			return p, fmt.Errorf("%s given twice", key)
		}
		seen[key] = true
		if i+1 == len(args) {
			return p, fmt.Errorf("%s wants a value", key)
		}
		val := args[i+1]
		if key == "default" && val == "off" {
			p.def = 0
			continue
		}
		d, err := durations.NewDurationFromArg(val)
		if err != nil || d <= 0 || d%time.Second != 0 {
			return p, fmt.Errorf("%s %q is not a positive number of seconds", key, val)
		}
		switch key {
		case "default":
			p.def = d
		case "min":
			p.min = d
		case "max":
			p.max = d
		default:
			return p, fmt.Errorf("unknown lease setting %q", key)
		}
	}
	if p.min > p.max {
		return p, fmt.Errorf("min %v is above max %v", p.min, p.max)
	}
	if p.def != 0 && (p.def < p.min || p.def > p.max) {
		return p, fmt.Errorf("default %v is outside min %v and max %v", p.def, p.min, p.max)
	}
	return p, nil
}

// clamp bounds a requested lease by min and hi.
func (p leasePolicy) clamp(d, hi time.Duration) time.Duration { return min(max(d, p.min), hi) }

// grant decides the leases of an UPDATE: the LEASE of its records and the
// KEY-LEASE of its KEY records (0: no lease), and the option the NOERROR
// reply carries (nil: none, the client asked for nothing).
func (p leasePolicy) grant(r *dns.Msg) (lease, keyLease time.Duration, reply *dns.EDNS0_UL) {
	if p.off {
		return 0, 0, nil
	}
	if opt := r.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			ul, ok := o.(*dns.EDNS0_UL)
			if !ok {
				continue
			}
			lease = p.clamp(time.Duration(ul.Lease)*time.Second, p.max)
			keyLease = lease
			reply = &dns.EDNS0_UL{Code: dns.EDNS0UL, Lease: uint32(lease / time.Second)}
			if ul.KeyLease != 0 { // the 8-byte form: answer in it
				keyLease = p.clamp(time.Duration(ul.KeyLease)*time.Second, max(p.max, maxKeyLease))
				reply.KeyLease = uint32(keyLease / time.Second)
			}
			return lease, keyLease, reply
		}
	}
	return p.def, p.def, nil
}
