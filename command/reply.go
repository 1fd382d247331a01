package command

import (
	"errors"

	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/store"
)

// The reply value lives in internal/resp so that the codec imports nothing
// of the project; the names below keep command's API as it was.

// Kind is the RESP type of a reply (an alias of resp.Kind). Kinds that RESP2
// lacks (Map, Set, Double, Bool, Verbatim) are written in their RESP2 form
// on a RESP2 connection, as Redis writes them.
type Kind = resp.Kind

// Reply kinds.
const (
	KindStatus    = resp.KindStatus    // +OK
	KindError     = resp.KindError     // -ERR message
	KindInt       = resp.KindInt       // :42
	KindBulk      = resp.KindBulk      // $3\r\nfoo
	KindNull      = resp.KindNull      // RESP2 $-1, RESP3 _
	KindNullArray = resp.KindNullArray // RESP2 *-1, RESP3 _
	KindArray     = resp.KindArray     // *n
	KindMap       = resp.KindMap       // RESP3 %n; RESP2 an array of 2n
	KindSet       = resp.KindSet       // RESP3 ~n; RESP2 an array
	KindDouble    = resp.KindDouble    // RESP3 ,1.5; RESP2 a bulk string
	KindBool      = resp.KindBool      // RESP3 #t; RESP2 :1 or :0
	KindVerbatim  = resp.KindVerbatim  // RESP3 =n txt:...; RESP2 a bulk string
)

// Reply is the value a command produces, independent of the protocol
// version the client speaks (an alias of resp.Reply). Replies are plain
// values: safe to keep, compare and print.
type Reply = resp.Reply

// Status is the status reply +s.
func Status(s string) Reply { return resp.Status(s) }

// ErrorReply is the error reply -s; s is the whole message, code first.
func ErrorReply(s string) Reply { return resp.ErrorReply(s) }

// Int is the integer reply :n.
func Int(n int64) Reply { return resp.Int(n) }

// Bulk is the bulk string b. The reply keeps b: the caller must not modify
// it afterwards.
func Bulk(b []byte) Reply { return resp.Bulk(b) }

// BulkString is the bulk string s.
func BulkString(s string) Reply { return resp.BulkString(s) }

// Null is the null reply ($-1 in RESP2, _ in RESP3).
func Null() Reply { return resp.Null() }

// Array is the array of elems; no elements is an empty array, never a null
// one.
func Array(elems ...Reply) Reply { return resp.Array(elems...) }

// Map is the map of kv, given as key, value, key, value, ...
func Map(kv ...Reply) Reply { return resp.Map(kv...) }

// OK is the +OK status.
var OK = resp.OK

// BulkOrNull is Bulk(b), or Null when b is nil.
func BulkOrNull(b []byte) Reply { return resp.BulkOrNull(b) }

// BulkArray is an array of bulk strings, nil elements as nulls.
func BulkArray(bs [][]byte) Reply { return resp.BulkArray(bs) }

// Bool is 1 or 0, as Redis answers yes/no commands.
func Bool(b bool) Reply { return resp.Bool(b) }

// ErrReply turns an error into an error reply. Errors from the store carry
// their Redis text already; anything else is reported as "ERR <text>".
func ErrReply(err error) Reply {
	var re *store.Error
	if errors.As(err, &re) {
		return ErrorReply(re.Error())
	}
	return ErrorReply("ERR " + err.Error())
}
