import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";

/** The offline render (tools/render): the program runs under Pulumi's mocks, with no engine, cloud or Docker. */
export function isOfflineRender(): boolean {
    return pulumi.runtime.getMonitor() instanceof MockMonitor;
}

/** A real `pulumi up`: neither a preview nor the offline render. Checks that only an update can afford run here. */
export function isRealUpdate(): boolean {
    return !pulumi.runtime.isDryRun() && !isOfflineRender();
}
