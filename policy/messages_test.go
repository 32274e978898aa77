package policy

import (
	"strings"
	"testing"

	"github.com/google/cel-go/cel"

	"github.com/pullthrough/pullthrough/wellknown"
)

// TestTextsInCEL: each of wellknown's texts, compiled into CEL and
// evaluated by the API server's CEL, reads the same as the webhook's Go
// fills it, for every hole and for values past the warning's length.
func TestTextsInCEL(t *testing.T) {
	t.Parallel()
	env := apiServerEnv(t, cel.Variable("s", cel.MapType(cel.StringType, cel.StringType)), cel.Variable("d", cel.MapType(cel.StringType, cel.StringType)))
	long := strings.Repeat("x", 240)
	for name, values := range map[string]map[wellknown.Hole]string{
		"short values": {wellknown.Key: "app", wellknown.Entry: `container "app"`, wellknown.Image: "nvcr.io/a:1",
			wellknown.New: "proxy/a:1", wellknown.Proposed: "proxy/a:1", wellknown.Public: "*.gcr.io", wellknown.Host: "eu.gcr.io"},
		"long values": {wellknown.Key: "volume:models", wellknown.Entry: `volume "models"`, wellknown.Image: "nvcr.io/" + long,
			wellknown.New: "proxy/" + long, wellknown.Proposed: "proxy/" + long + long, wellknown.Public: "nvcr.io", wellknown.Host: "nvcr.io"},
	} {
		vars := map[string]any{"s": map[string]string{"key": values[wellknown.Key], "entry": values[wellknown.Entry], "image": values[wellknown.Image]},
			"d": map[string]string{"image": values[wellknown.New], "proposed": values[wellknown.Proposed], "registry": values[wellknown.Public], "host": values[wellknown.Host]}}
		fill := func(h wellknown.Hole) string { return values[h] }
		for _, w := range []wellknown.Warning{wellknown.WarningRewritten, wellknown.WarningAudit, wellknown.WarningProxyDown,
			wellknown.WarningNotServed, wellknown.WarningNoPullSecret, wellknown.WarningUnrouted, wellknown.WarningUnparseable} {
			got, _ := evalCEL(t, compileCEL(t, env, celFit(w, "s", "d")), vars)
			if want := w.Fill(fill); got.Value() != want {
				t.Errorf("%s: CEL %q, Go %q", name, got.Value(), want)
			}
		}
		for _, l := range []wellknown.List{wellknown.DenialUnrouted, wellknown.WarningGuard} {
			got, _ := evalCEL(t, compileCEL(t, env, celText(l.Item, "s", "d")), vars)
			if want := l.Item.Fill(fill); got.Value() != want {
				t.Errorf("%s: CEL %q, Go %q", name, got.Value(), want)
			}
		}
	}
}
