package hll

import "testing"

// TestPatLen checks elements against redis-server 7.0's answers: the
// register and value read off PFDEBUG DECODE after PFADD of the element
// alone. The lengths cover every tail the hash handles on its own.
func TestPatLen(t *testing.T) {
	for _, c := range []struct {
		ele   string
		index int
		count uint8
	}{
		{"", 5938, 2},
		{"a", 12711, 2},
		{"b", 15780, 1},
		{"ab", 719, 1},
		{"foo", 7348, 5},
		{"abcd", 11070, 8},
		{"hello", 9216, 1},
		{"abcdef", 13647, 2},
		{"abcdefg", 5634, 2},
		{"abcdefgh", 1383, 1},
		{"abcdefghi", 6903, 1},
		{"abcdefghijklmno", 12377, 4},
		{"0123456789abcdef", 5949, 1},
	} {
		index, count := patLen([]byte(c.ele))
		if index != c.index || count != c.count {
			t.Errorf("patLen(%q) = %d, %d; redis-server: %d, %d", c.ele, index, count, c.index, c.count)
		}
	}
}

// TestPatLenOf checks the ends of the zero run: the register is the low P
// bits, the value counts zeros from bit P up, one at least and q+1 at
// most.
func TestPatLenOf(t *testing.T) {
	for _, c := range []struct {
		hash  uint64
		index int
		count uint8
	}{
		{0, 0, q + 1},
		{Registers - 1, Registers - 1, q + 1},
		{1 << P, 0, 1},
		{1<<P | 5, 5, 1},
		{1 << (P + 1), 0, 2},
		{1 << 63, 0, q},
		{^uint64(0), Registers - 1, 1},
	} {
		index, count := patLenOf(c.hash)
		if index != c.index || count != c.count {
			t.Errorf("patLenOf(%#x) = %d, %d; want %d, %d", c.hash, index, count, c.index, c.count)
		}
	}
}
