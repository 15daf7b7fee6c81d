/**
 * Kubernetes schema validation of synthesized objects: kubernetes-models' validators (types, required fields,
 * formats), our unknown-field check, and range checks the OpenAPI schema does not express (ports, replica
 * counts, percentages, cron schedules, quantities, names).
 */
import { isCronSchedule } from '../stack-config.js';
import { isTypedCustomResource, modelModule, unknownFields } from './known-fields.js';
import { describe, type KubeObject } from './kube-object.js';

interface ModelClass {
  new (data: unknown): { validate(): void };
}

/** Errors of kubernetes-models' own validator, one line per object. */
export async function modelErrors(objects: readonly KubeObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const object of objects) {
    let model: ModelClass | undefined;
    try {
      const module = (await import(modelModule(object.apiVersion))) as Record<string, ModelClass>;
      model = module[object.kind];
    } catch {
      model = undefined;
    }
    if (!model) {
      // Custom resources (the VPA) have no kubernetes-models class; the unknown-field check types them.
      if (isTypedCustomResource(object.apiVersion, object.kind)) continue;
      problems.push(`${describe(object)}: kubernetes-models knows no ${object.apiVersion} ${object.kind}`);
      continue;
    }
    try {
      new model(object).validate();
    } catch (error) {
      problems.push(`${describe(object)}: ${(error as Error).message}`);
    }
  }
  return problems;
}

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PORT_KEYS = new Set(['containerPort', 'port', 'targetPort', 'hostPort', 'number']);

function walkRanges(value: unknown, where: string, parentKey: string, problems: string[]): void {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) walkRanges(v, `${where}[${i}]`, parentKey, problems);
    return;
  }
  if (!value || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    const at = where ? `${where}.${key}` : key;
    if (typeof child === 'number') {
      const isPort = PORT_KEYS.has(key) && (key !== 'number' || parentKey === 'port');
      if (isPort && !(Number.isInteger(child) && child >= 1 && child <= 65535)) {
        problems.push(`${at} = ${child} is not a TCP/UDP port (1-65535)`);
      }
      if (
        (key === 'replicas' || key === 'minReplicas' || key === 'maxReplicas') &&
        !(Number.isInteger(child) && child >= (key === 'replicas' ? 0 : 1))
      ) {
        problems.push(`${at} = ${child} is not a valid replica count`);
      }
      if (key === 'averageUtilization' && !(Number.isInteger(child) && child >= 1 && child <= 100)) {
        problems.push(`${at} = ${child} is not a percentage between 1 and 100`);
      }
      if (/Seconds$/.test(key) && !(Number.isInteger(child) && child >= 0)) {
        problems.push(`${at} = ${child} is not a whole number of seconds`);
      }
      if (
        (key === 'runAsUser' || key === 'runAsGroup' || key === 'fsGroup') &&
        !(Number.isInteger(child) && child >= 0)
      ) {
        problems.push(`${at} = ${child} is not a user or group id`);
      }
    }
    if (typeof child === 'string') {
      if (
        (parentKey === 'requests' || parentKey === 'limits' || key === 'sizeLimit') &&
        !QUANTITY.test(child)
      ) {
        problems.push(`${at} = ${JSON.stringify(child)} is not a Kubernetes quantity`);
      }
      if (key === 'schedule' && !isCronSchedule(child)) {
        problems.push(`${at} = ${JSON.stringify(child)} is not a five-field cron schedule`);
      }
    }
    if (
      (key === 'labels' || key === 'matchLabels' || key === 'selector') &&
      child &&
      typeof child === 'object' &&
      !Array.isArray(child)
    ) {
      for (const [k, v] of Object.entries(child)) {
        if (typeof v !== 'string') continue;
        if (!LABEL_KEY.test(k)) problems.push(`${at} has an invalid label key ${JSON.stringify(k)}`);
        if (!LABEL_VALUE.test(v))
          problems.push(`${at}.${k} = ${JSON.stringify(v)} is not a valid label value`);
      }
    }
    walkRanges(child, at, key, problems);
  }
}

/** Range and name problems the OpenAPI schema does not catch. */
export function rangeErrors(objects: readonly KubeObject[]): string[] {
  return objects.flatMap((object) => {
    const problems: string[] = [];
    const name = object.metadata.name;
    // Services and namespaces become DNS labels; everything else must be a DNS subdomain.
    const nameRule = ['Service', 'Namespace'].includes(object.kind) ? DNS_1123_LABEL : DNS_1123_SUBDOMAIN;
    if (!nameRule.test(name))
      problems.push(`metadata.name ${JSON.stringify(name)} is not a valid ${object.kind} name`);
    if (object.kind === 'CronJob' && name.length > 52) {
      problems.push(`metadata.name is longer than 52 characters; the controller cannot name its Jobs`);
    }
    walkRanges(object, '', '', problems);
    return problems.map((p) => `${describe(object)}: ${p}`);
  });
}

/** Every schema problem of every object; empty when all objects would be accepted as written. */
export async function schemaErrors(objects: readonly KubeObject[]): Promise<string[]> {
  return [...(await modelErrors(objects)), ...unknownFields(objects), ...rangeErrors(objects)];
}
