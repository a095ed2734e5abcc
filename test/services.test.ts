import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { readFileSync } from "fs";
import { join } from "path";
import { parse as parseYaml } from "yaml";
import { renderToTemp } from "./support/render-helper";
import { restrictedViolations } from "../policy/pod-security";
import { autoName } from "../tools/render/mocks";
import { bytes, cpuCores, Manifest, manifest, manifestsOf, podTemplates, resourcesOfType } from "./support/rendered";

const eight = ["analyzer", "api", "frontend", "grafana", "nginx", "postgres", "prometheus", "redis"];
const stateless = ["analyzer", "api", "frontend", "nginx"];
const statefulSets = ["postgres", "prometheus", "redis"];

const workload = (r: Awaited<ReturnType<typeof renderToTemp>>, name: string): Manifest =>
    manifestsOf(r).find((m) => ["Deployment", "StatefulSet"].includes(m.kind) && m.metadata.name === name) ??
    assert.fail(`no workload ${name}`);
const containerOf = (w: Manifest, name: string): Manifest => w.spec.template.spec.containers.find((c: Manifest) => c.name === name);
const envOf = (c: Manifest, name: string): Manifest | undefined => (c.env ?? []).find((e: Manifest) => e.name === name);


/** An `existing` cluster with prebuilt images, backing up to an S3-compatible endpoint with writer and reader key pairs. */
function s3CompatibleStack(): Record<string, unknown> {
    const digest = (name: string) => `registry.example.com/team/${name}@sha256:${"ab".repeat(32)}`;
    return {
        "nsip:cluster": { provider: "existing", context: "staging" },
        "nsip:edge": { hostname: "nsip.staging.example.com" },
        "nsip:images": { prebuilt: { api: digest("api"), frontend: digest("frontend"), analyzer: digest("analyzer") } },
        "nsip:backup": {
            retentionDays: 14,
            target: {
                kind: "s3Compatible",
                endpoint: "https://minio.example.com:9000",
                bucket: "nsip-backups",
                region: "us-east-1",
                writer: { accessKeyId: "WRITER", secretAccessKey: { secure: "v1:writer" } },
                reader: { accessKeyId: "READER", secretAccessKey: { secure: "v1:reader" } },
            },
        },
    };
}

describe("the eight services", function () {
    this.timeout(180_000);

    for (const stack of ["dev", "prod"]) {
        describe(`${stack}: what every workload gets from the shared builder`, () => {
            it("all eight services run, stateful ones as StatefulSets, the rest as Deployments", async () => {
                const r = await renderToTemp(stack);
                const deployments = manifestsOf(r, "Deployment").map((m) => m.metadata.name).sort();
                const sets = manifestsOf(r, "StatefulSet").map((m) => m.metadata.name).sort();
                assert.deepEqual(sets, statefulSets);
                // kube-state-metrics reports the backup CronJob's status for the freshness alert; prod on EKS adds the
                // Cluster Autoscaler, through the same builder.
                const autoscaler = stack === "prod" ? ["cluster-autoscaler"] : [];
                assert.deepEqual(deployments, ["analyzer", "api", "frontend", "grafana", "kube-state-metrics", "nginx", ...autoscaler].sort());
                const others = ["health-probe", "kube-state-metrics", "migrations", "postgres-backup", "postgres-restore", ...autoscaler];
                assert.deepEqual(manifestsOf(r, "ServiceAccount").map((m) => m.metadata.name).sort(), [...eight, ...others].sort());
            });

            it("recommended labels on every object", async () => {
                for (const m of manifestsOf(await renderToTemp(stack))) {
                    const labels = m.metadata.labels ?? {};
                    for (const key of ["name", "instance", "component", "part-of", "version"]) {
                        assert.ok(labels[`app.kubernetes.io/${key}`], `${m.kind}/${m.metadata.name} lacks app.kubernetes.io/${key}`);
                    }
                    assert.equal(labels["app.kubernetes.io/part-of"], "nsip");
                    assert.equal(labels["app.kubernetes.io/instance"], `nsip-${stack}`);
                }
            });

            it("every container: non-root, no privilege escalation, drop ALL, RuntimeDefault seccomp, read-only root", async () => {
                for (const t of podTemplates(await renderToTemp(stack))) {
                    assert.equal(t.spec.securityContext.runAsNonRoot, true, t.owner);
                    assert.notEqual(t.spec.securityContext.runAsUser, 0, t.owner);
                    assert.notEqual(t.spec.securityContext.runAsGroup, 0, t.owner);
                    assert.equal(t.spec.securityContext.seccompProfile.type, "RuntimeDefault", t.owner);
                    for (const c of [...(t.spec.initContainers ?? []), ...t.spec.containers]) {
                        const sc = c.securityContext;
                        assert.equal(sc.allowPrivilegeEscalation, false, `${t.owner}/${c.name}`);
                        assert.deepEqual(sc.capabilities.drop, ["ALL"], `${t.owner}/${c.name}`);
                        assert.equal(sc.readOnlyRootFilesystem, true, `${t.owner}/${c.name}`);
                        assert.equal(sc.seccompProfile.type, "RuntimeDefault", `${t.owner}/${c.name}`);
                    }
                }
            });

            it("writable paths are emptyDirs (or the data volume), mounted where the images write", async () => {
                const r = await renderToTemp(stack);
                const mounts = (name: string, container: string) =>
                    containerOf(workload(r, name), container).volumeMounts.filter((m: Manifest) => !m.readOnly).map((m: Manifest) => m.mountPath).sort();
                assert.deepEqual(mounts("api", "api"), ["/tmp"]);
                assert.deepEqual(mounts("analyzer", "analyzer"), ["/dev/shm", "/tmp", "/tmp/prometheus"]);
                assert.deepEqual(mounts("frontend", "frontend"), ["/tmp"]);
                assert.deepEqual(mounts("postgres", "postgres"), ["/dev/shm", "/tmp", "/var/lib/postgresql/data", "/var/run/postgresql"]);
                const volumes = workload(r, "postgres").spec.template.spec.volumes as Manifest[];
                assert.equal(volumes.find((v) => v.name === "postgres-dev-shm")?.emptyDir.medium, "Memory", "memory-backed /dev/shm");
                assert.deepEqual(mounts("grafana", "grafana"), ["/tmp", "/var/lib/grafana"]);
            });

            it("ServiceAccount tokens are off everywhere but prometheus and kube-state-metrics (namespaced Roles) and the autoscaler (prod)", async () => {
                const r = await renderToTemp(stack);
                for (const t of podTemplates(r)) {
                    const expected = ["StatefulSet/prometheus", "Deployment/kube-state-metrics", "Deployment/cluster-autoscaler"].includes(t.owner);
                    assert.equal(t.spec.automountServiceAccountToken, expected, t.owner);
                    // The backup pods carry the traffic table's name; their ServiceAccount is the one Pod Identity associates.
                    const ownAccount = t.owner.startsWith("CronJob/") ? t.owner.slice("CronJob/".length) : t.labels["app.kubernetes.io/name"];
                    assert.equal(t.spec.serviceAccountName, ownAccount, `${t.owner} runs as its own ServiceAccount`);
                }
                const role = manifest(r, "Role", "prometheus-discovery");
                for (const rule of role.rules) {
                    assert.deepEqual(rule.verbs, ["get", "list", "watch"]);
                    assert.ok(!rule.resources.includes("secrets"));
                }
                const binding = manifest(r, "RoleBinding", "prometheus-discovery");
                assert.deepEqual(binding.subjects.map((s: Manifest) => s.name), ["prometheus"]);
                // kube-state-metrics: list and watch CronJobs and Jobs in the namespace, nothing more.
                assert.deepEqual(manifest(r, "Role", "kube-state-metrics").rules, [{ apiGroups: ["batch"], resources: ["cronjobs", "jobs"], verbs: ["list", "watch"] }]);
                assert.deepEqual(manifest(r, "RoleBinding", "kube-state-metrics").subjects.map((s: Manifest) => s.name), ["kube-state-metrics"]);
                assert.ok(containerOf(workload(r, "kube-state-metrics"), "kube-state-metrics").args.includes("--namespaces=nsip"), "it watches its own namespace only");
                // Cluster scope only for the autoscaler, which reads nodes and pods everywhere and never Secrets.
                const clusterRoles = manifestsOf(r, "ClusterRole");
                assert.deepEqual(clusterRoles.map((c) => c.metadata.name), stack === "prod" ? ["nsip-prod-cluster-autoscaler"] : []);
                for (const rule of clusterRoles.flatMap((c) => c.rules)) assert.ok(!rule.resources.includes("secrets"));
                assert.deepEqual(manifestsOf(r, "ClusterRoleBinding").flatMap((b) => b.subjects.map((s: Manifest) => `${s.namespace}/${s.name}`)), stack === "prod" ? ["nsip/cluster-autoscaler"] : []);
            });

            it("requests and limits for cpu, memory and ephemeral storage on every container", async () => {
                for (const t of podTemplates(await renderToTemp(stack))) {
                    for (const c of [...(t.spec.initContainers ?? []), ...t.spec.containers]) {
                        for (const kind of ["requests", "limits"]) {
                            for (const resource of ["cpu", "memory", "ephemeral-storage"]) {
                                assert.ok(c.resources?.[kind]?.[resource], `${t.owner}/${c.name} lacks ${kind}.${resource}`);
                            }
                        }
                    }
                }
            });

            it("readiness and liveness probes that differ, and startup probes on the main containers", async () => {
                const r = await renderToTemp(stack);
                for (const t of podTemplates(r).filter((p) => !/^(Cron)?Job\//.test(p.owner))) {
                    for (const c of t.spec.containers) {
                        assert.ok(c.readinessProbe && c.livenessProbe, `${t.owner}/${c.name} lacks probes`);
                        assert.notDeepEqual(c.readinessProbe, c.livenessProbe, `${t.owner}/${c.name}: liveness must differ from readiness`);
                    }
                    assert.ok(t.spec.containers[0].startupProbe, `${t.owner} main container lacks a startup probe`);
                }
                assert.deepEqual(containerOf(workload(r, "api"), "api").readinessProbe.httpGet.path, "/ready");
                assert.deepEqual(containerOf(workload(r, "api"), "api").livenessProbe.httpGet.path, "/health");
                assert.match(containerOf(workload(r, "postgres"), "postgres").readinessProbe.exec.command.join(" "), /pg_isready/);
            });

            it("one Service per workload; StatefulSets get a headless one; metrics ports are named `metrics`", async () => {
                const r = await renderToTemp(stack);
                for (const name of eight) {
                    const svc = manifest(r, "Service", name);
                    if (statefulSets.includes(name)) assert.equal(svc.spec.clusterIP, "None", `${name} headless`);
                    assert.deepEqual(svc.spec.selector, { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": `nsip-${stack}` });
                }
                const metricsPorts = (name: string) => manifest(r, "Service", name).spec.ports.filter((p: Manifest) => p.name === "metrics").map((p: Manifest) => p.port);
                assert.deepEqual(metricsPorts("api"), [9100]);
                assert.deepEqual(metricsPorts("analyzer"), [9100]);
                assert.deepEqual(metricsPorts("postgres"), [9187]);
                assert.deepEqual(metricsPorts("redis"), [9121]);
                assert.deepEqual(metricsPorts("nginx"), [9113]);
            });

            it("the edge LoadBalancer carries traffic ports only, never a metrics port", async () => {
                const lb = manifest(await renderToTemp(stack), "Service", "nginx-public");
                assert.equal(lb.spec.type, "LoadBalancer");
                for (const p of lb.spec.ports) assert.ok([8080, 8090].includes(p.targetPort), `edge port ${p.name} -> ${p.targetPort}`);
            });
        });
    }

    describe("dev: relaxed where the profile says so, and small", () => {
        it("baseline Pod Security enforced, restricted warned and audited", async () => {
            const ns = manifest(await renderToTemp("dev"), "Namespace", "nsip");
            assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "baseline");
            assert.equal(ns.metadata.labels["pod-security.kubernetes.io/warn"], "restricted");
            assert.equal(ns.metadata.labels["pod-security.kubernetes.io/audit"], "restricted");
        });

        it("one replica, no PDBs, no HPAs, no spreading, nothing protected", async () => {
            const r = await renderToTemp("dev");
            for (const name of stateless) assert.equal(workload(r, name).spec.replicas, 1, name);
            assert.equal(manifestsOf(r, "PodDisruptionBudget").length, 0);
            assert.equal(manifestsOf(r, "HorizontalPodAutoscaler").length, 0);
            for (const t of podTemplates(r)) assert.equal(t.spec.topologySpreadConstraints, undefined, t.owner);
            assert.equal(r.resources.filter((res) => res.protect || res.retainOnDelete).length, 0);
        });

        it("fits a laptop: all dev pods together request at most 1.5 CPU and 2 GiB", async () => {
            let cpu = 0;
            let memory = 0;
            for (const t of podTemplates(await renderToTemp("dev"))) {
                for (const c of t.spec.containers) {
                    cpu += cpuCores(c.resources.requests.cpu);
                    memory += bytes(c.resources.requests.memory);
                }
            }
            assert.ok(cpu <= 1.5, `dev requests ${cpu} CPU`);
            assert.ok(memory <= 2 * 2 ** 30, `dev requests ${(memory / 2 ** 30).toFixed(2)} GiB`);
        });

        it("the edge is plain HTTP without HSTS", async () => {
            const conf = manifest(await renderToTemp("dev"), "ConfigMap", "nginx-config").data["nginx.conf"] as string;
            assert.doesNotMatch(conf, /add_header Strict-Transport-Security/);
            assert.deepEqual(manifest(await renderToTemp("dev"), "Service", "nginx-public").spec.ports.map((p: Manifest) => p.port), [80]);
        });
    });

    describe("prod: the hardened profile", () => {
        it("restricted Pod Security enforced on the namespace", async () => {
            const ns = manifest(await renderToTemp("prod"), "Namespace", "nsip");
            assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
        });

        it("every pod template, Jobs included, passes every Pod Security Standards restricted check", async () => {
            const templates = podTemplates(await renderToTemp("prod"));
            assert.ok(templates.some((t) => t.owner.startsWith("Job/")), "the migration Job is checked too");
            assert.ok(templates.some((t) => t.owner === "CronJob/postgres-backup"), "the backup CronJob is checked too");
            for (const t of templates) assert.deepEqual(restrictedViolations(t.spec), [], t.owner);
        });

        it("stateless services run at least 2 replicas; api HPA 3-10 at 70% CPU; analyzer HPA", async () => {
            const r = await renderToTemp("prod");
            for (const name of ["frontend", "nginx"]) assert.ok(workload(r, name).spec.replicas >= 2, name);
            const hpa = (name: string) => manifest(r, "HorizontalPodAutoscaler", name).spec;
            assert.equal(hpa("api").minReplicas, 3);
            assert.equal(hpa("api").maxReplicas, 10);
            assert.equal(hpa("api").metrics[0].resource.target.averageUtilization, 70);
            assert.ok(hpa("analyzer").minReplicas >= 2);
            assert.equal(workload(r, "api").spec.replicas, undefined, "the HPA owns the api's replica count");
        });

        it("a PodDisruptionBudget with unhealthyPodEvictionPolicy for every workload", async () => {
            const r = await renderToTemp("prod");
            const pdbs = manifestsOf(r, "PodDisruptionBudget");
            assert.deepEqual(pdbs.map((p) => p.metadata.name).sort(), [...eight, "kube-state-metrics", "cluster-autoscaler"].sort());
            for (const p of pdbs) assert.equal(p.spec.unhealthyPodEvictionPolicy, "AlwaysAllow");
        });

        it("stateless pods spread over zones with host anti-affinity", async () => {
            const r = await renderToTemp("prod");
            for (const name of stateless) {
                const spec = workload(r, name).spec.template.spec;
                assert.equal(spec.topologySpreadConstraints[0].topologyKey, "topology.kubernetes.io/zone", name);
                assert.equal(spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey, "kubernetes.io/hostname", name);
            }
        });

        it("zero-downtime rollouts: maxUnavailable 0, maxSurge 1, preStop sleep shorter than the grace period", async () => {
            const r = await renderToTemp("prod");
            for (const d of manifestsOf(r, "Deployment")) {
                assert.deepEqual(d.spec.strategy.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 }, d.metadata.name);
                const spec = d.spec.template.spec;
                for (const c of spec.containers) assert.ok(c.lifecycle.preStop.sleep.seconds < spec.terminationGracePeriodSeconds, `${d.metadata.name}/${c.name}`);
            }
        });

        it("data is protected: PVCs are protect + retainOnDelete", async () => {
            const r = await renderToTemp("prod");
            const pvcs = resourcesOfType(r, "kubernetes:core/v1:PersistentVolumeClaim");
            assert.equal(pvcs.length, 4, "postgres, redis, prometheus and the restore's safety dumps (prod backs up to S3)");
            for (const pvc of pvcs) assert.ok(pvc.protect && pvc.retainOnDelete, pvc.name);
            const kms = resourcesOfType(r, "aws:kms/key:Key");
            const ecr = resourcesOfType(r, "aws:ecr/repository:Repository");
            const logs = resourcesOfType(r, "aws:cloudwatch/logGroup:LogGroup");
            for (const res of [...kms, ...ecr, ...logs]) assert.ok(res.protect && res.retainOnDelete, `${res.type} ${res.name}`);
            assert.equal(ecr.length, 3);
        });

        it("the edge: NLB terminating TLS with the ACM certificate, port 80 to the redirect listener, HSTS on", async () => {
            const r = await renderToTemp("prod");
            const lb = manifest(r, "Service", "nginx-public");
            assert.equal(lb.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-type"], "nlb");
            assert.match(lb.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"], /^arn:aws:acm:/);
            assert.deepEqual(lb.spec.ports.map((p: Manifest) => `${p.port}->${p.targetPort}`).sort(), ["443->8080", "80->8090"]);
            assert.match(manifest(r, "ConfigMap", "nginx-config").data["nginx.conf"], /add_header Strict-Transport-Security/);
        });
    });

    describe("service specifics", () => {
        it("postgres: password from the Secret, PVC, exporter sidecar, pg_isready probes", async () => {
            const r = await renderToTemp("prod");
            const pg = workload(r, "postgres");
            const main = containerOf(pg, "postgres");
            assert.deepEqual(envOf(main, "POSTGRES_PASSWORD")?.valueFrom.secretKeyRef, { name: "postgres-credentials", key: "password" });
            assert.ok(containerOf(pg, "postgres-exporter"));
            const claim = pg.spec.template.spec.volumes.find((v: Manifest) => v.name === "data").persistentVolumeClaim.claimName;
            assert.equal(manifest(r, "PersistentVolumeClaim", claim).spec.resources.requests.storage, "50Gi");
        });

        it("a configured storage class reaches every PVC", async () => {
            const r = await renderToTemp("dev", { config: { "nsip:storage": { storageClassName: "fast-ssd" } } });
            const pvcs = manifestsOf(r, "PersistentVolumeClaim");
            assert.equal(pvcs.length, 5, "postgres, redis, prometheus, the backups and the restore's safety dumps");
            for (const pvc of pvcs) assert.equal(pvc.spec.storageClassName, "fast-ssd", pvc.metadata.name);
        });

        it("redis: AOF everysec, maxmemory 256mb allkeys-lru, requirepass from the Secret (not in the ConfigMap)", async () => {
            const r = await renderToTemp("dev");
            const conf = manifest(r, "ConfigMap", "redis-config").data["redis.conf"] as string;
            for (const line of ["appendonly yes", "appendfsync everysec", "maxmemory 256mb", "maxmemory-policy allkeys-lru"]) assert.ok(conf.split("\n").includes(line), line);
            assert.doesNotMatch(conf, /requirepass/);
            assert.match(conf, /^include \/etc\/redis\/auth\/auth\.conf$/m);
            assert.ok(containerOf(workload(r, "redis"), "redis-exporter"));
        });

        it("api: env from a ConfigMap plus secretKeyRefs; migrations run as a Job the api waits for", async () => {
            const r = await renderToTemp("prod");
            const api = containerOf(workload(r, "api"), "api");
            assert.deepEqual(api.envFrom, [{ configMapRef: { name: "api-env" } }]);
            assert.equal(manifest(r, "ConfigMap", "api-env").data.METRICS_PORT, "9100");
            assert.equal(envOf(api, "JWT_SECRET")?.valueFrom.secretKeyRef.name, "api-jwt");
            assert.equal(envOf(api, "PGPASSWORD")?.valueFrom.secretKeyRef.name, "postgres-credentials");

            const job = manifestsOf(r, "Job")[0];
            assert.deepEqual(job.spec.template.spec.containers[0].command, ["node", "dist/migrate.js"]);
            assert.equal(job.spec.template.spec.containers[0].image, api.image, "same image as the api");
            const jobResource = resourcesOfType(r, "kubernetes:batch/v1:Job")[0];
            const apiDeployment = r.resources.find((res) => res.type === "kubernetes:apps/v1:Deployment" && res.name.endsWith("-api-deployment"))!;
            assert.ok(apiDeployment.dependencies.includes(jobResource.urn), "the api rollout waits for the migration Job");
            const byName = (type: string, suffix: string) => r.resources.find((res) => res.type === type && res.name.endsWith(suffix))!.urn;
            const postgresSet = byName("kubernetes:apps/v1:StatefulSet", "-postgres-statefulset");
            const credentials = byName("kubernetes:core/v1:Secret", "-postgres-credentials");
            assert.ok(jobResource.dependencies.includes(postgresSet), "the migration Job waits for postgres");
            assert.ok(jobResource.dependencies.includes(credentials), "the migration Job waits for the database credentials");
            assert.ok(apiDeployment.dependencies.includes(credentials), "the api waits for the Secrets it reads");
        });

        const backupScripts = (r: Awaited<ReturnType<typeof renderToTemp>>) => manifest(r, "ConfigMap", "postgres-backup-scripts").data;
        const cronPod = (r: Awaited<ReturnType<typeof renderToTemp>>) => manifest(r, "CronJob", "postgres-backup").spec.jobTemplate.spec.template.spec;

        it("postgres backup on EKS: the scripts dump with the pinned postgres image, then a pinned AWS CLI uploads to the stack's bucket", async () => {
            const r = await renderToTemp("prod");
            const cron = manifest(r, "CronJob", "postgres-backup");
            assert.equal(cron.spec.schedule, "0 3 * * *");
            assert.equal(cron.spec.concurrencyPolicy, "Forbid");
            assert.ok(cron.spec.startingDeadlineSeconds > 0);
            assert.ok(cron.spec.successfulJobsHistoryLimit > 0 && cron.spec.failedJobsHistoryLimit > 0);
            const job = cron.spec.jobTemplate.spec;
            assert.ok(job.backoffLimit >= 0 && job.activeDeadlineSeconds > 0);
            const pod = job.template.spec;
            assert.equal(pod.restartPolicy, "Never");
            assert.equal(pod.serviceAccountName, "postgres-backup");
            assert.equal(manifest(r, "ServiceAccount", "postgres-backup").automountServiceAccountToken, false);
            assert.equal(pod.securityContext.runAsUser, 70, "postgres' uid, shared by both containers");

            // The ConfigMap carries exactly the files test/backup runs against real PostgreSQL and a real S3 API.
            for (const file of ["pg-lib.sh", "pg-backup.sh", "pg-restore.sh", "pg-restore-job.sh", "s3-backup.sh"]) {
                assert.equal(backupScripts(r)[file], readFileSync(join(__dirname, "../components/services/postgres/scripts", file), "utf8"), file);
            }
            const scripts = pod.volumes.find((v: Manifest) => v.configMap?.name === "postgres-backup-scripts");
            assert.equal(scripts.configMap.defaultMode, 0o555, "the scripts are executable, and read-only");

            const [dump] = pod.initContainers as Manifest[];
            assert.equal(dump.image, containerOf(workload(r, "postgres"), "postgres").image, "pg_dump matches the server's major version");
            assert.deepEqual(dump.command, ["/scripts/pg-backup.sh"]);
            assert.equal(envOf(dump, "BACKUP_DIR")?.value, "/backup");
            assert.equal(envOf(dump, "RETENTION_DAYS"), undefined, "the bucket's lifecycle rule expires dumps; the role cannot delete");
            assert.equal(envOf(dump, "PGHOST")?.value, "postgres.nsip.svc.cluster.local");
            assert.deepEqual(envOf(dump, "PGPASSWORD")?.valueFrom.secretKeyRef, { name: "postgres-credentials", key: "password" });

            const [upload] = pod.containers as Manifest[];
            assert.match(upload.image, /^amazon\/aws-cli:2\.\d+\.\d+$/, "an exact 2.x tag");
            assert.deepEqual(upload.command, ["/scripts/s3-backup.sh", "upload", "/backup"]);
            const [bucket] = resourcesOfType(r, "aws:s3/bucket:Bucket");
            // The bucket is autonamed by its provider: the name the (mock) provider gave it must be the one in the pod.
            assert.equal(envOf(upload, "BUCKET")?.value, autoName(bucket.type, bucket.name), "the target is the bucket the program creates");
            assert.equal(envOf(upload, "PREFIX")?.value, "postgres/");
            const cronResource = resourcesOfType(r, "kubernetes:batch/v1:CronJob").find((c) => c.name.endsWith("-postgres-backup-cronjob"))!;
            assert.ok(cronResource.dependencies.includes(bucket.urn));
            assert.equal(envOf(upload, "AWS_REGION")?.value, "eu-west-1");
            assert.equal(envOf(upload, "AWS_ENDPOINT_URL"), undefined, "AWS S3 itself");
            assert.equal(envOf(upload, "AWS_ACCESS_KEY_ID"), undefined, "credentials come from Pod Identity");
            assert.equal(envOf(upload, "HOME")?.value, "/tmp");
            assert.ok(upload.volumeMounts.some((m: Manifest) => m.mountPath === "/tmp" && !m.readOnly), "HOME is writable");

            const shared = (c: Manifest) => c.volumeMounts.find((m: Manifest) => m.mountPath === "/backup");
            assert.equal(shared(dump).name, shared(upload).name, "the dump reaches the upload through one volume");
            assert.equal(shared(upload).readOnly, true);
            assert.ok(pod.volumes.find((v: Manifest) => v.name === shared(dump).name).emptyDir, "scratch, gone with the pod");
        });

        it("postgres backup in dev: the scripts write to a PVC of their own and prune by retention", async () => {
            const r = await renderToTemp("dev");
            const pod = cronPod(r);
            assert.equal(pod.initContainers, undefined);
            const [backup] = pod.containers as Manifest[];
            assert.equal(backup.image, containerOf(workload(r, "postgres"), "postgres").image);
            assert.deepEqual(backup.command, ["/scripts/pg-backup.sh"]);
            assert.equal(envOf(backup, "BACKUP_DIR")?.value, "/backups");
            assert.equal(envOf(backup, "RETENTION_DAYS")?.value, "7");
            const mount = backup.volumeMounts.find((m: Manifest) => m.mountPath === "/backups");
            assert.ok(!mount.readOnly);
            assert.equal(pod.volumes.find((v: Manifest) => v.name === mount.name).persistentVolumeClaim.claimName, "postgres-backups");
            const claim = manifest(r, "PersistentVolumeClaim", "postgres-backups");
            assert.deepEqual(claim.spec.resources.requests, { storage: "10Gi" });
            assert.deepEqual(claim.spec.accessModes, ["ReadWriteOnce"]);
        });

        it("postgres backup on an existing cluster to an S3-compatible endpoint: the writer keys from a Secret, retention in the upload", async () => {
            const r = await renderToTemp("dev", {
                config: s3CompatibleStack(),
            });
            const [upload] = cronPod(r).containers as Manifest[];
            assert.equal(envOf(upload, "AWS_ENDPOINT_URL")?.value, "https://minio.example.com:9000");
            assert.equal(envOf(upload, "BUCKET")?.value, "nsip-backups");
            assert.equal(envOf(upload, "RETENTION_DAYS")?.value, "14");
            assert.deepEqual(envOf(upload, "AWS_SECRET_ACCESS_KEY")?.valueFrom.secretKeyRef, { name: "postgres-backup-s3", key: "AWS_SECRET_ACCESS_KEY" });
            assert.ok(manifest(r, "Secret", "postgres-backup-s3"), "the writer keys live in a Secret");
            assert.equal(resourcesOfType(r, "aws:s3/bucket:Bucket").length, 0, "no AWS bucket off EKS");
            // Its NetworkPolicy opens the endpoint's port, not 443.
            const egress = manifest(r, "NetworkPolicy", "postgres-backup").spec.egress as Manifest[];
            assert.ok(egress.some((rule) => rule.ports.some((p: Manifest) => p.port === 9000) && rule.to[0].ipBlock), "egress to the endpoint's port");
            assert.ok(!egress.some((rule) => rule.ports.some((p: Manifest) => p.port === 443)));
        });

        for (const stack of ["dev", "prod"]) {
            it(`${stack}: the health probe is a suspended template built by the pod builder, GETting each HTTP service's readiness endpoint`, async () => {
                const r = await renderToTemp(stack);
                const template = manifest(r, "CronJob", "health-probe");
                assert.equal(template.spec.suspend, true, "never fires on its schedule");
                assert.equal(template.metadata.annotations["nsip.dev/template"], "instantiated by `npm run ops -- health`; never scheduled");
                assert.equal(template.spec.jobTemplate.spec.backoffLimit, 0);
                assert.ok(template.spec.jobTemplate.spec.activeDeadlineSeconds > 0);
                assert.equal(template.spec.jobTemplate.spec.template.metadata.labels["app.kubernetes.io/name"], "health-probe", "the traffic table's peer");
                const pod = template.spec.jobTemplate.spec.template.spec;
                assert.equal(pod.serviceAccountName, "health-probe");
                assert.equal(manifest(r, "ServiceAccount", "health-probe").automountServiceAccountToken, false);
                assert.equal(pod.automountServiceAccountToken, false, "no API token");
                assert.equal(pod.restartPolicy, "Never");
                assert.equal(pod.securityContext.runAsNonRoot, true);
                assert.deepEqual(restrictedViolations(pod), [], "Pod Security restricted");
                const [probe, ...others] = pod.containers as Manifest[];
                assert.equal(others.length, 0);
                assert.equal(probe.securityContext.readOnlyRootFilesystem, true);
                assert.equal(probe.terminationMessagePolicy, "FallbackToLogsOnError");
                assert.equal(probe.image, containerOf(workload(r, "api"), "api").image, "the api image: Node's fetch, already in the stack");
                assert.deepEqual(probe.command.slice(0, 2), ["node", "-e"]);
                assert.equal(probe.command[2], readFileSync(join(__dirname, "../components/services/health-probe/probe.js"), "utf8"));
                // Each HTTP service's readiness endpoint, through its Service (the edge's through the public one).
                const edgePort = stack === "prod" ? 443 : 80;
                assert.deepEqual(JSON.parse(envOf(probe, "HEALTH_PROBE_TARGETS")!.value), {
                    analyzer: "http://analyzer.nsip.svc.cluster.local:5000/ready",
                    api: "http://api.nsip.svc.cluster.local:3000/ready",
                    frontend: "http://frontend.nsip.svc.cluster.local:8080/healthz",
                    grafana: `http://grafana.nsip.svc.cluster.local:3000${containerOf(workload(r, "grafana"), "grafana").readinessProbe.httpGet.path}`,
                    "nginx-public": `http://nginx-public.nsip.svc.cluster.local:${edgePort}/healthz`,
                    prometheus: "http://prometheus.nsip.svc.cluster.local:9090/-/ready",
                });
                // Its NetworkPolicy: egress to exactly those health ports, no ingress at all.
                const policy = manifest(r, "NetworkPolicy", "health-probe").spec;
                assert.equal(policy.ingress, undefined);
                assert.deepEqual(
                    (policy.egress as Manifest[]).map((rule) => `${rule.to[0].podSelector.matchLabels["app.kubernetes.io/name"]}:${rule.ports.map((p: Manifest) => p.port).join(",")}`),
                    ["api:3000", "analyzer:5000", "frontend:8080", "grafana:3000", "prometheus:9090", "nginx:8080"],
                );
            });
        }

        const restoreTemplate = (r: Awaited<ReturnType<typeof renderToTemp>>) => manifest(r, "CronJob", "postgres-restore");
        const restorePod = (r: Awaited<ReturnType<typeof renderToTemp>>) => restoreTemplate(r).spec.jobTemplate.spec.template.spec;
        const mountOf = (c: Manifest, path: string): Manifest => c.volumeMounts.find((m: Manifest) => m.mountPath === path) ?? assert.fail(`${c.name} mounts nothing at ${path}`);

        for (const stack of ["dev", "prod"]) {
            it(`${stack}: the restore is a suspended template built by the pod builder, never scheduled, run once per ops restore`, async () => {
                const r = await renderToTemp(stack);
                const template = restoreTemplate(r);
                assert.equal(template.spec.suspend, true, "never fires on its schedule");
                assert.equal(template.spec.jobTemplate.spec.backoffLimit, 0, "a failed restore is not retried by the Job controller");
                assert.ok(template.spec.jobTemplate.spec.activeDeadlineSeconds > 0);
                const pod = restorePod(r);
                assert.equal(template.spec.jobTemplate.spec.template.metadata.labels["app.kubernetes.io/name"], "restore", "the traffic table's peer");
                assert.equal(pod.serviceAccountName, "postgres-restore");
                assert.equal(manifest(r, "ServiceAccount", "postgres-restore").automountServiceAccountToken, false);
                assert.equal(pod.automountServiceAccountToken, false);
                assert.equal(pod.restartPolicy, "Never");
                assert.deepEqual(restrictedViolations(pod), [], "Pod Security restricted");
                for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
                    assert.equal(c.securityContext.readOnlyRootFilesystem, true, c.name);
                    assert.equal(c.securityContext.runAsNonRoot, true, c.name);
                    assert.equal(c.terminationMessagePolicy, "FallbackToLogsOnError", `${c.name}: a refusal reaches ops through the termination message`);
                }
                const restore = pod.containers.find((c: Manifest) => c.name === "restore");
                assert.equal(restore.image, containerOf(workload(r, "postgres"), "postgres").image, "pg_restore matches the server's major version");
                assert.deepEqual(restore.command, ["/scripts/pg-restore-job.sh"]);
                assert.equal(envOf(restore, "PGHOST")?.value, "postgres.nsip.svc.cluster.local");
                assert.equal(envOf(restore, "SAFETY_DIR")?.value, "/safety");
                assert.equal(envOf(restore, "RESTORE_SOURCE")?.value, "backups", "the backup store unless ops undoes a restore");
                // The safety dumps: a claim of their own, written by the restore only, pruned by nobody.
                const safety = mountOf(restore, "/safety");
                assert.ok(!safety.readOnly);
                assert.equal(pod.volumes.find((v: Manifest) => v.name === safety.name).persistentVolumeClaim.claimName, "postgres-restore-safety");
                assert.equal(envOf(restore, "RETENTION_DAYS"), undefined, "safety dumps are never pruned");
                const claim = manifest(r, "PersistentVolumeClaim", "postgres-restore-safety");
                assert.deepEqual(claim.spec.accessModes, ["ReadWriteOnce"]);
                const claimResource = resourcesOfType(r, "kubernetes:core/v1:PersistentVolumeClaim").find((c) => c.name.endsWith("-postgres-restore-safety-claim"))!;
                assert.equal(claimResource.protect === true, stack === "prod", "protected where data is");
                // Its own NetworkPolicy: postgres and the backups' store.
                const egress = manifest(r, "NetworkPolicy", "postgres-restore").spec.egress as Manifest[];
                assert.ok(egress.some((rule) => rule.ports.some((p: Manifest) => p.port === 5432)), "reaches postgres");
            });
        }

        it("dev restore: reads the backup claim read-only, with no credentials to write a backup", async () => {
            const r = await renderToTemp("dev");
            const pod = restorePod(r);
            assert.equal(pod.initContainers, undefined, "nothing to fetch: the backups are a claim");
            const restore = pod.containers.find((c: Manifest) => c.name === "restore");
            const backups = mountOf(restore, "/backups");
            assert.equal(backups.readOnly, true);
            const volume = pod.volumes.find((v: Manifest) => v.name === backups.name).persistentVolumeClaim;
            assert.deepEqual(volume, { claimName: "postgres-backups", readOnly: true });
            assert.equal(envOf(restore, "BACKUP_SOURCE_DIR")?.value, "/backups");
            assert.equal(manifestsOf(r, "Secret").filter((s) => s.metadata.name === "postgres-restore-s3").length, 0);
        });

        it("prod restore: fetches from the bucket with Pod Identity (no keys), into scratch the restore reads", async () => {
            const r = await renderToTemp("prod");
            const pod = restorePod(r);
            const [fetch] = pod.initContainers as Manifest[];
            assert.match(fetch.image, /^amazon\/aws-cli:2\.\d+\.\d+$/);
            assert.deepEqual(fetch.command, ["sh", "-c", '[ "$RESTORE_SOURCE" = safety ] || exec /scripts/s3-backup.sh fetch "$RESTORE_FROM" /restore']);
            // The fetch runs for the backup store, and not when the Job undoes a restore from the safety claim.
            const fetchWith = (source: string) =>
                execFileSync("sh", ["-c", fetch.command[2].replace("/scripts/s3-backup.sh", "echo")], { env: { RESTORE_SOURCE: source, RESTORE_FROM: "20261201T030000Z" }, encoding: "utf8" });
            assert.equal(fetchWith("backups"), "fetch 20261201T030000Z /restore\n");
            assert.equal(fetchWith("safety"), "");
            assert.equal(envOf(fetch, "RESTORE_SOURCE")?.value, "backups", "the template's default: the backup store");
            const [bucket] = resourcesOfType(r, "aws:s3/bucket:Bucket");
            assert.equal(envOf(fetch, "BUCKET")?.value, autoName(bucket.type, bucket.name));
            assert.equal(envOf(fetch, "AWS_ACCESS_KEY_ID"), undefined, "credentials come from Pod Identity");
            const restore = pod.containers.find((c: Manifest) => c.name === "restore");
            assert.equal(mountOf(fetch, "/restore").readOnly, false, "the fetch writes the download");
            assert.equal(mountOf(restore, "/restore").readOnly, true, "the restore only reads it");
            assert.equal(mountOf(fetch, "/restore").name, mountOf(restore, "/restore").name);
            assert.ok(pod.volumes.find((v: Manifest) => v.name === mountOf(restore, "/restore").name).emptyDir);
            assert.ok(!pod.volumes.some((v: Manifest) => v.persistentVolumeClaim?.claimName === "postgres-backups"));
        });

        it("restore from an S3-compatible endpoint: the reader key pair in a Secret of its own, never the writer's", async () => {
            const r = await renderToTemp("dev", {
                config: s3CompatibleStack(),
            });
            const [fetch] = restorePod(r).initContainers as Manifest[];
            assert.equal(envOf(fetch, "AWS_ENDPOINT_URL")?.value, "https://minio.example.com:9000");
            for (const key of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
                assert.deepEqual(envOf(fetch, key)?.valueFrom.secretKeyRef, { name: "postgres-restore-s3", key });
            }
            // The reader pair, kept secret in the state (the render shows the placeholder of a secret value).
            assert.deepEqual(manifest(r, "Secret", "postgres-restore-s3").stringData, { AWS_ACCESS_KEY_ID: "[secret]", AWS_SECRET_ACCESS_KEY: "[secret]" });
            const referenced = [...(restorePod(r).initContainers ?? []), ...restorePod(r).containers].flatMap((c: Manifest) =>
                (c.env ?? []).map((e: Manifest) => e.valueFrom?.secretKeyRef?.name).filter(Boolean),
            );
            assert.ok(!referenced.includes("postgres-backup-s3"), "the writer's keys are not in the restore pod");
            const egress = manifest(r, "NetworkPolicy", "postgres-restore").spec.egress as Manifest[];
            assert.ok(egress.some((rule) => rule.ports.some((p: Manifest) => p.port === 9000) && rule.to[0].ipBlock), "egress to the endpoint's port");
        });

        it("analyzer: gunicorn workers from config, memory-backed worker and multiprocess dirs", async () => {
            const r = await renderToTemp("prod");
            assert.equal(manifest(r, "ConfigMap", "analyzer-env").data.GUNICORN_WORKERS, "4");
            assert.equal(manifest(r, "ConfigMap", "analyzer-env").data.PROMETHEUS_MULTIPROC_DIR, "/tmp/prometheus");
            const vols = workload(r, "analyzer").spec.template.spec.volumes as Manifest[];
            assert.deepEqual(vols.filter((v) => v.emptyDir?.medium === "Memory").length, 2);
        });

        it("prometheus: 15 s scrapes, retention 30 d in prod and 7 d in dev, on a PVC", async () => {
            const prodArgs = containerOf(workload(await renderToTemp("prod"), "prometheus"), "prometheus").args as string[];
            const devArgs = containerOf(workload(await renderToTemp("dev"), "prometheus"), "prometheus").args as string[];
            assert.ok(prodArgs.includes("--storage.tsdb.retention.time=30d"));
            assert.ok(devArgs.includes("--storage.tsdb.retention.time=7d"));
            const config = parseYaml(manifest(await renderToTemp("prod"), "ConfigMap", "prometheus-config").data["prometheus.yml"]);
            assert.equal(config.global.scrape_interval, "15s");
        });

        it("grafana: admin password from the Secret, datasource and dashboards provisioned, served under /grafana/, anonymous off", async () => {
            const r = await renderToTemp("prod");
            const g = containerOf(workload(r, "grafana"), "grafana");
            assert.equal(envOf(g, "GF_SECURITY_ADMIN_PASSWORD")?.valueFrom.secretKeyRef.name, "grafana-admin");
            const data = manifest(r, "ConfigMap", "grafana-config").data;
            assert.match(data["grafana.ini"], /serve_from_sub_path\s*=\s*true/);
            assert.match(data["grafana.ini"], /\[auth\.anonymous\]\s*\nenabled\s*=\s*false/);
            assert.equal(parseYaml(data["datasources.yaml"]).datasources[0].type, "prometheus");
            for (const file of ["system-overview.json", "api-performance.json", "database-statistics.json"]) assert.ok(JSON.parse(data[file]).panels.length > 0, file);
        });

        it("images are referenced by digest, never by a moving tag", async () => {
            const r = await renderToTemp("prod");
            for (const name of ["api", "analyzer", "frontend"]) assert.match(containerOf(workload(r, name), name).image, /@sha256:[0-9a-f]{64}$/, name);
            for (const t of podTemplates(r)) {
                for (const c of [...(t.spec.initContainers ?? []), ...t.spec.containers]) assert.doesNotMatch(c.image, /:latest$|^[^:@]+$/, `${t.owner}/${c.name}`);
            }
        });
    });
});
