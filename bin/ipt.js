#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so there is no build step between editing and running.
import { register } from 'tsx/esm/api';

register();
await import('../cli/index.ts');
