package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/shinglekv/shingle/config"
	"github.com/shinglekv/shingle/netmode"
	"github.com/shinglekv/shingle/store"
	"github.com/shinglekv/shingle/tlsconn"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	if err := run(os.Args[1:], os.Stdin, os.Stdout, stop); err != nil {
		printError(os.Stderr, err)
		os.Exit(1)
	}
}

// run serves until stop delivers a signal.
func run(args []string, stdin io.Reader, out io.Writer, stop <-chan os.Signal) error {
	cl, err := config.ParseCommandLine(args)
	if err != nil {
		return err
	}
	ds, err := cl.Load(stdin)
	if err != nil {
		return err
	}
	base := demoConfig(ds)
	base.Logger = slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg, opts, err := netmode.Configure(base, ds)
	if err != nil {
		return err
	}
	if !listensSomewhere(cfg) {
		return errNoListener
	}
	if cl.File != "" {
		cfg.ConfigFile, _ = filepath.Abs(cl.File)
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return err
	}
	var dev *devPKI
	if (cfg.TLSPort != 0 || cfg.QUICPort != 0) && cfg.TLS.CertFile == "" && cfg.TLS.KeyFile == "" {
		if dev, err = ensureDevPKI(filepath.Join(cfg.Dir, "tls")); err != nil {
			return fmt.Errorf("development certificates: %w", err)
		}
		cfg.TLS.CertFile, cfg.TLS.KeyFile = dev.serverCert, dev.serverKey
		if cfg.TLS.CACertFile == "" && cfg.TLS.CACertDir == "" {
			cfg.TLS.CACertFile = dev.caCert
		}
		// With the development CA, a client certificate is checked when
		// sent but not required, so that redis-cli --tls --cacert works
		// as it is; tls-auth-clients given explicitly wins.
		if !namesDirective(ds, "tls-auth-clients") {
			cfg.TLS.AuthClients = tlsconn.AuthClientsOptional
		}
	}
	db, err := store.Open(cfg.Dir, opts)
	if err != nil {
		return err
	}
	defer db.Close()
	srv, err := netmode.New(db, cfg)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		return err
	}
	defer cfg.WritePidFile()()
	greet(out, srv, cfg, dev)

	// SIGHUP reloads the TLS files; any other signal stops, and so does a
	// client's SHUTDOWN.
wait:
	for {
		select {
		case sig := <-stop:
			if sig != syscall.SIGHUP {
				fmt.Fprintln(out, "Received a signal: shutting down")
				break wait
			}
			if err := srv.ReloadTLS(); err != nil {
				fmt.Fprintf(out, "SIGHUP: TLS reload failed, the previous certificate stays in service: %v\n", err)
			} else {
				fmt.Fprintln(out, "SIGHUP: TLS certificates reloaded")
			}
		case <-srv.Done():
			fmt.Fprintln(out, "A client asked for SHUTDOWN: shutting down")
			break wait
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	fmt.Fprintln(out, "Shingle is now ready to exit, bye bye...")
	return nil
}

// greet prints one Ready line per listener, as redis-server does, and the
// redis-cli commands to try.
func greet(out io.Writer, srv *netmode.Server, cfg *netmode.Config, dev *devPKI) {
	for _, l := range srv.Listeners() {
		fmt.Fprintf(out, "Ready to accept connections %s (%s)\n", l.Transport, l.Addr)
	}
	if bus := srv.ClusterBusAddr(); bus != nil {
		how := "plain TCP: tls-cluster no"
		switch {
		case cfg.TLS.Cluster && cfg.Cluster.BusTransport == "quic":
			how = "QUIC, client certificates required"
		case cfg.TLS.Cluster:
			how = "TLS, client certificates required"
		}
		fmt.Fprintf(out, "Cluster node %s, bus on %s (%s)\n", srv.ClusterNodeID(), bus, how)
	}
	fmt.Fprintf(out, "Data directory %s, appendfsync %s\n", cfg.Dir, cfg.AppendFsync)
	var tries []string
	if cfg.Port != 0 {
		tries = append(tries, fmt.Sprintf("redis-cli -p %d ping", cfg.Port))
	}
	if cfg.TLSPort != 0 && dev != nil {
		tries = append(tries,
			fmt.Sprintf("redis-cli --tls --cacert %s -p %d ping", dev.caCert, cfg.TLSPort),
			fmt.Sprintf("redis-cli --tls --cacert %s --cert %s --key %s -p %d client info",
				dev.caCert, dev.clientCert, dev.clientKey, cfg.TLSPort))
	}
	if cfg.UnixSocket != "" {
		tries = append(tries, fmt.Sprintf("redis-cli -s %s ping", cfg.UnixSocket))
	}
	if len(tries) > 0 {
		fmt.Fprintf(out, "Try:\n  %s\n", strings.Join(tries, "\n  "))
	}
}
