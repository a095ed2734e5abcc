/**
 * The Pod Security Standards "restricted" profile (which includes "baseline"), check by check as the
 * Kubernetes documentation lists them (https://kubernetes.io/docs/concepts/security/pod-security-standards/).
 * Works on plain pod specs as they appear in rendered manifests.
 */

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const allowedVolumeTypes = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]);
const safeSysctls = new Set([
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
]);
const baselineCapabilities = new Set(["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]);

/** Returns every violated check as "<container or pod>: <check>: <what is wrong>"; empty means compliant. */
export function restrictedViolations(pod: Obj): string[] {
    const v: string[] = [];
    const podSc: Obj = pod.securityContext ?? {};
    const containers: Obj[] = [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])];

    // Baseline.
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) v.push("pod: host namespaces: hostNetwork/hostPID/hostIPC must be unset or false");
    if (podSc.windowsOptions?.hostProcess) v.push("pod: HostProcess must not be set");
    for (const vol of pod.volumes ?? []) {
        if (vol.hostPath) v.push(`pod: hostPath volumes: volume ${vol.name} is a hostPath`);
        const type = Object.keys(vol).find((k) => k !== "name");
        if (type && !allowedVolumeTypes.has(type)) v.push(`pod: volume types: volume ${vol.name} has type ${type}`);
    }
    for (const s of podSc.sysctls ?? []) if (!safeSysctls.has(s.name)) v.push(`pod: sysctls: ${s.name} is not in the safe set`);
    if (podSc.seLinuxOptions?.user || podSc.seLinuxOptions?.role) v.push("pod: SELinux: user/role must not be set");
    if (podSc.appArmorProfile && !["RuntimeDefault", "Localhost"].includes(podSc.appArmorProfile.type)) v.push("pod: AppArmor: must be RuntimeDefault or Localhost");

    // Restricted, pod level.
    const podSeccomp = podSc.seccompProfile?.type;
    if (podSeccomp !== undefined && !["RuntimeDefault", "Localhost"].includes(podSeccomp)) v.push(`pod: seccomp: ${podSeccomp} is not allowed`);
    if (podSc.runAsUser === 0) v.push("pod: runAsUser: must not be 0");

    for (const c of containers) {
        const sc: Obj = c.securityContext ?? {};
        const where = `container ${c.name}`;
        if (sc.privileged) v.push(`${where}: privileged: must be unset or false`);
        if (sc.windowsOptions?.hostProcess) v.push(`${where}: HostProcess must not be set`);
        for (const p of c.ports ?? []) if (p.hostPort) v.push(`${where}: host ports: ${p.hostPort} is a host port`);
        if (sc.procMount && sc.procMount !== "Default") v.push(`${where}: /proc mount: must be Default`);
        if (sc.seLinuxOptions?.user || sc.seLinuxOptions?.role) v.push(`${where}: SELinux: user/role must not be set`);
        for (const cap of sc.capabilities?.add ?? []) if (!baselineCapabilities.has(cap)) v.push(`${where}: capabilities (baseline): ${cap} may not be added`);

        if (sc.allowPrivilegeEscalation !== false) v.push(`${where}: privilege escalation: allowPrivilegeEscalation must be false`);
        if (!(sc.runAsNonRoot === true || (sc.runAsNonRoot === undefined && podSc.runAsNonRoot === true))) v.push(`${where}: running as non-root: runAsNonRoot must be true`);
        if (sc.runAsUser === 0) v.push(`${where}: running as non-root user: runAsUser must not be 0`);
        const seccomp = sc.seccompProfile?.type ?? podSeccomp;
        if (!["RuntimeDefault", "Localhost"].includes(seccomp)) v.push(`${where}: seccomp: profile must be RuntimeDefault or Localhost, found ${seccomp ?? "none"}`);
        const drop: string[] = sc.capabilities?.drop ?? [];
        if (!drop.includes("ALL")) v.push(`${where}: capabilities: must drop ALL`);
        for (const cap of sc.capabilities?.add ?? []) if (cap !== "NET_BIND_SERVICE") v.push(`${where}: capabilities: only NET_BIND_SERVICE may be added, found ${cap}`);
    }
    return v;
}

/** The pod spec inside a workload manifest (Deployment, StatefulSet, Job, CronJob, Pod), or undefined. */
export function podSpecOf(manifest: Obj): Obj | undefined {
    switch (manifest.kind) {
        case "Pod":
            return manifest.spec;
        case "CronJob":
            return manifest.spec?.jobTemplate?.spec?.template?.spec;
        case "Deployment":
        case "StatefulSet":
        case "DaemonSet":
        case "ReplicaSet":
        case "Job":
            return manifest.spec?.template?.spec;
        default:
            return undefined;
    }
}
