import { Command, InvalidArgumentError } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import { loadEndpoints } from '../lib/endpoints.ts';
import { createTopics, topicsFor } from '../lib/topics.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function topicsCommand(): Command {
  const topics = new Command('topics').description('the pipeline topics in Kafka');
  topics
    .command('create')
    .description('create every pipeline topic that is missing (changelogs compacted, DLQ kept a year)')
    .option('--partitions <n>', 'partitions per topic', positiveInt, 4)
    .option('--brokers <list>', 'Kafka bootstrap servers (default: the local stack)')
    .option('--topic-namespace <ns>', 'prefix of every topic name (side-by-side pipelines)')
    .action(async (opts: { partitions: number; brokers?: string; topicNamespace?: string }) => {
      const brokers = opts.brokers?.split(',') ?? loadEndpoints().kafka.brokers;
      const admin = new Kafka({ clientId: 'ipt-topics', brokers, logLevel: logLevel.ERROR }).admin();
      await admin.connect();
      try {
        const created = await createTopics(admin, opts.partitions, topicsFor(opts.topicNamespace));
        console.log(created.length > 0 ? `created: ${created.join(', ')}` : 'all topics already exist');
      } finally {
        await admin.disconnect();
      }
    });
  return topics;
}
