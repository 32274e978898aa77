package nodeconfig

import (
	"fmt"
	"path"
	"sort"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/rewrite"
)

// fileName is the name containerd reads in each registry's directory.
const fileName = "hosts.toml"

// dockerHubServer is the host that serves Docker Hub's registry API
// (rewrite.DockerHub, the name containerd gives Docker Hub images):
// containerd's own default for docker.io.
const dockerHubServer = "https://registry-1.docker.io"

// File is one registry's hosts.toml.
type File struct {
	// Registry is the directory name containerd looks up, e.g. docker.io.
	Registry string
	// Content is the whole file, Marker first.
	Content []byte
}

// Path is the file's path relative to the certs.d directory.
func (f File) Path() string { return path.Join(f.Registry, fileName) }

// Warning is a rule of the config that registry-level files cannot carry;
// the caller must show it, because on the nodes that rule does not hold.
type Warning struct {
	// Field is the config field path, e.g. mirrors[1].source.
	Field string
	// Value is the field's value.
	Value string
	// Reason says what the nodes do instead.
	Reason string
}

func (w Warning) String() string { return fmt.Sprintf("%s %s: %s", w.Field, w.Value, w.Reason) }

// Generate turns a validated config into host files and the warnings about
// what they cannot express.
func Generate(cfg *config.Config) ([]File, []Warning, error) {
	rs, hostMirrors, err := routes(cfg)
	if err != nil {
		return nil, nil, err
	}
	files := make([]File, 0, len(rs))
	for _, r := range rs {
		files = append(files, File{Registry: r.registry, Content: r.hosts.render()})
	}
	return files, warnings(cfg, hostMirrors), nil
}

// route is one registry name a node looks up and the routing it gets.
type route struct {
	registry string
	hosts    hosts
}

// routes returns the routing of every registry the config mirrors whole,
// sorted by registry name, and the index of each registry's mirror. Every
// node format (host files, Bottlerocket's settings) renders these, so that
// they route alike.
func routes(cfg *config.Config) ([]route, map[string]int, error) {
	hostMirrors := map[string]int{} // registry host -> index of its whole-host mirror
	for i, m := range cfg.Mirrors {
		source, err := rewrite.ParsePrefix(m.Source)
		if err != nil {
			return nil, nil, fmt.Errorf("mirrors[%d].source: %w", i, err)
		}
		if _, repo := rewrite.SplitPrefix(source); repo == "" && !m.Scoped() {
			// A host file is per node, not per namespace: only unscoped
			// mirrors write one (warnings names the scoped ones).
			hostMirrors[source] = i
		}
	}
	var rs []route
	for source, i := range hostMirrors {
		target, err := rewrite.ParsePrefix(cfg.Mirrors[i].Target)
		if err != nil {
			return nil, nil, fmt.Errorf("mirrors[%d].target: %w", i, err)
		}
		h := hosts{source: source, mirror: i, target: target, node: cfg.Node}
		rs = append(rs, route{registry: source, hosts: h})
		if source == rewrite.DockerHub {
			// The other names of Docker Hub, which the webhook routes as
			// docker.io: containerd normalizes index.docker.io to docker.io
			// for CRI pulls, but not for every client, so each alias gets
			// its own entry.
			for _, alias := range rewrite.DockerHubAliases() {
				rs = append(rs, route{registry: alias, hosts: h})
			}
		}
	}
	sort.Slice(rs, func(a, b int) bool { return rs[a].registry < rs[b].registry })
	return rs, hostMirrors, nil
}

// warnings lists the rules that hold for the webhook but not on the nodes.
func warnings(cfg *config.Config, hostMirrors map[string]int) []Warning {
	var ws []Warning
	for i, m := range cfg.Mirrors {
		source, _ := rewrite.ParsePrefix(m.Source) // validated by Generate
		host, repo := rewrite.SplitPrefix(source)
		var why string
		switch {
		case m.Scoped():
			why = "a host file serves every namespace on the node; scoped mirrors write none"
		case repo != "":
			why = "a host file routes a whole registry"
		default:
			continue
		}
		reason := why + "; nodes pull these images from the public registry " + host
		if j, ok := hostMirrors[host]; ok {
			reason = fmt.Sprintf("%s; nodes pull these images through mirrors[%d].target %s", why, j, cfg.Mirrors[j].Target)
		}
		ws = append(ws, Warning{Field: fmt.Sprintf("mirrors[%d].source", i), Value: m.Source, Reason: reason})
	}
	for i, g := range cfg.Exclude.Images {
		ws = append(ws, Warning{Field: fmt.Sprintf("exclude.images[%d]", i), Value: g,
			Reason: "host files cannot exclude images; nodes pull matching images through the proxy"})
	}
	if cfg.Mode == config.ModeAudit {
		ws = append(ws, Warning{Field: "mode", Value: string(cfg.Mode),
			Reason: "the webhook changes no image, but the host files route every pull of a mirrored registry through the proxy"})
	}
	return ws
}
