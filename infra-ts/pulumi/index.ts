/** Pulumi entry point (named in Pulumi.yaml): `pulumi up` / `pulumi preview --diff` on a stack runs this. */
import { deployDocuChat } from './program.js';

const stack = deployDocuChat();

export const namespace = stack.config.namespace;
export const appUrl = stack.appUrl;
export const grafanaUrl = stack.grafanaUrl;
export const objectCount = stack.objects.length;
