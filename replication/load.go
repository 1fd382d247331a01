package replication

import (
	"io"

	"github.com/shinglekv/shingle/replication/rdb"
	"github.com/shinglekv/shingle/store"
)

// LoadRDB replaces db's data set with the RDB stream r carries, a full
// sync's body, and takes replID and offset (from the primary's +FULLRESYNC)
// as db's history. A key of a type Shingle does not store stops the load
// with rdb.ErrUnsupportedType naming it. r is read up to the RDB's checksum
// and no further when it is an io.ByteReader (a bufio.Reader), so that the
// stream of changes that follows can be read from it.
func LoadRDB(db *store.DB, replID string, offset uint64, r io.Reader) error {
	rr := rdb.NewReader(r)
	return db.Load(replID, offset, func() (*store.Record, error) {
		e, err := rr.Next()
		if err != nil {
			return nil, err // io.EOF after a good checksum ends the load
		}
		// rdb.Type is store.Type, and Next returns strings and hashes only.
		return &store.Record{Type: e.Type, Key: e.Key, Value: e.Value, Fields: e.Fields, ExpireMs: e.ExpireMs}, nil
	})
}
