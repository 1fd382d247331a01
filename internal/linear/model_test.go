package linear

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// op builds a call of a hand-made history over [start, end] (in
// nanoseconds); end is ignored for the outcomes that have none.
func op(client int, in Input, outcome Outcome, out Output, start, end int) Op {
	return Op{Client: client, Input: in, Outcome: outcome, Output: out, Start: time.Duration(start), End: time.Duration(end)}
}

func ok(client int, in Input, out Output, start, end int) Op {
	return op(client, in, OK, out, start, end)
}

func TestCheck(t *testing.T) {
	val := func(v string) Output { return Output{Value: v} }
	nilOut := Output{Nil: true}
	num := func(n int64) Output { return Output{Int: n} }
	for _, c := range []struct {
		name    string
		history []Op
		want    porcupine.CheckResult
	}{
		{"empty", nil, porcupine.Ok},
		{"sequential", []Op{
			ok(0, Get("x"), nilOut, 0, 5),
			ok(0, Set("x", "a"), Output{}, 10, 20),
			ok(1, Get("x"), val("a"), 30, 40),
		}, porcupine.Ok},
		{"a read concurrent with the write sees either value", []Op{
			ok(0, Set("x", "a"), Output{}, 0, 100),
			ok(1, Get("x"), nilOut, 10, 20),
			ok(1, Get("x"), val("a"), 30, 40),
		}, porcupine.Ok},
		{"intervals are closed: a read that starts as the write ends may miss it", []Op{
			ok(0, Set("x", "a"), Output{}, 0, 10),
			ok(1, Get("x"), nilOut, 10, 20),
		}, porcupine.Ok},
		{"a value never goes back", []Op{
			ok(0, Set("x", "a"), Output{}, 0, 100),
			ok(1, Get("x"), val("a"), 10, 20),
			ok(1, Get("x"), nilOut, 30, 40),
		}, porcupine.Illegal},
		{"stale read", []Op{
			ok(0, Set("x", "a"), Output{}, 0, 10),
			ok(0, Set("x", "b"), Output{}, 20, 30),
			ok(1, Get("x"), val("a"), 40, 50),
		}, porcupine.Illegal},
		{"a value nobody wrote", []Op{
			ok(1, Get("x"), val("z"), 40, 50),
		}, porcupine.Illegal},
		{"counter", []Op{
			ok(0, Incr("c"), num(1), 0, 10),
			ok(1, Incr("c"), num(2), 5, 30),
			ok(0, Get("c"), val("2"), 40, 50),
		}, porcupine.Ok},
		{"a lost increment", []Op{
			ok(0, Incr("c"), num(1), 0, 10),
			ok(1, Incr("c"), num(1), 20, 30),
		}, porcupine.Illegal},
		{"INCR of a value SET", []Op{
			ok(0, Set("c", "41"), Output{}, 0, 10),
			ok(1, Incr("c"), num(42), 20, 30),
		}, porcupine.Ok},
		{"INCR of a value that is no integer never succeeds", []Op{
			ok(0, Set("c", "a"), Output{}, 0, 10),
			ok(1, Incr("c"), num(1), 20, 30),
		}, porcupine.Illegal},
		{"an unknown write that took effect", []Op{
			ok(0, Set("x", "a"), Output{}, 0, 10),
			op(0, Set("x", "b"), Unknown, Output{}, 20, 25),
			ok(1, Get("x"), val("b"), 1000, 1010),
		}, porcupine.Ok},
		{"an unknown write that did not take effect", []Op{
			ok(0, Set("x", "a"), Output{}, 0, 10),
			op(0, Set("x", "b"), Unknown, Output{}, 20, 25),
			ok(1, Get("x"), val("a"), 1000, 1010),
		}, porcupine.Ok},
		{"an unknown write that took effect late", []Op{
			ok(0, Set("x", "a"), Output{}, 0, 10),
			op(0, Set("x", "b"), Unknown, Output{}, 20, 25),
			ok(1, Get("x"), val("a"), 1000, 1010),
			ok(1, Get("x"), val("b"), 2000, 2010),
		}, porcupine.Ok},
		{"an unknown write takes effect once", []Op{
			ok(0, Set("x", "a"), Output{}, 0, 10),
			op(0, Set("x", "b"), Unknown, Output{}, 20, 25),
			ok(1, Get("x"), val("b"), 1000, 1010),
			ok(1, Get("x"), val("a"), 2000, 2010),
		}, porcupine.Illegal},
		{"an unknown write cannot take effect before its call", []Op{
			ok(1, Get("x"), val("b"), 0, 10),
			op(0, Set("x", "b"), Unknown, Output{}, 20, 25),
		}, porcupine.Illegal},
		{"a pending write is an unknown one", []Op{
			op(0, Set("x", "b"), Pending, Output{}, 20, 0),
			ok(1, Get("x"), val("b"), 1000, 1010),
		}, porcupine.Ok},
		{"an unknown INCR counts, or not", []Op{
			ok(0, Incr("c"), num(1), 0, 10),
			op(0, Incr("c"), Unknown, Output{}, 20, 25),
			ok(1, Incr("c"), num(2), 30, 40),
			ok(1, Incr("c"), num(4), 50, 60),
		}, porcupine.Ok},
		{"a failed write did not happen", []Op{
			ok(0, Set("x", "a"), Output{}, 0, 10),
			op(0, Set("x", "b"), Failed, Output{}, 20, 25),
			ok(1, Get("x"), val("b"), 1000, 1010),
		}, porcupine.Illegal},
		{"a read whose reply is unknown constrains nothing", []Op{
			ok(0, Set("x", "a"), Output{}, 0, 10),
			op(1, Get("x"), Unknown, Output{}, 20, 25),
			op(1, Get("x"), Pending, Output{}, 30, 0),
		}, porcupine.Ok},
		{"keys are independent", []Op{
			ok(0, Set("x", "a"), Output{}, 0, 10),
			ok(1, Set("y", "b"), Output{}, 0, 10),
			ok(0, Get("y"), val("b"), 20, 30),
			ok(1, Get("x"), val("a"), 20, 30),
		}, porcupine.Ok},
		{"one key's violation is the history's", []Op{
			ok(0, Set("x", "a"), Output{}, 0, 10),
			ok(1, Set("y", "b"), Output{}, 0, 10),
			ok(0, Get("y"), nilOut, 20, 30),
			ok(1, Get("x"), val("a"), 20, 30),
		}, porcupine.Illegal},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, _ := Check(c.history, time.Minute); got != c.want {
				t.Errorf("Check: %s, want %s", got, c.want)
			}
		})
	}
}

// TestOperations: what porcupine is given. A failed call and a read of
// unknown outcome are dropped; an unknown write returns at the end of
// time.
func TestOperations(t *testing.T) {
	ops := Operations([]Op{
		op(2, Set("x", "b"), Unknown, Output{}, 20, 25),
		ok(0, Set("x", "a"), Output{}, 0, 10),
		op(1, Set("x", "c"), Failed, Output{}, 5, 15),
		op(1, Get("x"), Unknown, Output{}, 30, 40),
	})
	if len(ops) != 2 {
		t.Fatalf("%d operations, want 2: %v", len(ops), ops)
	}
	if ops[0].Input != Set("x", "a") || ops[0].Call != 0 || ops[0].Return != 10 || ops[0].ClientId != 0 {
		t.Errorf("the write that replied: %+v", ops[0])
	}
	if ops[1].Input != Set("x", "b") || ops[1].Call != 20 || ops[1].Return != math.MaxInt64 {
		t.Errorf("the unknown write: %+v", ops[1])
	}
}

// TestVisualize: a history that is not linearizable draws.
func TestVisualize(t *testing.T) {
	res, info := Check([]Op{
		ok(0, Set("x", "a"), Output{}, 0, 10),
		ok(0, Incr("c"), Output{Int: 1}, 0, 10),
		ok(1, Get("x"), Output{Nil: true}, 20, 30),
		op(1, Incr("c"), Unknown, Output{}, 20, 30),
	}, time.Minute)
	if res != porcupine.Illegal {
		t.Fatalf("Check: %s", res)
	}
	var b strings.Builder
	if err := Visualize(&b, info); err != nil {
		t.Fatal(err)
	}
	// The page embeds the operations as JSON, which escapes ">".
	for _, want := range []string{`GET x -\u003e nil`, `INCR c -\u003e ?`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the page does not show %q", want)
		}
	}
}
