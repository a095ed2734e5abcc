// Our own entry point for pulumi-resource-kubernetes. The upstream main embeds a schema that its
// `go generate` step writes and that the module zip therefore lacks; this one embeds the module's
// committed schema.json and terraform-mapping.json, which tools/pulumi/binaries.sh copies next to
// this file in a scratch copy of the module before building, and stamps the version into the
// schema at start-up, as the upstream generate step does at build time.
package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema.json
var schema []byte

//go:embed terraform-mapping.json
var terraformMapping []byte

func main() {
	spec := map[string]json.RawMessage{}
	if err := json.Unmarshal(schema, &spec); err != nil {
		fmt.Fprintf(os.Stderr, "embedded schema.json: %v\n", err)
		os.Exit(1)
	}
	spec["version"], _ = json.Marshal(version.Version)
	versioned, err := json.Marshal(spec)
	if err != nil {
		fmt.Fprintf(os.Stderr, "embedded schema.json: %v\n", err)
		os.Exit(1)
	}
	provider.Serve("kubernetes", version.Version, versioned, terraformMapping)
}
