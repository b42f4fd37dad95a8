package journal

// serialLE reports whether a <= b in RFC 1982 serial number arithmetic.
// Pairs exactly 2^31 apart are undefined by the RFC; they compare as not
// less-or-equal, so Compact keeps rather than drops such an entry.
func serialLE(a, b uint32) bool {
	d := b - a // wraps modulo 2^32, as RFC 1982 requires
	return d < 1<<31
}
