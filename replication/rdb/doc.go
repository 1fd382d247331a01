// Package rdb owns the Redis RDB byte format as Shingle uses it for
// replication: encoding and decoding the entries of the types Shingle
// stores (strings, hashes, lists, sets and sorted sets, with millisecond
// expiry times), the framing around them (the "REDIS0010" header, AUX
// fields, SELECTDB, RESIZEDB, the EOF opcode) and the trailing CRC-64
// checksum. A primary streams its
// snapshot to a replica with Writer; a replica decodes what a primary —
// Shingle or a stock redis-server 7.0 — sends with Reader.
//
// # Usage
//
//	w := rdb.NewWriter(conn)
//	err := w.Header(map[string]string{"redis-ver": "7.0.15"}) // REDIS0010, AUX, SELECTDB 0
//	err = w.String([]byte("greeting"), []byte("hello"), 0)
//	err = w.Hash([]byte("user:1"), [][]byte{[]byte("name"), []byte("Ada")}, expireMs)
//	err = w.ZSet([]byte("board"), [][]byte{[]byte("ada")}, []float64{42}, 0)
//	err = w.End() // EOF and the checksum, flushed
//
//	r := rdb.NewReader(br) // a *bufio.Reader is not read past the checksum
//	for {
//		e, err := r.Next() // io.EOF after a good checksum
//		if err != nil { ... }
//		// e.Type is TypeString (e.Value), TypeHash (e.Fields), TypeList or TypeSet
//		// (e.Members) or TypeZSet (e.Members and e.Scores); e.ExpireMs
//	}
//
// # What it must never do
//
// Do network I/O, touch a store.DB (it imports store only for the Type
// enum and the proto-max-bulk-len default), or build a whole snapshot in
// memory: it streams, one entry at a time, to an io.Writer and from an
// io.Reader that the caller owns. Deciding what to do with an entry (for
// example dropping keys whose expiry time has passed) is the caller's
// job. Import netmode or replication: the replication package drives it,
// never the other way round.
//
// # Format
//
// Writer writes RDB version 10, what Redis 7.0 writes and loads: strings as
// RDB_TYPE_STRING (integer-encoded when the value is a canonical 32-bit
// integer, as Redis does, otherwise raw), hashes as the plain
// RDB_TYPE_HASH (4), lists as RDB_TYPE_LIST (1), sets as the plain
// RDB_TYPE_SET (2) and sorted sets as RDB_TYPE_ZSET_2 (5, binary scores),
// each preceded by EXPIRETIME_MS when it expires.
//
// Reader accepts RDB versions 1 to 11 (7.2 writes 11, whose strings and
// hashes are encoded as in 10) and decodes everything redis-server 7.0 may
// read for strings, hashes, lists, sets and sorted sets: raw, integer and
// LZF-compressed strings, hashes as RDB_TYPE_HASH, HASH_ZIPMAP,
// HASH_ZIPLIST and HASH_LISTPACK, lists as RDB_TYPE_LIST, LIST_ZIPLIST,
// LIST_QUICKLIST and LIST_QUICKLIST_2, sets as RDB_TYPE_SET, SET_INTSET and
// (7.2's) SET_LISTPACK, and sorted sets as RDB_TYPE_ZSET (text scores),
// ZSET_2 (binary scores), ZSET_ZIPLIST and ZSET_LISTPACK (whose scores
// are read as Redis reads them: an integer entry converted to the nearest
// double, a string with C's strtod). A sorted set with a NaN score or a
// duplicate member is ErrCorrupt. It skips AUX (kept for Aux), SELECTDB 0,
// RESIZEDB, IDLE and FREQ. Streams and modules are reported with
// ErrUnsupportedType, never skipped silently; databases other than 0,
// module AUX data and Redis functions are errors.
// Every length read is bounded by Reader.MaxBulkLen and slices grow as data
// actually arrives, so a hostile stream cannot make the reader allocate
// much more than it sends.
package rdb
