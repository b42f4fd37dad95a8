package zone

import (
	"fmt"
	"maps"
	"testing"
)

// FuzzTree runs the operations a byte string spells on a tree and on a map:
// each pair of bytes sets or deletes one of 512 keys (short and long ones,
// so nodes split and join), and now and then freezes a version and goes on
// from a clone of it. Every frozen version must still hold what it held.
//
//	go test -run XXX -fuzz FuzzTree ./plugin/zone
func FuzzTree(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5})
	seq := make([]byte, 0, 400)
	for i := range 200 { // 100 keys in order, then deleted: splits at the end, then joins
		seq = append(seq, byte(i%100), byte(i/100))
	}
	f.Add(seq)
	f.Fuzz(func(t *testing.T, ops []byte) {
		type frozen struct {
			tree tree[int]
			want map[string]int
		}
		var versions []frozen
		tr, want := newTree[int]().clone(), map[string]int{}
		for i := 0; i+1 < len(ops); i += 2 {
			a, b := ops[i], ops[i+1]
			k := fmt.Sprintf("%0*d", 1+int(b>>5), int(a)|int(b&2)<<7) // 512 keys, 1 to 8 digits
			switch {
			case b&1 == 0:
				tr.set(k, i)
				want[k] = i
			default:
				tr.delete(k)
				delete(want, k)
			}
			if b&0x1c == 0x1c {
				versions = append(versions, frozen{tr.frozen(), maps.Clone(want)})
				tr = tr.frozen().clone()
			}
		}
		versions = append(versions, frozen{tr.frozen(), want})
		for i, v := range versions {
			checkTree(t, v.tree, v.want, fmt.Sprintf("version %d", i))
		}
	})
}
