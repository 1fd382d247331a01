package command

import (
	"strconv"

	"github.com/shinglekv/shingle/store"
)

var keyspaceCommands = []*Command{
	{Name: "del", Arity: -2, Flags: FlagWrite, FirstKey: 1, LastKey: -1, Step: 1, Categories: cats("keyspace write slow"), Run: del},
	{Name: "unlink", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: -1, Step: 1, Categories: cats("keyspace write fast"), Run: del},
	{Name: "exists", Arity: -2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: -1, Step: 1, Categories: cats("keyspace read fast"), Run: exists},
	{Name: "type", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("keyspace read fast"), Run: typeCmd},
	{Name: "rename", Arity: 3, Flags: FlagWrite, FirstKey: 1, LastKey: 2, Step: 1, Categories: cats("keyspace write slow"), Run: rename},
	{Name: "renamenx", Arity: 3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 2, Step: 1, Categories: cats("keyspace write fast"), Run: rename},
	{Name: "copy", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Categories: cats("keyspace write slow"), Run: copyCmd},
	{Name: "keys", Arity: 2, Flags: FlagReadOnly, Categories: cats("keyspace read slow dangerous"), Run: keys},
	{Name: "scan", Arity: -2, Flags: FlagReadOnly, Categories: cats("keyspace read slow"), Run: scan},
	{Name: "dbsize", Arity: 1, Flags: FlagReadOnly | FlagFast, Categories: cats("keyspace read fast"), Run: dbsize},
	{Name: "randomkey", Arity: 1, Flags: FlagReadOnly, Categories: cats("keyspace read slow"), Run: randomkey},
	{Name: "flushdb", Arity: -1, Flags: FlagWrite, Categories: cats("keyspace write slow dangerous"), Run: flush},
	{Name: "flushall", Arity: -1, Flags: FlagWrite, Categories: cats("keyspace write slow dangerous"), Run: flush},
	{Name: "debug", Arity: -2, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Categories: cats("admin slow dangerous"), Run: debug},
	{Name: "touch", Arity: -2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: -1, Step: 1, Categories: cats("keyspace read fast"), Run: exists},
	// OBJECT is a container in Redis, whose subcommands carry the flags;
	// here it is one command, read-only, its key at 2 (none for HELP).
	{Name: "object", Arity: -2, Flags: FlagReadOnly, FirstKey: 2, LastKey: 2, Step: 1, Categories: cats("keyspace read slow"), Run: object},
	{Name: "time", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast, Categories: cats("fast"), Run: timeCmd},
}

// objectHelp is OBJECT HELP's text, Redis 7.0's.
var objectHelp = []string{
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Prints this help.",
}

// object is OBJECT. Shingle's answers, per type, are its own: a string is
// stored as its bytes ("raw", whatever Redis would choose among int,
// embstr and raw), a hash or a set as a range of Pebble keys
// ("hashtable"), a list as one ("quicklist", Redis 7.0's only list
// encoding), a sorted set as two, by member and by score ("skiplist",
// the ordered encoding); no
// access clock or frequency is kept (IDLETIME 0; FREQ is refused, as by
// Redis under a non-LFU maxmemory-policy, and Shingle has no other), and
// no value is shared (REFCOUNT 1).
func object(c *Ctx, args [][]byte) Reply {
	sub := lower(args[1])
	switch {
	case sub == "help" && len(args) == 2:
		out := make([]Reply, len(objectHelp))
		for i, l := range objectHelp {
			out[i] = Status(l)
		}
		return Array(out...)
	case (sub == "encoding" || sub == "freq" || sub == "idletime" || sub == "refcount") && len(args) == 3:
		t, err := c.Ops.Type(args[2])
		switch {
		case err != nil:
			return ErrReply(err)
		case t == store.TypeNone:
			return Null()
		}
		switch sub {
		case "encoding":
			switch t {
			case store.TypeString:
				return BulkString("raw")
			case store.TypeList:
				return BulkString("quicklist")
			case store.TypeZSet:
				return BulkString("skiplist")
			}
			return BulkString("hashtable")
		case "freq":
			return ErrorReply("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		case "idletime":
			return Int(0)
		}
		return Int(1)
	case sub == "help" || sub == "encoding" || sub == "freq" || sub == "idletime" || sub == "refcount":
		return WrongArgs("object|" + sub)
	}
	return ErrorReply("ERR unknown subcommand '" + string(args[1][:min(len(args[1]), 128)]) + "'. Try OBJECT HELP.")
}

// timeCmd is TIME: the store's clock, seconds and microseconds.
func timeCmd(c *Ctx, _ [][]byte) Reply {
	now := c.Ops.Now()
	return Array(BulkString(strconv.FormatInt(now.Unix(), 10)), BulkString(strconv.Itoa(now.Nanosecond()/1000)))
}

func del(c *Ctx, args [][]byte) Reply { return intReply(c.Ops.Del(args[1:]...)) }

func exists(c *Ctx, args [][]byte) Reply { return intReply(c.Ops.Exists(args[1:]...)) }

func typeCmd(c *Ctx, args [][]byte) Reply {
	t, err := c.Ops.Type(args[1])
	if err != nil {
		return ErrReply(err)
	}
	return Status(t.String())
}

// rename serves RENAME and RENAMENX.
func rename(c *Ctx, args [][]byte) Reply {
	if is(args[0], "renamenx") {
		return boolReply(c.Ops.RenameNX(args[1], args[2]))
	}
	return okReply(c.Ops.Rename(args[1], args[2]))
}

func copyCmd(c *Ctx, args [][]byte) Reply {
	replace := false
	for i := 3; i < len(args); i++ {
		switch {
		case is(args[i], "replace"):
			replace = true
		case is(args[i], "db") && i+1 < len(args):
			// Redis's getIntFromObjectOrReply: two texts, one for
			// what is no integer, one for what does not fit an int.
			db, ok := parseInt(args[i+1])
			if !ok {
				return errNotInt
			}
			if db != int64(int32(db)) {
				return ErrorReply("ERR value is out of range, value must between -2147483648 and 2147483647")
			}
			if db != 0 {
				return ErrorReply("ERR DB index is out of range")
			}
			i++
		default:
			return errSyntax
		}
	}
	return boolReply(c.Ops.Copy(args[1], args[2], replace))
}

func keys(c *Ctx, args [][]byte) Reply {
	ks, err := c.Ops.Keys(args[1])
	if err != nil {
		return ErrReply(err)
	}
	return BulkArray(ks)
}

// parseScan reads a SCAN-family cursor and options from args[from:].
func parseScan(args [][]byte, from int, allowType bool) (uint64, store.ScanOptions, *Reply) {
	var opt store.ScanOptions
	cursor, ok := parseCursor(args[from])
	if !ok {
		r := ErrorReply("ERR invalid cursor")
		return 0, opt, &r
	}
	for i := from + 1; i < len(args); i += 2 {
		if i+1 >= len(args) {
			return 0, opt, &errSyntax
		}
		v := args[i+1]
		switch {
		case is(args[i], "count"):
			n, ok := parseInt(v)
			if !ok {
				return 0, opt, &errNotInt
			}
			if n < 1 {
				return 0, opt, &errSyntax
			}
			opt.Count = int(min(n, 1<<31))
		case is(args[i], "match"):
			opt.Match = v
		case is(args[i], "type") && allowType:
			opt.Type = string(v)
		default:
			return 0, opt, &errSyntax
		}
	}
	return cursor, opt, nil
}

func scanReply(next uint64, elems []Reply) Reply {
	return Array(BulkString(strconv.FormatUint(next, 10)), Array(elems...))
}

func scan(c *Ctx, args [][]byte) Reply {
	cursor, opt, errr := parseScan(args, 1, true)
	if errr != nil {
		return *errr
	}
	next, ks, err := c.Ops.Scan(cursor, opt)
	if err != nil {
		return ErrReply(err)
	}
	return scanReply(next, BulkArray(ks).Elems)
}

func dbsize(c *Ctx, _ [][]byte) Reply { return intReply(c.Ops.DBSize()) }

func randomkey(c *Ctx, _ [][]byte) Reply { return valueReply(c.Ops.RandomKey()) }

// flush serves FLUSHDB and FLUSHALL: with one database they are the same.
// ASYNC and SYNC are accepted; the deletion is a range deletion either way,
// immediate for readers, with space reclaimed in the background.
func flush(c *Ctx, args [][]byte) Reply {
	if len(args) > 2 || len(args) == 2 && !is(args[1], "async") && !is(args[1], "sync") {
		return errSyntax
	}
	return okReply(c.Ops.FlushAll())
}

// debug serves DEBUG DIGEST, the one subcommand that is part of the data
// model (the others poke at Redis internals).
func debug(c *Ctx, args [][]byte) Reply {
	if is(args[1], "digest") && len(args) == 2 {
		d, err := c.Ops.Digest()
		if err != nil {
			return ErrReply(err)
		}
		return Status(d)
	}
	return ErrorReply("ERR unknown subcommand '" + string(args[1]) + "'. Try DEBUG HELP.")
}
