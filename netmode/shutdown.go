package netmode

import (
	"context"
	"strings"
	"time"

	"github.com/shinglekv/shingle/command"
)

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: the server writes dbfilename
// first when asked (SAVE), then stops as Shutdown does, and the client
// gets no reply: its connection closes. Shingle saves only when asked, as
// its shutdown-on-sigterm default does, and never waits for lagging
// replicas (shutdown-timeout is fixed at 0), so NOW changes nothing and
// ABORT finds no shutdown in progress. An embedder learns of it through
// Server.Done, as of any Shutdown or Close.
func shutdownCmd(ctx *command.Ctx, args [][]byte) command.Reply {
	c := clientOf(ctx)
	s := c.s
	var save, noSave, now, force, abort bool
	for _, a := range args[1:] {
		switch strings.ToLower(string(a)) {
		case "nosave":
			noSave = true
		case "save":
			save = true
		case "now":
			now = true
		case "force":
			force = true
		case "abort":
			abort = true
		default:
			return command.ErrorReply("ERR syntax error")
		}
	}
	switch {
	case abort && (save || noSave || now || force), save && noSave:
		return command.ErrorReply("ERR syntax error")
	case abort:
		return command.ErrorReply("ERR No shutdown in progress.")
	case !now && ctx.Block == nil:
		return command.ErrorReply("ERR SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client")
	}
	log := s.cfg.Load().Logger
	log.Warn("User requested shutdown...")
	if save {
		s.saves.mu.Lock()
		err := s.save()
		s.saves.mu.Unlock()
		if err != nil && !force {
			log.Warn("Error trying to save the DB, can't exit.", "err", err)
			return command.ErrorReply("ERR Errors trying to SHUTDOWN. Check logs.")
		}
	}
	// Shutdown waits for every client, this one too: it runs beside.
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	}()
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	c.noReply = true
	return command.Reply{}
}
