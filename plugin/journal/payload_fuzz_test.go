package journal

import (
	"bytes"
	"testing"
)

// FuzzPayload reaches the entry decoder directly, which FuzzOpen rarely
// does because random bytes seldom carry valid checksums. Whatever decodes
// must encode again, and encoding must be stable from then on.
func FuzzPayload(f *testing.F) {
	e := Entry{From: 1, To: 2,
		Del: parseRRs(f, []string{"a.example.org. 300 IN A 192.0.2.1"}),
		Add: parseRRs(f, []string{`u.example.org. 300 IN TYPE65280 \# 2 abcd`, "example.org. 300 IN MX 10 mail.example.org."}),
	}
	p, err := appendPayload(nil, &e)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p)
	f.Fuzz(func(t *testing.T, p []byte) {
		e, err := decodePayload(p)
		if err != nil {
			return
		}
		once, err := appendPayload(nil, &e)
		if err != nil {
			t.Fatalf("decoded entry does not encode: %v", err)
		}
		e2, err := decodePayload(once)
		if err != nil {
			t.Fatalf("re-encoded entry does not decode: %v", err)
		}
		twice, err := appendPayload(nil, &e2)
		if err != nil || !bytes.Equal(once, twice) {
			t.Fatalf("encoding is not stable: %v", err)
		}
	})
}
