package store

import (
	"maps"
	"slices"
	"strconv"
	"time"
)

// The reference model of TestModel: what Redis would hold, per type.

// modelVal is one key of the model.
type modelVal struct {
	typ    Type // TypeString, TypeHash or TypeSet; TypeNone for a missing key (see read)
	str    string
	hash   map[string]string // a hash's fields, or a set's members (with empty values)
	list   []string
	zset   map[string]float64 // a sorted set's members and scores
	expire int64              // unix ms; 0 = none
}

// modelDB is the reference: what Redis would hold. Its methods return what
// the store's methods of the same name should.
type modelDB struct {
	keys map[string]*modelVal
	now  int64 // unix ms: the store's clock during the current step
}

func (m *modelDB) clone() *modelDB {
	c := &modelDB{keys: make(map[string]*modelVal, len(m.keys)), now: m.now}
	for k, v := range m.keys {
		c.keys[k] = v.clone()
	}
	return c
}

func (v *modelVal) clone() *modelVal {
	c := *v
	c.hash = maps.Clone(v.hash)
	c.list = slices.Clone(v.list)
	c.zset = maps.Clone(v.zset)
	return &c
}

// get returns the live value of k, nil when it is missing or expired
// (Redis's rule: expired once now > expireAt). An expired key is forgotten:
// it is invisible in the store too, so the model's keys are the live keys.
func (m *modelDB) get(k []byte) *modelVal {
	v := m.keys[string(k)]
	if v != nil && v.expire != 0 && m.now > v.expire {
		delete(m.keys, string(k))
		return nil
	}
	return v
}

// read returns k's value if it holds type t, ErrWrongType if it holds
// another. A missing key reads as an empty value of type TypeNone.
func (m *modelDB) read(k []byte, t Type) (*modelVal, error) {
	v := m.get(k)
	switch {
	case v == nil:
		return &modelVal{typ: TypeNone}, nil
	case v.typ != t:
		return &modelVal{typ: TypeNone}, ErrWrongType
	}
	return v, nil
}

// write is read for writing: a missing key is created, without expiry.
func (m *modelDB) write(k []byte, t Type) (*modelVal, error) {
	v, err := m.read(k, t)
	if err == nil && v.typ == TypeNone {
		v = &modelVal{typ: t, hash: map[string]string{}}
		m.keys[string(k)] = v
	}
	return v, err
}

func (m *modelDB) Get(k []byte) ([]byte, error) {
	v, err := m.read(k, TypeString)
	if err == nil && v.typ == TypeNone {
		err = ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return mb(v.str), nil
}

func (m *modelDB) SetWith(k, val []byte, opt SetOptions) (bool, []byte, error) {
	if opt.NX && opt.XX || opt.KeepTTL && (opt.TTL != 0 || !opt.ExpireAt.IsZero()) ||
		opt.TTL != 0 && !opt.ExpireAt.IsZero() {
		return false, nil, ErrSyntax
	}
	var exp int64
	switch at := opt.ExpireAt.UnixMilli(); {
	case !opt.ExpireAt.IsZero() && at <= 0, opt.TTL < 0:
		return false, nil, InvalidExpireError("set")
	case !opt.ExpireAt.IsZero():
		exp = at // a time already past is accepted; the key is gone at once
	case opt.TTL > 0:
		exp = m.now + opt.TTL.Milliseconds()
	}
	cur := m.get(k)
	var old []byte
	if opt.Get && cur != nil { // GET's type check comes before NX and XX
		if cur.typ != TypeString {
			return false, nil, ErrWrongType
		}
		old = mb(cur.str)
	}
	if opt.NX && cur != nil || opt.XX && cur == nil {
		return false, old, nil
	}
	if opt.KeepTTL && cur != nil {
		exp = cur.expire
	}
	m.keys[string(k)] = &modelVal{typ: TypeString, str: string(val), expire: exp}
	return true, old, nil
}

func (m *modelDB) MSet(nx bool, kv [][]byte) bool {
	for i := 0; nx && i < len(kv); i += 2 {
		if m.get(kv[i]) != nil {
			return false
		}
	}
	for i := 0; i < len(kv); i += 2 { // a repeated key: the last value wins
		m.keys[string(kv[i])] = &modelVal{typ: TypeString, str: string(kv[i+1])}
	}
	return true
}

// mincr adds d to the integer in s with Redis's rules: only the canonical
// decimal form of an int64 is an integer (as string2ll: not "-0", "01",
// "+1", " 1"), and overflow is an error. An err already set comes first.
func mincr(s string, d int64, notInt, err error) (int64, string, error) {
	n, perr := strconv.ParseInt(s, 10, 64)
	switch r := n + d; {
	case err != nil:
		return 0, "", err
	case perr != nil || strconv.FormatInt(n, 10) != s:
		return 0, "", notInt
	case d > 0 && r < n || d < 0 && r > n:
		return 0, "", ErrOverflow
	default:
		return r, strconv.FormatInt(r, 10), nil
	}
}

func (m *modelDB) IncrBy(k []byte, d int64) (int64, error) {
	v, err := m.read(k, TypeString)
	if v.typ == TypeNone {
		v.str = "0" // a missing key counts as 0
	}
	r, s, err := mincr(v.str, d, ErrNotInteger, err)
	if err == nil {
		v, _ = m.write(k, TypeString)
		v.str = s
	}
	return r, err
}

func (m *modelDB) HIncrBy(k, f []byte, d int64) (int64, error) {
	v, err := m.read(k, TypeHash)
	s, ok := v.hash[string(f)]
	if !ok {
		s = "0"
	}
	r, s, err := mincr(s, d, ErrHashNotInteger, err)
	if err == nil {
		v, _ = m.write(k, TypeHash)
		v.hash[string(f)] = s
	}
	return r, err
}

// GetRange is GETRANGE's index arithmetic, as in Redis's getrangeCommand.
func (m *modelDB) GetRange(k []byte, start, end int64) ([]byte, error) {
	v, err := m.read(k, TypeString)
	n := int64(len(v.str))
	if start < 0 && end < 0 && start > end || err != nil {
		return mb(""), err
	}
	if start < 0 {
		start = max(start+n, 0)
	}
	if end < 0 {
		end = max(end+n, 0)
	}
	if end = min(end, n-1); start > end || n == 0 {
		return mb(""), nil
	}
	return mb(v.str[start : end+1]), nil
}

func (m *modelDB) SetRange(k []byte, off int64, val []byte) (int64, error) {
	v, err := m.read(k, TypeString)
	switch {
	case off < 0:
		return 0, ErrOffsetRange
	case err != nil || len(val) == 0: // nothing to write: a missing key stays missing
		return int64(len(v.str)), err
	}
	b := []byte(v.str)
	b = append(b, make([]byte, max(0, int(off)+len(val)-len(b)))...)
	copy(b[off:], val)
	v, _ = m.write(k, TypeString)
	v.str = string(b)
	return int64(len(b)), nil
}

func (m *modelDB) Rename(src, dst []byte, nx bool) (bool, error) {
	v := m.get(src)
	switch {
	case v == nil:
		return false, ErrNoSuchKey
	case string(src) == string(dst):
		return !nx, nil
	case nx && m.get(dst) != nil:
		return false, nil
	}
	m.keys[string(dst)] = v // with its expiry
	delete(m.keys, string(src))
	return true, nil
}

func (m *modelDB) Copy(src, dst []byte, replace bool) (bool, error) {
	if string(src) == string(dst) { // whether or not src exists
		return false, ErrSameObject
	}
	v := m.get(src)
	if v == nil || !replace && m.get(dst) != nil {
		return false, nil
	}
	m.keys[string(dst)] = v.clone() // with its expiry
	return true, nil
}

func (m *modelDB) ExpireAt(k []byte, when int64, cond ExpireCond) (bool, error) {
	if cond&ExpireNX != 0 && cond&(ExpireXX|ExpireGT|ExpireLT) != 0 {
		return false, ErrNXXXGTLT
	}
	if cond&ExpireGT != 0 && cond&ExpireLT != 0 {
		return false, ErrGTLT
	}
	v := m.get(k)
	if v == nil {
		return false, nil
	}
	// "No expiry" is an infinite TTL: GT never beats it, LT always does.
	inf := v.expire == 0
	if cond&ExpireNX != 0 && !inf || cond&ExpireXX != 0 && inf ||
		cond&ExpireGT != 0 && (inf || when <= v.expire) || cond&ExpireLT != 0 && !inf && when >= v.expire {
		return false, nil
	}
	v.expire = when
	if when <= m.now { // not in the future: deleted at once
		delete(m.keys, string(k))
	}
	return true, nil
}

func (m *modelDB) ExpireTime(k []byte) (time.Time, error) {
	v := m.get(k)
	if v == nil {
		return time.Time{}, ErrNotFound
	}
	if v.expire == 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(v.expire), nil
}

func (m *modelDB) Type(k []byte) (Type, error) {
	if v := m.get(k); v != nil {
		return v.typ, nil
	}
	return TypeNone, nil
}

func (m *modelDB) Keys(pattern []byte) ([][]byte, error) { // pattern is always "*"
	var out [][]byte
	for k := range m.keys {
		if m.get([]byte(k)) != nil {
			out = append(out, mb(k))
		}
	}
	return out, nil
}

func (m *modelDB) HSet(k []byte, fv [][]byte) (int64, error) {
	v, err := m.write(k, TypeHash)
	var added int64
	for i := 0; err == nil && i < len(fv); i += 2 { // a repeated field is new once; the last value wins
		if _, ok := v.hash[string(fv[i])]; !ok {
			added++
		}
		v.hash[string(fv[i])] = string(fv[i+1])
	}
	return added, err
}

func (m *modelDB) HMGet(k []byte, fields [][]byte) ([][]byte, error) {
	v, err := m.read(k, TypeHash)
	out := make([][]byte, len(fields)) // nil for a missing field
	for i, f := range fields {
		if s, ok := v.hash[string(f)]; ok {
			out[i] = mb(s)
		}
	}
	return out, err
}

func (m *modelDB) HDel(k []byte, fields [][]byte) (int64, error) {
	v, err := m.read(k, TypeHash)
	var n int64
	for _, f := range fields {
		if _, ok := v.hash[string(f)]; ok {
			delete(v.hash, string(f))
			n++
		}
	}
	if v.typ == TypeHash && len(v.hash) == 0 { // the last field takes the key with it
		delete(m.keys, string(k))
	}
	return n, err
}

func (m *modelDB) HGetAll(k []byte) ([]FieldValue, error) {
	v, err := m.read(k, TypeHash)
	var out []FieldValue
	for f, val := range v.hash {
		out = append(out, FieldValue{mb(f), mb(val)})
	}
	return out, err
}

func (m *modelDB) HLen(k []byte) (int64, error) {
	v, err := m.read(k, TypeHash)
	return int64(len(v.hash)), err
}

func (m *modelDB) SAdd(k []byte, members [][]byte) (int64, error) {
	v, err := m.write(k, TypeSet)
	var added int64
	for _, mem := range members {
		if _, ok := v.hash[string(mem)]; err == nil && !ok {
			v.hash[string(mem)] = ""
			added++
		}
	}
	return added, err
}

func (m *modelDB) SRem(k []byte, members [][]byte) (int64, error) {
	v, err := m.read(k, TypeSet)
	var n int64
	for _, mem := range members {
		if _, ok := v.hash[string(mem)]; ok {
			delete(v.hash, string(mem))
			n++
		}
	}
	if v.typ == TypeSet && len(v.hash) == 0 {
		delete(m.keys, string(k))
	}
	return n, err
}

func (m *modelDB) SMembers(k []byte) ([][]byte, error) {
	v, err := m.read(k, TypeSet)
	var out [][]byte
	for mem := range v.hash {
		out = append(out, mb(mem))
	}
	return out, err
}

func (m *modelDB) SCard(k []byte) (int64, error) {
	v, err := m.read(k, TypeSet)
	return int64(len(v.hash)), err
}

// SetStore is SINTERSTORE, SUNIONSTORE, SDIFFSTORE.
func (m *modelDB) SetStore(op SetOp, dst []byte, keys [][]byte) (int64, error) {
	var sets []map[string]string
	for _, k := range keys {
		v, err := m.read(k, TypeSet)
		if err != nil {
			return 0, err
		}
		sets = append(sets, v.hash)
	}
	res := map[string]string{}
	for mem := range sets[0] {
		res[mem] = ""
	}
	for _, s := range sets[1:] {
		for mem := range res {
			_, in := s[mem]
			if op == SetInter && !in || op == SetDiff && in {
				delete(res, mem)
			}
		}
		if op == SetUnion {
			for mem := range s {
				res[mem] = ""
			}
		}
	}
	delete(m.keys, string(dst))
	if len(res) > 0 {
		m.keys[string(dst)] = &modelVal{typ: TypeSet, hash: res}
	}
	return int64(len(res)), nil
}

func (m *modelDB) SMove(src, dst, mem []byte) (bool, error) {
	s := m.get(src)
	switch {
	case s == nil:
		return false, nil
	case s.typ != TypeSet:
		return false, ErrWrongType
	case string(src) == string(dst):
		_, in := s.hash[string(mem)]
		return in, nil
	}
	if _, err := m.read(dst, TypeSet); err != nil {
		return false, err
	}
	if n, _ := m.SRem(src, [][]byte{mem}); n == 0 {
		return false, nil
	}
	_, err := m.SAdd(dst, [][]byte{mem})
	return true, err
}

func (m *modelDB) Push(k []byte, left bool, elems [][]byte) (int64, error) {
	v, err := m.write(k, TypeList)
	for _, el := range elems {
		if err != nil {
			break
		}
		if left {
			v.list = append([]string{string(el)}, v.list...)
		} else {
			v.list = append(v.list, string(el))
		}
	}
	return int64(len(v.list)), err
}

func (m *modelDB) Pop(k []byte, left bool, count int64) ([][]byte, error) {
	v, err := m.read(k, TypeList)
	if err != nil || v.typ == TypeNone {
		return nil, err
	}
	var out [][]byte
	for ; count > 0 && len(v.list) > 0; count-- {
		if left {
			out, v.list = append(out, mb(v.list[0])), v.list[1:]
		} else {
			out, v.list = append(out, mb(v.list[len(v.list)-1])), v.list[:len(v.list)-1]
		}
	}
	if len(v.list) == 0 {
		delete(m.keys, string(k))
	}
	if out == nil {
		out = [][]byte{}
	}
	return out, nil
}

func (m *modelDB) LRange(k []byte, start, stop int64) ([][]byte, error) {
	v, err := m.read(k, TypeList)
	n := int64(len(v.list))
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	start = max(start, 0)
	out := [][]byte{}
	for i := start; i <= min(stop, n-1); i++ {
		out = append(out, mb(v.list[i]))
	}
	return out, err
}

func (m *modelDB) LLen(k []byte) (int64, error) {
	v, err := m.read(k, TypeList)
	return int64(len(v.list)), err
}

func (m *modelDB) LRem(k []byte, count int64, val []byte) (int64, error) {
	v, err := m.read(k, TypeList)
	var n int64
	keep := []string{}
	drop := make([]bool, len(v.list))
	for j := range v.list {
		i := j
		if count < 0 {
			i = len(v.list) - 1 - j
		}
		if v.list[i] == string(val) && (count == 0 || n < max(count, -count)) {
			drop[i] = true
			n++
		}
	}
	for i, el := range v.list {
		if !drop[i] {
			keep = append(keep, el)
		}
	}
	if v.typ == TypeList {
		v.list = keep
		if len(keep) == 0 {
			delete(m.keys, string(k))
		}
	}
	return n, err
}

func (m *modelDB) LInsert(k []byte, before bool, pivot, val []byte) (int64, error) {
	v, err := m.read(k, TypeList)
	if err != nil || v.typ == TypeNone {
		return 0, err
	}
	at := slices.Index(v.list, string(pivot))
	if at < 0 {
		return -1, nil
	}
	if !before {
		at++
	}
	v.list = slices.Insert(v.list, at, string(val))
	return int64(len(v.list)), nil
}
