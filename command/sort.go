package command

import (
	"bytes"

	"github.com/shinglekv/shingle/store"
)

var sortCommands = []*Command{
	{Name: "sort", Arity: -2, Flags: FlagWrite | FlagDenyOOM, MovableKeys: sortKeys, Categories: cats("write set sortedset list slow dangerous"), Run: sortCmd(false)},
	{Name: "sort_ro", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Categories: cats("read set sortedset list slow dangerous"), Run: sortCmd(true)},
}

// sortKeys finds SORT's keys: the sorted key, and STORE's.
func sortKeys(args [][]byte) [][]byte {
	if len(args) < 2 {
		return nil
	}
	keys := [][]byte{args[1]}
	for j := 2; j+1 < len(args); j++ {
		switch {
		case is(args[j], "store"):
			keys = append(keys, args[j+1])
			j++
		case is(args[j], "limit"):
			j += 2
		case is(args[j], "by") || is(args[j], "get"):
			j++
		}
	}
	return keys
}

// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC]
// [ALPHA] [STORE destination], and SORT_RO without STORE, parsed as Redis
// 7.0's sortCommandGeneric: the options in one pass, then the key.
func sortCmd(readonly bool) func(c *Ctx, args [][]byte) Reply {
	return func(c *Ctx, args [][]byte) Reply {
		opt := store.SortOptions{Count: -1}
		var storeKey []byte
		for j := 2; j < len(args); j++ {
			left := len(args) - j - 1
			switch a := lower(args[j]); {
			case a == "asc":
				opt.Desc = false
			case a == "desc":
				opt.Desc = true
			case a == "alpha":
				opt.Alpha = true
			case a == "limit" && left >= 2:
				var ok1, ok2 bool
				opt.Offset, ok1 = parseInt(args[j+1])
				opt.Count, ok2 = parseInt(args[j+2])
				if !ok1 || !ok2 {
					return errNotInt
				}
				j += 2
			case !readonly && a == "store" && left >= 1:
				storeKey = args[j+1]
				j++
			case a == "by" && left >= 1:
				opt.By = args[j+1]
				if bytes.IndexByte(opt.By, '*') >= 0 && c.Cluster {
					return ErrorReply("ERR BY option of SORT denied in Cluster mode.")
				}
				j++
			case a == "get" && left >= 1:
				if c.Cluster {
					return ErrorReply("ERR GET option of SORT denied in Cluster mode.")
				}
				opt.Get = append(opt.Get, args[j+1])
				j++
			default:
				return errSyntax
			}
		}
		if storeKey != nil {
			return intReply(c.Ops.SortStore(args[1], storeKey, opt))
		}
		res, err := c.Ops.Sort(args[1], opt)
		if err != nil {
			return ErrReply(err)
		}
		return BulkArray(res)
	}
}
