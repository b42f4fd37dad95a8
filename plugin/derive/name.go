package derive

import "strings"

const (
	maxLabel = 63  // octets in one label (RFC 1035 2.3.4)
	maxName  = 253 // presentation octets of a relative name whose FQDN fits in 255 wire octets
)

// isNameByte reports whether c may appear in a derived label: the hostname
// characters plus '_' for service labels such as _http._tcp. Upper case is
// excluded because everything is lower-cased before it gets here.
func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// nameBytes reports whether a field value may be substituted into a name.
// Values come from a label in presentation format, which may hold escapes,
// '*' or dots; letting those through would create wildcards or extra labels
// the template never had.
func nameBytes(v string) bool {
	for i := 0; i < len(v); i++ {
		if !isNameByte(v[i]) {
			return false
		}
	}
	return true
}

// validLengths reports whether the dot-separated name has only non-empty
// labels of at most maxLabel octets and fits maxName.
func validLengths(name string) bool {
	if name == "" || len(name) > maxName {
		return false
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > maxLabel {
			return false
		}
	}
	return true
}

// lower lower-cases ASCII letters only, as DNS names compare (RFC 4343); it
// returns s itself, without allocating, when s has no upper case.
func lower(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' })
	if i < 0 {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if c := b[i]; 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
