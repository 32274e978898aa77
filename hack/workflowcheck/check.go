package main

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// signJob is the one job that may hold the workflow's OIDC identity.
const signJob = "sign"

// versionInputs names, per action, the input that pins the tool it installs;
// without it the action installs whatever it considers current.
var versionInputs = map[string]string{
	"sigstore/cosign-installer": "cosign-release",
}

var (
	commitRef  = regexp.MustCompile(`^[0-9a-f]{40}$`)
	digestRef  = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)
	tagComment = regexp.MustCompile(`^#\s*v?[0-9]+(\.[0-9]+)*\S*$`)
	version    = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+$`)
)

// problem is one breach of the rules, at a line of the workflow.
type problem struct {
	line int
	path string // e.g. jobs.sign.steps[2].uses
	msg  string
}

func (p problem) String() string { return fmt.Sprintf("%d: %s: %s", p.line, p.path, p.msg) }

// check returns the problems of one workflow file.
func check(data []byte) ([]problem, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a YAML mapping")
	}
	root := doc.Content[0]
	var ps []problem
	top := field(root, "permissions")
	if top == nil {
		ps = append(ps, problem{root.Line, "permissions", "missing: the repository's default (possibly write-all) would apply to every job"})
	} else if w := writes(top); len(w) > 0 {
		ps = append(ps, problem{top.Line, "permissions", fmt.Sprintf("grants %s to every job; grant writes per job", strings.Join(w, ", "))})
	}
	jobs := field(root, "jobs")
	if jobs == nil {
		return ps, nil
	}
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		name, job := jobs.Content[i].Value, jobs.Content[i+1]
		ps = append(ps, checkJob(name, job, top)...)
	}
	return ps, nil
}

// checkJob applies the rules to one job, whose permissions are its own or,
// without them, the workflow's (inherited).
func checkJob(name string, job, inherited *yaml.Node) []problem {
	path := "jobs." + name
	var ps []problem
	perms := field(job, "permissions")
	if perms == nil {
		perms = inherited
	}
	w := writes(perms)
	if name != signJob && slices.Contains(w, "id-token") {
		ps = append(ps, problem{perms.Line, path + ".permissions", fmt.Sprintf("id-token: write outside the %q job: this job could sign as the release", signJob)})
	}
	if u := field(job, "uses"); u != nil { // a reusable workflow
		ps = append(ps, checkUses(path+".uses", u)...)
	}
	steps := field(job, "steps")
	if steps == nil {
		return ps
	}
	for i, step := range steps.Content {
		u := field(step, "uses")
		if u == nil {
			continue
		}
		spath := fmt.Sprintf("%s.steps[%d]", path, i)
		ps = append(ps, checkUses(spath+".uses", u)...)
		action, _, _ := strings.Cut(u.Value, "@")
		if in, ok := versionInputs[action]; ok {
			if v := field(field(step, "with"), in); v == nil || !version.MatchString(v.Value) {
				ps = append(ps, problem{u.Line, spath + ".with." + in, fmt.Sprintf("%s needs %s: vX.Y.Z, else it installs whatever is current", action, in)})
			}
		}
		if action == "actions/checkout" && len(w) > 0 {
			if p := field(field(step, "with"), "persist-credentials"); p == nil || p.Value != "false" {
				ps = append(ps, problem{u.Line, spath + ".with.persist-credentials", fmt.Sprintf("must be false in a job that can write (%s): later steps would find the token in .git/config", strings.Join(w, ", "))})
			}
		}
	}
	return ps
}

// checkUses wants a reference no one can move: a commit with its tag in a
// comment, a digest for a container, or a local action.
func checkUses(path string, u *yaml.Node) []problem {
	ref := u.Value
	switch {
	case strings.HasPrefix(ref, "./"):
		return nil
	case strings.HasPrefix(ref, "docker://"):
		if digestRef.MatchString(ref) {
			return nil
		}
		return []problem{{u.Line, path, fmt.Sprintf("%q: pin the image by @sha256 digest", ref)}}
	}
	_, at, _ := strings.Cut(ref, "@")
	if !commitRef.MatchString(at) {
		return []problem{{u.Line, path, fmt.Sprintf("%q: pin by full 40-hex commit, not %q", ref, at)}}
	}
	if !tagComment.MatchString(u.LineComment) {
		return []problem{{u.Line, path, fmt.Sprintf("%q: name the commit's tag in a line comment (# vX.Y.Z), got %q", ref, u.LineComment)}}
	}
	return nil
}

// writes lists the scopes a permissions node grants write to; write-all is
// every scope, id-token included.
func writes(perms *yaml.Node) []string {
	if perms == nil {
		return nil
	}
	if perms.Kind == yaml.ScalarNode {
		if perms.Value == "write-all" {
			return []string{"write-all", "id-token"}
		}
		return nil
	}
	var w []string
	for i := 0; i+1 < len(perms.Content); i += 2 {
		if perms.Content[i+1].Value == "write" {
			w = append(w, perms.Content[i].Value)
		}
	}
	return w
}

// field is the value of key in a mapping node, or nil.
func field(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
