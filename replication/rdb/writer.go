package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// Writer streams an RDB to an io.Writer: Header, then String, Hash, List,
// Set or ZSet for each key, then End. Small pieces are buffered (at most
// about 32 KiB) and large values are written straight through; End (or
// Flush) writes out the buffer. After an error every method returns it
// again.
type Writer struct {
	w       io.Writer
	buf     []byte
	crc     uint64
	err     error
	started bool
	ended   bool
}

const writeBufSize = 32 << 10

// NewWriter returns a Writer to w. It does not write yet.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w}
}

// Header writes "REDIS0010", the AUX fields in sorted key order (for
// example redis-ver, redis-bits, ctime, used-mem, repl-stream-db, repl-id,
// repl-offset, aof-base: whatever the caller passes) and SELECTDB 0.
func (w *Writer) Header(aux map[string]string) error {
	if w.err != nil {
		return w.err
	}
	if w.started {
		return w.fail(errors.New("rdb: Header called twice"))
	}
	w.started = true
	w.buf = append(w.buf, "REDIS0010"...)
	keys := make([]string, 0, len(aux))
	for k := range aux {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		w.buf = append(w.buf, opAux)
		w.buf = appendString(w.buf, []byte(k))
		w.buf = appendString(w.buf, []byte(aux[k]))
		if err := w.maybeFlush(); err != nil {
			return err
		}
	}
	w.buf = append(w.buf, opSelectDB, 0)
	return w.maybeFlush()
}

// String writes a string key. expireMs is the expiry time in Unix
// milliseconds, 0 for none.
func (w *Writer) String(key, value []byte, expireMs int64) error {
	if err := w.key(rdbTypeString, key, expireMs); err != nil {
		return err
	}
	return w.value(value)
}

// Hash writes a hash key as RDB_TYPE_HASH. fields holds field, value,
// field, value, ...; it must not be empty (Redis has no empty hashes).
// expireMs is the expiry time in Unix milliseconds, 0 for none.
func (w *Writer) Hash(key []byte, fields [][]byte, expireMs int64) error {
	if w.err != nil {
		return w.err
	}
	if len(fields) == 0 || len(fields)%2 != 0 {
		return w.fail(errors.New("rdb: Hash needs a non-empty list of field, value pairs"))
	}
	if err := w.key(rdbTypeHash, key, expireMs); err != nil {
		return err
	}
	w.buf = appendLen(w.buf, uint64(len(fields)/2))
	for _, f := range fields {
		if err := w.value(f); err != nil {
			return err
		}
	}
	return nil
}

// Set writes a set key as RDB_TYPE_SET. members must not be empty.
// expireMs is the expiry time in Unix milliseconds, 0 for none.
func (w *Writer) Set(key []byte, members [][]byte, expireMs int64) error {
	return w.strings(rdbTypeSet, key, members, expireMs)
}

// List writes a list key as RDB_TYPE_LIST (which Redis 7.0 loads, into a
// quicklist), elements head first. elems must not be empty. expireMs is
// the expiry time in Unix milliseconds, 0 for none.
func (w *Writer) List(key []byte, elems [][]byte, expireMs int64) error {
	return w.strings(rdbTypeList, key, elems, expireMs)
}

// ZSet writes a sorted set key as RDB_TYPE_ZSET_2, which Redis 7.0 loads
// (converting it to a listpack when it is small): a length, then each
// member and its score, scores[i] being members[i]'s, as a little-endian
// binary64 that keeps every bit (-0, ±Inf, subnormals). Members are
// written in the order given. Redis writes them from the highest score to
// the lowest, so that loading inserts each at the head of its skiplist;
// any order loads correctly, a descending one most cheaply. members must
// not be empty and must be distinct (redis-server refuses an RDB with a
// duplicate member, and this is not checked here); a length mismatch or a
// NaN score (which redis-server also refuses) is an error. expireMs is the
// expiry time in Unix milliseconds, 0 for none.
func (w *Writer) ZSet(key []byte, members [][]byte, scores []float64, expireMs int64) error {
	if w.err != nil {
		return w.err
	}
	if err := checkZSet(members, scores); err != nil {
		return w.fail(err)
	}
	if err := w.key(rdbTypeZSet2, key, expireMs); err != nil {
		return err
	}
	w.buf = appendLen(w.buf, uint64(len(members)))
	for i, m := range members {
		if err := w.value(m); err != nil {
			return err
		}
		w.buf = appendBinaryDouble(w.buf, scores[i])
	}
	return w.maybeFlush()
}

// checkZSet checks ZSet's arguments.
func checkZSet(members [][]byte, scores []float64) error {
	if len(members) == 0 || len(members) != len(scores) {
		return fmt.Errorf("rdb: a sorted set needs members, and one score for each (%d members, %d scores)", len(members), len(scores))
	}
	for i, f := range scores {
		if math.IsNaN(f) {
			return fmt.Errorf("rdb: sorted set member %.64q has a NaN score", members[i])
		}
	}
	return nil
}

// appendBinaryDouble appends f as Redis's rdbSaveBinaryDoubleValue does.
func appendBinaryDouble(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

// strings writes a key of type typ whose value is a length and that many
// strings.
func (w *Writer) strings(typ byte, key []byte, members [][]byte, expireMs int64) error {
	if w.err != nil {
		return w.err
	}
	if len(members) == 0 {
		return w.fail(errors.New("rdb: a set or a list needs members"))
	}
	if err := w.key(typ, key, expireMs); err != nil {
		return err
	}
	w.buf = appendLen(w.buf, uint64(len(members)))
	for _, m := range members {
		if err := w.value(m); err != nil {
			return err
		}
	}
	return nil
}

// End writes the EOF opcode and the checksum of everything written, and
// flushes.
func (w *Writer) End() error {
	if w.err != nil {
		return w.err
	}
	if !w.started {
		return w.fail(errors.New("rdb: End before Header"))
	}
	w.buf = append(w.buf, opEOF)
	w.crc = crc64Update(w.crc, w.buf)
	w.buf = binary.LittleEndian.AppendUint64(w.buf, w.crc)
	if _, err := w.w.Write(w.buf); err != nil {
		return w.fail(err)
	}
	w.buf = w.buf[:0]
	w.ended = true
	w.err = errors.New("rdb: write after End")
	return nil
}

// Flush writes out buffered data.
func (w *Writer) Flush() error {
	if w.ended {
		return nil
	}
	if w.err != nil {
		return w.err
	}
	return w.flush()
}

func (w *Writer) key(typ byte, key []byte, expireMs int64) error {
	if w.err != nil {
		return w.err
	}
	if !w.started {
		return w.fail(errors.New("rdb: key written before Header"))
	}
	if expireMs != 0 {
		w.buf = append(w.buf, opExpireTimeMs)
		w.buf = binary.LittleEndian.AppendUint64(w.buf, uint64(expireMs))
	}
	w.buf = append(w.buf, typ)
	return w.value(key)
}

// value writes a string, straight through when it is large.
func (w *Writer) value(s []byte) error {
	if len(s) < writeBufSize/2 {
		w.buf = appendString(w.buf, s)
		return w.maybeFlush()
	}
	w.buf = appendLen(w.buf, uint64(len(s)))
	if err := w.flush(); err != nil {
		return err
	}
	w.crc = crc64Update(w.crc, s)
	if _, err := w.w.Write(s); err != nil {
		return w.fail(err)
	}
	return nil
}

func (w *Writer) maybeFlush() error {
	if len(w.buf) < writeBufSize {
		return nil
	}
	return w.flush()
}

func (w *Writer) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	w.crc = crc64Update(w.crc, w.buf)
	_, err := w.w.Write(w.buf)
	w.buf = w.buf[:0]
	if err != nil {
		return w.fail(err)
	}
	return nil
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}

// appendLen appends an RDB length.
func appendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, 0x40|byte(n>>8), byte(n))
	case n <= 0xFFFFFFFF:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, 0x81), n)
	}
}

// appendString appends an RDB string: integer-encoded when s is the
// canonical text of a 32-bit integer (as Redis's rdbTryIntegerEncoding),
// raw otherwise.
func appendString(b []byte, s []byte) []byte {
	if len(s) > 0 && len(s) <= 11 {
		if v, err := strconv.ParseInt(string(s), 10, 32); err == nil && strconv.FormatInt(v, 10) == string(s) {
			switch {
			case v >= -1<<7 && v < 1<<7:
				return append(b, 0xC0, byte(v))
			case v >= -1<<15 && v < 1<<15:
				return binary.LittleEndian.AppendUint16(append(b, 0xC1), uint16(v))
			default:
				return binary.LittleEndian.AppendUint32(append(b, 0xC2), uint32(v))
			}
		}
	}
	return append(appendLen(b, uint64(len(s))), s...)
}
