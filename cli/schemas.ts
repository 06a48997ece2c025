import { Command } from 'commander';
import { checkSchemas, registerSchemas, registryClient } from '../lib/registry.ts';
import { addConnectionOptions, type ConnectionFlags, resolveConnections } from './common.ts';

export function schemasCommand(): Command {
  const schemas = new Command('schemas').description('the Avro schemas of schemas/ in the schema registry');
  const register = schemas
    .command('register')
    .description('register every topic schema under <topic>-value with BACKWARD compatibility');
  addConnectionOptions(register, { kafka: false }).action(async (opts: ConnectionFlags) => {
    const { registryUrl, topics } = resolveConnections(opts);
    const ids = await registerSchemas(registryClient(registryUrl), topics);
    for (const [topic, id] of Object.entries(ids)) console.log(`${topic}-value  id ${id}`);
  });
  const check = schemas
    .command('check')
    .description('compare schemas/ with the registry; exit 1 if a schema is missing or incompatible');
  addConnectionOptions(check, { kafka: false }).action(async (opts: ConnectionFlags) => {
    const { registryUrl, topics } = resolveConnections(opts);
    const results = await checkSchemas(registryClient(registryUrl), topics);
    for (const r of results) console.log(`${r.topic.padEnd(24)} ${r.schema.padEnd(16)} ${r.status}`);
    if (results.some((r) => r.status === 'missing' || r.status === 'incompatible')) process.exitCode = 1;
  });
  return schemas;
}
