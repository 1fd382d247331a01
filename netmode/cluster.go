package netmode

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shinglekv/shingle/cluster"
	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/redisnum"
	"github.com/shinglekv/shingle/store"
	"github.com/shinglekv/shingle/tlsconn"
)

// ClusterConfig holds the cluster-* directives. The bus port and the
// announced ports follow from them and from port, tls-port and
// tls-cluster (cluster.DerivePorts).
type ClusterConfig struct {
	// Enabled runs the server as a Redis Cluster node (cluster-enabled,
	// at startup only). Default false.
	Enabled bool
	// ConfigFile names the directory, relative to Dir unless absolute,
	// that holds the node's id, its Raft log and its snapshots
	// (cluster-config-file). Default "nodes.conf".
	ConfigFile string
	// NodeTimeoutMs is cluster-node-timeout, in milliseconds; failure
	// detection and Raft's timers follow it. Default 15000; 0 is taken as
	// the default.
	NodeTimeoutMs int64
	// Port is the bus port (cluster-port); 0, the default, is the client
	// port the bus follows plus 10000.
	Port int
	// AnnounceIP, AnnouncePort, AnnounceTLSPort, AnnounceBusPort and
	// AnnounceHostname replace what the node tells the others and its
	// clients (cluster-announce-*); empty or 0 for its own.
	AnnounceIP, AnnounceHostname                   string
	AnnouncePort, AnnounceTLSPort, AnnounceBusPort int
	// PreferredEndpointType is what MOVED, ASK and CLUSTER SLOTS name a
	// node by: "ip" (the default), "hostname" or "unknown-endpoint"
	// (cluster-preferred-endpoint-type).
	PreferredEndpointType string
	// RequireFullCoverage stops serving keys while a slot has no owner
	// (cluster-require-full-coverage). Default true.
	RequireFullCoverage bool
	// AllowReadsWhenDown serves reads while the cluster is down
	// (cluster-allow-reads-when-down). Default false.
	AllowReadsWhenDown bool
	// ReplicaNoFailover keeps this node, as a replica, from being
	// promoted when its primary fails (cluster-replica-no-failover).
	// Default false.
	ReplicaNoFailover bool
	// SyncReplicas, when above 0, makes a write visible to no client (its
	// writer included) until that many replicas have acknowledged it, on
	// a primary: reads and writes of a key are then linearizable across
	// failovers, at the price of a replica round trip per reply that
	// reveals a write, and writes are refused with NOREPLICAS while fewer
	// replicas are online (cluster-sync-replicas, Shingle's own
	// directive; it works without cluster-enabled too). Default 0.
	SyncReplicas int
	// BusTransport is "tcp" (the default: TLS with tls-cluster yes, as
	// Redis's bus) or "quic": the bus on QUIC over UDP at the same bus
	// port, with the tls-* certificates; it needs tls-cluster yes
	// (cluster-bus-transport, Shingle's own directive, at startup only).
	BusTransport string
}

func defaultClusterConfig() ClusterConfig {
	return ClusterConfig{ConfigFile: "nodes.conf", NodeTimeoutMs: 15000,
		PreferredEndpointType: cluster.EndpointIP, RequireFullCoverage: true, BusTransport: tlsconn.TCP}
}

func (c *ClusterConfig) ensureDefaults() {
	def := defaultClusterConfig()
	if c.ConfigFile == "" {
		c.ConfigFile = def.ConfigFile
	}
	if c.PreferredEndpointType == "" {
		c.PreferredEndpointType = def.PreferredEndpointType
	}
	if c.BusTransport == "" {
		c.BusTransport = def.BusTransport
	}
}

// nodeTimeout is cluster-node-timeout as a duration (0: the default).
func (c *ClusterConfig) nodeTimeout() time.Duration {
	return time.Duration(min(c.NodeTimeoutMs, math.MaxInt64/int64(time.Millisecond))) * time.Millisecond
}

// clusterPorts derives the bus port and the announced ports.
func (c *Config) clusterPorts() (cluster.Ports, error) {
	return cluster.DerivePorts(cluster.Listeners{
		Port: c.Port, TLSPort: c.TLSPort, TLSCluster: c.TLS.Cluster, ClusterPort: c.Cluster.Port,
		AnnounceIP: c.Cluster.AnnounceIP, AnnounceHostname: c.Cluster.AnnounceHostname,
		AnnouncePort: c.Cluster.AnnouncePort, AnnounceTLSPort: c.Cluster.AnnounceTLSPort,
		AnnounceBusPort: c.Cluster.AnnounceBusPort,
	})
}

// busBind is the address the bus listens on: the first bind address, as
// the bus serves the cluster's members, not every client interface.
func busBind(cfg *Config) string {
	for _, b := range cfg.Bind {
		b = strings.TrimPrefix(b, "-")
		if b == "*" || b == "::*" {
			return ""
		}
		return b
	}
	return ""
}

// newClusterNode builds the cluster node of a server with cluster-enabled
// yes (started by run). With tls-cluster yes the bus is TLS and requires a
// client certificate whatever tls-auth-clients says, as Redis's bus does;
// otherwise it is plain TCP, and anyone who reaches it can join.
func (s *Server) newClusterNode(cfg *Config) error {
	ports, err := cfg.clusterPorts()
	if err != nil {
		return fmt.Errorf("netmode: %w", err)
	}
	if ports.Note != "" {
		cfg.Logger.Warn("netmode: " + ports.Note)
	}
	ncfg := cluster.Config{
		Dir:         cfg.Cluster.ConfigFile,
		BusAddr:     net.JoinHostPort(busBind(cfg), strconv.Itoa(ports.BusPort)),
		NodeTimeout: cfg.Cluster.nodeTimeout(),
		Logger:      cfg.Logger,
		Announce:    announce(cfg, ports),
		Offset:      func() uint64 { return s.db.Offset() },
		PauseWrites: s.pauseWrites,
		OnChange: func() {
			select {
			case s.clusterChanged <- struct{}{}:
			default:
			}
		},
	}
	if !filepath.IsAbs(ncfg.Dir) {
		ncfg.Dir = filepath.Join(cfg.Dir, ncfg.Dir)
	}
	if cfg.Cluster.BusTransport == tlsconn.QUIC && !cfg.TLS.Cluster {
		return errors.New("netmode: cluster-bus-transport quic needs tls-cluster yes: the QUIC bus is TLS 1.3 with the tls-* certificates")
	}
	if cfg.TLS.Cluster {
		bus := cfg.TLS
		bus.AuthClients = tlsconn.AuthClientsYes
		if ncfg.BusTLS, err = tlsconn.NewServerTLS(bus); err != nil {
			return fmt.Errorf("netmode: cluster bus: %w", err)
		}
		transport := tlsconn.TLS
		if cfg.Cluster.BusTransport == tlsconn.QUIC {
			transport, ncfg.BusQUIC = tlsconn.QUIC, true
		}
		if ncfg.BusDialer, err = tlsconn.NewDialer(transport, cfg.TLS, ""); err != nil {
			return fmt.Errorf("netmode: cluster bus: %w", err)
		}
	} else {
		ncfg.BusDialer = &tlsconn.Dialer{Transport: tlsconn.TCP}
		cfg.Logger.Warn("netmode: the cluster bus is plain TCP (tls-cluster no): any host that reaches port " +
			strconv.Itoa(ports.BusPort) + " can join the cluster and change its configuration")
	}
	ncfg.BusDialer.NetDial = cfg.netDial
	n, err := cluster.NewNode(ncfg)
	if err != nil {
		return fmt.Errorf("netmode: %w", err)
	}
	s.cluster = n
	return nil
}

// ClusterBusAddr is the address the cluster bus listens on once started,
// nil when cluster-enabled is no.
func (s *Server) ClusterBusAddr() net.Addr {
	if s.cluster == nil || !s.cluster.Started() {
		return nil
	}
	return s.cluster.BusAddr()
}

// Cluster is the server's cluster node, nil when cluster-enabled is no:
// an embedder's way to the CLUSTER commands without a client (AddSlots,
// Meet, SetSlot, Forget, State ...). It starts with the server.
func (s *Server) Cluster() *cluster.Node { return s.cluster }

// ClusterNodeID is the node's id (CLUSTER MYID), "" when cluster-enabled
// is no.
func (s *Server) ClusterNodeID() string {
	if s.cluster == nil {
		return ""
	}
	return s.cluster.ID()
}

// followClusterRole makes this server replicate the primary the cluster
// configuration names for it, through the replication package over
// tls-replication's transport, and stop replicating once a failover made
// it a primary, whenever the configuration changes, and at once for the
// configuration a restarted node saved.
func (s *Server) followClusterRole() {
	defer s.loops.Done()
	for first := true; ; first = false {
		if !first {
			select {
			case <-s.done:
				return
			case <-s.clusterChanged:
			}
		}
		st := s.cluster.State()
		me := st.Nodes[s.cluster.ID()]
		if me == nil {
			continue
		}
		if me.Primary != "" {
			// A CLUSTER FAILOVER it paused for is done: the writes held
			// back go on, and are redirected to the new primary.
			s.resumeWrites()
		}
		if me.Primary == "" {
			// Promoted by a failover: continue the history it followed.
			if s.replica.Load() != nil {
				s.roleMu.Lock()
				err := s.promote()
				s.roleMu.Unlock()
				if err != nil {
					s.cfg.Load().Logger.Warn("netmode: taking over as the cluster's primary", "err", err)
				}
			}
			continue
		}
		p := st.Nodes[me.Primary]
		if p == nil || p.IP == "" {
			continue
		}
		cfg := s.cfg.Load()
		port := p.Port
		if cfg.TLS.Replication {
			port = p.TLSPort
		}
		if rs := s.replica.Load(); port == 0 || rs != nil && rs.host == p.IP && rs.port == port {
			continue
		}
		s.roleMu.Lock()
		err := s.follow(p.IP, port)
		s.roleMu.Unlock()
		if err != nil {
			cfg.Logger.Warn("netmode: following the cluster's primary", "primary", p.ID, "err", err)
		}
	}
}

// writePause holds clients' writes back while this primary hands over
// to a replica (CLUSTER FAILOVER).
type writePause struct {
	on     atomic.Bool // read by every write: the lock only when set
	mu     sync.Mutex
	until  time.Time
	resume chan struct{} // closed when the pause ends; nil when none
}

// pauseWrites holds writes back for at most d and returns the offset the
// store stopped at: cluster.Config.PauseWrites.
func (s *Server) pauseWrites(d time.Duration) uint64 {
	s.holdWrites(d)
	s.waitWrites()
	return s.db.Offset()
}

// holdWrites holds clients' writes back from now on, for at most d or
// until resumeWrites.
func (s *Server) holdWrites(d time.Duration) {
	p := &s.pause
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resume == nil {
		p.resume = make(chan struct{})
		p.on.Store(true)
		time.AfterFunc(d, s.resumeWrites)
	}
	p.until = time.Now().Add(d)
}

// waitWrites waits for the writes under way: they finish under the
// store's lock, so taking it once is waiting for them.
func (s *Server) waitWrites() {
	s.db.Update(func(*store.Tx) error { return nil })
}

func (s *Server) resumeWrites() {
	p := &s.pause
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resume != nil {
		close(p.resume)
		p.resume = nil
		p.on.Store(false)
	}
}

// waitWritePause blocks a client's write while writes are paused, outside
// the store's lock; it reports false so that the command's checks go on
// after it (the slot may have moved meanwhile).
func (c *client) waitWritePause() bool {
	p := &c.s.pause
	if !p.on.Load() {
		return false
	}
	p.mu.Lock()
	ch, until := p.resume, p.until
	p.mu.Unlock()
	if ch == nil {
		return false
	}
	c.release()
	t := time.NewTimer(time.Until(until))
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-c.s.done:
	}
	return false
}

// announce is what a node tells the others: its client ports per
// transport, and its bus port (0: the one it listens on).
func announce(cfg *Config, ports cluster.Ports) cluster.NodeInfo {
	return cluster.NodeInfo{IP: ports.IP, Port: ports.Port, TLSPort: ports.TLSPort,
		QUICPort: cfg.QUICPort, BusPort: cfg.Cluster.AnnounceBusPort, Hostname: ports.Hostname,
		NoFailover: cfg.Cluster.ReplicaNoFailover}
}

// reconfigureCluster applies a CONFIG SET of the directives the node
// follows: its announced addresses and cluster-node-timeout. The bus
// keeps listening where it does, as in Redis.
func (s *Server) reconfigureCluster(next *Config) error {
	ports, err := next.clusterPorts()
	if err != nil {
		return err
	}
	if err := s.cluster.SetNodeTimeout(next.Cluster.nodeTimeout()); err != nil {
		return err
	}
	s.cluster.SetAnnounce(announce(next, ports))
	return nil
}

// clusterLocal is a client's side of a cluster answer; withLinks adds
// this node's links (CLUSTER NODES shows them).
func (c *client) clusterLocal(withLinks bool) *cluster.Local {
	n := c.s.cluster
	l := &cluster.Local{Myself: n.ID(), Transport: c.conn.Transport(),
		Preferred: c.s.cfg.Load().Cluster.PreferredEndpointType}
	if withLinks {
		l.Links = n.Links()
	}
	return l
}

var errClusterDisabled = command.ErrorReply("ERR This instance has cluster support disabled")

// clusterCommands are CLUSTER, READONLY, READWRITE and ASKING.
func clusterCommands() []*command.Command {
	cat := func(s string) []string { return strings.Fields(s) }
	conn := command.FlagLoading | command.FlagStale | command.FlagFast
	return []*command.Command{
		{Name: "cluster", Arity: -2, Flags: command.FlagNoScript | command.FlagLoading | command.FlagStale, Categories: cat("@slow"), Run: clusterCmd},
		{Name: "readonly", Arity: 1, Flags: conn, Categories: cat("@fast @connection"), Run: readonlyCmd},
		{Name: "readwrite", Arity: 1, Flags: conn, Categories: cat("@fast @connection"), Run: readwriteCmd},
		{Name: "asking", Arity: 1, Flags: command.FlagFast, Categories: cat("@fast @connection"), Run: askingCmd},
	}
}

func readonlyCmd(ctx *command.Ctx, _ [][]byte) command.Reply {
	c := clientOf(ctx)
	if c.s.cluster == nil {
		return errClusterDisabled
	}
	c.readonly = true
	return command.OK
}

func readwriteCmd(ctx *command.Ctx, _ [][]byte) command.Reply {
	c := clientOf(ctx)
	if c.s.cluster == nil {
		return errClusterDisabled
	}
	c.readonly = false
	return command.OK
}

func askingCmd(ctx *command.Ctx, _ [][]byte) command.Reply {
	c := clientOf(ctx)
	if c.s.cluster == nil {
		return errClusterDisabled
	}
	c.asking = true
	return command.OK
}

// clusterSub is one CLUSTER subcommand: its arity counting CLUSTER and
// the subcommand, as Redis 7.0's table has it.
type clusterSub struct {
	arity int
	run   func(c *client, ctx *command.Ctx, args [][]byte) command.Reply
}

var clusterSubs map[string]clusterSub

// slowInTx are the subcommands refused inside MULTI: those that wait for
// another node (MEET), reset the store's role (RESET, REPLICATE) or take
// a node out of Raft (FORGET). The slot and epoch changes redis-cli's fix
// sends in a MULTI stay allowed.
var slowInTx = map[string]bool{"meet": true, "reset": true, "replicate": true, "forget": true, "failover": true,
	"migrateslots": true, "cancelslotmigrations": true, "syncslots": true}

func init() {
	clusterSubs = map[string]clusterSub{
		"info":      {2, (*client).clusterInfo},
		"myid":      {2, func(c *client, _ *command.Ctx, _ [][]byte) command.Reply { return command.BulkString(c.s.cluster.ID()) }},
		"myshardid": {2, (*client).clusterMyShardID},
		"nodes": {2, func(c *client, _ *command.Ctx, _ [][]byte) command.Reply {
			return verbatim(c.s.cluster.State().NodesText(c.clusterLocal(true)))
		}},
		"slots": {2, func(c *client, _ *command.Ctx, _ [][]byte) command.Reply {
			return c.s.cluster.State().SlotsReply(c.clusterLocal(false))
		}},
		"shards": {2, func(c *client, _ *command.Ctx, _ [][]byte) command.Reply {
			return c.s.cluster.State().ShardsReply(c.clusterLocal(false))
		}},
		"keyslot": {3, func(_ *client, _ *command.Ctx, args [][]byte) command.Reply {
			return command.Int(int64(store.Slot(args[2])))
		}},
		"countkeysinslot": {3, (*client).clusterCountKeys},
		"getkeysinslot":   {4, (*client).clusterGetKeys},
		"addslots":        {-3, slotsChange("addslots", false, (*cluster.Node).AddSlots)},
		"delslots":        {-3, slotsChange("delslots", false, (*cluster.Node).DelSlots)},
		"addslotsrange":   {-4, slotsChange("addslotsrange", true, (*cluster.Node).AddSlots)},
		"delslotsrange":   {-4, slotsChange("delslotsrange", true, (*cluster.Node).DelSlots)},
		"flushslots":      {2, (*client).clusterFlushSlots},
		"meet":            {-4, (*client).clusterMeet},
		"forget": {3, func(c *client, _ *command.Ctx, args [][]byte) command.Reply {
			return okOr(c.s.cluster.Forget(string(args[2])))
		}},
		"setslot":               {-4, (*client).clusterSetSlot},
		"set-config-epoch":      {3, (*client).clusterSetConfigEpoch},
		"bumpepoch":             {2, (*client).clusterBumpEpoch},
		"count-failure-reports": {3, (*client).clusterFailureReports},
		// Every change is in the Raft log, synced before it applies: there
		// is nothing left to save.
		"saveconfig": {2, func(*client, *command.Ctx, [][]byte) command.Reply { return command.OK }},
		"replicas":   {3, (*client).clusterReplicas},
		"replicate":  {3, (*client).clusterReplicate},
		"reset":      {-2, (*client).clusterReset},
		"links":      {2, (*client).clusterLinks},
		"failover":   {-2, (*client).clusterFailover},
		// Atomic slot migration (slotmigrate.go): Valkey 9's commands, and
		// SYNCSLOTS, Shingle's own, between the source and the target.
		"migrateslots":         {-7, (*client).clusterMigrateSlots},
		"getslotmigrations":    {2, (*client).clusterGetSlotMigrations},
		"cancelslotmigrations": {2, (*client).clusterCancelSlotMigrations},
		"syncslots":            {3, (*client).clusterSyncSlots},
		"slaves":               {3, (*client).clusterReplicas},
		"help":                 {2, clusterHelp},
	}
}

func clusterCmd(ctx *command.Ctx, args [][]byte) command.Reply {
	c := clientOf(ctx)
	name := strings.ToLower(string(args[1]))
	sub, ok := clusterSubs[name]
	if !ok {
		return command.ErrorReply(fmt.Sprintf("ERR unknown subcommand '%s'. Try CLUSTER HELP.", args[1]))
	}
	if !command.ArityOK(sub.arity, len(args)) {
		return command.ErrorReply("ERR wrong number of arguments for 'cluster|" + name + "' command")
	}
	if c.s.cluster == nil && name != "help" {
		return errClusterDisabled
	}
	if ctx.Ops != c.ctx.Ops && slowInTx[name] {
		// Inside EXEC the store's write lock is held: a subcommand that
		// waits on the cluster's log, or changes the store's role, would
		// hold every other client (or itself) up meanwhile.
		return command.ErrorReply("ERR CLUSTER " + strings.ToUpper(name) + " is not allowed inside a transaction in Shingle")
	}
	return sub.run(c, ctx, args)
}

// okOr is +OK, or the error as Redis words it.
func okOr(err error) command.Reply {
	if err == nil {
		return command.OK
	}
	return clusterErr(err)
}

func clusterErr(err error) command.Reply {
	var ce *cluster.Error
	if errors.As(err, &ce) {
		return command.ErrorReply(ce.Msg)
	}
	return command.ErrorReply("ERR " + err.Error())
}

// slotArg parses a slot as Redis's getSlotOrReply does.
func slotArg(b []byte) (int, bool) {
	n, ok := redisnum.ParseInt(b)
	if !ok || n < 0 || n >= cluster.Slots {
		return 0, false
	}
	return int(n), true
}

var errBadSlot = command.ErrorReply("ERR Invalid or out of range slot")

func slotArgs(args [][]byte) ([]int, command.Reply, bool) {
	slots := make([]int, 0, len(args))
	for _, a := range args {
		s, ok := slotArg(a)
		if !ok {
			return nil, errBadSlot, false
		}
		slots = append(slots, s)
	}
	return slots, command.Reply{}, true
}

func slotRanges(name string, args [][]byte) ([]int, command.Reply, bool) {
	if len(args)%2 != 0 {
		return nil, command.ErrorReply("ERR wrong number of arguments for 'cluster|" + name + "' command"), false
	}
	var slots []int
	for i := 0; i < len(args); i += 2 {
		lo, ok1 := slotArg(args[i])
		hi, ok2 := slotArg(args[i+1])
		if !ok1 || !ok2 {
			return nil, errBadSlot, false
		}
		if lo > hi {
			return nil, command.ErrorReply(fmt.Sprintf("ERR start slot number %d is greater than end slot number %d", lo, hi)), false
		}
		for s := lo; s <= hi; s++ {
			slots = append(slots, s)
		}
	}
	return slots, command.Reply{}, true
}

// slotsChange is ADDSLOTS and DELSLOTS (slots given one by one), or
// their RANGE forms (start and end pairs): the slots parsed, then change.
func slotsChange(name string, ranged bool, change func(*cluster.Node, ...int) error) func(*client, *command.Ctx, [][]byte) command.Reply {
	return func(c *client, _ *command.Ctx, args [][]byte) command.Reply {
		var slots []int
		var r command.Reply
		var ok bool
		if ranged {
			slots, r, ok = slotRanges(name, args[2:])
		} else {
			slots, r, ok = slotArgs(args[2:])
		}
		if !ok {
			return r
		}
		return okOr(change(c.s.cluster, slots...))
	}
}

func (c *client) clusterFlushSlots(ctx *command.Ctx, _ [][]byte) command.Reply {
	if keys, _, err := ctx.Ops.KeyCounts(); err != nil {
		return command.ErrReply(err)
	} else if keys > 0 {
		return command.ErrorReply("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.")
	}
	return okOr(c.s.cluster.FlushSlots())
}

func (c *client) clusterCountKeys(ctx *command.Ctx, args [][]byte) command.Reply {
	n, ok := redisnum.ParseInt(args[2])
	if !ok {
		return command.ErrorReply("ERR value is not an integer or out of range")
	}
	if n < 0 || n >= cluster.Slots {
		return command.ErrorReply("ERR Invalid slot")
	}
	count, err := ctx.Ops.CountKeysInSlot(uint16(n))
	if err != nil {
		return command.ErrReply(err)
	}
	return command.Int(count)
}

func (c *client) clusterGetKeys(ctx *command.Ctx, args [][]byte) command.Reply {
	slot, ok1 := redisnum.ParseInt(args[2])
	count, ok2 := redisnum.ParseInt(args[3])
	if !ok1 || !ok2 {
		return command.ErrorReply("ERR value is not an integer or out of range")
	}
	if slot < 0 || slot >= cluster.Slots || count < 0 {
		return command.ErrorReply("ERR Invalid slot or number of keys")
	}
	var keys [][]byte
	_, err := ctx.Ops.SlotKeys(uint16(slot), int(min(count, 1<<20)), func(k []byte) {
		keys = append(keys, append([]byte(nil), k...))
	})
	if err != nil {
		return command.ErrReply(err)
	}
	return command.BulkArray(keys)
}

func (c *client) clusterMeet(ctx *command.Ctx, args [][]byte) command.Reply {
	if len(args) > 5 {
		return command.ErrorReply("ERR wrong number of arguments for 'cluster|meet' command")
	}
	port, ok := redisnum.ParseInt(args[3])
	if !ok || port < 0 || port > 65535 {
		return command.ErrorReply("ERR Invalid TCP base port specified: " + string(args[3]))
	}
	if net.ParseIP(string(args[2])) == nil {
		// Redis takes an address, not a name (inet_pton).
		return command.ErrorReply("ERR Invalid node address specified: " + string(args[2]) + ":" + string(args[3]))
	}
	bus := int64(0)
	if len(args) == 5 {
		if bus, ok = redisnum.ParseInt(args[4]); !ok || bus < 0 || bus > 65535 {
			return command.ErrorReply("ERR Invalid TCP bus port specified: " + string(args[4]))
		}
	}
	c.release()
	wait, cancel := context.WithTimeout(c.s.closing, time.Minute)
	defer cancel()
	return okOr(c.s.cluster.Meet(wait, string(args[2]), int(port), int(bus)))
}

func (c *client) clusterSetSlot(ctx *command.Ctx, args [][]byte) command.Reply {
	slot, ok := slotArg(args[2])
	if !ok {
		return errBadSlot
	}
	action := strings.ToLower(string(args[3]))
	var target string
	switch {
	case action == "stable" && len(args) == 4:
	case (action == "migrating" || action == "importing" || action == "node") && len(args) == 5:
		target = string(args[4])
	default:
		return command.ErrorReply("ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")
	}
	n := c.s.cluster
	if action == "node" && n.State().Owner(slot) == n.ID() && target != n.ID() {
		count, err := ctx.Ops.CountKeysInSlot(uint16(slot))
		if err != nil {
			return command.ErrReply(err)
		}
		if count > 0 {
			return command.ErrorReply(fmt.Sprintf("ERR Can't assign hashslot %d to a different node while I still hold keys for this hash slot.", slot))
		}
	}
	return okOr(n.SetSlot(slot, action, target))
}

func (c *client) clusterSetConfigEpoch(ctx *command.Ctx, args [][]byte) command.Reply {
	e, ok := redisnum.ParseInt(args[2])
	if !ok {
		return command.ErrorReply("ERR value is not an integer or out of range")
	}
	if e < 0 {
		return command.ErrorReply(fmt.Sprintf("ERR Invalid config epoch specified: %d", e))
	}
	return okOr(c.s.cluster.SetConfigEpoch(uint64(e)))
}

func (c *client) clusterBumpEpoch(ctx *command.Ctx, _ [][]byte) command.Reply {
	r, err := c.s.cluster.BumpEpoch()
	if err != nil {
		return clusterErr(err)
	}
	return command.Status(r)
}

func (c *client) clusterMyShardID(ctx *command.Ctx, _ [][]byte) command.Reply {
	n := c.s.cluster
	shard := n.ID()
	if me := n.State().Nodes[n.ID()]; me != nil && me.Primary != "" {
		shard = me.Primary
	}
	return command.BulkString(shard)
}

func (c *client) clusterFailureReports(ctx *command.Ctx, args [][]byte) command.Reply {
	if c.s.cluster.State().Nodes[string(args[2])] == nil {
		return command.ErrorReply("ERR Unknown node " + string(args[2]))
	}
	return command.Int(int64(c.s.cluster.FailureReports(string(args[2]))))
}

func (c *client) clusterReplicate(ctx *command.Ctx, args [][]byte) command.Reply {
	n := c.s.cluster
	st := n.State()
	id := string(args[2])
	p, me := st.Nodes[id], st.Nodes[n.ID()]
	switch {
	case p == nil:
		return command.ErrorReply("ERR Unknown node " + id)
	case id == n.ID():
		return command.ErrorReply("ERR Can't replicate myself")
	case p.Primary != "":
		return command.ErrorReply("ERR I can only replicate a master, not a replica.")
	}
	if me != nil && me.Primary == "" {
		keys, _, err := ctx.Ops.KeyCounts()
		if err != nil {
			return command.ErrReply(err)
		}
		if keys > 0 || len(st.SlotsOf(n.ID())) > 0 {
			return command.ErrorReply("ERR To set a master the node must be empty and without assigned slots.")
		}
	}
	c.release()
	return okOr(n.Replicate(id))
}

// clusterReset is CLUSTER RESET [HARD|SOFT]: a replica stops replicating
// and empties its data set first, as in Redis; a primary holding keys is
// refused.
func (c *client) clusterReset(ctx *command.Ctx, args [][]byte) command.Reply {
	var hard bool
	switch {
	case len(args) == 2, len(args) == 3 && isWord(args[2], "soft"):
	case len(args) == 3 && isWord(args[2], "hard"):
		hard = true
	default:
		return command.ErrorReply("ERR syntax error")
	}
	n := c.s.cluster
	me := n.State().Nodes[n.ID()]
	c.release()
	if me != nil && me.Primary != "" {
		c.s.roleMu.Lock()
		err := c.s.promote()
		c.s.roleMu.Unlock()
		if err != nil {
			return command.ErrReply(err)
		}
		if err := ctx.DB.FlushAll(); err != nil {
			return command.ErrReply(err)
		}
	} else if keys, _, err := ctx.Ops.KeyCounts(); err != nil {
		return command.ErrReply(err)
	} else if keys > 0 {
		return command.ErrorReply("ERR CLUSTER RESET can't be called with master nodes containing keys")
	}
	return okOr(n.Reset(hard))
}

// clusterFailover is CLUSTER FAILOVER [FORCE|TAKEOVER], sent to a
// replica. It answers once the failover is in the configuration (Redis
// answers OK at once and fails over in the background). TAKEOVER is
// FORCE here: a change of the configuration always needs a majority.
func (c *client) clusterFailover(_ *command.Ctx, args [][]byte) command.Reply {
	force := false
	switch {
	case len(args) == 2:
	case len(args) == 3 && (isWord(args[2], "force") || isWord(args[2], "takeover")):
		force = true
	default:
		return command.ErrorReply("ERR syntax error")
	}
	c.release()
	wait, cancel := context.WithTimeout(c.s.closing, 2*cluster.DefaultNodeTimeout)
	defer cancel()
	return okOr(c.s.cluster.ManualFailover(wait, force))
}

// clusterLinks is CLUSTER LINKS: one outbound link per peer, the bus link
// this node pings the peer on. Shingle writes its bus messages at once,
// so there is no send buffer to report; inbound links are Raft's and
// the peers', not listed.
func (c *client) clusterLinks(_ *command.Ctx, _ [][]byte) command.Reply {
	links := c.s.cluster.Links()
	var out []command.Reply
	for _, id := range slices.Sorted(maps.Keys(links)) {
		l := links[id]
		events := ""
		if l.Connected {
			events = "rw"
		}
		out = append(out, command.Map(
			command.BulkString("direction"), command.BulkString("to"),
			command.BulkString("node"), command.BulkString(id),
			command.BulkString("create-time"), command.Int(l.Since),
			command.BulkString("events"), command.BulkString(events),
			command.BulkString("send-buffer-allocated"), command.Int(0),
			command.BulkString("send-buffer-used"), command.Int(0)))
	}
	return command.Array(out...)
}

func (c *client) clusterReplicas(ctx *command.Ctx, args [][]byte) command.Reply {
	s := c.s.cluster.State()
	id := string(args[2])
	p := s.Nodes[id]
	if p == nil {
		return command.ErrorReply("ERR Unknown node " + id)
	}
	if p.Primary != "" {
		return command.ErrorReply("ERR The specified node is not a master")
	}
	var lines []command.Reply
	for _, line := range strings.Split(s.NodesText(c.clusterLocal(true)), "\n") {
		if f := strings.Fields(line); len(f) > 3 && f[3] == id {
			lines = append(lines, command.BulkString(line))
		}
	}
	return command.Array(lines...)
}

// clusterDown reports whether the cluster serves no keys now: a slot has
// no owner, or a failed one, and cluster-require-full-coverage is yes; or
// this node lost the majority for longer than the node timeout, as a
// Redis node in a minority does (the majority may fail it over).
func (s *Server) clusterDown(st *cluster.State) bool {
	return s.cfg.Load().Cluster.RequireFullCoverage && !st.Served() || s.cluster.Partitioned()
}

func (c *client) clusterInfo(ctx *command.Ctx, _ [][]byte) command.Reply {
	n := c.s.cluster
	st := n.State()
	assigned, failed, size := 0, 0, 0
	for _, info := range st.Nodes {
		if k := len(st.SlotsOf(info.ID)); k > 0 {
			assigned += k
			size++
			if info.Failed {
				failed += k
			}
		}
	}
	state := "ok"
	if c.s.clusterDown(st) {
		state = "fail"
	}
	var myEpoch uint64
	if me := st.Nodes[n.ID()]; me != nil {
		myEpoch = me.ConfigEpoch
		if p := st.Nodes[me.Primary]; p != nil {
			myEpoch = p.ConfigEpoch
		}
	}
	var b strings.Builder
	line := func(k string, v any) { fmt.Fprintf(&b, "%s:%v\r\n", k, v) }
	line("cluster_state", state)
	line("cluster_slots_assigned", assigned)
	line("cluster_slots_ok", assigned-failed)
	line("cluster_slots_pfail", 0)
	line("cluster_slots_fail", failed)
	line("cluster_known_nodes", len(st.Nodes))
	line("cluster_size", size)
	line("cluster_current_epoch", st.CurrentEpoch)
	line("cluster_my_epoch", myEpoch)
	stats := n.Stats()
	for _, dir := range []struct {
		name   string
		counts map[string]uint64
	}{{"sent", stats.Sent}, {"received", stats.Received}} {
		var total uint64
		for _, kind := range slices.Sorted(maps.Keys(dir.counts)) {
			line("cluster_stats_messages_"+kind+"_"+dir.name, dir.counts[kind])
			total += dir.counts[kind]
		}
		line("cluster_stats_messages_"+dir.name, total)
	}
	line("total_cluster_links_buffer_limit_exceeded", 0)
	c.s.clusterCounters(line)
	return verbatim(b.String())
}

// clusterCounters writes Shingle's own lines of CLUSTER INFO, which INFO
// cluster shows too: failovers, the Raft role, slot migrations.
func (s *Server) clusterCounters(line func(string, any)) {
	stats := s.cluster.Stats()
	line("cluster_failovers_started", stats.FailoversStarted)
	line("cluster_failovers_won", stats.FailoversWon)
	line("cluster_failovers_lost", stats.FailoversLost)
	rs := s.cluster.Raft()
	line("cluster_raft_state", rs.State)
	line("cluster_raft_voter", map[bool]int{true: 1}[rs.Voter])
	line("cluster_raft_voters", rs.Voters)
	ms := &s.stats
	line("cluster_slot_migrations_started", ms.SlotMigrationsStarted.Load())
	line("cluster_slot_migrations_done", ms.SlotMigrationsDone.Load())
	line("cluster_slot_migrations_failed", ms.SlotMigrationsFailed.Load())
	line("cluster_slot_migration_keys_sent", ms.SlotMigrationKeys.Load())
	line("cluster_slot_migration_bytes_sent", ms.SlotMigrationBytes.Load())
}

func clusterHelp(*client, *command.Ctx, [][]byte) command.Reply {
	lines := []string{
		"CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"ADDSLOTS <slot> [<slot> ...]", "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
		"BUMPEPOCH", "CANCELSLOTMIGRATIONS", "COUNT-FAILURE-REPORTS <node-id>", "COUNTKEYSINSLOT <slot>",
		"DELSLOTS <slot> [<slot> ...]", "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
		"FAILOVER [FORCE|TAKEOVER]", "FLUSHSLOTS", "FORGET <node-id>", "GETKEYSINSLOT <slot> <count>", "GETSLOTMIGRATIONS", "INFO", "KEYSLOT <key>", "LINKS",
		"MEET <ip> <port> [<bus-port>]", "MIGRATESLOTS SLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...] NODE <node-id> [SLOTSRANGE ... NODE ...]", "MYID", "MYSHARDID", "NODES", "REPLICAS <node-id>", "REPLICATE <node-id>", "RESET [HARD|SOFT]",
		"SAVECONFIG", "SET-CONFIG-EPOCH <epoch>", "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
		"SHARDS", "SLAVES <node-id>", "SLOTS", "HELP",
	}
	out := make([]command.Reply, len(lines))
	for i, l := range lines {
		out[i] = command.Status(l)
	}
	return command.Array(out...)
}
