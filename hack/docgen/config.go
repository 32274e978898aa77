package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/pullthrough/pullthrough/config"
)

// configSources are the packages whose types the config file is made of,
// keyed by import path: their doc comments describe the fields.
var configSources = map[string]string{
	"github.com/pullthrough/pullthrough/config":  "config",
	"github.com/pullthrough/pullthrough/rewrite": "rewrite",
}

// chartValues is where the chart's default config lives.
const chartValues = "deploy/charts/pullthrough/values.yaml"

// renderConfig documents every field of config.Config: its path, type, the
// binary's default (config.Default), the chart's (values.yaml), and the
// field's doc comment, which states its rule; enum types list their values.
func renderConfig(root string) ([]byte, error) {
	docs, err := typeDocs(root)
	if err != nil {
		return nil, err
	}
	chart, err := chartConfig(filepath.Join(root, chartValues))
	if err != nil {
		return nil, err
	}
	// Every optional struct allocated, so that Default shows what it fills in.
	defaulted := config.Config{ProxyHealth: &config.ProxyHealth{}}
	defaulted.Default()

	b := header("Configuration reference", "the config types (package config), config.Default and the chart's values.yaml")
	b.WriteString("The config file is YAML or JSON, decoded strictly: an unknown or duplicate field is an error, and\n" +
		"every error names the file, the field path and the value (`mirrors[1].target: Invalid value: ...`).\n" +
		"The webhook, the migrator and every other command read the same file.\n\n" +
		"**Binary default** is what `pullthrough` fills in when the field is left out (`proxyHealth` defaults\n" +
		"apply once `proxyHealth` is set). **Chart default** is the value of `config.<field>` in the Helm chart's\n" +
		"values.yaml; the chart also adds its release namespace and `excludedNamespaces` to\n" +
		"`exclude.namespaces`, and sets `proxyHealth.caBundle` from the `proxyHealth.caBundle` value.\n" +
		"A hand-written config without `mode` enforces; the chart's default is `audit`.\n\n")
	b.WriteString("| Field | Type | Binary default | Chart default | Meaning and rules |\n|---|---|---|---|---|\n")
	walkFields(reflect.TypeFor[config.Config](), reflect.ValueOf(defaulted), "", func(f fieldRow) {
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", f.path, f.kind(docs), code(f.binary), code(lookup(chart, f.path)), cell(docs.fields[f.owner+"."+f.goName]))
	})
	return b.Bytes(), nil
}

// fieldRow is one field of the config, found by walkFields.
type fieldRow struct {
	path, goName, owner, binary string
	typ                         reflect.Type
}

// kind names the field's type for a reader: YAML's words, with the values of
// an enum type (a string type with declared constants).
func (f fieldRow) kind(docs *goDocs) string {
	t := f.typ
	switch {
	case t == reflect.TypeFor[metav1.Duration]():
		return "duration (`10s`, `1m`)"
	case t.Kind() == reflect.Pointer:
		return fieldRow{path: f.path, typ: t.Elem()}.kind(docs)
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		return "list of objects"
	case t.Kind() == reflect.Slice:
		return "list of " + fieldRow{path: f.path, typ: t.Elem()}.kind(docs)
	case t.Kind() == reflect.Struct:
		return "object"
	case t.Kind() == reflect.String:
		if values := acceptedValues(f.path, docs.enums[t.Name()]); len(values) > 0 {
			return "string: " + strings.Join(values, ", ")
		}
		return "string"
	case t.Kind() == reflect.Int:
		return "integer"
	}
	return t.Kind().String()
}

// walkFields visits every JSON field of t, depth first, with the value it has
// in v (the defaulted config).
func walkFields(t reflect.Type, v reflect.Value, prefix string, visit func(fieldRow)) {
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		fv := reflect.Value{}
		if v.IsValid() {
			fv = v.Field(i)
		}
		visit(fieldRow{path: path, goName: sf.Name, owner: t.Name(), binary: defaultOf(fv), typ: sf.Type})
		elem := sf.Type
		for elem.Kind() == reflect.Pointer || elem.Kind() == reflect.Slice {
			elem = elem.Elem()
			if fv.IsValid() && fv.Kind() == reflect.Pointer {
				fv = fv.Elem()
			} else {
				fv = reflect.Value{} // a list's elements have no default
			}
		}
		if elem.Kind() == reflect.Struct && elem != reflect.TypeFor[metav1.Duration]() {
			if sf.Type.Kind() == reflect.Slice {
				path += "[]"
			}
			walkFields(elem, fv, path, visit)
		}
	}
}

// defaultOf renders a defaulted leaf value, or "" when it is the zero value
// or a container.
func defaultOf(v reflect.Value) string {
	if !v.IsValid() {
		return ""
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	switch {
	case v.Type() == reflect.TypeFor[metav1.Duration]():
		if d := v.Interface().(metav1.Duration).Duration; d != 0 {
			return d.String()
		}
		return ""
	case v.Kind() == reflect.Struct, v.Kind() == reflect.Slice, v.IsZero() && v.Kind() != reflect.Bool:
		return ""
	}
	return fmt.Sprint(v.Interface())
}

// chartConfig reads the config: section of the chart's values.yaml.
func chartConfig(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var values struct {
		Config map[string]any `json:"config"`
	}
	if err := yaml.Unmarshal(data, &values); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return values.Config, nil
}

// lookup renders the chart's value at a dotted path, or "" when the chart
// leaves it out (the binary's default applies) or it is inside a list.
func lookup(values map[string]any, path string) string {
	var cur any = values
	for part := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		if cur, ok = m[part]; !ok {
			return ""
		}
	}
	if s, ok := cur.(string); ok {
		return s
	}
	out, err := json.Marshal(cur)
	if err != nil {
		return fmt.Sprint(cur)
	}
	return string(out)
}

// goDocs are the doc comments of the config's types.
type goDocs struct {
	fields map[string]string   // "Type.Field" -> doc comment, one line
	enums  map[string][]string // string type name -> its constants' values
}

// typeDocs parses the config's packages for their field comments and the
// values of their string enums.
func typeDocs(root string) (*goDocs, error) {
	out := &goDocs{fields: map[string]string{}, enums: map[string][]string{}}
	for importPath, dir := range configSources {
		fset := token.NewFileSet()
		var files []*ast.File
		matches, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
		if err != nil {
			return nil, err
		}
		for _, m := range matches {
			if strings.HasSuffix(m, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, m, nil, parser.ParseComments)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
		pkg, err := doc.NewFromFiles(fset, files, importPath)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		for _, t := range pkg.Types {
			collectType(out, t)
		}
	}
	return out, nil
}

func collectType(out *goDocs, t *doc.Type) {
	for _, spec := range t.Decl.Specs {
		st, ok := spec.(*ast.TypeSpec).Type.(*ast.StructType)
		if !ok {
			continue
		}
		for _, f := range st.Fields.List {
			for _, n := range f.Names {
				out.fields[t.Name+"."+n.Name] = strings.Join(strings.Fields(f.Doc.Text()), " ")
			}
		}
	}
	for _, c := range t.Consts {
		for _, spec := range c.Decl.Specs {
			vs := spec.(*ast.ValueSpec)
			for _, v := range vs.Values {
				if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					out.enums[t.Name] = append(out.enums[t.Name], strings.Trim(lit.Value, `"`))
				}
			}
		}
	}
	slices.Sort(out.enums[t.Name])
}

// minimalConfig is the smallest config the binary accepts.
const minimalConfig = "mirrors: [{source: docker.io, target: proxy.example.internal/dockerhub}]\n"

// acceptedValues keeps the enum values the config accepts at path: a type's
// constants may serve elsewhere too (Mode's off is a namespace label value,
// not a config mode). Only top-level fields are tried; nested ones list
// every constant.
func acceptedValues(path string, values []string) []string {
	var out []string
	for _, v := range values {
		if !strings.Contains(path, ".") {
			if _, err := config.Parse([]byte(minimalConfig + path + ": " + v + "\n")); err != nil {
				continue
			}
		}
		out = append(out, "`"+v+"`")
	}
	return out
}
