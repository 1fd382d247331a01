package store

import (
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestLoadBeside loads a snapshot beside a live data set, on disk and in
// memory: throughout the load the old data answers reads and takes writes
// (the history unchanged); at the end the data set is the snapshot's
// alone (digest, key counts, TTLs, history), the old keys are gone even
// where the record cache held them, new writes and collections go on, one
// Reset is published, and the staging space is freed. A load whose source
// fails changes nothing.
func TestLoadBeside(t *testing.T) {
	src, snap, records := loadSource(t)
	want, err := src.Digest()
	if err != nil {
		t.Fatal(err)
	}
	for _, inMemory := range []bool{false, true} {
		t.Run("in memory "+strconv.FormatBool(inMemory), func(t *testing.T) {
			dir := t.TempDir()
			o := &Options{InMemory: inMemory}
			dst, err := Open(dir, o)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { dst.Close() }()
			// Old keys, one of them under a name the snapshot holds too,
			// all of them read once (into the record cache).
			dst.Set([]byte("old"), []byte("v"))
			dst.HSet([]byte("oldhash"), []byte("f"), []byte("v"))
			dst.Set([]byte("k0"), []byte("old k0"))
			for _, k := range []string{"old", "k0"} {
				if _, err := dst.Get([]byte(k)); err != nil {
					t.Fatal(err)
				}
			}
			resets := 0
			_, cancel, err := dst.Subscribe(func(c Change) {
				if c.Reset {
					resets++
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			defer cancel()
			history, _ := dst.History()

			// The live data set serves reads and writes while the load
			// runs, and keeps its history.
			during := func() error {
				if v, err := dst.Get([]byte("old")); err != nil || string(v) != "v" {
					return errors.New("old data unreadable during the load: " + string(v))
				}
				if h, _ := dst.History(); h.ReplID != history.ReplID {
					return errors.New("the history changed during the load")
				}
				_, err := dst.IncrBy([]byte("during"), 1)
				return err
			}
			boom := errors.New("link cut")
			n := 0
			err = dst.LoadBeside(snap.ReplicationID, snap.Offset, func() (*Record, error) {
				if n++; n == 500 {
					if err := during(); err != nil {
						return nil, err
					}
				}
				if n > 1000 {
					return nil, boom
				}
				return records[n-1], nil
			})
			if !errors.Is(err, boom) {
				t.Fatalf("LoadBeside with a failing source: %v", err)
			}
			if v, err := dst.Get([]byte("k0")); err != nil || string(v) != "old k0" || resets != 0 {
				t.Fatalf("after a failed load: k0 = %q, %v; %d resets", v, err, resets)
			}
			if h, _ := dst.History(); h.ReplID != history.ReplID || dst.Incomplete() {
				t.Fatal("a failed load changed the history or marked the data set incomplete")
			}

			i := 0
			err = dst.LoadBeside(snap.ReplicationID, snap.Offset, func() (*Record, error) {
				if i == len(records)/2 {
					if err := during(); err != nil {
						return nil, err
					}
				}
				if i == len(records) {
					return nil, io.EOF
				}
				i++
				return records[i-1], nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if resets != 1 {
				t.Fatalf("%d resets published, want 1", resets)
			}
			check := func(when string) {
				t.Helper()
				if got, err := dst.Digest(); err != nil || got != want {
					t.Fatalf("%s: digest %s, %v; want %s", when, got, err, want)
				}
				if dst.ReplicationID() != snap.ReplicationID || dst.Offset() != snap.Offset || dst.Incomplete() {
					t.Fatalf("%s: history %s@%d (incomplete %v), want %s@%d", when,
						dst.ReplicationID(), dst.Offset(), dst.Incomplete(), snap.ReplicationID, snap.Offset)
				}
				keys, expires, err := dst.KeyCounts()
				if err != nil || keys != 3000 || expires != 1000 {
					t.Fatalf("%s: %d keys, %d with expiry, %v", when, keys, expires, err)
				}
				for _, k := range []string{"old", "oldhash", "during"} {
					if n, err := dst.Exists([]byte(k)); err != nil || n != 0 {
						t.Fatalf("%s: old key %s still there (%v)", when, k, err)
					}
				}
				if v, err := dst.Get([]byte("k0")); err != nil || string(v) != "0" {
					t.Fatalf("%s: k0 = %q, %v", when, v, err)
				}
				if ttl, err := dst.TTL([]byte("k2")); err != nil || ttl <= 0 || ttl > time.Hour {
					t.Fatalf("%s: k2's TTL %v, %v", when, ttl, err)
				}
			}
			check("after LoadBeside")
			if !inMemory {
				if _, err := dst.fs.Stat(filepath.Join(dir, stagingDir)); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("the staging directory is still there: %v", err)
				}
				if err := dst.Close(); err != nil {
					t.Fatal(err)
				}
				if dst, err = Open(dir, o); err != nil {
					t.Fatal(err)
				}
				check("after reopening")
			}
			// New collections do not land on the loaded ones' ids.
			if _, err := dst.HSet([]byte("new"), []byte("f"), []byte("v")); err != nil {
				t.Fatal(err)
			}
			if v, err := dst.HGet([]byte("k1"), []byte("b")); err != nil || string(v) != "1" {
				t.Fatalf("k1.b = %q, %v after a new hash", v, err)
			}
			if _, err := dst.Del([]byte("new")); err != nil {
				t.Fatal(err)
			}
		})
	}
}
