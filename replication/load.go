package replication

import (
	"io"

	"github.com/shinglekv/shingle/replication/rdb"
	"github.com/shinglekv/shingle/store"
)

// LoadMode is how a replica's full sync replaces its data set (Redis's
// repl-diskless-load).
type LoadMode int

const (
	// LoadSwap loads the primary's data set beside the old one, which
	// goes on serving clients, and switches to it at once when it is
	// complete (store.DB.LoadBeside): Redis's swapdb. It needs disk space
	// for a second copy while it runs. The default.
	LoadSwap LoadMode = iota
	// LoadOnEmpty loads straight into a data set that holds no key, or
	// one a failed load left incomplete (store.DB.Load: the server answers
	// -LOADING meanwhile, and no second copy is written), and as LoadSwap
	// into any other: Redis's on-empty-db.
	LoadOnEmpty
)

// LoadRDB replaces db's data set with the RDB stream r carries, a full
// sync's body, and takes replID and offset (from the primary's +FULLRESYNC)
// as db's history (store.DB.Load). A key of a type Shingle does not store
// stops the load with rdb.ErrUnsupportedType naming it. r is read up to
// the RDB's checksum and no further when it is an io.ByteReader (a
// bufio.Reader), so that the stream of changes that follows can be read
// from it.
func LoadRDB(db *store.DB, replID string, offset uint64, r io.Reader) error {
	return loadRDB(db.Load, replID, offset, r)
}

// LoadRDBBeside is LoadRDB with the old data set serving until the new
// one is complete (store.DB.LoadBeside).
func LoadRDBBeside(db *store.DB, replID string, offset uint64, r io.Reader) error {
	return loadRDB(db.LoadBeside, replID, offset, r)
}

// loader is store.DB.Load or LoadBeside.
type loader func(replID string, offset uint64, next func() (*store.Record, error)) error

func loadRDB(load loader, replID string, offset uint64, r io.Reader) error {
	rr := rdb.NewReader(r)
	return load(replID, offset, func() (*store.Record, error) {
		e, err := rr.Next()
		if err != nil {
			return nil, err // io.EOF after a good checksum ends the load
		}
		// rdb.Type is store.Type, and Next returns strings, hashes and sets only.
		return &store.Record{Type: e.Type, Key: e.Key, Value: e.Value, Fields: e.Fields, Members: e.Members, Scores: e.Scores, ExpireMs: e.ExpireMs}, nil
	})
}
