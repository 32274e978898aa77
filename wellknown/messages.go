package wellknown

import (
	"strconv"
	"strings"
)

// A Text is a user-visible message about one image, written once for both
// engines: the webhook fills its holes with the Go values of its decision
// (Fill), the policy engine compiles it into a CEL string expression whose
// holes read the CEL decision. The two engines' warnings and denials are
// therefore the same words; the differential tests compare them on a real
// API server.
type Text []Piece

// Piece is one part of a Text: literal text (Lit), a value (Hole) or a
// value in double quotes (Quoted).
type Piece interface{ piece() }

// Lit is literal text.
type Lit string

// Hole is a value of one image's decision, filled by each engine from its own.
type Hole int

// Quoted is a hole written as Go's %q writes it. The policy engine writes
// '"' + value + '"', which is the same text for every value it quotes: image
// references it parsed and names the API server validated, which hold no
// character %q escapes.
type Quoted Hole

func (Lit) piece()    {}
func (Hole) piece()   {}
func (Quoted) piece() {}

// The holes of a Text.
const (
	// Key names the entry where every list shares one map (the
	// pullthrough.dev/*-images annotations): the container's name, or
	// "volume:" and the volume's name.
	Key Hole = iota
	// Entry names the entry in a sentence: container "app", volume "models".
	Entry
	// Image is the reference as written in the pod.
	Image
	// New is the image as the pod is admitted with it: the rewrite.
	New
	// Proposed is the reference the image would be rewritten to.
	Proposed
	// Public is the public-registry entry that covers the image (docker.io,
	// *.gcr.io).
	Public
	// Host is the registry the image is pulled from (its canonical host):
	// the mirror source that is missing.
	Host
)

// Fill is t with each hole replaced by value(hole).
func (t Text) Fill(value func(Hole) string) string {
	var b strings.Builder
	for _, p := range t {
		switch p := p.(type) {
		case Lit:
			b.WriteString(string(p))
		case Hole:
			b.WriteString(value(p))
		case Quoted:
			b.WriteString(strconv.Quote(value(Hole(p))))
		}
	}
	return b.String()
}

// MaxWarningLength is the longest warning either engine sends. The
// AdmissionResponse API (k8s.io/api admission/v1, Warnings) asks for 120
// characters "if possible" and says warnings over 256 may be truncated: an
// image pair (a digest-pinned one runs past 120) is worth the length, so it
// is kept whole up to 256, and only past that does the warning fall back to
// its short form.
const MaxWarningLength = 256

// Ellipsis ends a short form cut to MaxWarningLength.
const Ellipsis = "..."

// A Warning is the warning about one image: Long, or Short when Long does
// not fit in MaxWarningLength, cut to fit if need be (Fit).
type Warning struct {
	Long, Short Text
}

// Fill is the warning for one image, fitted.
func (w Warning) Fill(value func(Hole) string) string {
	return Fit(w.Long.Fill(value), w.Short.Fill(value))
}

// Fit returns long if it fits in MaxWarningLength, else short, cut to fit
// with Ellipsis if need be.
func Fit(long, short string) string {
	if len(long) <= MaxWarningLength {
		return long
	}
	if len(short) <= MaxWarningLength {
		return short
	}
	return short[:MaxWarningLength-len(Ellipsis)] + Ellipsis
}

// A List is a message about several images: Prefix, then Item for each
// image, separated by Sep.
type List struct {
	Prefix string
	Item   Text
	Sep    string
}

// The per-image warnings. kubectl prints them, so the person creating the
// pod sees what happened to each image.
var (
	// WarningRewritten: the image was rewritten (the webhook's enforce path).
	WarningRewritten = Warning{
		Long:  Text{Lit("pullthrough: "), Key, Lit(": "), Image, Lit(" -> "), New},
		Short: Text{Lit("pullthrough: "), Key, Lit(": -> "), New},
	}
	// WarningAudit: enforce would rewrite the image (the audit path).
	WarningAudit = Warning{
		Long:  Text{Lit("pullthrough audit: "), Key, Lit(": "), Image, Lit(" would be "), Proposed},
		Short: Text{Lit("pullthrough audit: "), Key, Lit(": would be "), Proposed},
	}
	// WarningProxyDown: the rewrite was withheld because the proxy is down.
	WarningProxyDown = Warning{
		Long:  Text{Lit("pullthrough: "), Key, Lit(": proxy down, kept "), Image},
		Short: Text{Lit("pullthrough: "), Key, Lit(": proxy down, image kept")},
	}
	// WarningNotServed: the rewrite was withheld because the proxy is not
	// known to serve the reference.
	WarningNotServed = Warning{
		Long:  Text{Lit("pullthrough: "), Key, Lit(": proxy not known to serve "), Proposed, Lit(", kept "), Image},
		Short: Text{Lit("pullthrough: "), Key, Lit(": proxy not known to serve it, image kept")},
	}
	// WarningNoPullSecret: the rewrite was withheld because the namespace
	// lacks the proxy's pull secret.
	WarningNoPullSecret = Warning{
		Long:  Text{Lit("pullthrough: "), Key, Lit(": namespace lacks the proxy's pull secret, kept "), Image},
		Short: Text{Lit("pullthrough: "), Key, Lit(": namespace lacks the proxy's pull secret, image kept")},
	}
	// WarningUnrouted: the image is pulled from a public registry no mirror
	// covers (unrouted: warn).
	WarningUnrouted = Warning{
		Long:  Text{Lit("pullthrough: "), Key, Lit(": "), Image, Lit(" pulls from public registry "), Public, Lit(": no mirror covers it")},
		Short: Text{Lit("pullthrough: "), Key, Lit(": public registry "), Public, Lit(" has no mirror")},
	}
	// WarningUnparseable: the image is not a valid reference (the API server
	// checks only that an image volume's reference is not empty).
	WarningUnparseable = Warning{
		Long:  Text{Lit("pullthrough: "), Key, Lit(": cannot read image reference "), Quoted(Image), Lit(": left as is")},
		Short: Text{Lit("pullthrough: "), Key, Lit(": cannot read its image reference: left as is")},
	}
)

// DenialUnrouted is why a pod is rejected under unrouted: deny: each image
// that would be pulled from a public registry no mirror covers.
var DenialUnrouted = List{
	Prefix: "pullthrough (unrouted: deny): ",
	Item: Text{Entry, Lit(": image "), Quoted(Image), Lit(" would be pulled from public registry "), Public,
		Lit(", which no mirror covers (add a mirror with source "), Host, Lit(", or exclude the image)")},
	Sep: "; ",
}

// WarningGuard is the final-state guard's message (the policy engine's
// pullthrough-guard): each image of a pod in an enforce namespace that
// would still be rewritten.
var WarningGuard = List{
	Prefix: "pullthrough guard: not rewritten, still pulled from a public registry: ",
	Item:   Text{Key, Lit(": "), Image},
	Sep:    ", ",
}

// Fill is the message about the images whose values are given, "" for none.
func (l List) Fill(images []func(Hole) string) string {
	if len(images) == 0 {
		return ""
	}
	items := make([]string, len(images))
	for i, value := range images {
		items[i] = l.Item.Fill(value)
	}
	return l.Prefix + strings.Join(items, l.Sep)
}
