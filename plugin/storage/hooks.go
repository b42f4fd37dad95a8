package storage

import (
	"sync/atomic"

	"github.com/dyndns/dyndns/plugin/zone"
)

// ExpiredHook keeps who is told of expired records. A Store embeds it for
// SetExpired, and gives its Report to RunExpiry.
type ExpiredHook struct{ fn atomic.Pointer[Expired] }

// SetExpired implements Store.SetExpired.
func (h *ExpiredHook) SetExpired(fn Expired) {
	if fn == nil {
		h.fn.Store(nil)
		return
	}
	h.fn.Store(&fn)
}

// Report returns who is told of expired records now (nil: nobody).
func (h *ExpiredHook) Report() Expired {
	if fn := h.fn.Load(); fn != nil {
		return *fn
	}
	return nil
}

// HistorySize is how many changesets a Store.SetHistory value keeps: 0 is
// the default, a negative value none.
func HistorySize(n int) int {
	switch {
	case n == 0:
		return zone.DefaultHistory
	case n < 0:
		return 0
	}
	return n
}
