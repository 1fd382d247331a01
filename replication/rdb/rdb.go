// Package rdb owns the Redis RDB byte format as Shingle uses it for
// replication: encoding and decoding the entries of the two types Shingle
// stores (strings and hashes, with millisecond expiry times), the framing
// around them (the "REDIS0010" header, AUX fields, SELECTDB, RESIZEDB, the
// EOF opcode) and the trailing CRC-64 checksum. A primary streams its
// snapshot to a replica with Writer; a replica decodes what a primary —
// Shingle or a stock redis-server 7.0 — sends with Reader.
//
// It must never do network I/O, touch a store.DB (it imports store only for
// the Type enum and the proto-max-bulk-len default), or build a whole
// snapshot in memory: it streams, one entry at a time, to an io.Writer and
// from an io.Reader that the caller owns. Deciding what to do with an entry
// (for example dropping keys whose expiry time has passed) is the caller's
// job.
//
// # Format
//
// Writer writes RDB version 10, what Redis 7.0 writes and loads: strings as
// RDB_TYPE_STRING (integer-encoded when the value is a canonical 32-bit
// integer, as Redis does, otherwise raw) and hashes as the plain
// RDB_TYPE_HASH (4), each preceded by EXPIRETIME_MS when it expires.
//
// Reader accepts RDB versions 1 to 11 (7.2 writes 11, whose strings and
// hashes are encoded as in 10) and decodes everything redis-server 7.0 may
// write for strings and hashes: raw, integer and LZF-compressed strings, and
// hashes as RDB_TYPE_HASH, HASH_ZIPMAP, HASH_ZIPLIST and HASH_LISTPACK. It
// skips AUX (kept for Aux), SELECTDB 0, RESIZEDB, IDLE and FREQ. Keys of any
// other type are reported with ErrUnsupportedType, never skipped silently;
// databases other than 0, module AUX data and Redis functions are errors.
// Every length read is bounded by Reader.MaxBulkLen and slices grow as data
// actually arrives, so a hostile stream cannot make the reader allocate
// much more than it sends.
package rdb

import (
	"errors"
	"fmt"
	"hash/crc64"

	"github.com/shinglekv/shingle/store"
)

// Version is the RDB version Writer writes.
const Version = 10

// maxReadVersion is the newest RDB version Reader accepts.
const maxReadVersion = 11

// Opcodes.
const (
	opFunction2     = 0xF5 // RDB_OPCODE_FUNCTION2
	opFunctionPreGA = 0xF6 // RDB_OPCODE_FUNCTION_PRE_GA
	opModuleAux     = 0xF7
	opIdle          = 0xF8
	opFreq          = 0xF9
	opAux           = 0xFA
	opResizeDB      = 0xFB
	opExpireTimeMs  = 0xFC
	opExpireTime    = 0xFD
	opSelectDB      = 0xFE
	opEOF           = 0xFF
)

// RDB object type bytes.
const (
	rdbTypeString          = 0
	rdbTypeList            = 1
	rdbTypeSet             = 2
	rdbTypeZSet            = 3
	rdbTypeHash            = 4
	rdbTypeZSet2           = 5
	rdbTypeModulePreGA     = 6
	rdbTypeModule2         = 7
	rdbTypeHashZipmap      = 9
	rdbTypeListZiplist     = 10
	rdbTypeSetIntset       = 11
	rdbTypeZSetZiplist     = 12
	rdbTypeHashZiplist     = 13
	rdbTypeListQuicklist   = 14
	rdbTypeStreamListpacks = 15
	rdbTypeHashListpack    = 16
	rdbTypeZSetListpack    = 17
	rdbTypeListQuicklist2  = 18
	rdbTypeStreamListpack2 = 19
	rdbTypeSetListpack     = 20
	rdbTypeStreamListpack3 = 21
)

// Type is the logical type of a key. It is store's enum, so that an
// Entry's type needs no mapping on its way into the store.
type Type = store.Type

// Key types. Reader returns entries of TypeString and TypeHash only; the
// others name the types reported with ErrUnsupportedType.
const (
	TypeString = store.TypeString
	TypeHash   = store.TypeHash
	TypeList   = store.TypeList
	TypeSet    = store.TypeSet
	TypeZSet   = store.TypeZSet
	TypeStream = store.TypeStream
	TypeModule = store.TypeModule
)

// typeOf maps an RDB object type byte to its logical type and encoding
// name; ok is false for bytes that are no object type.
func typeOf(b byte) (t Type, enc string, ok bool) {
	switch b {
	case rdbTypeString:
		return TypeString, "string", true
	case rdbTypeList:
		return TypeList, "list", true
	case rdbTypeListZiplist:
		return TypeList, "list-ziplist", true
	case rdbTypeListQuicklist:
		return TypeList, "list-quicklist", true
	case rdbTypeListQuicklist2:
		return TypeList, "list-quicklist2", true
	case rdbTypeSet:
		return TypeSet, "set", true
	case rdbTypeSetIntset:
		return TypeSet, "set-intset", true
	case rdbTypeSetListpack:
		return TypeSet, "set-listpack", true
	case rdbTypeZSet:
		return TypeZSet, "zset", true
	case rdbTypeZSet2:
		return TypeZSet, "zset2", true
	case rdbTypeZSetZiplist:
		return TypeZSet, "zset-ziplist", true
	case rdbTypeZSetListpack:
		return TypeZSet, "zset-listpack", true
	case rdbTypeHash:
		return TypeHash, "hash", true
	case rdbTypeHashZipmap:
		return TypeHash, "hash-zipmap", true
	case rdbTypeHashZiplist:
		return TypeHash, "hash-ziplist", true
	case rdbTypeHashListpack:
		return TypeHash, "hash-listpack", true
	case rdbTypeStreamListpacks:
		return TypeStream, "stream-listpacks", true
	case rdbTypeStreamListpack2:
		return TypeStream, "stream-listpacks2", true
	case rdbTypeStreamListpack3:
		return TypeStream, "stream-listpacks3", true
	case rdbTypeModulePreGA:
		return TypeModule, "module-pre-ga", true
	case rdbTypeModule2:
		return TypeModule, "module2", true
	}
	return 0, "", false
}

// Errors returned by Reader.Next, wrapped with details (and the "rdb: "
// prefix that Next adds to every error but io.EOF).
var (
	// ErrUnsupportedType is returned, wrapped with the type and the key,
	// for a key of a type Shingle does not store (list, set, zset, stream,
	// module). The Reader cannot go on after it.
	ErrUnsupportedType = errors.New("unsupported type")
	// ErrChecksum is returned when the CRC-64 at the end does not match.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrCorrupt is returned, wrapped with details, for a malformed stream.
	ErrCorrupt = errors.New("corrupt RDB")
)

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// The checksum is Redis's CRC-64 (Jones polynomial, reflected, initial
// value 0, no final xor; redis/src/crc64.c). hash/crc64 implements the
// same reflected algorithm but complements the value before and after, so
// crc64Update undoes that.
var crcTable = crc64.MakeTable(0x95AC9329AC4BC9B5) // 0xad93d23594c935a9 reversed

func crc64Update(crc uint64, p []byte) uint64 {
	return ^crc64.Update(^crc, crcTable, p)
}
