package policy

import (
	"fmt"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/rewrite"
)

// Most pods need no decision at all: every image a pod keeps after the
// rewrite starts with a mirror's target host, and the API server calls the
// rewrite again on its own output (reinvocationPolicy IfNeeded makes a
// policy that changed the object run once more), then every validating
// policy. Each call of the rewrite costs a JSON round trip of the whole pod
// even when the patch is empty, so the policies skip, with a match
// condition, what cannot change or warn, and the validating policies decide
// only the images that may need a word.

// settled are the beginnings of a reference ("host/", a mirror target's
// host as the config writes it, which every image the rewrite produces
// starts with) after which no decision is rewritten or unrouted-public: the
// host is no mirror's source and no public registry. After such a prefix
// the decision is already-proxied, no-rule, excluded-image or unparseable,
// none of which any policy acts on.
func (r *rules) settled() []string {
	var out []string
	for _, h := range r.targetHosts() {
		if !r.routes(rewrite.CanonicalHost(h)) {
			out = append(out, h+"/")
		}
	}
	return out
}

// routes reports whether a mirror's source or a public registry names the
// registry host (a CanonicalHost).
func (r *rules) routes(host string) bool {
	for _, m := range r.mirrors {
		if source, _ := rewrite.SplitPrefix(m.source); source == host {
			return true
		}
	}
	for _, h := range r.hosts {
		if h == host {
			return true
		}
	}
	for _, w := range r.wildcard {
		if strings.HasSuffix(host, w[1:]) {
			return true
		}
	}
	return false
}

// settledExpr is the CEL test that the image img (a string) starts with
// one of prefixes.
func settledExpr(img string, prefixes []string) string {
	var tests []string
	for _, p := range prefixes {
		tests = append(tests, fmt.Sprintf("%s.startsWith(%s)", img, lit(p)))
	}
	return "(" + strings.Join(tests, " || ") + ")"
}

// allSettledExpr is the CEL test that every image of object is settled.
func allSettledExpr(prefixes []string) string {
	var parts []string
	for _, l := range podspec.Locations {
		list := "object.spec." + l.Field
		var has []string
		for i := range l.ImagePath {
			has = append(has, "has(c."+strings.Join(l.ImagePath[:i+1], ".")+")")
		}
		image := "c." + strings.Join(l.ImagePath, ".")
		parts = append(parts, fmt.Sprintf("(!has(%s) || %s.all(c, !(%s) || %s))", list, list, strings.Join(has, " && "), settledExpr(image, prefixes)))
	}
	return strings.Join(parts, " && ")
}

// mayChangeCondition leaves out of the rewrite a pod it would not patch:
// every image settled and, on CREATE, every pull secret it would add there
// already. It is what keeps the API server's second call of the rewrite, on
// its own output, from costing a second JSON round trip. nil when no
// target host is settled.
func (g *generator) mayChangeCondition() *admissionregistrationv1.MatchCondition {
	prefixes := g.rules.settled()
	if len(prefixes) == 0 {
		return nil
	}
	noWork := allSettledExpr(prefixes)
	if len(g.pullSecrets) > 0 {
		noWork += fmt.Sprintf(" && (request.operation != 'CREATE' || %s.all(n, has(object.spec.imagePullSecrets) && object.spec.imagePullSecrets.exists(s, has(s.name) && s.name == n)))",
			list(g.pullSecrets))
	}
	return &admissionregistrationv1.MatchCondition{Name: "may-change-the-pod", Expression: "!(" + noWork + ")"}
}

// mayWarnCondition leaves out of a validating policy a pod whose images are
// all settled: none can be warned about, denied or guarded. nil when no
// target host is settled.
func (g *generator) mayWarnCondition() *admissionregistrationv1.MatchCondition {
	prefixes := g.rules.settled()
	if len(prefixes) == 0 {
		return nil
	}
	return &admissionregistrationv1.MatchCondition{Name: "may-need-a-word", Expression: "!(" + allSettledExpr(prefixes) + ")"}
}

// unsettledSlotsExpr is slotsExpr less the settled images: the validating
// policies decide only the others.
func (g *generator) unsettledSlotsExpr() string {
	prefixes := g.rules.settled()
	if len(prefixes) == 0 {
		return slotsExpr()
	}
	return "(" + slotsExpr() + ").filter(s, !" + settledExpr("s.image", prefixes) + ")"
}
