package policy

import (
	"fmt"
	"strings"

	"github.com/pullthrough/pullthrough/podspec"
)

// A slot is one place the kubelet pulls an image from, as the CEL sees it:
// key is its name in the original-images annotation (the container's name,
// or "volume:" and the volume's name), entry its name in a sentence
// (podspec.Change.Describe: container "app"), path its JSON pointer, image
// the reference written there.

// slotsExpr lists every slot of object whose image this request sets, in
// podspec.Locations order: on UPDATE (of the pod
// or of pods/ephemeralcontainers) an image the old pod already had in the
// same place is left out, as the webhook leaves it, so that an unrelated
// change never restarts a container.
func slotsExpr() string {
	var parts []string
	for _, l := range podspec.Locations {
		image, has := "c", "true"
		for _, f := range l.ImagePath {
			image += "." + f
			has += " && has(" + image + ")"
		}
		old := strings.Replace(image, "c.", "o.", 1)
		oldHas := strings.ReplaceAll(has, "(c.", "(o.")
		parts = append(parts, fmt.Sprintf(
			"(has(object.spec.%[1]s) ? object.spec.%[1]s.transformList(i, c, %[2]s && (oldObject == null || !(has(oldObject.spec.%[1]s) && oldObject.spec.%[1]s.exists(o, o.name == c.name %[4]s && %[5]s == %[3]s))), {'key': %[6]s + string(c.name), 'entry': %[8]s + string(c.name) + '\"', 'path': '/spec/%[1]s/' + string(i) + '/%[7]s', 'image': string(%[3]s)}) : [])",
			l.Field, strings.TrimPrefix(has, "true && "), image, strings.TrimPrefix(oldHas, "true"), old, lit(l.KeyPrefix), strings.Join(l.ImagePath, "/"), lit(l.Noun+` "`)))
	}
	return strings.Join(parts, "\n+ ")
}
