package netmode

import (
	"context"
	"log/slog"
)

// slogLevel maps a loglevel value to the slog level it lets through:
// Redis's debug, verbose, notice and warning are slog's Debug, Debug+2 (no
// Shingle message sits between Debug and Info), Info and Warn.
func slogLevel(loglevel string) (slog.Level, bool) {
	switch loglevel {
	case "debug":
		return slog.LevelDebug, true
	case "verbose":
		return slog.LevelDebug + 2, true
	case "notice":
		return slog.LevelInfo, true
	case "warning":
		return slog.LevelWarn, true
	}
	return 0, false
}

// levelFilter passes records at min and above to its handler, whatever
// level the handler itself lets through.
type levelFilter struct {
	h   slog.Handler
	min slog.Level
}

func (f *levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.h.Enabled(ctx, l)
}

func (f *levelFilter) Handle(ctx context.Context, r slog.Record) error { return f.h.Handle(ctx, r) }

func (f *levelFilter) WithAttrs(as []slog.Attr) slog.Handler {
	return &levelFilter{f.h.WithAttrs(as), f.min}
}

func (f *levelFilter) WithGroup(name string) slog.Handler {
	return &levelFilter{f.h.WithGroup(name), f.min}
}

// filterLogger returns l filtered at min (a nil l logs nothing). A logger
// filterLogger made is unwrapped first, so that each configuration filters
// the caller's logger once, at its own loglevel.
func filterLogger(l *slog.Logger, min slog.Level) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	h := l.Handler()
	if f, ok := h.(*levelFilter); ok {
		h = f.h
	}
	return slog.New(&levelFilter{h, min})
}

// LevelLogger returns Logger filtered at LogLevel (notice, slog's Info,
// by default), as the server filters its own log: for a program that gives
// the same log to the store.
func (c *Config) LevelLogger() *slog.Logger {
	l, ok := slogLevel(c.LogLevel)
	if !ok {
		l = slog.LevelInfo
	}
	return filterLogger(c.Logger, l)
}
