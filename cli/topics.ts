import { Command, Option } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import { commaList, positiveInt } from '../lib/cli-options.ts';
import { loadEndpoints } from '../lib/endpoints.ts';
import { createTopics, topicsFor } from '../lib/topics.ts';

interface TopicsCreateFlags {
  partitions: number;
  replicationFactor: number;
  brokers?: string[];
  topicNamespace?: string;
}

export function topicsCommand(): Command {
  const topics = new Command('topics').description('the pipeline topics in Kafka');
  topics
    .command('create')
    .description('create every pipeline topic that is missing (changelogs compacted, DLQ kept a year)')
    .addOption(
      new Option('--partitions <n>', 'partitions per topic')
        .env('IPT_TOPIC_PARTITIONS')
        .argParser(positiveInt)
        .default(4),
    )
    .addOption(
      new Option('--replication-factor <n>', 'replicas per partition (3 on a three-broker cluster)')
        .env('IPT_TOPIC_REPLICATION_FACTOR')
        .argParser(positiveInt)
        .default(1),
    )
    .addOption(
      new Option('--brokers <list>', 'Kafka bootstrap servers (default: the local stack)')
        .env('IPT_KAFKA_BROKERS')
        .argParser(commaList),
    )
    .addOption(
      new Option('--topic-namespace <ns>', 'prefix of every topic name (side-by-side pipelines)').env(
        'IPT_TOPIC_NAMESPACE',
      ),
    )
    .action(async (opts: TopicsCreateFlags) => {
      const brokers = opts.brokers?.length ? opts.brokers : loadEndpoints().kafka.brokers;
      const admin = new Kafka({ clientId: 'ipt-topics', brokers, logLevel: logLevel.ERROR }).admin();
      await admin.connect();
      try {
        const created = await createTopics(
          admin,
          opts.partitions,
          topicsFor(opts.topicNamespace),
          opts.replicationFactor,
        );
        console.log(created.length > 0 ? `created: ${created.join(', ')}` : 'all topics already exist');
      } finally {
        await admin.disconnect();
      }
    });
  return topics;
}
