package nodeconfig

import (
	"fmt"
	"strings"

	"github.com/pullthrough/pullthrough/config"
)

// Bottlerocket renders the registry mirrors of a validated config as
// Bottlerocket's settings (settings.container-registry.mirrors, TOML for
// user data or `apiclient set`), from the same routes as the host files,
// and the warnings about what the settings cannot express.
//
// Bottlerocket writes each mirror's endpoints into containerd's CRI config
// as registry mirror endpoints. containerd takes an endpoint's path, when it
// has one, as the registry API root ("/v2" otherwise), which is what a host
// file's override_path does: so an endpoint carries the same
// https://HOST/v2/PATH URL as the host file. A bare https://HOST endpoint for
// a target with a path asks HOST/v2/library/nginx, which the proxy does not
// serve, and containerd goes on to the public registry without a word.
func Bottlerocket(cfg *config.Config) ([]byte, []Warning, error) {
	rs, hostMirrors, err := routes(cfg)
	if err != nil {
		return nil, nil, err
	}
	var b strings.Builder
	b.WriteString("# Bottlerocket settings from pullthrough nodeconfig -o bottlerocket: one mirror per registry.\n")
	for _, r := range rs {
		proxy, _ := r.hosts.proxyURL()
		fmt.Fprintf(&b, "\n# %s -> %s (mirrors[%d])\n[[settings.container-registry.mirrors]]\nregistry = %s\nendpoint = [%s]\n",
			r.hosts.source, r.hosts.target, r.hosts.mirror, quote(r.registry), quote(proxy))
	}
	return []byte(b.String()), append(warnings(cfg, hostMirrors), bottlerocketWarnings(cfg.Node)...), nil
}

// bottlerocketWarnings are the node settings that Bottlerocket's mirrors
// cannot carry.
func bottlerocketWarnings(node config.Node) []Warning {
	var ws []Warning
	if !node.FallsBack() {
		ws = append(ws, Warning{Field: "node.fallback", Value: "false",
			Reason: "containerd appends the public registry to every mirror's endpoints; Bottlerocket nodes fall back to it when the proxy fails"})
	}
	if node.CA != "" {
		ws = append(ws, Warning{Field: "node.ca", Value: node.CA,
			Reason: "Bottlerocket trusts a CA through settings.pki (the PEM in base64, trusted = true), not a path; add the proxy's CA there"})
	}
	return ws
}
