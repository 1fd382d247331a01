package linear

import (
	"slices"
	"sync"
	"testing"
)

func TestLost(t *testing.T) {
	incr := func(n int64, acked bool) Op {
		o := ok(0, Incr("c"), Output{Int: n}, 0, 0)
		o.Acked = acked
		return o
	}
	unknown := op(0, Incr("c"), Unknown, Output{}, 0, 0)
	failed := op(0, Incr("c"), Failed, Output{}, 0, 0)
	for _, c := range []struct {
		name    string
		history []Op
		final   map[string]string
		acked   bool
		want    []int // indexes of history
	}{
		{"every increment is there", []Op{incr(1, true), incr(2, true), incr(3, true)},
			map[string]string{"c": "3"}, true, nil},
		{"the counter went further", []Op{incr(1, true), unknown, incr(3, true)},
			map[string]string{"c": "7"}, true, nil},
		{"the last increment is lost", []Op{incr(1, true), incr(2, true), incr(3, true)},
			map[string]string{"c": "2"}, true, []int{2}},
		{"a lost increment hidden by the later ones", []Op{incr(1, true), incr(2, true), incr(2, true), incr(3, true)},
			map[string]string{"c": "3"}, true, []int{2}},
		{"a missing key is 0", []Op{incr(1, true)}, map[string]string{}, true, []int{0}},
		{"a counter that is no integer any more", []Op{incr(1, true)}, map[string]string{"c": "x"}, true, []int{0}},
		{"unacknowledged increments may be lost", []Op{incr(1, true), incr(2, false), incr(3, false)},
			map[string]string{"c": "1"}, true, nil},
		{"unless every reply counts", []Op{incr(1, true), incr(2, false), incr(3, false)},
			map[string]string{"c": "1"}, false, []int{1, 2}},
		{"unknown and failed increments count for nothing", []Op{incr(1, true), unknown, failed},
			map[string]string{"c": "1"}, false, nil},
		{"a key that is SET is no counter", []Op{incr(5, true), ok(0, Set("c", "0"), Output{}, 0, 0)},
			map[string]string{"c": "0"}, true, nil},
		{"keys are counted apart", []Op{incr(1, true), ok(1, Incr("d"), Output{Int: 1}, 0, 0)},
			map[string]string{"c": "1"}, false, []int{1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var want []Op
			for _, i := range c.want {
				want = append(want, c.history[i])
			}
			if got := Lost(c.history, c.final, c.acked); !slices.Equal(got, want) {
				t.Errorf("Lost:\n got  %v\n want %v", got, want)
			}
		})
	}
}

// TestRecorder: calls from concurrent clients, each ended once; History
// is a copy; a call not ended is Pending.
func TestRecorder(t *testing.T) {
	var r Recorder
	var wg sync.WaitGroup
	for client := range 4 {
		wg.Go(func() {
			for range 100 {
				c := r.Invoke(client, Incr("c"))
				c.Ok(Output{Int: 1})
				c.Ack()
				r.Invoke(client, Get("c")).Fail()
				r.Invoke(client, Set("x", "v")).Unknown()
			}
		})
	}
	wg.Wait()
	pending := r.Invoke(9, Get("x"))
	h := r.History()
	if len(h) != 4*300+1 {
		t.Fatalf("%d calls", len(h))
	}
	counts := map[Outcome]int{}
	acked := 0
	for _, op := range h {
		counts[op.Outcome]++
		if op.Acked {
			acked++
		}
		if op.Outcome != Pending && op.End < op.Start {
			t.Fatalf("ends before it starts: %v", op)
		}
	}
	if counts[OK] != 400 || counts[Failed] != 400 || counts[Unknown] != 400 || counts[Pending] != 1 || acked != 400 {
		t.Fatalf("outcomes: %v, %d acknowledged", counts, acked)
	}
	pending.Ok(Output{Nil: true})
	if h[len(h)-1].Outcome != Pending || r.History()[len(h)-1].Outcome != OK {
		t.Fatal("History is not a copy")
	}
}

// TestRecorderMisuse: ending a call twice, or acknowledging a read or a
// write that did not succeed, is the test's bug: it panics.
func TestRecorderMisuse(t *testing.T) {
	var r Recorder
	for name, f := range map[string]func(){
		"ended twice":    func() { c := r.Invoke(0, Set("x", "v")); c.Ok(Output{}); c.Unknown() },
		"ack of a read":  func() { c := r.Invoke(0, Get("x")); c.Ok(Output{Nil: true}); c.Ack() },
		"ack of a fail":  func() { c := r.Invoke(0, Incr("x")); c.Fail(); c.Ack() },
		"ack of pending": func() { r.Invoke(0, Incr("x")).Ack() },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}
