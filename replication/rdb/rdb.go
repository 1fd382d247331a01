package rdb

import (
	"encoding/binary"
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

// Key types. Reader returns entries of TypeString, TypeHash, TypeList,
// TypeSet and TypeZSet; TypeStream and TypeModule name the types it
// reports with ErrUnsupportedType.
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
	// for a key of a type Shingle does not store (stream, module). The
	// Reader cannot go on after it.
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
// value 0, no final xor; redis/src/crc64.c), eight bytes at a time with
// tables built once: hash/crc64 has the same reflected algorithm, but for
// a polynomial other than ISO's and ECMA's it builds an 8 KiB table on
// every call of 2 KiB or more (a DUMP payload of a 4 KiB value, say).
var crcTables = func() *[8]crc64.Table {
	var t [8]crc64.Table
	t[0] = *crc64.MakeTable(0x95AC9329AC4BC9B5) // 0xad93d23594c935a9 reversed
	for i := range 256 {
		crc := t[0][i]
		for j := 1; j < 8; j++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[j][i] = crc
		}
	}
	return &t
}()

func crc64Update(crc uint64, p []byte) uint64 {
	t := crcTables
	for ; len(p) >= 8; p = p[8:] {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][crc&0xff] ^ t[6][crc>>8&0xff] ^ t[5][crc>>16&0xff] ^ t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^ t[2][crc>>40&0xff] ^ t[1][crc>>48&0xff] ^ t[0][crc>>56]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return crc
}
