/** Pulumi entry point (named in Pulumi.yaml): `pulumi up` / `pulumi preview --diff` on a stack runs this. */
import { deployDocuChat } from './program.js';

const stack = deployDocuChat();

export const namespace = stack.config.namespace;
/** The release applied, kept in the stack's history with every update. */
export const release = stack.config.release;
export const appUrl = stack.appUrl;
export const grafanaUrl = stack.grafanaUrl;
export const objectCount = stack.objects.length;
