// deploy/k8s: every object checked offline against the Kubernetes API schemas (the
// kubernetes-models package vendors them as compiled validators: types, required fields,
// enums, formats; it does not refuse unknown fields, so the checks below name the fields
// that matter), and the rules the deployment promises: probes, requests and limits on every
// container, selectors that select, workers only on Docker nodes with the socket, an
// autoscaler on a queue depth the service exports, and only the API reachable.
import { readdir, readFile } from 'node:fs/promises';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { describeSettings } from '../../../src/config/config.js';
import { createMetrics } from '../../../src/lib/metrics.js';

const models = { Namespace, Secret, Service, DaemonSet, Deployment, StatefulSet, HorizontalPodAutoscaler, NetworkPolicy };
const folder = new URL('../../../deploy/k8s/', import.meta.url);

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: any; file: string };

async function manifests(): Promise<Manifest[]> {
  const all: Manifest[] = [];
  for (const file of (await readdir(folder)).filter((name) => name.endsWith('.yaml')).sort()) {
    for (const document of parseAllDocuments(await readFile(new URL(file, folder), 'utf8'))) {
      if (document.errors.length) throw new Error(`${file}: ${document.errors[0].message}`);
      all.push({ ...(document.toJS() as Omit<Manifest, 'file'>), file });
    }
  }
  return all;
}

const find = (all: Manifest[], kind: string, name: string) => {
  const found = all.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return found;
};
const podOf = (m: Manifest): IPodTemplateSpec => m.spec.template;
const containersOf = (m: Manifest): IContainer[] => podOf(m).spec!.containers;

t.test('every object is valid against the Kubernetes schemas, in the runbox namespace', async (t) => {
  const all = await manifests();
  t.ok(all.length >= 10, `${all.length} objects`);
  for (const manifest of all) {
    const { file, ...object } = manifest;
    const label = `${file}: ${object.kind} ${object.metadata.name}`;
    const Model = models[object.kind as keyof typeof models];
    if (!Model) {
      t.fail(`${label}: a kind this test does not know`);
      continue;
    }

    t.doesNotThrow(() => new Model(object as any).validate(), label);
    t.equal(new Model(object as never).apiVersion, object.apiVersion, `${label}: apiVersion`);
    if (object.kind !== 'Namespace') t.equal(object.metadata.namespace, 'runbox', `${label}: namespace`);
  }
});

t.test('the schema check fails on a wrong manifest', async (t) => {
  const api = find(await manifests(), 'Deployment', 'api');
  const broken = structuredClone(api);
  broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
  t.throws(() => new Deployment(broken as never).validate(), /containerPort must be integer/);
});

t.test('workloads: probes, requests and limits, selectors that select their pods, only known settings', async (t) => {
  const all = await manifests();
  const settings = new Set(describeSettings().map((setting) => setting.env));
  for (const workload of all.filter((m) => ['Deployment', 'DaemonSet', 'StatefulSet'].includes(m.kind))) {
    const label = `${workload.kind} ${workload.metadata.name}`;
    const podLabels = podOf(workload).metadata!.labels!;
    t.match(podLabels, workload.spec.selector.matchLabels, `${label}: its selector selects its pods`);
    for (const container of containersOf(workload)) {
      t.ok(container.livenessProbe && container.readinessProbe, `${label}: liveness and readiness probes`);
      t.ok(container.resources?.requests?.cpu && container.resources.requests.memory, `${label}: cpu and memory requested`);
      t.ok(container.resources?.limits?.memory, `${label}: a memory limit`);
      t.equal(container.securityContext?.allowPrivilegeEscalation, false, `${label}: no privilege escalation`);
      if (container.image?.startsWith('runbox/service')) {
        for (const { name } of container.env ?? []) t.ok(settings.has(name), `${label}: ${name} is a runbox setting`);
      }
    }
  }
  for (const service of all.filter((m) => m.kind === 'Service')) {
    const selected = all.filter(
      (m) => m.spec?.template && Object.entries(service.spec.selector).every(([k, v]) => podOf(m).metadata?.labels?.[k] === v),
    );
    t.equal(selected.length, 1, `Service ${service.metadata.name} selects one workload`);
    const ports = containersOf(selected[0]).flatMap((c) => c.ports ?? []);
    for (const port of service.spec.ports) {
      t.ok(
        ports.some((p) => p.name === port.targetPort || p.containerPort === port.targetPort),
        `Service ${service.metadata.name}: port ${port.name} reaches a container port`,
      );
    }
  }
});

t.test('the API: a Deployment behind a Service, live on /healthz, ready on /readyz', async (t) => {
  const all = await manifests();
  const [api] = containersOf(find(all, 'Deployment', 'api'));
  t.same(api.command, ['node', 'dist/server.js']);
  t.match(api.livenessProbe, { httpGet: { path: '/healthz' } });
  t.match(api.readinessProbe, { httpGet: { path: '/readyz' } });
  t.ok(find(all, 'Service', 'api'));
});

t.test('workers: a DaemonSet on Docker nodes with the socket; the burst Deployment is the same pod', async (t) => {
  const all = await manifests();
  const daemon = find(all, 'DaemonSet', 'worker');
  const pod = podOf(daemon).spec!;
  t.same(pod.nodeSelector, { 'runbox.dev/docker': 'true' });
  t.same(containersOf(daemon)[0].command, ['node', 'dist/worker.js']);
  const socket = pod.volumes!.find((v) => v.hostPath?.path === '/var/run/docker.sock');
  t.match(socket, { hostPath: { type: 'Socket' } }, "the node's Docker socket");
  t.ok(
    containersOf(daemon)[0].volumeMounts!.some((m) => m.name === socket!.name && m.mountPath === '/var/run/docker.sock'),
    'mounted where dockerode looks',
  );
  const mountPaths = containersOf(daemon)[0].volumeMounts!.map((m) => m.mountPath);
  t.equal(containersOf(daemon)[0].securityContext?.readOnlyRootFilesystem, true);
  t.ok(mountPaths.includes('/tmp'), 'a writable /tmp (work folders that spill)');
  t.ok(mountPaths.includes('/app/data'), 'a writable DATA_DIR (the problem cache)');
  const mounts = all.filter((m) => m.spec?.template && JSON.stringify(podOf(m).spec!.volumes ?? []).includes('docker.sock'));
  t.same(mounts.map((m) => m.metadata.name).sort(), ['worker', 'worker-burst'], 'no other pod gets the socket');

  const burst = podOf(find(all, 'Deployment', 'worker-burst')).spec!;
  const { affinity, ...rest } = burst;
  t.ok(affinity?.podAntiAffinity, 'burst workers spread over the Docker nodes');
  t.same(rest, pod, 'the burst pod is the DaemonSet pod');
});

t.test('the autoscaler scales the burst workers on the queue depth the service exports', async (t) => {
  const all = await manifests();
  const hpa = find(all, 'HorizontalPodAutoscaler', 'worker-burst');
  t.match(hpa.spec.scaleTargetRef, { kind: 'Deployment', name: 'worker-burst' });
  t.match(hpa.spec.metrics, [{ type: 'External', external: { metric: { name: 'runbox_queue_waiting' } } }]);
  // The adapter rule in hpa.yaml's comment reads a series the service exports.
  const text = await readFile(new URL('hpa.yaml', folder), 'utf8');
  const series = [...text.matchAll(/seriesQuery: '([a-z_]+)\{/g)].map((m) => m[1]);
  t.same(series, ['runbox_queue_jobs']);
  const exported = (await createMetrics().registry.getMetricsAsJSON()).map((metric) => metric.name);
  t.ok(exported.includes(series[0]), `${series[0]} is exported`);
  t.match(text, /as: runbox_queue_waiting/);
});

t.test('only the API is reachable: every pod denies ingress but what is allowed', async (t) => {
  const all = (await manifests()).filter((m) => m.kind === 'NetworkPolicy');
  const denyAll = all.find((p) => Object.keys(p.spec.podSelector).length === 0);
  t.ok(denyAll, 'a policy for every pod');
  t.same(denyAll!.spec.policyTypes, ['Ingress']);
  t.notOk(denyAll!.spec.ingress, 'that lets nothing in');
  for (const policy of all) {
    for (const rule of policy.spec.ingress ?? []) {
      if (rule.from) continue;
      t.same(
        policy.spec.podSelector.matchLabels,
        { 'app.kubernetes.io/name': 'api' },
        `${policy.metadata.name}: open to all only for the API`,
      );
    }
  }
  const redis = all.find((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === 'redis');
  t.same(
    redis!.spec.ingress[0].from.map((f: { podSelector: { matchLabels: object } }) => f.podSelector.matchLabels),
    [{ 'app.kubernetes.io/name': 'api' }, { 'app.kubernetes.io/name': 'worker' }],
    'Redis only from the API and the workers',
  );
});

t.test('Redis keeps its data on a volume and never evicts', async (t) => {
  const redis = find(await manifests(), 'StatefulSet', 'redis');
  const args = containersOf(redis)[0].args!.join(' ');
  t.match(args, /--appendonly yes/);
  t.match(args, /--maxmemory-policy noeviction/);
  t.match(redis.spec.volumeClaimTemplates, [{ metadata: { name: 'data' } }]);
});
