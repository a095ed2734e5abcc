// The pulumi-resource-random plugin. schema.json and bridge-metadata.json are not committed:
// tools/pulumi/binaries.sh runs pulumi-tfgen-random into this directory (in a scratch copy of the
// module) right before building it. The schema gets the plugin's version at start-up, as
// upstream bridged providers stamp theirs at build time.
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	random "nsip.test/tools/pulumi/random"
)

//go:embed schema.json
var schema []byte

//go:embed bridge-metadata.json
var bridgeMetadata []byte

func main() {
	spec := map[string]json.RawMessage{}
	if err := json.Unmarshal(schema, &spec); err != nil {
		fmt.Fprintf(os.Stderr, "embedded schema.json: %v\n", err)
		os.Exit(1)
	}
	spec["version"], _ = json.Marshal(random.Version)
	versioned, err := json.Marshal(spec)
	if err != nil {
		fmt.Fprintf(os.Stderr, "embedded schema.json: %v\n", err)
		os.Exit(1)
	}
	pf.Main(context.Background(), "random", random.Info(bridgeMetadata), pf.ProviderMetadata{PackageSchema: versioned})
}
