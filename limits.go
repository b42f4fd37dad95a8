package dyndns

import "fmt"

// limits bound what one UPDATE and one zone may hold.
type limits struct {
	updateRecords int // records in one UPDATE message (prerequisites and updates)
	zoneRecords   int // explicit records in one zone
}

// defaultLimits are generous for a service registry yet stop a runaway
// client from exhausting memory.
var defaultLimits = limits{updateRecords: 1000, zoneRecords: 1_000_000}

func errLimit(name string, n, max int) error {
	return fmt.Errorf("%d records, over %s %d", n, name, max)
}
