package nodeconfig

import (
	"fmt"
	"strings"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/rewrite"
)

// Marker is the first line of every file pullthrough writes. Sync touches
// only files that start with it; deleting the line hands a file over to
// whoever edits it.
const Marker = "# Managed by pullthrough nodeconfig; edits are overwritten. Delete this line to take the file over."

// hosts is one registry's routing, ready to render.
type hosts struct {
	source string // the registry, e.g. docker.io
	mirror int    // index of the mirror in the config, for the comment
	target string // canonical target, e.g. proxy.example.internal/dockerhub
	node   config.Node
}

// proxyURL is the proxy's registry API root for the target. A bare host is
// written as it is (containerd appends /v2). A target with a path needs
// override_path, with which containerd takes the URL's path as the API root
// as written: so the URL must carry /v2 before the path, the way the
// registry serves it (/v2/dockerhub/library/nginx/manifests/1.27).
func (h hosts) proxyURL() (url string, overridePath bool) {
	host, p := rewrite.SplitPrefix(h.target)
	if p == "" {
		return "https://" + host, false
	}
	return "https://" + host + "/v2/" + p, true
}

// upstream is the public registry's API server for the source.
func (h hosts) upstream() string {
	if h.source == rewrite.DockerHub {
		return dockerHubServer
	}
	return "https://" + h.source
}

// render writes the file. Every value is either built from validated
// registry prefixes (no character that needs escaping) or the CA path, which
// validation keeps free of control characters.
func (h hosts) render() []byte {
	var b strings.Builder
	proxy, overridePath := h.proxyURL()
	fmt.Fprintf(&b, "%s\n# %s -> %s (mirrors[%d])\n", Marker, h.source, h.target, h.mirror)
	if h.node.FallsBack() {
		b.WriteString("# The proxy first; the public registry if the proxy fails (node.fallback).\n")
		fmt.Fprintf(&b, "server = %s\n\n[host.%s]\n", quote(h.upstream()), quote(proxy))
	} else {
		b.WriteString("# The proxy only (node.fallback: false).\n")
		fmt.Fprintf(&b, "server = %s\n", quote(proxy))
	}
	b.WriteString(`capabilities = ["pull", "resolve"]` + "\n")
	if overridePath {
		b.WriteString("override_path = true\n")
	}
	if h.node.CA != "" {
		fmt.Fprintf(&b, "ca = %s\n", quote(h.node.CA))
	}
	return []byte(b.String())
}

// quote writes s as a TOML basic string; s holds no control characters.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
