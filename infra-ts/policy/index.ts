/** Policy pack entry: `pulumi preview --policy-pack infra-ts/policy` (needs the Pulumi CLI). */
import { PolicyPack } from '@pulumi/policy';
import { resourcePolicies, stackPolicies } from './policies.js';

new PolicyPack('docuchat-kubernetes', { policies: [...resourcePolicies, ...stackPolicies] });
