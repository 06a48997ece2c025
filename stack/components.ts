import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { REPO_ROOT, type StackConfig } from './config.ts';
import { ensureApicurio, ensureKafka, ensureVenv } from './fetch.ts';

type Say = (line: string) => void;

/** One real server of the local stack: how to fetch and start it, how to tell it is ready, where it listens. */
export interface Component {
  /** `kafka` (or `kafka-1` … `kafka-3` in a cluster), `registry`, `triton`: also its pid and log file names. */
  name: string;
  title: string;
  /** Fetches what is missing and returns the command line that runs the server in the foreground. */
  prepare(say: Say): { command: string[]; env?: NodeJS.ProcessEnv };
  /** Resolves true once the server answers as a client would use it. */
  ready(): Promise<boolean>;
  endpoint(): Record<string, unknown>;
  /** Ports it binds, checked free before starting. */
  ports: number[];
  startTimeoutMs: number;
}

export function components(cfg: StackConfig): Component[] {
  return [...kafkaNodes(cfg), registry(cfg), triton(cfg)];
}

/** One Kafka node of the stack: its id, where it listens, and its component (and pid file) name. */
export interface KafkaNode {
  id: number;
  name: string;
  port: number;
  controllerPort: number;
}

/** The stack's Kafka nodes: `kafka` alone, or `kafka-1` … `kafka-3` for the cluster. */
export function kafkaNodeList(cfg: StackConfig): KafkaNode[] {
  const { brokers, port } = cfg.kafka;
  return Array.from({ length: brokers }, (_, i) => ({
    id: i + 1,
    name: brokers === 1 ? 'kafka' : `kafka-${i + 1}`,
    port: port + 2 * i,
    controllerPort: port + 2 * i + 1,
  }));
}

export const brokerAddresses = (cfg: StackConfig) => kafkaNodeList(cfg).map((n) => `127.0.0.1:${n.port}`);

function kafkaNodes(cfg: StackConfig): Component[] {
  const nodes = kafkaNodeList(cfg);
  const title =
    nodes.length === 1
      ? 'Apache Kafka (KRaft, one node)'
      : `Apache Kafka (KRaft, ${nodes.length}-node cluster)`;
  return nodes.map((node) => {
    const dir = join(cfg.stateDir, node.name);
    return {
      name: node.name,
      title: nodes.length === 1 ? title : `${title}, node ${node.id}`,
      ports: [node.port, node.controllerPort],
      startTimeoutMs: 90_000,
      prepare(say) {
        const libs = ensureKafka(cfg, say);
        mkdirSync(join(dir, 'data'), { recursive: true });
        const properties = join(dir, 'server.properties');
        writeFileSync(properties, serverProperties(cfg, node, join(dir, 'data')));
        const log4j = join(dir, 'log4j.properties');
        writeFileSync(log4j, LOG4J);
        const java = [
          'java',
          `-Xmx${cfg.kafka.heapMb}m`,
          `-Dlog4j.configuration=file:${log4j}`,
          '-cp',
          `${libs}/*`,
        ];
        if (!existsSync(join(dir, 'data', 'meta.properties'))) {
          say(`formatting Kafka KRaft storage${nodes.length > 1 ? ` of ${node.name}` : ''} …`);
          formatStorage(cfg, java, properties);
        }
        return { command: [...java, 'kafka.Kafka', properties] };
      },
      ready: () => kafkaNodeReady(node),
      endpoint: () => ({ brokers: brokerAddresses(cfg) }),
    };
  });
}

/** KRaft needs each node's storage formatted once, all with the same cluster id, before the first start. */
function formatStorage(cfg: StackConfig, java: string[], properties: string): void {
  const idFile = join(cfg.stateDir, 'kafka-cluster-id');
  if (!existsSync(idFile)) writeFileSync(idFile, newClusterId());
  const clusterId = readFileSync(idFile, 'utf8').trim();
  const format = spawnSync(
    java[0] as string,
    [...java.slice(1), 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', properties],
    { encoding: 'utf8' },
  );
  if (format.status !== 0) throw new Error(`kafka storage format failed:\n${format.stdout}${format.stderr}`);
}

/** A Kafka-style cluster id: 16 random bytes in base64url. Like Kafka's own Uuid.randomUuid it never starts with '-', which command-line parsers read as an option. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** A node is ready when it answers as a client would use it, is registered with the cluster, and a group coordinator is available. */
async function kafkaNodeReady(node: KafkaNode): Promise<boolean> {
  const client = new Kafka({
    clientId: 'ipt-stack',
    brokers: [`127.0.0.1:${node.port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  });
  const admin = client.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    // A group lookup creates and loads __consumer_offsets; until then transactions that send
    // offsets fail with NOT_COORDINATOR, so the broker is not ready for our services yet.
    await admin.describeGroups(['ipt-stack-ready']);
    return cluster.brokers.some((b) => b.nodeId === node.id);
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

function serverProperties(cfg: StackConfig, node: KafkaNode, dataDir: string): string {
  const nodes = kafkaNodeList(cfg);
  // A cluster keeps every partition on three nodes and acknowledges a write once two have it, so
  // losing any one node loses nothing and stops nothing; one node can only keep one copy.
  const replicas = nodes.length === 1 ? 1 : 3;
  const minIsr = nodes.length === 1 ? 1 : 2;
  return `${[
    'process.roles=broker,controller',
    `node.id=${node.id}`,
    `controller.quorum.voters=${nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',')}`,
    `listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    // Topics are created on purpose (ipt topics create), never by a typo in a producer.
    'auto.create.topics.enable=false',
    'num.partitions=1',
    // Internal topics too: transactions and group offsets must survive a node as the data does.
    `offsets.topic.replication.factor=${replicas}`,
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${minIsr}`,
    `default.replication.factor=${replicas}`,
    `min.insync.replicas=${minIsr}`,
    'group.initial.rebalance.delay.ms=0',
    'log.retention.hours=168',
    'log.segment.bytes=67108864',
  ].join('\n')}\n`;
}

const LOG4J = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
`;

function registry(cfg: StackConfig): Component {
  const base = `http://127.0.0.1:${cfg.registry.port}`;
  const url = `${base}/apis/ccompat/v7`;
  const dataDir = join(cfg.stateDir, 'registry');
  return {
    name: 'registry',
    title: 'Apicurio Registry (Confluent-compatible API)',
    // Quarkus also opens a management interface (health, metrics); keep it on loopback beside the API.
    ports: [cfg.registry.port, cfg.registry.port + 1],
    startTimeoutMs: 120_000,
    prepare(say) {
      const jar = ensureApicurio(cfg, say);
      mkdirSync(dataDir, { recursive: true });
      return {
        command: [
          findJava(APICURIO_MIN_JAVA),
          `-Xmx${cfg.registry.heapMb}m`,
          '-Dquarkus.http.host=127.0.0.1',
          `-Dquarkus.http.port=${cfg.registry.port}`,
          '-Dquarkus.management.host=127.0.0.1',
          `-Dquarkus.management.port=${cfg.registry.port + 1}`,
          // Schemas survive a restart: H2 on disk instead of the default in-memory database.
          `-Dapicurio.datasource.url=jdbc:h2:file:${join(dataDir, 'registry')};DB_CLOSE_ON_EXIT=FALSE`,
          '-jar',
          jar,
        ],
      };
    },
    async ready() {
      try {
        const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) });
        return response.ok;
      } catch {
        return false;
      }
    },
    endpoint: () => ({ url, ui: `${base}/apis/registry/v3` }),
  };
}

/** Apicurio Registry 3.3 is compiled for Java 21 (class file 65); Kafka runs on the default Java 17. */
const APICURIO_MIN_JAVA = 21;

function javaMajor(java: string): number {
  const probe = spawnSync(java, ['-version'], { encoding: 'utf8' });
  const match = /version "(\d+)/.exec(`${probe.stderr}${probe.stdout}`);
  return match ? Number(match[1]) : 0;
}

/** A java binary of at least `major`: $IPT_REGISTRY_JAVA, the default java, or any JDK under /usr/lib/jvm. */
function findJava(major: number): string {
  const candidates = [
    process.env.IPT_REGISTRY_JAVA,
    process.env.JAVA_HOME && join(process.env.JAVA_HOME, 'bin/java'),
    'java',
  ];
  if (existsSync('/usr/lib/jvm')) {
    for (const dir of readdirSync('/usr/lib/jvm').sort().reverse())
      candidates.push(join('/usr/lib/jvm', dir, 'bin/java'));
  }
  for (const java of candidates) {
    if (java && javaMajor(java) >= major) return java;
  }
  throw new Error(
    `Apicurio Registry needs Java ${major} or newer and none was found (tried ${candidates.filter(Boolean).join(', ')}); ` +
      'install a JDK 21+ or point IPT_REGISTRY_JAVA at its java binary',
  );
}

function triton(cfg: StackConfig): Component {
  const { httpPort, grpcPort, metricsPort, engineStatsPort } = cfg.triton;
  const url = `http://127.0.0.1:${httpPort}`;
  return {
    name: 'triton',
    title: 'Triton Inference Server (PyTriton, CPU)',
    ports: [httpPort, grpcPort, metricsPort, engineStatsPort],
    startTimeoutMs: 180_000,
    prepare(say) {
      const python = ensureVenv(cfg, say);
      return {
        command: [
          python,
          join(REPO_ROOT, 'triton', 'serve.py'),
          '--http-port',
          String(httpPort),
          '--grpc-port',
          String(grpcPort),
          '--metrics-port',
          String(metricsPort),
          '--engine-stats-port',
          String(engineStatsPort),
          ...cfg.triton.args,
        ],
        env: { ...process.env, PYTHONUNBUFFERED: '1' },
      };
    },
    async ready() {
      try {
        const response = await fetch(`${url}/v2/health/ready`, { signal: AbortSignal.timeout(2000) });
        return response.ok;
      } catch {
        return false;
      }
    },
    endpoint: () => ({
      urls: [url],
      grpc: [`127.0.0.1:${grpcPort}`],
      metrics: `http://127.0.0.1:${metricsPort}/metrics`,
      engineStats: `http://127.0.0.1:${engineStatsPort}/`,
    }),
  };
}
