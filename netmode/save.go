package netmode

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/replication"
	"github.com/shinglekv/shingle/store"
)

// SAVE, BGSAVE and LASTSAVE: an export of the data set, never a way in.
// They write dir/dbfilename as the RDB Redis 7.0 writes (version 10), from
// a consistent Pebble snapshot, through a temporary file synced and
// renamed over it, so that a redis-server started on the file loads the
// data set as it was at one instant. Shingle itself never reads the file
// (its data is in Pebble's files under dir): there is no fork, no save
// schedule (save ""), and no save at shutdown.

// saver is the server's state of saves.
type saver struct {
	mu         sync.Mutex // held by the save in progress
	running    atomic.Bool
	rewriting  atomic.Bool  // a BGREWRITEAOF's compaction runs
	rewriteErr atomic.Bool  // the last one failed
	last       atomic.Int64 // unix seconds of the last successful save; the start, before one
	ok         atomic.Bool  // the last background save succeeded (or none ran)
	bg         sync.WaitGroup
}

var (
	errSaveInProgress = command.ErrorReply("ERR Background save already in progress")
)

func saveCommands() []*command.Command {
	return []*command.Command{
		{Name: "save", Arity: 1, Flags: command.FlagAdmin | command.FlagNoScript | command.FlagNoAsyncLoading | command.FlagNoMulti,
			Categories: []string{"@admin", "@slow", "@dangerous"}, Run: saveCmd},
		{Name: "bgsave", Arity: -1, Flags: command.FlagAdmin | command.FlagNoScript | command.FlagNoAsyncLoading,
			Categories: []string{"@admin", "@slow", "@dangerous"}, Run: bgsaveCmd},
		{Name: "shutdown", Arity: -1, Flags: command.FlagAdmin | command.FlagNoScript | command.FlagLoading | command.FlagStale | command.FlagNoMulti | command.FlagAllowBusy,
			Categories: []string{"@admin", "@slow", "@dangerous"}, Run: shutdownCmd},
		{Name: "bgrewriteaof", Arity: 1, Flags: command.FlagAdmin | command.FlagNoScript | command.FlagNoAsyncLoading,
			Categories: []string{"@admin", "@slow", "@dangerous"}, Run: bgrewriteaofCmd},
		{Name: "lastsave", Arity: 1, Flags: command.FlagLoading | command.FlagStale | command.FlagFast,
			Categories: []string{"@admin", "@fast", "@dangerous"}, Run: lastsaveCmd},
	}
}

// save writes the RDB file, holding saver.mu. It returns what failed.
func (s *Server) save() error {
	cfg := s.cfg.Load()
	snap, cancel, err := s.db.SubscribeSnapshot(func(store.Change) {})
	if err != nil {
		return err
	}
	cancel()
	defer snap.Close()
	path := filepath.Join(cfg.Dir, cfg.DBFilename)
	tmp := filepath.Join(cfg.Dir, fmt.Sprintf("temp-%d-%d.rdb", os.Getpid(), time.Now().UnixNano()))
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = replication.WriteSnapshot(bw, snap, Version)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	err = errors.Join(err, f.Close())
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(cfg.Dir); err == nil { // the rename, durable
		d.Sync()
		d.Close()
	}
	s.saves.last.Store(time.Now().Unix())
	return nil
}

func saveCmd(ctx *command.Ctx, _ [][]byte) command.Reply {
	s := clientOf(ctx).s
	if !s.saves.mu.TryLock() {
		return errSaveInProgress
	}
	defer s.saves.mu.Unlock()
	if err := s.save(); err != nil {
		s.cfg.Load().Logger.Warn("netmode: SAVE failed", "err", err)
		return command.ErrReply(err)
	}
	return command.OK
}

// BGSAVE [SCHEDULE]: the save runs in the background; with SCHEDULE, after
// one in progress.
func bgsaveCmd(ctx *command.Ctx, args [][]byte) command.Reply {
	s := clientOf(ctx).s
	schedule := false
	switch {
	case len(args) == 2 && strings.EqualFold(string(args[1]), "schedule"):
		schedule = true
	case len(args) > 1:
		return command.ErrReply(store.ErrSyntax)
	}
	if s.saves.running.Load() {
		if schedule {
			s.startBgsave(true)
			return command.Status("Background saving scheduled")
		}
		return errSaveInProgress
	}
	if !s.startBgsave(false) {
		return errSaveInProgress
	}
	return command.Status("Background saving started")
}

// startBgsave starts a background save; unless wait, only when none runs.
func (s *Server) startBgsave(wait bool) bool {
	if !wait {
		if !s.saves.mu.TryLock() {
			return false
		}
		s.saves.running.Store(true) // before the reply: INFO shows it at once
	}
	s.saves.bg.Add(1)
	go func() {
		defer s.saves.bg.Done()
		if wait {
			s.saves.mu.Lock()
			s.saves.running.Store(true)
		}
		err := s.save()
		s.saves.running.Store(false)
		s.saves.mu.Unlock()
		s.saves.ok.Store(err == nil)
		if err != nil {
			s.cfg.Load().Logger.Warn("netmode: background save failed", "err", err)
		} else {
			s.cfg.Load().Logger.Info("netmode: background save done", "file", filepath.Join(s.cfg.Load().Dir, s.cfg.Load().DBFilename))
		}
	}()
	return true
}

func lastsaveCmd(ctx *command.Ctx, _ [][]byte) command.Reply {
	return command.Int(clientOf(ctx).s.saves.last.Load())
}

// saveInfo is INFO persistence's lines about saves.
func (s *Server) saveInfo(line func(string, any)) {
	line("rdb_bgsave_in_progress", map[bool]int{true: 1, false: 0}[s.saves.running.Load()])
	line("rdb_last_save_time", strconv.FormatInt(s.saves.last.Load(), 10))
	line("rdb_last_bgsave_status", map[bool]string{true: "ok", false: "err"}[s.saves.ok.Load()])
}

// BGREWRITEAOF: Shingle's append-only log is Pebble's, whose files a
// compaction rewrites without what later writes made obsolete, which is
// what rewriting Redis's AOF achieves. It runs in the background, as
// Redis's rewrite does; INFO persistence shows aof_rewrite_in_progress.
func bgrewriteaofCmd(ctx *command.Ctx, _ [][]byte) command.Reply {
	s := clientOf(ctx).s
	if !s.saves.rewriting.CompareAndSwap(false, true) {
		return command.ErrorReply("ERR Background append only file rewriting already in progress")
	}
	s.saves.bg.Add(1)
	go func() {
		defer s.saves.bg.Done()
		defer s.saves.rewriting.Store(false)
		err := s.db.Compact()
		s.saves.rewriteErr.Store(err != nil)
		if err != nil {
			s.cfg.Load().Logger.Warn("netmode: BGREWRITEAOF: the compaction failed", "err", err)
		}
	}()
	return command.Status("Background append only file rewriting started")
}
