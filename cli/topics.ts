import { Command, Option } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import { positiveInt } from '../lib/cli-options.ts';
import { createTopics } from '../lib/topics.ts';
import { addConnectionOptions, type ConnectionFlags, resolveConnections } from './common.ts';

interface TopicsCreateFlags extends ConnectionFlags {
  partitions: number;
  replicationFactor?: number;
}

export function topicsCommand(): Command {
  const topics = new Command('topics').description('the pipeline topics in Kafka');
  const create = topics
    .command('create')
    .description('create every pipeline topic that is missing (changelogs compacted, DLQ kept a year)')
    .addOption(
      new Option('--partitions <n>', 'partitions per topic')
        .env('IPT_TOPIC_PARTITIONS')
        .argParser(positiveInt)
        .default(4),
    )
    .addOption(
      new Option(
        '--replication-factor <n>',
        "replicas per partition (default: the cluster's default.replication.factor — 3 on the stack's three-broker cluster)",
      )
        .env('IPT_TOPIC_REPLICATION_FACTOR')
        .argParser(positiveInt),
    );
  addConnectionOptions(create, { registry: false }).action(async (opts: TopicsCreateFlags) => {
    const { brokers, topics: names } = resolveConnections(opts);
    const admin = new Kafka({ clientId: 'ipt-topics', brokers, logLevel: logLevel.ERROR }).admin();
    await admin.connect();
    try {
      const created = await createTopics(admin, opts.partitions, names, opts.replicationFactor);
      console.log(created.length > 0 ? `created: ${created.join(', ')}` : 'all topics already exist');
    } finally {
      await admin.disconnect();
    }
  });
  return topics;
}
