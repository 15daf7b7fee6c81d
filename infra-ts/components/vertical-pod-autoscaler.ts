import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { componentLabels, resourceNames } from '../names.js';
import type { StackConfig } from '../stack-config.js';

/** The fields of `autoscaling.k8s.io/v1` VerticalPodAutoscaler DocuChat uses (a typed custom resource). */
export interface VerticalPodAutoscalerSpec {
  readonly targetRef: { readonly apiVersion: string; readonly kind: string; readonly name: string };
  readonly updatePolicy: { readonly updateMode: 'Off' | 'Initial' | 'Recreate' | 'Auto' };
  readonly resourcePolicy?: {
    readonly containerPolicies: ReadonlyArray<{
      readonly containerName: string;
      readonly controlledResources?: ReadonlyArray<'cpu' | 'memory'>;
      readonly minAllowed?: { readonly cpu?: string; readonly memory?: string };
      readonly maxAllowed?: { readonly cpu?: string; readonly memory?: string };
    }>;
  };
}

export const VPA_API_VERSION = 'autoscaling.k8s.io/v1';

/** The whole object, the schema the unknown-field check holds the synthesized VPA to. */
export interface VerticalPodAutoscalerObject {
  readonly apiVersion: typeof VPA_API_VERSION;
  readonly kind: 'VerticalPodAutoscaler';
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec: VerticalPodAutoscalerSpec;
}

export interface BackendVerticalPodAutoscalerProps {
  readonly config: StackConfig;
}

/**
 * Resource recommendations for the backend (off by default; needs the VPA CRDs in the cluster). It never
 * exceeds the configured limits, so the HighMemoryUsage alert and the recommendation share one ceiling.
 */
export class BackendVerticalPodAutoscaler extends Construct {
  constructor(scope: Construct, id: string, props: BackendVerticalPodAutoscalerProps) {
    super(scope, id);
    const { config } = props;
    const spec: VerticalPodAutoscalerSpec = {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: resourceNames.backend },
      updatePolicy: { updateMode: config.vpa.updateMode },
      resourcePolicy: {
        containerPolicies: [
          {
            containerName: 'backend',
            controlledResources: ['cpu', 'memory'],
            minAllowed: { ...config.backend.resources.requests },
            maxAllowed: { ...config.backend.resources.limits },
          },
        ],
      },
    };
    new ApiObject(this, 'vpa', {
      apiVersion: VPA_API_VERSION,
      kind: 'VerticalPodAutoscaler',
      metadata: { name: resourceNames.backend, labels: componentLabels('backend') },
      spec,
    });
  }
}
