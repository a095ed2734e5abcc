import { strict as assert } from "assert";
import { podSpecOf, restrictedViolations } from "../policy/pod-security";

/**
 * The Pod Security Standards check of the policy pack (policy/pod-security.ts), check by check: a compliant pod,
 * then that pod with one field changed, each yielding exactly its own violation message. policy.test.ts runs the
 * check over the real renders; here every branch is pinned on its own (found by mutation testing, `npm run mutate`).
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

function container(name: string, securityContext: Obj = {}): Obj {
    return {
        name,
        ports: [{ containerPort: 8080 }],
        securityContext: {
            allowPrivilegeEscalation: false,
            runAsNonRoot: true,
            runAsUser: 1000,
            seccompProfile: { type: "RuntimeDefault" },
            capabilities: { drop: ["ALL"] },
            ...securityContext,
        },
    };
}

function compliantPod(): Obj {
    return {
        securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" }, sysctls: [{ name: "net.ipv4.tcp_syncookies", value: "1" }] },
        initContainers: [container("init")],
        containers: [container("app")],
        volumes: [
            { name: "cache", emptyDir: {} },
            { name: "conf", configMap: { name: "conf" } },
            { name: "data", persistentVolumeClaim: { claimName: "data" } },
        ],
    };
}

/** The compliant pod changed by `change`, and its violations. */
function violationsOf(change: (pod: Obj) => void): string[] {
    const pod = compliantPod();
    change(pod);
    return restrictedViolations(pod);
}

describe("policy pack: Pod Security Standards, restricted (policy/pod-security.ts)", () => {
    it("a compliant pod, with init containers, safe sysctls and allowed volume types, has no violation", () => {
        assert.deepEqual(restrictedViolations(compliantPod()), []);
        assert.deepEqual(violationsOf((pod) => (pod.securityContext.appArmorProfile = { type: "Localhost" })), []);
        assert.deepEqual(violationsOf((pod) => (pod.securityContext.appArmorProfile = { type: "RuntimeDefault" })), []);
        assert.deepEqual(violationsOf((pod) => (pod.containers[0].securityContext.seccompProfile = { type: "Localhost" })), []);
        assert.deepEqual(violationsOf((pod) => (pod.securityContext.seccompProfile = { type: "Localhost" })), []);
        assert.deepEqual(violationsOf((pod) => (pod.containers[0].securityContext.capabilities.add = ["NET_BIND_SERVICE"])), []);
        assert.deepEqual(violationsOf((pod) => (pod.containers[0].securityContext.procMount = "Default")), []);
    });

    it("baseline, pod level: host namespaces, HostProcess, hostPath and other volume types, unsafe sysctls, SELinux user/role, AppArmor", () => {
        for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
            assert.deepEqual(violationsOf((pod) => (pod[field] = true)), ["pod: host namespaces: hostNetwork/hostPID/hostIPC must be unset or false"], field);
        }
        assert.deepEqual(violationsOf((pod) => (pod.securityContext.windowsOptions = { hostProcess: true })), ["pod: HostProcess must not be set"]);
        assert.deepEqual(violationsOf((pod) => pod.volumes.push({ name: "root", hostPath: { path: "/" } })), [
            "pod: hostPath volumes: volume root is a hostPath",
            "pod: volume types: volume root has type hostPath",
        ]);
        assert.deepEqual(violationsOf((pod) => pod.volumes.push({ name: "share", nfs: { server: "nfs", path: "/" } })), ["pod: volume types: volume share has type nfs"]);
        assert.deepEqual(violationsOf((pod) => pod.securityContext.sysctls.push({ name: "kernel.msgmax", value: "1" })), ["pod: sysctls: kernel.msgmax is not in the safe set"]);
        for (const field of ["user", "role"]) {
            assert.deepEqual(violationsOf((pod) => (pod.securityContext.seLinuxOptions = { [field]: "x" })), ["pod: SELinux: user/role must not be set"], field);
        }
        assert.deepEqual(violationsOf((pod) => (pod.securityContext.seLinuxOptions = { level: "s0:c1" })), [], "a level alone is allowed");
        assert.deepEqual(violationsOf((pod) => (pod.securityContext.appArmorProfile = { type: "Unconfined" })), ["pod: AppArmor: must be RuntimeDefault or Localhost"]);
    });

    it("restricted, pod level: seccomp profile type and runAsUser 0", () => {
        assert.deepEqual(
            violationsOf((pod) => {
                pod.securityContext.seccompProfile = { type: "Unconfined" };
                for (const c of [...pod.initContainers, ...pod.containers]) delete c.securityContext.seccompProfile;
            }),
            [
                "pod: seccomp: Unconfined is not allowed",
                "container init: seccomp: profile must be RuntimeDefault or Localhost, found Unconfined",
                "container app: seccomp: profile must be RuntimeDefault or Localhost, found Unconfined",
            ],
        );
        assert.deepEqual(violationsOf((pod) => (pod.securityContext.runAsUser = 0)), ["pod: runAsUser: must not be 0"]);
    });

    it("container level: each check names the container, init and ephemeral containers included", () => {
        const app = (change: (sc: Obj, c: Obj) => void) =>
            violationsOf((pod) => {
                const c = pod.containers[0];
                change(c.securityContext, c);
            });
        assert.deepEqual(app((sc) => (sc.privileged = true)), ["container app: privileged: must be unset or false"]);
        assert.deepEqual(app((sc) => (sc.windowsOptions = { hostProcess: true })), ["container app: HostProcess must not be set"]);
        assert.deepEqual(app((_, c) => (c.ports = [{ containerPort: 80, hostPort: 80 }])), ["container app: host ports: 80 is a host port"]);
        assert.deepEqual(app((sc) => (sc.procMount = "Unmasked")), ["container app: /proc mount: must be Default"]);
        for (const field of ["user", "role"]) {
            assert.deepEqual(app((sc) => (sc.seLinuxOptions = { [field]: "x" })), ["container app: SELinux: user/role must not be set"], field);
        }
        assert.deepEqual(app((sc) => (sc.capabilities.add = ["SYS_ADMIN"])), [
            "container app: capabilities (baseline): SYS_ADMIN may not be added",
            "container app: capabilities: only NET_BIND_SERVICE may be added, found SYS_ADMIN",
        ]);
        assert.deepEqual(app((sc) => (sc.capabilities.add = ["CHOWN"])), ["container app: capabilities: only NET_BIND_SERVICE may be added, found CHOWN"]);
        assert.deepEqual(app((sc) => delete sc.allowPrivilegeEscalation), ["container app: privilege escalation: allowPrivilegeEscalation must be false"]);
        assert.deepEqual(app((sc) => (sc.runAsNonRoot = false)), ["container app: running as non-root: runAsNonRoot must be true"]);
        assert.deepEqual(app((sc) => delete sc.runAsNonRoot), [], "inherited from the pod");
        assert.deepEqual(
            violationsOf((pod) => {
                delete pod.securityContext.runAsNonRoot;
                delete pod.containers[0].securityContext.runAsNonRoot;
            }),
            ["container app: running as non-root: runAsNonRoot must be true"],
        );
        assert.deepEqual(app((sc) => (sc.runAsUser = 0)), ["container app: running as non-root user: runAsUser must not be 0"]);
        assert.deepEqual(app((sc) => delete sc.seccompProfile), [], "inherited from the pod");
        assert.deepEqual(
            violationsOf((pod) => {
                delete pod.securityContext.seccompProfile;
                delete pod.containers[0].securityContext.seccompProfile;
            }),
            ["container app: seccomp: profile must be RuntimeDefault or Localhost, found none"],
        );
        assert.deepEqual(app((sc) => (sc.capabilities.drop = ["NET_RAW"])), ["container app: capabilities: must drop ALL"]);
        assert.deepEqual(app((sc) => delete sc.capabilities), ["container app: capabilities: must drop ALL"]);
        assert.deepEqual(violationsOf((pod) => (pod.initContainers[0].securityContext.privileged = true)), ["container init: privileged: must be unset or false"]);
        assert.deepEqual(violationsOf((pod) => (pod.ephemeralContainers = [{ name: "debug" }])), [
            "container debug: privilege escalation: allowPrivilegeEscalation must be false",
            "container debug: capabilities: must drop ALL",
        ]);
        assert.deepEqual(restrictedViolations({}), [], "an empty pod spec has nothing to violate");
    });

    it("finds the pod spec in every workload kind, and none in other objects", () => {
        const spec = { containers: [] };
        assert.equal(podSpecOf({ kind: "Pod", spec }), spec);
        assert.equal(podSpecOf({ kind: "CronJob", spec: { jobTemplate: { spec: { template: { spec } } } } }), spec);
        for (const kind of ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]) {
            assert.equal(podSpecOf({ kind, spec: { template: { spec } } }), spec, kind);
        }
        assert.equal(podSpecOf({ kind: "CronJob" }), undefined);
        assert.equal(podSpecOf({ kind: "CronJob", spec: {} }), undefined);
        assert.equal(podSpecOf({ kind: "CronJob", spec: { jobTemplate: {} } }), undefined);
        assert.equal(podSpecOf({ kind: "CronJob", spec: { jobTemplate: { spec: {} } } }), undefined);
        assert.equal(podSpecOf({ kind: "Deployment" }), undefined);
        assert.equal(podSpecOf({ kind: "Deployment", spec: {} }), undefined);
        assert.equal(podSpecOf({ kind: "Service", spec }), undefined);
    });
});
