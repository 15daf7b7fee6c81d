import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { APP_NAME, LABEL_NAME, LABEL_PART_OF } from '../names.js';

export interface DocuChatNamespaceProps {
  readonly name: string;
}

/** The stack's namespace, enforcing the restricted Pod Security Standard every workload is built to. */
export class DocuChatNamespace extends Construct {
  constructor(scope: Construct, id: string, props: DocuChatNamespaceProps) {
    super(scope, id);
    new k8s.KubeNamespace(this, 'namespace', {
      metadata: {
        name: props.name,
        labels: {
          [LABEL_NAME]: APP_NAME,
          [LABEL_PART_OF]: APP_NAME,
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/warn': 'restricted',
        },
      },
    });
  }
}
