package policy

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/pullthrough/pullthrough/rewrite"
)

// The reference grammar, from the library that defines it, so that CEL's
// matches() (RE2, as Go's regexp) accepts exactly what it accepts.
var (
	// reReference is the whole grammar, anchored and with its groups.
	reReference = reference.ReferenceRegexp.String()
	// reDomain is a registry host with an optional port, anchored.
	reDomain = "^(?:" + reference.DomainRegexp.String() + ")$"
	// reIdentifier is the 64-hex identifier ParseNormalizedNamed refuses as a name.
	reIdentifier = "^(?:" + reference.IdentifierRegexp.String() + ")$"
	// reDigest is a digest go-digest validates: an available algorithm and
	// exactly its length of lower-case hex.
	reDigest = digestRegexp(digest.SHA256, digest.SHA384, digest.SHA512)
)

// digestRegexp matches the digests of the algorithms go-digest has
// available, each with the hex length its Validate insists on.
func digestRegexp(algs ...digest.Algorithm) string {
	var alts []string
	for _, a := range algs {
		if a.Available() {
			alts = append(alts, fmt.Sprintf("%s:[a-f0-9]{%d}", a, a.Size()*2))
		}
	}
	return "^(?:" + strings.Join(alts, "|") + ")$"
}

// Names the reference library treats specially while it parses.
const (
	officialRepo = "library/"
	localhost    = "localhost"
	httpsPort    = "443"
)

// libraryFolded are the Docker Hub aliases (rewrite.DockerHubAliases) that
// the reference library itself folds into rewrite.DockerHub while parsing,
// before it adds "library/" and checks the path's length; CanonicalHost
// folds the others afterwards. Found by asking the library, so that the CEL
// follows it, not a spelling of ours.
var libraryFolded = foldedByLibrary()

func foldedByLibrary() []string {
	var out []string
	for _, alias := range rewrite.DockerHubAliases() {
		if named, err := reference.ParseNormalizedNamed(alias + "/x"); err == nil && reference.Domain(named) == rewrite.DockerHub {
			out = append(out, alias)
		}
	}
	return out
}

// decision is the CEL expression that decides the image held by the CEL
// expression img, as rewrite.Rewriter.Rewrite does, to a
// map(string, string) with the keys outcome, image, proposed and registry
// (rewrite.Result's fields; registry is Result.Registry()) and host (the
// canonical registry, rewrite.RegistryOf). Variables are bound with names
// that start with "r" followed by an upper-case letter, so the expression
// can sit inside any comprehension whose variables do not.
func (r *rules) decision(img string) string {
	return binds([][2]string{
		{"rS", "string(" + img + ")"}, // dyn in a policy, where objects have no schema
		{"rSl", "rS.indexOf('/')"},
		{"rFs", "rSl < 0 ? '' : rS.substring(0, rSl)"},
		// splitDockerDomain: a first segment is a host if it has '.' or
		// ':', is localhost or is not lower-case.
		{"rIsHost", fmt.Sprintf("rSl >= 0 && (rFs == %s || rFs.contains('.') || rFs.contains(':') || rFs.lowerAscii() != rFs)", lit(localhost))},
		{"rD", fmt.Sprintf("!rIsHost || rFs in %s ? %s : rFs", list(libraryFolded), lit(rewrite.DockerHub))},
		{"rR0", "rIsHost ? rS.substring(rSl + 1) : rS"},
		{"rR", fmt.Sprintf("rD == %s && !rR0.contains('/') ? %s + rR0 : rR0", lit(rewrite.DockerHub), lit(officialRepo))},
		{"rFull", "rD + '/' + rR"},
	}, fmt.Sprintf("rS.matches(%s) || !rFull.matches(%s) ? %s\n: %s", lit(reIdentifier), lit(reReference), unparseable, r.parsed()))
}

// unparseable is the decision for what is not a valid reference.
var unparseable = result(rewrite.OutcomeUnparseable, "rS", "''", "''", "''")

// parsed splits rFull, which the grammar matched, into the groups Parse
// captures, and applies Parse's remaining checks: the path's length and
// the digest.
func (r *rules) parsed() string {
	return binds([][2]string{
		// Neither a name nor a tag holds '@', and a tag follows the last
		// ':' after the last '/'.
		{"rAt", "rFull.indexOf('@')"},
		{"rNd", "rAt < 0 ? rFull : rFull.substring(0, rAt)"},
		{"rDig", "rAt < 0 ? '' : rFull.substring(rAt + 1)"},
		{"rLc", "rNd.lastIndexOf(':')"},
		{"rTagged", "rLc > rNd.lastIndexOf('/')"},
		{"rName", "rTagged ? rNd.substring(0, rLc) : rNd"},
		// The name's first segment is its domain only if it is one (the
		// optional group of anchoredNameRegexp): "a_b.c/d" has none.
		{"rNs", "rName.indexOf('/')"},
		{"rHasDom", fmt.Sprintf("rName.substring(0, rNs).matches(%s)", lit(reDomain))},
		{"rPath", "rHasDom ? rName.substring(rNs + 1) : rName"},
	}, fmt.Sprintf("size(rPath) > %d || (rDig != '' && !rDig.matches(%s)) ? %s\n: %s",
		reference.RepositoryNameTotalLengthMax, lit(reDigest), unparseable, r.routed()))
}

// routed decides a valid reference (the variables bound by decision): its
// registry identity, then exclusion, already-proxied, the longest mirror,
// and public registries, in rewrite's order.
func (r *rules) routed() string {
	return binds([][2]string{
		{"rH0", "rHasDom ? rName.substring(0, rNs).lowerAscii() : ''"},
		{"rPc", "rH0.lastIndexOf(':')"},
		// CanonicalHost: the port without leading zeros, 443 dropped.
		{"rH1", fmt.Sprintf("rPc <= rH0.lastIndexOf(']') ? rH0 : [rH0.substring(rPc + 1).find('[1-9][0-9]*')].map(rPort, rPort == %s ? rH0.substring(0, rPc) : rH0.substring(0, rPc + 1) + (rPort == '' ? '0' : rPort))[0]",
			lit(httpsPort))},
		{"rHost", fmt.Sprintf("rH1 in %s ? %s : rH1", list(append(rewrite.DockerHubAliases(), rewrite.DockerHub)), lit(rewrite.DockerHub))},
		{"rRepo", fmt.Sprintf("rHost == %s && !rPath.contains('/') ? %s + rPath : rPath", lit(rewrite.DockerHub), lit(officialRepo))},
		{"rNm", "rHost + '/' + rRepo"},
		{"rSfx", "(rTagged ? ':' + rNd.substring(rLc + 1) : '') + (rDig != '' ? '@' + rDig : '')"},
	}, r.route())
}

// route is the chain of decisions on the canonical name rNm.
func (r *rules) route() string {
	var b strings.Builder
	if r.exclude != "" {
		fmt.Fprintf(&b, "rNm.matches(%[1]s) || (rNm + rSfx).matches(%[1]s) ? %s\n: ", lit(r.exclude),
			result(rewrite.OutcomeExcludedImage, "rS", "''", "''", "rHost"))
	}
	if r.targets != "" {
		fmt.Fprintf(&b, "rNm.matches(%s) ? %s\n: ", lit(r.targets), result(rewrite.OutcomeAlreadyProxied, "rS", "''", "''", "rHost"))
	}
	for _, m := range r.mirrors {
		src := lit(m.source)
		if m.scope != "" {
			fmt.Fprintf(&b, "(%s) && ", m.scope)
		}
		fmt.Fprintf(&b, "(rNm == %s || rNm.startsWith(%s)) ? [size(rNm) + %d].map(rPl, rPl > %d || rPl < 1 ? %s : [%s + rNm.substring(%d) + rSfx].map(rP, %s)[0])[0]\n: ",
			src, lit(m.source+"/"), m.pathDelta, reference.RepositoryNameTotalLengthMax,
			result(rewrite.OutcomeInvalidResult, "rS", "''", src, "rHost"),
			lit(m.target), len(m.source), result(rewrite.OutcomeRewritten, "rP", "rP", src, "rHost"))
	}
	if len(r.hosts) > 0 {
		fmt.Fprintf(&b, "rHost in %s ? %s\n: ", list(r.hosts), result(rewrite.OutcomeUnroutedPublic, "rS", "''", "rHost", "rHost"))
	}
	for _, w := range r.wildcard {
		fmt.Fprintf(&b, "rHost.endsWith(%s) ? %s\n: ", lit(w[1:]), result(rewrite.OutcomeUnroutedPublic, "rS", "''", lit(w), "rHost"))
	}
	b.WriteString(result(rewrite.OutcomeNoRule, "rS", "''", "''", "rHost"))
	return b.String()
}

// result is the CEL map literal of one decision; its arguments are CEL expressions.
func result(o rewrite.Outcome, image, proposed, registry, host string) string {
	return fmt.Sprintf("{'outcome': %s, 'image': %s, 'proposed': %s, 'registry': %s, 'host': %s}", lit(string(o)), image, proposed, registry, host)
}

// binds nests a binding for each name/expression pair around body, so that
// each expression can use the names bound before it. Kubernetes' CEL has no
// cel.bind, so a name is bound by mapping a one-element list: [x].map(n, body)[0].
func binds(pairs [][2]string, body string) string {
	var b strings.Builder
	for _, p := range pairs {
		fmt.Fprintf(&b, "[%s].map(%s,\n", p[1], p[0])
	}
	b.WriteString(body)
	b.WriteString(strings.Repeat(")[0]", len(pairs)))
	return b.String()
}
