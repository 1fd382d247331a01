package linear_test

import (
	"fmt"
	"time"

	"github.com/shinglekv/shingle/internal/linear"
)

// Two clients, one after the other: the second reads a value the first
// had overwritten before the read began, which no order of the calls
// explains. A counter whose acknowledged increment the final value does
// not reflect is a lost write.
func ExampleCheck() {
	var rec linear.Recorder
	rec.Invoke(0, linear.Set("x", "a")).Ok(linear.Output{})
	rec.Invoke(0, linear.Set("x", "b")).Ok(linear.Output{})
	rec.Invoke(1, linear.Get("x")).Ok(linear.Output{Value: "a"})
	c := rec.Invoke(0, linear.Incr("n"))
	c.Ok(linear.Output{Int: 1})
	c.Ack() // WAIT 1 said a replica has it

	h := rec.History()
	res, _ := linear.Check(h, time.Minute)
	fmt.Println(res)
	for _, op := range linear.Lost(h, map[string]string{"n": "0"}, true) {
		fmt.Println("lost:", op.Input, "->", op.Output.Int)
	}
	// Output:
	// Illegal
	// lost: INCR n -> 1
}
