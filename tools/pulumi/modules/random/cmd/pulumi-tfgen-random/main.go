// Build-time generator: `pulumi-tfgen-random schema --out DIR` writes schema.json and
// bridge-metadata.json for cmd/pulumi-resource-random to embed.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	random "nsip.test/tools/pulumi/random"
)

func main() { tfgen.Main("random", random.Info(nil)) }
