package main

import (
	"errors"

	"github.com/shinglekv/shingle/config"
	"github.com/shinglekv/shingle/netmode"
)

// listenerDirectives are the directives that name a listener.
var listenerDirectives = []string{"port", "tls-port", "quic-port", "unixsocket"}

// Ready-to-try listeners, used only when no listener directive is given.
const (
	readyPort     = 7379
	readyTLSPort  = 7380
	readyQUICPort = 7381
)

// errNoListener is redis-server's refusal of a configuration that turns
// every listener off.
var errNoListener = errors.New("configured to not listen anywhere (port 0, and no tls-port, quic-port or unixsocket)")

// namesListener reports whether ds names any listener: then the process
// listens on exactly what the configuration says, with Redis's defaults
// for the rest.
func namesListener(ds []config.Directive) bool {
	for _, n := range listenerDirectives {
		if namesDirective(ds, n) {
			return true
		}
	}
	return false
}

// demoConfig is the configuration before ds is applied: Redis's defaults,
// bound to 127.0.0.1 and keeping its data in shingle-data. When ds names no
// listener (port, tls-port, quic-port or unixsocket, in a file or on the
// command line), it adds the ready-to-try listeners: TCP 7379, TLS 7380
// and QUIC 7381. Once any is named, the others keep Redis's defaults (port
// 6379, the rest off), as with redis-server, so that the process opens
// nothing it was not asked for.
func demoConfig(ds []config.Directive) *netmode.Config {
	cfg := netmode.DefaultConfig()
	cfg.Bind = []string{"127.0.0.1"}
	cfg.Dir = "shingle-data"
	if !namesListener(ds) {
		cfg.Port, cfg.TLSPort, cfg.QUICPort = readyPort, readyTLSPort, readyQUICPort
	}
	return cfg
}

// listensSomewhere reports whether cfg opens at least one listener.
func listensSomewhere(cfg *netmode.Config) bool {
	return cfg.Port != 0 || cfg.TLSPort != 0 || cfg.QUICPort != 0 || cfg.UnixSocket != ""
}

// namesDirective reports whether ds gives directive name.
func namesDirective(ds []config.Directive, name string) bool {
	for _, d := range ds {
		if d.Name == name {
			return true
		}
	}
	return false
}
