package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Version is the Shingle release this package belongs to. Open records it
// in the data directory's stamp as the version that last opened it.
const Version = "0.1.0"

// The stamp is a small text file in the data directory, read before Pebble
// opens it, so that a directory this build cannot read is refused while it
// is still untouched. Its format is described in doc.go (On-disk encoding).
const (
	stampName    = "SHINGLE"
	stampTemp    = "SHINGLE.tmp" // written, then renamed over stampName
	stampMaxSize = 4096
)

// stamp is what a data directory's stamp says.
type stamp struct {
	format  string // the on-disk format (formatVersion when this build wrote it)
	shingle string // the Shingle version that last opened the directory
}

func (s stamp) encode() []byte {
	return fmt.Appendf(nil, "format %s\nshingle %s\n", s.format, s.shingle)
}

// parseStamp reads a stamp: lines of a name, one space and a value. The
// format line is required; unknown names are ignored, so that a later
// release of the same format may add some.
func parseStamp(b []byte) (stamp, error) {
	var s stamp
	switch {
	case len(b) == 0:
		return s, errors.New("empty")
	case len(b) > stampMaxSize:
		return s, errors.New("too large")
	}
	for line := range strings.SplitSeq(strings.TrimSuffix(string(b), "\n"), "\n") {
		name, value, ok := strings.Cut(line, " ")
		if !ok || !printableWord(name) || !printableWord(value) {
			if len(line) > 40 {
				line = line[:40] + "..."
			}
			return s, fmt.Errorf("line %q is not a name and a value", line)
		}
		switch name {
		case "format":
			if strings.Trim(value, "0123456789") != "" || len(value) > 9 {
				return s, fmt.Errorf("format %q is not a number", value)
			}
			s.format = value
		case "shingle":
			s.shingle = value
		}
	}
	if s.format == "" {
		return s, errors.New("no format line")
	}
	return s, nil
}

func printableWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return s != ""
}

// dataDir is a data directory as Open found it before Pebble opened it.
type dataDir struct {
	fs      vfs.FS
	dir     string
	stamp   stamp
	stamped bool // it has a stamp (of this build's format)
}

// checkDataDir reads dir's stamp and refuses, leaving it untouched, a
// directory stamped with another on-disk format or with an unreadable stamp
// (ErrFormat). A directory without a stamp is a database from before stamps
// existed when it holds Pebble's MANIFEST (loadState checks its format key,
// and Open stamps it), and a new store otherwise: other files in it are
// left alone, as Redis's dir commonly holds the config file too. A new
// store's directory is created and stamped before Pebble opens it, so that
// a crash in between leaves it recognisable.
func checkDataDir(fsys vfs.FS, dir string) (*dataDir, error) {
	d := &dataDir{fs: fsys, dir: dir}
	names, err := fsys.List(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return d.create()
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	if slices.Contains(names, stampName) {
		return d.readStamp()
	}
	for _, name := range names {
		if strings.HasPrefix(name, "MANIFEST-") {
			return d, nil
		}
	}
	return d.create()
}

// readStamp reads and checks the stamp of a directory that has one.
func (d *dataDir) readStamp() (*dataDir, error) {
	f, err := d.fs.Open(d.fs.PathJoin(d.dir, stampName))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", d.dir, err)
	}
	b, err := io.ReadAll(io.LimitReader(f, stampMaxSize+1))
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("store: open %s: reading %s: %w", d.dir, stampName, err)
	}
	s, err := parseStamp(b)
	if err != nil {
		return nil, fmt.Errorf("%w: data directory %s has a %s stamp this build (Shingle %s) cannot read (%v); it reads format %s",
			ErrFormat, d.dir, stampName, Version, err, formatVersion)
	}
	if s.format != formatVersion && s.format != formatPebbleLog {
		by := "Shingle " + s.shingle
		if s.shingle == "" {
			by = "an unknown Shingle version"
		}
		return nil, fmt.Errorf("%w: data directory %s has on-disk format %s (written by %s); this build (Shingle %s) reads format %s",
			ErrFormat, d.dir, s.format, by, Version, formatVersion)
	}
	d.stamp, d.stamped = s, true
	return d, nil
}

// create makes the directory of a new store and stamps it.
func (d *dataDir) create() (*dataDir, error) {
	if err := d.fs.MkdirAll(d.dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", d.dir, err)
	}
	if err := d.write(); err != nil {
		return nil, err
	}
	return d, nil
}

// opened brings the stamp up to date once the database has opened: a
// directory from before stamps gets one, and one last opened by another
// Shingle version gets this one's.
func (d *dataDir) opened() error {
	if d.stamped && d.stamp.shingle == Version && d.stamp.format == formatVersion {
		return nil
	}
	return d.write()
}

// write writes the stamp of this build atomically: a temporary file,
// synced, renamed over the stamp, and the directory synced.
func (d *dataDir) write() error {
	s := stamp{format: formatVersion, shingle: Version}
	tmp, path := d.fs.PathJoin(d.dir, stampTemp), d.fs.PathJoin(d.dir, stampName)
	err := writeSynced(d.fs, tmp, s.encode())
	if err == nil {
		err = d.fs.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(d.fs, d.dir)
	}
	if err != nil {
		return fmt.Errorf("store: writing %s: %w", path, err)
	}
	d.stamp, d.stamped = s, true
	return nil
}

func writeSynced(fsys vfs.FS, name string, data []byte) error {
	f, err := fsys.Create(name, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

func syncDir(fsys vfs.FS, dir string) error {
	d, err := fsys.OpenDir(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
