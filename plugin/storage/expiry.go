package storage

import (
	"time"

	"github.com/dyndns/dyndns/plugin/zone"
)

// retryExpiry is how long RunExpiry waits after a failed expiry (a full
// disk, etcd unreachable) before it tries again.
const retryExpiry = time.Second

// RunExpiry deletes z's records when their lease runs out, until stop is
// closed: it sleeps until the earliest deadline, or until a commit brings an
// earlier one. Each expiry is one commit; report (which may return nil)
// says who is told of it.
func RunExpiry(z *zone.Zone, stop <-chan struct{}, report func() Expired, warnf func(string, ...any)) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait := time.Hour
		if next, ok := z.NextExpiry(); ok {
			wait = max(time.Until(next), 0)
		}
		timer.Reset(wait)
		select {
		case <-stop:
			return
		case <-z.ExpiryChanged():
			continue
		case <-timer.C:
		}
		expired, v, err := z.Expire(time.Now())
		if err != nil {
			warnf("zone %s: expiring leases failed, retrying: %v", z.Origin(), err)
			select {
			case <-stop:
				return
			case <-time.After(retryExpiry):
			}
			continue
		}
		if fn := report(); fn != nil && len(expired) > 0 {
			fn(expired, v)
		}
	}
}
