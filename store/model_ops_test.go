package store

import (
	"fmt"
	"math"
	"time"
)

// modelOps are the operations, each comparing the store's replies with the
// model's, with weights that make FlushAll rare. Reads of one key share an
// op.
var modelOps = []modelOp{
	{56, func(c *modelCall) { // Set and GetSet are SetWith with fixed options
		k, v, o := c.key(), c.val(), c.setOptions()
		name, ok, old, err := "SetWith", true, []byte(nil), error(nil)
		switch x := c.r.IntN(7); {
		case x == 0:
			name, o, err = "Set", SetOptions{}, c.o.Set(k, v)
		case x == 1:
			name, o = "GetSet", SetOptions{Get: true}
			old, err = c.o.GetSet(k, v)
		default:
			ok, old, err = c.o.SetWith(k, v, o)
		}
		wok, wold, werr := c.m.SetWith(k, v, o)
		c.check(fmt.Sprintf("%s(%q, %q, NX %v XX %v Get %v KeepTTL %v TTL %v ExpireAt %s (now %d))",
			name, k, v, o.NX, o.XX, o.Get, o.KeepTTL, o.TTL, mshowVal(o.ExpireAt), c.m.now),
			mshow(err, ok, old), mshow(werr, wok, wold))
	}},
	{8, func(c *modelCall) {
		k := c.key()
		got, want := mres(c.o.GetDel(k)), mres(c.m.Get(k))
		if _, err := c.m.Get(k); err == nil {
			delete(c.m.keys, string(k))
		}
		c.check(fmt.Sprintf("GetDel(%q)", k), got, want)
	}},
	{8, func(c *modelCall) {
		keys := c.list(4, c.key, false)
		want := make([][]byte, len(keys)) // nil for a missing key or another type
		for i, k := range keys {
			want[i], _ = c.m.Get(k)
		}
		c.check(fmt.Sprintf("MGet(%q)", keys), mres(c.o.MGet(keys...)), mshow(nil, want))
	}},
	{16, func(c *modelCall) {
		nx, kv := c.r.IntN(2) == 0, c.list(3, c.key, true)
		ok, err := true, error(nil)
		if nx {
			ok, err = c.o.MSetNX(kv...)
		} else {
			err = c.o.MSet(kv...)
		}
		c.check(fmt.Sprintf("MSet(nx %v, %q)", nx, kv), mshow(err, ok), mshow(nil, c.m.MSet(nx, kv)))
	}},
	{12, func(c *modelCall) {
		k, val := c.key(), c.val()
		got := mres(c.o.Append(k, val))
		v, err := c.m.write(k, TypeString)
		v.str += string(val)
		c.check(fmt.Sprintf("Append(%q, %q)", k, val), got, mshow(err, int64(len(v.str))))
	}},
	{20, func(c *modelCall) {
		k, d := c.key(), c.incr()
		c.check(fmt.Sprintf("IncrBy(%q, %d)", k, d), mres(c.o.IncrBy(k, d)), mres(c.m.IncrBy(k, d)))
	}},
	{12, func(c *modelCall) {
		pos := func() int64 {
			if c.r.IntN(10) == 0 {
				return []int64{math.MinInt64, math.MaxInt64, -100, 100}[c.r.IntN(4)]
			}
			return int64(c.r.IntN(13) - 6)
		}
		k, start, end := c.key(), pos(), pos()
		c.check(fmt.Sprintf("GetRange(%q, %d, %d)", k, start, end),
			mres(c.o.GetRange(k, start, end)), mres(c.m.GetRange(k, start, end)))
	}},
	{12, func(c *modelCall) {
		k, off, v := c.key(), int64(c.r.IntN(9)), c.val()
		if c.r.IntN(20) == 0 {
			off = -1
		}
		c.check(fmt.Sprintf("SetRange(%q, %d, %q)", k, off, v),
			mres(c.o.SetRange(k, off, v)), mres(c.m.SetRange(k, off, v)))
	}},
	{12, func(c *modelCall) {
		keys := c.list(3, c.key, false)
		got := mres(c.o.Del(keys...))
		var n int64
		for _, k := range keys { // a repeated key is gone the second time
			if c.m.get(k) != nil {
				delete(c.m.keys, string(k))
				n++
			}
		}
		c.check(fmt.Sprintf("Del(%q)", keys), got, mshow(nil, n))
	}},
	{8, func(c *modelCall) {
		keys := c.list(4, c.key, false)
		var n int64
		for _, k := range keys { // a repeated key counts each time
			if c.m.get(k) != nil {
				n++
			}
		}
		c.check(fmt.Sprintf("Exists(%q)", keys), mres(c.o.Exists(keys...)), mshow(nil, n))
	}},
	{20, func(c *modelCall) {
		src, dst, nx := c.key(), c.key(), c.r.IntN(2) == 0
		ok, err := true, error(nil)
		if nx {
			ok, err = c.o.RenameNX(src, dst)
		} else {
			err = c.o.Rename(src, dst)
		}
		c.check(fmt.Sprintf("Rename(%q, %q, nx %v)", src, dst, nx),
			mshow(err, ok), mres(c.m.Rename(src, dst, nx)))
	}},
	{12, func(c *modelCall) {
		src, dst, replace := c.key(), c.key(), c.r.IntN(2) == 0
		c.check(fmt.Sprintf("Copy(%q, %q, replace %v)", src, dst, replace),
			mres(c.o.Copy(src, dst, replace)), mres(c.m.Copy(src, dst, replace)))
	}},
	{20, func(c *modelCall) {
		k, cond, ttl := c.key(), modelConds[c.r.IntN(len(modelConds))], c.ms(-1000, 5000)
		if c.r.IntN(10) == 0 {
			ttl = 0 // expires now: deletes the key
		}
		c.check(fmt.Sprintf("Expire(%q, %v, cond %b)", k, ttl, cond),
			mres(c.o.Expire(k, ttl, cond)), mres(c.m.ExpireAt(k, c.m.now+ttl.Milliseconds(), cond)))
	}},
	{16, func(c *modelCall) {
		k, cond := c.key(), modelConds[c.r.IntN(len(modelConds))]
		at := c.m.now + c.ms(-2000, 5000).Milliseconds()
		c.check(fmt.Sprintf("ExpireAt(%q, %d (now%+d), cond %b)", k, at, at-c.m.now, cond),
			mres(c.o.ExpireAt(k, time.UnixMilli(at), cond)), mres(c.m.ExpireAt(k, at, cond)))
	}},
	{8, func(c *modelCall) {
		k := c.key()
		got := mres(c.o.Persist(k))
		v := c.m.get(k)
		ok := v != nil && v.expire != 0
		if ok {
			v.expire = 0
		}
		c.check(fmt.Sprintf("Persist(%q)", k), got, mshow(nil, ok))
	}},
	{32, func(c *modelCall) {
		// Every read of one key (and one field), so that each sees the same
		// state: a string key, a hash key, a missing one.
		k, f := c.key(), c.field()
		c.check(fmt.Sprintf("Get(%q)", k), mres(c.o.Get(k)), mres(c.m.Get(k)))
		c.check(fmt.Sprintf("Type(%q)", k), mres(c.o.Type(k)), mres(c.m.Type(k)))
		s, err := c.m.read(k, TypeString)
		c.check(fmt.Sprintf("StrLen(%q)", k), mres(c.o.StrLen(k)), mshow(err, int64(len(s.str))))
		at, err := c.m.ExpireTime(k)
		ttl := NoExpiry
		if !at.IsZero() {
			ttl = time.Duration(max(at.UnixMilli()-c.m.now, 0)) * time.Millisecond
		}
		c.check(fmt.Sprintf("ExpireTime(%q)", k), mres(c.o.ExpireTime(k)), mshow(err, at))
		c.check(fmt.Sprintf("TTL(%q)", k), mres(c.o.TTL(k)), mshow(err, ttl))
		v, err := c.m.read(k, TypeHash)
		val, ok := v.hash[string(f)]
		getErr := err
		if err == nil && !ok {
			getErr = ErrNotFound
		}
		c.check(fmt.Sprintf("HGet(%q, %q)", k, f), mres(c.o.HGet(k, f)), mshow(getErr, mb(val)))
		c.check(fmt.Sprintf("HExists(%q, %q)", k, f), mres(c.o.HExists(k, f)), mshow(err, ok))
		c.check(fmt.Sprintf("HStrLen(%q, %q)", k, f), mres(c.o.HStrLen(k, f)), mshow(err, int64(len(val))))
		c.check(fmt.Sprintf("HLen(%q)", k), mres(c.o.HLen(k)), mres(c.m.HLen(k)))
		all, err := c.m.HGetAll(k)
		var fs, vs [][]byte
		for _, fv := range all {
			fs, vs = append(fs, fv.Field), append(vs, fv.Value)
		}
		c.check(fmt.Sprintf("HGetAll(%q)", k), mres(c.o.HGetAll(k)), mshow(err, all))
		keys, kerr := c.o.HKeys(k)
		c.check(fmt.Sprintf("HKeys(%q)", k), mshow(kerr, munordered(keys)), mshow(err, munordered(fs)))
		vals, verr := c.o.HVals(k)
		c.check(fmt.Sprintf("HVals(%q)", k), mshow(verr, munordered(vals)), mshow(err, munordered(vs)))
	}},
	{32, func(c *modelCall) {
		k, fv := c.key(), c.list(3, c.field, true)
		c.check(fmt.Sprintf("HSet(%q, %q)", k, fv), mres(c.o.HSet(k, fv...)), mres(c.m.HSet(k, fv)))
	}},
	{12, func(c *modelCall) {
		k, f, val := c.key(), c.field(), c.val()
		got := mres(c.o.HSetNX(k, f, val))
		v, err := c.m.read(k, TypeHash)
		_, exists := v.hash[string(f)]
		if err == nil && !exists {
			v, _ = c.m.write(k, TypeHash)
			v.hash[string(f)] = string(val)
		}
		c.check(fmt.Sprintf("HSetNX(%q, %q, %q)", k, f, val), got, mshow(err, !exists))
	}},
	{12, func(c *modelCall) {
		k, fields := c.key(), c.list(3, c.field, false)
		c.check(fmt.Sprintf("HMGet(%q, %q)", k, fields),
			mres(c.o.HMGet(k, fields...)), mres(c.m.HMGet(k, fields)))
	}},
	{20, func(c *modelCall) {
		k, fields := c.key(), c.list(3, c.field, false)
		c.check(fmt.Sprintf("HDel(%q, %q)", k, fields),
			mres(c.o.HDel(k, fields...)), mres(c.m.HDel(k, fields)))
	}},
	{24, func(c *modelCall) {
		k, f, d := c.key(), c.field(), c.incr()
		c.check(fmt.Sprintf("HIncrBy(%q, %q, %d)", k, f, d),
			mres(c.o.HIncrBy(k, f, d)), mres(c.m.HIncrBy(k, f, d)))
	}},
	{8, func(c *modelCall) {
		keys, err := c.o.Keys([]byte("*"))
		want, _ := c.m.Keys(nil)
		c.check("Keys(*)", mshow(err, munordered(keys)), mshow(nil, munordered(want)))
	}},
	{24, func(c *modelCall) {
		k, ms := c.key(), c.list(3, c.field, false)
		c.check(fmt.Sprintf("SAdd(%q, %q)", k, ms), mres(c.o.SAdd(k, ms...)), mres(c.m.SAdd(k, ms)))
	}},
	{12, func(c *modelCall) {
		k, ms := c.key(), c.list(2, c.field, false)
		c.check(fmt.Sprintf("SRem(%q, %q)", k, ms), mres(c.o.SRem(k, ms...)), mres(c.m.SRem(k, ms)))
	}},
	{12, func(c *modelCall) { // reads of one set
		k, mem := c.key(), c.field()
		v, err := c.m.read(k, TypeSet)
		_, in := v.hash[string(mem)]
		c.check(fmt.Sprintf("SIsMember(%q, %q)", k, mem), mres(c.o.SIsMember(k, mem)), mshow(err, in))
		c.check(fmt.Sprintf("SCard(%q)", k), mres(c.o.SCard(k)), mres(c.m.SCard(k)))
		got, gerr := c.o.SMembers(k)
		want, werr := c.m.SMembers(k)
		c.check(fmt.Sprintf("SMembers(%q)", k), mshow(gerr, munordered(got)), mshow(werr, munordered(want)))
		got, gerr = c.o.SRandMember(k, 100)
		if werr == nil && want == nil {
			want = [][]byte{}
		}
		c.check(fmt.Sprintf("SRandMember(%q, 100)", k), mshow(gerr, munordered(got)), mshow(werr, munordered(want)))
	}},
	{6, func(c *modelCall) { // SPop taking every member: no random choice
		k := c.key()
		got, gerr := c.o.SPop(k, 100)
		want, werr := c.m.SMembers(k)
		if werr == nil {
			delete(c.m.keys, string(k))
			if want == nil {
				want = [][]byte{}
			}
		}
		c.check(fmt.Sprintf("SPop(%q, 100)", k), mshow(gerr, munordered(got)), mshow(werr, munordered(want)))
	}},
	{8, func(c *modelCall) {
		src, dst, mem := c.key(), c.key(), c.field()
		c.check(fmt.Sprintf("SMove(%q, %q, %q)", src, dst, mem), mres(c.o.SMove(src, dst, mem)), mres(c.m.SMove(src, dst, mem)))
	}},
	{8, func(c *modelCall) {
		op, dst, keys := SetOp(c.r.IntN(3)), c.key(), c.list(3, c.key, false)
		c.check(fmt.Sprintf("SetStore(%d, %q, %q)", op, dst, keys), mres(c.o.SetStore(op, dst, keys...)), mres(c.m.SetStore(op, dst, keys)))
	}},
	{24, func(c *modelCall) {
		k, left, els := c.key(), c.r.IntN(2) == 0, c.list(3, c.val, false)
		c.check(fmt.Sprintf("Push(%q, %v, %q)", k, left, els), mres(c.o.Push(k, left, false, els...)), mres(c.m.Push(k, left, els)))
	}},
	{12, func(c *modelCall) {
		k, left, n := c.key(), c.r.IntN(2) == 0, int64(c.r.IntN(3))
		c.check(fmt.Sprintf("Pop(%q, %v, %d)", k, left, n), mres(c.o.Pop(k, left, n)), mres(c.m.Pop(k, left, n)))
	}},
	{12, func(c *modelCall) { // reads of one list
		k, start, stop := c.key(), int64(c.r.IntN(7)-3), int64(c.r.IntN(7)-3)
		c.check(fmt.Sprintf("LRange(%q, %d, %d)", k, start, stop), mres(c.o.LRange(k, start, stop)), mres(c.m.LRange(k, start, stop)))
		c.check(fmt.Sprintf("LLen(%q)", k), mres(c.o.LLen(k)), mres(c.m.LLen(k)))
	}},
	{6, func(c *modelCall) {
		k, n, val := c.key(), int64(c.r.IntN(5)-2), c.val()
		c.check(fmt.Sprintf("LRem(%q, %d, %q)", k, n, val), mres(c.o.LRem(k, n, val)), mres(c.m.LRem(k, n, val)))
	}},
	{6, func(c *modelCall) {
		k, before, pivot, val := c.key(), c.r.IntN(2) == 0, c.val(), c.val()
		c.check(fmt.Sprintf("LInsert(%q, %v, %q, %q)", k, before, pivot, val),
			mres(c.o.LInsert(k, before, pivot, val)), mres(c.m.LInsert(k, before, pivot, val)))
	}},
	{1, func(c *modelCall) {
		got := mshow(c.o.FlushAll())
		clear(c.m.keys)
		c.check("FlushAll()", got, mshow(nil))
	}},
}
