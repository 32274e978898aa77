package migrate

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// decide plans the restore of an object from its record annotation. A
// value is restored only where it still holds what the migrator wrote, which
// is recomputed (in enforce mode) from the recorded original: the record
// keeps originals only, so --undo needs the config that --apply used. A
// value that does not match, for whatever reason (changed since, or a config
// with another target), is reported and never overwritten, and its entry
// stays in the record: the record is the only copy of the original, so an
// entry leaves it only with the value it restores.
func (d *undo) decide(it *item, u *unstructured.Unstructured) error {
	record, err := readRecord(u.GetAnnotations())
	if err != nil {
		return err
	}
	it.row.Rows = nil
	current := map[string]string{}
	original := u.DeepCopy()
	for path, old := range record {
		cur, ok := lookupString(u.Object, path)
		if !ok {
			continue // gone, or no longer a string: reported as changed since
		}
		current[path] = cur
		if err := setString(original.Object, path, old); err != nil {
			return fmt.Errorf("annotation %s: %w", wellknown.AnnotationMigratedImages, err)
		}
	}
	// What apply writes for the originals is what it wrote then, if the
	// object still holds it.
	rows, edits, err := inspectAll(it.inspectors, d.labels.in(d.m.enforce, u.GetNamespace()), original.Object, "")
	if err != nil {
		return err
	}
	if d.m.excluded(u.GetNamespace()) {
		for _, path := range recordedPaths(record) {
			it.row.Rows = append(it.row.Rows, Row{Field: fieldOf(rows, path), Path: path, Old: current[path], New: current[path], Outcome: rewrite.OutcomeExcludedNamespace})
		}
		return nil
	}
	wrote := map[string]string{}
	for _, e := range edits {
		wrote[e.path] = e.new
	}
	var restores []edit
	kept := map[string]string{}
	for _, path := range recordedPaths(record) {
		cur, ok := current[path]
		if w, planned := wrote[path]; ok && planned && cur == w {
			restores = append(restores, edit{path: path, old: cur, new: record[path]})
			it.row.Rows = append(it.row.Rows, restoredRows(rows, path)...)
			continue
		}
		kept[path] = record[path]
		it.row.Rows = append(it.row.Rows, Row{Field: fieldOf(rows, path), Path: path, Old: cur, New: record[path], Outcome: OutcomeChangedSince})
	}
	if len(restores) == 0 {
		return nil // nothing to restore, and the record stays whole
	}
	it.ops, err = restoreOps(restores, u.GetAnnotations(), kept)
	return err
}

// restoredRows turns the forward rows of a restored value into undo rows:
// each rewritten image or reference goes back from its new to its old value.
func restoredRows(forward []Row, path string) []Row {
	var rows []Row
	for _, r := range forward {
		if r.Path == path && r.Outcome == rewrite.OutcomeRewritten {
			rows = append(rows, Row{Field: r.Field, Path: path, Old: r.New, New: r.Old, Outcome: OutcomeRestored})
		}
	}
	return rows
}

// fieldOf names the value at path as the forward rows do, or by its path.
func fieldOf(forward []Row, path string) string {
	for _, r := range forward {
		if r.Path == path {
			return r.Field
		}
	}
	return path
}
