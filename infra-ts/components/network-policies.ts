import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DEFAULT_PORT } from '../../app/config/http.js';
import {
  APP_NAME,
  type Component,
  componentLabels,
  LABEL_NAME,
  LABEL_PART_OF,
  resourceNames,
  selectorLabels,
} from '../names.js';
import { requireObjectStore, type StackConfig } from '../stack-config.js';
import { FRONTEND_PORT } from './frontend.js';
import { GRAFANA_PORT } from './grafana.js';
import { POSTGRESQL_PORT } from './postgresql.js';
import { PROMETHEUS_PORT } from './prometheus.js';
import { REDIS_PORT } from './redis.js';

const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Traffic to or from the pods of one DocuChat component. */
function pods(component: Component): k8s.NetworkPolicyPeer {
  return { podSelector: { matchLabels: selectorLabels(component) } };
}

/** Traffic to or from every pod of another namespace (the ingress controller's). */
function namespace(name: string): k8s.NetworkPolicyPeer {
  return { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: name } } };
}

function tcp(...ports: number[]): k8s.NetworkPolicyPort[] {
  return ports.map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }));
}

/** Cluster DNS, wherever the cluster runs it (kube-dns or CoreDNS in kube-system). */
const dns: k8s.NetworkPolicyEgressRule = {
  to: [namespace('kube-system')],
  ports: [
    { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
    { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
  ],
};

/** Public HTTPS (OpenAI, Zibal) and mail submission; cluster-internal ranges stay closed. */
function internet(...ports: number[]): k8s.NetworkPolicyEgressRule {
  return {
    to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } }],
    ports: tcp(...ports),
  };
}

/** The TCP port of the backups' object store endpoint (443 for https, 80 for http, unless the URL names one). */
export function objectStorePort(endpoint: string): number {
  const url = new URL(endpoint);
  return url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
}

interface ComponentPolicy {
  readonly component: Component;
  readonly ingress: k8s.NetworkPolicyIngressRule[];
  readonly egress: k8s.NetworkPolicyEgressRule[];
}

export interface DocuChatNetworkPoliciesProps {
  readonly config: StackConfig;
}

/**
 * Default deny for the namespace, then one policy per component naming exactly the traffic it needs. A new
 * component gets no traffic until it is listed here, which is the point.
 */
export class DocuChatNetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: DocuChatNetworkPoliciesProps) {
    super(scope, id);
    const ingressController = namespace(props.config.ingressController.namespace);

    new k8s.KubeNetworkPolicy(this, 'default-deny', {
      metadata: {
        name: resourceNames.defaultDeny,
        labels: { [LABEL_NAME]: APP_NAME, [LABEL_PART_OF]: APP_NAME },
      },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });

    const policies: ComponentPolicy[] = [
      {
        component: 'backend',
        ingress: [
          { from: [pods('frontend'), ingressController], ports: tcp(DEFAULT_PORT) },
          { from: [pods('prometheus')], ports: tcp(DEFAULT_PORT) },
        ],
        egress: [
          { to: [pods('postgresql')], ports: tcp(POSTGRESQL_PORT) },
          { to: [pods('redis')], ports: tcp(REDIS_PORT) },
          dns,
          internet(443),
        ],
      },
      {
        component: 'frontend',
        ingress: [{ from: [ingressController], ports: tcp(FRONTEND_PORT) }],
        // The web server may proxy API calls to the backend Service (same-origin setups without the Ingress).
        egress: [{ to: [pods('backend')], ports: tcp(DEFAULT_PORT) }, dns],
      },
      {
        component: 'postgresql',
        ingress: [{ from: [pods('backend'), pods('billing'), pods('backup')], ports: tcp(POSTGRESQL_PORT) }],
        egress: [],
      },
      { component: 'redis', ingress: [{ from: [pods('backend')], ports: tcp(REDIS_PORT) }], egress: [] },
      {
        component: 'prometheus',
        ingress: [{ from: [pods('grafana'), pods('billing')], ports: tcp(PROMETHEUS_PORT) }],
        egress: [
          { to: [pods('backend')], ports: tcp(DEFAULT_PORT) },
          dns,
          // Pod discovery talks to the Kubernetes API server, whose address differs per cluster.
          { ports: tcp(443, 6443) },
        ],
      },
      {
        component: 'grafana',
        ingress: [{ from: [ingressController], ports: tcp(GRAFANA_PORT) }],
        egress: [{ to: [pods('prometheus')], ports: tcp(PROMETHEUS_PORT) }, dns],
      },
      {
        component: 'billing',
        ingress: [],
        egress: [
          { to: [pods('postgresql')], ports: tcp(POSTGRESQL_PORT) },
          // The reconciliation check compares the ledger with Prometheus' token counter.
          { to: [pods('prometheus')], ports: tcp(PROMETHEUS_PORT) },
          dns,
          internet(443, 465, 587),
        ],
      },
      {
        component: 'backup',
        ingress: [],
        egress: [
          { to: [pods('postgresql')], ports: tcp(POSTGRESQL_PORT) },
          dns,
          // The bucket, wherever it is (a cloud's S3, or MinIO on a private network): its port only.
          {
            to: [{ ipBlock: { cidr: '0.0.0.0/0' } }],
            ports: tcp(objectStorePort(requireObjectStore(props.config).endpoint)),
          },
        ],
      },
    ];

    for (const policy of policies) {
      new k8s.KubeNetworkPolicy(this, policy.component, {
        metadata: { name: `${APP_NAME}-${policy.component}`, labels: componentLabels(policy.component) },
        spec: {
          podSelector: { matchLabels: selectorLabels(policy.component) },
          policyTypes: ['Ingress', 'Egress'],
          ingress: policy.ingress,
          egress: policy.egress,
        },
      });
    }
  }
}
