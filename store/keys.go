package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"

	"github.com/cespare/xxhash/v2"
)

// The on-disk layout is described in doc.go. This file is its only
// implementation: every Pebble key the store reads or writes is built and
// taken apart here.

// Key namespaces, the first byte of every Pebble key.
const (
	nsSystem byte = 0x00 // engine state: format version, replication id and offset, id allocator
	nsKey    byte = 'k'  // one entry per Redis key: its type, expiry and (for strings) value
	nsSub    byte = 's'  // the elements of hashes, sets, lists and sorted sets
	nsExpire byte = 'x'  // expiry index: keys with a TTL, ordered by expiry time
)

// Sub-key tags, the byte after a collection's id in an nsSub key.
const (
	tagHashField byte = 'h' // hash field -> value
	tagSetMember byte = 's' // set member -> empty
	tagListItem  byte = 'l' // list position -> element
	tagZMember   byte = 'z' // sorted set member -> score
	tagZScore    byte = 'Z' // sorted set score, member -> empty
)

// System keys.
var (
	sysFormat  = []byte("\x00format")
	sysReplID  = []byte("\x00replid")
	sysOffset  = []byte("\x00offset")
	sysReplID2 = []byte("\x00replid2")
	sysOffset2 = []byte("\x00offset2")
	sysNextID  = []byte("\x00nextid")
	sysClean   = []byte("\x00clean") // present only between a Close and the next Open
	// sysIncomplete is present while a Load has emptied the data set and
	// not finished filling it.
	sysIncomplete = []byte("\x00incomplete")
	// sysExactOffsets says that every commit's batch carries its offset
	// (sysOffset), so that the offset after a crash is exact: written by
	// every Open of a build that does so.
	sysExactOffsets = []byte("\x00exactoffsets")
)

// formatVersion is the on-disk format this code writes and reads;
// formatPebbleLog, the one before it, it reads and migrates. Format 2
// keeps its log in the oplog subdirectory (oplog.go) and Pebble's off:
// format 1's builds would not replay it. A format 1 directory needs
// nothing but its new number: Pebble replays its own log at Open, which
// flushes what it replayed before the new log starts.
const (
	formatVersion   = "2"
	formatPebbleLog = "1"
)

const (
	metaPrefixLen = 1 + 2 + 8     // ns, slot, key hash
	subPrefixLen  = 1 + 2 + 8 + 1 // ns, slot, collection id, tag
	expirePrefix  = 1 + 8         // ns, expiry time
	hashedLen     = 8             // element hash inside a sub-key
)

// errCorrupt reports a record that this code cannot have written.
var errCorrupt = errors.New("store: corrupt record")

// keyHash orders keys and hashed elements inside their slot or collection.
// Ordering by a hash rather than by the bytes themselves is what lets a SCAN
// cursor be a plain 64-bit position that stays valid while keys come and go.
func keyHash(b []byte) uint64 { return xxhash.Sum64(b) }

// metaKey appends the Pebble key of user key k to dst:
//
//	'k' | slot (2, big-endian) | xxhash64(k) (8, big-endian) | k
func metaKey(dst, k []byte) []byte {
	dst = append(dst, nsKey)
	dst = binary.BigEndian.AppendUint16(dst, Slot(k))
	dst = binary.BigEndian.AppendUint64(dst, keyHash(k))
	return append(dst, k...)
}

// metaSeekKey is the first Pebble key at or after scan position (slot, hash).
func metaSeekKey(slot uint16, hash uint64) []byte {
	dst := make([]byte, 0, metaPrefixLen)
	dst = append(dst, nsKey)
	dst = binary.BigEndian.AppendUint16(dst, slot)
	return binary.BigEndian.AppendUint64(dst, hash)
}

// slotBounds returns the Pebble key range holding the keys of one slot.
func slotBounds(slot uint16) (lo, hi []byte) {
	lo = []byte{nsKey, byte(slot >> 8), byte(slot)}
	hi = []byte{nsKey, byte((slot + 1) >> 8), byte(slot + 1)}
	if slot == SlotCount-1 {
		hi = []byte{nsKey + 1}
	}
	return lo, hi
}

// decodeMetaKey splits a Pebble meta key into slot, hash and user key. The
// returned user key aliases mk.
func decodeMetaKey(mk []byte) (slot uint16, hash uint64, k []byte, err error) {
	if len(mk) < metaPrefixLen || mk[0] != nsKey {
		return 0, 0, nil, errCorrupt
	}
	return binary.BigEndian.Uint16(mk[1:]), binary.BigEndian.Uint64(mk[3:]), mk[metaPrefixLen:], nil
}

// subPrefix appends the prefix shared by every element of collection id (in
// slot) with the given tag:
//
//	's' | slot (2) | id (8) | tag
func subPrefix(dst []byte, slot uint16, id uint64, tag byte) []byte {
	dst = append(dst, nsSub)
	dst = binary.BigEndian.AppendUint16(dst, slot)
	dst = binary.BigEndian.AppendUint64(dst, id)
	return append(dst, tag)
}

// subRange returns the bounds of every element of collection id, all tags.
func subRange(slot uint16, id uint64) (lo, hi []byte) {
	lo = subPrefix(nil, slot, id, 0)[:subPrefixLen-1]
	hi = subPrefix(nil, slot, id+1, 0)[:subPrefixLen-1]
	if id == math.MaxUint64 {
		hi = subPrefix(nil, slot+1, 0, 0)[:subPrefixLen-1]
	}
	return lo, hi
}

// hashedSubKey appends the key of a hashed element (hash field, set member,
// sorted set member): prefix | xxhash64(elem) (8) | elem.
func hashedSubKey(dst []byte, slot uint16, id uint64, tag byte, elem []byte) []byte {
	dst = subPrefix(dst, slot, id, tag)
	dst = binary.BigEndian.AppendUint64(dst, keyHash(elem))
	return append(dst, elem...)
}

// decodeHashedSubKey returns the element hash and the element of a hashed
// sub-key. The element aliases sk.
func decodeHashedSubKey(sk []byte) (hash uint64, elem []byte, err error) {
	if len(sk) < subPrefixLen+hashedLen || sk[0] != nsSub {
		return 0, nil, errCorrupt
	}
	return binary.BigEndian.Uint64(sk[subPrefixLen:]), sk[subPrefixLen+hashedLen:], nil
}

// expireKey appends the expiry index entry of meta key mk expiring at ms:
//
//	'x' | expiry (8, big-endian unix ms) | mk without its namespace byte
func expireKey(dst []byte, ms int64, mk []byte) []byte {
	dst = append(dst, nsExpire)
	dst = binary.BigEndian.AppendUint64(dst, uint64(ms))
	return append(dst, mk[1:]...)
}

// decodeExpireKey returns the expiry time and the meta key of an index entry.
func decodeExpireKey(ek []byte) (ms int64, mk []byte, err error) {
	if len(ek) < expirePrefix+metaPrefixLen-1 || ek[0] != nsExpire {
		return 0, nil, errCorrupt
	}
	mk = append([]byte{nsKey}, ek[expirePrefix:]...)
	return int64(binary.BigEndian.Uint64(ek[1:])), mk, nil
}

// meta is the decoded value of a meta key.
//
//	byte 0:   type (Redis's object type number) | 0x80 when an expiry follows
//	8 bytes:  expiry, unix ms, big-endian (only with the 0x80 flag)
//	string:   the value bytes
//	others:   collection id (8) | element count (8) | (lists) head position (8)
type meta struct {
	typ    Type
	expire int64  // unix ms; 0 = no expiry
	value  []byte // strings only; aliases the encoded record
	id     uint64 // collections: the id under which elements are stored
	count  int64  // collections: number of elements
	head   uint64 // lists: position of the first element
	// encoded, when set, is the record already encoded (value aliases
	// it): put writes it as it is.
	encoded []byte
}

const flagExpire = 0x80

func (m *meta) encode(dst []byte) []byte {
	t := byte(m.typ)
	if m.expire != 0 {
		t |= flagExpire
	}
	dst = append(dst, t)
	if m.expire != 0 {
		dst = binary.BigEndian.AppendUint64(dst, uint64(m.expire))
	}
	switch m.typ {
	case TypeString:
		return append(dst, m.value...)
	case TypeList:
		dst = binary.BigEndian.AppendUint64(dst, m.id)
		dst = binary.BigEndian.AppendUint64(dst, uint64(m.count))
		return binary.BigEndian.AppendUint64(dst, m.head)
	default:
		dst = binary.BigEndian.AppendUint64(dst, m.id)
		return binary.BigEndian.AppendUint64(dst, uint64(m.count))
	}
}

func decodeMeta(b []byte) (m meta, err error) {
	if len(b) == 0 {
		return m, errCorrupt
	}
	m.typ = Type(b[0] &^ flagExpire)
	hasExpire := b[0]&flagExpire != 0
	b = b[1:]
	if hasExpire {
		if len(b) < 8 {
			return m, errCorrupt
		}
		m.expire = int64(binary.BigEndian.Uint64(b))
		b = b[8:]
	}
	switch m.typ {
	case TypeString:
		m.value = b
		return m, nil
	case TypeList:
		if len(b) != 24 {
			return m, errCorrupt
		}
		m.head = binary.BigEndian.Uint64(b[16:])
	case TypeSet, TypeZSet, TypeHash:
		if len(b) != 16 {
			return m, errCorrupt
		}
	default:
		return m, errCorrupt
	}
	m.id = binary.BigEndian.Uint64(b)
	m.count = int64(binary.BigEndian.Uint64(b[8:]))
	return m, nil
}

// prefixEnd returns the first key after every key that starts with prefix.
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i]++; end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

func putUint64(b []byte, v uint64) { binary.BigEndian.PutUint64(b, v) }
