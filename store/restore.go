package store

import (
	"bytes"
	"strconv"
)

// ErrBusyKey is RESTORE's answer when the key exists and REPLACE was not
// given.
var ErrBusyKey = newError("BUSYKEY Target key name already exists.")

// Restore writes r's value at key, as RESTORE does with a decoded DUMP
// payload (r.Key is not used): a string, a hash, a set, a list or a sorted set, expiring at r.ExpireMs
// (Unix milliseconds, 0 for never). An existing key is an error unless
// replace is set, in which case the key is replaced whole. Replicas and
// the change feed see SET, or DEL, HSET (SADD, RPUSH, ZADD) and PEXPIREAT in one MULTI.
// Errors: ErrBusyKey, ErrSyntax for a type Restore does not store or an
// empty hash.
func (o *Ops) Restore(key []byte, r *Record, replace bool) error {
	switch {
	case r.Type == TypeString:
	case r.Type == TypeHash && len(r.Fields) > 0 && len(r.Fields)%2 == 0:
	case (r.Type == TypeSet || r.Type == TypeList) && len(r.Members) > 0:
	case r.Type == TypeZSet && len(r.Members) > 0 && len(r.Scores) == len(r.Members):
	default:
		return ErrSyntax
	}
	w, err := o.beginWrite()
	if err != nil {
		return err
	}
	defer o.abandon(w.seq)
	return o.endWrite(w, w.restore(key, r, replace))
}

func (w *writer) restore(key []byte, r *Record, replace bool) error {
	e, err := w.lookupWrite(key)
	if err != nil {
		return err
	}
	if e.state == live && !replace {
		return ErrBusyKey
	}
	if r.Type == TypeString {
		w.putString(&e, key, r.Value, r.ExpireMs)
		return nil
	}
	existed := e.state == live
	m, err := loadedMeta(w.b, e.slot(), r, func() uint64 { return w.db.allocID(w) })
	if err != nil {
		return err
	}
	m.expire = r.ExpireMs
	w.put(&e, m)
	var cmds [][][]byte
	if existed {
		cmds = append(cmds, [][]byte{cmdDel, key})
	}
	switch r.Type {
	case TypeSet:
		cmds = append(cmds, append([][]byte{[]byte("SADD"), key}, r.Members...))
	case TypeList:
		cmds = append(cmds, append([][]byte{[]byte("RPUSH"), key}, r.Members...))
	case TypeZSet:
		zadd := [][]byte{[]byte("ZADD"), key}
		for i, mem := range r.Members {
			zadd = append(zadd, FormatScore(r.Scores[i]), mem)
		}
		cmds = append(cmds, zadd)
	default:
		cmds = append(cmds, append([][]byte{cmdHSet, key}, r.Fields...))
	}
	if r.ExpireMs != 0 {
		cmds = append(cmds, [][]byte{cmdPExpireAt, key, strconv.AppendInt(nil, r.ExpireMs, 10)})
	}
	if len(cmds) > 1 && w.tx == nil {
		cmds = append(append([][][]byte{{cmdMulti}}, cmds...), [][]byte{cmdExec})
	}
	for _, c := range cmds {
		w.propagate(c...)
	}
	return nil
}

// Dump returns key's value as a Record, for DUMP and MIGRATE: its type,
// its value or fields, and its expiry time. Errors: ErrNotFound.
func (o *Ops) Dump(key []byte) (_ *Record, err error) {
	v, err := o.beginRead()
	if err != nil {
		return nil, err
	}
	defer o.endRead(&err)
	e, err := v.lookup(key)
	if err != nil {
		return nil, err
	}
	if e.state != live {
		return nil, ErrNotFound
	}
	r := &Record{Key: bytes.Clone(key), Type: e.meta.typ, ExpireMs: e.meta.expire}
	if r.Type == TypeString {
		r.Value = bytes.Clone(e.meta.value)
		return r, nil
	}
	switch r.Type {
	case TypeSet:
		r.Members, err = v.setMembers(e.slot(), e.meta.id)
		return r, err
	case TypeList:
		r.Members, err = v.listElems(&e, 0, e.meta.count-1)
		return r, err
	case TypeZSet:
		return r, r.readZSet(&v, e.slot(), e.meta.id)
	}
	r.Fields, err = v.hashFields(e.slot(), e.meta.id)
	return r, err
}
