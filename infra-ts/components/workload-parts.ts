/**
 * Typed factories for the parts every DocuChat workload shares: the restricted security context, resources
 * from stack configuration, image references and the writable scratch volumes a read-only root needs.
 */
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { APP_IMAGES, RELEASE_PLACEHOLDER } from '../names.js';

export interface ImageRef {
  readonly repository: string;
  readonly tag: string;
}

export interface ResourceSpec {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

export function imageName(image: ImageRef): string {
  return `${image.repository}:${image.tag}`;
}

/** Where a DocuChat image of this stack comes from: the configured registry, and the release being deployed. */
export interface AppImageConfig {
  readonly images: { readonly registry: string };
  readonly release?: string;
}

/** A DocuChat image (`ghcr.io/docuchat/docuchat-backend:v1.4.2`), the one CI pushed for the release. */
export function appImage(config: AppImageConfig, image: keyof typeof APP_IMAGES): string {
  return `${config.images.registry}/${APP_IMAGES[image]}:${config.release ?? RELEASE_PLACEHOLDER}`;
}

export function resourceRequirements(spec: ResourceSpec): k8s.ResourceRequirements {
  return {
    requests: {
      cpu: k8s.Quantity.fromString(spec.requests.cpu),
      memory: k8s.Quantity.fromString(spec.requests.memory),
    },
    limits: {
      cpu: k8s.Quantity.fromString(spec.limits.cpu),
      memory: k8s.Quantity.fromString(spec.limits.memory),
    },
  };
}

/**
 * The container half of the restricted Pod Security Standard: no privilege escalation, no capabilities, a
 * read-only root file system (writable paths are emptyDir or PVC mounts).
 */
export function restrictedContainerSecurityContext(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
  };
}

/**
 * The pod half: a fixed non-root user (the one the image was built for, so its files are readable), whose group
 * also owns mounted volumes.
 */
export function podSecurityContext(uid: number): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export interface RestrictedPodOptions
  extends Omit<
    k8s.PodSpec,
    'automountServiceAccountToken' | 'securityContext' | 'containers' | 'initContainers'
  > {
  /** The unprivileged user the image was built for (also its group and the volumes' group). */
  readonly runAsUser: number;
  /** Each container gets {@link restrictedContainerSecurityContext}. */
  readonly containers: Omit<k8s.Container, 'securityContext'>[];
  /** Run one after the other, to completion, before the containers; restricted the same way. @default none */
  readonly initContainers?: Omit<k8s.Container, 'securityContext'>[];
}

/**
 * A pod under the restricted Pod Security Standard, as every DocuChat workload but Prometheus (which reads the
 * Kubernetes API) runs: no service-account token, the image's own non-root user, every container restricted.
 */
export function restrictedPod({
  runAsUser,
  containers,
  initContainers,
  ...spec
}: RestrictedPodOptions): k8s.PodSpec {
  const restricted = (c: Omit<k8s.Container, 'securityContext'>) => ({
    ...c,
    securityContext: restrictedContainerSecurityContext(),
  });
  return {
    ...spec,
    automountServiceAccountToken: false,
    securityContext: podSecurityContext(runAsUser),
    ...(initContainers ? { initContainers: initContainers.map(restricted) } : {}),
    containers: containers.map(restricted),
  };
}

/** An emptyDir volume for a path the process must write (the root file system is read-only). */
export function scratchVolume(name: string, sizeLimit = '256Mi'): k8s.Volume {
  return { name, emptyDir: { sizeLimit: k8s.Quantity.fromString(sizeLimit) } };
}

export function httpProbe(path: string, port: string | number, periodSeconds = 10): k8s.Probe {
  return {
    httpGet: {
      path,
      port: typeof port === 'number' ? k8s.IntOrString.fromNumber(port) : k8s.IntOrString.fromString(port),
    },
    periodSeconds,
    timeoutSeconds: 3,
    failureThreshold: 3,
  };
}

export function execProbe(command: string[], periodSeconds = 10): k8s.Probe {
  return { exec: { command }, periodSeconds, timeoutSeconds: 5, failureThreshold: 3 };
}

export interface ScheduledJobOptions {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly schedule: string;
  readonly timeZone: string;
  /** Retries of a failed run. */
  readonly backoffLimit: number;
  /** Longest a run may take. @default no limit */
  readonly activeDeadlineSeconds?: number;
  /** The pod that does the work, a {@link restrictedPod}; `restartPolicy: Never` is added. */
  readonly pod: Omit<RestrictedPodOptions, 'restartPolicy'>;
}

/**
 * A CronJob for DocuChat's scheduled work (billing, backup, restore check): never two runs at once, a run missed by
 * more than an hour skipped rather than started late, the last three runs of each outcome kept for `kubectl logs`.
 */
export function scheduledJob(scope: Construct, options: ScheduledJobOptions): k8s.KubeCronJob {
  const { name, labels } = options;
  return new k8s.KubeCronJob(scope, 'cronjob', {
    metadata: { name, labels },
    spec: {
      schedule: options.schedule,
      timeZone: options.timeZone,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels },
        spec: {
          backoffLimit: options.backoffLimit,
          ...(options.activeDeadlineSeconds ? { activeDeadlineSeconds: options.activeDeadlineSeconds } : {}),
          template: {
            metadata: { labels },
            spec: restrictedPod({ restartPolicy: 'Never', ...options.pod }),
          },
        },
      },
    },
  });
}
