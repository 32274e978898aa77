package wellknown

import (
	"strings"
	"testing"
)

// values fills every hole with its own name, so a test sees which hole went where.
func values(prefix string) func(Hole) string {
	names := map[Hole]string{Key: "key", Entry: "entry", Image: "image", New: "new", Proposed: "proposed", Public: "public", Host: "host"}
	return func(h Hole) string { return prefix + names[h] }
}

func TestTextFill(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		text Text
		want string
	}{
		{"literal only", Text{Lit("a"), Lit("b")}, "ab"},
		{"holes in order", Text{Key, Lit(": "), Image, Lit(" -> "), New}, "key: image -> new"},
		// %q's form, which the policy engine's '"' + value + '"' equals for
		// the values it quotes.
		{"quoted", Text{Lit("image "), Quoted(Image)}, `image "image"`},
		{"empty", nil, ""},
	} {
		if got := tc.text.Fill(values("")); got != tc.want {
			t.Errorf("%s: Fill = %q, want %q", tc.name, got, tc.want)
		}
	}
	// A value that %q escapes is escaped: the webhook's unparseable warning.
	odd := WarningUnparseable.Long.Fill(func(Hole) string { return "a\"b\n" })
	if !strings.Contains(odd, `"a\"b\n"`) {
		t.Errorf("unparseable warning %q does not quote its value as Go does", odd)
	}
}

func TestWarningFits(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("l", 240)
	// image is long and every other value short, or every value is v.
	image := func(v string) func(Hole) string {
		return func(h Hole) string {
			if h == Image {
				return v
			}
			return "x"
		}
	}
	every := func(v string) func(Hole) string { return func(Hole) string { return v } }
	for _, tc := range []struct {
		name  string
		value func(Hole) string
		want  string
	}{
		{"long form fits", every("x"), "pullthrough: x: x -> x"},
		{"long form too long: the short one", image(long), "pullthrough: x: -> x"},
		{"short form too long: cut", every(long), ("pullthrough: " + long + ": -> " + long)[:MaxWarningLength-len(Ellipsis)] + Ellipsis},
	} {
		got := WarningRewritten.Fill(tc.value)
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		if len(got) > MaxWarningLength {
			t.Errorf("%s: %d characters, more than %d", tc.name, len(got), MaxWarningLength)
		}
	}
}

func TestListFill(t *testing.T) {
	t.Parallel()
	if got := WarningGuard.Fill(nil); got != "" {
		t.Errorf("no images: %q, want none", got)
	}
	got := WarningGuard.Fill([]func(Hole) string{values("a-"), values("b-")})
	if want := WarningGuard.Prefix + "a-key: a-image, b-key: b-image"; got != want {
		t.Errorf("Fill = %q, want %q", got, want)
	}
}
