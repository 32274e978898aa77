package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/pullthrough/pullthrough/podspec/manifest"
	"github.com/pullthrough/pullthrough/rewrite"
)

func runRewrite(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rewrite", stderr)
	configPath := fs.String("config", "", "config file (YAML)")
	explain := fs.Bool("explain", false, "print IMAGE<TAB>RESULT<TAB>OUTCOME<TAB>REGISTRY per image (the mirror source, or the public registry no mirror covers); with -f, FILE:LINE<TAB>OBJECT<TAB>WHERE before them, instead of the manifests")
	file := fs.String("f", "", "rewrite the manifests in FILE (YAML or JSON stream; - for stdin)")
	namespace := fs.String("namespace", "", "route as in namespace NS: the scoped mirrors that select it apply (without it, none does)")
	nsLabels := fs.String("namespace-labels", "", "the labels of --namespace, k=v,... (kubernetes.io/metadata.name is set to NS, as the API server does)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pullthrough rewrite --config FILE [--explain] [--namespace NS [--namespace-labels k=v,...]] IMAGE...\n       pullthrough rewrite --config FILE [--explain] [--namespace NS [--namespace-labels k=v,...]] -f FILE|-")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	r, err := cfg.Rewriter()
	if err != nil {
		return usageError{err}
	}
	if r, err = inNamespace(r, *namespace, *nsLabels); err != nil {
		return err
	}
	if *namespace == "" && cfg.Scoped() {
		fmt.Fprintln(stderr, "pullthrough rewrite: the config has scoped mirrors; without --namespace none of them applies")
	}
	switch {
	case *file != "" && fs.NArg() > 0:
		return usagef("give images or -f, not both")
	case *file != "":
		return rewriteManifests(r, *file, *explain, stdout, stderr)
	case fs.NArg() == 0:
		return usagef("no images given (or use -f FILE)")
	}
	out := bufio.NewWriter(stdout)
	var unparseable []string
	for _, image := range fs.Args() {
		res := r.Rewrite(image)
		if res.Outcome == rewrite.OutcomeUnparseable {
			unparseable = append(unparseable, image)
		}
		if *explain {
			fmt.Fprintln(out, explanation(image, res))
		} else {
			fmt.Fprintln(out, res.Image)
		}
	}
	if err := out.Flush(); err != nil {
		return err
	}
	return unparseableError(unparseable)
}

// inNamespace is r as it routes in namespace ns with the labels given as
// k=v,... (Rewriter.In); r itself without a namespace.
func inNamespace(r *rewrite.Rewriter, ns, labelList string) (*rewrite.Rewriter, error) {
	if ns == "" {
		if labelList != "" {
			return nil, usagef("--namespace-labels needs --namespace")
		}
		return r, nil
	}
	if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
		return nil, usagef("--namespace %q: not a namespace name: %s", ns, strings.Join(msgs, "; "))
	}
	set, err := labels.ConvertSelectorToLabelsMap(labelList)
	if err != nil {
		return nil, usagef("--namespace-labels %q: %v", labelList, err)
	}
	set[corev1.LabelMetadataName] = ns
	return r.In(ns, set), nil
}

// explanation is one --explain line: IMAGE, RESULT, OUTCOME, REGISTRY.
func explanation(image string, res rewrite.Result) string {
	registry := res.Registry()
	if registry == "" {
		registry = "-"
	}
	return fmt.Sprintf("%s\t%s\t%s\t%s", image, res.Image, res.Outcome, registry)
}

// unparseableError fails the command (exit 1) when any image was not a
// valid reference: the output is still complete, but a script must notice.
func unparseableError(images []string) error {
	if len(images) == 0 {
		return nil
	}
	return fmt.Errorf("%d images are not valid references: %q", len(images), images)
}

// rewriteManifests rewrites a manifest stream to stdout (or, with explain,
// prints the decision for every image found in it) and summarises the
// decisions on stderr: one line per image that was rewritten, is still
// pulled from a public registry no mirror covers or cannot be read, then
// the counts.
func rewriteManifests(r *rewrite.Rewriter, path string, explain bool, stdout, stderr io.Writer) error {
	in, err := readInput(path)
	if err != nil {
		return usageError{fmt.Errorf("read manifests: %w", err)}
	}
	out, images, err := manifest.Rewrite(in, r)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if explain {
		out = nil
		for _, img := range images {
			out = fmt.Appendf(out, "%s:%d\t%s\t%s\t%s\n", path, img.Line, img.Object, img.Label(), explanation(img.Old, img.Result))
		}
	}
	if _, err := stdout.Write(out); err != nil {
		return err
	}
	counts := map[rewrite.Outcome]int{}
	var unparseable []string
	for _, img := range images {
		counts[img.Outcome]++
		if img.Outcome == rewrite.OutcomeUnparseable {
			unparseable = append(unparseable, img.Old)
		}
		switch img.Outcome {
		case rewrite.OutcomeRewritten:
			fmt.Fprintf(stderr, "%s:%d %s %s: %s -> %s\n", path, img.Line, img.Object, img.Label(), img.Old, img.Image)
		case rewrite.OutcomeUnroutedPublic:
			fmt.Fprintf(stderr, "%s:%d %s %s: %s pulls from public registry %s: no mirror covers it\n", path, img.Line, img.Object, img.Label(), img.Old, img.Public)
		case rewrite.OutcomeUnparseable:
			fmt.Fprintf(stderr, "%s:%d %s %s: cannot read image reference %q: left as is\n", path, img.Line, img.Object, img.Label(), img.Old)
		}
	}
	fmt.Fprintf(stderr, "%s: %d images:", path, len(images))
	for _, o := range rewrite.Outcomes {
		if counts[o] > 0 {
			fmt.Fprintf(stderr, " %d %s", counts[o], o)
		}
	}
	fmt.Fprintln(stderr)
	return unparseableError(unparseable)
}
