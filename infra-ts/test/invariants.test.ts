import { describe, expect, it } from 'vitest';
import { EXCEPTION_ANNOTATION_PREFIX } from '../names.js';
import { STACKS } from '../stack-files.js';
import { checkStack, formatViolations } from '../validation/invariants.js';
import { find, objectsOf, raw } from './objects.js';

/** The violations of the prod stack after `mutate`, as `Kind/name [check]` strings. */
function violationsAfter(mutate: (objects: ReturnType<typeof objectsOf>) => void): string[] {
  const objects = objectsOf('prod');
  mutate(objects);
  return checkStack(objects).map((v) => `${v.object} [${v.check}]`);
}

const backendContainer = (objects: ReturnType<typeof objectsOf>) =>
  raw(find(objects, 'Deployment', 'docuchat-backend')).spec.template.spec.containers[0];

describe('deployment invariants', () => {
  it.each(STACKS)('hold for every object of stack %s', (stack) => {
    expect(formatViolations(checkStack(objectsOf(stack)))).toBe('');
  });

  it.each([
    [
      'a container without a memory limit',
      (o: ReturnType<typeof objectsOf>) => {
        delete backendContainer(o).resources.limits.memory;
      },
      'Deployment/docuchat-backend [resource-requirements]',
    ],
    [
      'a server without a readiness probe',
      (o: ReturnType<typeof objectsOf>) => {
        delete backendContainer(o).readinessProbe;
      },
      'Deployment/docuchat-backend [liveness-and-readiness-probes]',
    ],
    [
      'a container that may run as root',
      (o: ReturnType<typeof objectsOf>) => {
        const pod = raw(find(o, 'Deployment', 'docuchat-redis')).spec.template.spec;
        pod.securityContext.runAsUser = 0;
      },
      'Deployment/docuchat-redis [run-as-non-root]',
    ],
    [
      'a writable root file system',
      (o: ReturnType<typeof objectsOf>) => {
        backendContainer(o).securityContext.readOnlyRootFilesystem = false;
      },
      'Deployment/docuchat-backend [read-only-root-filesystem]',
    ],
    [
      'a read-only root without any writable mount',
      (o: ReturnType<typeof objectsOf>) => {
        backendContainer(o).volumeMounts = [];
      },
      'Deployment/docuchat-backend [read-only-root-filesystem]',
    ],
    [
      'privilege escalation left at its default',
      (o: ReturnType<typeof objectsOf>) => {
        delete backendContainer(o).securityContext.allowPrivilegeEscalation;
      },
      'Deployment/docuchat-backend [no-privilege-escalation]',
    ],
    [
      'a latest image',
      (o: ReturnType<typeof objectsOf>) => {
        backendContainer(o).image = 'ghcr.io/docuchat/docuchat-backend:latest';
      },
      'Deployment/docuchat-backend [pinned-image-tag]',
    ],
    [
      'an untagged image',
      (o: ReturnType<typeof objectsOf>) => {
        raw(find(o, 'CronJob', 'docuchat-backup')).spec.jobTemplate.spec.template.spec.containers[0].image =
          'postgres';
      },
      'CronJob/docuchat-backup [pinned-image-tag]',
    ],
    [
      'a pod no NetworkPolicy of its own selects',
      (o: ReturnType<typeof objectsOf>) => {
        o.splice(o.indexOf(find(o, 'NetworkPolicy', 'docuchat-redis')), 1);
      },
      'Deployment/docuchat-redis [pod-selected-by-network-policy]',
    ],
    [
      'a Service whose selector matches no pod',
      (o: ReturnType<typeof objectsOf>) => {
        raw(find(o, 'Service', 'docuchat-redis')).spec.selector['app.kubernetes.io/component'] = 'cache';
      },
      'Service/docuchat-redis [service-selects-pods-and-ports]',
    ],
    [
      'a Service targeting a port its pods do not expose',
      (o: ReturnType<typeof objectsOf>) => {
        raw(find(o, 'Service', 'docuchat-grafana')).spec.ports[0].targetPort = 'web';
      },
      'Service/docuchat-grafana [service-selects-pods-and-ports]',
    ],
    [
      'replicas on the autoscaled backend',
      (o: ReturnType<typeof objectsOf>) => {
        raw(find(o, 'Deployment', 'docuchat-backend')).spec.replicas = 2;
      },
      'Deployment/docuchat-backend [no-replicas-on-autoscaled-workload]',
    ],
    [
      'backend pods relabelled to another component',
      (o: ReturnType<typeof objectsOf>) => {
        const deployment = raw(find(o, 'Deployment', 'docuchat-backend'));
        deployment.spec.template.metadata.labels['app.kubernetes.io/component'] = 'api';
      },
      'ConfigMap/docuchat-prometheus-config [prometheus-scrapes-backend]',
    ],
  ])('reject %s', (_what, mutate, expected) => {
    expect(violationsAfter(mutate)).toContain(expected);
  });

  it('reject a scrape config on the wrong metrics path', () => {
    const violations = violationsAfter((o) => {
      const configMap = raw(find(o, 'ConfigMap', 'docuchat-prometheus-config'));
      configMap.data['prometheus.yml'] = configMap.data['prometheus.yml'].replace(
        '/api/v1/metrics',
        '/metrics',
      );
    });
    expect(violations).toEqual(['ConfigMap/docuchat-prometheus-config [prometheus-scrapes-backend]']);
  });

  it('accept an exception that gives its reason, and reject one that does not', () => {
    const withReason = violationsAfter((o) => {
      const deployment = raw(find(o, 'Deployment', 'docuchat-backend'));
      deployment.spec.template.spec.containers[0].image = 'ghcr.io/docuchat/docuchat-backend:latest';
      deployment.metadata.annotations = {
        [`${EXCEPTION_ANNOTATION_PREFIX}pinned-image-tag`]:
          'preview environment tracks the main branch build',
      };
    });
    expect(withReason).toEqual([]);
    const withoutReason = violationsAfter((o) => {
      const deployment = raw(find(o, 'Deployment', 'docuchat-backend'));
      deployment.spec.template.spec.containers[0].image = 'ghcr.io/docuchat/docuchat-backend:latest';
      deployment.metadata.annotations = { [`${EXCEPTION_ANNOTATION_PREFIX}pinned-image-tag`]: ' ' };
    });
    expect(withoutReason).toEqual(['Deployment/docuchat-backend [exception-needs-reason]']);
  });
});
