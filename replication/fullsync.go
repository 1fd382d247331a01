package replication

import (
	"fmt"
	"io"
	"strconv"

	"github.com/shinglekv/shingle/replication/rdb"
	"github.com/shinglekv/shingle/store"
)

// WriteSnapshot writes snap to w as the RDB stream of a full sync: a
// header whose AUX fields carry the replication id and offset (as Redis's
// repl-id and repl-offset), every key of the snapshot, and the checksum.
// It streams: one key in memory at a time.
func WriteSnapshot(w io.Writer, snap *store.Snapshot, redisVersion string) error {
	rw := rdb.NewWriter(w)
	if err := rw.Header(map[string]string{
		"redis-ver":   redisVersion,
		"redis-bits":  strconv.Itoa(strconv.IntSize),
		"repl-id":     snap.ReplicationID,
		"repl-offset": strconv.FormatUint(snap.Offset, 10),
		"aof-base":    "0",
	}); err != nil {
		return err
	}
	err := snap.Each(func(r *store.Record) error {
		switch r.Type {
		case store.TypeString:
			return rw.String(r.Key, r.Value, r.ExpireMs)
		case store.TypeHash:
			return rw.Hash(r.Key, r.Fields, r.ExpireMs)
		case store.TypeSet:
			return rw.Set(r.Key, r.Members, r.ExpireMs)
		case store.TypeList:
			return rw.List(r.Key, r.Members, r.ExpireMs)
		case store.TypeZSet:
			return rw.ZSet(r.Key, r.Members, r.Scores, r.ExpireMs)
		}
		return fmt.Errorf("replication: key %q: type %v has no RDB encoding here", r.Key, r.Type)
	})
	if err != nil {
		return err
	}
	return rw.End()
}
