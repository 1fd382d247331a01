package netmode

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/shinglekv/shingle/config"
	"github.com/shinglekv/shingle/store"
)

// What a program that embeds the server does with a redis.conf: the
// directives become a Config and the store's Options (Configure), and the
// process-level ones (logfile, pidfile) are acted on here, as redis-server
// acts on them, so that every embedder need not.

// Configure applies ds, the directives of a config file and command line
// (config.Parse, config.CommandLine.Load), to a copy of base (nil:
// DefaultConfig), and returns it with the store options it asks for
// (StoreOptions). It goes on past a line it cannot take, so that the error
// names every bad line (an *ApplyError; FatalConfigText renders it as
// redis-server's FATAL CONFIG FILE ERROR blocks).
//
// With logfile set, the returned Config logs to that file, opened for each
// message as Redis opens it (a log rotated away is followed by a new
// file), and Configure checks that it can be opened, as Redis does at
// startup; without it, the Config keeps base's Logger.
func Configure(base *Config, ds []config.Directive) (*Config, *store.Options, error) {
	if base == nil {
		base = DefaultConfig()
	}
	cfg := base.clone()
	var errs []error
	if err := cfg.Apply(ds); err != nil {
		errs = append(errs, err)
	}
	if cfg.LogFile != "" {
		if err := canAppend(cfg.LogFile); err != nil {
			errs = append(errs, &DirectiveError{Reason: "Can't open the log file: " + strerror(err)})
		}
		cfg.Logger = slog.New(slog.NewTextHandler(logFile(cfg.LogFile), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	opts, err := cfg.StoreOptions()
	if err != nil {
		return nil, nil, err
	}
	return cfg, opts, nil
}

// StoreOptions returns the store's options that c asks for: appendfsync's
// policy, proto-max-bulk-len, hz's active expiry interval, and the log at
// c's loglevel (CONFIG SET loglevel later reaches the server's messages
// only). The data directory is c.Dir, which store.Open takes apart.
func (c *Config) StoreOptions() (*store.Options, error) {
	policy, err := store.ParseFsyncPolicy(c.AppendFsync)
	if err != nil {
		return nil, err
	}
	return &store.Options{
		AppendFsync:          policy,
		ProtoMaxBulkLen:      c.ProtoMaxBulkLen,
		ActiveExpireInterval: c.ActiveExpireInterval(),
		Logger:               c.LevelLogger(),
	}, nil
}

// WritePidFile writes the process id to pidfile, as Redis does once it
// serves (a failure is logged, and the server goes on, as in Redis), and
// returns what removes the file when the process exits. With no pidfile it
// does nothing.
func (c *Config) WritePidFile() (remove func()) {
	if c.PidFile == "" {
		return func() {}
	}
	if err := os.WriteFile(c.PidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		c.LevelLogger().Warn("Failed to write PID file: " + strerror(err))
		return func() {}
	}
	return func() { os.Remove(c.PidFile) }
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
// message, as Redis does.
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
