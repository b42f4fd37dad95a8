// Package serial is SOA serial number arithmetic (RFC 1982).
package serial

// Less reports whether a comes before b. Serials exactly 2^31 apart are
// incomparable (RFC 1982 §3.2) and never less.
func Less(a, b uint32) bool { return a != b && int32(b-a) > 0 }

// Next is the serial after s, skipping zero: RFC 2136 §7.11 advises against
// it, since some software reads a zero serial as "none".
func Next(s uint32) uint32 {
	if s+1 == 0 {
		return 1
	}
	return s + 1
}
