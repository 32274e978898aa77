package registry

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"sync"
	"time"
)

// NodeAddr is the address a node's direct pulls reach an upstream from: the World
// dials the upstreams from it, so that an upstream's per-client counts and pull
// limits tell the node (a public IP on the internet) from the pull-through proxies
// (which dial from 127.0.0.1). The whole of 127.0.0.0/8 is loopback on Linux.
const NodeAddr = "127.0.0.2"

// runtimeHosts maps each registry a Set can play to the host a runtime dials for
// it when no mirror is configured: containerd sends docker.io to
// registry-1.docker.io, the others to themselves.
var runtimeHosts = map[string]string{"docker.io": "registry-1.docker.io"}

// publicHost returns the host name a runtime dials for the public registry host.
func publicHost(host string) string {
	if h, ok := runtimeHosts[host]; ok {
		return h
	}
	return host
}

// world plays the internet for a node: an HTTP forward proxy that a runtime is
// pointed at with HTTPS_PROXY. It accepts CONNECT to a public registry's real host
// name, ends the TLS with a certificate from the Set's CA (the node trusts it
// through SSL_CERT_FILE) and hands the requests to that registry's upstream, so
// that a pull a node makes without a mirror reaches the upstream by the same name
// and path it would use on the internet. A CONNECT to any other host is refused
// and remembered.
type world struct {
	addr    string
	front   *http.Server                      // the CONNECT endpoint
	inner   *http.Server                      // serves the TLS connections CONNECT hands over
	conns   *chanListener                     // CONNECT -> inner
	proxies map[string]*httputil.ReverseProxy // public host name -> its upstream
	mu      sync.Mutex
	refused map[string]int // CONNECT targets that no upstream plays
}

// startWorld serves the world on a free loopback port for upstreams (public
// registry -> counting address), with the certificate in tlsDir.
func startWorld(tlsDir string, upstreams map[string]*Upstream, out io.Writer) (*world, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(tlsDir, "tls.crt"), filepath.Join(tlsDir, "tls.key"))
	if err != nil {
		return nil, fmt.Errorf("the world's certificate: %w", err)
	}
	// Dial the upstreams from NodeAddr: the node's public address.
	transport := &http.Transport{
		DialContext: (&net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(NodeAddr)}}).DialContext,
	}
	w := &world{proxies: map[string]*httputil.ReverseProxy{}, refused: map[string]int{}}
	for host, up := range upstreams {
		rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: up.Addr})
		rp.Transport = transport
		rp.ErrorLog = log.New(out, "world: ", 0)
		w.proxies[publicHost(host)] = rp
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the world: %w", err)
	}
	w.addr = l.Addr().String()
	w.conns = newChanListener(l.Addr())
	w.inner = &http.Server{
		Handler:           http.HandlerFunc(w.serveRegistry),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(out, "world: ", 0),
	}
	w.front = &http.Server{Handler: http.HandlerFunc(w.serveConnect), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = w.inner.ServeTLS(w.conns, "", "") }() // returns on Close
	go func() { _ = w.front.Serve(l) }()
	return w, nil
}

// serveConnect answers CONNECT host:443 for a host the world plays and hands the
// connection to the inner server, which speaks TLS as that host.
func (w *world) serveConnect(rw http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.Host)
	if r.Method != http.MethodConnect || err != nil {
		http.Error(rw, "the e2e world only tunnels: CONNECT host:443", http.StatusMethodNotAllowed)
		return
	}
	if w.proxies[host] == nil {
		w.mu.Lock()
		w.refused[host]++
		w.mu.Unlock()
		http.Error(rw, "no registry plays "+host+" in this e2e world", http.StatusBadGateway)
		return
	}
	conn, buf, err := http.NewResponseController(rw).Hijack()
	if err != nil {
		http.Error(rw, err.Error(), http.StatusInternalServerError)
		return
	}
	if _, err := buf.WriteString("HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		_ = conn.Close()
		return
	}
	if err := buf.Flush(); err != nil {
		_ = conn.Close()
		return
	}
	w.conns.hand(conn)
}

// serveRegistry forwards a request that arrived through a tunnel to the upstream
// of its Host, the name the client dialled.
func (w *world) serveRegistry(rw http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	rp := w.proxies[host]
	if rp == nil {
		http.Error(rw, "no registry plays "+host, http.StatusBadGateway)
		return
	}
	rp.ServeHTTP(rw, r)
}

// refusedHosts returns the CONNECT targets no upstream plays, with their counts.
func (w *world) refusedHosts() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]int, len(w.refused))
	for k, v := range w.refused {
		out[k] = v
	}
	return out
}

func (w *world) close() error {
	return errors.Join(w.front.Close(), w.inner.Close())
}

// chanListener is a net.Listener whose connections are handed to it: the
// tunnels serveConnect opened, for the inner server to serve as TLS.
type chanListener struct {
	addr   net.Addr
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *chanListener) hand(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.closed:
		_ = c.Close()
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }
