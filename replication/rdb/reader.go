package rdb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/shinglekv/shingle/store"
)

// DefaultMaxBulkLen is the default for Reader.MaxBulkLen: Redis's default
// proto-max-bulk-len, store.DefaultProtoMaxBulkLen.
const DefaultMaxBulkLen = store.DefaultProtoMaxBulkLen

// Entry is one key read from an RDB: a string, hash, list, set or sorted
// set. Which fields hold the value depends on Type; the others are nil.
// Integers stored in integer encodings come out as decimal text.
type Entry struct {
	Type   Type
	Key    []byte
	Value  []byte   // TypeString: the value
	Fields [][]byte // TypeHash: field, value, field, value, ...
	// Members holds a set's members, a list's elements (head first) or a
	// sorted set's members. A sorted set's are distinct and come in the
	// order the RDB holds them, which need not be sorted: Redis writes a
	// small sorted set (a listpack) from the lowest score up, a large one
	// (RDB_TYPE_ZSET_2) from the highest down.
	Members [][]byte
	// Scores holds, for TypeZSet, the score of each member: Scores[i] is
	// Members[i]'s. A score is never NaN; it may be ±Inf, and -0 when the
	// RDB holds -0 (redis-server stores 0 for ZADD's -0; it keeps a -0 it
	// loads or RESTOREs in a large sorted set, but not in a listpack).
	Scores   []float64
	ExpireMs int64 // expiry time in Unix milliseconds, 0 for none
}

// Reader decodes an RDB from an io.Reader into Entry values: strings,
// hashes, lists, sets and sorted sets in every encoding Redis 7.0 reads
// (see the package doc); streams and modules are ErrUnsupportedType. It
// is not safe for concurrent use.
type Reader struct {
	// MaxBulkLen bounds every string and every encoded object (ziplist,
	// listpack, zipmap, LZF-compressed data and its decompressed form);
	// a longer one is an error. Set it before the first Next.
	MaxBulkLen int

	r       byteReader
	crc     uint64
	version int
	aux     map[string]string
	err     error
	scratch [9]byte
}

type byteReader interface {
	io.Reader
	io.ByteReader
}

// NewReader returns a Reader from r. When r is an io.ByteReader (such as a
// *bufio.Reader) it is read directly and not past the checksum, so the
// caller can go on reading what follows the RDB (a replication stream);
// otherwise it is buffered.
func NewReader(r io.Reader) *Reader {
	br, ok := r.(byteReader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return &Reader{MaxBulkLen: DefaultMaxBulkLen, r: br, aux: map[string]string{}}
}

// Aux returns a copy of the AUX fields read so far.
func (r *Reader) Aux() map[string]string { return maps.Clone(r.aux) }

// Version returns the RDB version of the header, once Next has read it
// (0 before).
func (r *Reader) Version() int { return r.version }

// Next returns the next string, hash, list, set or sorted set key. At the
// end it returns io.EOF, after checking the checksum (a zero checksum
// means it was not computed, as Redis allows). A stream or module key
// gives an error wrapping ErrUnsupportedType; a stream that ends early
// gives io.ErrUnexpectedEOF; a malformed value (a sorted set with a NaN
// score or two equal members among them) gives ErrCorrupt. Empty
// collections are skipped, as Redis skips empty keys when loading. Every
// error is final: Next returns it again.
func (r *Reader) Next() (*Entry, error) {
	if r.err != nil {
		return nil, r.err
	}
	e, err := r.next()
	if err != nil {
		if err == io.EOF {
			r.err = io.EOF
		} else {
			r.err = fmt.Errorf("rdb: %w", err)
		}
		return nil, r.err
	}
	return e, nil
}

func (r *Reader) next() (*Entry, error) {
	if r.version == 0 {
		if err := r.header(); err != nil {
			return nil, err
		}
	}
	var expire int64
	for {
		op, err := r.readByte()
		if err != nil {
			return nil, err
		}
		switch op {
		case opAux:
			k, err := r.readString()
			if err != nil {
				return nil, err
			}
			v, err := r.readString()
			if err != nil {
				return nil, err
			}
			r.aux[string(k)] = string(v)
		case opSelectDB:
			db, _, err := r.readLen()
			if err != nil {
				return nil, err
			}
			if db != 0 {
				return nil, fmt.Errorf("SELECTDB %d: only database 0 is supported", db)
			}
		case opResizeDB:
			for range 2 {
				if _, _, err := r.readLen(); err != nil {
					return nil, err
				}
			}
		case opExpireTimeMs:
			b, err := r.readN(8)
			if err != nil {
				return nil, err
			}
			expire = int64(binary.LittleEndian.Uint64(b))
		case opExpireTime:
			b, err := r.readN(4)
			if err != nil {
				return nil, err
			}
			expire = int64(int32(binary.LittleEndian.Uint32(b))) * 1000
		case opIdle:
			if _, _, err := r.readLen(); err != nil {
				return nil, err
			}
		case opFreq:
			if _, err := r.readByte(); err != nil {
				return nil, err
			}
		case opFunction2:
			code, err := r.readString()
			if err != nil {
				return nil, err
			}
			if len(code) > 0 {
				return nil, errors.New("the RDB holds Redis functions, which Shingle does not support")
			}
		case opFunctionPreGA:
			return nil, errors.New("the RDB holds Redis functions (pre-GA format), which Shingle does not support")
		case opModuleAux:
			return nil, errors.New("the RDB holds module AUX data, which Shingle does not support")
		case opEOF:
			return nil, r.checksum()
		default:
			e, err := r.object(op, expire)
			if err != nil {
				return nil, err
			}
			if e == nil { // empty key, skipped
				expire = 0
				continue
			}
			return e, nil
		}
	}
}

func (r *Reader) header() error {
	b, err := r.readN(9)
	if err != nil {
		return err
	}
	if string(b[:5]) != "REDIS" {
		return corrupt("not an RDB: bad signature %q", b[:5])
	}
	v, err := strconv.Atoi(string(b[5:]))
	if err != nil || v < 1 {
		return corrupt("bad RDB version %q", b[5:])
	}
	if v > maxReadVersion {
		return fmt.Errorf("RDB version %d is newer than supported (%d)", v, maxReadVersion)
	}
	r.version = v
	return nil
}

func (r *Reader) checksum() error {
	if r.version < 5 {
		return io.EOF
	}
	want := r.crc
	b, err := r.readN(8)
	if err != nil {
		return err
	}
	got := binary.LittleEndian.Uint64(b)
	if got != 0 && got != want {
		return fmt.Errorf("%w (stored %016x, computed %016x)", ErrChecksum, got, want)
	}
	return io.EOF
}

func (r *Reader) object(typ byte, expire int64) (*Entry, error) {
	if _, _, ok := typeOf(typ); !ok {
		return nil, corrupt("unknown opcode or type %d", typ)
	}
	key, err := r.readString()
	if err != nil {
		return nil, err
	}
	return r.value(typ, key, expire)
}

// value reads the value of an object of type typ (a known type byte).
func (r *Reader) value(typ byte, key []byte, expire int64) (*Entry, error) {
	t, enc, _ := typeOf(typ)
	e := &Entry{Type: t, Key: key, ExpireMs: expire}
	var err error
	switch typ {
	case rdbTypeString:
		e.Value, err = r.readString()
	case rdbTypeHash:
		e.Fields, err = r.readHash()
	case rdbTypeHashZipmap, rdbTypeHashZiplist, rdbTypeHashListpack:
		var blob []byte
		blob, err = r.readString()
		if err != nil {
			break
		}
		switch typ {
		case rdbTypeHashZipmap:
			e.Fields, err = decodeZipmap(blob)
		case rdbTypeHashZiplist:
			e.Fields, err = decodeZiplist(blob)
		default:
			e.Fields, err = decodeListpack(blob)
		}
		if err == nil && len(e.Fields)%2 != 0 {
			err = corrupt("%s with an odd number of entries", enc)
		}
	case rdbTypeList, rdbTypeSet:
		e.Members, err = r.readStrings(1)
	case rdbTypeListZiplist:
		var blob []byte
		if blob, err = r.readString(); err == nil {
			e.Members, err = decodeZiplist(blob)
		}
	case rdbTypeListQuicklist, rdbTypeListQuicklist2:
		e.Members, err = r.readQuicklist(typ == rdbTypeListQuicklist2)
	case rdbTypeZSet, rdbTypeZSet2:
		e.Members, e.Scores, err = r.readZSet(typ == rdbTypeZSet)
	case rdbTypeZSetZiplist, rdbTypeZSetListpack:
		var blob []byte
		if blob, err = r.readString(); err == nil {
			e.Members, e.Scores, err = decodeZSetPairs(blob, typ == rdbTypeZSetListpack)
		}
	case rdbTypeSetIntset, rdbTypeSetListpack:
		var blob []byte
		if blob, err = r.readString(); err != nil {
			break
		}
		if typ == rdbTypeSetIntset {
			e.Members, err = decodeIntset(blob)
		} else {
			e.Members, err = decodeListpack(blob)
		}
	default:
		return nil, fmt.Errorf("key %q: %s (RDB type %d, %s): %w", key, t, typ, enc, ErrUnsupportedType)
	}
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", key, err)
	}
	if t == TypeHash && len(e.Fields) == 0 || (t == TypeSet || t == TypeList || t == TypeZSet) && len(e.Members) == 0 {
		return nil, nil
	}
	return e, nil
}

// readQuicklist reads a quicklist's nodes: ziplists (RDB_TYPE_LIST_QUICKLIST)
// or, in version 2, each a container kind (1: one plain element, 2: a
// listpack) and its blob.
func (r *Reader) readQuicklist(v2 bool) ([][]byte, error) {
	n, _, err := r.readLen()
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for i := uint64(0); i < n; i++ {
		container := uint64(2)
		if v2 {
			if container, _, err = r.readLen(); err != nil {
				return nil, err
			}
		}
		blob, err := r.readString()
		if err != nil {
			return nil, err
		}
		var els [][]byte
		switch {
		case !v2:
			els, err = decodeZiplist(blob)
		case container == 1:
			els = [][]byte{blob}
		case container == 2:
			els, err = decodeListpack(blob)
		default:
			err = corrupt("quicklist node container %d", container)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, els...)
	}
	return out, nil
}

// readStrings reads a length, then that many groups of per strings (a
// set's members, a hash's fields and values).
func (r *Reader) readStrings(per int) ([][]byte, error) {
	n, _, err := r.readLen()
	if err != nil {
		return nil, err
	}
	var out [][]byte // grown as strings arrive: n is not trusted
	for i := uint64(0); i < n; i++ {
		for range per {
			s, err := r.readString()
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// readHash reads a length, then as many field and value pairs.
func (r *Reader) readHash() ([][]byte, error) { return r.readStrings(2) }

func (r *Reader) readByte() (byte, error) {
	c, err := r.r.ReadByte()
	if err != nil {
		return 0, unexpected(err)
	}
	r.scratch[0] = c
	r.crc = crc64Update(r.crc, r.scratch[:1])
	return c, nil
}

// readN reads n ≤ 9 bytes into the scratch buffer.
func (r *Reader) readN(n int) ([]byte, error) {
	b := r.scratch[:n]
	if _, err := io.ReadFull(r.r, b); err != nil {
		return nil, unexpected(err)
	}
	r.crc = crc64Update(r.crc, b)
	return b, nil
}

// readBytes reads n bytes, growing the result as they arrive.
func (r *Reader) readBytes(n uint64) ([]byte, error) {
	if n > uint64(r.MaxBulkLen) {
		return nil, fmt.Errorf("string of %d bytes exceeds MaxBulkLen (%d)", n, r.MaxBulkLen)
	}
	const chunk = 64 << 10
	buf := make([]byte, 0, min(n, chunk))
	for uint64(len(buf)) < n {
		k := int(min(n-uint64(len(buf)), chunk))
		buf = slices.Grow(buf, k)
		part := buf[len(buf) : len(buf)+k]
		if _, err := io.ReadFull(r.r, part); err != nil {
			return nil, unexpected(err)
		}
		r.crc = crc64Update(r.crc, part)
		buf = buf[:len(buf)+k]
	}
	return buf, nil
}

// readLen reads an RDB length; encoded is true for the special string
// encodings (11xxxxxx), with the encoding in n.
func (r *Reader) readLen() (n uint64, encoded bool, err error) {
	c, err := r.readByte()
	if err != nil {
		return 0, false, err
	}
	switch c >> 6 {
	case 0:
		return uint64(c & 0x3F), false, nil
	case 1:
		c2, err := r.readByte()
		if err != nil {
			return 0, false, err
		}
		return uint64(c&0x3F)<<8 | uint64(c2), false, nil
	case 2:
		switch c {
		case 0x80:
			b, err := r.readN(4)
			if err != nil {
				return 0, false, err
			}
			return uint64(binary.BigEndian.Uint32(b)), false, nil
		case 0x81:
			b, err := r.readN(8)
			if err != nil {
				return 0, false, err
			}
			return binary.BigEndian.Uint64(b), false, nil
		}
		return 0, false, corrupt("unknown length encoding 0x%02x", c)
	}
	return uint64(c & 0x3F), true, nil
}

// readString reads an RDB string: raw, integer-encoded or LZF-compressed.
func (r *Reader) readString() ([]byte, error) {
	n, encoded, err := r.readLen()
	if err != nil {
		return nil, err
	}
	if !encoded {
		return r.readBytes(n)
	}
	switch n {
	case 0:
		b, err := r.readN(1)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int8(b[0])), 10), nil
	case 1:
		b, err := r.readN(2)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(b))), 10), nil
	case 2:
		b, err := r.readN(4)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(b))), 10), nil
	case 3:
		clen, _, err := r.readLen()
		if err != nil {
			return nil, err
		}
		ulen, _, err := r.readLen()
		if err != nil {
			return nil, err
		}
		if ulen > uint64(r.MaxBulkLen) {
			return nil, fmt.Errorf("compressed string of %d bytes exceeds MaxBulkLen (%d)", ulen, r.MaxBulkLen)
		}
		c, err := r.readBytes(clen)
		if err != nil {
			return nil, err
		}
		return lzfDecompress(c, int(ulen))
	}
	return nil, corrupt("unknown string encoding %d", n)
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
