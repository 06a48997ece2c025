// Worker-thread entry of ingest's step pool (./pool.ts): registers tsx (TypeScript without a build
// step) in this thread, then hands piscina the TypeScript body's task function.
import { register } from 'tsx/esm/api';

register();
const body = await import('./worker-body.ts');
export default body.default;
