/**
 * What the NetworkPolicies let through, evaluated the way Kubernetes does: a connection is allowed when the
 * source's egress and the destination's ingress both allow it (policies are additive; a pod selected by any
 * policy of a direction is isolated in that direction).
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../chart.js';
import { type Component, selectorLabels } from '../names.js';
import { type LabelSelectorView, selectorMatches } from '../validation/kube-object.js';
import { objectsOf } from './objects.js';

type Endpoint = { component: Component } | { namespace: string } | { internet: string };

interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: Array<{ protocol?: string; port?: number }>;
}
interface Peer {
  podSelector?: LabelSelectorView;
  namespaceSelector?: LabelSelectorView;
  ipBlock?: { cidr: string; except?: string[] };
}
interface PolicySpec {
  podSelector: LabelSelectorView;
  policyTypes: string[];
  ingress?: Rule[];
  egress?: Rule[];
}

const NAMESPACE = 'docuchat-prod';
const policies = objectsOf('prod')
  .filter((o: KubeObject) => o.kind === 'NetworkPolicy')
  .map((o) => o.spec as PolicySpec);

function labelsOf(e: Endpoint): Record<string, string> {
  return 'component' in e ? selectorLabels(e.component) : {};
}
function namespaceOf(e: Endpoint): string | undefined {
  return 'component' in e ? NAMESPACE : 'namespace' in e ? e.namespace : undefined;
}

/** IPv4 CIDR membership, as the NetworkPolicy ipBlock means it. */
function inCidr(ip: string, cidr: string): boolean {
  const toInt = (a: string) => a.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  const [base, bits] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(base) / size);
}

function peerMatches(peer: Peer, e: Endpoint): boolean {
  if (peer.ipBlock) {
    if (!('internet' in e)) return false;
    const { cidr, except = [] } = peer.ipBlock;
    return inCidr(e.internet, cidr) && !except.some((x) => inCidr(e.internet, x));
  }
  const ns = namespaceOf(e);
  if (ns === undefined) return false;
  const nsOk = peer.namespaceSelector
    ? selectorMatches(peer.namespaceSelector, { 'kubernetes.io/metadata.name': ns })
    : ns === NAMESPACE;
  const podOk = peer.podSelector ? selectorMatches(peer.podSelector, labelsOf(e)) : true;
  return nsOk && podOk;
}

function ruleAllows(
  rule: Rule,
  peers: Peer[] | undefined,
  other: Endpoint,
  port: number,
  protocol: string,
): boolean {
  const peerOk = !peers || peers.length === 0 || peers.some((p) => peerMatches(p, other));
  const portOk =
    !rule.ports ||
    rule.ports.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || p.port === port));
  return peerOk && portOk;
}

function direction(
  subject: Endpoint,
  other: Endpoint,
  port: number,
  protocol: string,
  type: 'Ingress' | 'Egress',
): boolean {
  // Endpoints outside the namespace are not governed by these policies.
  if (!('component' in subject)) return true;
  const selecting = policies.filter(
    (p) => p.policyTypes.includes(type) && selectorMatches(p.podSelector, labelsOf(subject)),
  );
  if (selecting.length === 0) return true;
  return selecting.some((p) =>
    (type === 'Ingress' ? p.ingress : p.egress)?.some((r) =>
      ruleAllows(r, type === 'Ingress' ? r.from : r.to, other, port, protocol),
    ),
  );
}

function allowed(from: Endpoint, to: Endpoint, port: number, protocol = 'TCP'): boolean {
  return direction(from, to, port, protocol, 'Egress') && direction(to, from, port, protocol, 'Ingress');
}

const pod = (component: Component): Endpoint => ({ component });
const ingressController: Endpoint = { namespace: 'ingress-nginx' };
const dns: Endpoint = { namespace: 'kube-system' };
const openai: Endpoint = { internet: '104.18.7.192' };

describe('network policies', () => {
  it('let the frontend, the ingress controller and Prometheus reach the backend on 8000 only', () => {
    expect(allowed(pod('frontend'), pod('backend'), 8000)).toBe(true);
    expect(allowed(ingressController, pod('backend'), 8000)).toBe(true);
    expect(allowed(pod('prometheus'), pod('backend'), 8000)).toBe(true);
    expect(allowed(pod('grafana'), pod('backend'), 8000)).toBe(false);
    expect(allowed(pod('frontend'), pod('backend'), 9229)).toBe(false);
  });

  it('let the backend reach PostgreSQL, Redis, DNS and HTTPS services, and nothing else', () => {
    expect(allowed(pod('backend'), pod('postgresql'), 5432)).toBe(true);
    expect(allowed(pod('backend'), pod('redis'), 6379)).toBe(true);
    expect(allowed(pod('backend'), dns, 53, 'UDP')).toBe(true);
    expect(allowed(pod('backend'), openai, 443)).toBe(true);
    expect(allowed(pod('backend'), openai, 80)).toBe(false);
    expect(allowed(pod('backend'), pod('grafana'), 3000)).toBe(false);
    expect(allowed(pod('backend'), { internet: '10.0.0.12' }, 443)).toBe(false);
  });

  it('let the backup jobs reach their bucket’s port, public or on a private network, and nothing else outside', () => {
    expect(allowed(pod('backup'), { internet: '52.219.170.10' }, 443)).toBe(true);
    expect(allowed(pod('backup'), { internet: '10.20.0.5' }, 443)).toBe(true);
    expect(allowed(pod('backup'), { internet: '52.219.170.10' }, 80)).toBe(false);
    expect(allowed(pod('backend'), { internet: '10.20.0.5' }, 443)).toBe(false);
  });

  it('let only the backend, billing and backup pods reach PostgreSQL', () => {
    expect(allowed(pod('billing'), pod('postgresql'), 5432)).toBe(true);
    expect(allowed(pod('backup'), pod('postgresql'), 5432)).toBe(true);
    for (const other of ['frontend', 'redis', 'prometheus', 'grafana'] as const) {
      expect(allowed(pod(other), pod('postgresql'), 5432), other).toBe(false);
    }
    expect(allowed(ingressController, pod('postgresql'), 5432)).toBe(false);
  });

  it('let Grafana query Prometheus, and Prometheus scrape the backend', () => {
    expect(allowed(pod('grafana'), pod('prometheus'), 9090)).toBe(true);
    expect(allowed(pod('frontend'), pod('prometheus'), 9090)).toBe(false);
    expect(allowed(pod('prometheus'), pod('redis'), 6379)).toBe(false);
  });

  it('let the ingress controller reach the frontend and Grafana, and nothing reach Redis but the backend', () => {
    expect(allowed(ingressController, pod('frontend'), 8080)).toBe(true);
    expect(allowed(ingressController, pod('grafana'), 3000)).toBe(true);
    expect(allowed(ingressController, pod('redis'), 6379)).toBe(false);
    expect(allowed(pod('billing'), pod('redis'), 6379)).toBe(false);
  });
});
