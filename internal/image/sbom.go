package image

import (
	"encoding/json"
	"fmt"
	"regexp"
	"runtime/debug"
	"strings"
	"time"
)

// SBOMMediaType is the media type of the SBOM documents, and the artifact
// type of the manifests that carry them.
const SBOMMediaType = "application/spdx+json"

// SBOM returns an SPDX 2.3 JSON document describing one binary: the main
// module at meta.Version with the binary's SHA-256, the Go standard library
// at the toolchain's version, and every module linked in, as the binary's own
// build information records them (debug/buildinfo), each with a package URL
// that vulnerability scanners match. name says which binary, e.g.
// pullthrough-0.1.0-linux-arm64.
func SBOM(bi *debug.BuildInfo, binarySHA256, name string, meta Meta) ([]byte, error) {
	if bi == nil || bi.Main.Path == "" {
		return nil, fmt.Errorf("SBOM of %s: the binary holds no module build information", name)
	}
	main := spdxPackage{
		Name:             bi.Main.Path,
		SPDXID:           spdxID(bi.Main.Path),
		VersionInfo:      meta.Version,
		DownloadLocation: "git+" + meta.Source + "@" + meta.Revision,
		LicenseConcluded: License,
		LicenseDeclared:  License,
		Checksums:        []spdxChecksum{{Algorithm: "SHA256", ChecksumValue: binarySHA256}},
		ExternalRefs:     []spdxRef{purl(bi.Main.Path, "v"+meta.Version)},
	}
	goVersion := strings.TrimPrefix(bi.GoVersion, "go")
	pkgs := []spdxPackage{main, module("stdlib", goVersion)}
	for _, dep := range bi.Deps {
		if dep.Replace != nil {
			dep = dep.Replace
		}
		pkgs = append(pkgs, module(dep.Path, dep.Version))
	}
	rels := []spdxRelationship{{Element: "SPDXRef-DOCUMENT", Type: "DESCRIBES", Related: main.SPDXID}}
	for _, p := range pkgs[1:] {
		rels = append(rels, spdxRelationship{Element: main.SPDXID, Type: "DEPENDS_ON", Related: p.SPDXID})
	}
	doc := spdxDocument{
		SPDXVersion:       "SPDX-2.3",
		DataLicense:       "CC0-1.0",
		SPDXID:            "SPDXRef-DOCUMENT",
		Name:              name,
		DocumentNamespace: strings.TrimSuffix(meta.Source, "/") + "/spdx/" + name + "-" + binarySHA256,
		CreationInfo: spdxCreationInfo{
			Created:  meta.Created.UTC().Format(time.RFC3339),
			Creators: []string{"Organization: The pullthrough Authors", "Tool: pullthrough-hack-image"},
		},
		Packages:      pkgs,
		Relationships: rels,
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the SBOM of %s: %w", name, err)
	}
	return append(out, '\n'), nil
}

// module is an SBOM package for a Go module (or the standard library).
func module(path, version string) spdxPackage {
	return spdxPackage{
		Name:             path,
		SPDXID:           spdxID(path),
		VersionInfo:      version,
		DownloadLocation: "NOASSERTION",
		LicenseConcluded: "NOASSERTION",
		LicenseDeclared:  "NOASSERTION",
		ExternalRefs:     []spdxRef{purl(path, version)},
	}
}

// purl is the package URL of a Go module, as scanners (grype, trivy) match them.
func purl(path, version string) spdxRef {
	return spdxRef{Category: "PACKAGE-MANAGER", Type: "purl", Locator: "pkg:golang/" + path + "@" + version}
}

var notIDChars = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// spdxID is an SPDX element ID for a module path: SPDX allows letters,
// digits, '.' and '-'; a module path appears once in a binary.
func spdxID(path string) string {
	return "SPDXRef-Package-" + notIDChars.ReplaceAllString(path, "-")
}

type spdxDocument struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreationInfo   `json:"creationInfo"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	Name             string         `json:"name"`
	SPDXID           string         `json:"SPDXID"`
	VersionInfo      string         `json:"versionInfo"`
	DownloadLocation string         `json:"downloadLocation"`
	FilesAnalyzed    bool           `json:"filesAnalyzed"`
	LicenseConcluded string         `json:"licenseConcluded"`
	LicenseDeclared  string         `json:"licenseDeclared"`
	CopyrightText    string         `json:"copyrightText,omitempty"`
	Checksums        []spdxChecksum `json:"checksums,omitempty"`
	ExternalRefs     []spdxRef      `json:"externalRefs"`
}

type spdxChecksum struct {
	Algorithm     string `json:"algorithm"`
	ChecksumValue string `json:"checksumValue"`
}

type spdxRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}
