/**
 * Which @pulumi/kubernetes resource class applies a synthesized object, by `apiVersion/kind`. One Pulumi
 * resource per object (rather than one ConfigGroup) so each object shows in `pulumi preview --diff` under its
 * own name, and so the database and its volumes can be protected individually.
 */
import * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';

export type KubernetesResourceClass = new (
  name: string,
  args: Record<string, unknown>,
  opts?: pulumi.CustomResourceOptions,
) => pulumi.CustomResource;

const asClass = (c: unknown) => c as KubernetesResourceClass;

export const resourceClasses: Readonly<Record<string, KubernetesResourceClass>> = {
  'v1/Namespace': asClass(k8s.core.v1.Namespace),
  'v1/ConfigMap': asClass(k8s.core.v1.ConfigMap),
  'v1/Service': asClass(k8s.core.v1.Service),
  'v1/ServiceAccount': asClass(k8s.core.v1.ServiceAccount),
  'v1/PersistentVolumeClaim': asClass(k8s.core.v1.PersistentVolumeClaim),
  'apps/v1/Deployment': asClass(k8s.apps.v1.Deployment),
  'apps/v1/StatefulSet': asClass(k8s.apps.v1.StatefulSet),
  'batch/v1/CronJob': asClass(k8s.batch.v1.CronJob),
  'autoscaling/v2/HorizontalPodAutoscaler': asClass(k8s.autoscaling.v2.HorizontalPodAutoscaler),
  'policy/v1/PodDisruptionBudget': asClass(k8s.policy.v1.PodDisruptionBudget),
  'networking.k8s.io/v1/Ingress': asClass(k8s.networking.v1.Ingress),
  'networking.k8s.io/v1/NetworkPolicy': asClass(k8s.networking.v1.NetworkPolicy),
  'rbac.authorization.k8s.io/v1/Role': asClass(k8s.rbac.v1.Role),
  'rbac.authorization.k8s.io/v1/RoleBinding': asClass(k8s.rbac.v1.RoleBinding),
  'storage.k8s.io/v1/StorageClass': asClass(k8s.storage.v1.StorageClass),
};

/** The class for an object; custom resources (the VPA) go through the generic CustomResource. */
export function resourceClassFor(apiVersion: string, kind: string): KubernetesResourceClass {
  return resourceClasses[`${apiVersion}/${kind}`] ?? asClass(k8s.apiextensions.CustomResource);
}
