// Package warm fills a pull-through proxy with the tags behind the digest
// references that pull through it (`pullthrough warm`), so that a proxy which
// cannot fill a first pull by digest serves it afterwards: an Amazon ECR
// pull-through cache answers "not found" for repo@sha256:… (and
// repo:tag@sha256:…) until the tag was pulled through it once
// (aws/containers-roadmap#2837), and pullthrough keeps digests as written.
//
// The contract:
//   - The references are found where the rest of pullthrough finds them:
//     FromManifests reads manifests with podspec/manifest (as `pullthrough
//     rewrite -f` does), Collector takes the rows of a migration plan (as
//     `pullthrough migrate` lists workloads and bare pods). Only references
//     that pull through the proxy count: rewritten, already proxied, or a
//     rewrite that audit withholds today and enforce will apply.
//   - Select is pure: each distinct digest reference once per namespace
//     (another namespace has other pull secrets), with the tag behind it;
//     references without a digest are left out, since a proxy fills a tag on
//     its own first pull.
//   - Run pulls each tag with one manifest GET through the Proxy (no layer),
//     then asks with a manifest HEAD whether the proxy serves the digest,
//     exactly what a runtime asks first. A reference with a digest and no tag
//     cannot be warmed: its row says so, and it is still checked.
//   - A reference fails when the proxy does not serve its digest afterwards;
//     the Result names why (the tag's pull, the tag now pointing elsewhere,
//     no tag). Results are a plain slice, one per reference, for the caller
//     to print and to hand on.
package warm
