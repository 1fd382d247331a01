package store

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shinglekv/shingle/internal/redisnum"
)

// Digest returns a digest of the whole dataset, 40 hex characters, that
// depends on every key, type, value and on whether each key has an expiry,
// and not on the order in which anything is stored. Two databases with the
// same logical content have the same digest.
//
// It is computed exactly as Redis 7 computes DEBUG DIGEST, so a Shingle
// instance and a stock redis-server holding the same data agree; one
// difference is on purpose: keys that have expired but are not yet deleted
// are left out, so that instances that reclaimed them at different moments
// still agree. The empty dataset gives 40 zeros. Outside a transaction Digest
// reads a snapshot and does not block writers.
func (o *Ops) Digest() (string, error) {
	var v view
	if o.tx != nil {
		w, err := o.tx.beginCommand()
		if err != nil {
			return "", err
		}
		v = w.view
	} else {
		snap, err := o.snapshot()
		if err != nil {
			return "", err
		}
		v = view{r: snap, clock: o.db.opts.Now}
		defer o.db.inflight.Done()
		defer snap.Close()
	}

	var keys [20]byte
	n, err := v.digestKeys(&keys)
	if err != nil || n == 0 {
		return hex.EncodeToString(make([]byte, 20)), err
	}
	// Redis mixes in the database number (0) before the keys of a database
	// that has any.
	var final [20]byte
	mixDigest(&final, []byte{0, 0, 0, 0})
	xorBytes(&final, &keys)
	return hex.EncodeToString(final[:]), nil
}

// snapshot takes a Pebble snapshot of the committed state, counted in
// inflight: the caller closes it, then calls inflight.Done.
func (o *Ops) snapshot() (*pebble.Snapshot, error) {
	o.rlock()
	defer o.runlock()
	if o.db.closed {
		return nil, ErrClosed
	}
	if o.sess.isHolding() {
		o.db.applyRunNow() // the snapshot includes the session's held run
	}
	o.db.waitApplied()
	snap := o.db.pdb.NewSnapshot()
	o.db.inflight.Add(1)
	return snap, nil
}

func (v *view) digestKeys(acc *[20]byte) (int, error) {
	it, err := v.iter([]byte{nsKey}, []byte{nsKey + 1})
	if err != nil {
		return 0, err
	}
	n := 0
	for it.First(); it.Valid(); it.Next() {
		m, err := v.metaAt(it)
		if err != nil {
			return 0, closeIter(it, err)
		}
		if v.isExpired(&m) {
			continue
		}
		_, _, k, err := decodeMetaKey(it.Key())
		if err != nil {
			return 0, closeIter(it, err)
		}
		var d [20]byte
		mixDigest(&d, k)
		mixDigest(&d, binary.BigEndian.AppendUint32(nil, uint32(m.typ)))
		switch m.typ {
		case TypeString:
			mixDigest(&d, m.value)
		case TypeHash:
			if err := v.digestHash(&d, it.Key()[1:3], &m); err != nil {
				return 0, closeIter(it, err)
			}
		case TypeList:
			// Each element mixed in, in order, as Redis does.
			e := entry{mk: it.Key(), meta: m}
			els, err := v.listElems(&e, 0, m.count-1)
			if err != nil {
				return 0, closeIter(it, err)
			}
			for _, el := range els {
				mixDigest(&d, el)
			}
		case TypeZSet:
			// Each member mixed with its score ("%.17g"), hashed and xor-ed in.
			sms, err := v.zmembers(binary.BigEndian.Uint16(it.Key()[1:3]), m.id)
			if err != nil {
				return 0, closeIter(it, err)
			}
			for _, sm := range sms {
				var ed [20]byte
				mixDigest(&ed, sm.Member)
				mixDigest(&ed, redisnum.AppendDouble(nil, sm.Score))
				xorDigest(&d, ed[:])
			}
		case TypeSet:
			// Each member hashed and xor-ed in, as Redis does.
			prefix := subPrefix(nil, binary.BigEndian.Uint16(it.Key()[1:3]), m.id, tagSetMember)
			if _, err := v.scanElems(prefix, 0, -1, nil, func(mem, _ []byte) { xorDigest(&d, mem) }); err != nil {
				return 0, closeIter(it, err)
			}
		default:
			return 0, closeIter(it, errCorrupt)
		}
		if m.expire != 0 {
			xorDigest(&d, []byte("!!expire!!"))
		}
		xorDigest(acc, d[:])
		n++
	}
	return n, it.Close()
}

// digestHash adds each field: the mix of field then value, hashed and xor-ed
// in, so that the order of fields does not matter.
func (v *view) digestHash(d *[20]byte, slot []byte, m *meta) error {
	prefix := subPrefix(nil, binary.BigEndian.Uint16(slot), m.id, tagHashField)
	it, err := v.iter(prefix, prefixEnd(prefix))
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		_, f, err := decodeHashedSubKey(it.Key())
		if err != nil {
			return closeIter(it, err)
		}
		val, err := it.ValueAndErr()
		if err != nil {
			return closeIter(it, err)
		}
		var e [20]byte
		mixDigest(&e, f)
		mixDigest(&e, val)
		xorDigest(d, e[:])
	}
	return it.Close()
}

// xorDigest is Redis's xorDigest: d ^= SHA1(data).
func xorDigest(d *[20]byte, data []byte) {
	h := sha1.Sum(data)
	xorBytes(d, &h)
}

// mixDigest is Redis's mixDigest: d = SHA1(d ^ SHA1(data)), which makes the
// result depend on order.
func mixDigest(d *[20]byte, data []byte) {
	xorDigest(d, data)
	*d = sha1.Sum(d[:])
}

func xorBytes(d, s *[20]byte) {
	for i := range d {
		d[i] ^= s[i]
	}
}
