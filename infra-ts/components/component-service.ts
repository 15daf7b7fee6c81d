import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { type Component, componentLabels, selectorLabels } from '../names.js';

export interface ComponentServiceProps {
  readonly component: Component;
  /** Service name; the agreed name of the component's workload. */
  readonly name: string;
  /** Named ports; `targetPort` refers to the container port of the same name. */
  readonly ports: ReadonlyArray<{ readonly name: string; readonly port: number }>;
  /**
   * Headless Services give StatefulSet pods stable DNS names.
   * @default false
   */
  readonly headless?: boolean;
}

/** A ClusterIP Service selecting one component's pods by the same labels its workload selects. */
export class ComponentService extends Construct {
  constructor(scope: Construct, id: string, props: ComponentServiceProps) {
    super(scope, id);
    new k8s.KubeService(this, 'service', {
      metadata: { name: props.name, labels: componentLabels(props.component) },
      spec: {
        type: 'ClusterIP',
        ...(props.headless ? { clusterIp: 'None' } : {}),
        selector: selectorLabels(props.component),
        ports: props.ports.map((p) => ({
          name: p.name,
          port: p.port,
          targetPort: k8s.IntOrString.fromString(p.name),
          protocol: 'TCP',
        })),
      },
    });
  }
}
