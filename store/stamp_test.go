package store

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

const thisStamp = "format " + formatVersion + "\nshingle " + Version + "\n"

func readStampFile(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, stampName))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeStampFile(t *testing.T, dir, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, stampName), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// openClose opens dir, optionally writes key, and closes it.
func openClose(t *testing.T, dir string, key string) {
	t.Helper()
	db, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		if err := db.Set([]byte(key), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// dirState is everything a failed Open must leave as it was: every entry
// under the directory (the directory itself included) with its mode, size,
// modification time and content.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	state := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		var sum [sha256.Size]byte
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum = sha256.Sum256(b)
		}
		state[path] = fmt.Sprintf("%v %v %d %x", fi.Mode(), fi.ModTime(), fi.Size(), sum)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return state
}

// TestStampNewDir opens new directories, absent and empty: each is
// stamped with the format and the version.
func TestStampNewDir(t *testing.T) {
	for name, dir := range map[string]string{
		"absent": filepath.Join(t.TempDir(), "a", "data"),
		"empty":  t.TempDir(),
	} {
		t.Run(name, func(t *testing.T) {
			openClose(t, dir, "k")
			if got := readStampFile(t, dir); got != thisStamp {
				t.Fatalf("stamp %q, want %q", got, thisStamp)
			}
			if _, err := os.Stat(filepath.Join(dir, stampTemp)); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("the temporary stamp is left behind: %v", err)
			}
			openClose(t, dir, "")
			if got := readStampFile(t, dir); got != thisStamp {
				t.Fatalf("stamp after reopening %q, want %q", got, thisStamp)
			}
		})
	}
}

// TestStampRecordsLastVersion reopens a directory last opened by another
// version of the same format: it opens, with its data, and the stamp names
// this version.
func TestStampRecordsLastVersion(t *testing.T) {
	dir := t.TempDir()
	openClose(t, dir, "k")
	writeStampFile(t, dir, "format "+formatVersion+"\nshingle 0.0.9\n")
	db, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, db, "k"); got != "v" {
		t.Fatalf("k = %q", got)
	}
	db.Close()
	if got := readStampFile(t, dir); got != thisStamp {
		t.Fatalf("stamp %q, want %q", got, thisStamp)
	}
}

// TestStampRefusesUnknownFormat stamps a store with formats this build does
// not read, and with garbage: Open fails with ErrFormat and a message that
// says why, and leaves the directory exactly as it was.
func TestStampRefusesUnknownFormat(t *testing.T) {
	cases := []struct {
		name, stamp string
		says        []string // in the error
	}{
		{"later format", "format 999\nshingle 0.9.0\n", []string{"has on-disk format 999", "written by Shingle 0.9.0", "this build (Shingle " + Version + ") reads format " + formatVersion}},
		{"later format, no version", "format 3\n", []string{"has on-disk format 3", "written by an unknown Shingle version"}},
		{"garbage", "\x00\xff\xfe not a stamp at all", []string{"cannot read"}},
		{"empty", "", []string{"cannot read"}},
		{"format not a number", "format one\nshingle 0.1.0\n", []string{"cannot read", "not a number"}},
		{"no format", "shingle 0.1.0\n", []string{"no format line"}},
		{"too large", "format 1\nshingle 0.1.0\n" + strings.Repeat("pad x\n", 1000), []string{"too large"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			openClose(t, dir, "k")
			writeStampFile(t, dir, tc.stamp)
			before := dirState(t, dir)
			db, err := Open(dir, nil)
			if err == nil {
				db.Close()
				t.Fatal("Open accepted the directory")
			}
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("Open = %v, want ErrFormat", err)
			}
			for _, s := range append(tc.says, dir) {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("the error %q does not say %q", err, s)
				}
			}
			if after := dirState(t, dir); !reflect.DeepEqual(after, before) {
				t.Fatalf("the failed Open changed the directory:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

// TestStampPreviousRelease opens a directory written before stamps (Pebble's
// files and the format key, no stamp): it opens with its data and is
// stamped.
func TestStampPreviousRelease(t *testing.T) {
	dir := t.TempDir()
	openClose(t, dir, "k")
	if err := os.Remove(filepath.Join(dir, stampName)); err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, db, "k"); got != "v" {
		t.Fatalf("k = %q", got)
	}
	if got := readStampFile(t, dir); got != thisStamp {
		t.Fatalf("stamp %q, want %q", got, thisStamp)
	}
	db.Close()
}

// TestFormatKeyChecked opens a database whose format key says another
// format than this build's, with no stamp (as a release before stamps
// would have left it) and under a stamp saying this format: Open refuses
// both with ErrFormat.
func TestFormatKeyChecked(t *testing.T) {
	for _, stamped := range []bool{false, true} {
		dir := t.TempDir()
		pdb, err := pebble.Open(dir, &pebble.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := pdb.Set(sysFormat, []byte("99"), pebble.Sync); err != nil {
			t.Fatal(err)
		}
		pdb.Close()
		if stamped {
			writeStampFile(t, dir, thisStamp)
		}
		db, err := Open(dir, nil)
		if err == nil {
			db.Close()
			t.Fatalf("stamped %v: Open accepted format key 99", stamped)
		}
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), `format "99"`) {
			t.Fatalf("stamped %v: Open = %v, want ErrFormat naming format 99", stamped, err)
		}
	}
}

// TestStampAmongOtherFiles opens a directory that holds other files (a
// redis.conf, say, as Redis's dir often does): the store is created beside
// them and they are left as they were.
func TestStampAmongOtherFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"redis.conf", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	openClose(t, dir, "k")
	if got := readStampFile(t, dir); got != thisStamp {
		t.Fatalf("stamp %q, want %q", got, thisStamp)
	}
	for _, f := range []string{"redis.conf", "notes.txt"} {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err != nil || string(b) != "mine" {
			t.Errorf("%s = %q, %v after Open", f, b, err)
		}
	}
}

// TestParseStamp checks the stamp codec on what it must accept.
func TestParseStamp(t *testing.T) {
	for in, want := range map[string]stamp{
		"format 1\nshingle 0.1.0\n":          {"1", "0.1.0"},
		"format 1\nshingle 0.1.0":            {"1", "0.1.0"},
		"shingle 2.0.0\nformat 12\n":         {"12", "2.0.0"},
		"format 1\n":                         {"1", ""},
		"format 1\ncreated 2025-01-01\n":     {"1", ""},
		"format 3\nshingle 1.0.0-rc.1+abc\n": {"3", "1.0.0-rc.1+abc"},
	} {
		got, err := parseStamp([]byte(in))
		if err != nil || got != want {
			t.Errorf("parseStamp(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "\n", "format\n", "format 1 2\n", "format  1\n", "format -1\n", "format 1\n\nshingle 1\n", "format 1\r\n"} {
		if got, err := parseStamp([]byte(in)); err == nil {
			t.Errorf("parseStamp(%q) = %+v, want an error", in, got)
		}
	}
}

// FuzzParseStamp checks that whatever parseStamp accepts, the stamp this
// build would write from it reads back the same.
func FuzzParseStamp(f *testing.F) {
	f.Add([]byte(thisStamp))
	f.Add([]byte("format 999\nshingle 0.9.0\n"))
	f.Add([]byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseStamp(b)
		if err != nil {
			return
		}
		if s.shingle == "" {
			s.shingle = Version
		}
		back, err := parseStamp(s.encode())
		if err != nil || back != s {
			t.Fatalf("%+v encodes to %q, which reads back as %+v, %v", s, s.encode(), back, err)
		}
	})
}

// TestMigrateFromPebbleLog: a directory in format 1, whose writes are in
// Pebble's own log (here, the format key itself, never flushed), opens:
// Pebble replays its log, and the directory is format 2 afterwards, in
// its stamp and its format key, with its data.
func TestMigrateFromPebbleLog(t *testing.T) {
	dir := t.TempDir()
	openClose(t, dir, "k")
	pdb, err := pebble.Open(dir, &pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := pdb.Set(sysFormat, []byte(formatPebbleLog), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	pdb.Close()
	writeStampFile(t, dir, "format "+formatPebbleLog+"\nshingle 0.1.0\n")
	for range 2 {
		db, err := Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := db.Get([]byte("k")); err != nil || v == nil {
			t.Fatalf("GET k after the migration: %q %v", v, err)
		}
		v, c, err := db.pdb.Get(sysFormat)
		if err != nil || string(v) != formatVersion {
			t.Fatalf("format key %q (%v), want %s", v, err, formatVersion)
		}
		c.Close()
		db.Close()
		if b, _ := os.ReadFile(filepath.Join(dir, stampName)); string(b) != thisStamp {
			t.Fatalf("stamp %q, want %q", b, thisStamp)
		}
	}
}
