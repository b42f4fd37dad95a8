package zone

// Names are keyed in the tree by their labels below the zone apex, lower-cased,
// in reverse order, each followed by a zero byte: "web.prod.example.org." in zone
// "example.org." is "prod\x00web\x00". The apex is the empty key. Byte order of
// these keys is DNS canonical order (RFC 4034 §6.1), so a walk of the tree is a
// canonical walk of the zone, and every ancestor's key is a prefix of its
// descendants' keys. Presentation-format escapes stay as they are (a raw zero
// byte is always written as \000), so the separator never occurs in a label.

const maxLabels = 128

// appendKey appends the key of name (a FQDN at or below origin, any case) to dst.
func appendKey(dst []byte, name, origin string) []byte {
	rel := relative(name, origin)
	if rel == "" {
		return dst
	}
	var ends [maxLabels]int
	n := 0
	for i := 0; i < len(rel); i++ {
		switch rel[i] {
		case '\\':
			i++ // the escaped byte never ends a label
		case '.':
			if n < maxLabels {
				ends[n] = i
				n++
			}
		}
	}
	if n < maxLabels {
		ends[n] = len(rel)
		n++
	}
	for l := n - 1; l >= 0; l-- {
		from := 0
		if l > 0 {
			from = ends[l-1] + 1
		}
		for _, c := range []byte(rel[from:ends[l]]) {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
		}
		dst = append(dst, 0)
	}
	return dst
}

// relative returns name without origin and without the dot between them; "" for the apex.
func relative(name, origin string) string {
	if len(name) <= len(origin) {
		return ""
	}
	if origin == "." {
		return name[:len(name)-1]
	}
	return name[:len(name)-len(origin)-1]
}

// parentName returns name without its first label ("." for a single label).
func parentName(name string) string {
	i := firstDot(name)
	if i+1 >= len(name) {
		return "."
	}
	return name[i+1:]
}

// firstLabel returns the first label of name, without the dot.
func firstLabel(name string) string { return name[:firstDot(name)] }

// firstDot returns the index of the dot ending name's first label (len(name)
// when there is none), skipping escaped dots.
func firstDot(name string) int {
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '\\':
			i++
		case '.':
			return i
		}
	}
	return len(name)
}
