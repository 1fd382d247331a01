package resp

import "strconv"

// Kind is the RESP type of a reply. Kinds that RESP2 lacks (Map, Set,
// Double, Bool, Verbatim) are written in their RESP2 form on a RESP2
// connection, as Redis writes them.
type Kind uint8

// Reply kinds.
const (
	KindStatus    Kind = iota // +OK
	KindError                 // -ERR message
	KindInt                   // :42
	KindBulk                  // $3\r\nfoo
	KindNull                  // RESP2 $-1, RESP3 _
	KindNullArray             // RESP2 *-1, RESP3 _
	KindArray                 // *n
	KindMap                   // RESP3 %n; RESP2 an array of 2n
	KindSet                   // RESP3 ~n; RESP2 an array
	KindDouble                // RESP3 ,1.5; RESP2 a bulk string
	KindBool                  // RESP3 #t; RESP2 :1 or :0
	KindVerbatim              // RESP3 =n txt:...; RESP2 a bulk string
)

// Reply is the value a command produces, independent of the protocol
// version the client speaks. Replies are plain values: safe to keep, compare
// and print. It lives here rather than in package command so that the codec
// stays a leaf: command builds replies, resp encodes and decodes them.
type Reply struct {
	Kind  Kind
	Str   []byte  // Status, Error (the whole message, code first), Bulk, Double (as text), Verbatim
	Int   int64   // Int; Bool (1 or 0)
	Elems []Reply // Array, Set; Map as key, value, key, value, ...
}

// Status is the status reply +s.
func Status(s string) Reply { return Reply{Kind: KindStatus, Str: []byte(s)} }

// ErrorReply is the error reply -s; s is the whole message, code first.
func ErrorReply(s string) Reply { return Reply{Kind: KindError, Str: []byte(s)} }

// Int is the integer reply :n.
func Int(n int64) Reply { return Reply{Kind: KindInt, Int: n} }

// Bulk is the bulk string b. The reply keeps b: the caller must not modify
// it afterwards.
func Bulk(b []byte) Reply { return Reply{Kind: KindBulk, Str: b} }

// BulkString is the bulk string s.
func BulkString(s string) Reply { return Reply{Kind: KindBulk, Str: []byte(s)} }

// Null is the null reply ($-1 in RESP2, _ in RESP3).
func Null() Reply { return Reply{Kind: KindNull} }

// Array is the array of elems; no elements is an empty array, never a null
// one.
func Array(elems ...Reply) Reply {
	if elems == nil {
		elems = []Reply{}
	}
	return Reply{Kind: KindArray, Elems: elems}
}

// Map is the map of kv, given as key, value, key, value, ...
func Map(kv ...Reply) Reply { return Reply{Kind: KindMap, Elems: kv} }

// OK is the +OK status.
var OK = Status("OK")

// BulkOrNull is Bulk(b), or Null when b is nil.
func BulkOrNull(b []byte) Reply {
	if b == nil {
		return Null()
	}
	return Bulk(b)
}

// BulkArray is an array of bulk strings, nil elements as nulls.
func BulkArray(bs [][]byte) Reply {
	elems := make([]Reply, len(bs))
	for i, b := range bs {
		elems[i] = BulkOrNull(b)
	}
	return Array(elems...)
}

// Bool is 1 or 0, as Redis answers yes/no commands.
func Bool(b bool) Reply {
	if b {
		return Int(1)
	}
	return Int(0)
}

// IsError reports whether r is an error reply.
func (r Reply) IsError() bool { return r.Kind == KindError }

// String renders r for people: the way redis-cli prints it, on one line.
func (r Reply) String() string {
	switch r.Kind {
	case KindStatus, KindBulk, KindDouble, KindVerbatim:
		return strconv.Quote(string(r.Str))
	case KindError:
		return "(error) " + string(r.Str)
	case KindInt:
		return "(integer) " + strconv.FormatInt(r.Int, 10)
	case KindBool:
		return strconv.FormatBool(r.Int != 0)
	case KindNull, KindNullArray:
		return "(nil)"
	}
	s := "["
	for i, e := range r.Elems {
		if i > 0 {
			s += " "
		}
		s += e.String()
	}
	return s + "]"
}
