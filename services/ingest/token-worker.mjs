// Worker-thread entry for services/ingest/tokenize.ts: registers tsx (TypeScript without a build
// step) in this thread, then loads the TypeScript worker body.
import { register } from 'tsx/esm/api';

register();
await import('./token-worker-body.ts');
