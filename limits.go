package dyndns

import "fmt"

// limits bound what one UPDATE and one zone may hold.
type limits struct {
	updateRecords int // records in one UPDATE message (prerequisites and updates)
	zoneRecords   int // explicit records in one zone
	zoneBytes     int // wire size of a zone's explicit records
	queuedUpdates int // updates of one zone waiting for its writer
}

// defaultLimits are generous for a service registry yet stop a runaway
// client from exhausting memory.
// The queue holds one goroutine and one message (at most 64 KB) per waiting
// update; 500 is ten times the concurrency the benchmarks use, and bounds
// a flood's memory to tens of megabytes.
var defaultLimits = limits{updateRecords: 1000, zoneRecords: 1_000_000, zoneBytes: 1 << 30, queuedUpdates: 500}

func errLimit(name string, n, max int) error {
	return fmt.Errorf("%d records, over %s %d", n, name, max)
}
