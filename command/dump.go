package command

import (
	"errors"
	"math"

	"github.com/shinglekv/shingle/replication/rdb"
	"github.com/shinglekv/shingle/store"
)

// DUMP and RESTORE move a key's value in Redis 7.0's payload format (the
// rdb package's), which redis-server 7.0 loads and writes: MIGRATE and
// redis-cli --cluster reshard move keys between Shingle and Redis alike.
var dumpCommands = []*Command{
	{Name: "dump", Arity: 2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("keyspace read slow"), Run: dump},
	{Name: "restore", Arity: -4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("keyspace write slow dangerous"), Run: restore},
	{Name: "restore-asking", Arity: -4, Flags: FlagWrite | FlagDenyOOM | FlagAsking, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("keyspace write slow dangerous"), Run: restore},
}

// Payload is the DUMP payload of r's value.
func Payload(r *store.Record) []byte {
	switch r.Type {
	case store.TypeHash:
		return rdb.DumpHash(r.Fields)
	case store.TypeSet:
		return rdb.DumpSet(r.Members)
	case store.TypeList:
		return rdb.DumpList(r.Members)
	case store.TypeZSet:
		return rdb.DumpZSet(r.Members, r.Scores)
	}
	return rdb.DumpString(r.Value)
}

func dump(c *Ctx, args [][]byte) Reply {
	r, err := c.Ops.Dump(args[1])
	if errors.Is(err, store.ErrNotFound) {
		return Null()
	}
	if err != nil {
		return ErrReply(err)
	}
	return Bulk(Payload(r))
}

// restore serves RESTORE and RESTORE-ASKING key ttl payload [REPLACE]
// [ABSTTL] [IDLETIME s] [FREQ f], with the checks of Redis 7.0's
// restoreCommand in its order. IDLETIME and FREQ are checked and not
// kept: Shingle keeps no access times or frequencies.
func restore(c *Ctx, args [][]byte) Reply {
	var replace, absttl, idle, freq bool
	for j := 4; j < len(args); j++ {
		more := len(args) - j - 1
		switch {
		case is(args[j], "replace"):
			replace = true
		case is(args[j], "absttl"):
			absttl = true
		case is(args[j], "idletime") && more >= 1 && !freq:
			n, ok := parseInt(args[j+1])
			if !ok {
				return errNotInt
			}
			if n < 0 {
				return ErrorReply("ERR Invalid IDLETIME value, must be >= 0")
			}
			idle = true
			j++
		case is(args[j], "freq") && more >= 1 && !idle:
			n, ok := parseInt(args[j+1])
			if !ok {
				return errNotInt
			}
			if n < 0 || n > 255 {
				return ErrorReply("ERR Invalid FREQ value, must be >= 0 and <= 255")
			}
			freq = true
			j++
		default:
			return errSyntax
		}
	}
	key := args[1]
	if !replace {
		if n, err := c.Ops.Exists(key); err != nil {
			return ErrReply(err)
		} else if n > 0 {
			return ErrReply(store.ErrBusyKey)
		}
	}
	ttl, ok := parseInt(args[2])
	if !ok {
		return errNotInt
	}
	if ttl < 0 {
		return ErrorReply("ERR Invalid TTL value, must be >= 0")
	}
	e, err := rdb.ParsePayload(args[3], math.MaxInt32)
	switch {
	case errors.Is(err, rdb.ErrPayloadVersion):
		return ErrorReply("ERR DUMP payload version or checksum are wrong")
	case errors.Is(err, rdb.ErrUnsupportedType):
		return ErrorReply("ERR Bad data format: " + err.Error())
	case err != nil:
		return ErrorReply("ERR Bad data format")
	}
	if ttl != 0 && !absttl {
		now := c.Ops.Now().UnixMilli()
		if ttl > math.MaxInt64-now {
			return ErrorReply("ERR Invalid TTL value, must be >= 0")
		}
		ttl += now
	}
	if ttl != 0 && ttl <= c.Ops.Now().UnixMilli() {
		// Already expired: the key is gone, as Redis leaves it.
		if replace {
			if _, err := c.Ops.Del(key); err != nil {
				return ErrReply(err)
			}
		}
		return OK
	}
	r := &store.Record{Type: e.Type, Value: e.Value, Fields: e.Fields, Members: e.Members, Scores: e.Scores, ExpireMs: ttl}
	if err := c.Ops.Restore(key, r, replace); err != nil {
		return ErrReply(err)
	}
	return OK
}
