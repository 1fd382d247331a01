package linear

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Outcome is how a call ended.
type Outcome uint8

// The outcomes of a call.
const (
	// Pending: the call has not ended (yet). Check takes it as Unknown.
	Pending Outcome = iota
	// OK: the reply came, Output holds it.
	OK
	// Failed: the command certainly did not run (an error reply that
	// refused it: MOVED, ASK, CLUSTERDOWN, TRYAGAIN, READONLY ...).
	Failed
	// Unknown: the command may have run, or may still (a timeout, a
	// connection cut after it was sent, an error that does not say).
	Unknown
)

func (o Outcome) String() string {
	switch o {
	case Pending:
		return "pending"
	case OK:
		return "ok"
	case Failed:
		return "failed"
	case Unknown:
		return "unknown"
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// Op is one call of a history.
type Op struct {
	Client  int
	Input   Input
	Output  Output // the reply, when Outcome is OK
	Outcome Outcome
	// Acked reports that the write was acknowledged beyond its reply
	// (WAIT 1 answered at least 1; Call.Ack).
	Acked bool
	// Start is when the call was invoked, End when it ended (0 while
	// Pending), both since the Recorder's first Invoke, on the monotonic
	// clock.
	Start, End time.Duration
}

func (op Op) String() string {
	s := fmt.Sprintf("client %d [%v, %v] %s: %s", op.Client, op.Start, op.End, op.Input, op.Outcome)
	if op.Outcome != OK {
		return s
	}
	switch {
	case op.Input.Kind == GetKind && op.Output.Nil:
		s += " nil"
	case op.Input.Kind == GetKind:
		s += " " + strconv.Quote(op.Output.Value)
	case op.Input.Kind == IncrKind:
		s += " " + strconv.FormatInt(op.Output.Int, 10)
	}
	if op.Acked {
		s += " (acked)"
	}
	return s
}

// Recorder records a history. Its zero value is ready to use; it is safe
// for concurrent use by any number of clients.
type Recorder struct {
	mu    sync.Mutex
	start time.Time
	ops   []Op
}

// Call is a call being recorded, ended by one of Ok, Fail or Unknown. Its
// methods are safe for concurrent use with the Recorder's; each Call
// belongs to the client that invoked it.
type Call struct {
	r *Recorder
	i int
}

// Invoke records that client is about to send in, and returns the call to
// end once the reply (or its absence) is known. Invoke before sending: the
// call's interval must hold the moment the command took effect.
func (r *Recorder) Invoke(client int, in Input) *Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.start.IsZero() {
		r.start = time.Now()
	}
	r.ops = append(r.ops, Op{Client: client, Input: in, Start: time.Since(r.start)})
	return &Call{r: r, i: len(r.ops) - 1}
}

// History returns a copy of the calls recorded so far, in the order they
// were invoked; calls that have not ended are Pending.
func (r *Recorder) History() []Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ops)
}

// end ends the call with outcome. A call ends once: ending it again is a
// bug of the test, and panics.
func (c *Call) end(o Outcome, out Output) {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	op := &c.r.ops[c.i]
	if op.Outcome != Pending {
		panic(fmt.Sprintf("linear: %s ended twice (%s, then %s)", op.Input, op.Outcome, o))
	}
	op.Outcome, op.Output, op.End = o, out, time.Since(c.r.start)
}

// Ok records the reply: out's Value or Nil for GET, Int for INCR, nothing
// for SET. Call it once the reply has been read.
func (c *Call) Ok(out Output) { c.end(OK, out) }

// Fail records that the command certainly did not run: an error reply
// given before it ran (MOVED, ASK, CLUSTERDOWN, TRYAGAIN, READONLY ...).
// An error that may come after the command changed something is Unknown.
func (c *Call) Fail() { c.end(Failed, Output{}) }

// Unknown records that nobody can tell whether the command ran: a timeout,
// a connection cut after it was sent, an unexpected error.
func (c *Call) Unknown() { c.end(Unknown, Output{}) }

// Ack records that the write, already Ok, was acknowledged beyond its
// reply: WAIT 1 after it answered at least 1. Acknowledging a read, or a
// call that is not Ok, is a bug of the test, and panics.
func (c *Call) Ack() {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	op := &c.r.ops[c.i]
	if op.Outcome != OK || !op.Input.write() {
		panic(fmt.Sprintf("linear: Ack of %s, %s", op.Input, op.Outcome))
	}
	op.Acked = true
}

// Lost returns the INCRs of history that final does not reflect: final
// holds the value of each key once the cluster settled (a missing key is
// 0). With acked, the INCRs counted are those acknowledged (Op.Acked);
// otherwise every INCR that replied.
//
// A counter changes by INCR alone, one step at a time, so an INCR that
// survived leaves the counter at least at the value it returned, and two
// that survived never returned the same value. An INCR is lost when the
// value it returned is above the final value, or when an INCR counted
// before it, in history's order, returned the same value (one of the two
// was undone: the later is returned). A key that history also SETs is not
// a counter and is skipped; Check is the test for those.
func Lost(history []Op, final map[string]string, acked bool) []Op {
	set := map[string]bool{}
	for _, op := range history {
		if op.Input.Kind == SetKind {
			set[op.Input.Key] = true
		}
	}
	seen := map[string]map[int64]bool{}
	var lost []Op
	for _, op := range history {
		k := op.Input.Key
		if op.Input.Kind != IncrKind || op.Outcome != OK || (acked && !op.Acked) || set[k] {
			continue
		}
		v, ok := int64(0), true
		if s, exists := final[k]; exists {
			n, err := strconv.ParseInt(s, 10, 64)
			v, ok = n, err == nil
		}
		if seen[k] == nil {
			seen[k] = map[int64]bool{}
		}
		if !ok || op.Output.Int > v || seen[k][op.Output.Int] {
			lost = append(lost, op)
		}
		seen[k][op.Output.Int] = true
	}
	return lost
}
