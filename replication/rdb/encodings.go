package rdb

import (
	"encoding/binary"
	"strconv"
)

// lzfDecompress decompresses LZF data (redis/src/lzf_d.c) that must come
// out exactly ulen bytes long. The output grows as it is produced.
func lzfDecompress(in []byte, ulen int) ([]byte, error) {
	out := make([]byte, 0, min(ulen, 4*len(in)+64))
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 { // literal run of ctrl+1 bytes
			n := ctrl + 1
			if i+n > len(in) {
				return nil, corrupt("lzf: literal run past the input")
			}
			if len(out)+n > ulen {
				return nil, corrupt("lzf: output longer than %d bytes", ulen)
			}
			out = append(out, in[i:i+n]...)
			i += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if i >= len(in) {
				return nil, corrupt("lzf: truncated back reference")
			}
			n += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, corrupt("lzf: truncated back reference")
		}
		ref := len(out) - (ctrl&0x1F)<<8 - 1 - int(in[i])
		i++
		n += 2
		if ref < 0 {
			return nil, corrupt("lzf: back reference before the start")
		}
		if len(out)+n > ulen {
			return nil, corrupt("lzf: output longer than %d bytes", ulen)
		}
		for k := range n { // byte by byte: the ranges may overlap
			out = append(out, out[ref+k])
		}
	}
	if len(out) != ulen {
		return nil, corrupt("lzf: output is %d bytes, want %d", len(out), ulen)
	}
	return out, nil
}

// decodeZiplist returns the entries of a ziplist (redis/src/ziplist.c),
// integers as decimal text.
func decodeZiplist(b []byte) ([][]byte, error) {
	var out [][]byte
	if err := walkZiplist(b, func(s []byte, v int64, isInt bool) {
		out = append(out, entryBytes(s, v, isInt))
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// entryBytes is a ziplist or listpack entry as a new string: a copy of s,
// or the decimal text of the integer v.
func entryBytes(s []byte, v int64, isInt bool) []byte {
	if isInt {
		return strconv.AppendInt(nil, v, 10)
	}
	return append([]byte(nil), s...)
}

// walkZiplist calls fn with each entry of a ziplist in order: a string s
// (which aliases b), or an integer v when isInt is set.
func walkZiplist(b []byte, fn func(s []byte, v int64, isInt bool)) error {
	if len(b) < 11 {
		return corrupt("ziplist too short")
	}
	if int(binary.LittleEndian.Uint32(b)) != len(b) {
		return corrupt("ziplist length mismatch")
	}
	p := 10
	for {
		if p >= len(b) {
			return corrupt("ziplist without end marker")
		}
		if b[p] == 0xFF {
			if p != len(b)-1 {
				return corrupt("ziplist: data after end marker")
			}
			return nil
		}
		// prevlen
		if b[p] == 0xFE {
			p += 5
		} else {
			p++
		}
		if p >= len(b) {
			return corrupt("ziplist entry truncated")
		}
		c := b[p]
		p++
		var slen int
		switch {
		case c>>6 == 0:
			slen = int(c & 0x3F)
		case c>>6 == 1:
			if p+1 > len(b) {
				return corrupt("ziplist entry truncated")
			}
			slen = int(c&0x3F)<<8 | int(b[p])
			p++
		case c == 0x80:
			if p+4 > len(b) {
				return corrupt("ziplist entry truncated")
			}
			slen = int(binary.BigEndian.Uint32(b[p:]))
			p += 4
		case c >= 0xF1 && c <= 0xFD:
			fn(nil, int64(c&0x0F)-1, true)
			continue
		default:
			size := ziplistIntSize(c)
			if size == 0 {
				return corrupt("ziplist: bad encoding 0x%02x", c)
			}
			if p+size > len(b) {
				return corrupt("ziplist entry truncated")
			}
			fn(nil, leInt(b[p:p+size]), true)
			p += size
			continue
		}
		if slen < 0 || slen > len(b)-p {
			return corrupt("ziplist string past the end")
		}
		fn(b[p:p+slen], 0, false)
		p += slen
	}
}

// ziplistIntSize is the size of a ziplist integer of encoding c, 0 when c
// is no integer encoding.
func ziplistIntSize(c byte) int {
	switch c {
	case 0xC0:
		return 2
	case 0xD0:
		return 4
	case 0xE0:
		return 8
	case 0xF0:
		return 3
	case 0xFE:
		return 1
	}
	return 0
}

// decodeListpack returns the entries of a listpack (redis/src/listpack.c),
// integers as decimal text.
func decodeListpack(b []byte) ([][]byte, error) {
	var out [][]byte
	if err := walkListpack(b, func(s []byte, v int64, isInt bool) {
		out = append(out, entryBytes(s, v, isInt))
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// walkListpack calls fn with each entry of a listpack in order: a string s
// (which aliases b), or an integer v when isInt is set.
func walkListpack(b []byte, fn func(s []byte, v int64, isInt bool)) error {
	if len(b) < 7 {
		return corrupt("listpack too short")
	}
	if int(binary.LittleEndian.Uint32(b)) != len(b) {
		return corrupt("listpack length mismatch")
	}
	p := 6
	for {
		if p >= len(b) {
			return corrupt("listpack without end marker")
		}
		c := b[p]
		if c == 0xFF {
			if p != len(b)-1 {
				return corrupt("listpack: data after end marker")
			}
			return nil
		}
		var hdr, slen int // string entries: header and string length
		isInt := false
		var v int64
		entry := 0 // encoding + data length, for integers
		switch {
		case c&0x80 == 0:
			isInt, v, entry = true, int64(c&0x7F), 1
		case c&0xC0 == 0x80:
			hdr, slen = 1, int(c&0x3F)
		case c&0xE0 == 0xC0:
			if p+2 > len(b) {
				return corrupt("listpack entry truncated")
			}
			u := int64(c&0x1F)<<8 | int64(b[p+1])
			if u >= 1<<12 {
				u -= 1 << 13
			}
			isInt, v, entry = true, u, 2
		case c&0xF0 == 0xE0:
			if p+2 > len(b) {
				return corrupt("listpack entry truncated")
			}
			hdr, slen = 2, int(c&0x0F)<<8|int(b[p+1])
		case c == 0xF0:
			if p+5 > len(b) {
				return corrupt("listpack entry truncated")
			}
			hdr, slen = 5, int(binary.LittleEndian.Uint32(b[p+1:]))
		case c >= 0xF1 && c <= 0xF4:
			size := [...]int{2, 3, 4, 8}[c-0xF1]
			if p+1+size > len(b) {
				return corrupt("listpack entry truncated")
			}
			isInt, v, entry = true, leInt(b[p+1:p+1+size]), 1+size
		default:
			return corrupt("listpack: bad encoding 0x%02x", c)
		}
		if isInt {
			fn(nil, v, true)
		} else {
			if slen < 0 || slen > len(b)-p-hdr {
				return corrupt("listpack string past the end")
			}
			fn(b[p+hdr:p+hdr+slen], 0, false)
			entry = hdr + slen
		}
		p += entry + backlenSize(entry)
	}
}

// backlenSize is the size of a listpack entry's back length.
func backlenSize(n int) int {
	switch {
	case n <= 127:
		return 1
	case n < 16383:
		return 2
	case n < 2097151:
		return 3
	case n < 268435455:
		return 4
	}
	return 5
}

// leInt decodes a little-endian signed integer of 1 to 8 bytes.
func leInt(b []byte) int64 {
	var u uint64
	for i := len(b) - 1; i >= 0; i-- {
		u = u<<8 | uint64(b[i])
	}
	shift := 64 - 8*len(b)
	return int64(u<<shift) >> shift
}

// decodeZipmap returns the field, value pairs of a zipmap
// (redis/src/zipmap.c, hashes in RDB versions before 4).
func decodeZipmap(b []byte) ([][]byte, error) {
	if len(b) < 2 {
		return nil, corrupt("zipmap too short")
	}
	var out [][]byte
	p := 1
	readLen := func() (int, bool) {
		if p >= len(b) {
			return 0, false
		}
		c := b[p]
		p++
		switch {
		case c < 254:
			return int(c), true
		case c == 254:
			if p+4 > len(b) {
				return 0, false
			}
			n := int(binary.LittleEndian.Uint32(b[p:]))
			p += 4
			return n, true
		}
		return -1, true // end marker
	}
	for {
		n, ok := readLen()
		if !ok {
			return nil, corrupt("zipmap truncated")
		}
		if n < 0 {
			if p != len(b) {
				return nil, corrupt("zipmap: data after end marker")
			}
			return out, nil
		}
		if n > len(b)-p {
			return nil, corrupt("zipmap field past the end")
		}
		out = append(out, append([]byte(nil), b[p:p+n]...))
		p += n
		n, ok = readLen()
		if !ok || n < 0 || p >= len(b) {
			return nil, corrupt("zipmap truncated")
		}
		free := int(b[p])
		p++
		if n > len(b)-p || free > len(b)-p-n {
			return nil, corrupt("zipmap value past the end")
		}
		out = append(out, append([]byte(nil), b[p:p+n]...))
		p += n + free
	}
}

// decodeIntset decodes an intset (RDB_TYPE_SET_INTSET's blob): the width
// of its integers (2, 4 or 8 bytes), their count, then the integers, all
// little endian, as decimal strings.
func decodeIntset(b []byte) ([][]byte, error) {
	if len(b) < 8 {
		return nil, corrupt("intset of %d bytes", len(b))
	}
	width := binary.LittleEndian.Uint32(b)
	n := binary.LittleEndian.Uint32(b[4:])
	b = b[8:]
	if width != 2 && width != 4 && width != 8 || uint64(len(b)) != uint64(width)*uint64(n) {
		return nil, corrupt("intset of %d bytes holding %d integers of %d bytes", len(b), n, width)
	}
	out := make([][]byte, 0, n)
	for ; len(b) > 0; b = b[width:] {
		var v int64
		switch width {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(b)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(b)))
		default:
			v = int64(binary.LittleEndian.Uint64(b))
		}
		out = append(out, strconv.AppendInt(nil, v, 10))
	}
	return out, nil
}
