package linear

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/anishathalye/porcupine"
)

// Kind is the command of an Input.
type Kind uint8

// The commands a history holds.
const (
	SetKind  Kind = iota + 1 // SET key value
	GetKind                  // GET key
	IncrKind                 // INCR key
)

func (k Kind) String() string {
	switch k {
	case SetKind:
		return "SET"
	case GetKind:
		return "GET"
	case IncrKind:
		return "INCR"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Input is a command a client sent: Set, Get or Incr build one.
type Input struct {
	Kind  Kind
	Key   string
	Value string // SET's value
}

// Set is SET key value.
func Set(key, value string) Input { return Input{Kind: SetKind, Key: key, Value: value} }

// Get is GET key.
func Get(key string) Input { return Input{Kind: GetKind, Key: key} }

// Incr is INCR key.
func Incr(key string) Input { return Input{Kind: IncrKind, Key: key} }

// write reports whether the command changes its key.
func (in Input) write() bool { return in.Kind == SetKind || in.Kind == IncrKind }

func (in Input) String() string {
	if in.Kind == SetKind {
		return fmt.Sprintf("SET %s %s", in.Key, in.Value)
	}
	return fmt.Sprintf("%s %s", in.Kind, in.Key)
}

// Output is the reply to an Input that succeeded: for GET, Value, or Nil
// when the key does not exist; for INCR, Int, the value after the
// increment; nothing for SET (its +OK).
type Output struct {
	Value string
	Nil   bool
	Int   int64
}

// result is what the model is given as an operation's output: the reply,
// or the mark of an outcome nobody knows.
type result struct {
	out     Output
	unknown bool
}

// register is the state of one key: a string value or no key at all.
// It is comparable, as porcupine's default equality needs.
type register struct {
	exists bool
	value  string
}

// step is the sequential specification of one key.
func step(st register, in Input, res result) (bool, register) {
	switch in.Kind {
	case SetKind:
		return true, register{exists: true, value: in.Value}
	case GetKind:
		if res.unknown {
			return true, st
		}
		if res.out.Nil {
			return !st.exists, st
		}
		return st.exists && st.value == res.out.Value, st
	case IncrKind:
		n := int64(0)
		if st.exists {
			var err error
			// A non-integer or INCR past the int64 range is an error
			// reply, which is not an outcome of a call that succeeded.
			if n, err = strconv.ParseInt(st.value, 10, 64); err != nil || n == math.MaxInt64 {
				return false, st
			}
		}
		n++
		return res.unknown || res.out.Int == n, register{exists: true, value: strconv.FormatInt(n, 10)}
	}
	return false, st
}

// Model is the porcupine model of the keys of a history: each key a
// register of strings with INCR's semantics (a missing key counts as 0),
// checked one key at a time (Partition). Its inputs are Input, its
// outputs the outcomes Check builds; use it to draw what Check returned
// with porcupine.Visualize.
func Model() porcupine.Model {
	return porcupine.Model{
		Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
			return partition(h, func(op porcupine.Operation) string { return op.Input.(Input).Key })
		},
		PartitionEvent: func(h []porcupine.Event) [][]porcupine.Event {
			// A return event carries no input: its call, by id, names the key.
			keys := map[int]string{}
			for _, e := range h {
				if e.Kind == porcupine.CallEvent {
					keys[e.Id] = e.Value.(Input).Key
				}
			}
			return partition(h, func(e porcupine.Event) string { return keys[e.Id] })
		},
		Init: func() any { return register{} },
		Step: func(state, input, output any) (bool, any) {
			return step(state.(register), input.(Input), output.(result))
		},
		DescribeOperation: func(input, output any) string {
			in, res := input.(Input), output.(result)
			switch {
			case res.unknown:
				return in.String() + " -> ?"
			case in.Kind == GetKind && res.out.Nil:
				return in.String() + " -> nil"
			case in.Kind == GetKind:
				return fmt.Sprintf("%s -> %q", in, res.out.Value)
			case in.Kind == IncrKind:
				return fmt.Sprintf("%s -> %d", in, res.out.Int)
			}
			return in.String() + " -> OK"
		},
		DescribeState: func(state any) string {
			if r := state.(register); r.exists {
				return strconv.Quote(r.value)
			}
			return "nil"
		},
	}
}

// partition splits h by key, each part in the order of h, the parts in
// the order of their keys.
func partition[T any](h []T, key func(T) string) [][]T {
	byKey := map[string][]T{}
	var keys []string
	for _, x := range h {
		k := key(x)
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], x)
	}
	slices.Sort(keys)
	out := make([][]T, 0, len(keys))
	for _, k := range keys {
		out = append(out, byKey[k])
	}
	return out
}

// Operations turns a history into porcupine's operations, as Check gives
// them to Model: a call that failed is left out (it did not happen), and
// so is a GET whose reply is unknown (it constrains nothing); a write
// whose outcome is unknown (Unknown, or still Pending) returns at the end
// of time, free to take effect at any point after its call or never.
func Operations(history []Op) []porcupine.Operation {
	ops := make([]porcupine.Operation, 0, len(history))
	for _, op := range history {
		res := result{out: op.Output}
		ret := int64(op.End)
		switch op.Outcome {
		case Failed:
			continue
		case Pending, Unknown:
			if !op.Input.write() {
				continue
			}
			res = result{unknown: true}
			ret = math.MaxInt64
		}
		ops = append(ops, porcupine.Operation{ClientId: op.Client, Input: op.Input, Call: int64(op.Start), Output: res, Return: ret})
	}
	// porcupine sorts the operations by time itself; in call order the
	// visualization's rows read naturally.
	slices.SortStableFunc(ops, func(a, b porcupine.Operation) int { return cmp.Compare(a.Call, b.Call) })
	return ops
}

// Check reports whether history is linearizable (porcupine.Ok), is not
// (porcupine.Illegal), or whether timeout passed before porcupine could
// tell (porcupine.Unknown; 0 waits as long as it takes). The
// LinearizationInfo is for porcupine.Visualize with Model(): it shows, for
// a history that is not linearizable, the longest linearizable prefixes
// of each key.
func Check(history []Op, timeout time.Duration) (porcupine.CheckResult, porcupine.LinearizationInfo) {
	return porcupine.CheckOperationsVerbose(Model(), Operations(history), timeout)
}

// Visualize writes porcupine's HTML page of a checked history (Check's
// info) to w.
func Visualize(w io.Writer, info porcupine.LinearizationInfo) error {
	return porcupine.Visualize(Model(), info, w)
}
