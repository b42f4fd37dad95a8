package dyndns

// serialLess reports whether a comes before b in RFC 1982 serial arithmetic.
func serialLess(a, b uint32) bool { return a != b && int32(b-a) > 0 }
