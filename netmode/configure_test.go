package netmode

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shinglekv/shingle/config"
	"github.com/shinglekv/shingle/store"
)

func TestStoreOptions(t *testing.T) {
	base := DefaultConfig()
	base.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg, o, err := Configure(base, []config.Directive{{Name: "appendfsync", Args: []string{"always"}}})
	if err != nil {
		t.Fatal(err)
	}
	if o.ActiveExpireInterval != 100*time.Millisecond || o.AppendFsync != store.FsyncAlways || o.ProtoMaxBulkLen != cfg.ProtoMaxBulkLen {
		t.Errorf("defaults: %+v", o)
	}
	for hz, want := range map[string]time.Duration{"100": 10 * time.Millisecond, "1000": 2 * time.Millisecond, "0": time.Second} {
		if err := cfg.Set("hz", hz); err != nil {
			t.Fatal(err)
		}
		if o, err := cfg.StoreOptions(); err != nil || o.ActiveExpireInterval != want {
			t.Errorf("hz %s: interval %v (%v), want %v", hz, o.ActiveExpireInterval, err, want)
		}
	}
	// The store's log keeps loglevel's level.
	cfg.Set("loglevel", "warning")
	if o, _ := cfg.StoreOptions(); o.Logger.Enabled(context.Background(), -4) || !o.Logger.Enabled(context.Background(), 4) {
		t.Error("the store's logger does not follow loglevel warning")
	}
	// Every bad line is named, and nothing is returned.
	_, _, err = Configure(nil, []config.Directive{{Name: "port", Args: []string{"x"}}, {Name: "no-such-directive", Args: []string{"1"}}})
	var ae *ApplyError
	if !errors.As(err, &ae) || len(ae.Errors) != 2 {
		t.Errorf("two bad lines: %v", err)
	}
}

// TestLogFileCheck: Configure checks that logfile can be opened, without
// creating it, and reports a file that cannot be in Redis's words.
func TestLogFileCheck(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		path, err string
	}{
		{filepath.Join(dir, "new.log"), ""},
		{filepath.Join(dir, "missing", "x.log"), "Can't open the log file: No such file or directory"},
		{filepath.Join(dir, "new.log", "x.log"), "Can't open the log file: No such file or directory"},
		{dir, "Can't open the log file: Is a directory"},
	} {
		_, _, err := Configure(nil, []config.Directive{{Name: "logfile", Args: []string{tc.path}}})
		var de *DirectiveError
		if tc.err == "" && err != nil || tc.err != "" && (!errors.As(err, &de) || de.Reason != tc.err) {
			t.Errorf("logfile %s: %v, want %q", tc.path, err, tc.err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "new.log")); !os.IsNotExist(err) {
		t.Errorf("Configure created the log file: %v", err)
	}
}
