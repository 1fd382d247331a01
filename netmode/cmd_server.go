package netmode

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/glob"
	"github.com/shinglekv/shingle/tlsconn"
)

func nowNano() int64 { return time.Now().UnixNano() }

// addrString renders an address as CLIENT LIST does: ip:port, or path:0
// for a unix socket.
func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	if a.Network() == "unix" {
		return a.String() + ":0"
	}
	return a.String()
}

// clientsByID returns the connected clients, oldest first.
func (s *Server) clientsByID() []*client {
	s.mu.Lock()
	out := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, c)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// commandInfo is one entry of COMMAND / COMMAND INFO, Redis 7's shape.
func commandInfo(c *command.Command) command.Reply {
	var flags []command.Reply
	for _, f := range c.Flags.Names() {
		flags = append(flags, command.Status(f))
	}
	if c.MovableKeys != nil {
		flags = append(flags, command.Status("movablekeys"))
	}
	var cats []command.Reply
	for _, ct := range c.Categories {
		cats = append(cats, command.Status(ct))
	}
	return command.Array(
		command.BulkString(c.Name),
		command.Int(int64(c.Arity)),
		command.Reply{Kind: command.KindSet, Elems: nonNil(flags)},
		command.Int(int64(c.FirstKey)),
		command.Int(int64(c.LastKey)),
		command.Int(int64(c.Step)),
		command.Reply{Kind: command.KindSet, Elems: nonNil(cats)},
		command.Array(), // tips
		command.Array(), // key specs
		command.Array(), // subcommands
	)
}

func nonNil(r []command.Reply) []command.Reply {
	if r == nil {
		return []command.Reply{}
	}
	return r
}

// commandDoc is COMMAND DOCS's entry for a command of the table: its entry
// in command's docs table, in Redis 7.0's shape. A command an embedder
// added, which has none, is described as Redis describes a module's
// command without docs: by its group, "module", alone.
func commandDoc(c *command.Command) command.Reply {
	if d := command.LookupDoc(c.Name); d != nil {
		return d.Reply()
	}
	return command.Map(command.BulkString("group"), command.BulkString("module"))
}

func commandCmd(ctx *command.Ctx, args [][]byte) command.Reply {
	c := clientOf(ctx)
	t := c.s.table
	all := func() []command.Reply {
		var out []command.Reply
		for _, cmd := range t.Commands() {
			out = append(out, commandInfo(cmd))
		}
		return out
	}
	if len(args) == 1 {
		return command.Array(all()...)
	}
	switch strings.ToLower(string(args[1])) {
	case "count":
		if len(args) == 2 {
			return command.Int(int64(len(t.Commands())))
		}
	case "info":
		var out []command.Reply
		if len(args) == 2 {
			out = all()
		}
		for _, name := range args[2:] {
			if cmd := t.Lookup(name); cmd != nil {
				out = append(out, commandInfo(cmd))
			} else {
				out = append(out, command.Reply{Kind: command.KindNullArray})
			}
		}
		return command.Array(out...)
	case "docs":
		var out []command.Reply
		if len(args) == 2 {
			for _, cmd := range t.Commands() {
				out = append(out, command.BulkString(cmd.Name), commandDoc(cmd))
			}
			return command.Map(out...)
		}
		// As Redis's lookupCommandBySds: a name is a command, or a
		// container and one of its subcommands joined by "|"; other
		// names are skipped. A subcommand is answered under its full
		// name in lower case.
		for _, name := range args[2:] {
			top, sub, isSub := strings.Cut(string(name), "|")
			cmd := t.Lookup([]byte(top))
			switch {
			case cmd == nil:
			case !isSub:
				out = append(out, command.BulkString(cmd.Name), commandDoc(cmd))
			case !strings.Contains(sub, "|"):
				if d := command.LookupDoc(cmd.Name + "|" + sub); d != nil {
					out = append(out, command.BulkString(d.Name), d.Reply())
				}
			}
		}
		return command.Map(out...)
	}
	return subcommandError("command", args, []string{"count", "info", "docs"})
}

func configCmd(ctx *command.Ctx, args [][]byte) command.Reply {
	c := clientOf(ctx)
	switch sub := strings.ToLower(string(args[1])); {
	case sub == "get" && len(args) >= 3:
		return c.s.configGet(args[2:])
	case sub == "set" && len(args) >= 4:
		return c.s.configSet(args[2:])
	case sub == "resetstat" && len(args) == 2:
		c.s.stats.reset()
		return command.OK
	}
	return subcommandError("config", args, []string{"get", "set", "resetstat"})
}

// configGet answers CONFIG GET pattern [pattern ...] with every matching
// setting: those Shingle implements and those it takes at fixed values
// (docs/directives.md), by name and by alias. As in Redis 7.0, a name
// without glob characters matches in any case and is answered under the
// name as given (once, however many spellings of it are asked for), and a
// pattern matches names case-sensitively.
func (s *Server) configGet(patterns [][]byte) command.Reply {
	cfg := s.cfg.Load()
	values := map[string]string{}
	for _, p := range patterns {
		if !strings.ContainsAny(string(p), "[*?") {
			d := lookupDirective(strings.ToLower(string(p)))
			if d == nil || !d.configurable() {
				continue
			}
			dup := false
			for n := range values {
				dup = dup || strings.EqualFold(n, string(p))
			}
			if !dup {
				values[string(p)] = d.value(cfg)
			}
			continue
		}
		for i := range directives {
			d := &directives[i]
			if !d.configurable() {
				continue
			}
			for _, n := range d.names() {
				if glob.Match(p, []byte(n)) {
					values[n] = d.value(cfg)
				}
			}
		}
	}
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]command.Reply, 0, 2*len(names))
	for _, n := range names {
		out = append(out, command.BulkString(n), command.BulkString(values[n]))
	}
	return command.Map(out...)
}

// configSet applies CONFIG SET name value [name value ...] atomically, as
// Redis 7 does: every name is checked first (unknown, immutable,
// protected, given twice), then every value is checked and applied to a
// copy, the side effects (TLS files, listeners) are carried out, and only
// then is the copy put in force. Any failure leaves the old configuration
// in place.
func (s *Server) configSet(args [][]byte) command.Reply {
	if len(args)%2 != 0 {
		return command.ErrorReply("ERR syntax error")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.cfg.Load()
	next := old.clone()
	fail := func(name, why string) command.Reply {
		return command.ErrorReply(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", name, why))
	}
	ds := make([]*directive, len(args)/2)
	seen := map[string]bool{}
	for i := 0; i < len(args); i += 2 {
		name := strings.ToLower(string(args[i]))
		d := lookupDirective(name)
		switch {
		case d == nil || !d.configurable():
			return command.ErrorReply("ERR Unknown option or number of arguments for CONFIG SET - '" + string(args[i]) + "'")
		case d.immutable:
			return fail(string(args[i]), "can't set immutable config")
		case d.protected:
			return fail(string(args[i]), "can't set protected config")
		case seen[name]:
			return fail(string(args[i]), "duplicate parameter")
		}
		seen[name] = true
		ds[i/2] = d
	}
	var tlsChanged, clusterChanged bool
	var relistenKinds []string
	for i := 0; i < len(args); i += 2 {
		name, d := strings.ToLower(string(args[i])), ds[i/2]
		val := string(args[i+1])
		argv := []string{val}
		if d.multiArg && d.set == nil {
			argv = strings.Split(val, " ") // as Redis splits it
		}
		// Setting a file path to its current value still reloads it.
		if err := next.setValue(d, name, argv); err != nil {
			return fail(name, err.Error())
		}
		tlsChanged = tlsChanged || d.effect.reloadTLS
		clusterChanged = clusterChanged || d.effect.cluster
		relistenKinds = append(relistenKinds, d.effect.reopen...)
	}
	if err := next.check(); err != nil {
		return fail(string(args[0]), err.Error())
	}
	if clusterChanged && s.cluster != nil {
		if err := s.reconfigureCluster(next); err != nil {
			return fail(string(args[0]), err.Error())
		}
	}
	// Build the new TLS configuration (reading its files) without putting
	// it in service yet: nothing may change before every step succeeded.
	s.tlsMu.Lock()
	defer s.tlsMu.Unlock()
	cur := s.tls.Load()
	var built *tlsconn.ServerTLS
	if (tlsChanged && cur != nil) || (next.usesTLS() && (tlsChanged || cur == nil)) {
		var err error
		if built, err = tlsconn.NewServerTLS(next.TLS); err != nil {
			return fail(firstTLSArg(args), err.Error())
		}
	}
	if len(relistenKinds) > 0 {
		serving := cur // serves built's settings once adopted
		if serving == nil {
			serving = built
		}
		if err := s.relistenLocked(next, relistenKinds, serving); err != nil {
			return fail(string(args[0]), err.Error())
		}
	}
	switch {
	case built == nil:
	case cur != nil:
		cur.Adopt(built)
	default:
		s.tls.Store(built)
	}
	if next.RequirePass != old.RequirePass {
		setRequirePass(s.users, next.RequirePass)
	}
	s.cfg.Store(next)
	if next.Cluster.SyncReplicas != old.Cluster.SyncReplicas {
		s.setAckGate(false)
	}
	if rs := s.replica.Load(); rs != nil {
		rs.r.SetLoad(loadMode(next))
	}
	return command.OK
}

func firstTLSArg(args [][]byte) string {
	for i := 0; i < len(args); i += 2 {
		if strings.HasPrefix(strings.ToLower(string(args[i])), "tls-") {
			return string(args[i])
		}
	}
	return string(args[0])
}

// relistenLocked brings the managed listeners of the given transports in
// line with next: those whose address is unchanged keep serving, the new
// ones are opened first, so that a failure leaves the old ones serving, and
// then those no longer wanted are closed. Called with mu held.
func (s *Server) relistenLocked(next *Config, kinds []string, t *tlsconn.ServerTLS) error {
	key := func(transport, addr string) string { return transport + " " + addr }
	open := map[string]bool{}
	for _, l := range s.listeners {
		if l.managed {
			open[key(l.ln.Transport(), l.addr)] = true
		}
	}
	wanted := map[string]bool{}
	var missing []managedAddr
	for _, a := range managedAddrs(next) {
		if !slices.Contains(kinds, a.transport) {
			continue
		}
		wanted[key(a.transport, a.addr)] = true
		if !open[key(a.transport, a.addr)] {
			missing = append(missing, a)
		}
	}
	opened, err := s.openManaged(next, missing, t)
	if err != nil {
		return err
	}
	var keep []*listener
	for _, l := range s.listeners {
		if l.managed && slices.Contains(kinds, l.ln.Transport()) && !wanted[key(l.ln.Transport(), l.addr)] {
			l.ln.Close()
			continue
		}
		keep = append(keep, l)
	}
	s.listeners = keep
	for _, l := range opened {
		s.serveLocked(l)
	}
	return nil
}

// infoCmd answers INFO [section ...].
func infoCmd(ctx *command.Ctx, args [][]byte) command.Reply {
	c := clientOf(ctx)
	all := []string{"server", "clients", "memory", "persistence", "stats", "replication", "tls", "errorstats", "cluster", "keyspace"}
	want := map[string]bool{}
	if len(args) == 1 {
		for _, sct := range all {
			want[sct] = true
		}
	}
	for _, a := range args[1:] {
		switch sct := strings.ToLower(string(a)); sct {
		case "all", "everything", "default":
			for _, x := range all {
				want[x] = true
			}
		default:
			want[sct] = true
		}
	}
	var b strings.Builder
	for _, sct := range all {
		if !want[sct] {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		c.s.infoSection(ctx, sct, &b)
	}
	return verbatim(b.String())
}

func (s *Server) infoSection(ctx *command.Ctx, section string, b *strings.Builder) {
	line := func(k string, v any) { fmt.Fprintf(b, "%s:%v\r\n", k, v) }
	cfg := s.cfg.Load()
	switch section {
	case "tls":
		b.WriteString("# TLS\r\n")
		s.infoTLS(cfg, line)
	case "server":
		b.WriteString("# Server\r\n")
		line("redis_version", Version)
		line("shingle_version", ShingleVersion)
		line("redis_git_sha1", "00000000")
		line("redis_git_dirty", 0)
		if s.cluster != nil {
			line("redis_mode", "cluster")
		} else {
			line("redis_mode", "standalone")
		}
		line("os", runtime.GOOS+" "+runtime.GOARCH)
		line("arch_bits", strconv.IntSize)
		line("multiplexing_api", "go")
		line("go_version", runtime.Version())
		line("process_id", os.Getpid())
		line("run_id", s.runID)
		line("tcp_port", s.tcpPort(cfg))
		now := time.Now()
		line("server_time_usec", now.UnixMicro())
		up := now.Sub(s.start)
		line("uptime_in_seconds", int64(up/time.Second))
		line("uptime_in_days", int64(up/(24*time.Hour)))
		line("hz", 10)
		line("configured_hz", 10)
		if exe, err := os.Executable(); err == nil {
			line("executable", exe)
		}
		line("config_file", cfg.ConfigFile)
		for i, l := range s.listenerLines() {
			line(fmt.Sprintf("listener%d", i), l)
		}
	case "clients":
		b.WriteString("# Clients\r\n")
		// As in Redis, a client exists from its accept: a TLS connection
		// whose handshake is in progress is connected, and counted in
		// tls_pending_handshakes too.
		line("connected_clients", s.nclients.Load())
		line("maxclients", cfg.MaxClients)
		line("tls_pending_handshakes", s.tlsPending.Load())
		line("blocked_clients", s.stats.BlockedClients.Load())
		line("tracking_clients", 0)
		line("clients_in_timeout_table", s.stats.BlockedWithTimeout.Load())
	case "memory":
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		rss := residentBytes()
		b.WriteString("# Memory\r\n")
		line("used_memory", ms.HeapAlloc)
		line("used_memory_human", humanBytes(int64(ms.HeapAlloc)))
		line("used_memory_rss", rss)
		line("used_memory_rss_human", humanBytes(rss))
		line("used_memory_peak", ms.HeapSys)
		line("used_memory_peak_human", humanBytes(int64(ms.HeapSys)))
		line("total_system_memory", totalSystemMemory())
		line("maxmemory", 0)
		line("maxmemory_human", "0B")
		line("maxmemory_policy", "noeviction")
		line("mem_allocator", "go")
		line("go_heap_objects", ms.HeapObjects)
		line("go_gc_cycles", ms.NumGC)
	case "persistence":
		b.WriteString("# Persistence\r\n")
		// A full sync loading into the store is Redis's loading; one
		// loading beside the data set, which serves meanwhile, its
		// async_loading (repl-diskless-load swapdb).
		line("loading", map[bool]int{true: 1, false: 0}[s.loading()])
		line("async_loading", map[bool]int{true: 1, false: 0}[s.asyncLoading()])
		line("rdb_changes_since_last_save", 0)
		s.saveInfo(line)
		line("aof_enabled", 1)
		line("aof_rewrite_in_progress", map[bool]int{true: 1, false: 0}[s.saves.rewriting.Load()])
		line("aof_last_bgrewrite_status", map[bool]string{true: "err", false: "ok"}[s.saves.rewriteErr.Load()])
		line("aof_last_write_status", "ok")
		line("appendfsync", cfg.AppendFsync)
		line("storage_engine", "pebble")
	case "stats":
		st := &s.stats
		b.WriteString("# Stats\r\n")
		line("total_connections_received", st.ConnectionsReceived.Load())
		line("total_commands_processed", st.CommandsProcessed.Load())
		line("instantaneous_ops_per_sec", s.ops.rate.Load())
		line("total_net_input_bytes", st.NetInputBytes.Load())
		line("total_net_output_bytes", st.NetOutputBytes.Load())
		line("rejected_connections", st.RejectedConnections.Load())
		line("sync_full", st.FullSyncs.Load())
		line("sync_partial_ok", st.PartialSyncs.Load())
		line("sync_partial_err", st.PartialSyncsRefused.Load())
		line("sync_full_shared", st.SharedFullSyncs.Load())
		line("client_output_buffer_limit_disconnections", st.ReplicaOverflows.Load())
		line("expired_keys", 0)
		line("evicted_keys", 0)
		line("keyspace_hits", 0)
		line("keyspace_misses", 0)
		line("total_error_replies", st.ErrorReplies.Load())
		line("total_protocol_errors", st.ProtocolErrors.Load())
		line("client_query_buffer_limit_disconnections", st.QueryBufferLimit.Load())
		line("client_idle_timeout_disconnections", st.IdleTimeouts.Load())
		line("client_output_stalled_disconnections", st.StalledOutput.Load())
		line("tls_handshake_failures", st.TLSHandshakeFailures.Load())
		line("tls_handshake_timeouts", st.TLSHandshakeTimeouts.Load())
		line("tls_plaintext_clients", st.PlainTextOnTLSPort.Load())
		line("tls_clients_on_plain_port", st.TLSOnPlainPort.Load())
		line("acl_access_denied_auth", st.ACLDeniedAuth.Load())
		line("acl_access_denied_cmd", st.ACLDeniedCmd.Load())
		line("acl_access_denied_key", st.ACLDeniedKey.Load())
		line("acl_access_denied_channel", 0)
		line("acl_access_denied_tls_cert", st.ACLDeniedCert.Load())
		line("shingle_panics", st.Panics.Load())
	case "errorstats":
		b.WriteString("# Errorstats\r\n")
		counts := s.stats.ErrorCounts()
		prefixes := make([]string, 0, len(counts))
		for p := range counts {
			prefixes = append(prefixes, p)
		}
		slices.Sort(prefixes) // byte order, as Redis's rax lists them
		for _, p := range prefixes {
			fmt.Fprintf(b, "errorstat_%s:count=%d\r\n", p, counts[p])
		}
	case "replication":
		b.WriteString("# Replication\r\n")
		s.replicationInfo(ctx.Ops, line)
	case "cluster":
		b.WriteString("# Cluster\r\n")
		if s.cluster != nil {
			line("cluster_enabled", 1)
			s.clusterCounters(line)
		} else {
			line("cluster_enabled", 0)
		}
	case "keyspace":
		b.WriteString("# Keyspace\r\n")
		keys, expires, err := ctx.Ops.KeyCounts()
		if err == nil && keys > 0 {
			fmt.Fprintf(b, "db0:keys=%d,expires=%d,avg_ttl=0\r\n", keys, expires)
		}
	}
}

// tcpPort is INFO's tcp_port: the plain port, or the TLS port when plain
// TCP is off, as in Redis; the real port when 0 was asked for.
func (s *Server) tcpPort(cfg *Config) int {
	for _, t := range []string{tlsconn.TCP, tlsconn.TLS} {
		if a, ok := s.Addr(t).(*net.TCPAddr); ok {
			return a.Port
		}
	}
	if cfg.Port != 0 {
		return cfg.Port
	}
	return cfg.TLSPort
}

// listenerLines are INFO server's listenerN values, Redis 7.2's format: one
// per transport, each bind address listed.
func (s *Server) listenerLines() []string {
	var out []string
	var cur string
	var binds []string
	var port string
	emit := func() {
		if cur == "" {
			return
		}
		l := "name=" + cur
		for _, b := range binds {
			l += ",bind=" + b
		}
		if port != "" {
			l += ",port=" + port
		}
		out = append(out, l)
	}
	for _, l := range s.Listeners() {
		if l.Transport != cur {
			emit()
			cur, binds, port = l.Transport, nil, ""
		}
		if l.Transport == tlsconn.Unix {
			binds = append(binds, l.Addr.String())
			continue
		}
		host, p, err := net.SplitHostPort(l.Addr.String())
		if err == nil {
			binds = append(binds, host)
			port = p
		}
	}
	emit()
	if a := s.ClusterBusAddr(); a != nil {
		// Shingle's addition: the cluster bus as a listener line.
		if host, p, err := net.SplitHostPort(a.String()); err == nil {
			out = append(out, "name=cluster-bus,bind="+host+",port="+p)
		}
	}
	return out
}

// residentBytes is the process's resident set size, from /proc where there
// is one.
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func totalSystemMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// humanBytes formats a size as Redis's bytesToHuman does: "1.02M".
func humanBytes(n int64) string {
	f := float64(n)
	for _, u := range []string{"B", "K", "M", "G", "T", "P"} {
		if f < 1024 || u == "P" {
			if u == "B" {
				return strconv.FormatInt(n, 10) + "B"
			}
			return strconv.FormatFloat(f, 'f', 2, 64) + u
		}
		f /= 1024
	}
	return ""
}
