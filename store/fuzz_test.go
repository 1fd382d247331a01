package store

import (
	"bytes"
	"math"
	"testing"
)

// The fuzz targets below check that every Pebble key and meta value built in
// keys.go decodes back to what it was built from, and that the ranges the
// store deletes and scans hold exactly the keys they are meant to: a mistake
// there loses or resurrects data silently.

// fuzzSeedKeys are user keys worth starting from: empty, hash-tagged, binary,
// and keys whose bytes look like the encoding's own separators.
var fuzzSeedKeys = [][]byte{
	{},
	[]byte("foo"),
	[]byte("{user1000}.following"),
	[]byte("{}"),
	[]byte("foo{}{bar}"),
	[]byte("{"),
	[]byte("}{"),
	{0x00, 0xff, 'k', 's', 'x', 0x80, '{', '}'},
	bytes.Repeat([]byte{0xff}, 40),
}

func TestSlot(t *testing.T) {
	for _, c := range []struct {
		key  string
		want uint16
	}{
		{"foo", 12182}, // CLUSTER KEYSLOT foo
		{"123456789", 0x31c3},
		{"", 0},
	} {
		if got := Slot([]byte(c.key)); got != c.want {
			t.Errorf("Slot(%q) = %d, want %d", c.key, got, c.want)
		}
	}
	// The CRC16/XMODEM check value, before the reduction to 14 bits.
	if got := crc16([]byte("123456789")); got != 0x31c3 {
		t.Errorf("crc16(123456789) = %#x, want 0x31c3", got)
	}
	// Each key hashes as the key it names: its hash tag (the bytes between
	// the first '{' and the first '}' after it) when that is not empty, and
	// the whole key otherwise.
	for _, c := range []struct{ key, hashed string }{
		{"{user1000}.following", "user1000"},
		{"{user1000}.followers", "user1000"},
		{"foo{}{bar}", "foo{}{bar}"}, // the first tag is empty: no tag
		{"foo{{bar}}zap", "{bar"},    // the tag starts after the first '{'
		{"foo{bar}{zap}", "bar"},     // only the first tag counts
		{"{}", "{}"},
		{"{", "{"},
		{"}{", "}{"},
		{"a{b", "a{b"}, // no '}' after the '{'
		{"x}{y}", "y"},
	} {
		got, want := Slot([]byte(c.key)), Slot([]byte(c.hashed))
		if got != want || want != crc16([]byte(c.hashed))&(SlotCount-1) {
			t.Errorf("Slot(%q) = %d, want Slot(%q) = %d", c.key, got, c.hashed, want)
		}
	}
}

// FuzzMetaKey checks metaKey against decodeMetaKey, expireKey against
// decodeExpireKey, and that a key lies inside its slot's bounds.
func FuzzMetaKey(f *testing.F) {
	for i, k := range fuzzSeedKeys {
		f.Add(k, int64(i)*1_700_000_000_000)
	}
	f.Add([]byte("k"), int64(-1))
	f.Add([]byte("k"), int64(math.MaxInt64))
	f.Add([]byte("k"), int64(math.MinInt64))
	f.Fuzz(func(t *testing.T, key []byte, ms int64) {
		slot := Slot(key)
		if slot >= SlotCount {
			t.Fatalf("Slot(%q) = %d", key, slot)
		}
		// A key with no '}' is its own hash tag when wrapped in braces.
		if len(key) > 0 && bytes.IndexByte(key, '}') < 0 {
			wrapped := append(append([]byte("pre{"), key...), "}post"...)
			if got := Slot(wrapped); got != slot {
				t.Fatalf("Slot(%q) = %d, Slot(%q) = %d", key, slot, wrapped, got)
			}
		}

		// Build after a prefix, to check that metaKey appends to dst.
		prefix := []byte("dst")
		mk := metaKey(bytes.Clone(prefix), key)
		if !bytes.HasPrefix(mk, prefix) {
			t.Fatalf("metaKey overwrote dst: %q", mk)
		}
		mk = mk[len(prefix):]
		if len(mk) != metaPrefixLen+len(key) || mk[0] != nsKey {
			t.Fatalf("metaKey(%q) = %x", key, mk)
		}
		gotSlot, hash, gotKey, err := decodeMetaKey(mk)
		if err != nil {
			t.Fatalf("decodeMetaKey(metaKey(%q)): %v", key, err)
		}
		if gotSlot != slot || hash != keyHash(key) || !bytes.Equal(gotKey, key) {
			t.Fatalf("decodeMetaKey(metaKey(%q)) = %d, %#x, %q; want %d, %#x, %q",
				key, gotSlot, hash, gotKey, slot, keyHash(key), key)
		}
		if _, _, _, err := decodeMetaKey(mk[:metaPrefixLen-1]); err == nil {
			t.Fatal("decodeMetaKey accepted a truncated key")
		}

		// SCAN seeks to (slot, hash) and counts a slot by its bounds.
		if seek := metaSeekKey(slot, hash); bytes.Compare(seek, mk) > 0 {
			t.Fatalf("metaSeekKey(%d, %#x) = %x sorts after the key %x", slot, hash, seek, mk)
		}
		lo, hi := slotBounds(slot)
		if bytes.Compare(lo, mk) > 0 || bytes.Compare(mk, hi) >= 0 {
			t.Fatalf("key %x outside its slot's bounds [%x, %x)", mk, lo, hi)
		}
		if slot > 0 {
			if _, prevHi := slotBounds(slot - 1); bytes.Compare(mk, prevHi) < 0 {
				t.Fatalf("key %x inside the bounds of slot %d", mk, slot-1)
			}
		}

		ek := expireKey(bytes.Clone(prefix), ms, mk)
		if !bytes.HasPrefix(ek, prefix) {
			t.Fatalf("expireKey overwrote dst: %q", ek)
		}
		ek = ek[len(prefix):]
		gotMS, gotMK, err := decodeExpireKey(ek)
		if err != nil {
			t.Fatalf("decodeExpireKey(expireKey(%d, %x)): %v", ms, mk, err)
		}
		if gotMS != ms || !bytes.Equal(gotMK, mk) {
			t.Fatalf("decodeExpireKey(expireKey(%d, %x)) = %d, %x", ms, mk, gotMS, gotMK)
		}
		// The decoded meta key must not alias the index entry: the store
		// keeps it after the iterator that produced the entry moves on.
		if len(gotMK) > 1 {
			ek[len(ek)-1] ^= 0xff
			if !bytes.Equal(gotMK, mk) {
				t.Fatal("decodeExpireKey's meta key aliases its input")
			}
		}
		if _, _, err := decodeExpireKey(ek[:expirePrefix+metaPrefixLen-2]); err == nil {
			t.Fatal("decodeExpireKey accepted a truncated entry")
		}
	})
}

// fuzzMetaTypes are the types a meta record can hold, picked by a fuzzed byte.
var fuzzMetaTypes = []Type{TypeString, TypeList, TypeSet, TypeZSet, TypeHash}

// FuzzMetaValue builds a meta of each type from fuzzed fields and checks the
// encoding round trip; it also decodes the raw fuzzed bytes, which must never
// panic and, when accepted, must re-encode to themselves (the encoding is
// canonical, except that an expiry of 0 under the flag reads as none).
func FuzzMetaValue(f *testing.F) {
	f.Add(uint8(0), false, int64(0), uint64(0), int64(0), uint64(0), []byte("hello"), []byte{0})
	f.Add(uint8(0), true, int64(1_700_000_000_000), uint64(0), int64(0), uint64(0), []byte{}, []byte{0x80})
	f.Add(uint8(4), false, int64(0), uint64(1024), int64(3), uint64(0), []byte(nil),
		[]byte{4, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 3})
	f.Add(uint8(4), true, int64(-1), uint64(math.MaxUint64), int64(math.MaxInt64), uint64(0), []byte(nil),
		[]byte{0x84, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2})
	f.Add(uint8(1), true, int64(5), uint64(7), int64(-1), uint64(math.MaxUint64), []byte(nil), []byte{1})
	f.Add(uint8(2), false, int64(0), uint64(1), int64(1), uint64(0), []byte(nil), []byte{0xff})
	f.Add(uint8(3), true, int64(math.MinInt64), uint64(2), int64(0), uint64(0), []byte("{user1000}.following"),
		[]byte("\x03\x00"))
	f.Fuzz(func(t *testing.T, typ uint8, withExpire bool, expire int64, id uint64, count int64,
		head uint64, value, raw []byte) {
		m := meta{typ: fuzzMetaTypes[int(typ)%len(fuzzMetaTypes)]}
		if withExpire {
			m.expire = expire
		}
		switch m.typ {
		case TypeString:
			m.value = value
		case TypeList:
			m.id, m.count, m.head = id, count, head
		default:
			m.id, m.count = id, count
		}
		prefix := []byte("dst")
		enc := m.encode(bytes.Clone(prefix))
		if !bytes.HasPrefix(enc, prefix) {
			t.Fatalf("encode overwrote dst: %x", enc)
		}
		enc = enc[len(prefix):]
		got, err := decodeMeta(enc)
		if err != nil {
			t.Fatalf("decodeMeta(%x) of %+v: %v", enc, m, err)
		}
		if got.typ != m.typ || got.expire != m.expire || !bytes.Equal(got.value, m.value) ||
			got.id != m.id || got.count != m.count || got.head != m.head {
			t.Fatalf("decodeMeta(encode(%+v)) = %+v", m, got)
		}
		// Any shorter record is not one this code wrote, except for a
		// string, whose value can be any length.
		if m.typ != TypeString {
			for n := range len(enc) {
				if _, err := decodeMeta(enc[:n]); err == nil {
					t.Fatalf("decodeMeta accepted %x, a truncation of %+v", enc[:n], m)
				}
			}
		}

		dm, err := decodeMeta(raw)
		if err != nil {
			return
		}
		if dm.typ != TypeString && dm.typ != TypeList && dm.typ != TypeSet &&
			dm.typ != TypeZSet && dm.typ != TypeHash {
			t.Fatalf("decodeMeta(%x) accepted type %d", raw, dm.typ)
		}
		if (raw[0]&flagExpire != 0) == (dm.expire != 0) {
			if re := dm.encode(nil); !bytes.Equal(re, raw) {
				t.Fatalf("decodeMeta(%x) = %+v, which encodes as %x", raw, dm, re)
			}
		}
	})
}

// FuzzHashedSubKey checks hashedSubKey against decodeHashedSubKey, and that
// subRange, the range deleted when a collection goes, holds every element of
// its collection and none of the collections next to it.
func FuzzHashedSubKey(f *testing.F) {
	for i, k := range fuzzSeedKeys {
		f.Add(Slot(k), uint64(i), tagHashField, k)
	}
	f.Add(uint16(0), uint64(0), tagSetMember, []byte{})
	f.Add(uint16(SlotCount-1), uint64(math.MaxUint64), tagZMember, []byte("member"))
	f.Add(uint16(SlotCount-1), uint64(math.MaxUint64), byte(0xff), bytes.Repeat([]byte{0xff}, 20))
	f.Add(uint16(100), uint64(255), byte(0), []byte{0})
	f.Fuzz(func(t *testing.T, slot uint16, id uint64, tag byte, elem []byte) {
		slot %= SlotCount // slots come from Slot, which stays below SlotCount

		prefix := []byte("dst")
		sk := hashedSubKey(bytes.Clone(prefix), slot, id, tag, elem)
		if !bytes.HasPrefix(sk, prefix) {
			t.Fatalf("hashedSubKey overwrote dst: %x", sk)
		}
		sk = sk[len(prefix):]
		if want := subPrefix(nil, slot, id, tag); !bytes.HasPrefix(sk, want) || len(want) != subPrefixLen {
			t.Fatalf("hashedSubKey(%d, %d, %q, %q) = %x, not under prefix %x", slot, id, tag, elem, sk, want)
		}
		hash, gotElem, err := decodeHashedSubKey(sk)
		if err != nil {
			t.Fatalf("decodeHashedSubKey(%x): %v", sk, err)
		}
		if hash != keyHash(elem) || !bytes.Equal(gotElem, elem) {
			t.Fatalf("decodeHashedSubKey(hashedSubKey(.., %q)) = %#x, %q; want %#x", elem, hash, gotElem, keyHash(elem))
		}
		if _, _, err := decodeHashedSubKey(sk[:subPrefixLen+hashedLen-1]); err == nil {
			t.Fatal("decodeHashedSubKey accepted a truncated key")
		}

		lo, hi := subRange(slot, id)
		in := func(k []byte) bool { return bytes.Compare(lo, k) <= 0 && bytes.Compare(k, hi) < 0 }
		if !in(sk) {
			t.Fatalf("element key %x outside subRange(%d, %d) = [%x, %x)", sk, slot, id, lo, hi)
		}
		// The smallest and largest keys a collection can have, whatever the
		// tag and the element.
		first := func(slot uint16, id uint64) []byte { return subPrefix(nil, slot, id, 0) }
		last := func(slot uint16, id uint64) []byte {
			return hashedSubKey(nil, slot, id, 0xff, bytes.Repeat([]byte{0xff}, 64))
		}
		if !in(first(slot, id)) || !in(last(slot, id)) {
			t.Fatalf("subRange(%d, %d) = [%x, %x) misses part of its collection", slot, id, lo, hi)
		}
		// The neighbours, in key order: id-1 and id+1 of the same slot, or,
		// at the ends of the id space, the last id of the slot before and
		// the first id of the slot after.
		switch {
		case id > 0:
			if in(last(slot, id-1)) || in(hashedSubKey(nil, slot, id-1, tag, elem)) {
				t.Fatalf("subRange(%d, %d) holds an element of id %d", slot, id, id-1)
			}
		case slot > 0:
			if in(last(slot-1, math.MaxUint64)) {
				t.Fatalf("subRange(%d, 0) holds an element of slot %d", slot, slot-1)
			}
		}
		switch {
		case id < math.MaxUint64:
			if in(first(slot, id+1)) || in(hashedSubKey(nil, slot, id+1, tag, elem)) {
				t.Fatalf("subRange(%d, %d) holds an element of id %d", slot, id, id+1)
			}
		case slot < SlotCount-1:
			if in(first(slot+1, 0)) {
				t.Fatalf("subRange(%d, max) holds an element of slot %d", slot, slot+1)
			}
		}
		// Other namespaces are never inside: meta keys sort before 's' and
		// expiry entries after.
		if in(metaKey(nil, elem)) || in(expireKey(nil, 0, metaKey(nil, elem))) {
			t.Fatalf("subRange(%d, %d) holds a key of another namespace", slot, id)
		}
	})
}
