package serial

import "testing"

func TestLess(t *testing.T) {
	tests := []struct {
		a, b uint32
		want bool
	}{
		{1, 2, true},
		{2, 1, false},
		{5, 5, false},
		{4294967295, 1, true}, // wraps
		{1, 4294967295, false},
		{0, 1 << 31, false}, // incomparable
		{1 << 31, 0, false},
		{0, 1<<31 - 1, true},
	}
	for _, tc := range tests {
		if got := Less(tc.a, tc.b); got != tc.want {
			t.Errorf("Less(%d, %d) = %v", tc.a, tc.b, got)
		}
	}
}

func TestNext(t *testing.T) {
	for _, tc := range []struct{ in, want uint32 }{{1, 2}, {4294967294, 4294967295}, {4294967295, 1}} {
		if got := Next(tc.in); got != tc.want {
			t.Errorf("Next(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
