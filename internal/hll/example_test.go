package hll_test

import (
	"fmt"

	"github.com/shinglekv/shingle/internal/hll"
)

// Example runs PFADD, PFCOUNT, PFADD again and PFMERGE the way a command
// layer would, storing what each returns.
func Example() {
	keys := map[string][]byte{}

	v, changed, _ := hll.Add(keys["visits"], hll.DefaultSparseMaxBytes, []byte("alice"), []byte("bob"))
	keys["visits"] = v
	fmt.Println("PFADD:", changed)

	card, cached, _ := hll.Count(keys["visits"])
	if cached != nil {
		keys["visits"] = cached // the estimate is cached in the string
	}
	fmt.Println("PFCOUNT:", card)

	v, changed, _ = hll.Add(keys["visits"], hll.DefaultSparseMaxBytes, []byte("bob"))
	fmt.Println("PFADD again:", changed, v == nil)

	merged, _ := hll.Merge(hll.DefaultSparseMaxBytes, keys["all"], keys["visits"], keys["missing"])
	keys["all"] = merged
	n, _ := hll.CountMerged(keys["all"], keys["visits"])
	enc, _ := hll.Encoding(keys["all"])
	fmt.Println("PFCOUNT all visits:", n, enc)

	_, _, err := hll.Add([]byte("not an hll"), hll.DefaultSparseMaxBytes, []byte("x"))
	fmt.Println(err)
	// Output:
	// PFADD: true
	// PFCOUNT: 2
	// PFADD again: false true
	// PFCOUNT all visits: 2 sparse
	// WRONGTYPE Key is not a valid HyperLogLog string value.
}
