import { Command, Option } from 'commander';
import { loadEndpoints } from '../lib/endpoints.ts';
import { checkSchemas, registerSchemas, registryClient } from '../lib/registry.ts';
import { topicsFor } from '../lib/topics.ts';

const registryOption = () =>
  new Option('--registry <url>', 'Confluent-compatible registry URL (default: the local stack)').env(
    'IPT_REGISTRY_URL',
  );
const namespaceOption = () =>
  new Option('--topic-namespace <ns>', 'prefix of every topic name (side-by-side pipelines)').env(
    'IPT_TOPIC_NAMESPACE',
  );

const registryUrl = (opts: { registry?: string }) => opts.registry ?? loadEndpoints().registry.url;

export function schemasCommand(): Command {
  const schemas = new Command('schemas').description('the Avro schemas of schemas/ in the schema registry');
  schemas
    .command('register')
    .description('register every topic schema under <topic>-value with BACKWARD compatibility')
    .addOption(registryOption())
    .addOption(namespaceOption())
    .action(async (opts: { registry?: string; topicNamespace?: string }) => {
      const ids = await registerSchemas(registryClient(registryUrl(opts)), topicsFor(opts.topicNamespace));
      for (const [topic, id] of Object.entries(ids)) console.log(`${topic}-value  id ${id}`);
    });
  schemas
    .command('check')
    .description('compare schemas/ with the registry; exit 1 if a schema is missing or incompatible')
    .addOption(registryOption())
    .addOption(namespaceOption())
    .action(async (opts: { registry?: string; topicNamespace?: string }) => {
      const results = await checkSchemas(registryClient(registryUrl(opts)), topicsFor(opts.topicNamespace));
      for (const r of results) console.log(`${r.topic.padEnd(24)} ${r.schema.padEnd(16)} ${r.status}`);
      if (results.some((r) => r.status === 'missing' || r.status === 'incompatible')) process.exitCode = 1;
    });
  return schemas;
}
