#!/usr/bin/env node
// Entry of the `slicemesh` command: runs the TypeScript CLI through tsx so the
// project needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
