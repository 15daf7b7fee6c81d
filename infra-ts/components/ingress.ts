import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { API_PREFIX, DEFAULT_PORT, SSE_HEARTBEAT_SECONDS, STREAMING_PATHS } from '../../app/config/http.js';
import { APP_NAME, LABEL_NAME, LABEL_PART_OF, resourceNames } from '../names.js';
import type { StackConfig } from '../stack-config.js';
import { FRONTEND_PORT } from './frontend.js';
import { GRAFANA_PORT } from './grafana.js';

/**
 * How long nginx keeps a quiet stream open. Many heartbeat intervals, so one late heartbeat never cuts a chat
 * answer, and long enough for a slow model to finish.
 */
export const STREAM_READ_TIMEOUT_SECONDS = Math.max(3600, SSE_HEARTBEAT_SECONDS * 20);

export interface DocuChatIngressProps {
  readonly config: StackConfig;
}

function backend(service: string, port: number): k8s.IngressBackend {
  return { service: { name: service, port: { number: port } } };
}

/**
 * The public entry: `/api` → backend, `/` → frontend, the Grafana host → Grafana, TLS from cert-manager. The
 * streaming paths get their own Ingress, because nginx annotations apply per Ingress and only streams should
 * run unbuffered with long read timeouts.
 */
export class DocuChatIngress extends Construct {
  constructor(scope: Construct, id: string, props: DocuChatIngressProps) {
    super(scope, id);
    const { config } = props;
    const labels = { [LABEL_NAME]: APP_NAME, [LABEL_PART_OF]: APP_NAME };
    const bodySize = `${config.backend.maxUploadMegabytes}m`;
    const tls = config.tls.enabled
      ? [{ hosts: [config.domains.app, config.domains.grafana], secretName: resourceNames.tlsSecret }]
      : undefined;

    new k8s.KubeIngress(this, 'main', {
      metadata: {
        name: resourceNames.ingress,
        labels,
        annotations: {
          ...(config.tls.enabled
            ? {
                'cert-manager.io/cluster-issuer': config.tls.clusterIssuer,
                'nginx.ingress.kubernetes.io/ssl-redirect': 'true',
              }
            : {}),
          'nginx.ingress.kubernetes.io/proxy-body-size': bodySize,
        },
      },
      spec: {
        ingressClassName: 'nginx',
        tls,
        rules: [
          {
            host: config.domains.app,
            http: {
              paths: [
                {
                  path: API_PREFIX,
                  pathType: 'Prefix',
                  backend: backend(resourceNames.backend, DEFAULT_PORT),
                },
                { path: '/', pathType: 'Prefix', backend: backend(resourceNames.frontend, FRONTEND_PORT) },
              ],
            },
          },
          {
            host: config.domains.grafana,
            http: {
              paths: [
                { path: '/', pathType: 'Prefix', backend: backend(resourceNames.grafana, GRAFANA_PORT) },
              ],
            },
          },
        ],
      },
    });

    // No issuer annotation here: the certificate belongs to the main Ingress, nginx finds it by host.
    new k8s.KubeIngress(this, 'streaming', {
      metadata: {
        name: resourceNames.streamingIngress,
        labels,
        annotations: {
          'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
          'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
          'nginx.ingress.kubernetes.io/proxy-read-timeout': String(STREAM_READ_TIMEOUT_SECONDS),
          'nginx.ingress.kubernetes.io/proxy-send-timeout': String(STREAM_READ_TIMEOUT_SECONDS),
          'nginx.ingress.kubernetes.io/proxy-body-size': bodySize,
          ...(config.tls.enabled ? { 'nginx.ingress.kubernetes.io/ssl-redirect': 'true' } : {}),
        },
      },
      spec: {
        ingressClassName: 'nginx',
        tls: tls ? [{ hosts: [config.domains.app], secretName: resourceNames.tlsSecret }] : undefined,
        rules: [
          {
            host: config.domains.app,
            http: {
              paths: STREAMING_PATHS.map((path) => ({
                path,
                pathType: 'Prefix',
                backend: backend(resourceNames.backend, DEFAULT_PORT),
              })),
            },
          },
        ],
      },
    });
  }
}
