package rewrite

// SourceOf names the mirror an image under a target pulls through: the
// canonical source of the mirror with the longest target the image is under,
// "" when it is under none (or does not parse). It is the bounded "registry"
// label of what the kubelet pulls from the proxy, where Rewrite's Result has
// none (OutcomeAlreadyProxied names no rule): pullthrough_pull_failures_total.
func (r *Rewriter) SourceOf(image string) string {
	p := parseImage(image)
	if !p.ok {
		return ""
	}
	name := p.name
	var source, target string
	for _, rl := range r.rules {
		t, err := ParsePrefix(rl.target)
		if err == nil && under(name, t) && len(t) > len(target) {
			source, target = rl.source, t
		}
	}
	return source
}
