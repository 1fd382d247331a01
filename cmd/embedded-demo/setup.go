package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/shinglekv/shingle/config"
	"github.com/shinglekv/shingle/netmode"
	"github.com/shinglekv/shingle/store"
)

// What the process does with the directives the server only reports:
// logfile, loglevel (for the store), pidfile and hz, and how a refused
// configuration is reported.

// printError reports run's error on w as redis-server would: a refused
// configuration as its FATAL CONFIG FILE ERROR blocks (one per bad line,
// where Redis stops at the first), anything else on one line.
func printError(w io.Writer, err error) {
	if text, ok := netmode.FatalConfigText(err); ok {
		fmt.Fprint(w, text)
		return
	}
	fmt.Fprintln(w, "embedded-demo:", err)
}

// configure applies ds to cfg, going on past bad lines so that every one
// is reported, then checks, as Redis does once it has read its
// configuration, that logfile can be opened, and points cfg.Logger at it
// (standard output, out, when logfile is ""). The server filters the
// logger at loglevel, also after CONFIG SET loglevel.
func configure(cfg *netmode.Config, ds []config.Directive, out io.Writer) error {
	var errs []error
	if err := cfg.Apply(ds); err != nil {
		errs = append(errs, err)
	}
	w := out
	if cfg.LogFile != "" {
		if err := canAppend(cfg.LogFile); err != nil {
			errs = append(errs, &netmode.DirectiveError{Reason: "Can't open the log file: " + strerror(err)})
		}
		w = logFile(cfg.LogFile)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return errors.Join(errs...)
}

// canAppend reports why path could not be opened for appending, as Redis
// opens its log file, without creating it: the file may not be wanted
// (another directive may stop the start).
func canAppend(path string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	const wOK, xOK = 2, 1 // access(2)'s W_OK and X_OK: a file can be created there
	if err := syscall.Access(filepath.Dir(path), wOK|xOK); err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return nil
}

// strerror is err's errno as C's strerror words it ("No such file or
// directory"), or err itself.
func strerror(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	s := errno.Error()
	return strings.ToUpper(s[:1]) + s[1:]
}

// logFile appends each message to the file at its path, opened for that
// message, as Redis does: a log rotated away is followed by a new file.
type logFile string

func (l logFile) Write(p []byte) (int, error) {
	f, err := os.OpenFile(string(l), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, err
	}
	n, err := f.Write(p)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// storeOptions are the store's options from cfg: appendfsync's policy,
// proto-max-bulk-len, hz's active expiry interval, and the log at the
// loglevel given at startup (CONFIG SET loglevel reaches the server's
// messages only).
func storeOptions(cfg *netmode.Config, policy store.FsyncPolicy) *store.Options {
	return &store.Options{
		AppendFsync:          policy,
		ProtoMaxBulkLen:      cfg.ProtoMaxBulkLen,
		ActiveExpireInterval: cfg.ActiveExpireInterval(),
		Logger:               cfg.LevelLogger(),
	}
}

// writePidFile writes the process id to pidfile, as Redis does once it
// serves (a failure is logged, and the server goes on, as in Redis), and
// returns what removes the file when the process exits.
func writePidFile(cfg *netmode.Config) (remove func()) {
	if cfg.PidFile == "" {
		return func() {}
	}
	if err := os.WriteFile(cfg.PidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		cfg.Logger.Warn("Failed to write PID file: " + strerror(err))
		return func() {}
	}
	return func() { os.Remove(cfg.PidFile) }
}
