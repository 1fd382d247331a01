package replication

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/shinglekv/shingle/store"
)

// eofMarkLen is the length of the random marker that ends a diskless full
// sync's RDB, announced first as "$EOF:<marker>" (Redis's
// RDB_EOF_MARK_SIZE).
const eofMarkLen = 40

// FullResync is the line that announces a full sync of snap to a replica
// that sent PSYNC. A diskless Redis primary follows it with the snapshot as
// an RDB framed by an end marker (WriteDisklessRDB), since a streamed RDB's
// length is not known in advance, and then the changes after the
// snapshot's offset, on the same connection.
func FullResync(snap *store.Snapshot) string {
	return fmt.Sprintf("+FULLRESYNC %s %d\r\n", snap.ReplicationID, snap.Offset)
}

// WriteDisklessRDB writes snap as an RDB framed by an end marker, what
// follows +FULLRESYNC, and all a client of the older SYNC (redis-cli --rdb)
// receives.
func WriteDisklessRDB(w io.Writer, snap *store.Snapshot, redisVersion string) error {
	var raw [eofMarkLen / 2]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return err
	}
	mark := hex.EncodeToString(raw[:])
	if _, err := fmt.Fprintf(w, "$EOF:%s\r\n", mark); err != nil {
		return err
	}
	if err := WriteSnapshot(w, snap, redisVersion); err != nil {
		return err
	}
	_, err := io.WriteString(w, mark)
	return err
}

// ErrBadSync is a primary's full sync that does not follow the protocol.
var ErrBadSync = errors.New("replication: malformed full sync")

// readFullSync reads a primary's full sync from its "+FULLRESYNC <replid>
// <offset>" line on (line, already read) and loads the RDB that follows
// into db (LoadRDB, or with beside LoadRDBBeside), in either of Redis's framings: "$EOF:<marker>"
// (diskless) or "$<length>" (from a file). The empty lines a Redis primary
// sends to keep the link alive while it prepares the RDB are skipped. It
// returns the history db now continues; the change stream follows on br.
// loading, if set, is called when the RDB starts, with its length, -1 when
// the framing does not tell it.
func readFullSync(br *bufio.Reader, db *store.DB, beside bool, line string, loading func(size int64)) (replID string, offset uint64, err error) {
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "+FULLRESYNC" || len(f[1]) != 40 {
		return "", 0, fmt.Errorf("%w: %q where +FULLRESYNC was expected", ErrBadSync, line)
	}
	replID = f[1]
	load := LoadRDB
	if beside {
		load = LoadRDBBeside
	}
	if offset, err = strconv.ParseUint(f[2], 10, 64); err != nil {
		return "", 0, fmt.Errorf("%w: offset %q", ErrBadSync, f[2])
	}
	for line = ""; line == ""; { // skip keepalive newlines
		if line, err = readLine(br); err != nil {
			return "", 0, err
		}
	}
	switch {
	case strings.HasPrefix(line, "$EOF:") && len(line) == 5+eofMarkLen:
		if loading != nil {
			loading(-1)
		}
		if err := load(db, replID, offset, br); err != nil {
			return "", 0, err
		}
		var mark [eofMarkLen]byte
		if _, err := io.ReadFull(br, mark[:]); err != nil {
			return "", 0, err
		}
		if string(mark[:]) != line[5:] {
			return "", 0, fmt.Errorf("%w: the RDB is not followed by its end marker", ErrBadSync)
		}
	case strings.HasPrefix(line, "$"):
		n, err := strconv.ParseInt(line[1:], 10, 64)
		if err != nil || n < 0 {
			return "", 0, fmt.Errorf("%w: RDB length %q", ErrBadSync, line)
		}
		if loading != nil {
			loading(n)
		}
		lr := &io.LimitedReader{R: br, N: n}
		body := bufio.NewReader(lr)
		if err := load(db, replID, offset, body); err != nil {
			return "", 0, err
		}
		if extra := lr.N + int64(body.Buffered()); extra != 0 {
			return "", 0, fmt.Errorf("%w: %d bytes after the RDB's checksum", ErrBadSync, extra)
		}
	default:
		return "", 0, fmt.Errorf("%w: %q where the RDB was expected", ErrBadSync, line)
	}
	return replID, offset, nil
}

// readLine reads one line without its "\r\n" (or "\n").
func readLine(br *bufio.Reader) (string, error) {
	b, err := br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return "", fmt.Errorf("%w: a line longer than %d bytes", ErrBadSync, br.Size())
		}
		return "", err
	}
	return string(bytes.TrimRight(b, "\r\n")), nil
}
