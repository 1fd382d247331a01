package store

import "strings"

// Type is the type of a Redis value. The numbers are Redis's own object type
// numbers, which is also how the store writes them on disk.
type Type byte

// The Redis value types Shingle stores (the on-disk encoding is in
// doc.go).
const (
	TypeString Type = 0
	TypeList   Type = 1
	TypeSet    Type = 2
	TypeZSet   Type = 3
	TypeHash   Type = 4
	// TypeModule and TypeStream are Redis's two other object types. The
	// store holds neither: they exist so that a snapshot in Redis's format
	// (package replication/rdb) can name a key it cannot load.
	TypeModule Type = 5
	TypeStream Type = 6
	// TypeNone is what Type reports for a missing key.
	TypeNone Type = 0xff
)

// String returns the name TYPE replies with: "string", "hash", ..., "none"
// (and "module" for TypeModule, whose keys Redis names by module instead).
func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeList:
		return "list"
	case TypeSet:
		return "set"
	case TypeZSet:
		return "zset"
	case TypeHash:
		return "hash"
	case TypeModule:
		return "module"
	case TypeStream:
		return "stream"
	}
	return "none"
}

// ParseType is the inverse of Type.String, for SCAN TYPE. Unknown names give
// false.
func ParseType(name string) (Type, bool) {
	for _, t := range []Type{TypeString, TypeList, TypeSet, TypeZSet, TypeHash} {
		if strings.EqualFold(name, t.String()) {
			return t, true
		}
	}
	return TypeNone, false
}
