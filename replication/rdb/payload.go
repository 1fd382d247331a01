package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// A payload is one key's value as DUMP gives it and RESTORE takes it: the
// object as an RDB holds it (type byte, then the value), the RDB version
// (2 bytes, little endian) and the CRC-64 of everything before it (8
// bytes, little endian). Redis 7.0 loads Shingle's payloads (version 10,
// strings, RDB_TYPE_HASH hashes, RDB_TYPE_SET sets, RDB_TYPE_LIST lists
// and RDB_TYPE_ZSET_2 sorted sets) and Shingle loads Redis's (a sorted
// set's DUMP is a listpack when small, RDB_TYPE_ZSET_2 when large).

// ErrPayloadVersion is returned by ParsePayload for a payload of a newer
// RDB version than Shingle reads, or whose checksum does not match:
// Redis's "DUMP payload version or checksum are wrong".
var ErrPayloadVersion = errors.New("rdb: DUMP payload version or checksum are wrong")

// DumpString returns the payload of a string value.
func DumpString(value []byte) []byte {
	return seal(appendString([]byte{rdbTypeString}, value))
}

// DumpHash returns the payload of a hash; fields holds field, value,
// field, value, ... and must not be empty.
func DumpHash(fields [][]byte) []byte {
	b := appendLen([]byte{rdbTypeHash}, uint64(len(fields)/2))
	for _, f := range fields {
		b = appendString(b, f)
	}
	return seal(b)
}

// DumpSet returns the payload of a set (RDB_TYPE_SET); members must not
// be empty.
func DumpSet(members [][]byte) []byte { return dumpStrings(rdbTypeSet, members) }

// DumpList returns the payload of a list (RDB_TYPE_LIST), elements head
// first; they must not be empty.
func DumpList(elems [][]byte) []byte { return dumpStrings(rdbTypeList, elems) }

// DumpZSet returns the payload of a sorted set (RDB_TYPE_ZSET_2, written
// as Writer.ZSet writes it, members in the order given): scores[i] is
// members[i]'s score. members must not be empty and must be distinct, and
// scores must hold one score, not NaN, for each. A payload that breaks
// these rules is one that RESTORE refuses, Redis's and ParsePayload alike
// (on a length mismatch DumpZSet writes an empty sorted set).
func DumpZSet(members [][]byte, scores []float64) []byte {
	if len(members) != len(scores) {
		members, scores = nil, nil
	}
	b := appendLen([]byte{rdbTypeZSet2}, uint64(len(members)))
	for i, m := range members {
		b = appendString(b, m)
		b = appendBinaryDouble(b, scores[i])
	}
	return seal(b)
}

func dumpStrings(typ byte, ss [][]byte) []byte {
	b := appendLen([]byte{typ}, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return seal(b)
}

func seal(b []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, Version)
	return binary.LittleEndian.AppendUint64(b, crc64Update(0, b))
}

// ParsePayload checks a payload's version and checksum, as Redis's
// verifyDumpPayload does, and decodes its value: an Entry without a key
// or expiry. maxBulkLen bounds every string and encoded object in it. A
// value Shingle does not store is ErrUnsupportedType; a malformed one is
// ErrCorrupt (Redis's "Bad data format").
func ParsePayload(p []byte, maxBulkLen int) (*Entry, error) {
	if len(p) < 10 {
		return nil, ErrPayloadVersion
	}
	body, footer := p[:len(p)-10], p[len(p)-10:]
	if int(binary.LittleEndian.Uint16(footer)) > maxReadVersion ||
		binary.LittleEndian.Uint64(footer[2:]) != crc64Update(0, p[:len(p)-8]) {
		return nil, ErrPayloadVersion
	}
	if len(body) == 0 {
		return nil, corrupt("empty payload")
	}
	if _, _, ok := typeOf(body[0]); !ok {
		return nil, corrupt("unknown type %d", body[0])
	}
	r := NewReader(bytes.NewReader(body[1:]))
	r.MaxBulkLen = maxBulkLen
	e, err := r.value(body[0], nil, 0)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, corrupt("an empty collection")
	}
	if _, err := r.r.ReadByte(); err == nil {
		return nil, fmt.Errorf("%w: bytes after the value", ErrCorrupt)
	}
	return e, nil
}
