import { describe, expect, it } from 'vitest';
import {
  gangJobSet,
  type JobTarget,
  jobName,
  jobProblem,
  jobSetProblem,
  LABELS,
  LAUNCH_ID_ANNOTATION,
  labelValue,
  podJob,
} from '../../../src/providers/kubernetes/job-manifests.js';
import { gang, launch } from './launch-builder.js';

const target: JobTarget = { namespace: 'ml', image: 'nvcr.io/nvidia/pytorch:24.10-py3' };
const podSpecOf = (l = launch(), t = target) => podJob(l, t).spec?.template.spec;
const containerOf = (l = launch(), t = target) => podSpecOf(l, t)?.containers[0];

describe('podJob', () => {
  it('pins the pod to its booked node by hostname', () => {
    expect(podSpecOf(launch({ node: 'gpu-7' }))?.nodeSelector).toEqual({ 'kubernetes.io/hostname': 'gpu-7' });
  });

  it.each([
    {
      name: 'two whole GPUs',
      devices: [
        { index: 0, uuid: 'GPU-a' },
        { index: 1, uuid: 'GPU-b' },
      ],
      want: { 'nvidia.com/gpu': '2' },
    },
    {
      name: 'a MIG slice',
      devices: [{ index: 3, uuid: 'GPU-d', mig: { profile: '1g.10gb', uuid: 'MIG-x' } }],
      want: { 'nvidia.com/mig-1g.10gb': '1' },
    },
    { name: 'no accelerator', devices: [], want: {} },
  ])('asks the device plugin for $name, with requests equal to limits', ({ devices, want }) => {
    const resources = containerOf(launch({ devices, cpu: 2.5, memoryBytes: 1024 }))?.resources;
    const expected = { cpu: '2500m', memory: '1024', ...want };
    expect(resources).toEqual({ requests: expected, limits: expected });
  });

  it('gives a fractional GPU pod KAI’s gpu-fraction annotation instead of a whole device', () => {
    const job = podJob(launch({ milliGpu: 250 }), target);
    expect(job.spec?.template.metadata?.annotations).toEqual({ 'gpu-fraction': '0.25' });
    expect(job.spec?.template.spec?.containers[0]?.resources?.limits).not.toHaveProperty('nvidia.com/gpu');
  });

  it('runs the command with the STRATA_* variables and NVIDIA_VISIBLE_DEVICES, not CUDA_VISIBLE_DEVICES', () => {
    const container = containerOf();
    expect(container?.command).toEqual(['sh', '-c', 'echo hello']);
    expect(container?.image).toBe(target.image);
    expect(container?.env).toEqual([
      { name: 'STRATA_WORKLOAD', value: 'train' },
      { name: 'STRATA_POD', value: 'worker-0' },
      { name: 'STRATA_RANK', value: '0' },
      { name: 'NVIDIA_VISIBLE_DEVICES', value: 'GPU-a' },
    ]);
  });

  it('leaves the image entrypoint in place when the launch has no command', () => {
    expect(containerOf(launch({ command: [] }))).not.toHaveProperty('command');
  });

  it('never retries in the cluster (Strata owns restarts) and stops at the maximum runtime', () => {
    const spec = podJob(launch({ maxRuntimeSeconds: 600 }), target).spec;
    expect(spec?.backoffLimit).toBe(0);
    expect(spec?.activeDeadlineSeconds).toBe(600);
    expect(spec?.template.spec?.restartPolicy).toBe('Never');
    expect(podJob(launch(), target).spec).not.toHaveProperty('activeDeadlineSeconds');
  });

  it('labels Job and pod with the workload, project, pod and sanitised attempt, and keeps the launch id', () => {
    const job = podJob(launch(), target);
    const labels = {
      'app.kubernetes.io/managed-by': 'strata',
      [LABELS.workload]: 'train',
      [LABELS.project]: 'vision',
      [LABELS.pod]: 'worker-0',
      [LABELS.attempt]: '2026-11-24T02-56-31.123Z',
    };
    expect(job.metadata?.labels).toEqual(labels);
    expect(job.spec?.template.metadata?.labels).toEqual(labels);
    expect(job.metadata?.annotations).toEqual({
      [LAUNCH_ID_ANNOTATION]: 'vision/train/worker-0@2026-11-24T02:56:31.123Z',
    });
  });

  it('sets the Kueue and KAI queue labels and the scheduler when the cluster names them', () => {
    const job = podJob(launch(), { ...target, queueName: 'team-a', schedulerName: 'kai-scheduler' });
    expect(job.metadata?.labels).toMatchObject({
      'kueue.x-k8s.io/queue-name': 'team-a',
      'kai.scheduler/queue': 'team-a',
      'runai/queue': 'team-a',
    });
    expect(job.spec?.template.metadata?.labels).toMatchObject({ 'kai.scheduler/queue': 'team-a' });
    expect(job.spec?.template.spec?.schedulerName).toBe('kai-scheduler');
  });

  it('sets no queue label and no scheduler when the cluster names none', () => {
    const job = podJob(launch(), target);
    expect(Object.keys(job.metadata?.labels ?? {}).filter((k) => k.includes('queue'))).toEqual([]);
    expect(job.spec?.template.spec).not.toHaveProperty('schedulerName');
  });

  it('carries the workload’s tolerations', () => {
    const tolerations = [
      { key: 'nvidia.com/gpu', operator: 'Exists' as const, effect: 'NoSchedule' as const },
    ];
    expect(podSpecOf(launch(), { ...target, tolerations })?.tolerations).toEqual(tolerations);
  });
});

describe('names and label values', () => {
  it.each([
    ['2026-11-24T02:56:31.123Z', '2026-11-24T02-56-31.123Z'],
    ['--odd/value--', 'odd-value'],
    ['x'.repeat(80), 'x'.repeat(63)],
  ])('makes the label value %j into %j', (text, value) => {
    expect(labelValue(text)).toBe(value);
  });

  it('names a Job with a DNS label of at most 63 characters, however long the workload', () => {
    const name = jobName(launch({ workload: { name: `Very_Long.${'w'.repeat(80)}` } }));
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(name.length).toBeLessThanOrEqual(63);
  });

  it('names each admission of a pod differently', () => {
    expect(jobName(launch({ attempt: 'a1' }))).not.toBe(jobName(launch({ attempt: 'a2' })));
  });
});

describe('upstream schema validation', () => {
  it.each([
    { name: 'a whole-GPU pod', l: launch() },
    { name: 'a MIG pod', l: launch({ devices: [{ index: 0, uuid: 'GPU-a', mig: { profile: '3g.40gb' } }] }) },
    { name: 'a fractional pod with a deadline', l: launch({ milliGpu: 500, maxRuntimeSeconds: 30 }) },
    { name: 'a CPU pod with no command', l: launch({ devices: [], command: [] }) },
  ])('accepts the Job for $name', ({ l }) => {
    const t = {
      ...target,
      queueName: 'q',
      schedulerName: 'kai-scheduler',
      tolerations: [{ operator: 'Exists' as const }],
    };
    expect(jobProblem(podJob(l, t))).toBeUndefined();
  });

  it('names what the schema rejects', () => {
    const job = podJob(launch(), target);
    const broken = { ...job, spec: { ...job.spec, backoffLimit: 'none' } } as unknown as typeof job;
    expect(jobProblem(broken)).toMatch(
      /^invalid Job strata-train-worker-0-[0-9a-f]{10}: .*backoffLimit must be integer/,
    );
  });
});

describe('gangJobSet', () => {
  it('makes one replicatedJob of one replica per pod, in rank order, each pinned to its own node', () => {
    const jobSet = gangJobSet([...gang(3)].reverse(), target);
    expect(
      jobSet.spec.replicatedJobs.map((r) => [
        r.name,
        r.replicas,
        r.template.spec.template.spec?.nodeSelector,
      ]),
    ).toEqual([
      ['rank-0', 1, { 'kubernetes.io/hostname': 'gpu-0' }],
      ['rank-1', 1, { 'kubernetes.io/hostname': 'gpu-1' }],
      ['rank-2', 1, { 'kubernetes.io/hostname': 'gpu-2' }],
    ]);
  });

  it('fails the gang as one and labels the JobSet for the cluster’s queue', () => {
    const jobSet = gangJobSet(gang(2), { ...target, queueName: 'team-a' });
    expect(jobSet.spec.failurePolicy).toEqual({ maxRestarts: 0 });
    expect(jobSet.metadata.labels).toMatchObject({
      'kueue.x-k8s.io/queue-name': 'team-a',
      [LABELS.workload]: 'train',
    });
    expect(jobSet.metadata.labels).not.toHaveProperty(LABELS.pod);
  });

  it('leaves room in its name for the child Jobs the JobSet controller names after it', () => {
    const jobSet = gangJobSet(gang(2, { workload: { name: 'w'.repeat(100) } }), target);
    expect(`${jobSet.metadata.name}-rank-9999-0`.length).toBeLessThanOrEqual(63);
  });

  it('has Job templates the upstream schema accepts', () => {
    expect(jobSetProblem(gangJobSet(gang(4), target))).toBeUndefined();
  });
});
